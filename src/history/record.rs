//! The recorded types: our own serde structs, converted from `collect::model`, so the sampler's
//! types (and its hot path) carry no serialisation. A frame's full state is a `FrameState`:
//! processes sorted by PID, threads (where recorded) sorted by TID, so two states compare equal
//! when the machine was the same.
//!
//! Not recorded (today): the focused process's `FocusSample` details (context-switch totals and
//! rates, WAIT%, cores in use) and any field added to `ThreadDetail`/`FocusSample` later; a
//! replay's threads view shows what `ThreadSample` holds (name, state, CPU%, time, core, nice).

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::collect::model::{
    CpuTimes, FocusSample, Identity, Pid, ProcessSample, SamplerStats, Snapshot, SystemSample, ThreadDetail,
    ThreadSample,
};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuRec {
    pub user: f32,
    pub nice: f32,
    pub system: f32,
    pub irq: f32,
    pub iowait: f32,
    pub steal: f32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityRec {
    pub cpu_model: String,
    pub physical_cores: Option<u32>,
    pub logical_cores: u32,
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub hostname: String,
    pub memory_bytes: u64,
}

/// The header's meters and counts at one tick, plus what the sampler said of itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemRec {
    pub cpus: Vec<CpuRec>,
    pub total: CpuRec,
    pub mem_total: u64,
    pub mem_used: u64,
    pub swap_total: u64,
    pub swap_used: u64,
    pub load: [f64; 3],
    pub uptime_ms: u64,
    pub processes: u32,
    pub threads: u32,
    pub kernel_threads: u32,
    pub running: u32,
    /// The interval this tick's rates are over.
    pub elapsed_us: u64,
    pub sample_us: u64,
    pub own_cpu_percent: f32,
    pub vanished: u32,
}

/// What identifies a process and rarely changes: written once, when it first appears (or when
/// one of these changes, e.g. a name set by prctl, as a new entry).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcStatic {
    pub pid: Pid,
    pub start_ticks: u64,
    pub start_time: u64,
    pub name: String,
    pub cmdline: String,
    pub uid: Option<u32>,
    pub user: String,
    pub kernel_thread: bool,
}

/// What changes tick to tick.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcDyn {
    pub ppid: Pid,
    pub state: char,
    pub priority: i64,
    pub nice: i64,
    pub virt_bytes: u64,
    pub rss_bytes: u64,
    pub shared_bytes: u64,
    pub num_threads: u32,
    pub cpu_time_ms: u64,
    pub cpu_percent: f32,
    pub mem_percent: f32,
    pub last_cpu: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadRec {
    pub tid: Pid,
    pub name: String,
    pub state: char,
    pub cpu_percent: f32,
    pub cpu_time_ms: u64,
    pub last_cpu: i32,
    pub nice: i64,
    pub priority: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcRec {
    pub stat: ProcStatic,
    pub dynamic: ProcDyn,
    /// None: this process's threads were not recorded at this tick (`--threads none|busy`).
    pub threads: Option<Vec<ThreadRec>>,
}

/// Everything one tick recorded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameState {
    pub system: SystemRec,
    /// Sorted by PID.
    pub procs: Vec<ProcRec>,
}

impl CpuRec {
    /// As `CpuTimes::busy`: everything but idle and iowait.
    pub fn busy(&self) -> f32 {
        (self.user + self.nice + self.system + self.irq + self.steal).clamp(0.0, 100.0)
    }
}

fn cpu_rec(c: &CpuTimes) -> CpuRec {
    CpuRec { user: c.user, nice: c.nice, system: c.system, irq: c.irq, iowait: c.iowait, steal: c.steal }
}

fn cpu_times(c: &CpuRec) -> CpuTimes {
    CpuTimes { user: c.user, nice: c.nice, system: c.system, irq: c.irq, iowait: c.iowait, steal: c.steal }
}

