//! What the app asks the runtime to do. The runtime carries each out and reports what came of it
//! back as an `Action` (`Action::Outcome`, `Action::AffinityLoaded`, `Action::ShowText`).
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::app::action::{Inspect, Target};
use crate::collect::model::Pid;
use crate::model::demo::{DemoId, DemoSpec};
use crate::model::experiment::ExperimentKind;

/// What the runtime must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Read this process's threads in detail (None: no process is drilled into).
    Focus(Option<Pid>),
    /// Read every thread of every process (htop's `H`).
    AllThreads(bool),
    Launch(DemoSpec),
    StopDemo(DemoId),
    StopAllDemos,
    /// Send a signal to each target that is still the process the user chose.
    Signal {
        targets: Vec<Target>,
        sig: i32,
    },
    /// Change nice by `delta`: of one thread, or of every thread of the process.
    Renice {
        pid: Pid,
        tid: Option<Pid>,
        delta: i32,
    },
    /// Read the current affinity, to edit (answered with `Action::AffinityLoaded`).
    LoadAffinity {
        pid: Pid,
        tid: Option<Pid>,
        /// The machine's logical cores: the checklist's length.
        cores: usize,
    },
    SetAffinity {
        pid: Pid,
        tid: Option<Pid>,
        allowed: Vec<bool>,
    },
    /// Read environ or fd/ (answered with `Action::ShowText`).
    Inspect {
        what: Inspect,
        pid: Pid,
    },
    /// Stop or resume sampling.
    Pause(bool),
    StartExperiment(ExperimentKind),
    /// Run a compare: its kinds one after the other (an experiment like the others).
    StartCompare(crate::model::experiment::CompareConfig),
    CancelExperiment,
    /// Write this experiment result as JSON under the data directory.
    SaveExperiment(Box<crate::model::experiment::ExperimentResult>),
}
