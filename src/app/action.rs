//! Messages into the app: user intents (`Command`, named so the keymap and config can bind them)
//! and everything else that happened (`Action`).
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::path::PathBuf;
use std::sync::Arc;

use crate::collect::model::{Pid, Snapshot};
use crate::model::demo::LabEvent;
use crate::model::experiment::ExperimentEvent;

/// Declares every command once: its variant, its name in config files, its help text, its default
/// keys ("scope:key", scopes as in the config file: all, list, threads, lab) and, for the function
/// bar, its place there and its label per scope. Everything else (the list of names, the help
/// screen, the bar, the default keymap, docs/KEYS.md, the config file's list) is derived.
macro_rules! commands {
    ($( $variant:ident $name:literal $help:literal [$($key:literal),*] $(bar $pos:literal [$($bar:literal),*])? ;)*) => {
        /// A user intent that a key can be bound to. The name (`as_str`) is what the config file uses.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Command {
            $($variant),*
        }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$variant),*];

            /// The command's name in config files and the help screen.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Command::$variant => $name),*
                }
            }

            /// What it does, for the help screen.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Command::$variant => $help),*
                }
            }

            /// Its default keys, "scope:key".
            pub fn default_keys(self) -> &'static [&'static str] {
                match self {
                    $(Command::$variant => &[$($key),*]),*
                }
            }

            /// Its place in the function bar and its label there per scope ("list:Threads");
            /// None when it is not in the bar.
            pub fn bar(self) -> Option<(u8, &'static [&'static str])> {
                match self {
                    $(Command::$variant => commands!(@bar $($pos [$($bar),*])?)),*
                }
            }
        }
    };
    (@bar) => { None };
    (@bar $pos:literal [$($bar:literal),*]) => { Some(($pos, &[$($bar),*])) };
}

