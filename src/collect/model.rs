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
    /// Tasks blocked on I/O (`procs_blocked` of /proc/stat); None where unreadable.
    pub blocked: Option<u32>,
    /// Each CPU's counters since boot, in clock ticks (`/proc/stat`), for exporters; None for a
    /// CPU whose line was missing.
    pub cpu_ticks: Vec<Option<CpuCounters>>,
    /// Clock ticks per second the counters above count in.
    pub ticks_per_second: u64,
}

/// One CPU's time since boot by mode, in clock ticks, as /proc/stat gives it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuCounters {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
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
    /// What costs more to read, filled only while something needs it (the IO columns, serving
    /// metrics: `sampler::Extras`); boxed so a row without it stays small.
    pub extra: Option<Box<ProcessExtra>>,
}

/// `/proc/PID/io`: the whole process's I/O (the kernel sums its threads, live and exited).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCounters {
    /// Bytes read through read(2) and the like, cache hits included.
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    /// Bytes fetched from storage (htop's IO_R/s counts these).
    pub read_bytes: u64,
    /// Bytes sent to the page cache to be written out (htop's IO_W/s).
    pub write_bytes: u64,
}

/// Per-process counters read on demand (`sampler::Extras`); a field is None where its file was
/// unreadable (another user's io, a kernel without schedstat) or it was not asked for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessExtra {
    /// stat's utime and stime, in milliseconds.
    pub user_ms: u64,
    pub system_ms: u64,
    pub io: Option<IoCounters>,
    /// read_bytes and write_bytes per second over the last interval; None on a process's first
    /// sample with io, or where io is unreadable.
    pub io_read_per_sec: Option<f64>,
    pub io_write_per_sec: Option<f64>,
    /// Context switches of the main thread (`/proc/PID/status` counts only that thread); every
    /// thread's are in `threads` when those are read.
    pub voluntary: Option<u64>,
    pub nonvoluntary: Option<u64>,
    /// Time the threads spent runnable but waiting for a core, in ns: the sum of
    /// `task/TID/schedstat` over `threads` when they are read, else the main thread's.
    pub run_delay_ns: Option<u64>,
    /// Every thread with its counters, only for processes `Extras::threads` picks.
    pub threads: Vec<ThreadExtra>,
}

/// One thread's counters for exporters (`ProcessExtra::threads`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadExtra {
    pub tid: Pid,
    pub name: String,
    pub user_ms: u64,
    pub system_ms: u64,
    pub voluntary: Option<u64>,
    pub nonvoluntary: Option<u64>,
    pub run_delay_ns: Option<u64>,
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
    /// Where its wall time went over the last interval; None on its first sample or without
    /// schedstat.
    pub split: Option<TimeSplit>,
    /// The same over the last ~10 s (`WINDOW`): the sum of the interval splits in it.
    pub split_window: Option<TimeSplit>,
    /// CPU migrations since it started: se.nr_migrations of task/TID/sched, or, where that file
    /// is absent (`FocusSample::migrations_exact` false), changes of the last-core field seen.
    pub migrations: Option<u64>,
    pub migrations_per_sec: Option<f64>,
    /// What it is waiting in; None where not read (a row off screen, or ptrace rights missing).
    pub waiting: Option<Waiting>,
    /// Rates from task/TID/io over the last interval; None where unreadable or on the first sample.
    pub io: Option<ThreadIo>,
}

/// The span `ThreadDetail::split_window` covers at most.
pub const WINDOW: Duration = Duration::from_secs(10);

/// Where a thread's wall time went over a span, in ns. The four parts sum to `wall_ns` exactly:
/// sleeping is what is left, and when the three measured parts exceed the wall time (they are read
/// a few µs apart from the clock, and the kernel updates run time at its tick) they are scaled
/// down together so that they fit and sleeping is 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeSplit {
    pub wall_ns: u64,
    /// On a CPU: Δ schedstat field 1.
    pub on_cpu_ns: u64,
    /// Runnable, waiting for a core: Δ schedstat field 2 (run_delay).
    pub wait_ns: u64,
    /// Blocked on block I/O: Δ stat field 42 (delayacct_blkio_ticks) with delay accounting on;
    /// without it, the rest of an interval whose sample found the thread in state D.
    pub io_ns: u64,
    pub sleep_ns: u64,
}

impl TimeSplit {
    /// From measured parts; see the type for how noise is clamped.
    pub fn new(wall_ns: u64, on_cpu_ns: u64, wait_ns: u64, io_ns: u64) -> TimeSplit {
        let measured = u128::from(on_cpu_ns) + u128::from(wait_ns) + u128::from(io_ns);
        if measured <= u128::from(wall_ns) {
            let sleep_ns = wall_ns - (on_cpu_ns + wait_ns + io_ns);
            return TimeSplit { wall_ns, on_cpu_ns, wait_ns, io_ns, sleep_ns };
        }
        let scale = |v: u64| u64::try_from(u128::from(v) * u128::from(wall_ns) / measured).unwrap_or(wall_ns);
        let (c, w) = (scale(on_cpu_ns), scale(wait_ns));
        // Rounding down leaves a few ns: they go to I/O, so the parts still sum to the wall.
        let i = wall_ns - c - w;
        TimeSplit { wall_ns, on_cpu_ns: c, wait_ns: w, io_ns: i, sleep_ns: 0 }
    }

