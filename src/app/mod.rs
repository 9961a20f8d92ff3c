//! The app: all state and every decision, as a pure function `update(Action) -> Vec<Effect>`.
//! No I/O, no clock, no terminal. Imports `collect::model` and `model` only (never `lab`, `ui`,
//! `runtime`, `input`, crossterm, ratatui or tokio). This file holds the state and dispatches each
//! action to the room of the screen it is for.

pub mod act;
pub mod action;
pub mod cursor;
pub mod effect;
pub mod experiment;
// Fixture snapshots: used by unit tests and by the in-process loop tests of the integration crate.
pub mod fixtures;
pub mod help;
pub mod lab;
mod options;
mod outcome;
pub mod overlays;
mod processes;
mod prompt;
pub mod replay;
pub mod table;
pub mod threads;
pub mod tree;
pub mod view;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::collect::model::Snapshot;

use act::HitMap;
pub use action::{Action, Command, Inspect, Outcome, Target, TextInput};
pub use effect::Effect;
use experiment::ExperimentState;
pub use help::{BarEntry, HelpEntry, KeyHelp};
use lab::LabState;
pub use options::Options;
pub use overlays::{AffinityEdit, Overlay, PendingSignal, StackLine, StackView, TextView};
pub use table::{COMMAND_SCROLL_STEP, ProcessList, Row, RowId, Scroll};
use threads::ThreadsState;
pub use view::{LabScreen, Prompt, View};

/// A transient message in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    /// Cleared when a sample with this `seq` or later arrives.
    pub until_seq: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct App {
    pub snapshot: Arc<Snapshot>,
    pub view: View,
    pub overlay: Option<Overlay>,
    pub prompt: Option<Prompt>,
    pub list: ProcessList,
    pub threads: Option<ThreadsState>,
    pub lab: LabState,
    pub status: Option<Status>,
    pub help: KeyHelp,
    pub options: Options,
    pub quit: bool,
    /// Sampling stopped (`Z`): the screen shows the last sample.
    pub paused: bool,
    /// Where the UI drew things, for mouse clicks.
    pub hit: RefCell<HitMap>,
    /// `v` in the list: the CPU history graph.
    pub show_graph: bool,
    /// `v` in the threads view: the process's cores-in-use sparkline (each view keeps its own).
    pub show_sparkline: bool,
    /// Total and per-core busy % at each of the last samples, oldest first.
    pub cpu_history: VecDeque<CpuPoint>,
    pub experiment: Option<ExperimentState>,
    /// Set while a recording (or the live rewind) is shown: its timeline and keys.
    pub replay: Option<replay::ReplayState>,
    /// The newest live sample applied: a frame shown again (rewound, or the live one on the way
    /// back) is not new data for the CPU graph, the lab's figures or the lessons.
    newest_seq: u64,
    /// The last `update` applied new data (see `newest_seq`).
    fresh: bool,
}

/// CPU use at one sample, for the history graph.
#[derive(Clone, Debug, PartialEq)]
pub struct CpuPoint {
    pub total: f32,
    pub cores: Vec<f32>,
}

/// Samples of CPU history kept (10 minutes at the default 1 s).
pub const CPU_HISTORY_LEN: usize = 600;

impl App {
    pub fn new(options: Options, help: KeyHelp, lab: LabState) -> App {
        let list = ProcessList {
            sort: options.sort,
            tree: options.tree,
            collapsed: HashSet::new(),
            show_kernel: false,
            show_threads: options.show_threads,
            filter: options.filter.clone(),
            search: String::new(),
            pids: options.pids.clone(),
            user: options.user.clone(),
            rows: Vec::new(),
            selected: 0,
            selected_id: None,
            pending_select: options.threads_of,
            scroll: Scroll::default(),
            tagged: HashMap::new(),
            vanished: None,
            command_scroll: 0,
            follow: true,
        };
        let mut app = App {
            snapshot: Arc::new(Snapshot::default()),
            view: View::Processes,
            overlay: None,
            prompt: None,
            list,
            threads: None,
            lab,
            status: None,
            help,
            options,
            quit: false,
            paused: false,
            hit: RefCell::new(HitMap::default()),
            show_graph: false,
            show_sparkline: false,
            cpu_history: VecDeque::new(),
            experiment: None,
            replay: None,
            newest_seq: 0,
            fresh: false,
        };
        if let Some(pid) = app.options.threads_of {
            app.lab.focused = Some(pid);
            app.view = View::Threads;
            app.threads = Some(ThreadsState::new(pid));
        }
        app
    }

    /// Effects to carry out once at start (e.g. `--threads-of` focuses a process).
    pub fn startup_effects(&self) -> Vec<Effect> {
        match &self.threads {
            Some(t) => vec![Effect::Focus(Some(t.pid))],
            None => Vec::new(),
        }
    }

    pub fn logical_cores(&self) -> usize {
        self.snapshot.system.cpus.len().max(self.snapshot.system.identity.logical_cores).max(1)
    }

