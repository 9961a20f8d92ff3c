//! The scaling experiment: each demo kind at 1, 2, 4, ... workers for a fixed time, repeated,
//! through one supervisor. Runs go in rounds (every point once, then every point again), so a
//! burst of load from elsewhere spreads over the points instead of spoiling one of them.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::time::Instant;

use tokio::sync::mpsc;

use super::{Ctx, DemoOutcome, STEP_OVERHEAD, machine_here, now_rfc3339, run_demo};
use crate::lab::Supervisor;
use crate::model::catalog;
use crate::model::demo::{DemoKind, DemoSpec};
use crate::model::experiment::{
    ExperimentEvent, ExperimentKind, ExperimentResult, ScalingConfig, ScalingResult, ScalingRun, StepPlan, aggregate,
};

/// The runs in the order they go: `(kind, workers, repeat)`.
pub(super) fn schedule(config: &ScalingConfig, cores: u32) -> Vec<(DemoKind, u32, u32)> {
    let counts = config.worker_counts(cores);
    let mut runs = Vec::new();
    for repeat in 0..config.repeats {
        for &kind in &config.kinds {
            for &w in &counts {
                runs.push((kind, w, repeat));
            }
        }
    }
    runs
}

pub(super) async fn run(config: &ScalingConfig, ctx: &mut Ctx) -> ExperimentEvent {
    let cores = catalog::logical_cores();
    let runs = schedule(config, cores);
    let plan: Vec<StepPlan> = runs
        .iter()
        .map(|(kind, w, r)| StepPlan {
            label: format!("{kind} × {w} (run {}/{})", r + 1, config.repeats),
            expected: config.step + STEP_OVERHEAD,
        })
        .collect();
    ctx.send(ExperimentEvent::Planned { kind: ExperimentKind::Scaling, steps: plan });

    let started = Instant::now();
    let mut result = ScalingResult {
        logical_cores: cores,
        step_seconds: config.step.as_secs_f64(),
        repeats: config.repeats,
        steps: Vec::new(),
        cancelled: false,
        started_at: now_rfc3339(),
        machine: Some(Box::new(machine_here())),
        total_seconds: 0.0,
        max_workers: runs.iter().map(|r| r.1).max().unwrap_or(1),
    };
    let (lab_tx, mut lab_events) = mpsc::unbounded_channel();
    let mut lab = Supervisor::new(ctx.exe.clone(), lab_tx);
    let mut measured: Vec<ScalingRun> = Vec::new();
    let mut failure = None;
    for (index, &(kind, workers, _)) in runs.iter().enumerate() {
        if ctx.cancel.is_set() {
            result.cancelled = true;
            break;
        }
        ctx.send(ExperimentEvent::StepStarted { index });
        let step_started = Instant::now();
        let spec = DemoSpec { kind, workers, duration: config.step };
        let summary = match run_demo(&mut lab, &mut lab_events, spec, index, ctx).await {
            Ok(DemoOutcome::Done { result: r, other_cores }) => {
                let summary = format!("{:.0} ops/s, {:.2} cores", r.ops_per_sec, r.cores_used);
                measured.push(ScalingRun {
                    kind: r.kind,
                    workers: r.workers,
                    ops_per_sec: r.ops_per_sec,
                    cores_used: r.cores_used,
                    wall_seconds: r.wall_seconds,
                    cpu_seconds: r.cpu_seconds,
                    other_cores,
                });
                summary
            }
            Ok(DemoOutcome::Cancelled) => {
                result.cancelled = true;
                break;
            }
            Err(reason) => {
                failure = Some(reason);
                break;
            }
        };
        result.steps = aggregate(&measured, &config.kinds);
        result.total_seconds = started.elapsed().as_secs_f64();
        ctx.send(ExperimentEvent::StepDone {
            index,
            took: step_started.elapsed(),
            summary,
            result: ExperimentResult::Scaling(result.clone()),
        });
    }
    // Every demo reaped before the last event.
    lab.shutdown().await;
    result.steps = aggregate(&measured, &config.kinds);
    result.total_seconds = started.elapsed().as_secs_f64();
    let partial = (!measured.is_empty()).then(|| ExperimentResult::Scaling(result.clone()));
    match failure {
        Some(reason) => ExperimentEvent::Failed { reason, result: partial },
        None if result.cancelled => ExperimentEvent::Cancelled { result: ExperimentResult::Scaling(result) },
        None => ExperimentEvent::Finished { result: ExperimentResult::Scaling(result) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn runs_go_in_rounds_over_every_point() {
        let config = ScalingConfig {
            step: Duration::from_secs(1),
            repeats: 2,
            max_workers: 4,
            kinds: vec![DemoKind::CpuThreads, DemoKind::LockThreads],
        };
        let runs = schedule(&config, 2);
        assert_eq!(runs.len(), 2 * 2 * 3);
        assert_eq!(
            &runs[..3],
            &[(DemoKind::CpuThreads, 1, 0), (DemoKind::CpuThreads, 2, 0), (DemoKind::CpuThreads, 4, 0)]
        );
        assert_eq!(runs[3], (DemoKind::LockThreads, 1, 0));
        assert_eq!(runs[6], (DemoKind::CpuThreads, 1, 1));
    }
}