fn thread_rec(t: &ThreadSample) -> ThreadRec {
    ThreadRec {
        tid: t.tid,
        name: t.name.clone(),
        state: t.state,
        cpu_percent: t.cpu_percent,
        cpu_time_ms: t.cpu_time_ms,
        last_cpu: t.last_cpu,
        nice: t.nice,
        priority: t.priority,
    }
}

fn thread_sample(t: &ThreadRec) -> ThreadSample {
    ThreadSample {
        tid: t.tid,
        name: t.name.clone(),
        state: t.state,
        cpu_percent: t.cpu_percent,
        cpu_time_ms: t.cpu_time_ms,
        last_cpu: t.last_cpu,
        nice: t.nice,
        priority: t.priority,
    }
}

impl IdentityRec {
    pub fn from_identity(id: &Identity) -> IdentityRec {
        IdentityRec {
            cpu_model: id.cpu_model.clone(),
            physical_cores: id.physical_cores.map(|n| n as u32),
            logical_cores: id.logical_cores as u32,
            os: id.os.clone(),
            kernel: id.kernel.clone(),
            arch: id.arch.clone(),
            hostname: id.hostname.clone(),
            memory_bytes: id.memory_bytes,
        }
    }

    pub fn to_identity(&self) -> Identity {
        Identity {
            cpu_model: self.cpu_model.clone(),
            physical_cores: self.physical_cores.map(|n| n as usize),
            logical_cores: self.logical_cores as usize,
            os: self.os.clone(),
            kernel: self.kernel.clone(),
            arch: self.arch.clone(),
            hostname: self.hostname.clone(),
            memory_bytes: self.memory_bytes,
        }
    }
}

impl FrameState {
    /// The state of a snapshot. `threads_of(p)` says whether a process's threads are kept (they
    /// exist only when the snapshot was taken in all-threads mode).
    pub fn from_snapshot(snap: &Snapshot, threads_of: impl Fn(&ProcessSample) -> bool) -> FrameState {
        let s = &snap.system;
        let system = SystemRec {
            cpus: s.cpus.iter().map(cpu_rec).collect(),
            total: cpu_rec(&s.total),
            mem_total: s.mem_total,
            mem_used: s.mem_used,
            swap_total: s.swap_total,
            swap_used: s.swap_used,
            load: s.load,
            uptime_ms: s.uptime.as_millis() as u64,
            processes: s.processes,
            threads: s.threads,
            kernel_threads: s.kernel_threads,
            running: s.running,
            elapsed_us: snap.elapsed.as_micros() as u64,
            sample_us: snap.stats.sample_duration.as_micros() as u64,
            own_cpu_percent: snap.stats.own_cpu_percent,
            vanished: snap.stats.vanished,
        };
        let mut procs: Vec<ProcRec> = snap
            .processes
            .iter()
            .map(|p| {
                let threads = (snap.all_threads && threads_of(p)).then(|| {
                    let mut t: Vec<ThreadRec> = p.threads.iter().map(thread_rec).collect();
                    t.sort_by_key(|t| t.tid);
                    t
                });
                ProcRec {
                    stat: ProcStatic {
                        pid: p.pid,
                        start_ticks: p.start_ticks,
                        start_time: p.start_time,
                        name: p.name.to_string(),
                        cmdline: p.cmdline.to_string(),
                        uid: p.uid,
                        user: p.user.to_string(),
                        kernel_thread: p.kernel_thread,
                    },
                    dynamic: ProcDyn {
                        ppid: p.ppid,
                        state: p.state,
                        priority: p.priority,
                        nice: p.nice,
                        virt_bytes: p.virt_bytes,
                        rss_bytes: p.rss_bytes,
                        shared_bytes: p.shared_bytes,
                        num_threads: p.num_threads,
                        cpu_time_ms: p.cpu_time_ms,
                        cpu_percent: p.cpu_percent,
                        mem_percent: p.mem_percent,
                        last_cpu: p.last_cpu,
                    },
                    threads,
                }
            })
            .collect();
        procs.sort_by_key(|p| p.stat.pid);
        // Two entries with one PID cannot both be kept by PID: the sampler gives one per PID.
        procs.dedup_by_key(|p| p.stat.pid);
        FrameState { system, procs }
    }

