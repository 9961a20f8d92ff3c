//! The lab as the app sees it: the catalogue cursor, the knobs set before launching, and what
//! each launched demo reported. Plain state; the lab module does the launching.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

pub mod compare;
pub mod lessons;
pub mod watch;

use std::cell::Cell;
use std::time::Duration;

use crate::app::experiment::ExperimentState;
use crate::app::threads::ThreadsState;
use crate::app::{App, Command, Effect, LabScreen, View, cursor};
use crate::collect::model::Pid;
use crate::model::demo::{DemoId, DemoKind, DemoResult, DemoSpec, LabEvent};
use crate::model::experiment::ExperimentKind;

/// Defaults and limits for one catalogue entry, given by the runtime from the lab's catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogEntry {
    pub kind: DemoKind,
    pub workers: u32,
    pub seconds: u32,
    pub max_workers: u32,
    /// False for demos that run once (spawn-cost): the duration knob does nothing.
    pub timed: bool,
    /// What N counts: "threads" or "processes".
    pub unit: &'static str,
    pub summary: String,
    pub lesson: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DemoStatus {
    Running,
    Finished(DemoResult),
    Failed(String),
}

/// One launched demo and what it reported.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoEntry {
    pub id: DemoId,
    pub spec: DemoSpec,
    pub pids: Vec<Pid>,
    pub status: DemoStatus,
    pub ops: u64,
    pub elapsed: Duration,
    /// Operations per second over about the last second (see `LabEvent::Progress`).
    pub ops_rate: f64,
    /// Cores in use now, over about the last second.
    pub cores_now: f64,
    /// CPU time of all its processes at the last report.
    pub cpu: Duration,
    /// What the samples showed of it: its cores, OTHERS, its processes.
    pub sampled: watch::Sampled,
}

impl DemoEntry {
    pub fn running(&self) -> bool {
        self.status == DemoStatus::Running
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabState {
    pub catalog: Vec<CatalogEntry>,
    pub cursor: usize,
    pub demos: Vec<DemoEntry>,
    /// Launches the runtime was asked for that have not reported yet (`Started` selects them).
    pub select_next_started: bool,
    /// The lesson's first line shown, and the catalogue entry it is for: another entry's
    /// lesson starts at its top.
    lesson_scroll: (usize, u16),
    /// Written by the UI as it draws the lesson: how far it can scroll and how many lines it
    /// shows at once, so that PgDn stops at the end and moves by what is on screen.
    pub lesson_view: Cell<LessonView>,
    /// The threads of the running demo the lab shows (`watched`), read through the focus.
    pub watch: Option<ThreadsState>,
    /// The process the sampler was last asked to read in detail (`Effect::Focus`).
    pub focused: Option<Pid>,
    pub lessons: lessons::LessonsState,
    /// The compare screen's knobs, once opened.
    pub compare: Option<compare::CompareSetup>,
}

/// How the lesson fits on screen, as last drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LessonView {
    pub max_scroll: u16,
    pub page: u16,
}

/// Most demos the lab panel keeps (oldest finished ones are dropped first).
const MAX_KEPT: usize = 32;

impl LabState {
    pub fn new(catalog: Vec<CatalogEntry>) -> LabState {
        LabState {
            catalog,
            cursor: 0,
            demos: Vec::new(),
            select_next_started: false,
            lesson_scroll: (0, 0),
            lesson_view: Cell::new(LessonView::default()),
            watch: None,
            focused: None,
            lessons: lessons::LessonsState::default(),
            compare: None,
        }
    }

    /// The running demo whose processes and threads the lab shows: the newest of the kind
    /// under the cursor, else the newest running.
    pub fn watched(&self) -> Option<&DemoEntry> {
        let kind = self.selected_entry().map(|e| e.kind);
        let running = || self.demos.iter().rev().filter(|d| d.running() && !d.pids.is_empty());
        running().find(|d| Some(d.spec.kind) == kind).or_else(|| running().next())
    }

