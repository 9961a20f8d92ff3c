//! Which screen is showing, and what floats over it.

/// The main screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Processes,
    Threads,
    Lab,
}

impl View {
    pub fn name(self) -> &'static str {
        match self {
            View::Processes => "process list",
            View::Threads => "threads view",
            View::Lab => "lab",
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
}
