//! Shared by the lab tests: watches a process's descendants in /proc, independently of what
//! threadtop reports, and checks that demo processes are gone.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub type Pid = i32;

/// CPU-heavy tests take this, so that they never overlap on a 2-core machine.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn cores() -> u32 {
    std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1)
}

/// USER_HZ: the unit of utime/stime in /proc.
pub fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
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
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    let rest: Vec<&str> = text[close + 2..].split(' ').collect();
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
                for (name, t) in threads(*pid) {
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
    /// The spec's bar, 0.8 × min(N, cores), taken on the cores other processes left free:
    /// on an idle machine it is exactly the spec's; when parallel builds take CPU, a demo
    /// cannot get what they used.
    pub fn bar(&self, workers: u32) -> f64 {
        let free = (f64::from(cores()) - self.others).max(0.25);
        0.8 * f64::from(workers).min(free)
    }
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

/// `threadtop demo ARGS...` with stdout and stderr captured.
pub fn spawn_demo(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_threadtop"))
        .arg("demo")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("threadtop demo starts")
}

/// Waits for the child, killing it after `timeout`.
pub fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let end = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            panic!("threadtop demo did not end within {timeout:?}");
        }
        sleep(Duration::from_millis(20));
    }
}

/// The output of a finished child.
pub fn output(child: Child) -> (String, String) {
    let out = child.wait_with_output().expect("output");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs a demo to its end while watching it: the observer, exit status, stdout and stderr.
pub fn observe_demo(args: &[&str], timeout: Duration) -> (Observer, std::process::ExitStatus, String, String) {
    let mut child = spawn_demo(args);
    let mut obs = Observer::new(child.id() as Pid);
    let end = Instant::now() + timeout;
    let status = loop {
        obs.poll();
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            panic!("threadtop demo {args:?} did not end within {timeout:?}");
        }
        sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = output(child);
    (obs, status, stdout, stderr)
}

#[cfg(test)]
mod tests {
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
