//! SIGKILL of threadtop: every demo process dies within `BOUND`, of every kind, launched
//! headless (`threadtop demo KIND`) or from the TUI (d, Enter), and it is PDEATHSIG that kills
//! them. This test process makes itself a child subreaper, so the orphans are reparented to it
//! and it can read how each one ended: SIGKILL from PDEATHSIG, not the worker's own, slower
//! lost-parent check (which exits 0). The subreaper attribute is process-wide, so each case runs
//! in a process of its own: this test binary again, as `support::helper` (`in_a_subreaper`).
//!
//! "Dies" means dead: gone, or a zombie waiting for its new parent to reap it. Without a
//! subreaper that parent is PID 1, and how soon PID 1 reaps is PID 1's business: systemd does at
//! once, some container inits only every second or so (see docs/RELIABILITY.md).
//!
//! The Python kinds need python3 (or `THREADTOP_PYTHON`): without it these tests fail, unless
//! `THREADTOP_SKIP_PYTHON=1` says to leave them out.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::helper::command;
use crate::support::*;
use rustix::process::{Pid as RPid, WaitOptions, getpid, set_child_subreaper, waitpid};

/// The most a demo process may outlive threadtop's SIGKILL.
const BOUND: Duration = Duration::from_millis(200);
/// How often /proc is looked at after the SIGKILL.
const POLL: Duration = Duration::from_millis(10);

/// Dead: no /proc entry, a zombie, or a different process under a reused PID.
fn dead(pid: Pid, starttime: u64) -> bool {
    match stat(pid) {
        None => true,
        Some(s) => matches!(s.state, 'Z' | 'X') || s.starttime != starttime,
    }
}

/// Polls every `POLL` until every process of `seen` is dead; how long that took, and who was
/// still alive if it took longer than `limit`.
fn time_to_all_dead(seen: &[(Pid, u64, String)], since: Instant, limit: Duration) -> (Duration, Vec<String>) {
    loop {
        let alive: Vec<String> = seen
            .iter()
            .filter(|(pid, start, _)| !dead(*pid, *start))
            .map(|(pid, _, name)| format!("{name} ({pid})"))
            .collect();
        let took = since.elapsed();
        if alive.is_empty() || took > limit {
            return (took, alive);
        }
        std::thread::sleep(POLL);
    }
}

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
            match waitpid(Some(p), WaitOptions::NOHANG) {
                Ok(Some((_, status))) => {
                    let how = match status.terminating_signal() {
                        Some(sig) => Ok(sig),
                        None => Err(status.exit_status().unwrap_or(-1)),
                    };
                    ended.insert(pid, how);
                }
                Ok(None) => {}
                // Not ours (a transient child its own parent reaped before it was orphaned).
                Err(_) => {
                    ended.insert(pid, Err(-1));
                }
            }
        }
        std::thread::sleep(POLL);
    }
    ended
}

/// The processes seen under the root that are alive now (not the python3 probe, say, which has
/// come and gone): call it just before the SIGKILL.
fn alive_now(obs: &Observer) -> Vec<&Seen> {
    obs.seen.values().filter(|s| !dead(s.pid, s.starttime)).collect()
}

/// After threadtop (`root`, SIGKILLed at `killed`) is gone: every process that was alive under
/// it dies within BOUND, and its direct children (and the Python workers' children) of
/// PDEATHSIG's SIGKILL. Returns the time until all were dead.
fn check_all_die(what: &str, at_kill: &[&Seen], root: Pid, killed: Instant) -> Duration {
    let seen: Vec<(Pid, u64, String)> = at_kill.iter().map(|s| (s.pid, s.starttime, s.comm.clone())).collect();
    let (took, alive) = time_to_all_dead(&seen, killed, Duration::from_secs(3));
    assert!(alive.is_empty(), "{what}: alive 3 s after threadtop's SIGKILL: {alive:?}");
    let all: Vec<i32> = seen.iter().map(|s| s.0).collect();
    let ended = reap_orphans(&all, Duration::from_secs(2));
    eprintln!("{what}: {} processes, all dead {took:?} after the SIGKILL; ended {ended:?}", seen.len());
    assert!(took <= BOUND, "{what}: a demo process outlived threadtop's SIGKILL by {took:?} (bound {BOUND:?})");
    // The workers threadtop started, and what the Python parent started: armed with PDEATHSIG.
    let armed =
        at_kill.iter().filter(|s| s.ppid == root || s.comm.starts_with(threadtop::model::catalog::PY_PROC_PREFIX));
    for s in armed {
        assert_eq!(
            ended.get(&s.pid),
            Some(&Ok(9)),
            "{what}: {} ({}) should die of PDEATHSIG's SIGKILL: {ended:?}",
            s.comm,
            s.pid
        );
    }
    took
}

fn sigkill_kills_every_process_of(kind: &str, n: u32, expect: &[&str]) {
    let n_text = n.to_string();
    let mut child = spawn_demo(&[kind, "-n", &n_text, "--seconds", "30"]);
    let root = child.id() as i32;
    let mut obs = Observer::new(root);
    let all_up =
        obs.poll_until(Duration::from_secs(15), |o| expect.iter().all(|name| o.seen.values().any(|s| s.comm == *name)));
    assert!(all_up, "{kind} did not start: {:?}", obs.seen);
    let at_kill = alive_now(&obs);
    assert!(at_kill.iter().any(|s| s.ppid == root));

    child.kill().expect("SIGKILL threadtop demo");
    let killed = Instant::now();
    let status = child.wait().expect("reap threadtop");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(9));
    check_all_die(kind, &at_kill, root, killed);
}

