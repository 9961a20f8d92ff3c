//! Plain data produced by the sampler: no UI types, no I/O. Everything the app and the
//! non-interactive commands know about the machine arrives as one of these. Imports only
//! `crate::model::Pid` (no `app`, `ui`, `lab`, nor the lab's data), and no ratatui or crossterm.

use std::sync::Arc;
use std::time::Duration;

/// A process or thread id as the kernel numbers it.
pub use crate::model::Pid;

/// Share of one CPU's time over the last interval, in percent (0..=100), by kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CpuTimes {
    pub user: f32,
    pub nice: f32,
    pub system: f32,
    /// irq + softirq.
    pub irq: f32,
    pub iowait: f32,
    /// Time a hypervisor gave to another guest while this vCPU wanted to run.
    pub steal: f32,
}

impl CpuTimes {
    /// Percent of the interval the CPU was busy (everything but idle and iowait).
    pub fn busy(&self) -> f32 {
        (self.user + self.nice + self.system + self.irq + self.steal).clamp(0.0, 100.0)
    }
}

/// What does not change while threadtop runs: read once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Identity {
    pub cpu_model: String,
    pub physical_cores: Option<usize>,
    pub logical_cores: usize,
    pub os: String,
    pub kernel: String,
    pub arch: String,
    pub hostname: String,
    pub memory_bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemSample {
    pub identity: Arc<Identity>,
    /// One entry per logical CPU, indexed by the kernel's CPU number.
    pub cpus: Vec<CpuTimes>,
    pub total: CpuTimes,
    pub mem_total: u64,
    pub mem_used: u64,
    pub swap_total: u64,
    pub swap_used: u64,
    pub load: [f64; 3],
    pub uptime: Duration,
    /// Userland processes (kernel threads not counted).
    pub processes: u32,
    /// Userland threads of all processes, main threads included.
    pub threads: u32,
    pub kernel_threads: u32,
    /// Tasks in state R.
    pub running: u32,
}

/// One thread as read from `/proc/PID/task/TID/stat`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadSample {
    pub tid: Pid,
    /// The thread's comm (at most 15 bytes), lossily decoded.
    pub name: String,
    /// The kernel's one-letter state: R, S, D, Z, T, t, I, X...
    pub state: char,
    /// Share of one core over the last interval.
    pub cpu_percent: f32,
    pub cpu_time_ms: u64,
    /// The CPU it last ran on (0-based).
    pub last_cpu: i32,
    pub nice: i64,
    pub priority: i64,
}

/// One process as read from `/proc/PID/stat` plus cached cmdline and user.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessSample {
    pub pid: Pid,
    pub ppid: Pid,
    /// starttime from stat, in clock ticks since boot: with `pid`, identifies the process
    /// even when the PID is reused.
    pub start_ticks: u64,
    /// Start time as seconds since the Unix epoch.
    pub start_time: u64,
    pub name: Arc<str>,
    /// Arguments joined by spaces; empty for kernel threads and zombies.
    pub cmdline: Arc<str>,
    pub uid: Option<u32>,
    pub user: Arc<str>,
    pub state: char,
    pub priority: i64,
    pub nice: i64,
    /// stat's vsize (equal to statm's size).
    pub virt_bytes: u64,
    /// Resident set (RES) from statm's resident; stat's rss where statm can't be read; 0 for
    /// kernel threads and zombies.
    pub rss_bytes: u64,
    /// Resident pages backed by files or shared memory (htop's SHR), from statm's shared; 0
    /// where statm can't be read, for kernel threads and for zombies.
    pub shared_bytes: u64,
    pub num_threads: u32,
    pub cpu_time_ms: u64,
    /// Share of one core over the last interval (a 4-thread spinner shows ~400).
    pub cpu_percent: f32,
    pub mem_percent: f32,
    pub last_cpu: i32,
    pub kernel_thread: bool,
    /// Every userland thread, main included; filled only while all-threads mode (`H`) is on.
    pub threads: Vec<ThreadSample>,
}

/// One thread of the focused (drilled-into) process, with what costs more to read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadDetail {
    pub thread: ThreadSample,
    pub is_main: bool,
    /// Totals from task/TID/status; None where unreadable.
    pub voluntary: Option<u64>,
    pub nonvoluntary: Option<u64>,
    /// Rates over the last interval; None on the first sample of a thread.
    pub voluntary_per_sec: Option<f64>,
    pub nonvoluntary_per_sec: Option<f64>,
    /// Share of the interval spent runnable but waiting for a core (from schedstat); None where
    /// the kernel does not provide schedstat or on the first sample.
    pub wait_percent: Option<f32>,
}

/// The focused process and its threads in detail.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FocusSample {
    pub pid: Pid,
    /// The process as it was last seen (kept after it exits).
    pub process: Option<ProcessSample>,
    /// False once the process has exited.
    pub alive: bool,
    /// A reason the threads could not be read (e.g. permission denied).
    pub error: Option<String>,
    pub threads: Vec<ThreadDetail>,
    /// Δ CPU time of the whole process / Δ wall time over the last interval.
    pub cores_in_use: f64,
    /// What py-spy saw over the last interval (GIL%, Python function per thread); None for a
    /// process that is not Python, where nothing of it runs (`inspect::python`).
    pub python: Option<PythonSample>,
}

/// py-spy's samples of a Python process over one sampler interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PythonSample {
    /// The rate asked for, samples per second.
    pub rate_hz: u32,
    /// Samples read over the interval; GIL% is out of these.
    pub samples: u32,
    /// Reads that failed (the interpreter changed under a non-blocking read): left out.
    pub failed: u32,
    /// The interpreter's version ("3.12.1") once py-spy has found it.
    pub version: Option<String>,
    /// Why there are no figures (an unsupported version, no permission, still starting).
    pub error: Option<String>,
    /// The Python threads seen over the interval, by OS thread id.
    pub threads: Vec<PythonThread>,
}

impl PythonSample {
    pub fn thread(&self, tid: Pid) -> Option<&PythonThread> {
        self.threads.iter().find(|t| t.tid == tid)
    }
}

/// One Python thread over the interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PythonThread {
    pub tid: Pid,
    /// Share of the interval's samples in which this thread held the GIL, in percent.
    pub gil_percent: f32,
    /// Its innermost Python frame at the last sample that saw it: "function (file:line)".
    pub function: Option<String>,
}

/// What the sampler measured about itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SamplerStats {
    /// Wall time the last sample took.
    pub sample_duration: Duration,
    /// threadtop's own CPU use (all its threads) over the last interval, % of one core.
    pub own_cpu_percent: f32,
    /// Tasks that vanished between listing and reading (normal on a busy machine).
    pub vanished: u32,
}

/// One complete sample of the machine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub seq: u64,
    /// Wall time since the previous sample: the denominator of every rate.
    pub elapsed: Duration,
    pub system: SystemSample,
    pub processes: Vec<ProcessSample>,
    /// Whether `ProcessSample::threads` was filled.
    pub all_threads: bool,
    pub focus: Option<FocusSample>,
    pub stats: SamplerStats,
}