    /// The first line of the lesson to show (0 once the cursor moved to another entry).
    pub fn lesson_scroll(&self) -> u16 {
        let (cursor, line) = self.lesson_scroll;
        if cursor == self.cursor { line } else { 0 }
    }

    /// PgDn / PgUp in the lab: the lesson moves by a page, keeping its last line in view, and
    /// stops at its ends.
    pub fn scroll_lesson(&mut self, down: bool) {
        let view = self.lesson_view.get();
        let step = view.page.saturating_sub(1).max(1);
        let now = self.lesson_scroll();
        let next = if down { now.saturating_add(step).min(view.max_scroll) } else { now.saturating_sub(step) };
        self.lesson_scroll = (self.cursor, next);
    }

    pub fn selected_entry(&self) -> Option<&CatalogEntry> {
        self.catalog.get(self.cursor)
    }

    pub fn spec_at_cursor(&self) -> Option<DemoSpec> {
        self.selected_entry().map(|e| DemoSpec {
            kind: e.kind,
            workers: e.workers,
            duration: Duration::from_secs(u64::from(e.seconds)),
        })
    }

    /// `+`/`-`: more or fewer workers. Returns a message when a cap stops it.
    pub fn adjust_workers(&mut self, up: bool) -> Option<String> {
        let e = self.catalog.get_mut(self.cursor)?;
        let step = if e.kind == DemoKind::SpawnCost { 50 } else { 1 };
        let wanted = if up { e.workers.saturating_add(step) } else { e.workers.saturating_sub(step) };
        e.workers = wanted.clamp(1, e.max_workers.max(1));
        (up && wanted > e.workers).then(|| format!("cap: at most {} {} for {}", e.max_workers, e.unit, e.kind))
    }

    /// Left/Right: shorter or longer, in steps that fit the range 5 s .. 10 min.
    pub fn adjust_seconds(&mut self, up: bool) {
        if let Some(e) = self.catalog.get_mut(self.cursor) {
            let step = if e.seconds >= 120 || (up && e.seconds >= 60) {
                60
            } else if e.seconds >= 30 || (up && e.seconds >= 20) {
                10
            } else {
                5
            };
            e.seconds = if up { e.seconds.saturating_add(step) } else { e.seconds.saturating_sub(step) }.clamp(5, 600);
        }
    }

    pub fn running_count(&self) -> usize {
        self.demos.iter().filter(|d| d.running()).count()
    }

    /// The running demos as the user knows them: "cpu-threads #1".
    pub fn running_names(&self) -> Vec<String> {
        self.demos.iter().filter(|d| d.running()).map(|d| format!("{} #{}", d.spec.kind, d.id)).collect()
    }

    /// The running demo that started this PID, if any.
    pub fn owner_of(&self, pid: Pid) -> Option<DemoId> {
        self.demos.iter().find(|d| d.running() && d.pids.contains(&pid)).map(|d| d.id)
    }

