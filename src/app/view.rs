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
    Help { scroll: u16 },
    /// F6: pick the sort column; the cursor is an index into the view's columns.
    SortMenu { cursor: usize },
}
