//! The python experiment: py-threads, then py-procs, N workers each, on the python3 found on
//! PATH (or `$THREADTOP_PYTHON`); reports each one's cores in use and throughput, and whether
//! the interpreter has its GIL on.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use super::{Ctx, KindsEnd, STEP_OVERHEAD, machine_here, now_rfc3339, run_kinds};
use crate::lab::python;
use crate::model::catalog;
use crate::model::demo::DemoKind;
use crate::model::experiment::{
    ExperimentEvent, ExperimentKind, ExperimentResult, PythonConfig, PythonResult, StepPlan,
};

pub(super) async fn run(config: &PythonConfig, ctx: &mut Ctx) -> ExperimentEvent {
    let info = match python::interpreter() {
        Ok(interpreter) => python::probe(&interpreter).await,
        Err(e) => Err(e),
    };
    let info = match info {
        Ok(info) => info,
        Err(reason) => return ExperimentEvent::Failed { reason, result: None },
    };
    let kinds = [DemoKind::PyThreads, DemoKind::PyProcs];
    let plan = kinds
        .iter()
        .map(|k| StepPlan {
            label: format!("{k} × {}", config.workers),
            // Python's start-up and multiprocessing's import come on top of the step.
            expected: config.step + STEP_OVERHEAD * 2,
        })
        .collect();
    ctx.send(ExperimentEvent::Planned { kind: ExperimentKind::Python, steps: plan });

    let mut result = PythonResult {
        python_version: info.version,
        python_executable: info.executable,
        gil_enabled: info.gil_enabled,
        logical_cores: catalog::logical_cores(),
        workers: config.workers,
        step_seconds: config.step.as_secs_f64(),
        threads: None,
        processes: None,
        cancelled: false,
        started_at: now_rfc3339(),
        machine: Some(Box::new(machine_here())),
    };
    let end = run_kinds(&kinds, config.workers, config.step, ctx, |kind, run| {
        match kind {
            DemoKind::PyThreads => result.threads = Some(run),
            _ => result.processes = Some(run),
        }
        ExperimentResult::Python(result.clone())
    })
    .await;
    let measured = result.threads.is_some() || result.processes.is_some();
    match end {
        KindsEnd::Failed(reason) => {
            ExperimentEvent::Failed { reason, result: measured.then_some(ExperimentResult::Python(result)) }
        }
        KindsEnd::Cancelled => {
            result.cancelled = true;
            ExperimentEvent::Cancelled { result: ExperimentResult::Python(result) }
        }
        KindsEnd::Done => ExperimentEvent::Finished { result: ExperimentResult::Python(result) },
    }
}
