//! Compare, headless and in the TUI's loop: `threadtop experiment compare` runs each kind for its
//! time, one after the other, and its figures agree with what /proc said of each demo process;
//! the lock keeps lock-threads near one core whatever the load. In process (scripted keys and
//! lab events through the real event loop): the compare screen asks for the kinds ticked, with
//! one N and one duration, and the result shows as one table and one chart.

use std::time::Duration;

use crate::support::{clock_ticks_per_sec, cores, run_watched, serial};
use serde_json::Value;
use threadtop::app::fixtures::snapshot;
use threadtop::app::lab::LabState;
use threadtop::app::{App, Options};
use threadtop::input::keymap::Keymap;
use threadtop::model::demo::DemoKind;
use threadtop::model::experiment::{
    CompareResult, CompareRun, ExperimentEvent, ExperimentKind, ExperimentResult, StepPlan,
};
use threadtop::runtime::testing::Harness;

const STEP: f64 = 1.0;

fn f(v: &Value, field: &str) -> f64 {
    v[field].as_f64().unwrap_or_else(|| panic!("{field} missing in {v}"))
}

#[test]
fn a_compare_runs_each_kind_for_its_time_and_agrees_with_proc() {
    let _serial = serial();
    let args =
        ["experiment", "compare", "--kinds", "cpu-threads,lock-threads", "-n", "2", "--step-seconds", "1", "--json"];
    let ran = run_watched(&args, &[], Duration::from_secs(30));
    assert!(ran.status.success(), "{}\nstderr: {}", ran.status, ran.stderr);
    assert!(ran.stderr.is_empty(), "JSON mode keeps stderr for errors: {}", ran.stderr);
    let json: Value =
        serde_json::from_str(ran.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", ran.stdout));
    eprintln!("{json:#}");
    assert_eq!(json["experiment"], "compare");
    assert_eq!(json["kinds"], serde_json::json!(["cpu-threads", "lock-threads"]));
    assert_eq!(json["workers"], 2);
    assert_eq!(json["logical_cores"], cores());
    assert_eq!(json["cancelled"], false);
    let runs = json["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{json}");
    let tck = clock_ticks_per_sec() as f64;
    for (run, (kind, comm)) in runs.iter().zip([("cpu-threads", "tt-cpu-threads"), ("lock-threads", "tt-lock-threads")])
    {
        assert_eq!(run["kind"], kind);
        assert_eq!(run["workers"], 2);
        let wall = f(run, "wall_seconds");
        assert!((STEP - 0.05..STEP + 1.0).contains(&wall), "{kind} ran {wall} s: {run}");
        // cores used is its CPU time over its wall time.
        let (cpu, used) = (f(run, "cpu_seconds"), f(run, "cores_used"));
        assert!((used - cpu / wall).abs() < 0.02, "{run}");
        // Its CPU time agrees with /proc's ticks of its process, as the test saw them (polled
        // every 50 ms, so up to a poll short).
        let seen: Vec<_> = ran.obs.named(comm);
        assert_eq!(seen.len(), 1, "one {comm} per run: {seen:?}");
        let proc_cpu = seen[0].last_ticks as f64 / tck;
        assert!((cpu - proc_cpu).abs() <= 0.1 + 0.15 * cpu, "{kind}: {cpu} s reported, /proc said {proc_cpu} s");
        let others = f(run, "other_cores");
        assert!((0.0..=f64::from(cores()) + 0.1).contains(&others), "{run}");
    }
    // Behind one lock, two threads use about one core at most, however free the machine is.
    let lock = f(&runs[1], "cores_used");
    assert!(lock <= 1.15, "lock-threads used {lock} cores: {json}");
    // The text form of the same result, as `experiment show` prints it.
    let dir = std::env::temp_dir().join(format!("threadtop-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.json");
    std::fs::write(&file, ran.stdout.trim()).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
        .args(["experiment", "show", &file.to_string_lossy()])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && shown.contains("KIND") && shown.contains("×FIRST"), "{shown}");
    assert!(shown.contains("cores used (of") && shown.contains("lock-threads"), "{shown}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_compare_of_one_kind_or_an_unknown_kind_is_refused_with_exit_2() {
    for (kinds, says) in [
        ("cpu-threads", "2 or 3 kinds"),
        ("cpu-threads,nope", "no demo kind \"nope\""),
        ("spawn-cost,cpu-threads", "runs once"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
            .args(["experiment", "compare", "--kinds", kinds])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{kinds}: {err}");
        assert!(err.contains(says), "{kinds}: {err}");
    }
}

fn run(kind: &str, cores: f64, ops: f64) -> CompareRun {
    CompareRun {
        kind: kind.into(),
        workers: 2,
        wall_seconds: 1.01,
        cpu_seconds: cores * 1.01,
        cores_used: cores,
        ops: ops as u64,
        ops_per_sec: ops,
        other_cores: 0.05,
    }
}

#[test]
fn the_compare_screen_runs_the_kinds_ticked_and_shows_one_table_and_one_chart() {
    let app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(threadtop::runtime::catalog()));
    let mut h = Harness::new(app, 120, 40);
    h.samples.push(snapshot(1));
    h.idle();
    // d: the lab; c: compare (cpu-threads and lock-threads ticked); Down×3 to cpu-procs, Space
    // ticks it third; Space on lock-threads (Up) unticks it; - once; Right twice: 5 s.
    h.keys("dc<Down><Down><Down> <Up> -<Right><Right>");
    assert!(h.screen().contains("ticked: cpu-threads, cpu-procs"), "{}", h.screen());
    h.keys("<Enter>");
    assert_eq!(h.lab.experiments, vec![ExperimentKind::Compare]);
    let asked = &h.lab.compares[0];
    assert_eq!(asked.kinds, vec![DemoKind::CpuThreads, DemoKind::CpuProcs]);
    let n = threadtop::model::catalog::default_workers(DemoKind::CpuThreads).saturating_sub(1).max(1);
    assert_eq!((asked.workers, asked.step), (n, Duration::from_secs(5)));
    // The runner's events, as the real one sends them.
    let steps =
        ["cpu-threads", "cpu-procs"].map(|k| StepPlan { label: format!("{k} × 2"), expected: Duration::from_secs(5) });
    h.lab.push_experiment(ExperimentEvent::Planned { kind: ExperimentKind::Compare, steps: steps.to_vec() });
    let mut result = CompareResult {
        logical_cores: 2,
        workers: 2,
        step_seconds: 5.0,
        kinds: vec!["cpu-threads".into(), "cpu-procs".into()],
        runs: vec![run("cpu-threads", 1.96, 4000.0)],
        cancelled: false,
        started_at: String::new(),
        machine: None,
    };
    h.lab.push_experiment(ExperimentEvent::StepStarted { index: 0 });
    h.lab.push_experiment(ExperimentEvent::StepDone {
        index: 0,
        took: Duration::from_secs(5),
        summary: "4000 ops/s, 1.96 cores".into(),
        result: ExperimentResult::Compare(result.clone()),
    });
    h.idle();
    let screen = h.screen();
    assert!(screen.contains("cpu-procs: still to run"), "{screen}");
    result.runs.push(run("cpu-procs", 1.94, 3900.0));
    h.lab.push_experiment(ExperimentEvent::Finished { result: ExperimentResult::Compare(result) });
    h.idle();
    let screen = h.screen();
    for needle in [
        "KIND",
        "CORES",
        "OPS/S",
        "×FIRST",
        "cpu-procs",
        "×0.97",
        "cores used (full bar = 2 cores)",
        "ops/s (full bar = 4000)",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    assert!(!screen.contains("still to run"), "{screen}");
}
