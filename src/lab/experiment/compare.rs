//! The compare experiment: two or three demo kinds the user picks, each run with the same N for
//! the same time, one after the other, so that their cores in use and ops/s sit in one table.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::time::Instant;

use tokio::sync::mpsc;

use super::{Ctx, DemoOutcome, STEP_OVERHEAD, machine_here, now_rfc3339, run_demo};
use crate::lab::Supervisor;
use crate::model::catalog;
use crate::model::demo::DemoSpec;
use crate::model::experiment::{
    CompareConfig, CompareResult, CompareRun, ExperimentEvent, ExperimentKind, ExperimentResult, StepPlan,
};

pub(super) async fn run(config: &CompareConfig, ctx: &mut Ctx) -> ExperimentEvent {
    let plan = config
        .kinds
        .iter()
        .map(|k| {
            // A Python demo starts an interpreter first.
            let overhead = if k.needs_python() { STEP_OVERHEAD * 2 } else { STEP_OVERHEAD };
            StepPlan { label: format!("{k} × {}", config.workers), expected: config.step + overhead }
        })
        .collect();
    ctx.send(ExperimentEvent::Planned { kind: ExperimentKind::Compare, steps: plan });
    let mut result = CompareResult {
        logical_cores: catalog::logical_cores(),
        workers: config.workers,
        step_seconds: config.step.as_secs_f64(),
        kinds: config.kinds.iter().map(|k| k.name().to_owned()).collect(),
        runs: Vec::new(),
        cancelled: false,
        started_at: now_rfc3339(),
        machine: Some(Box::new(machine_here())),
    };
    let (lab_tx, mut lab_events) = mpsc::unbounded_channel();
    let mut lab = Supervisor::new(ctx.exe.clone(), lab_tx);
    let mut failure = None;
    for (index, &kind) in config.kinds.iter().enumerate() {
        if ctx.cancel.is_set() {
            result.cancelled = true;
            break;
        }
        ctx.send(ExperimentEvent::StepStarted { index });
        let started = Instant::now();
        let spec = DemoSpec { kind, workers: config.workers, duration: config.step };
        let (r, other_cores) = match run_demo(&mut lab, &mut lab_events, spec, index, ctx).await {
            Ok(DemoOutcome::Done { result: r, other_cores }) => (r, other_cores),
            Ok(DemoOutcome::Cancelled) => {
                result.cancelled = true;
                break;
            }
            Err(reason) => {
                failure = Some(reason);
                break;
            }
        };
        let run = CompareRun {
            kind: r.kind,
            workers: r.workers,
            wall_seconds: r.wall_seconds,
            cpu_seconds: r.cpu_seconds,
            cores_used: r.cores_used,
            ops: r.ops,
            ops_per_sec: r.ops_per_sec,
            other_cores,
        };
        let summary = format!("{:.0} ops/s, {:.2} cores", run.ops_per_sec, run.cores_used);
        result.runs.push(run);
        ctx.send(ExperimentEvent::StepDone {
            index,
            took: started.elapsed(),
            summary,
            result: ExperimentResult::Compare(result.clone()),
        });
    }
    lab.shutdown().await;
    let measured = !result.runs.is_empty();
    match failure {
        Some(reason) => {
            ExperimentEvent::Failed { reason, result: measured.then_some(ExperimentResult::Compare(result)) }
        }
        None if result.cancelled => ExperimentEvent::Cancelled { result: ExperimentResult::Compare(result) },
        None => ExperimentEvent::Finished { result: ExperimentResult::Compare(result) },
    }
}
