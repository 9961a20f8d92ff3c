//! /proc, read independently of what threadtop reports: one parser of /proc/PID/stat, a
//! process's descendants watched over time (`Observer`), and the demo processes a test started,
//! known by PID and start time so that nobody else's process counts as this test's leftover.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub type Pid = i32;

pub fn cores() -> u32 {
    std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1)
}

/// USER_HZ: the unit of utime/stime in /proc.
pub fn clock_ticks_per_sec() -> u64 {
    // SAFETY: sysconf with a constant name has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(hz).unwrap_or(100).max(1)
}

fn clk_tck() -> f64 {
    clock_ticks_per_sec() as f64
}

/// What /proc/PID/stat says, or None if the process is gone.
#[derive(Clone, Debug)]
pub struct Stat {
    pub comm: String,
    pub state: char,
    pub ppid: Pid,
    pub ticks: u64,
    pub starttime: u64,
}

pub fn stat(pid: Pid) -> Option<Stat> {
    // Lossy: a process may name itself with any bytes, and the fields after the name are ASCII.
    parse_stat(&String::from_utf8_lossy(&fs::read(format!("/proc/{pid}/stat")).ok()?))
}

/// The kernel's one-letter state of a PID, None when it is gone.
pub fn proc_state(pid: Pid) -> Option<char> {
    stat(pid).map(|s| s.state)
}

/// utime + stime of a process in clock ticks.
pub fn cpu_ticks(pid: Pid) -> Option<u64> {
    stat(pid).map(|s| s.ticks)
}

/// Alive: there, not a zombie (its reaping is its parent's business).
pub fn alive(pid: Pid) -> bool {
    !matches!(proc_state(pid), None | Some('Z') | Some('X'))
}

/// A `Name:\tvalue` line of /proc/PID/status, as a number (e.g. `VmRSS` in KiB, `Threads`).
pub fn status_number(pid: Pid, key: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?;
    line[key.len() + 1..].split_whitespace().next()?.parse().ok()
}

fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = text.get(close + 2..)?.split(' ').collect();
    // rest[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
    let field = |n: usize| rest.get(n - 3).copied();
    Some(Stat {
        comm,
        state: field(3)?.chars().next()?,
        ppid: field(4)?.parse().ok()?,
        ticks: field(14)?.parse::<u64>().ok()? + field(15)?.parse::<u64>().ok()?,
        starttime: field(22)?.parse().ok()?,
    })
}

/// Each thread's name and CPU ticks, from /proc/PID/task/*/stat.
pub fn threads(pid: Pid) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    if let Ok(dir) = fs::read_dir(format!("/proc/{pid}/task")) {
        for task in dir.flatten() {
            if let Some(s) = fs::read_to_string(task.path().join("stat")).ok().and_then(|t| parse_stat(&t)) {
                out.push((s.comm, s.ticks));
            }
        }
    }
    out
}

fn all_pids() -> Vec<Pid> {
    fs::read_dir("/proc")
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// Busy ticks of all CPUs so far (everything but idle and iowait), from /proc/stat.
pub fn busy_ticks() -> u64 {
    let text = fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) else {
        return 0;
    };
    let f: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal
    [0, 1, 2, 5, 6, 7].iter().filter_map(|&i| f.get(i)).sum()
}

/// One process seen under the root.
#[derive(Clone, Debug)]
pub struct Seen {
    pub pid: Pid,
    pub ppid: Pid,
    pub comm: String,
    pub starttime: u64,
    pub states: BTreeSet<char>,
    pub threads: BTreeSet<String>,
    /// CPU ticks per thread name, as last seen.
    pub thread_ticks: BTreeMap<String, u64>,
    pub last_ticks: u64,
}

#[derive(Clone, Debug)]
pub struct Sample {
    pub at: Instant,
    /// Processes under the root alive (not Z) at this sample.
    pub alive: usize,
    /// Their CPU ticks summed.
    pub ticks: u64,
    /// Busy ticks of the whole machine.
    pub busy: u64,
}

/// Watches the descendants of one process.
pub struct Observer {
    pub root: Pid,
    pub started: Instant,
    pub seen: BTreeMap<Pid, Seen>,
    pub samples: Vec<Sample>,
}

impl Observer {
    pub fn new(root: Pid) -> Observer {
        Observer { root, started: Instant::now(), seen: BTreeMap::new(), samples: Vec::new() }
    }

    /// One look at /proc: every descendant of the root, with its threads' names.
    pub fn poll(&mut self) {
        self.look(true);
    }

    /// One look at the descendants without their threads: cheaper, for a watcher that only needs
    /// who they are.
    pub fn poll_family_only(&mut self) {
        self.look(false);
    }

