//! Experiments: a question answered with a curve, measured on this machine. Each runs demos (or
//! plain waits) step by step and reports `ExperimentEvent`s (`model::experiment` data).
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.
//!
//! - `scaling`: cpu-threads, lock-threads and cpu-procs at 1, 2, 4, ... workers, repeated.
//! - `io`: N waits run sequentially, in N threads, in N processes.
//! - `python`: py-threads vs py-procs on a real CPython.
//! - `compare`: two or three kinds the user picks, same N and duration, one after the other.
//!
//! Used by `threadtop experiment` (`commands::experiment`) and by the TUI: `start` spawns the
//! runner as a task of the current-thread tokio runtime, `ExperimentHandle::cancel` stops it, and
//! every child it started is reaped before its last event (`Finished`, `Cancelled` or
//! `Failed`). Demos run through a `Supervisor` of the experiment's own, so they keep every rule
//! of the lab's (PDEATHSIG, own process group, stdio on /dev/null, deadlines, caps).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::Supervisor;
use crate::model::demo::{DemoKind, DemoResult, DemoSpec, LabEvent};

mod compare;
mod io;

mod python;
pub mod save;
mod scaling;

pub use crate::model::experiment::{
    CompareConfig, CompareResult, CompareRun, ExperimentConfig, ExperimentEvent, ExperimentKind, ExperimentResult,
    IoConfig, IoResult, Machine, PythonConfig, PythonResult, PythonRun, ScalingConfig, ScalingResult, ScalingRun,
    ScalingStep, StepPlan,
};