    pub fn add(&mut self, o: &TimeSplit) {
        self.wall_ns = self.wall_ns.saturating_add(o.wall_ns);
        self.on_cpu_ns = self.on_cpu_ns.saturating_add(o.on_cpu_ns);
        self.wait_ns = self.wait_ns.saturating_add(o.wait_ns);
        self.io_ns = self.io_ns.saturating_add(o.io_ns);
        self.sleep_ns = self.sleep_ns.saturating_add(o.sleep_ns);
    }

    /// A part as a share of the wall time, in percent.
    pub fn percent(&self, part_ns: u64) -> f32 {
        if self.wall_ns == 0 { 0.0 } else { (part_ns as f64 / self.wall_ns as f64 * 100.0) as f32 }
    }

    /// The four parts in order: on CPU, waiting for a core, I/O, sleeping.
    pub fn parts(&self) -> [u64; 4] {
        [self.on_cpu_ns, self.wait_ns, self.io_ns, self.sleep_ns]
    }
}

/// What a thread that is not running is blocked in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waiting {
    /// `read fd 3 pipe:[81234]`, `futex`, `accept fd 4 socket TCP 127.0.0.1:8080`, `running`,
    /// `not in a system call`, `syscall 999` (a number the table does not name).
    pub text: String,
    /// The system call's number from task/TID/syscall; None when running or not in one.
    pub syscall_nr: Option<u64>,
    /// Its name for this machine's architecture (x86_64 and aarch64 tables).
    pub syscall: Option<&'static str>,
    /// The first argument, where that call takes a file descriptor there.
    pub fd: Option<u64>,
    /// What that fd is: the link /proc/PID/fd/N (`pipe:[81234]`, `/tmp/x`), a socket named from
    /// the process's net tables (`socket TCP 127.0.0.1:8080`).
    pub fd_target: Option<String>,
    /// The kernel function it sleeps in (task/TID/wchan); None while running or when "0".
    pub wchan: Option<String>,
}

/// Per-thread I/O rates over the last interval, from task/TID/io.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ThreadIo {
    /// Δ rchar / Δwall: bytes through read()-like calls, pipes and sockets included.
    pub read_bytes_per_sec: f64,
    /// Δ wchar / Δwall.
    pub write_bytes_per_sec: f64,
    /// Δ(syscr + syscw) / Δwall.
    pub syscalls_per_sec: f64,
    /// Δ read_bytes / Δwall: bytes fetched from storage.
    pub disk_read_bytes_per_sec: f64,
    /// Δ write_bytes / Δwall: bytes sent toward storage (counted when dirtied).
    pub disk_write_bytes_per_sec: f64,
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
    /// kernel.task_delayacct was 1 when last read (every ~10 s): I/O time is measured from stat
    /// field 42. Otherwise it is sampled from state D.
    pub delay_accounting: bool,
    /// task/TID/syscall was refused (EACCES/EPERM) for a thread: WAITING needs ptrace rights.
    pub waiting_denied: bool,
    /// Migrations come from task/TID/sched (true) or from changes of the last core (false).
    pub migrations_exact: bool,
    /// What py-spy saw over the last interval (GIL%, Python function per thread); None for a
    /// process that is not Python, where nothing of it runs (`inspect::python`).
    pub python: Option<PythonSample>,
}

impl FocusSample {
    /// The process's split: its threads' splits summed (of the last interval, or of the window),
    /// with how many threads had one. Shares of it are shares of thread time: "2 threads: 61% on
    /// CPU" means 61% of the two threads' wall time together.
    pub fn split_total(&self, window: bool) -> Option<(usize, TimeSplit)> {
        let mut sum = TimeSplit::default();
        let mut n = 0;
        for t in &self.threads {
            if let Some(s) = if window { t.split_window } else { t.split } {
                sum.add(&s);
                n += 1;
            }
        }
        (n > 0).then_some((n, sum))
    }
}

/// py-spy's samples of a Python process over one sampler interval.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// /proc files kept open after this sample.
    pub kept_files: u32,
    /// threadtop's own CPU time since it started (all its threads), in seconds.
    pub own_cpu_seconds: f64,
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
    /// Shared: the app keeps it, and the sampler keeps it as the last seen, without copies of
    /// its threads (thousands of them in a big process).
    pub focus: Option<Arc<FocusSample>>,
    pub stats: SamplerStats,
}