    /// Applies a lab event; returns the PID to select when a demo has just started.
    pub fn apply(&mut self, event: LabEvent) -> Option<Pid> {
        match event {
            LabEvent::Started { id, spec, pids } => {
                let first = pids.first().copied();
                self.demos.push(DemoEntry {
                    id,
                    spec,
                    pids,
                    status: DemoStatus::Running,
                    ops: 0,
                    elapsed: Duration::ZERO,
                    ops_rate: 0.0,
                    cores_now: 0.0,
                    cpu: Duration::ZERO,
                    sampled: watch::Sampled::default(),
                });
                self.trim();
                first
            }
            LabEvent::Progress { id, ops, elapsed, cpu, ops_per_sec, cores } => {
                if let Some(d) = self.demos.iter_mut().find(|d| d.id == id) {
                    // Not Δ ops / Δ elapsed between two events: `elapsed` is when the event was
                    // sent, not when the processes counted (see `LabEvent::Progress`).
                    if let Some(r) = ops_per_sec {
                        d.ops_rate = r;
                    }
                    if let Some(c) = cores {
                        d.cores_now = c;
                    }
                    d.ops = ops;
                    d.elapsed = elapsed;
                    d.cpu = cpu;
                }
                None
            }
            LabEvent::Finished { id, result } => {
                if let Some(d) = self.demos.iter_mut().find(|d| d.id == id) {
                    d.ops = result.ops;
                    d.elapsed = Duration::from_secs_f64(result.wall_seconds.max(0.0));
                    d.ops_rate = result.ops_per_sec;
                    d.cores_now = 0.0;
                    d.status = DemoStatus::Finished(result);
                }
                None
            }
            LabEvent::Failed { id, reason } => {
                if let Some(d) = self.demos.iter_mut().find(|d| d.id == id) {
                    d.status = DemoStatus::Failed(reason);
                    d.cores_now = 0.0;
                }
                None
            }
            LabEvent::Refused { .. } => None,
        }
    }

    fn trim(&mut self) {
        while self.demos.len() > MAX_KEPT {
            match self.demos.iter().position(|d| !d.running()) {
                Some(i) => {
                    self.demos.remove(i);
                }
                None => break,
            }
        }
    }
}

impl App {
    /// Which of the lab's screens shows (the catalogue outside the lab).
    pub fn lab_screen(&self) -> LabScreen {
        match self.view {
            View::Lab(screen) => screen,
            _ => LabScreen::Catalog,
        }
    }

    /// The lab opens on the experiment while one runs, else on the catalogue.
    pub(crate) fn lab_opens_on(&self) -> LabScreen {
        match &self.experiment {
            Some(e) if e.running() => LabScreen::Experiment,
            _ => LabScreen::Catalog,
        }
    }

    /// The process the sampler should read in detail: the lab's watched demo while the lab's
    /// catalogue shows, else the threads view's process.
    fn wanted_focus(&self) -> Option<Pid> {
        if self.view == View::LAB
            && let Some(d) = self.lab.watched()
        {
            return d.pids.first().copied();
        }
        self.threads.as_ref().map(|t| t.pid)
    }

    /// After every update: new samples go to the demos' figures and the lab's watch, the focus
    /// follows what is on screen, and the lesson walked is checked.
    pub(crate) fn after_update(&mut self, effects: &mut Vec<Effect>, sampled: bool) {
        if sampled {
            let cores = self.logical_cores();
            let snap = std::sync::Arc::clone(&self.snapshot);
            self.lab.on_sample(&snap, cores);
            if let Some(w) = self.lab.watch.as_mut() {
                w.apply_sample(&snap);
            }
        }
        if let Some(pid) = effects.iter().rev().find_map(|e| match e {
            Effect::Focus(p) => Some(*p),
            _ => None,
        }) {
            self.lab.focused = pid;
        }
        let wanted = self.wanted_focus();
        if wanted != self.lab.focused {
            self.lab.focused = wanted;
            effects.push(Effect::Focus(wanted));
        }
        let watched = self.lab.watched().and_then(|d| d.pids.first().copied());
        if self.lab.watch.as_ref().map(|w| w.pid) != watched {
            self.lab.watch = watched.map(|pid| {
                let mut t = ThreadsState::new(pid);
                if let Some(p) = self.snapshot.processes.iter().find(|p| p.pid == pid) {
                    t.seed(p);
                }
                t
            });
        }
        self.check_lesson();
    }

