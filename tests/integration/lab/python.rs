//! The Python demos on a real CPython: `threadtop demo py-threads|py-procs --json` checked
//! against /proc (names, cores in use), `threadtop experiment python`, the multiprocessing
//! children dying with threadtop, and the message when python3 is missing.
//!
//! They need python3 (a GIL build): without it they fail, unless `THREADTOP_SKIP_PYTHON=1` says
//! to leave them out (.ci/run installs it). A bar on cores used is never lowered on a busy
//! machine: the run is repeated, then fails unless `THREADTOP_SKIP_BUSY=1`. The CPU-heavy tests
//! take the one lock (`serial`) so they never overlap on a 2-core machine.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::{Observer, Seen, cores, identities, serial, survivors_after, with_free_cores};
use crate::support::{python_wanted, run_watched, spawn};
use serde_json::Value;

const RUN: &str = "2.5";

/// N for the demos: the cores, at most 4 (and at least 2, so there is something to compare).
fn n() -> u32 {
    cores().clamp(2, 4)
}

/// py-procs' bar: 1.5 cores (two workers on two free cores, less the interpreters' start-up).
const PROCS_BAR: f64 = 1.5;

fn demo(kind: &str, n: u32) -> (crate::support::Ran, Value) {
    let n = n.to_string();
    let ran = run_watched(&["demo", kind, "-n", &n, "--seconds", RUN, "--json"], &[], Duration::from_secs(30));
    assert!(ran.status.success(), "{kind}: {}\nstderr: {}", ran.status, ran.stderr);
    let json: Value =
        serde_json::from_str(ran.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", ran.stdout));
    eprintln!("{kind}: {json}");
    assert_eq!(json["kind"], kind);
    assert_eq!(json["stopped_early"], false);
    let wall = json["wall_seconds"].as_f64().unwrap();
    // At least as long as asked; how long the interpreter's start-up adds (pyenv's shim is a
    // shell script) is the machine's business, and the timeout bounds it.
    assert!(wall >= 2.4, "{kind} ran {wall} s");
    assert!(json["ops"].as_u64().unwrap() > 0, "{json}");
    let pids: BTreeSet<i32> = json["pids"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap() as i32).collect();
    // The demo's own processes; a wrapper script on PATH (pyenv's shim is one) runs helpers of
    // its own for a moment before it execs the interpreter: those are not the demo's.
    let seen: BTreeSet<i32> = ran.obs.named("tt-").iter().map(|s| s.pid).collect();
    assert_eq!(pids, seen, "{kind}: the result's pids are the processes /proc showed: {:?}", ran.obs.seen);
    (ran, json)
}

#[test]
fn py_threads_take_turns_on_the_gil() {
    let _serial = serial();
    if !python_wanted(true) {
        return;
    }
    let n = n();
    let (ran, json) = demo("py-threads", n);
    let procs: Vec<&Seen> = ran.obs.named("tt-");
    assert_eq!(procs.len(), 1, "one process: {procs:?}");
    assert_eq!(procs[0].comm, "tt-py-threads");
    for i in 0..n {
        assert!(procs[0].threads.contains(&format!("py-{i}")), "no thread py-{i}: {:?}", procs[0].threads);
    }
    let load = ran.obs.cores_over_run(1, Duration::from_millis(500)).expect("enough samples");
    let reported = json["cores_used"].as_f64().unwrap();
    eprintln!("py-threads N={n}: reported {reported:.2}, /proc {load:?}");
    assert!(reported <= 1.3, "py-threads used {reported:.2} cores: the GIL lets one thread run at a time");
    assert!(load.demo <= 1.3, "/proc: {load:?}");
}

#[test]
fn py_procs_use_several_cores() {
    let _serial = serial();
    if !python_wanted(true) {
        return;
    }
    let n = n();
    let judged = with_free_cores("py-procs", PROCS_BAR + 0.1, 3, || {
        let (ran, json) = demo("py-procs", n);
        // N workers and their parent alive.
        let load = ran.obs.cores_over_run(n as usize + 1, Duration::from_millis(500)).expect("enough samples");
        let free = load.free();
        ((ran, json, load), free)
    });
    let Some((ran, json, load)) = judged else { return };
    let names: BTreeSet<String> = ran.obs.named("tt-").iter().map(|s| s.comm.clone()).collect();
    let mut expected: BTreeSet<String> = (0..n).map(|i| format!("tt-py-proc-{i}")).collect();
    expected.insert("tt-py-procs".to_owned());
    assert_eq!(names, expected);
    let parent = ran.obs.named("tt-py-procs")[0].pid;
    for child in ran.obs.named("tt-py-proc-") {
        assert_eq!(child.ppid, parent, "{child:?}");
    }
    let reported = json["cores_used"].as_f64().unwrap();
    let bar = PROCS_BAR;
    eprintln!("py-procs N={n}: reported {reported:.2}, /proc {load:?}, bar {bar:.2}");
    assert!(reported >= bar, "py-procs used {reported:.2} cores (bar {bar:.2})");
    assert!(load.demo >= bar, "/proc: {load:?} below {bar:.2}");
}

#[test]
fn experiment_python_shows_the_gil() {
    let _serial = serial();
    if !python_wanted(true) {
        return;
    }
    let n = n().to_string();
    let scratch = crate::support::Scratch::new("python-show");
    let file = scratch.path("python.json");
    let file_arg = file.to_string_lossy().into_owned();
    let run = || {
        let ran = run_watched(
            &["experiment", "python", "--json", "-n", &n, "--step-seconds", "1.5", "--save", &file_arg],
            &[],
            Duration::from_secs(30),
        );
        assert!(ran.status.success(), "{}\n{}", ran.status, ran.stderr);
        let json: Value =
            serde_json::from_str(ran.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", ran.stdout));
        let free = f64::from(cores()) - json["processes"]["other_cores"].as_f64().unwrap_or(f64::from(cores()));
        (json, free)
    };
    let judged = with_free_cores("experiment python", PROCS_BAR + 0.1, 3, run);
    // What the last run saved, judged or not: its shape and `experiment show` of it.
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    eprintln!("{json:#}");
    assert_eq!(json["experiment"], "python");
    assert_eq!(json["gil_enabled"], true);
    assert!(json["python_version"].as_str().unwrap().starts_with("3."), "{json}");
    let threads = &json["threads"];
    let procs = &json["processes"];
    assert_eq!(threads["kind"], "py-threads");
    assert_eq!(procs["kind"], "py-procs");
    let t = threads["cores_used"].as_f64().unwrap();
    let p = procs["cores_used"].as_f64().unwrap();
    assert!(t <= 1.3, "py-threads used {t:.2} cores");

    // `experiment show` prints the saved python result: both kinds, with their figures.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
        .args(["experiment", "show", &file_arg])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout);
    for needle in ["py-threads", "py-procs", &format!("{t:.2}"), &format!("{p:.2}")] {
        assert!(shown.contains(needle), "{needle:?} missing in experiment show:\n{shown}");
    }

    // The bar, on a run where the machine left the cores free.
    if let Some(json) = judged {
        let t = json["threads"]["cores_used"].as_f64().unwrap();
        let p = json["processes"]["cores_used"].as_f64().unwrap();
        assert!(p >= PROCS_BAR, "py-procs used {p:.2} cores (bar {PROCS_BAR:.2})");
        // The lesson: processes beat the GIL.
        assert!(p > t + 0.3, "py-procs ({p:.2}) should use clearly more cores than py-threads ({t:.2})");
    }
}

#[test]
fn sigkill_of_threadtop_takes_the_multiprocessing_children_along() {
    let _serial = serial();
    if !python_wanted(true) {
        return;
    }
    let mut child = spawn(&["demo", "py-procs", "-n", "2", "--seconds", "30", "--json"], &[]);
    let mut obs = Observer::new(child.id() as i32);
    let up = obs.poll_until(Duration::from_secs(15), |o| o.named("tt-py-proc-").len() == 2);
    assert!(up, "the workers never started: {:?}", obs.seen);
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("SIGKILL threadtop");
    let _ = child.wait();
    // PDEATHSIG: threadtop's death kills the python3 parent, whose death kills its children.
    let left = survivors_after(&identities(&obs), Duration::from_secs(3));
    assert!(left.is_empty(), "left after SIGKILL of threadtop: {left:?}");
}

#[test]
fn without_python3_the_python_entries_say_how_to_get_it() {
    let empty = std::env::temp_dir().join(format!("threadtop-no-python-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    for args in [&["demo", "py-threads", "--seconds", "1"][..], &["demo", "py-procs"], &["experiment", "python"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
            .args(args)
            .env("PATH", &empty)
            .env_remove("THREADTOP_PYTHON")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("python3") && stderr.contains("apt-get install python3"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    // Everything else still works without it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
        .args(["demo", "io-threads", "-n", "1", "--seconds", "0.3", "--json"])
        .env("PATH", &empty)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir(&empty);
}
