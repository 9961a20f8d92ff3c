//! `threadtop experiment scaling`: every step in the JSON, cpu-threads scaling with the cores,
//! lock-threads not scaling, Ctrl-C cancelling with what was measured, nothing left behind.
//!
//! The CPU-heavy tests take one lock (`serial`) so they never overlap on a 2-core machine.

use std::time::Duration;

use crate::support::{
    Observer, cores, identities, output, serial, survivors_after, wait_with_timeout, with_free_cores,
};
use crate::support::{run_watched, spawn};
use serde_json::Value;

const STEP: f64 = 0.5;
const REPEATS: u64 = 3;

fn step<'a>(json: &'a Value, kind: &str, workers: u64) -> &'a Value {
    json["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["kind"] == kind && s["workers"] == workers))
        .unwrap_or_else(|| panic!("no step {kind} × {workers} in {json}"))
}

fn f(v: &Value, field: &str) -> f64 {
    v[field].as_f64().unwrap_or_else(|| panic!("{field} missing in {v}"))
}

/// Cores the demo could have had at a step: the machine's, less what the rest of the machine
/// used meanwhile (measured by the experiment from /proc/stat, minus the demo's own CPU time).
fn free(step: &Value) -> f64 {
    (f64::from(cores()) - f(step, "other_cores")).max(0.1)
}

