//! One sample: what is read per tick for every process (`Sampler::sample_at`), and the rows made
//! from it. Imports only `collect`'s own modules; no `app`, `ui`, `lab`, the lab's data
//! (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Sampler;
use super::cache::ProcEntry;
use super::extra::{Extras, StatTimes, read_extra};
use super::tasks::read_threads;
use crate::collect::model::{Pid, ProcessSample, SamplerStats, Snapshot, SystemSample};
use crate::collect::procfs::{KeptFile, ProcReader, Stat, cmdline_to_string, parse_stat, parse_statm};
use crate::collect::rates;
use crate::collect::users::UserNames;

impl Sampler {
    /// `sample` at the wall-clock time given: the thread passes its loop's clock (so `elapsed` is
    /// the gap it kept), tests a time of their choosing.
    pub(super) fn sample_at(&mut self, now: Instant) -> Snapshot {
        let started = Instant::now();
        let elapsed = self.last_at.map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        self.last_at = Some(now);
        self.seq += 1;
        let seq = self.seq;
        let hz = self.hz;

        let own_cpu = process_cpu_time();
        let own_cpu_percent = match (self.last_own_cpu, own_cpu) {
            (Some(prev), Some(cur)) if !elapsed.is_zero() => {
                (cur.saturating_sub(prev).as_secs_f64() / elapsed.as_secs_f64() * 100.0) as f32
            }
            _ => 0.0,
        };
        self.last_own_cpu = own_cpu;

        self.reader.replenish_spare();
        let sys = {
            let proc_stat = self.reader.read_kept(&mut self.proc_stat, None, None, "stat").ok();
            self.system.read(proc_stat)
        };
        let boot_time = sys.boot_time.unwrap_or(0);
        let mem_total = sys.sample.mem_total;

        let mut vanished = 0u32;
        let mut pid_list = std::mem::take(&mut self.pid_list);
        if self.reader.list_pids(&mut pid_list).is_err() {
            // An unreadable proc root gives an empty list, not a dead sampler.
            pid_list.clear();
        }
        // Taken out for the loop (it needs `&mut self`) and put back after it.
        let filter_owned = self.config.pids.take();
        let filter = filter_owned.as_deref().filter(|p| !p.is_empty());
        let focus_pid = self.config.focus;
        let all_threads = self.config.all_threads;
        // The IO columns add io to whatever the metrics ask for.
        let extras_owned = (self.config.io_columns && !self.config.extras.io)
            .then(|| Extras { io: true, ..self.config.extras.clone() });
        let extras_on = self.config.extras.any() || self.config.io_columns;
        let mut processes = Vec::with_capacity(filter.map_or(pid_list.len(), <[Pid]>::len));
        let (mut n_procs, mut n_threads, mut n_kthreads, mut n_running) = (0u32, 0u32, 0u32, 0u32);
        let mut focus_proc: Option<(ProcessSample, f64)> = None;

        let live = self.reader.is_live();
        for &pid in &pid_list {
            // One lookup for what last sample left: the kept stat file and the name, shared.
            let (mut kept, cached_name) = match self.procs.get_mut(&pid) {
                Some(e) => (e.stat.take(), Some((e.start_ticks, e.name.clone()))),
                None => (None, None),
            };
            let parsed = match self.reader.read_kept(&mut kept, Some(pid), None, "stat") {
                // A stat whose PID is not its directory's is corrupt (the kernel writes the same
                // number in both): left out, or it would show as a second row for another process.
                Ok(buf) => parse_stat(buf).filter(|st| st.pid == pid).map(|st| {
                    let mut p = process_from_stat(&st, hz, self.page_size, boot_time, mem_total, &self.empty);
                    // The name this process had last sample, shared, unless it changed: one
                    // string per process, not one per process per snapshot.
                    p.name = match cached_name {
                        Some((start, n)) if start == st.starttime && n.as_bytes() == st.comm => n,
                        _ => Arc::from(st.comm_lossy()),
                    };
                    (p, st.cpu_ticks(), StatTimes { utime: st.utime, stime: st.stime })
                }),
                Err(_) => None,
            };
            let Some((mut p, ticks, times)) = parsed else {
                vanished += 1;
                continue;
            };
            if p.kernel_thread {
                n_kthreads += 1;
            } else {
                n_procs += 1;
                n_threads = n_threads.saturating_add(p.num_threads);
            }
            if p.state == 'R' {
                n_running += 1;
            }

            let mut cores = 0.0;
            let e = match self.procs.entry(pid) {
                Entry::Occupied(o) if o.get().start_ticks == p.start_ticks => {
                    let e = o.into_mut();
                    cores = rates::cores_in_use(e.ticks, ticks, hz, elapsed);
                    e
                }
                // A reused PID: a new process.
                Entry::Occupied(o) => {
                    let e = o.into_mut();
                    *e = ProcEntry::new(p.start_ticks, &self.empty);
                    e
                }
                Entry::Vacant(v) => v.insert(ProcEntry::new(p.start_ticks, &self.empty)),
            };
            e.stat = kept;
            e.ticks = ticks;
            e.seen = seq;

            let listed = filter.is_none_or(|f| f.contains(&pid));
            let focused = focus_pid == Some(pid);
            let threads_shown = all_threads && !p.kernel_thread && (listed || focused);
            if !threads_shown && !e.tasks.is_empty() {
                e.tasks = Vec::new();
            }
            if !listed && !focused {
                continue;
            }
            if !p.kernel_thread {
                read_memory(&mut self.reader, &mut e.statm, pid, self.page_size, mem_total, &mut p);
            }
            if !e.meta || (e.name != p.name && !p.kernel_thread) {
                (e.cmdline, e.uid, e.user) = read_meta(&mut self.reader, &mut self.users, pid, p.kernel_thread);
                e.name.clone_from(&p.name);
                e.meta = true;
            }
            p.cmdline = e.cmdline.clone();
            p.uid = e.uid;
            p.user = e.user.clone();
            p.cpu_percent = (cores * 100.0) as f32;
            if extras_on && !p.kernel_thread {
                let x = read_extra(
                    &mut self.reader,
                    &mut self.scratch,
                    e,
                    &p,
                    &times,
                    extras_owned.as_ref().unwrap_or(&self.config.extras),
                    hz,
                    elapsed,
                    &mut vanished,
                );
                p.extra = Some(Box::new(x));
            } else if e.io.is_some() || e.status.is_some() || e.schedstat.is_some() || !e.xtasks.is_empty() {
                (e.io, e.status, e.schedstat, e.prev_io, e.xtasks) = (None, None, None, None, Vec::new());
            }

            if threads_shown {
                let expected = live.then_some(p.num_threads as usize);
                p.threads = read_threads(
                    &mut self.reader,
                    &mut self.scratch,
                    pid,
                    expected,
                    &mut e.tasks,
                    hz,
                    elapsed,
                    &mut vanished,
                );
            }
            if focused {
                focus_proc = Some((p.clone(), cores));
            }
            if listed {
                processes.push(p);
            }
        }
        self.pid_list = pid_list;
        self.config.pids = filter_owned;
        self.procs.retain(|_, e| e.seen == seq);

        let mut focus = focus_pid.map(|pid| self.sample_focus(pid, focus_proc, elapsed, (now, started), &mut vanished));
        if let Some(f) = focus.as_mut().filter(|f| f.alive) {
            f.python = self.take_python();
        }
        let focus = focus.map(Arc::new);
        if let Some(f) = focus.as_ref().filter(|f| f.alive) {
            // What is shown once the process is gone (`focus_gone`).
            self.focus.last = Some(Arc::clone(f));
        }

        Snapshot {
            seq,
            elapsed,
            system: SystemSample {
                processes: n_procs,
                threads: n_threads,
                kernel_threads: n_kthreads,
                running: sys.procs_running.unwrap_or(n_running),
                ..sys.sample
            },
            processes,
            all_threads,
            focus,
            stats: SamplerStats {
                sample_duration: started.elapsed(),
                own_cpu_percent,
                vanished,
                kept_files: u32::try_from(self.reader.budget().open()).unwrap_or(u32::MAX),
                own_cpu_seconds: own_cpu.map_or(0.0, |d| d.as_secs_f64()),
            },
        }
    }
}

