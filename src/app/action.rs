//! Messages into the app: user intents (`Command`, named so the keymap and config can bind them)
//! and everything else that happened (`Action`).

use std::path::PathBuf;
use std::sync::Arc;

use crate::collect::model::{Pid, Snapshot};
use crate::model::demo::LabEvent;
use crate::model::experiment::ExperimentEvent;

/// A user intent that a key can be bound to. The name (`as_str`) is what the config file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Back,
    Search,
    SearchNext,
    Filter,
    ToggleTree,
    Collapse,
    Expand,
    SortMenu,
    SortNext,
    SortPrev,
    SortCpu,
    SortMem,
    SortTime,
    SortPid,
    InvertSort,
    ToggleThreads,
    ToggleKernel,
    OpenLab,
    StopDemo,
    StopAllDemos,
    Increase,
    Decrease,
    Left,
    Right,
    Help,
    Quit,
    Kill,
    NiceDown,
    NiceUp,
    Tag,
    TagChildren,
    UntagAll,
    ToggleFollow,
    Pause,
    UserMenu,
    Affinity,
    Environment,
    OpenFiles,
    FullCommand,
    Yes,
    No,
    CpuGraph,
    Experiments,
    Save,
}

impl Command {
    pub const ALL: [Command; 51] = [
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::Home,
        Command::End,
        Command::Enter,
        Command::Back,
        Command::Search,
        Command::SearchNext,
        Command::Filter,
        Command::ToggleTree,
        Command::Collapse,
        Command::Expand,
        Command::SortMenu,
        Command::SortNext,
        Command::SortPrev,
        Command::SortCpu,
        Command::SortMem,
        Command::SortTime,
        Command::SortPid,
        Command::InvertSort,
        Command::ToggleThreads,
        Command::ToggleKernel,
        Command::OpenLab,
        Command::StopDemo,
        Command::StopAllDemos,
        Command::Increase,
        Command::Decrease,
        Command::Left,
        Command::Right,
        Command::Help,
        Command::Quit,
        Command::Kill,
        Command::NiceDown,
        Command::NiceUp,
        Command::Tag,
        Command::TagChildren,
        Command::UntagAll,
        Command::ToggleFollow,
        Command::Pause,
        Command::UserMenu,
        Command::Affinity,
        Command::Environment,
        Command::OpenFiles,
        Command::FullCommand,
        Command::Yes,
        Command::No,
        Command::CpuGraph,
        Command::Experiments,
        Command::Save,
    ];

    /// The action's name in config files and the help screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Home => "home",
            Command::End => "end",
            Command::Enter => "enter",
            Command::Back => "back",
            Command::Search => "search",
            Command::SearchNext => "search_next",
            Command::Filter => "filter",
            Command::ToggleTree => "toggle_tree",
            Command::Collapse => "collapse",
            Command::Expand => "expand",
            Command::SortMenu => "sort_menu",
            Command::SortNext => "sort_next",
            Command::SortPrev => "sort_prev",
            Command::SortCpu => "sort_cpu",
            Command::SortMem => "sort_mem",
            Command::SortTime => "sort_time",
            Command::SortPid => "sort_pid",
            Command::InvertSort => "invert_sort",
            Command::ToggleThreads => "toggle_threads",
            Command::ToggleKernel => "toggle_kernel_threads",
            Command::OpenLab => "open_lab",
            Command::StopDemo => "stop_demo",
            Command::StopAllDemos => "stop_all_demos",
            Command::Increase => "increase",
            Command::Decrease => "decrease",
            Command::Left => "left",
            Command::Right => "right",
            Command::Help => "help",
            Command::Quit => "quit",
            Command::Kill => "kill",
            Command::NiceDown => "nice_down",
            Command::NiceUp => "nice_up",
            Command::Tag => "tag",
            Command::TagChildren => "tag_children",
            Command::UntagAll => "untag_all",
            Command::ToggleFollow => "toggle_follow",
            Command::Pause => "pause",
            Command::UserMenu => "user_menu",
            Command::Affinity => "affinity",
            Command::Environment => "environment",
            Command::OpenFiles => "open_files",
            Command::FullCommand => "full_command",
            Command::Yes => "yes",
            Command::No => "no",
            Command::CpuGraph => "cpu_graph",
            Command::Experiments => "experiments",
            Command::Save => "save",
        }
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Keys typed while a text prompt (search, filter) is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextInput {
    Char(char),
    Backspace,
    /// Enter: keep the text and close the prompt.
    Confirm,
    /// Esc: close the prompt (a filter is cleared, a search keeps its position).
    Cancel,
    /// F3 / Ctrl-N while searching: jump to the next match.
    Next,
}

/// Everything that can change the app's state.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Cmd(Command),
    Text(TextInput),
    /// A new sample from the sampler.
    Sample(Arc<Snapshot>),
    Lab(LabEvent),
    /// A mouse click at a screen position.
    Click {
        x: u16,
        y: u16,
    },
    ScrollUp,
    ScrollDown,
    /// A message composed below the app (a config warning at start), for the status line.
    Done {
        text: String,
        error: bool,
    },
    /// What came of an effect the runtime carried out.
    Outcome(Outcome),
    /// The current CPU affinity of a process or thread, to edit.
    AffinityLoaded {
        pid: Pid,
        tid: Option<Pid>,
        allowed: Vec<bool>,
    },
    /// The environment or open files of a process, to show in a scrollable overlay.
    ShowText {
        what: Inspect,
        pid: Pid,
        lines: Vec<String>,
    },
    /// What the running experiment reported.
    Experiment(ExperimentEvent),
}

/// What came of an effect, as the runtime reports it back: the app says it in words.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// A signal went to `sent` of `of` targets; the others could not get it, and why.
    SignalsSent { sig: i32, sent: usize, of: usize, problems: Vec<(Pid, String)> },
    /// Nice of a thread (or of every thread of a process) changed to this, or why not.
    Reniced { pid: Pid, tid: Option<Pid>, result: Result<i32, String> },
    /// The cores a process's threads may run on: how many threads took them, or why not.
    AffinitySet { pid: Pid, allowed: Vec<bool>, result: Result<usize, String> },
    /// Reading something of a process failed (affinity, environment, open files).
    Failed { pid: Pid, error: String },
    /// The lab could not start the demo.
    LaunchFailed { reason: String },
    /// An experiment is still running: another was not started.
    ExperimentBusy,
    /// Where the experiment's result was saved, or why it was not.
    ExperimentSaved(Result<PathBuf, String>),
}

/// A process as the user chose it: PID plus start time, so a reused PID is never acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub pid: Pid,
    pub start_ticks: u64,
    pub command: String,
}

/// What an inspect key shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inspect {
    Environment,
    OpenFiles,
}
