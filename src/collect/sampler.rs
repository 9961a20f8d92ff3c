//! The sampler: what to read per tick, the caches (cmdline, user), the previous counters for
//! rates, the focused process, and the long-lived `tt-sampler` thread that publishes snapshots
//! over a `watch` channel. Part of `collect`: imports neither `app` nor `ui`, and no ratatui or
//! crossterm.
//!
//! Per tick: one `stat` read per process, and one `statm` per listed userland process (RES and
//! SHR; kernel threads have no memory of their own); one `task/TID/stat` per thread only in
//! all-threads mode; `task/TID/{stat,status,schedstat}` only for the focused process. cmdline and
//! user are read once per process, keyed by (PID, starttime) so a reused PID is a new process.
//!
//! Under a live procfs those files stay open between ticks and are re-read with pread (see
//! `KeptFile`): most of the cost of a read was the open and close around it. A process's task
//! directory is listed again only when its thread set may have changed: when its thread count
//! differs from the threads known, or one of them is gone (see `refresh_tasks`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasherDefault, Hasher};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::model::{FocusSample, Pid, ProcessSample, SamplerStats, Snapshot, SystemSample, ThreadDetail, ThreadSample};
use super::procfs::{
    FdBudget, KeptFile, ProcReader, Stat, clock_ticks_per_second, cmdline_to_string, is_gone, page_size,
    parse_schedstat, parse_stat, parse_statm, parse_status,
};
use super::rates;
use super::system::SystemReader;
use super::users::UserNames;

/// What the sampler reads and how often.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplerConfig {
    pub interval: Duration,
    /// Fill `ProcessSample::threads` for every process (htop's `H`).
    pub all_threads: bool,
    /// The process whose threads are read in detail.
    pub focus: Option<Pid>,
    /// Normally `/proc`; tests point it at a fake tree.
    pub proc_root: PathBuf,
    /// Only these processes in `Snapshot::processes` (`-p`). Every process's stat is still read,
    /// so the header's counts stay true; `Some(empty)` is taken as no filter.
    pub pids: Option<Vec<Pid>>,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            all_threads: false,
            focus: None,
            proc_root: PathBuf::from("/proc"),
            pids: None,
        }
    }
}

/// Hashes a PID with one multiply (Fibonacci hashing). SipHash was ~5% of a sample; PIDs come
/// from the kernel, and distinct PIDs never collide in the low bits a table indexes by.
#[derive(Clone, Copy, Default)]
struct PidHasher(u64);

