//! Tests of the experiment data: plans, statistics, the results' JSON and their words.

use std::time::Duration;

use super::demo::DemoKind;
use super::experiment::*;

fn run(kind: DemoKind, workers: u32, rate: f64) -> ScalingRun {
    ScalingRun {
        kind: kind.name().into(),
        workers,
        ops_per_sec: rate,
        cores_used: rate / 100.0,
        wall_seconds: 1.0,
        cpu_seconds: rate / 100.0,
        other_cores: 0.1,
    }
}

#[test]
fn worker_counts_double_and_include_the_cores() {
    let c = |max| ScalingConfig { max_workers: max, ..ScalingConfig::for_cores(2) };
    assert_eq!(c(4).worker_counts(2), vec![1, 2, 4]);
    assert_eq!(c(12).worker_counts(6), vec![1, 2, 4, 6, 8, 12]);
    assert_eq!(c(2).worker_counts(2), vec![1, 2]);
    assert_eq!(c(3).worker_counts(8), vec![1, 2, 3]);
    assert_eq!(c(1).worker_counts(1), vec![1]);
    assert_eq!(ScalingConfig::for_cores(2).worker_counts(2), vec![1, 2, 4]);
    assert_eq!(ScalingConfig::for_cores(48).max_workers, MAX_SCALING_WORKERS);
}

#[test]
fn stats_are_min_median_max() {
    assert_eq!(Stats::of(&[3.0, 1.0, 2.0]), Stats { min: 1.0, median: 2.0, max: 3.0 });
    assert_eq!(Stats::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
    assert_eq!(Stats::of(&[]), Stats { min: 0.0, median: 0.0, max: 0.0 });
    assert_eq!(Stats::of(&[f64::NAN, 5.0]).median, 5.0);
}

#[test]
fn runs_fold_into_steps_by_kind_then_workers() {
    let runs = vec![
        run(DemoKind::LockThreads, 1, 100.0),
        run(DemoKind::CpuThreads, 2, 190.0),
        run(DemoKind::CpuThreads, 1, 100.0),
        run(DemoKind::CpuThreads, 1, 90.0),
        run(DemoKind::CpuThreads, 1, 120.0),
    ];
    let steps = aggregate(&runs, &[DemoKind::CpuThreads, DemoKind::LockThreads]);
    let keys: Vec<(&str, u32)> = steps.iter().map(|s| (s.kind.as_str(), s.workers)).collect();
    assert_eq!(keys, vec![("cpu-threads", 1), ("cpu-threads", 2), ("lock-threads", 1)]);
    let one = &steps[0];
    assert_eq!((one.ops_per_sec_min, one.ops_per_sec_median, one.ops_per_sec_max), (90.0, 100.0, 120.0));
    assert_eq!(one.ops_per_sec, one.ops_per_sec_median);
    assert_eq!(one.runs, 3);
    assert_eq!(one.ops_per_sec_runs, vec![100.0, 90.0, 120.0]);
    assert!((one.spread() - 0.3).abs() < 1e-12);
    let result = ScalingResult {
        logical_cores: 2,
        step_seconds: 1.0,
        repeats: 3,
        steps,
        cancelled: false,
        started_at: String::new(),
        machine: None,
        total_seconds: 5.0,
        max_workers: 2,
    };
    assert_eq!(result.kinds(), vec!["cpu-threads", "lock-threads"]);
    assert_eq!(result.speedup("cpu-threads", 2), Some(1.9));
    assert_eq!(result.speedup("lock-threads", 2), None);
}

#[test]
fn results_round_trip_through_json_tagged_by_experiment() {
    let io = ExperimentResult::Io(IoResult {
        n: 4,
        wait_seconds: 0.2,
        sequential_s: Some(0.8),
        threads_s: Some(0.2),
        processes_s: None,
        logical_cores: 2,
        cancelled: true,
        started_at: "2026-05-09T04:30:00Z".into(),
        machine: None,
    });
    let text = serde_json::to_string(&io).unwrap();
    assert!(text.starts_with(r#"{"experiment":"io","n":4,"wait_seconds":0.2,"sequential_s":0.8"#), "{text}");
    assert!(text.contains(r#""processes_s":null"#), "{text}");
    assert_eq!(serde_json::from_str::<ExperimentResult>(&text).unwrap(), io);
    // The spec's fields alone are enough to show a result again.
    let bare = r#"{"experiment":"io","n":4,"wait_seconds":1,"sequential_s":4.0,"threads_s":1.0,"processes_s":1.01}"#;
    let back: ExperimentResult = serde_json::from_str(bare).unwrap();
    assert_eq!(back.kind(), ExperimentKind::Io);
    assert!(!back.cancelled());
}

#[test]
fn time_left_scales_the_plan_by_what_steps_took() {
    let s = |secs| StepPlan { label: String::new(), expected: Duration::from_secs(secs) };
    let plan = vec![s(2), s(2), s(2), s(4)];
    let d = Duration::from_secs;
    assert_eq!(time_left(&plan, 0, Duration::ZERO, Duration::ZERO), d(10));
    assert_eq!(time_left(&plan, 0, Duration::ZERO, d(1)), d(9));
    // Two steps took 5 s against 4 planned: the rest is expected 1.25 times longer.
    assert_eq!(time_left(&plan, 2, d(5), Duration::ZERO), Duration::from_millis(7500));
    // The current step past its estimate counts as done, not negative.
    assert_eq!(time_left(&plan, 3, d(6), d(9)), Duration::ZERO);
    assert_eq!(time_left(&plan, 4, d(10), Duration::ZERO), Duration::ZERO);
}

#[test]
fn configs_are_checked() {
    let mut s = ScalingConfig::for_cores(2);
    assert_eq!(s.check(), Ok(()));
    s.step = Duration::from_millis(50);
    assert!(s.check().unwrap_err().contains("--step-seconds"));
    s.step = Duration::from_secs(1);
    s.repeats = 0;
    assert!(s.check().is_err());
    s.repeats = 1;
    s.max_workers = 65;
    assert!(s.check().is_err());
    assert!(IoConfig { tasks: 0, wait: Duration::from_secs(1) }.check().is_err());
    assert!(IoConfig { tasks: 4, wait: Duration::ZERO }.check().is_err());
    assert!(IoConfig { tasks: 65, wait: Duration::from_secs(1) }.check().is_err());
    assert_eq!(IoConfig::default(), IoConfig { tasks: 4, wait: Duration::from_secs(1) });
    assert!(PythonConfig { workers: 64, step: Duration::from_secs(1) }.check().is_err());
}