// htop's keys first, our own where htop has none.
commands! {
    Up "up" "move up" ["all:Up"];
    Down "down" "move down" ["all:Down", "list:j", "threads:j"];
    PageUp "page_up" "page up" ["all:PgUp"];
    PageDown "page_down" "page down" ["all:PgDn"];
    Home "home" "first row" ["all:Home"];
    End "end" "last row" ["all:End"];
    Enter "enter" "list: open the process's threads · lab: launch the selected demo" ["all:Enter"] bar 8 ["list:Threads", "lab:Launch"];
    Back "back" "back / close / clear the filter" ["all:Esc", "all:Backspace", "threads:Left"] bar 9 ["threads:Back", "lab:Back"];
    Search "search" "incremental search, started afresh (name and command; n repeats the last)" ["list:/", "list:F3", "threads:/", "threads:F3"] bar 1 ["list:Search", "threads:Search"];
    SearchNext "search_next" "next search match" ["list:n", "threads:n"];
    Filter "filter" "filter: show only matching rows (Esc clears)" ["list:\\", "list:F4"] bar 2 ["list:Filter"];
    ToggleTree "toggle_tree" "tree view on/off" ["list:t", "list:F5"] bar 3 ["list:Tree"];
    Collapse "collapse" "tree: collapse the selected branch" ["list:-"];
    Expand "expand" "tree: expand the selected branch" ["list:+", "list:="];
    SortMenu "sort_menu" "choose the sort column" ["list:F6", "threads:F6"] bar 4 ["list:SortBy", "threads:SortBy"];
    SortNext "sort_next" "sort by the next column" ["list:>", "list:.", "threads:>", "threads:."];
    SortPrev "sort_prev" "sort by the previous column" ["list:<", "list:,", "threads:<", "threads:,"];
    SortCpu "sort_cpu" "sort by CPU%" ["list:P", "threads:P"];
    SortMem "sort_mem" "sort by memory" ["list:M", "threads:M"];
    SortTime "sort_time" "sort by CPU time" ["list:T", "threads:T"];
    SortPid "sort_pid" "sort by PID / TID" ["list:N", "threads:N"];
    InvertSort "invert_sort" "invert the sort order" ["list:I", "threads:I"];
    ToggleThreads "toggle_threads" "show every userland thread as a row, under its process (sorted within it)" ["list:H"];
    ToggleKernel "toggle_kernel_threads" "show kernel threads" ["list:K"];
    OpenLab "open_lab" "open / close the lab (demo workloads)" ["all:d"] bar 17 ["list:Lab", "threads:Lab"];
    StopDemo "stop_demo" "stop the demo that owns the selected row" ["all:x"] bar 14 ["lab:Stop"];
    StopAllDemos "stop_all_demos" "stop every running demo" ["all:X"];
    Increase "increase" "lab: more workers" ["lab:+", "lab:="] bar 10 ["lab:More"];
    Decrease "decrease" "lab: fewer workers" ["lab:-"] bar 11 ["lab:Fewer"];
    Left "left" "list: scroll COMMAND back left (then clear the filter) · lab: shorter duration" ["list:Left", "lab:Left"] bar 12 ["lab:Shorter"];
    Right "right" "list: scroll a long COMMAND sideways, as htop · lab: longer duration" ["list:Right", "lab:Right"] bar 13 ["lab:Longer"];
    Help "help" "this help" ["all:?", "all:F1"] bar 0 ["all:Help"];
    Quit "quit" "quit (stops every demo)" ["all:q", "all:F10", "all:Ctrl-c"] bar 18 ["all:Quit"];
    Kill "kill" "send a signal (tagged processes, else the selected one)" ["list:k", "list:F9", "threads:k", "threads:F9"] bar 7 ["list:Kill", "threads:Kill"];
    NiceDown "nice_down" "raise priority: nice - 1 (list: every thread; threads view: this thread)" ["list:]", "list:F7", "threads:]", "threads:F7"] bar 5 ["list:Nice-", "threads:Nice-"];
    NiceUp "nice_up" "lower priority: nice + 1" ["list:[", "list:F8", "threads:[", "threads:F8"] bar 6 ["list:Nice+", "threads:Nice+"];
    Tag "tag" "tag / untag the process and move down (affinity: toggle the core)" ["all:Space"];
    TagChildren "tag_children" "tag the process and all its descendants" ["list:c"];
    UntagAll "untag_all" "untag all" ["list:U"];
    ToggleFollow "toggle_follow" "follow the selected process (default; htop keeps the row) / keep the cursor's row as htop" ["list:F"];
    Pause "pause" "pause / resume the display" ["list:Z", "list:z", "threads:Z", "threads:z"];
    UserMenu "user_menu" "show only one user's processes" ["list:u"];
    Affinity "affinity" "CPU affinity of the whole process (threads view: a again in the dialog: this thread only)" ["list:a", "threads:a"];
    Environment "environment" "the process's environment" ["list:e", "threads:e"];
    OpenFiles "open_files" "open files and sockets" ["list:l", "threads:l"];
    FullCommand "full_command" "the whole command line" ["list:w", "threads:w"];
    Yes "yes" "confirm" [];
    No "no" "cancel" [];
    CpuGraph "cpu_graph" "CPU history graph (list) / CPU sparkline (threads view)" ["list:v", "threads:v"];
    Experiments "experiments" "lab: experiments (scaling, I/O, Python's GIL) measured as curves" ["lab:e"] bar 15 ["lab:Experiments"];
    Save "save" "lab: save the experiment's result as JSON" ["lab:s"] bar 16 ["lab:Save"];
    Compare "compare" "lab: compare two or three demos, same N and duration, one after the other" ["lab:c"] bar 16 ["lab:Compare"];
    Lessons "lessons" "lab: the lessons, step by step (index, or the lesson being walked)" ["lab:l"] bar 16 ["lab:Lessons"];
}

impl Command {
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.as_str() == name)
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
