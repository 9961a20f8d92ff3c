//! The app: all state and every decision, as a pure function `update(Action) -> Vec<Effect>`.
//! No I/O, no clock, no terminal: imports `collect::model` and `lab::model` only.

pub mod act;
pub mod action;
pub mod experiment;
// Fixture snapshots: used by unit tests and by the in-process loop tests of the integration crate.
pub mod fixtures;
pub mod lab;
pub mod table;
pub mod threads;
pub mod tree;
pub mod view;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use crate::collect::model::{Pid, Snapshot};
use crate::model::demo::{DemoId, DemoSpec};
use crate::model::experiment::ExperimentKind;

use act::{AffinityEdit, HitMap, PendingSignal, TextView};
pub use action::{Action, Command, Inspect, Outcome, Target, TextInput};
use experiment::ExperimentState;
use lab::LabState;
use table::{Column, SortSpec, ThreadColumn, contains_ci, matches_process};
use threads::ThreadsState;
pub use view::{Overlay, Prompt, View};

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
    CancelExperiment,
    /// Write this experiment result as JSON under the data directory.
    SaveExperiment(Box<crate::model::experiment::ExperimentResult>),
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

/// One line of the help screen, made from the keymap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub what: String,
    /// Where it applies, e.g. "list", "threads", "lab", "all".
    pub views: String,
}

/// One label of the function-key bar, made from the keymap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarEntry {
    pub key: String,
    pub label: String,
}

/// Key help built from the live keymap, so remapped keys show as remapped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyHelp {
    pub entries: Vec<HelpEntry>,
    pub bar_processes: Vec<BarEntry>,
    pub bar_threads: Vec<BarEntry>,
    pub bar_lab: Vec<BarEntry>,
}

/// Start-up choices from the command line and config.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub interval: Duration,
    pub tree: bool,
    /// Every thread as a row (`H`) from the start.
    pub show_threads: bool,
    pub sort: SortSpec,
    pub filter: String,
    pub pids: Option<HashSet<Pid>>,
    pub user: Option<String>,
    pub threads_of: Option<Pid>,
    pub readonly: bool,
    /// threadtop's own PID, which it refuses to signal.
    pub self_pid: Pid,
    /// The process list's columns, in order.
    pub columns: Vec<Column>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            interval: Duration::from_secs(1),
            tree: false,
            show_threads: false,
            sort: SortSpec::default(),
            filter: String::new(),
            pids: None,
            user: None,
            threads_of: None,
            readonly: false,
            self_pid: -1,
            columns: Column::ALL.to_vec(),
        }
    }
}

/// Identifies a row of the process list across refreshes: a process, or one of its threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RowId {
    pub pid: Pid,
    pub tid: Option<Pid>,
}

/// One visible row of the process list (indices into the current snapshot).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: RowId,
    pub process: usize,
    /// Set for a thread row (all-threads mode): index into that process's `threads`.
    pub thread: Option<usize>,
    /// Tree guides (or the indent of a thread row) drawn before the command.
    pub prefix: String,
    pub collapsed: bool,
}

/// A transient message in the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
    /// Cleared when a sample with this `seq` or later arrives.
    pub until_seq: u64,
}

/// Scroll position of a table; the UI writes back what it drew (interior mutability keeps
/// drawing a function of `&App`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scroll {
    pub offset: Cell<usize>,
    /// Rows of the table body at the last draw: the page size for PgUp/PgDn.
    pub height: Cell<usize>,
}

impl Scroll {
    /// The first row to draw so that `selected` is visible, remembered for the next draw.
    pub fn offset_for(&self, selected: usize, len: usize, height: usize) -> usize {
        self.height.set(height);
        let mut off = self.offset.get();
        if height == 0 {
            return off.min(selected);
        }
        if selected < off {
            off = selected;
        } else if selected >= off + height {
            off = selected + 1 - height;
        }
        off = off.min(len.saturating_sub(height));
        self.offset.set(off);
        off
    }

    fn page(&self) -> usize {
        self.height.get().max(1)
    }
}