impl Hasher for PidHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_i32(&mut self, v: i32) {
        self.0 = u64::from(v as u32).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type PidMap<V> = HashMap<Pid, V, BuildHasherDefault<PidHasher>>;

/// Cached per process, keyed by PID and checked against starttime.
struct ProcEntry {
    start_ticks: u64,
    /// cmdline and user have been read (only for listed or focused processes).
    meta: bool,
    /// The comm the cmdline was read under: a new comm means exec (or a rename), so re-read.
    name: String,
    cmdline: Arc<str>,
    uid: Option<u32>,
    user: Arc<str>,
    ticks: u64,
    seen: u64,
    /// Its `stat`, kept open.
    stat: Option<KeptFile>,
    /// Its `statm`, kept open (userland processes that are listed or focused).
    statm: Option<KeptFile>,
    /// Its threads as of the last all-threads sample, in listing order; empty otherwise.
    tasks: Vec<TaskEntry>,
}

impl ProcEntry {
    fn new(start_ticks: u64, empty: &Arc<str>) -> Self {
        Self {
            start_ticks,
            meta: false,
            name: String::new(),
            cmdline: empty.clone(),
            uid: None,
            user: empty.clone(),
            ticks: 0,
            seen: 0,
            stat: None,
            statm: None,
            tasks: Vec::new(),
        }
    }
}

/// One thread of a process in all-threads mode: its previous counters and its kept `stat`.
#[derive(Default)]
struct TaskEntry {
    tid: Pid,
    /// None until read once.
    start_ticks: Option<u64>,
    ticks: u64,
    stat: Option<KeptFile>,
}

/// One thread of the focused process: previous counters for rates, and its kept files.
#[derive(Default)]
struct FocusTask {
    tid: Pid,
    start_ticks: Option<u64>,
    ticks: u64,
    voluntary: Option<u64>,
    nonvoluntary: Option<u64>,
    wait_ns: Option<u64>,
    stat: Option<KeptFile>,
    status: Option<KeptFile>,
    schedstat: Option<KeptFile>,
}

trait TaskSlot: Default {
    fn tid(&self) -> Pid;
    fn with_tid(tid: Pid) -> Self;
}

impl TaskSlot for TaskEntry {
    fn tid(&self) -> Pid {
        self.tid
    }
    fn with_tid(tid: Pid) -> Self {
        Self { tid, ..Self::default() }
    }
}

impl TaskSlot for FocusTask {
    fn tid(&self) -> Pid {
        self.tid
    }
    fn with_tid(tid: Pid) -> Self {
        Self { tid, ..Self::default() }
    }
}

#[derive(Default)]
struct FocusState {
    tasks: Vec<FocusTask>,
    last: Option<FocusSample>,
}

/// Reused between calls of `refresh_tasks`.
#[derive(Default)]
struct TaskScratch {
    tids: Vec<Pid>,
    index: PidMap<usize>,
}

/// Samples /proc synchronously. Keep one alive between samples: rates come from the previous one.
pub struct Sampler {
    config: SamplerConfig,
    reader: ProcReader,
    system: SystemReader,
    users: UserNames,
    hz: u64,
    page_size: u64,
    seq: u64,
    last_at: Option<Instant>,
    last_own_cpu: Option<Duration>,
    procs: PidMap<ProcEntry>,
    focus: FocusState,
    pid_list: Vec<Pid>,
    scratch: TaskScratch,
    /// `/proc/stat`, kept open.
    proc_stat: Option<KeptFile>,
    /// Placeholder for a row's cmdline and user until the cache fills them: no allocation per row.
    empty: Arc<str>,
}

impl Sampler {
    pub fn new(config: SamplerConfig) -> Self {
        let mut reader = ProcReader::new(config.proc_root.clone());
        reader.set_budget(FdBudget::for_this_process());
        Self {
            reader,
            config,
            system: SystemReader::new(),
            users: UserNames::new(),
            hz: clock_ticks_per_second(),
            page_size: page_size(),
            seq: 0,
            last_at: None,
            last_own_cpu: None,
            procs: PidMap::default(),
            focus: FocusState::default(),
            pid_list: Vec::new(),
            scratch: TaskScratch::default(),
            proc_stat: None,
            empty: Arc::from(""),
        }
    }

    pub fn config(&self) -> &SamplerConfig {
        &self.config
    }

    pub fn set_interval(&mut self, interval: Duration) {
        self.config.interval = interval;
    }

    /// Returns whether it changed.
    pub fn set_all_threads(&mut self, on: bool) -> bool {
        let changed = self.config.all_threads != on;
        self.config.all_threads = on;
        if !on {
            // Nothing kept for thread rows that are no longer shown (their files close).
            for e in self.procs.values_mut() {
                e.tasks = Vec::new();
            }
        }
        changed
    }

    /// Keep at most `limit` /proc files open (tests; normally from the open-file limit).
    #[cfg(test)]
    fn set_fd_budget(&mut self, limit: usize) {
        self.reader.set_budget(FdBudget::new(limit));
        self.procs.clear();
        self.focus.tasks.clear();
        self.proc_stat = None;
    }

    /// /proc files open now, and the most that may be.
    pub fn kept_files(&self) -> (usize, usize) {
        (self.reader.budget().open(), self.reader.budget().limit())
    }