    pub(crate) fn say(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(Status { text: text.into(), error, until_seq: self.snapshot.seq + 4 });
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        self.fresh = false;
        let mut effects = self.update_one(action);
        self.after_update(&mut effects, self.fresh);
        if self.view == View::Threads
            && let Some(tids) = self.threads.as_mut().and_then(|t| t.visible_changed())
        {
            effects.push(Effect::Visible(tids));
        }
        effects
    }

    fn update_one(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Sample(snap) => {
                // Rewound, the source hands out the frames chosen (and holds back the live ones).
                if !self.paused || self.replay.as_ref().is_some_and(|r| r.pos.live) {
                    self.apply_sample(snap);
                }
                Vec::new()
            }
            Action::Done { text, error } => {
                self.say(text, error);
                Vec::new()
            }
            report @ (Action::AffinityLoaded { .. }
            | Action::Experiment(_)
            | Action::ShowText { .. }
            | Action::Outcome(_)
            | Action::Lab(_)) => {
                self.on_report(report);
                Vec::new()
            }
            Action::StackRead(report) => {
                self.on_stack_read(*report);
                Vec::new()
            }
            Action::Text(input) => self.on_text(input),
            Action::Click { x, y } => {
                if let Some(effects) = self.on_graph_click(x, y) {
                    return effects;
                }
                self.on_click(x, y);
                Vec::new()
            }
            Action::ScrollUp => {
                for _ in 0..3 {
                    self.on_command(Command::Up);
                }
                Vec::new()
            }
            Action::ScrollDown => {
                for _ in 0..3 {
                    self.on_command(Command::Down);
                }
                Vec::new()
            }
            Action::Cmd(cmd) => self.on_command(cmd),
            Action::ReplayAt(pos) => {
                self.on_replay_position(pos);
                Vec::new()
            }
        }
    }

    fn apply_sample(&mut self, snap: Arc<Snapshot>) {
        let new_data = snap.seq != self.snapshot.seq;
        // The selected process as the user chose it, to tell at once if it is gone.
        let chosen =
            self.selected_row().and_then(|r| self.snapshot.processes.get(r.process)).map(|p| (p.pid, p.start_ticks));
        self.snapshot = snap;
        self.drop_gone_tags();
        let rewound = self.paused && self.replay.as_ref().is_some_and(|r| r.pos.live);
        // Live (no recording): only a seq never seen is news; a recording's frames are news
        // whenever they change, backwards too (its graph is rebuilt on a seek).
        let live = self.replay.as_ref().is_none_or(|r| r.pos.live);
        self.fresh = new_data && !rewound && (!live || self.snapshot.seq > self.newest_seq);
        if live && self.fresh {
            self.newest_seq = self.snapshot.seq;
        }
        if self.fresh && !self.snapshot.system.cpus.is_empty() {
            if self.cpu_history.len() == CPU_HISTORY_LEN {
                self.cpu_history.pop_front();
            }
            let sys = &self.snapshot.system;
            self.cpu_history
                .push_back(CpuPoint { total: sys.total.busy(), cores: sys.cpus.iter().map(|c| c.busy()).collect() });
        }
        if self.status.as_ref().is_some_and(|s| self.snapshot.seq >= s.until_seq) {
            self.status = None;
        }
        if let Some(t) = self.threads.as_mut() {
            t.apply_sample(&self.snapshot);
        }
        self.rebuild_rows();
        if let Some((pid, start)) = chosen
            && !self.snapshot.processes.iter().any(|p| p.pid == pid && p.start_ticks == start)
        {
            // The cursor now rests on a row the user did not choose.
            self.list.vanished = Some(pid);
        }
    }

    fn on_command(&mut self, cmd: Command) -> Vec<Effect> {
        if let Some(overlay) = self.overlay.take() {
            return self.on_overlay(overlay, cmd);
        }
        if let Some(effects) = self.on_replay_command(cmd) {
            return effects;
        }
        // Keys that do the same everywhere.
        match cmd {
            Command::Quit => {
                self.quit = true;
                return Vec::new();
            }
            Command::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return Vec::new();
            }
            Command::CpuGraph if self.view == View::Processes => {
                self.show_graph = !self.show_graph;
                return Vec::new();
            }
            Command::CpuGraph if self.view == View::Threads => {
                self.show_sparkline = !self.show_sparkline;
                return Vec::new();
            }
            Command::StopAllDemos => {
                if self.lab.running_count() == 0 {
                    self.say("no demo is running", false);
                    return Vec::new();
                }
                self.say(format!("stopping {} demo(s)", self.lab.running_count()), false);
                return vec![Effect::StopAllDemos];
            }
            _ => {}
        }
        if let Some(effects) = self.on_act(cmd) {
            return effects;
        }
        match self.view {
            View::Processes => self.on_processes(cmd),
            View::Threads => self.on_threads(cmd),
            View::Lab(_) => self.on_lab(cmd),
        }
    }
}

#[cfg(test)]
mod tests;