/// RES and SHR from `statm`, as htop and ps read them. stat's rss is meant to be the same count,
/// but here (kernel 6.18) statm, status's VmRSS and smaps_rollup agree while stat's rss, an
/// approximate read of per-CPU counters, was off by up to ~40 pages either way (a 1.1 MiB
/// process showed 15% less). Where statm can't be read or parsed, the row keeps stat's rss from
/// `process_from_stat`, the best figure left: a `--proc-root` tree without statm, a process gone
/// between the two reads (it leaves the list next sample), or a kernel that denies statm but not
/// stat.
fn read_memory(
    reader: &mut ProcReader,
    kept: &mut Option<KeptFile>,
    pid: Pid,
    page_size: u64,
    mem_total: u64,
    p: &mut ProcessSample,
) {
    let Some(m) = reader.read_kept(kept, Some(pid), None, "statm").ok().and_then(parse_statm) else {
        return;
    };
    p.rss_bytes = m.resident.saturating_mul(page_size);
    p.shared_bytes = m.shared.saturating_mul(page_size);
    p.mem_percent = rates::share_percent(p.rss_bytes, mem_total);
}

/// The row from stat; cmdline and user are `empty` until the cache fills them. RES is stat's rss
/// until `read_memory` replaces it (0 for a kernel thread, which has no memory of its own).
fn process_from_stat(
    st: &Stat<'_>,
    hz: u64,
    page_size: u64,
    boot_time: u64,
    mem_total: u64,
    empty: &Arc<str>,
) -> ProcessSample {
    let kernel_thread = st.is_kernel_thread();
    let rss_bytes = if kernel_thread { 0 } else { st.rss_pages.saturating_mul(page_size) };
    ProcessSample {
        pid: st.pid,
        ppid: st.ppid,
        start_ticks: st.starttime,
        start_time: boot_time.saturating_add(st.starttime / hz),
        name: empty.clone(),
        cmdline: empty.clone(),
        uid: None,
        user: empty.clone(),
        state: char::from(st.state),
        priority: st.priority,
        nice: st.nice,
        virt_bytes: st.vsize,
        rss_bytes,
        shared_bytes: 0,
        num_threads: u32::try_from(st.num_threads.max(0)).unwrap_or(u32::MAX),
        cpu_time_ms: rates::ticks_to_ms(st.cpu_ticks(), hz),
        cpu_percent: 0.0,
        mem_percent: rates::share_percent(rss_bytes, mem_total),
        last_cpu: st.processor,
        kernel_thread,
        threads: Vec::new(),
        extra: None,
    }
}