    /// Returns whether it changed. A new focus starts with no history.
    pub fn set_focus(&mut self, pid: Option<Pid>) -> bool {
        if self.config.focus == pid {
            return false;
        }
        self.config.focus = pid;
        self.focus = FocusState::default();
        true
    }

    /// Reads everything once. Rates compare with the previous call; on the first they are 0/None.
    pub fn sample(&mut self) -> Snapshot {
        self.sample_at(Instant::now())
    }

    /// `sample` with the wall clock given, so tests can fix the elapsed time.
    fn sample_at(&mut self, now: Instant) -> Snapshot {
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
        let mut processes = Vec::with_capacity(filter.map_or(pid_list.len(), <[Pid]>::len));
        let (mut n_procs, mut n_threads, mut n_kthreads, mut n_running) = (0u32, 0u32, 0u32, 0u32);
        let mut focus_proc: Option<(ProcessSample, f64)> = None;

        let live = self.reader.is_live();
        for &pid in &pid_list {
            let mut kept = self.procs.get_mut(&pid).and_then(|e| e.stat.take());
            let parsed = match self.reader.read_kept(&mut kept, Some(pid), None, "stat") {
                // A stat whose PID is not its directory's is corrupt (the kernel writes the same
                // number in both): left out, or it would show as a second row for another process.
                Ok(buf) => parse_stat(buf).filter(|st| st.pid == pid).map(|st| {
                    let p = process_from_stat(&st, hz, self.page_size, boot_time, mem_total, &self.empty);
                    (p, st.cpu_ticks())
                }),
                Err(_) => None,
            };
            let Some((mut p, ticks)) = parsed else {
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

        let focus = focus_pid.map(|pid| self.sample_focus(pid, focus_proc, elapsed, &mut vanished));

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
            stats: SamplerStats { sample_duration: started.elapsed(), own_cpu_percent, vanished },
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
        name: st.comm_lossy(),
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
    }
}

fn thread_from_stat(st: &Stat<'_>, hz: u64, cpu_percent: f32) -> ThreadSample {
    ThreadSample {
        tid: st.pid,
        name: st.comm_lossy(),
        state: char::from(st.state),
        cpu_percent,
        cpu_time_ms: rates::ticks_to_ms(st.cpu_ticks(), hz),
        last_cpu: st.processor,
        nice: st.nice,
        priority: st.priority,
    }
}

/// Reads every thread of `pid` into `tasks` (its threads from the last call, in listing order,
/// updated in place) with `read`, which returns None for a thread that is gone or unreadable.
/// Returns the rows in listing order, or the error of listing `task/`.
///
/// With `expected` (the process's thread count from its stat, given only under a live procfs):
/// when it equals the number of threads known and every one of them reads, the set is exactly
/// those threads (none left, so none came either) and `task/` is not listed at all. A thread read
/// by a kept file can't be mistaken for another: the file fails once its thread is gone. Any
/// doubt (a count that differs, a thread gone) lists `task/` and carries over the rows already
/// read.
fn refresh_tasks<E: TaskSlot, O>(
    reader: &mut ProcReader,
    scratch: &mut TaskScratch,
    pid: Pid,
    expected: Option<usize>,
    tasks: &mut Vec<E>,
    vanished: &mut u32,
    mut read: impl FnMut(&mut ProcReader, &mut E) -> Option<O>,
) -> io::Result<Vec<O>> {
    let mut early: Vec<O> = Vec::with_capacity(expected.unwrap_or(tasks.len()));
    if expected.is_some_and(|n| n > 0 && n == tasks.len()) {
        for e in tasks.iter_mut() {
            match read(reader, e) {
                Some(o) => early.push(o),
                None => break,
            }
        }
        if early.len() == tasks.len() {
            return Ok(early);
        }
    }

    let listed = reader.list_tasks(pid, &mut scratch.tids);
    if let Err(e) = listed {
        tasks.clear();
        return Err(e);
    }
    let read_before = early.len();
    let mut early: Vec<Option<O>> = early.into_iter().map(Some).collect();
    let mut old = std::mem::take(tasks);
    scratch.index.clear();
    scratch.index.extend(old.iter().enumerate().map(|(i, e)| (e.tid(), i)));
    let mut out = Vec::with_capacity(scratch.tids.len());
    tasks.reserve(scratch.tids.len());
    for &tid in &scratch.tids {
        let (mut e, row) = match scratch.index.remove(&tid) {
            Some(i) => {
                let row = if i < read_before { early[i].take() } else { None };
                (std::mem::take(&mut old[i]), row)
            }
            None => (E::with_tid(tid), None),
        };
        match row.or_else(|| read(reader, &mut e)) {
            Some(o) => {
                out.push(o);
                tasks.push(e);
            }
            None => *vanished += 1,
        }
    }
    Ok(out)
}

/// One `task/TID/stat` per thread, for all-threads mode. A thread that can't be listed (the
/// process exited after its stat was read) gives no rows.
#[allow(clippy::too_many_arguments)]
fn read_threads(
    reader: &mut ProcReader,
    scratch: &mut TaskScratch,
    pid: Pid,
    expected: Option<usize>,
    tasks: &mut Vec<TaskEntry>,
    hz: u64,
    elapsed: Duration,
    vanished: &mut u32,
) -> Vec<ThreadSample> {
    let read = |reader: &mut ProcReader, e: &mut TaskEntry| {
        let st = parse_stat(reader.read_kept(&mut e.stat, Some(pid), Some(e.tid), "stat").ok()?)
            .filter(|st| st.pid == e.tid)?;
        let ticks = st.cpu_ticks();
        let cpu = if e.start_ticks == Some(st.starttime) { thread_cpu(e.ticks, ticks, hz, elapsed) } else { 0.0 };
        (e.start_ticks, e.ticks) = (Some(st.starttime), ticks);
        Some(thread_from_stat(&st, hz, cpu))
    };
    refresh_tasks(reader, scratch, pid, expected, tasks, vanished, read).unwrap_or_default()
}

impl Sampler {
    /// stat + status + schedstat of every thread of the focused process.
    fn sample_focus(
        &mut self,
        pid: Pid,
        current: Option<(ProcessSample, f64)>,
        elapsed: Duration,
        vanished: &mut u32,
    ) -> FocusSample {
        let Some((process, cores_in_use)) = current else {
            return self.focus_gone(pid);
        };
        let hz = self.hz;
        let expected = self.reader.is_live().then_some(process.num_threads as usize);
        let read = |reader: &mut ProcReader, t: &mut FocusTask| {
            let tid = t.tid;
            let st = parse_stat(reader.read_kept(&mut t.stat, Some(pid), Some(tid), "stat").ok()?)
                .filter(|st| st.pid == tid)?;
            let (ticks, start_ticks) = (st.cpu_ticks(), st.starttime);
            let same = t.start_ticks == Some(start_ticks);
            let cpu = if same { thread_cpu(t.ticks, ticks, hz, elapsed) } else { 0.0 };
            let thread = thread_from_stat(&st, hz, cpu);
            // A new thread (or a reused TID) has no history.
            let prev = |v: Option<u64>| if same { v } else { None };
            let (prev_vol, prev_nonvol, prev_wait) = (prev(t.voluntary), prev(t.nonvoluntary), prev(t.wait_ns));

            // status and schedstat may be gone by now, or schedstat absent (no CONFIG_SCHEDSTATS):
            // the thread stays, with those columns unknown.
            let status = reader
                .read_kept(&mut t.status, Some(pid), Some(tid), "status")
                .ok()
                .and_then(parse_status)
                .unwrap_or_default();
            let wait_ns = reader
                .read_kept(&mut t.schedstat, Some(pid), Some(tid), "schedstat")
                .ok()
                .and_then(parse_schedstat)
                .map(|s| s.wait_ns);
            let voluntary = status.voluntary_ctxt_switches;
            let nonvoluntary = status.nonvoluntary_ctxt_switches;
            let rate = |p: Option<u64>, c: Option<u64>| rates::per_sec(p?, c?, elapsed);
            (t.start_ticks, t.ticks, t.voluntary, t.nonvoluntary, t.wait_ns) =
                (Some(start_ticks), ticks, voluntary, nonvoluntary, wait_ns);
            Some(ThreadDetail {
                is_main: tid == pid,
                voluntary,
                nonvoluntary,
                voluntary_per_sec: rate(prev_vol, voluntary),
                nonvoluntary_per_sec: rate(prev_nonvol, nonvoluntary),
                wait_percent: prev_wait.zip(wait_ns).and_then(|(p, c)| rates::wait_percent(p, c, elapsed)),
                thread,
            })
        };
        let threads = match refresh_tasks(
            &mut self.reader,
            &mut self.scratch,
            pid,
            expected,
            &mut self.focus.tasks,
            vanished,
            read,
        ) {
            Ok(threads) => threads,
            Err(e) => {
                if is_gone(&e) {
                    return self.focus_gone(pid);
                }
                let path = self.reader.root().join(pid.to_string()).join("task");
                let error = if e.kind() == io::ErrorKind::PermissionDenied {
                    format!("permission denied reading {}", path.display())
                } else {
                    format!("cannot read {}: {e}", path.display())
                };
                let f = FocusSample {
                    pid,
                    process: Some(process),
                    alive: true,
                    error: Some(error),
                    threads: Vec::new(),
                    cores_in_use,
                };
                self.focus.last = Some(f.clone());
                return f;
            }
        };
        let f = FocusSample { pid, process: Some(process), alive: true, error: None, threads, cores_in_use };
        self.focus.last = Some(f.clone());
        f
    }

    /// The focused process is not there (any more): keep what was last seen of it.
    fn focus_gone(&mut self, pid: Pid) -> FocusSample {
        self.focus.tasks.clear();
        match &self.focus.last {
            Some(last) if last.process.is_some() => {
                FocusSample { alive: false, error: None, cores_in_use: 0.0, ..last.clone() }
            }
            _ => FocusSample {
                pid,
                process: None,
                alive: false,
                error: Some(format!("no such process: {pid}")),
                threads: Vec::new(),
                cores_in_use: 0.0,
            },
        }
    }
}

/// One thread can't use more than one core; tick rounding can make it look like it did.
fn thread_cpu(prev: u64, cur: u64, hz: u64, elapsed: Duration) -> f32 {
    rates::cpu_percent(prev, cur, hz, elapsed).min(100.0)
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
fn process_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return None;
    }
    Some(Duration::new(u64::try_from(ts.tv_sec).ok()?, u32::try_from(ts.tv_nsec).ok()?))
}

/// Messages to the sampler thread.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    Interval(Duration),
    /// Fill every process's threads (htop's `H`). Samples at once when it changes.
    AllThreads(bool),
    /// Read this process's threads in detail. Samples at once when it changes.
    Focus(Option<Pid>),
    /// No sampling while paused; resuming samples at once.
    Pause(bool),
    /// Sample now.
    Now,
}

/// The latest snapshot, or None before the first. A stale one is replaced, never queued.
pub type SnapshotReceiver = watch::Receiver<Option<Arc<Snapshot>>>;

/// Owns the sampler thread. Dropping it stops and joins the thread at once, mid-interval.
pub struct SamplerHandle {
    tx: Option<mpsc::Sender<Control>>,
    rx: SnapshotReceiver,
    thread: Option<JoinHandle<()>>,
}

impl SamplerHandle {
    /// A receiver of the latest snapshot. If the sampler thread dies (a panic), `changed()`
    /// returns an error.
    pub fn snapshots(&self) -> SnapshotReceiver {
        self.rx.clone()
    }