    fn look(&mut self, with_threads: bool) {
        let stats: Vec<(Pid, Stat)> = all_pids().into_iter().filter_map(|p| stat(p).map(|s| (p, s))).collect();
        let mut family: BTreeSet<Pid> = BTreeSet::from([self.root]);
        loop {
            let before = family.len();
            for (pid, s) in &stats {
                if family.contains(&s.ppid) {
                    family.insert(*pid);
                }
            }
            if family.len() == before {
                break;
            }
        }
        let busy = busy_ticks();
        let mut alive = 0;
        let mut ticks = 0;
        for (pid, s) in &stats {
            if *pid == self.root || !family.contains(pid) {
                continue;
            }
            let entry = self.seen.entry(*pid).or_insert_with(|| Seen {
                pid: *pid,
                ppid: s.ppid,
                comm: s.comm.clone(),
                starttime: s.starttime,
                states: BTreeSet::new(),
                threads: BTreeSet::new(),
                thread_ticks: BTreeMap::new(),
                last_ticks: 0,
            });
            if entry.starttime != s.starttime {
                continue;
            }
            entry.comm = s.comm.clone();
            entry.states.insert(s.state);
            if s.state != 'Z' {
                entry.last_ticks = entry.last_ticks.max(s.ticks);
                for (name, t) in threads(*pid).into_iter().filter(|_| with_threads) {
                    let seen = entry.thread_ticks.entry(name.clone()).or_default();
                    *seen = (*seen).max(t);
                    entry.threads.insert(name);
                }
                alive += 1;
                ticks += s.ticks;
            }
        }
        self.samples.push(Sample { at: Instant::now(), alive, ticks, busy });
    }

    pub fn named(&self, prefix: &str) -> Vec<&Seen> {
        self.seen.values().filter(|s| s.comm.starts_with(prefix)).collect()
    }

    /// Polls until `done` holds or `timeout` passes.
    pub fn poll_until(&mut self, timeout: Duration, mut done: impl FnMut(&Observer) -> bool) -> bool {
        let end = Instant::now() + timeout;
        loop {
            self.poll();
            if done(self) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            sleep(Duration::from_millis(20));
        }
    }

    /// Cores used by the root's descendants and by everything else on the machine, over the
    /// samples where `alive` of them ran, skipping their first `warmup`.
    pub fn cores_over_run(&self, alive: usize, warmup: Duration) -> Option<Load> {
        let full: Vec<&Sample> = self.samples.iter().filter(|s| s.alive == alive).collect();
        let first_at = full.first()?.at;
        let a = full.iter().find(|s| s.at >= first_at + warmup)?;
        let b = full.last()?;
        let wall = b.at.duration_since(a.at).as_secs_f64();
        if wall < 0.5 {
            return None;
        }
        let tck = clk_tck();
        let demo = (b.ticks.saturating_sub(a.ticks)) as f64 / tck / wall;
        let all = (b.busy.saturating_sub(a.busy)) as f64 / tck / wall;
        Some(Load { demo, others: (all - demo).max(0.0), wall })
    }

    /// CPU seconds of every descendant, as last seen alive.
    pub fn total_cpu_seconds(&self) -> f64 {
        self.seen.values().map(|s| s.last_ticks).sum::<u64>() as f64 / clk_tck()
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Cores the demo's processes used.
    pub demo: f64,
    /// Cores everything else used meanwhile.
    pub others: f64,
    pub wall: f64,
}

impl Load {
    /// Cores the rest of the machine left free during the run.
    pub fn free(&self) -> f64 {
        (f64::from(cores()) - self.others).max(0.0)
    }
}

/// The spec's bar for N spinning workers: 0.8 × min(N, cores), whatever else the machine runs.
pub fn spec_bar(workers: u32) -> f64 {
    0.8 * f64::from(workers.min(cores()))
}

/// Whether the process seen is gone: no /proc entry, a zombie (its reaping is its parent's
/// business), or a different process under a reused PID.
pub fn is_gone(pid: Pid, starttime: u64) -> bool {
    match stat(pid) {
        None => true,
        Some(s) => s.state == 'Z' || s.starttime != starttime,
    }
}

/// Waits up to `timeout` for every process in `seen` to be gone; the survivors otherwise.
pub fn survivors_after(seen: &[(Pid, u64, String)], timeout: Duration) -> Vec<String> {
    let end = Instant::now() + timeout;
    loop {
        let left: Vec<String> = seen
            .iter()
            .filter(|(pid, start, _)| !is_gone(*pid, *start))
            .map(|(pid, _, name)| format!("{name} ({pid})"))
            .collect();
        if left.is_empty() || Instant::now() >= end {
            return left;
        }
        sleep(Duration::from_millis(20));
    }
}

pub fn identities(obs: &Observer) -> Vec<(Pid, u64, String)> {
    obs.seen.values().map(|s| (s.pid, s.starttime, s.comm.clone())).collect()
}

/// Every `tt-*` demo process descending from one root (a threadtop this test started), as
/// (PID, start time, name): this test's and nobody else's, even after the root is gone and
/// its orphans are re-parented. A thread looks at /proc every 50 ms from `watch` until drop, so
/// a demo that lives only between two looks of the test is still counted.
pub struct Demos {
    root: Pid,
    seen: Arc<Mutex<BTreeMap<(Pid, u64), String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Demos {
    pub fn watch(root: Pid) -> Demos {
        let seen: Arc<Mutex<BTreeMap<(Pid, u64), String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut obs = Observer::new(root);
            while !st.load(Ordering::Relaxed) {
                obs.poll_family_only();
                let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
                for d in obs.seen.values().filter(|d| d.comm.starts_with("tt-")) {
                    s.entry((d.pid, d.starttime)).or_insert_with(|| d.comm.clone());
                }
                drop(s);
                // Light enough beside the CPU a test measures; a demo process that lives less
                // than this between two looks (a spawn-cost child) is not one that could linger.
                sleep(Duration::from_millis(50));
            }
        });
        let demos = Demos { root, seen, stop, thread: Some(thread) };
        demos.look();
        demos
    }

