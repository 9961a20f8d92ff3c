//! What the event loop waits on besides the keyboard, as traits: where samples come from (the
//! live sampler today, a recording tomorrow, a script in tests) and the lab (the live supervisor
//! and experiment runner, or a stand-in). The live implementations are here; the scripted ones
//! are in `testing`.
//! Part of `runtime`: may import every room; nothing imports it but `main` (and tests).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::app::Action;
use crate::collect::model::Snapshot;
use crate::collect::sampler::{Control, SamplerHandle, SnapshotReceiver};
use crate::lab::Supervisor;
use crate::lab::experiment::{self, ExperimentConfig, ExperimentHandle};
use crate::model::demo::{DemoId, DemoSpec, LabEvent};
use crate::model::experiment::{CompareConfig, ExperimentEvent, ExperimentKind};

/// An experiment is still running, so another was not started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExperimentBusy;

/// Where snapshots come from.
pub trait SampleSource {
    /// The next snapshot; None when the source has ended for good (the sampler thread stopped,
    /// a recording ran out). Must be cancel-safe: the loop drops it when another event wins.
    fn next(&mut self) -> impl Future<Output = Option<Arc<Snapshot>>>;
    /// What to read next: the focused process, all threads, pause, sample now.
    fn control(&mut self, control: Control);
}

/// The demos and experiments, as the loop drives them.
pub trait Lab {
    /// Starts a demo; Err(reason) when it cannot (the supervisor also reports a refusal as an event).
    fn launch(&mut self, spec: DemoSpec) -> Result<DemoId, String>;
    fn stop(&mut self, id: DemoId);
    fn stop_all(&mut self);
    /// Starts an experiment, unless one is still running.
    fn start_experiment(&mut self, kind: ExperimentKind) -> Result<(), ExperimentBusy>;
    /// Starts a compare of the kinds the user picked, unless an experiment is still running.
    fn start_compare(&mut self, config: CompareConfig) -> Result<(), ExperimentBusy>;
    fn cancel_experiment(&mut self);
    /// The next thing a demo or the experiment reported, as an Action. Cancel-safe.
    fn next(&mut self) -> impl Future<Output = Option<Action>>;
    /// Stops every demo and the experiment, and reaps them.
    fn shutdown(&mut self) -> impl Future<Output = ()>;
}

/// The live sampler thread.
pub struct LiveSamples<'a> {
    handle: &'a SamplerHandle,
    rx: SnapshotReceiver,
}

impl<'a> LiveSamples<'a> {
    pub fn new(handle: &'a SamplerHandle) -> LiveSamples<'a> {
        LiveSamples { handle, rx: handle.snapshots() }
    }
}

impl SampleSource for LiveSamples<'_> {
    async fn next(&mut self) -> Option<Arc<Snapshot>> {
        loop {
            // `changed` is cancel-safe; an error means the sampler thread is gone.
            self.rx.changed().await.ok()?;
            if let Some(snap) = self.rx.borrow_and_update().clone() {
                return Some(snap);
            }
        }
    }

    fn control(&mut self, control: Control) {
        self.handle.send(control);
    }
}

/// The live supervisor of demo processes and the experiment runner.
pub struct LiveLab {
    supervisor: Supervisor,
    lab_rx: mpsc::UnboundedReceiver<LabEvent>,
    exe: PathBuf,
    experiment: Option<ExperimentHandle>,
    exp_tx: mpsc::UnboundedSender<ExperimentEvent>,
    exp_rx: mpsc::UnboundedReceiver<ExperimentEvent>,
}

impl LiveLab {
    /// Demo processes re-execute `exe` (threadtop itself).
    pub fn new(exe: PathBuf) -> LiveLab {
        let (lab_tx, lab_rx) = mpsc::unbounded_channel();
        let (exp_tx, exp_rx) = mpsc::unbounded_channel();
        LiveLab { supervisor: Supervisor::new(exe.clone(), lab_tx), lab_rx, exe, experiment: None, exp_tx, exp_rx }
    }
}

impl Lab for LiveLab {
    fn launch(&mut self, spec: DemoSpec) -> Result<DemoId, String> {
        self.supervisor.launch(spec)
    }

    fn stop(&mut self, id: DemoId) {
        self.supervisor.stop(id);
    }

    fn stop_all(&mut self) {
        self.supervisor.stop_all();
    }

    fn start_experiment(&mut self, kind: ExperimentKind) -> Result<(), ExperimentBusy> {
        if self.experiment.as_ref().is_some_and(|h| !h.is_finished()) {
            return Err(ExperimentBusy);
        }
        let config = ExperimentConfig::default_for(kind, crate::model::catalog::logical_cores());
        self.experiment = Some(experiment::start(config, self.exe.clone(), self.exp_tx.clone()));
        Ok(())
    }

    fn start_compare(&mut self, config: CompareConfig) -> Result<(), ExperimentBusy> {
        if self.experiment.as_ref().is_some_and(|h| !h.is_finished()) {
            return Err(ExperimentBusy);
        }
        let config = ExperimentConfig::Compare(config);
        self.experiment = Some(experiment::start(config, self.exe.clone(), self.exp_tx.clone()));
        Ok(())
    }

    fn cancel_experiment(&mut self) {
        if let Some(h) = &self.experiment {
            h.cancel();
        }
    }

    async fn next(&mut self) -> Option<Action> {
        // Both receivers stay open as long as we hold their senders, so this waits, and
        // `recv` is cancel-safe.
        tokio::select! {
            Some(e) = self.lab_rx.recv() => Some(Action::Lab(e)),
            Some(e) = self.exp_rx.recv() => Some(Action::Experiment(e)),
        }
    }

    async fn shutdown(&mut self) {
        if let Some(h) = self.experiment.take() {
            h.cancel();
            h.wait().await;
        }
        self.supervisor.shutdown().await;
    }
}