/// The process list's settings and derived rows.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessList {
    pub sort: SortSpec,
    pub tree: bool,
    pub collapsed: HashSet<Pid>,
    pub show_kernel: bool,
    pub show_threads: bool,
    pub filter: String,
    pub search: String,
    pub pids: Option<HashSet<Pid>>,
    pub user: Option<String>,
    pub rows: Vec<Row>,
    pub selected: usize,
    pub selected_id: Option<RowId>,
    /// A PID to select as soon as it appears (a demo just launched).
    pub pending_select: Option<Pid>,
    pub scroll: Scroll,
    /// Tagged processes: PID -> start time (clock ticks), so a tag never passes to a later
    /// process that reuses the PID. A tag is dropped when its process exits.
    pub tagged: HashMap<Pid, u64>,
    /// The selected process exited and the cursor moved to another row by itself: acting keys
    /// refuse (naming this PID) until the user moves the cursor.
    pub vanished: Option<Pid>,
    /// Columns the COMMAND column is scrolled sideways (Left/Right), as in htop.
    pub command_scroll: usize,
    /// htop's follow: the selection stays on its PID (true) or on its row position (false).
    pub follow: bool,
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
    pub pending_signal: Option<PendingSignal>,
    pub affinity_edit: Option<AffinityEdit>,
    pub text_view: Option<TextView>,
    /// Users offered by the `u` menu ("" = all users).
    pub user_choices: Vec<String>,
    /// Where the UI drew things, for mouse clicks.
    pub hit: RefCell<HitMap>,
    /// `v` in the list: the CPU history graph.
    pub show_graph: bool,
    /// `v` in the threads view: the process's cores-in-use sparkline (each view keeps its own).
    pub show_sparkline: bool,
    /// Total and per-core busy % at each of the last samples, oldest first.
    pub cpu_history: VecDeque<CpuPoint>,
    pub lab_screen: LabScreen,
    pub experiment: Option<ExperimentState>,
}

/// CPU use at one sample, for the history graph.
#[derive(Clone, Debug, PartialEq)]
pub struct CpuPoint {
    pub total: f32,
    pub cores: Vec<f32>,
}

/// The status line when a demo ends: what it measured (the lab, d, has the rest).
fn finished_line(id: crate::model::demo::DemoId, r: &crate::model::demo::DemoResult) -> String {
    let how = if r.stopped_early { "stopped" } else { "finished" };
    let what = match &r.spawn {
        Some(sc) => {
            format!("thread {:.1}µs, process {:.1}µs (×{:.1})", sc.thread_spawn_us, sc.process_spawn_us, sc.ratio)
        }
        None => format!("{:.2} cores · {:.0} ops/s", r.cores_used, r.ops_per_sec),
    };
    format!("{} #{id} {how}: {what}", r.kind)
}