    /// One look now, from this thread, so that what a test just saw on screen is counted.
    fn look(&self) {
        let mut obs = Observer::new(self.root);
        obs.poll_family_only();
        let mut s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        for d in obs.seen.values().filter(|d| d.comm.starts_with("tt-")) {
            s.entry((d.pid, d.starttime)).or_insert_with(|| d.comm.clone());
        }
    }

    /// The demo processes of this root alive now: (PID, name).
    pub fn alive(&self) -> Vec<(Pid, String)> {
        self.look();
        let s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        s.iter().filter(|((pid, start), _)| !is_gone(*pid, *start)).map(|((pid, _), n)| (*pid, n.clone())).collect()
    }

    /// Every demo process seen so far, alive or not: (PID, start time, name).
    pub fn seen(&self) -> Vec<(Pid, u64, String)> {
        self.look();
        let s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        s.iter().map(|((pid, start), n)| (*pid, *start, n.clone())).collect()
    }

    /// Waits up to `timeout` until every demo process seen is gone; what is left otherwise.
    pub fn left_after(&self, timeout: Duration) -> Vec<String> {
        survivors_after(&self.seen(), timeout)
    }
}

impl Drop for Demos {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs `run` (which returns what it measured and the cores the rest of the machine left free
/// meanwhile) until at least `need` cores were free, up to `attempts` times: a bar on CPU use is
/// never lowered to fit a busy machine. When the machine stays too busy the test fails, unless
/// `THREADTOP_SKIP_BUSY=1` says to leave the bar out (then None).
pub fn with_free_cores<T>(what: &str, need: f64, attempts: u32, mut run: impl FnMut() -> (T, f64)) -> Option<T> {
    let mut frees = Vec::new();
    for _ in 0..attempts.max(1) {
        let (out, free) = run();
        if free >= need {
            return Some(out);
        }
        frees.push(format!("{free:.2}"));
    }
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    if crate::support::opted_out("THREADTOP_SKIP_BUSY") {
        eprintln!("{what}: NOT JUDGED: {} cores free in {} runs, {need:.2} needed", frees.join(", "), frees.len());
        return None;
    }
    panic!(
        "{what}: the machine was too busy to judge it: cores free in {} runs {}, {need:.2} needed (load {}); run it \
         on a quieter machine, or set THREADTOP_SKIP_BUSY=1 to leave this bar out",
        frees.len(),
        frees.join(", "),
        load.trim()
    );
}
#[cfg(test)]
mod tests {
    use super::*;

    /// The leftover check can fail: a `tt-*` process of the watched root that outlives it is
    /// reported, and nothing else on the machine is.
    #[test]
    fn demos_reports_an_orphan_of_its_root_and_nothing_else() {
        let dir = crate::support::Scratch::new("demos-orphan");
        let fake = dir.path("tt-fake-demo");
        std::os::unix::fs::symlink("/bin/sleep", &fake).unwrap();
        let script = format!("{} 30 & wait", fake.display());
        let mut root = std::process::Command::new("sh").args(["-c", &script]).spawn().unwrap();
        let demos = Demos::watch(root.id() as Pid);
        let end = Instant::now() + Duration::from_secs(10);
        while demos.alive().is_empty() && Instant::now() < end {
            sleep(Duration::from_millis(20));
        }
        let alive = demos.alive();
        assert_eq!(alive.len(), 1, "the fake demo is seen: {alive:?}");
        root.kill().unwrap();
        root.wait().unwrap();
        let left = demos.left_after(Duration::from_millis(300));
        let orphan = alive[0].0;
        // SAFETY: a PID this test started, killed once.
        unsafe { libc::kill(orphan, libc::SIGKILL) };
        assert_eq!(left.len(), 1, "the orphan outlived its root: {left:?}");
        assert!(left[0].contains("tt-fake-demo"), "{left:?}");
        assert!(demos.left_after(Duration::from_secs(5)).is_empty(), "gone once killed");
    }

    #[test]
    fn stat_with_spaces_and_parens_in_comm() {
        let s = super::parse_stat("42 (a) b (c)) S 7 42 42 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 1 0 999 0 0").unwrap();
        assert_eq!(s.comm, "a) b (c)");
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, 7);
        assert_eq!(s.ticks, 11);
        assert_eq!(s.starttime, 999);
    }
}