/// cmdline and user of a process seen for the first time (or after exec).
fn read_meta(
    reader: &mut ProcReader,
    users: &mut UserNames,
    pid: Pid,
    kernel_thread: bool,
) -> (Arc<str>, Option<u32>, Arc<str>) {
    if kernel_thread {
        // Kernel threads have no cmdline and belong to root: two syscalls saved per kthread.
        return (Arc::from(""), Some(0), users.name(0));
    }
    let cmdline = reader.read_cmdline(pid).map(cmdline_to_string).unwrap_or_default();
    let uid = reader.owner_uid(pid).ok();
    let user = uid.map_or_else(|| Arc::from("?"), |u| users.name(u));
    (Arc::from(cmdline), uid, user)
}

/// CPU time used by this whole process (all threads), for the monitor's own-cost figure.
///
/// libc's clock_gettime, not rustix's safe one: rustix looks the call up in the vDSO, and that
/// lookup dies under valgrind (rustix#1559; a one-line program calling
/// `rustix::time::clock_gettime(ClockId::ProcessCPUTime)` gets SIGSEGV under
/// `valgrind --tool=callgrind` 3.19 here), which would end every sample under callgrind, the
/// sampler's profiler (BENCHMARKS.md). rustix's call also asserts where this returns None.
fn process_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(Duration::new(u64::try_from(ts.tv_sec).ok()?, u32::try_from(ts.tv_nsec).ok()?))
}