/// A running experiment. Dropping it cancels the experiment (its task still stops and reaps
/// its children, as long as the runtime runs; if the runtime is dropped too, the supervisor's
/// and the children's kill-on-drop end them).
pub struct ExperimentHandle {
    cancel: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ExperimentHandle {
    /// Asks the experiment to stop: the step running is stopped, its children reaped, and
    /// `Cancelled` sent with what the completed steps measured. Idempotent.
    pub fn cancel(&self) {
        let _ = self.cancel.send(true);
    }

    /// True once the last event has been sent.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits until the experiment has ended (call `cancel` first to make that quick): its
    /// children are reaped then.
    pub async fn wait(mut self) {
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ExperimentHandle {
    fn drop(&mut self) {
        let _ = self.cancel.send(true);
    }
}

/// Starts `config` as a task of the current tokio runtime; events go to `events`. Call it
/// inside a current-thread runtime, on the thread that lives as long as threadtop (the main
/// thread): the experiment's children are spawned from that thread, which PDEATHSIG needs.
/// `exe` is threadtop's own binary (`lab::self_exe()`).
pub fn start(
    config: ExperimentConfig,
    exe: PathBuf,
    events: mpsc::UnboundedSender<ExperimentEvent>,
) -> ExperimentHandle {
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let task = tokio::spawn(run(config, exe, events, Cancel(cancel_rx)));
    ExperimentHandle { cancel: cancel_tx, task: Some(task) }
}

/// Runs `config` to its end, sending events; `start` is this as a task.
async fn run(config: ExperimentConfig, exe: PathBuf, events: mpsc::UnboundedSender<ExperimentEvent>, cancel: Cancel) {
    if let Err(reason) = config.check() {
        let _ = events.send(ExperimentEvent::Failed { reason, result: None });
        return;
    }
    let mut ctx = Ctx { exe, events, cancel };
    let last = match config {
        ExperimentConfig::Scaling(c) => scaling::run(&c, &mut ctx).await,
        ExperimentConfig::Io(c) => io::run(&c, &mut ctx).await,
        ExperimentConfig::Python(c) => python::run(&c, &mut ctx).await,
        ExperimentConfig::Compare(c) => compare::run(&c, &mut ctx).await,
    };
    let _ = ctx.events.send(last);
}

/// The cancel flag a running experiment watches. Set, or its sender dropped: either cancels.
#[derive(Clone, Debug)]
struct Cancel(watch::Receiver<bool>);

impl Cancel {
    fn is_set(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Returns once cancelled (at once if it already is).
    async fn wait(&mut self) {
        let _ = self.0.wait_for(|c| *c).await;
    }
}

/// What every experiment's steps need.
struct Ctx {
    exe: PathBuf,
    events: mpsc::UnboundedSender<ExperimentEvent>,
    cancel: Cancel,
}

impl Ctx {
    fn send(&self, event: ExperimentEvent) {
        let _ = self.events.send(event);
    }
}

/// How a demo step ended.
enum DemoOutcome {
    /// Ran its full time.
    Done { result: DemoResult, other_cores: f64 },
    /// Stopped because the experiment was cancelled; not a measurement.
    Cancelled,
}

/// How a run of kinds one after the other ended (the python and compare experiments).
enum KindsEnd {
    Done,
    Cancelled,
    Failed(String),
}

/// Runs `kinds` one after the other, each with `workers` for `step`, as steps 0, 1, ... of the
/// plan already sent. `file` puts each measured run into the experiment's result and returns
/// that result, which the step's event carries.
async fn run_kinds(
    kinds: &[DemoKind],
    workers: u32,
    step: Duration,
    ctx: &mut Ctx,
    mut file: impl FnMut(DemoKind, PythonRun) -> ExperimentResult,
) -> KindsEnd {
    let (lab_tx, mut lab_events) = mpsc::unbounded_channel();
    let mut lab = Supervisor::new(ctx.exe.clone(), lab_tx);
    let mut end = KindsEnd::Done;
    for (index, &kind) in kinds.iter().enumerate() {
        if ctx.cancel.is_set() {
            end = KindsEnd::Cancelled;
            break;
        }
        ctx.send(ExperimentEvent::StepStarted { index });
        let started = Instant::now();
        let spec = DemoSpec { kind, workers, duration: step };
        let (r, other_cores) = match run_demo(&mut lab, &mut lab_events, spec, index, ctx).await {
            Ok(DemoOutcome::Done { result: r, other_cores }) => (r, other_cores),
            Ok(DemoOutcome::Cancelled) => {
                end = KindsEnd::Cancelled;
                break;
            }
            Err(reason) => {
                end = KindsEnd::Failed(reason);
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
        let result = file(kind, run);
        ctx.send(ExperimentEvent::StepDone { index, took: started.elapsed(), summary, result });
    }
    lab.shutdown().await;
    end
}

/// Runs one demo through `lab` to its end as step `index`, forwarding its live figures. The
/// demo is stopped if the experiment is cancelled meanwhile; either way it is reaped when this
/// returns. Also measures how many cores the rest of the machine used meanwhile.
async fn run_demo(
    lab: &mut Supervisor,
    lab_events: &mut mpsc::UnboundedReceiver<LabEvent>,
    spec: DemoSpec,
    index: usize,
    ctx: &mut Ctx,
) -> Result<DemoOutcome, String> {
    let kind = spec.kind;
    let busy_before = busy_cpu_seconds();
    let started = Instant::now();
    let id = lab.launch(spec)?;
    let mut stopped = false;
    let mut failure = None;
    let result = loop {
        tokio::select! {
            event = lab_events.recv() => match event {
                Some(LabEvent::Progress { id: of, elapsed, ops_per_sec, cores, .. }) if of == id => {
                    ctx.send(ExperimentEvent::StepProgress { index, elapsed, ops_per_sec, cores });
                }
                Some(LabEvent::Failed { id: of, reason }) if of == id => failure = Some(reason),
                Some(LabEvent::Finished { id: of, result }) if of == id => break result,
                Some(_) => {}
                None => return Err("the lab stopped reporting".to_owned()),
            },
            () = ctx.cancel.wait(), if !stopped => {
                stopped = true;
                lab.stop(id);
            }
        }
    };
    if let Some(reason) = failure {
        return Err(format!("{kind} failed: {reason}"));
    }
    if stopped {
        return Ok(DemoOutcome::Cancelled);
    }
    if result.stopped_early {
        return Err(format!("{kind} was stopped before its time (by a signal from outside?)"));
    }
    let wall = started.elapsed().as_secs_f64();
    let other_cores = match (busy_before, busy_cpu_seconds()) {
        (Some(a), Some(b)) if wall > 0.0 => ((b - a - result.cpu_seconds) / wall).max(0.0),
        _ => 0.0,
    };
    Ok(DemoOutcome::Done { result, other_cores })
}

/// CPU seconds the whole machine has been busy since boot (all but idle and iowait), from
/// /proc/stat; None where it cannot be read.
fn busy_cpu_seconds() -> Option<f64> {
    use crate::collect::system::{ProcStat, parse_proc_stat};
    let bytes = std::fs::read("/proc/stat").ok()?;
    let mut stat = ProcStat::default();
    parse_proc_stat(&bytes, &mut stat);
    let t = stat.total?;
    let busy = t.total().saturating_sub(t.idle).saturating_sub(t.iowait);
    Some(busy as f64 / procfs::ticks_per_second().max(1) as f64)
}

/// This machine, for a result's `machine`: the figures `threadtop info` shows.
fn machine_here() -> Machine {
    let id = crate::collect::system::identity();
    Machine {
        cpu_model: id.cpu_model.clone(),
        logical_cores: u32::try_from(id.logical_cores).unwrap_or(u32::MAX),
        kernel: id.kernel.clone(),
        threadtop_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// Now, as RFC 3339 UTC to the second, for `started_at`.
fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// The time a step is expected to take beyond its own duration: exec, start-up, reaping.
const STEP_OVERHEAD: Duration = Duration::from_millis(150);