    pub(crate) fn on_lab(&mut self, cmd: Command) -> Vec<Effect> {
        match self.lab_screen() {
            LabScreen::Picker { cursor } => return self.on_experiment_picker(cursor, cmd),
            LabScreen::Experiment => return self.on_experiment(cmd),
            LabScreen::Compare => return self.on_compare(cmd),
            LabScreen::Lessons => return self.on_lessons_index(cmd),
            LabScreen::Lesson => return self.on_lesson(cmd),
            LabScreen::Catalog => {}
        }
        match cmd {
            Command::Compare => {
                self.open_compare();
                return Vec::new();
            }
            Command::Lessons => {
                // The lesson walked (done or not) shows what it saw; `l` there goes to the index.
                match self.lab.lessons.walk.as_ref() {
                    Some(_) => self.view = View::Lab(LabScreen::Lesson),
                    None => self.view = View::Lab(LabScreen::Lessons),
                }
                return Vec::new();
            }
            _ => {}
        }
        if cmd == Command::Experiments {
            self.view = View::Lab(match &self.experiment {
                Some(e) if e.running() => LabScreen::Experiment,
                _ => LabScreen::Picker { cursor: 0 },
            });
            return Vec::new();
        }
        let n = self.lab.catalog.len();
        match cmd {
            // PgUp/PgDn scroll the lesson here, not the list.
            Command::Up | Command::Down | Command::Home | Command::End => {
                if let Some(i) = cursor::step(self.lab.cursor, n, 1, cmd) {
                    self.lab.cursor = i;
                }
            }
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
                    // The lab shows the demo's rows and threads: the user stays to watch, and
                    // finds it selected in the list on leaving.
                    self.lab.select_next_started = true;
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

    pub(crate) fn on_experiment_picker(&mut self, cursor: usize, cmd: Command) -> Vec<Effect> {
        let n = ExperimentKind::ALL.len();
        match cmd {
            Command::Up | Command::Down | Command::Home | Command::End => {
                if let Some(cursor) = cursor::step(cursor, n, n, cmd) {
                    self.view = View::Lab(LabScreen::Picker { cursor });
                }
            }
            Command::Enter => {
                if self.options.readonly {
                    self.say("read-only mode: the lab does not launch experiments", true);
                    return Vec::new();
                }
                let kind = ExperimentKind::ALL[cursor.min(n - 1)];
                if kind == ExperimentKind::Compare {
                    self.open_compare();
                    return Vec::new();
                }
                if self.lab.running_count() > 0 {
                    let names = self.lab.running_names();
                    let what = if names.len() == 1 { "is running: it takes" } else { "are running: they take" };
                    self.say(
                        format!("{} {what} cores from the experiment · X stops all demos", names.join(", ")),
                        true,
                    );
                }
                self.experiment = Some(ExperimentState::new(kind));
                self.view = View::Lab(LabScreen::Experiment);
                return vec![Effect::StartExperiment(kind)];
            }
            Command::Back | Command::Experiments => {
                self.view =
                    View::Lab(if self.experiment.is_some() { LabScreen::Experiment } else { LabScreen::Catalog });
                if cmd == Command::Back {
                    self.view = View::Lab(LabScreen::Catalog);
                }
            }
            _ => {}
        }
        Vec::new()
    }

    pub(crate) fn on_experiment(&mut self, cmd: Command) -> Vec<Effect> {
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
                self.view = View::Lab(LabScreen::Catalog);
            }
            Command::Experiments if !running => self.view = View::Lab(LabScreen::Picker { cursor: 0 }),
            Command::Save => match self.experiment.as_ref().and_then(|e| e.result()) {
                Some(r) if !running => return vec![Effect::SaveExperiment(Box::new(r.clone()))],
                _ => self.say("nothing to save yet: the experiment has not finished", true),
            },
            Command::OpenLab => self.view = if self.threads.is_some() { View::Threads } else { View::Processes },
            _ => {}
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: DemoKind) -> CatalogEntry {
        CatalogEntry {
            kind,
            workers: 4,
            seconds: 60,
            max_workers: 256,
            timed: true,
            unit: "threads",
            summary: String::new(),
            lesson: String::new(),
        }
    }

    #[test]
    fn progress_gives_rate() {
        let mut lab = LabState::new(vec![entry(DemoKind::CpuThreads)]);
        let spec = lab.spec_at_cursor().unwrap();
        assert_eq!(lab.apply(LabEvent::Started { id: 1, spec, pids: vec![42] }), Some(42));
        let ms = Duration::from_millis;
        let progress = |ops, elapsed, ops_per_sec, cores| LabEvent::Progress {
            id: 1,
            ops,
            elapsed: ms(elapsed),
            cpu: ms(2000),
            ops_per_sec,
            cores,
        };
        lab.apply(progress(100, 1000, Some(600.0), Some(1.8)));
        // An event sent before every process has a rate keeps the last rates shown.
        lab.apply(progress(400, 1500, None, None));
        let d = &lab.demos[0];
        assert_eq!((d.ops, d.elapsed), (400, ms(1500)));
        assert_eq!((d.ops_rate, d.cores_now), (600.0, 1.8));
        assert_eq!(lab.owner_of(42), Some(1));
        assert_eq!(lab.running_count(), 1);
    }

    #[test]
    fn the_lesson_scrolls_by_pages_within_its_ends_and_restarts_on_another_entry() {
        let mut lab = LabState::new(vec![entry(DemoKind::CpuThreads), entry(DemoKind::IoThreads)]);
        // Nothing drawn yet: nothing to scroll.
        lab.scroll_lesson(true);
        assert_eq!(lab.lesson_scroll(), 0);
        lab.lesson_view.set(LessonView { max_scroll: 7, page: 4 });
        lab.scroll_lesson(true);
        assert_eq!(lab.lesson_scroll(), 3);
        lab.scroll_lesson(true);
        lab.scroll_lesson(true);
        assert_eq!(lab.lesson_scroll(), 7);
        lab.scroll_lesson(false);
        assert_eq!(lab.lesson_scroll(), 4);
        lab.cursor = 1;
        assert_eq!(lab.lesson_scroll(), 0);
        lab.scroll_lesson(false);
        assert_eq!(lab.lesson_scroll(), 0);
    }

    #[test]
    fn starting_an_experiment_while_demos_run_names_them_and_how_to_stop_them() {
        use crate::app::{Action, App, Command, Options};
        let mut app = App::new(
            Options::default(),
            crate::input::keymap::Keymap::defaults().help(),
            LabState::new(vec![entry(DemoKind::CpuThreads)]),
        );
        let spec = DemoSpec { kind: DemoKind::CpuThreads, workers: 2, duration: Duration::from_secs(60) };
        app.update(Action::Lab(LabEvent::Started { id: 1, spec, pids: vec![42] }));
        assert_eq!(app.lab.running_names(), vec!["cpu-threads #1"]);
        for c in [Command::OpenLab, Command::Experiments, Command::Enter] {
            app.update(Action::Cmd(c));
        }
        let status = app.status.as_ref().map(|s| s.text.as_str()).unwrap_or("");
        assert!(status.contains("cpu-threads #1 is running") && status.contains("X stops all demos"), "{status}");
    }

    #[test]
    fn knobs_stay_in_range() {
        let mut lab = LabState::new(vec![CatalogEntry { max_workers: 5, ..entry(DemoKind::CpuThreads) }]);
        assert_eq!(lab.adjust_workers(true), None, "4 → 5 is allowed");
        assert!(lab.adjust_workers(true).is_some_and(|m| m.contains("at most 5")), "the cap is said");
        assert_eq!(lab.catalog[0].workers, 5);
        for _ in 0..10 {
            lab.adjust_workers(false);
        }
        assert_eq!(lab.catalog[0].workers, 1);
        for _ in 0..100 {
            lab.adjust_seconds(true);
        }
        assert_eq!(lab.catalog[0].seconds, 600);
        for _ in 0..100 {
            lab.adjust_seconds(false);
        }
        assert_eq!(lab.catalog[0].seconds, 5);
    }
}
