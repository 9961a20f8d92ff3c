//! SIGKILL of `threadtop demo`: no demo process survives it, and it is PDEATHSIG that kills
//! them. This test process makes itself a child subreaper, so the orphans are reparented to
//! it and it can read how each one ended: SIGKILL from PDEATHSIG, not the worker's own, slower
//! lost-parent check (which exits 0). A separate test binary, since the subreaper attribute is
//! process-wide.

mod lab_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lab_support::*;
use rustix::process::{Pid as RPid, WaitOptions, getpid, set_child_subreaper, waitpid};

/// How each orphan ended, reaped by this process: Ok(signal) or Err(exit code).
fn reap_orphans(pids: &[i32], timeout: Duration) -> BTreeMap<i32, Result<i32, i32>> {
    let end = Instant::now() + timeout;
    let mut ended = BTreeMap::new();
    while ended.len() < pids.len() && Instant::now() < end {
        for &pid in pids {
            if ended.contains_key(&pid) {
                continue;
            }
            let Some(p) = RPid::from_raw(pid) else {
                continue;
            };
            if let Ok(Some((_, status))) = waitpid(Some(p), WaitOptions::NOHANG) {
                let how = match status.terminating_signal() {
                    Some(sig) => Ok(sig),
                    None => Err(status.exit_status().unwrap_or(-1)),
                };
                ended.insert(pid, how);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    ended
}

fn sigkill_leaves_nothing(kind: &str, n: u32, expect: &[&str]) {
    set_child_subreaper(Some(getpid())).expect("become a child subreaper");
    let n_text = n.to_string();
    let mut child = spawn_demo(&[kind, "-n", &n_text, "--seconds", "30"]);
    let root = child.id() as i32;
    let mut obs = Observer::new(root);
    let all_up =
        obs.poll_until(Duration::from_secs(10), |o| expect.iter().all(|name| o.seen.values().any(|s| s.comm == *name)));
    assert!(all_up, "{kind} did not start: {:?}", obs.seen);
    let workers: Vec<i32> = obs.seen.values().filter(|s| s.ppid == root).map(|s| s.pid).collect();
    assert!(!workers.is_empty());

    child.kill().expect("SIGKILL threadtop demo");
    let status = child.wait().expect("reap threadtop");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9));
    let t = Instant::now();
    let left = survivors_after(&identities(&obs), Duration::from_secs(2));
    assert!(left.is_empty(), "{kind} survived threadtop's SIGKILL: {left:?}");
    let gone_in = t.elapsed();

    let all: Vec<i32> = obs.seen.keys().copied().collect();
    let ended = reap_orphans(&all, Duration::from_secs(2));
    eprintln!("{kind}: all gone {gone_in:?} after the SIGKILL; ended {ended:?}");
    for pid in &workers {
        assert_eq!(ended.get(pid), Some(&Ok(9)), "{kind}: worker {pid} should die of PDEATHSIG's SIGKILL: {ended:?}");
    }
}

#[test]
fn sigkill_of_threadtop_kills_cpu_procs() {
    let _serial = serial();
    sigkill_leaves_nothing("cpu-procs", 2, &["tt-cpu-proc-0", "tt-cpu-proc-1"]);
}

#[test]
fn sigkill_of_threadtop_kills_cpu_threads() {
    let _serial = serial();
    sigkill_leaves_nothing("cpu-threads", 2, &["tt-cpu-threads"]);
}

#[test]
fn sigkill_of_threadtop_kills_the_zombie_parent() {
    let _serial = serial();
    sigkill_leaves_nothing("zombie", 1, &["tt-zombie-par", "tt-zombie"]);
}