    /// The snapshot the monitor and the commands take. `all_threads` is set when any process
    /// has recorded threads; those processes' `threads` hold them.
    pub fn to_snapshot(&self, identity: &Arc<Identity>, seq: u64) -> Snapshot {
        let s = &self.system;
        let processes: Vec<ProcessSample> = self
            .procs
            .iter()
            .map(|p| ProcessSample {
                pid: p.stat.pid,
                ppid: p.dynamic.ppid,
                start_ticks: p.stat.start_ticks,
                start_time: p.stat.start_time,
                name: Arc::from(p.stat.name.as_str()),
                cmdline: Arc::from(p.stat.cmdline.as_str()),
                uid: p.stat.uid,
                user: Arc::from(p.stat.user.as_str()),
                state: p.dynamic.state,
                priority: p.dynamic.priority,
                nice: p.dynamic.nice,
                virt_bytes: p.dynamic.virt_bytes,
                rss_bytes: p.dynamic.rss_bytes,
                shared_bytes: p.dynamic.shared_bytes,
                num_threads: p.dynamic.num_threads,
                cpu_time_ms: p.dynamic.cpu_time_ms,
                cpu_percent: p.dynamic.cpu_percent,
                mem_percent: p.dynamic.mem_percent,
                last_cpu: p.dynamic.last_cpu,
                kernel_thread: p.stat.kernel_thread,
                threads: p.threads.as_deref().map(|t| t.iter().map(thread_sample).collect()).unwrap_or_default(),
                // Not recorded: /proc/PID/io and the metrics' extras (the IO columns show `-`).
                ..ProcessSample::default()
            })
            .collect();
        Snapshot {
            seq,
            elapsed: Duration::from_micros(s.elapsed_us),
            system: SystemSample {
                identity: identity.clone(),
                cpus: s.cpus.iter().map(cpu_times).collect(),
                total: cpu_times(&s.total),
                mem_total: s.mem_total,
                mem_used: s.mem_used,
                swap_total: s.swap_total,
                swap_used: s.swap_used,
                load: s.load,
                uptime: Duration::from_millis(s.uptime_ms),
                processes: s.processes,
                threads: s.threads,
                kernel_threads: s.kernel_threads,
                running: s.running,
                // Not recorded: procs_blocked and the raw per-CPU tick counters (metrics only).
                ..SystemSample::default()
            },
            processes,
            all_threads: self.procs.iter().any(|p| p.threads.is_some()),
            focus: None,
            stats: SamplerStats {
                sample_duration: Duration::from_micros(s.sample_us),
                own_cpu_percent: s.own_cpu_percent,
                vanished: s.vanished,
                ..SamplerStats::default()
            },
        }
    }

    /// The threads of `pid` as the threads view and `threads --json` take them, if recorded.
    /// Only what `ThreadSample` holds: switch counts, rates and WAIT% were not recorded.
    pub fn focus(&self, pid: Pid) -> Option<FocusSample> {
        let p = self.procs.iter().find(|p| p.stat.pid == pid)?;
        let threads = p.threads.as_ref()?;
        let snap = FrameState { system: SystemRec::default(), procs: vec![p.clone()] }.to_snapshot(&Arc::default(), 0);
        let process = snap.processes.into_iter().next();
        // `..Default::default()`: collect's FocusSample and ThreadDetail grow fields not recorded here.
        Some(FocusSample {
            pid,
            alive: true,
            cores_in_use: f64::from(p.dynamic.cpu_percent) / 100.0,
            threads: threads
                .iter()
                .map(|t| ThreadDetail { thread: thread_sample(t), is_main: t.tid == pid, ..ThreadDetail::default() })
                .collect(),
            process,
            ..FocusSample::default()
        })
    }
}