/// Columns one Left/Right moves the COMMAND column.
pub const COMMAND_SCROLL_STEP: usize = 8;

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
            pending_signal: None,
            affinity_edit: None,
            text_view: None,
            user_choices: Vec::new(),
            hit: RefCell::new(HitMap::default()),
            show_graph: false,
            show_sparkline: false,
            cpu_history: VecDeque::new(),
            lab_screen: LabScreen::Catalog,
            experiment: None,
        };
        if let Some(pid) = app.options.threads_of {
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

    pub fn selected_row(&self) -> Option<&Row> {
        self.list.rows.get(self.list.selected)
    }

    /// The PID of the selected process-list row (a thread row gives its process).
    pub fn selected_pid(&self) -> Option<Pid> {
        self.selected_row().map(|r| r.id.pid)
    }

    /// The process of the selected row, as in the current snapshot.
    pub fn selected_process(&self) -> Option<&crate::collect::model::ProcessSample> {
        self.selected_row().and_then(|r| self.snapshot.processes.get(r.process))
    }

    pub(crate) fn say(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(Status { text: text.into(), error, until_seq: self.snapshot.seq + 4 });
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Sample(snap) => {
                if !self.paused {
                    self.apply_sample(snap);
                }
                Vec::new()
            }
            Action::Done { text, error } => {
                self.say(text, error);
                Vec::new()
            }
            Action::AffinityLoaded { pid, tid, allowed } => {
                let thread = match self.view {
                    View::Threads => self.threads.as_ref().filter(|t| t.pid == pid).and_then(|t| t.selected_tid),
                    _ => None,
                };
                let cursor = match self.overlay {
                    Some(Overlay::Affinity { cursor }) => cursor,
                    _ => 0,
                };
                self.affinity_edit = Some(AffinityEdit { pid, tid, allowed, thread });
                self.overlay = Some(Overlay::Affinity { cursor });
                Vec::new()
            }
            Action::Experiment(event) => {
                if let Some(e) = self.experiment.as_mut() {
                    e.apply(event);
                }
                Vec::new()
            }
            Action::ShowText { what, pid, lines } => {
                let title = match what {
                    Inspect::Environment => format!("Environment of PID {pid}"),
                    Inspect::OpenFiles => format!("Open files of PID {pid}"),
                };
                self.text_view = Some(act::TextView { title, lines });
                self.overlay = Some(Overlay::Text { scroll: 0 });
                Vec::new()
            }
            Action::Outcome(o) => {
                self.on_outcome(o);
                Vec::new()
            }
            Action::Lab(event) => {
                if let crate::model::demo::LabEvent::Refused { reason, .. } = &event {
                    self.say(format!("lab: {reason}"), true);
                }
                if let crate::model::demo::LabEvent::Failed { reason, .. } = &event {
                    self.say(format!("demo failed: {reason}"), true);
                }
                if let crate::model::demo::LabEvent::Finished { id, result } = &event {
                    // A demo that runs once (spawn-cost) can be gone before a sample lists it:
                    // say what it measured, and stop waiting to select its process.
                    if self.list.pending_select.is_some_and(|p| result.pids.contains(&p)) {
                        self.list.pending_select = None;
                    }
                    self.say(finished_line(*id, result), false);
                }
                if let Some(pid) = self.lab.apply(event)
                    && self.lab.select_next_started
                {
                    self.lab.select_next_started = false;
                    self.list.pending_select = Some(pid);
                    self.list.selected_id = Some(RowId { pid, tid: None });
                    self.rebuild_rows();
                }
                Vec::new()
            }
            Action::Text(input) => self.on_text(input),
            Action::Click { x, y } => {
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
        }
    }

    fn apply_sample(&mut self, snap: Arc<Snapshot>) {
        let new_data = snap.seq != self.snapshot.seq;
        // The selected process as the user chose it, to tell at once if it is gone.
        let chosen =
            self.selected_row().and_then(|r| self.snapshot.processes.get(r.process)).map(|p| (p.pid, p.start_ticks));
        self.snapshot = snap;
        self.drop_gone_tags();
        if new_data && !self.snapshot.system.cpus.is_empty() {
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

    /// Tags whose process exited (or whose PID now names a later process) go.
    fn drop_gone_tags(&mut self) {
        if self.list.tagged.is_empty() {
            return;
        }
        let alive: HashMap<Pid, u64> = self.snapshot.processes.iter().map(|p| (p.pid, p.start_ticks)).collect();
        self.list.tagged.retain(|pid, start| alive.get(pid) == Some(start));
    }

    /// Recomputes the visible rows and puts the selection back on the same PID (follow mode);
    /// if that process is gone, on the row that took its place.
    pub fn rebuild_rows(&mut self) {
        let snap = Arc::clone(&self.snapshot);
        let list = &mut self.list;
        let filter = list.filter.to_lowercase();
        let include: Vec<usize> = snap
            .processes
            .iter()
            .enumerate()
            .filter(|(_, p)| list.show_kernel || !p.kernel_thread)
            .filter(|(_, p)| list.pids.as_ref().is_none_or(|set| set.contains(&p.pid)))
            .filter(|(_, p)| list.user.as_ref().is_none_or(|u| *p.user == **u))
            .filter(|(_, p)| matches_process(p, &filter))
            .map(|(i, _)| i)
            .collect();

        let mut rows = Vec::with_capacity(include.len());
        let push_threads = |rows: &mut Vec<Row>, i: usize, indent: &str| {
            let p = &snap.processes[i];
            if !list.show_threads {
                return;
            }
            // Grouped under their process (a thread row never loses its process), in the
            // list's sort order within it.
            let mut order: Vec<usize> = (0..p.threads.len()).filter(|&k| p.threads[k].tid != p.pid).collect();
            order.sort_by(|&a, &b| table::compare_thread_rows(&p.threads[a], &p.threads[b], list.sort));
            for k in order {
                let t = &p.threads[k];
                rows.push(Row {
                    id: RowId { pid: p.pid, tid: Some(t.tid) },
                    process: i,
                    thread: Some(k),
                    prefix: format!("{indent}· "),
                    collapsed: false,
                });
            }
        };
        if list.tree {
            for line in tree::build(&snap.processes, &include, list.sort, &list.collapsed) {
                let p = &snap.processes[line.index];
                rows.push(Row {
                    id: RowId { pid: p.pid, tid: None },
                    process: line.index,
                    thread: None,
                    prefix: line.prefix.clone(),
                    collapsed: line.collapsed,
                });
                // Under a `├─` the branch goes on (│); under a `└─` it has ended (space).
                let indent: String = line.prefix.replace('├', "│").replace('└', " ").replace(['─', '+'], " ");
                push_threads(&mut rows, line.index, &indent);
            }
        } else {
            let mut order = include;
            order.sort_by(|&a, &b| table::compare(&snap.processes[a], &snap.processes[b], list.sort));
            for i in order {
                let p = &snap.processes[i];
                rows.push(Row {
                    id: RowId { pid: p.pid, tid: None },
                    process: i,
                    thread: None,
                    prefix: String::new(),
                    collapsed: false,
                });
                push_threads(&mut rows, i, "");
            }
        }

        let previous = list.selected;
        list.rows = rows;
        if let Some(pid) = list.pending_select
            && let Some(i) = list.rows.iter().position(|r| r.id.pid == pid && r.id.tid.is_none())
        {
            list.pending_select = None;
            list.vanished = None;
            list.selected = i;
        } else if !list.follow {
            list.selected = previous.min(list.rows.len().saturating_sub(1));
        } else if let Some(i) = list.selected_id.and_then(|id| list.rows.iter().position(|r| r.id == id)) {
            list.selected = i;
        } else if let Some(i) =
            list.selected_id.and_then(|id| list.rows.iter().position(|r| r.id.pid == id.pid && r.id.tid.is_none()))
        {
            // A thread row went away (all-threads mode off, or the thread exited): its process.
            list.selected = i;
        } else {
            list.selected = previous.min(list.rows.len().saturating_sub(1));
        }
        list.selected_id = list.rows.get(list.selected).map(|r| r.id);
    }

    pub(crate) fn select_row(&mut self, i: usize) {
        let list = &mut self.list;
        if list.rows.is_empty() {
            list.selected = 0;
            list.selected_id = None;
            return;
        }
        list.selected = i.min(list.rows.len() - 1);
        list.selected_id = Some(list.rows[list.selected].id);
        list.pending_select = None;
        list.vanished = None;
    }

    fn on_command(&mut self, cmd: Command) -> Vec<Effect> {
        if let Some(overlay) = self.overlay {
            if let Some(effects) = self.on_act_overlay(overlay, cmd) {
                return effects;
            }
            return self.on_overlay(overlay, cmd);
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
            View::Lab => self.on_lab(cmd),
        }
    }

    fn on_overlay(&mut self, overlay: Overlay, cmd: Command) -> Vec<Effect> {
        match overlay {
            Overlay::Help { scroll } => match cmd {
                Command::Down => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_add(1) }),
                Command::Up => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_sub(1) }),
                Command::PageDown => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_add(10) }),
                Command::PageUp => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_sub(10) }),
                Command::Home => self.overlay = Some(Overlay::Help { scroll: 0 }),
                Command::Quit => {
                    self.quit = true;
                    return Vec::new();
                }
                _ => self.overlay = None,
            },
            Overlay::SortMenu { cursor } => {
                let n = self.sort_columns_len();
                match cmd {
                    Command::Down => self.overlay = Some(Overlay::SortMenu { cursor: (cursor + 1).min(n - 1) }),
                    Command::Up => self.overlay = Some(Overlay::SortMenu { cursor: cursor.saturating_sub(1) }),
                    Command::Home => self.overlay = Some(Overlay::SortMenu { cursor: 0 }),
                    Command::End => self.overlay = Some(Overlay::SortMenu { cursor: n - 1 }),
                    Command::Enter => {
                        self.overlay = None;
                        self.sort_by_index(cursor);
                    }
                    Command::Quit => {
                        self.quit = true;
                        return Vec::new();
                    }
                    _ => self.overlay = None,
                }
            }
            // The acting overlays are handled in act.rs.
            _ => {}
        }
        Vec::new()
    }

    fn sort_columns_len(&self) -> usize {
        match self.view {
            View::Threads => ThreadColumn::ALL.len(),
            _ => Column::ALL.len(),
        }
    }

    fn sort_by_index(&mut self, i: usize) {
        match self.view {
            View::Threads => {
                if let (Some(t), Some(&c)) = (self.threads.as_mut(), ThreadColumn::ALL.get(i)) {
                    t.set_sort(c);
                }
            }
            _ => {
                if let Some(&c) = Column::ALL.get(i) {
                    self.set_sort(c);
                }
            }
        }
    }

    pub(crate) fn set_sort(&mut self, column: Column) {
        self.list.sort = SortSpec::by(column);
        self.rebuild_rows();
    }

    fn move_selection(selected: usize, len: usize, page: usize, cmd: Command) -> Option<usize> {
        let last = len.checked_sub(1)?;
        Some(match cmd {
            Command::Up => selected.saturating_sub(1),
            Command::Down => (selected + 1).min(last),
            Command::PageUp => selected.saturating_sub(page),
            Command::PageDown => (selected + page).min(last),
            Command::Home => 0,
            Command::End => last,
            _ => return None,
        })
    }

    pub(crate) fn on_processes(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.list.scroll.page();
        if let Some(i) = Self::move_selection(self.list.selected, self.list.rows.len(), page, cmd) {
            self.select_row(i);
            return Vec::new();
        }
        match cmd {
            Command::Enter => {
                if let Some(row) = self.selected_row().cloned() {
                    let mut t = ThreadsState::new(row.id.pid);
                    t.selected_tid = row.id.tid;
                    if let Some(p) = self.snapshot.processes.get(row.process) {
                        t.seed(p);
                    }
                    self.threads = Some(t);
                    self.view = View::Threads;
                    return vec![Effect::Focus(Some(row.id.pid))];
                }
                self.say("no process selected", true);
            }
            Command::Right => {
                let longest = self
                    .list
                    .rows
                    .iter()
                    .filter_map(|r| self.snapshot.processes.get(r.process))
                    .map(|p| table::display_command(p).chars().count())
                    .max()
                    .unwrap_or(0);
                self.list.command_scroll =
                    (self.list.command_scroll + COMMAND_SCROLL_STEP).min(longest.saturating_sub(1));
            }
            Command::Left if self.list.command_scroll > 0 => {
                self.list.command_scroll = self.list.command_scroll.saturating_sub(COMMAND_SCROLL_STEP);
            }
            Command::Back | Command::Left if !self.list.filter.is_empty() || !self.list.search.is_empty() => {
                self.list.filter.clear();
                self.list.search.clear();
                self.rebuild_rows();
                self.say("filter cleared", false);
            }
            Command::Search => {
                // As in htop, `/` starts a new search; F3/n repeat the last one.
                self.list.search.clear();
                self.prompt = Some(Prompt::Search);
            }
            Command::Filter => self.prompt = Some(Prompt::Filter),
            Command::SearchNext => {
                if self.list.search.is_empty() {
                    self.prompt = Some(Prompt::Search);
                } else {
                    self.search_from(self.list.selected + 1);
                }
            }
            Command::ToggleTree => {
                self.list.tree = !self.list.tree;
                self.rebuild_rows();
            }
            Command::Collapse | Command::Expand => {
                if !self.list.tree {
                    self.say("+/- fold branches in tree view (t)", false);
                } else if let Some(pid) = self.selected_pid() {
                    if cmd == Command::Collapse {
                        self.list.collapsed.insert(pid);
                    } else {
                        self.list.collapsed.remove(&pid);
                    }
                    self.rebuild_rows();
                }
            }
            Command::SortMenu => {
                let cursor = Column::ALL.iter().position(|&c| c == self.list.sort.column).unwrap_or(0);
                self.overlay = Some(Overlay::SortMenu { cursor });
            }
            Command::SortNext | Command::SortPrev => {
                let n = Column::ALL.len();
                let i = Column::ALL.iter().position(|&c| c == self.list.sort.column).unwrap_or(0);
                let j = if cmd == Command::SortNext { (i + 1) % n } else { (i + n - 1) % n };
                self.set_sort(Column::ALL[j]);
            }
            Command::SortCpu => self.set_sort(Column::Cpu),
            Command::SortMem => self.set_sort(Column::Mem),
            Command::SortTime => self.set_sort(Column::Time),
            Command::SortPid => self.set_sort(Column::Pid),
            Command::InvertSort => {
                self.list.sort.descending = !self.list.sort.descending;
                self.rebuild_rows();
            }
            Command::ToggleThreads => {
                self.list.show_threads = !self.list.show_threads;
                self.say(
                    if self.list.show_threads { "showing every thread as a row" } else { "threads hidden" },
                    false,
                );
                self.rebuild_rows();
                return vec![Effect::AllThreads(self.list.show_threads)];
            }
            Command::ToggleKernel => {
                self.list.show_kernel = !self.list.show_kernel;
                self.say(if self.list.show_kernel { "kernel threads shown" } else { "kernel threads hidden" }, false);
                self.rebuild_rows();
            }
            Command::OpenLab => self.view = View::Lab,
            Command::StopDemo => return self.stop_demo_of(self.selected_pid()),
            _ => {}
        }
        Vec::new()
    }

    fn stop_demo_of(&mut self, pid: Option<Pid>) -> Vec<Effect> {
        // A demo's own children (the zombie demo's child) belong to it too.
        let parent = pid.and_then(|p| self.snapshot.processes.iter().find(|q| q.pid == p)).map(|q| q.ppid);
        match pid.and_then(|p| self.lab.owner_of(p)).or_else(|| parent.and_then(|pp| self.lab.owner_of(pp))) {
            Some(id) => {
                self.say(format!("stopping demo #{id}"), false);
                vec![Effect::StopDemo(id)]
            }
            None => {
                self.say("the selected row is not a demo started by threadtop", true);
                Vec::new()
            }
        }
    }

    fn on_threads(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(t) = self.threads.as_mut() else {
            self.view = View::Processes;
            return vec![Effect::Focus(None)];
        };
        let page = t.scroll.page();
        if let Some(i) = Self::move_selection(t.selected, t.rows.len(), page, cmd) {
            t.select(i);
            return Vec::new();
        }
        match cmd {
            Command::Back | Command::Left => {
                self.view = View::Processes;
                self.threads = None;
                return vec![Effect::Focus(None)];
            }
            Command::Search => {
                t.search.clear();
                self.prompt = Some(Prompt::Search);
            }
            Command::SearchNext => {
                if t.search.is_empty() {
                    self.prompt = Some(Prompt::Search);
                } else {
                    let from = t.selected + 1;
                    if !t.search_from(from) {
                        let s = t.search.clone();
                        self.say(format!("no thread matches '{s}'"), true);
                    }
                }
            }
            Command::SortMenu => {
                let cursor = ThreadColumn::ALL.iter().position(|&c| c == t.sort.column).unwrap_or(0);
                self.overlay = Some(Overlay::SortMenu { cursor });
            }
            Command::SortNext | Command::SortPrev => {
                let n = ThreadColumn::ALL.len();
                let i = ThreadColumn::ALL.iter().position(|&c| c == t.sort.column).unwrap_or(0);
                let j = if cmd == Command::SortNext { (i + 1) % n } else { (i + n - 1) % n };
                t.set_sort(ThreadColumn::ALL[j]);
            }
            Command::SortCpu => t.set_sort(ThreadColumn::Cpu),
            Command::SortTime => t.set_sort(ThreadColumn::Time),
            Command::SortPid => t.set_sort(ThreadColumn::Tid),
            Command::SortMem => self.say("threads share one address space: no per-thread memory", false),
            Command::InvertSort => {
                t.sort.descending = !t.sort.descending;
                t.rebuild();
            }
            Command::OpenLab => self.view = View::Lab,
            Command::StopDemo => {
                let pid = t.pid;
                return self.stop_demo_of(Some(pid));
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_lab(&mut self, cmd: Command) -> Vec<Effect> {
        match self.lab_screen {
            LabScreen::Picker { cursor } => return self.on_experiment_picker(cursor, cmd),
            LabScreen::Experiment => return self.on_experiment(cmd),
            LabScreen::Catalog => {}
        }
        if cmd == Command::Experiments {
            self.lab_screen = match &self.experiment {
                Some(e) if e.running() => LabScreen::Experiment,
                _ => LabScreen::Picker { cursor: 0 },
            };
            return Vec::new();
        }
        let n = self.lab.catalog.len();
        match cmd {
            Command::Up => self.lab.cursor = self.lab.cursor.saturating_sub(1),
            Command::Down => self.lab.cursor = (self.lab.cursor + 1).min(n.saturating_sub(1)),
            Command::Home => self.lab.cursor = 0,
            Command::End => self.lab.cursor = n.saturating_sub(1),
            Command::Increase | Command::Decrease => {
                if let Some(msg) = self.lab.adjust_workers(cmd == Command::Increase) {
                    self.say(msg, true);
                }
            }
            Command::Right => self.lab.adjust_seconds(true),
            Command::Left => self.lab.adjust_seconds(false),
            Command::PageDown | Command::PageUp => self.lab.scroll_lesson(cmd == Command::PageDown),
            Command::Enter => {
                if self.options.readonly {
                    self.say("read-only mode: the lab does not launch demos", true);
                    return Vec::new();
                }
                if let Some(spec) = self.lab.spec_at_cursor() {
                    self.lab.select_next_started = true;
                    self.view = View::Processes;
                    self.say(format!("launching {} with {} workers", spec.kind, spec.workers), false);
                    return vec![Effect::Launch(spec)];
                }
            }
            Command::StopDemo => {
                // In the lab, `x` stops the newest running demo of the kind under the cursor.
                let kind = self.lab.selected_entry().map(|e| e.kind);
                let id = self.lab.demos.iter().rev().find(|d| d.running() && Some(d.spec.kind) == kind).map(|d| d.id);
                match id {
                    Some(id) => {
                        self.say(format!("stopping demo #{id}"), false);
                        return vec![Effect::StopDemo(id)];
                    }
                    None => self.say("no running demo of this kind", false),
                }
            }
            Command::Back | Command::OpenLab => {
                self.view = if self.threads.is_some() { View::Threads } else { View::Processes };
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_experiment_picker(&mut self, cursor: usize, cmd: Command) -> Vec<Effect> {
        let n = ExperimentKind::ALL.len();
        match cmd {
            Command::Up => self.lab_screen = LabScreen::Picker { cursor: cursor.saturating_sub(1) },
            Command::Down => self.lab_screen = LabScreen::Picker { cursor: (cursor + 1).min(n - 1) },
            Command::Enter => {
                if self.options.readonly {
                    self.say("read-only mode: the lab does not launch experiments", true);
                    return Vec::new();
                }
                let kind = ExperimentKind::ALL[cursor.min(n - 1)];
                if self.lab.running_count() > 0 {
                    let names = self.lab.running_names();
                    let what = if names.len() == 1 { "is running: it takes" } else { "are running: they take" };
                    self.say(
                        format!("{} {what} cores from the experiment · X stops all demos", names.join(", ")),
                        true,
                    );
                }
                self.experiment = Some(ExperimentState::new(kind));
                self.lab_screen = LabScreen::Experiment;
                return vec![Effect::StartExperiment(kind)];
            }
            Command::Back | Command::Experiments => {
                self.lab_screen = if self.experiment.is_some() { LabScreen::Experiment } else { LabScreen::Catalog };
                if cmd == Command::Back {
                    self.lab_screen = LabScreen::Catalog;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_experiment(&mut self, cmd: Command) -> Vec<Effect> {
        let running = self.experiment.as_ref().is_some_and(|e| e.running());
        match cmd {
            Command::Back => {
                if running {
                    if let Some(e) = self.experiment.as_mut() {
                        e.request_cancel();
                    }
                    self.say("cancelling the experiment: its processes are being stopped", false);
                    return vec![Effect::CancelExperiment];
                }
                self.lab_screen = LabScreen::Catalog;
            }
            Command::Experiments if !running => self.lab_screen = LabScreen::Picker { cursor: 0 },
            Command::Save => match self.experiment.as_ref().and_then(|e| e.result()) {
                Some(r) if !running => return vec![Effect::SaveExperiment(Box::new(r.clone()))],
                _ => self.say("nothing to save yet: the experiment has not finished", true),
            },
            Command::OpenLab => self.view = if self.threads.is_some() { View::Threads } else { View::Processes },
            _ => {}
        }
        Vec::new()
    }

    /// Says what came of an effect.
    fn on_outcome(&mut self, o: Outcome) {
        match o {
            Outcome::SignalsSent { sig, sent, of, problems } => {
                let name = act::SIGNALS.iter().find(|(_, n)| *n == sig).map(|(s, _)| *s).unwrap_or("?");
                let mut text = format!("SIG{name} sent to {sent} of {of} process(es)");
                for (pid, why) in &problems {
                    text.push_str(&format!("; PID {pid}: {why}"));
                }
                self.say(text, !problems.is_empty());
            }
            Outcome::Reniced { pid, tid, result } => match result {
                Ok(n) => {
                    let who = match tid {
                        Some(t) => format!("thread {t} (nice is per thread)"),
                        None => format!("PID {pid}, all its threads"),
                    };
                    self.say(format!("nice of {who} is now {n}"), false);
                }
                Err(e) => self.say(format!("PID {pid}: {e}"), true),
            },
            Outcome::AffinitySet { pid, allowed, result } => match result {
                Ok(n) => {
                    let cores: Vec<String> =
                        allowed.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i.to_string()).collect();
                    self.say(format!("{n} thread(s) of PID {pid} may now run on CPU {}", cores.join(",")), false);
                }
                Err(e) => self.say(format!("PID {pid}: {e}"), true),
            },
            Outcome::Failed { pid, error } => self.say(format!("PID {pid}: {error}"), true),
            Outcome::LaunchFailed { reason } => {
                self.lab.select_next_started = false;
                self.say(format!("lab: {reason}"), true);
            }
            Outcome::ExperimentBusy => {
                self.say("an experiment is already running (Esc in its view cancels it)", true);
            }
            Outcome::ExperimentSaved(Ok(path)) => self.say(format!("saved: {}", path.display()), false),
            Outcome::ExperimentSaved(Err(e)) => self.say(format!("not saved: {e}"), true),
        }
    }

    fn on_text(&mut self, input: TextInput) -> Vec<Effect> {
        let Some(prompt) = self.prompt else {
            return Vec::new();
        };
        let in_threads = self.view == View::Threads;
        match (prompt, input) {
            (Prompt::Search, TextInput::Char(c)) => {
                if in_threads {
                    if let Some(t) = self.threads.as_mut() {
                        t.search.push(c);
                        let from = t.selected;
                        t.search_from(from);
                    }
                } else {
                    self.list.search.push(c);
                    self.search_from(self.list.selected);
                }
            }
            (Prompt::Search, TextInput::Backspace) => {
                if in_threads {
                    if let Some(t) = self.threads.as_mut() {
                        t.search.pop();
                    }
                } else {
                    self.list.search.pop();
                }
            }
            (Prompt::Search, TextInput::Next) => {
                if in_threads {
                    if let Some(t) = self.threads.as_mut() {
                        let from = t.selected + 1;
                        t.search_from(from);
                    }
                } else {
                    self.search_from(self.list.selected + 1);
                }
            }
            (Prompt::Search, TextInput::Confirm | TextInput::Cancel) => self.prompt = None,
            (Prompt::Filter, TextInput::Char(c)) => {
                self.list.filter.push(c);
                self.rebuild_rows();
            }
            (Prompt::Filter, TextInput::Backspace) => {
                self.list.filter.pop();
                self.rebuild_rows();
            }
            (Prompt::Filter, TextInput::Confirm) => self.prompt = None,
            (Prompt::Filter, TextInput::Cancel) => {
                self.prompt = None;
                self.list.filter.clear();
                self.rebuild_rows();
            }
            (Prompt::Filter, TextInput::Next) => {}
        }
        Vec::new()
    }

    /// Moves to the first row at or after `from` (wrapping) whose name or command matches.
    fn search_from(&mut self, from: usize) {
        let needle = self.list.search.to_lowercase();
        if needle.is_empty() || self.list.rows.is_empty() {
            return;
        }
        let n = self.list.rows.len();
        let snap = &self.snapshot;
        let hit = (0..n).map(|k| (from + k) % n).find(|&i| {
            let row = &self.list.rows[i];
            let Some(p) = snap.processes.get(row.process) else {
                return false;
            };
            match row.thread.and_then(|k| p.threads.get(k)) {
                Some(t) => contains_ci(&t.name, &needle),
                None => matches_process(p, &needle),
            }
        });
        match hit {
            Some(i) => self.select_row(i),
            None => self.say(format!("no process matches '{}'", self.list.search), true),
        }
    }
}

#[cfg(test)]
mod tests;
