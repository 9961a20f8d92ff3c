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

/// Something drawn over the current view that takes the keys first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// F6: pick the sort column; the cursor is an index into the view's columns.
    SortMenu {
        cursor: usize,
    },
    /// `k`/F9: pick a signal (index into `act::SIGNALS`).
    SignalMenu {
        cursor: usize,
    },
    /// Confirm sending the pending signal.
    Confirm,
    /// `a`: the core checklist of `App::affinity_edit`.
    Affinity {
        cursor: usize,
    },
    /// `u`: pick a user (index into `App::user_choices`).
    UserMenu {
        cursor: usize,
    },
    /// `e`, `l`, `w`: the text of `App::text_view`.
    Text {
        scroll: u16,
    },
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