/// Runs one case (`in_a_subreaper`) in a child subreaper process; fails with its output if the
/// case failed there.
fn in_its_own_process(case: &str) {
    let out = command("pdeathsig", &format!("pdeathsig-{case}"))
        .env("THREADTOP_PDEATHSIG_CASE", case)
        .output()
        .expect("run the case in a process of its own");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{case}: {}\n{stderr}\n{}", out.status, String::from_utf8_lossy(&out.stdout));
    // The helper test ran (not filtered out) and reached the case's end.
    assert!(stderr.contains(&format!("pdeathsig case {case}: done")), "{case} did not run:\n{stderr}");
    // What it measured, for `--nocapture` (libtest shows it only then, or on failure).
    for line in stderr.lines().filter(|l| l.contains("after the SIGKILL")) {
        eprintln!("{line}");
    }
}

/// The body of `support::helper` for THREADTOP_TORTURE_HELPER=pdeathsig: one case, in this
/// process made a child subreaper.
pub fn in_a_subreaper() {
    set_child_subreaper(Some(getpid())).expect("become a child subreaper");
    let case = std::env::var("THREADTOP_PDEATHSIG_CASE").unwrap_or_default();
    match case.as_str() {
        "cpu-procs" => sigkill_kills_every_process_of("cpu-procs", 2, &["tt-cpu-proc-0", "tt-cpu-proc-1"]),
        "cpu-threads" => sigkill_kills_every_process_of("cpu-threads", 2, &["tt-cpu-threads"]),
        "io-threads" => sigkill_kills_every_process_of("io-threads", 8, &["tt-io-threads"]),
        "lock-threads" => sigkill_kills_every_process_of("lock-threads", 4, &["tt-lock-threads"]),
        "zombie" => sigkill_kills_every_process_of("zombie", 1, &["tt-zombie-par", "tt-zombie"]),
        // The largest K, so that it is still creating when the SIGKILL comes.
        "spawn-cost" => {
            sigkill_kills_every_process_of("spawn-cost", threadtop::model::catalog::MAX_SPAWN_K, &["tt-spawn-cost"])
        }
        "py-threads" => sigkill_kills_every_process_of("py-threads", 2, &["tt-py-threads"]),
        "py-procs" => sigkill_kills_every_process_of("py-procs", 2, &["tt-py-procs", "tt-py-proc-0", "tt-py-proc-1"]),
        "tui" => sigkill_of_the_tui(),
        other => panic!("no pdeathsig case {other:?}"),
    }
    eprintln!("pdeathsig case {case}: done");
}

#[test]
fn sigkill_of_threadtop_kills_cpu_procs() {
    let _serial = serial();
    in_its_own_process("cpu-procs");
}

#[test]
fn sigkill_of_threadtop_kills_cpu_threads() {
    let _serial = serial();
    in_its_own_process("cpu-threads");
}

#[test]
fn sigkill_of_threadtop_kills_io_threads() {
    let _serial = serial();
    in_its_own_process("io-threads");
}

#[test]
fn sigkill_of_threadtop_kills_lock_threads() {
    let _serial = serial();
    in_its_own_process("lock-threads");
}

#[test]
fn sigkill_of_threadtop_kills_the_zombie_parent() {
    let _serial = serial();
    in_its_own_process("zombie");
}

#[test]
fn sigkill_of_threadtop_kills_spawn_cost_midway() {
    let _serial = serial();
    in_its_own_process("spawn-cost");
}

/// The Python kinds need python3 (or `THREADTOP_PYTHON`): without it these fail, unless
/// `THREADTOP_SKIP_PYTHON=1` says to leave them out.
#[test]
fn sigkill_of_threadtop_kills_py_threads() {
    let _serial = serial();
    if python_wanted(false) {
        in_its_own_process("py-threads");
    }
}

#[test]
fn sigkill_of_threadtop_kills_py_procs_and_their_children() {
    let _serial = serial();
    if python_wanted(false) {
        in_its_own_process("py-procs");
    }
}

/// The TUI launches through the same supervisor, from its main thread: `d`, Enter starts
/// cpu-threads; a SIGKILL of the TUI kills it as fast.
#[test]
fn sigkill_of_the_tui_kills_the_demo_it_launched() {
    let _serial = serial();
    in_its_own_process("tui");
}

fn sigkill_of_the_tui() {
    let mut tui = Tui::start(&["--interval", "500ms"], &[], 120, 40);
    let root = tui.pid();
    tui.wait_for("COMMAND", Duration::from_secs(15));
    tui.send(b"d");
    tui.wait_for("> cpu-threads", Duration::from_secs(15));
    tui.send(b"\r");
    let mut obs = Observer::new(root);
    let up = obs.poll_until(Duration::from_secs(15), |o| o.seen.values().any(|s| s.comm == "tt-cpu-threads"));
    assert!(up, "the TUI did not launch cpu-threads: {:?}\n{}", obs.seen, tui.screen());
    let at_kill = alive_now(&obs);
    let pid = RPid::from_raw(root).expect("a PID");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("SIGKILL the TUI");
    let killed = Instant::now();
    let status = tui.child.wait().expect("reap the TUI");
    assert!(!status.success());
    check_all_die("cpu-threads from the TUI", &at_kill, root, killed);
}