#[test]
fn scaling_json_has_every_step_and_threads_scale_but_the_lock_does_not() {
    let _serial = serial();
    let c = cores();
    // Up to the core count (at most 8, to keep the test short on a big machine).
    let max = c.clamp(2, 8);
    let args = [
        "experiment",
        "scaling",
        "--json",
        "--step-seconds",
        &STEP.to_string(),
        "--repeats",
        &REPEATS.to_string(),
        "--max-workers",
        &max.to_string(),
    ];
    // The bars are judged on a run where the machine left the cores free (`with_free_cores`):
    // all cores at `at` workers, and one core at 1 worker.
    let at = u64::from(c.min(max));
    let run = || {
        let ran = run_watched(&args, &[], Duration::from_secs(60));
        let json: Value = serde_json::from_str(ran.stdout.trim()).unwrap_or(Value::Null);
        // Free cores per core asked for, at the worst of the three steps the bars compare,
        // scaled to `at` cores (so the message reads in cores).
        let free = if json.is_null() {
            f64::from(c)
        } else {
            let per_core = (free(step(&json, "cpu-threads", at)) / at as f64)
                .min(free(step(&json, "cpu-threads", 1)).min(1.0))
                .min(free(step(&json, "lock-threads", 1)).min(1.0));
            per_core * at as f64
        };
        (ran, free)
    };
    let need = 0.85 * at as f64;
    let Some(ran) = with_free_cores("experiment scaling", need, 3, run) else { return };
    assert!(ran.status.success(), "{}\nstderr: {}", ran.status, ran.stderr);
    // JSON mode keeps stderr for errors only.
    assert!(ran.stderr.is_empty(), "{}", ran.stderr);
    let json: Value =
        serde_json::from_str(ran.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", ran.stdout));
    eprintln!("{json:#}");
    assert_eq!(json["experiment"], "scaling");
    assert_eq!(json["logical_cores"], c);
    assert_eq!(json["step_seconds"], STEP);
    assert_eq!(json["repeats"], REPEATS);
    assert_eq!(json["cancelled"], false);

    // Every (kind, workers): 1, 2, 4, ... up to max, with the core count among them.
    let mut counts: Vec<u64> =
        std::iter::successors(Some(1u64), |n| Some(n * 2)).take_while(|n| *n <= u64::from(max)).collect();
    counts.extend([u64::from(c.min(max)), u64::from(max)]);
    counts.sort_unstable();
    counts.dedup();
    let steps = json["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 3 * counts.len(), "{json}");
    for kind in ["cpu-threads", "lock-threads", "cpu-procs"] {
        for &w in &counts {
            let s = step(&json, kind, w);
            assert_eq!(s["runs"], REPEATS, "{s}");
            let (lo, med, hi) = (f(s, "ops_per_sec_min"), f(s, "ops_per_sec_median"), f(s, "ops_per_sec_max"));
            assert!(lo > 0.0 && lo <= med && med <= hi, "{s}");
            assert_eq!(f(s, "ops_per_sec"), med, "{s}");
            let runs: Vec<f64> =
                s["ops_per_sec_runs"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            assert_eq!(runs.len() as u64, REPEATS);
            assert!(runs.iter().all(|r| (lo..=hi).contains(r)), "{s}");
            // Each run lasts its step, plus exec and start-up.
            let wall = f(s, "wall_seconds");
            assert!((STEP - 0.05..STEP + 1.0).contains(&wall), "{kind} × {w} ran {wall} s: {s}");
            assert!(f(s, "cores_used") > 0.0, "{s}");
        }
    }
    // Processes were really started: one demo process per run, and for cpu-procs one per worker.
    let names: Vec<&str> = ran.obs.named("tt-").iter().map(|s| s.comm.as_str()).collect();
    for name in ["tt-cpu-threads", "tt-lock-threads", "tt-cpu-proc-0", "tt-cpu-proc-1"] {
        assert!(names.contains(&name), "{name} never seen: {names:?}");
    }

    // cpu-threads at workers = cores vs 1 worker: ≥ 0.75 × cores (1.5× on 2 cores), fixed.
    assert!(c >= 2, "the scaling bar needs 2 logical cores; this machine has {c}");
    let one = step(&json, "cpu-threads", 1);
    let many = step(&json, "cpu-threads", at);
    let bar = 0.75 * f64::from(c.min(max));
    let ratio = f(many, "ops_per_sec") / f(one, "ops_per_sec");
    eprintln!(
        "cpu-threads ×{ratio:.2} at {at} workers; free cores {:.2} at 1, {:.2} at {at}; bar {bar:.2}",
        free(one),
        free(many)
    );
    assert!(ratio >= bar, "cpu-threads only ×{ratio:.2} at {at} workers (bar {bar:.2}): {json}");

    // lock-threads: within 1.4× its 1-worker figure at every N: a lock does not scale.
    let one = step(&json, "lock-threads", 1);
    for &w in &counts[1..] {
        let s = step(&json, "lock-threads", w);
        let bar = 1.4;
        let ratio = f(s, "ops_per_sec") / f(one, "ops_per_sec");
        eprintln!("lock-threads ×{ratio:.2} at {w} workers; bar {bar:.2}");
        assert!(
            ratio <= bar,
            "lock-threads ×{ratio:.2} at {w} workers (bar {bar:.2}): a lock should not scale: {json}"
        );
        assert!(f(s, "cores_used") <= 1.3, "lock-threads used {} cores at {w} workers", f(s, "cores_used"));
    }
}

#[test]
fn ctrl_c_cancels_prints_what_was_measured_and_leaves_nothing() {
    let _serial = serial();
    let mut child = spawn(
        &["experiment", "scaling", "--json", "--step-seconds", "0.6", "--repeats", "1", "--max-workers", "2"],
        &[],
    );
    let mut obs = Observer::new(child.id() as i32);
    // Wait for the second step's demo, so the first step has been measured.
    let up = obs
        .poll_until(Duration::from_secs(10), |o| o.seen.values().filter(|s| s.comm == "tt-cpu-threads").count() >= 2);
    assert!(up, "the second step never started: {:?}", obs.seen);
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("signal threadtop");
    let status = wait_with_timeout(&mut child, Duration::from_secs(5));
    let (stdout, stderr) = output(child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    let json: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    assert_eq!(json["cancelled"], true, "{json}");
    // The first step is kept, the interrupted one is not.
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{json}");
    assert_eq!(steps[0]["kind"], "cpu-threads");
    assert_eq!(steps[0]["workers"], 1);
    let left = survivors_after(&identities(&obs), Duration::from_secs(1));
    assert!(left.is_empty(), "left {left:?}");
}

#[test]
fn text_output_has_the_table_and_the_summary() {
    let _serial = serial();
    let scratch = crate::support::Scratch::new("scaling-show");
    let file = scratch.path("scaling.json");
    let file_arg = file.to_string_lossy().into_owned();
    let ran = run_watched(
        &[
            "experiment",
            "scaling",
            "--step-seconds",
            "0.2",
            "--repeats",
            "1",
            "--max-workers",
            "1",
            "--save",
            &file_arg,
        ],
        &[],
        Duration::from_secs(30),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    for needle in
        ["KIND", "OPS/S", "MIN", "MAX", "SPREAD", "cpu-threads", "lock-threads", "cpu-procs", "each run 0.20 s"]
    {
        assert!(ran.stdout.contains(needle), "{needle:?} missing in\n{}", ran.stdout);
    }
    // Progress goes to stderr, one line per step.
    assert!(ran.stderr.contains("[1/3] cpu-threads × 1 (run 1/1)"), "{}", ran.stderr);
    // `experiment show` prints the saved scaling result as it was printed when it ran.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
        .args(["experiment", "show", &file_arg])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), ran.stdout, "experiment show of a scaling result");
}

#[test]
fn bad_options_exit_2() {
    for args in [&["--step-seconds", "0"][..], &["--repeats", "0"], &["--max-workers", "65"], &["--step-seconds", "-1"]]
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
            .args(["experiment", "scaling"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty());
    }
}