    /// Ignored once the thread has stopped.
    pub fn send(&self, control: Control) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(control);
        }
    }

    /// False once the thread has ended (it only ends on drop, or by panicking).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for SamplerHandle {
    fn drop(&mut self) {
        // Closing the channel wakes the thread's recv_timeout at once.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The second sample comes this soon after the first (and after a focus change), so CPU%
/// becomes real quickly instead of after a whole interval.
const QUICK_FOLLOW_UP: Duration = Duration::from_millis(250);

/// Starts the `tt-sampler` thread. It samples at once, again ~250 ms later, then every interval.
pub fn spawn(config: SamplerConfig) -> io::Result<SamplerHandle> {
    spawn_inner(config, test_panic_from_env())
}

/// Test hook (`THREADTOP_TEST_PANIC`): `sampler` panics the sampler thread after its first
/// sample; `sampler-when:PATH` after the first sample taken once PATH exists, so a test can
/// launch demos first and then see that a panic still takes them down.
#[derive(Clone, Debug, PartialEq)]
enum TestPanic {
    AfterFirst,
    WhenExists(PathBuf),
}

impl TestPanic {
    fn due(&self) -> bool {
        match self {
            TestPanic::AfterFirst => true,
            TestPanic::WhenExists(path) => path.exists(),
        }
    }
}

fn test_panic_from_env() -> Option<TestPanic> {
    let v = std::env::var_os("THREADTOP_TEST_PANIC")?;
    if v == "sampler" {
        return Some(TestPanic::AfterFirst);
    }
    let path = v.to_str()?.strip_prefix("sampler-when:")?;
    Some(TestPanic::WhenExists(PathBuf::from(path)))
}

fn spawn_inner(config: SamplerConfig, test_panic: Option<TestPanic>) -> io::Result<SamplerHandle> {
    let (tx, ctl) = mpsc::channel();
    let (out, rx) = watch::channel(None);
    let thread = std::thread::Builder::new()
        .name("tt-sampler".into())
        .spawn(move || run(Sampler::new(config), &ctl, &out, test_panic))?;
    Ok(SamplerHandle { tx: Some(tx), rx, thread: Some(thread) })
}

fn run(
    mut sampler: Sampler,
    ctl: &mpsc::Receiver<Control>,
    out: &watch::Sender<Option<Arc<Snapshot>>>,
    test_panic: Option<TestPanic>,
) {
    let mut paused = false;
    let mut quick = true;
    let mut last_start: Option<Instant> = None;
    let mut next = Instant::now();
    loop {
        let now = Instant::now();
        if !paused && now >= next {
            last_start = Some(now);
            out.send_replace(Some(Arc::new(sampler.sample())));
            if test_panic.as_ref().is_some_and(TestPanic::due) {
                panic!("test panic in sampler");
            }
            let interval = sampler.config().interval;
            let gap = if std::mem::take(&mut quick) { QUICK_FOLLOW_UP.min(interval) } else { interval };
            // On the fixed cadence, but when a sample takes longer than the interval (a huge
            // machine), rest as long as it took: the sampler never holds more than half a core.
            let done = Instant::now();
            next = (now + gap).max(done + (done - now));
            continue;
        }
        let wait = if paused { Duration::from_secs(3600) } else { next.saturating_duration_since(now) };
        match ctl.recv_timeout(wait) {
            Ok(Control::Interval(d)) => {
                sampler.set_interval(d);
                if !quick {
                    next = last_start.map_or(now, |t| t + d);
                }
            }
            Ok(Control::AllThreads(on)) => {
                if sampler.set_all_threads(on) {
                    (next, quick) = (now, true);
                }
            }
            Ok(Control::Focus(pid)) => {
                if sampler.set_focus(pid) {
                    (next, quick) = (now, true);
                }
            }
            Ok(Control::Pause(p)) => {
                if paused && !p {
                    (next, quick) = (now, true);
                }
                paused = p;
            }
            Ok(Control::Now) => next = now,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests;
