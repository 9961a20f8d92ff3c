//! The compare experiment: two or three demo kinds the user picks, each run with the same N for
//! the same time, one after the other, so that their cores in use and ops/s sit in one table.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use super::{Ctx, KindsEnd, STEP_OVERHEAD, machine_here, now_rfc3339, run_kinds};
use crate::model::catalog;
use crate::model::experiment::{
    CompareConfig, CompareResult, ExperimentEvent, ExperimentKind, ExperimentResult, StepPlan,
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
    let end = run_kinds(&config.kinds, config.workers, config.step, ctx, |_, run| {
        result.runs.push(run);
        ExperimentResult::Compare(result.clone())
    })
    .await;
    let measured = !result.runs.is_empty();
    match end {
        KindsEnd::Failed(reason) => {
            ExperimentEvent::Failed { reason, result: measured.then_some(ExperimentResult::Compare(result)) }
        }
        KindsEnd::Cancelled => {
            result.cancelled = true;
            ExperimentEvent::Cancelled { result: ExperimentResult::Compare(result) }
        }
        KindsEnd::Done => ExperimentEvent::Finished { result: ExperimentResult::Compare(result) },
    }
}
