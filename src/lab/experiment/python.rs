//! The python experiment: py-threads, then py-procs, N workers each, on the python3 found on
//! PATH (or `$THREADTOP_PYTHON`); reports each one's cores in use and throughput, and whether
//! the interpreter has its GIL on.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::time::Instant;

use tokio::sync::mpsc;

use super::{Ctx, DemoOutcome, STEP_OVERHEAD, machine_here, now_rfc3339, run_demo};
use crate::lab::{Supervisor, python};
use crate::model::catalog;
use crate::model::demo::{DemoKind, DemoSpec};
use crate::model::experiment::{
    ExperimentEvent, ExperimentKind, ExperimentResult, PythonConfig, PythonResult, PythonRun, StepPlan,
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
    let (lab_tx, mut lab_events) = mpsc::unbounded_channel();
    let mut lab = Supervisor::new(ctx.exe.clone(), lab_tx);
    let mut failure = None;
    for (index, kind) in kinds.into_iter().enumerate() {
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
        let run = PythonRun {
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
        match kind {
            DemoKind::PyThreads => result.threads = Some(run),
            _ => result.processes = Some(run),
        }
        ctx.send(ExperimentEvent::StepDone {
            index,
            took: started.elapsed(),
            summary,
            result: ExperimentResult::Python(result.clone()),
        });
    }
    lab.shutdown().await;
    let measured = result.threads.is_some() || result.processes.is_some();
    match failure {
        Some(reason) => {
            ExperimentEvent::Failed { reason, result: measured.then_some(ExperimentResult::Python(result)) }
        }
        None if result.cancelled => ExperimentEvent::Cancelled { result: ExperimentResult::Python(result) },
        None => ExperimentEvent::Finished { result: ExperimentResult::Python(result) },
    }
}
