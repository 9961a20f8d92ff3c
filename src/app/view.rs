//! Which screen is showing (an overlay, which floats over it, is in overlays.rs).
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

/// The main screens. The lab's carries which of its screens shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Processes,
    Threads,
    Lab(LabScreen),
}

impl View {
    /// The lab as it opens: its catalogue of demos.
    pub const LAB: View = View::Lab(LabScreen::Catalog);

    pub fn name(self) -> &'static str {
        match self {
            View::Processes => "process list",
            View::Threads => "threads view",
            View::Lab(_) => "lab",
        }
    }
}

/// An open text prompt in the footer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    Search,
    Filter,
}

/// What the lab view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabScreen {
    /// The demos and the demo panel.
    Catalog,
    /// `e`: pick an experiment.
    Picker { cursor: usize },
    /// The experiment running or last run.
    Experiment,
    /// `c`: pick two or three kinds to run one after the other.
    Compare,
    /// `l`: the lessons' index.
    Lessons,
    /// The lesson being walked, step by step.
    Lesson,
}
