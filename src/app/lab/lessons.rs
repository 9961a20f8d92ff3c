//! The lessons as the app walks them: the index cursor, the lesson being walked and its step,
//! what each done step showed, and each step's check evaluated from the app's own state after
//! every key, sample and lab event (`App::check_lesson`). The lessons themselves are data in
//! `model::lessons`.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::cell::Cell;

use crate::app::{App, Command, Effect, LabScreen, View, cursor};
use crate::model::demo::{DemoId, DemoKind};
use crate::model::experiment::ExperimentResult;
use crate::model::lessons::{Check, Figure, LESSONS, Lesson, Screen};

use super::{DemoEntry, DemoStatus, LessonView};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LessonsState {
    /// The index's cursor.
    pub cursor: usize,
    pub walk: Option<Walk>,
    /// First line of the lesson shown; written back by the UI as `view`.
    pub scroll: u16,
    pub view: Cell<LessonView>,
}

/// The lesson being walked.
#[derive(Clone, Debug, PartialEq)]
pub struct Walk {
    pub lesson: usize,
    /// The step to do now; `steps.len()` once every step is done.
    pub step: usize,
    /// Per step, what showed it done ("cores in use fell from 1.98 to 1.00"), or "skipped".
    pub results: Vec<Option<String>>,
    /// What the current step's check sees now, in words.
    pub status: String,
    /// The highest the current step's figure reached since the step began (for `Fell`).
    pub peak: Option<f64>,
    /// Demos that had ended before the current step began: `Finished` waits for another.
    pub ended_before: Vec<DemoId>,
}

impl Walk {
    pub fn lesson(&self) -> &'static Lesson {
        &LESSONS[self.lesson.min(LESSONS.len() - 1)]
    }

    pub fn finished(&self) -> bool {
        self.step >= self.lesson().steps.len()
    }
}

/// A check's verdict now: done or not, and what it sees, in plain words.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub done: bool,
    pub says: String,
}

impl Verdict {
    fn done(says: impl Into<String>) -> Verdict {
        Verdict { done: true, says: says.into() }
    }

    fn waiting(says: impl Into<String>) -> Verdict {
        Verdict { done: false, says: says.into() }
    }
}

impl App {
    /// The newest demo of `kind`, running ones first.
    fn newest_of(&self, kind: DemoKind) -> Option<&DemoEntry> {
        let of = || self.lab.demos.iter().rev().filter(move |d| d.spec.kind == kind);
        of().find(|d| d.running()).or_else(|| of().next())
    }

    /// Whether `pid` is a process of a running demo of `kind` (or a child of one).
    fn pid_of_kind(&self, pid: crate::collect::model::Pid, kind: DemoKind) -> bool {
        let ppid = self.snapshot.processes.iter().find(|p| p.pid == pid).map(|p| p.ppid);
        self.lab
            .demos
            .iter()
            .filter(|d| d.running() && d.spec.kind == kind)
            .any(|d| d.pids.contains(&pid) || ppid.is_some_and(|pp| d.pids.contains(&pp)))
    }

    /// A figure of the newest demo of `kind` and whether it has been measured long enough to
    /// judge a steady value; None when there is nothing to measure yet.
    pub fn lesson_figure(&self, kind: DemoKind, figure: Figure) -> Option<(f64, bool)> {
        let d = self.newest_of(kind)?;
        let running = d.running();
        let s = &d.sampled;
        match figure {
            Figure::CoresInUse => match &d.status {
                DemoStatus::Running => (s.samples > 0).then_some((s.cores_now, s.settled())),
                DemoStatus::Finished(r) => Some((r.cores_used, true)),
                DemoStatus::Failed(_) => None,
            },
            Figure::OpsPerSec => (d.ops_rate > 0.0).then_some((d.ops_rate, !running || s.settled())),
            Figure::Processes => running.then_some((f64::from(s.processes), s.samples > 0)),
            Figure::Threads => running.then_some((f64::from(s.threads), s.samples > 0)),
            Figure::Others => s.others().map(|o| (o, !running || s.settled())),
            Figure::SpawnRatio => match &d.status {
                DemoStatus::Finished(r) => r.spawn.as_ref().map(|sc| (sc.ratio, true)),
                _ => None,
            },
            Figure::WaitPercent => {
                let views = [self.threads.as_ref(), self.lab.watch.as_ref()];
                let t = views.into_iter().flatten().find(|t| self.pid_of_kind(t.pid, kind))?;
                let max = t.rows().filter(|r| !r.exited).filter_map(|r| r.detail.wait_percent).reduce(f32::max)?;
                Some((f64::from(max), true))
            }
        }
    }

    fn screen_is(&self, screen: Screen) -> bool {
        match screen {
            Screen::ProcessList => self.view == View::Processes,
            Screen::Tree => self.view == View::Processes && self.list.tree,
            Screen::ThreadsView => self.view == View::Threads,
            Screen::Lab => self.view == View::LAB,
            Screen::Compare => {
                self.view == View::Lab(LabScreen::Compare)
                    || (self.view == View::Lab(LabScreen::Experiment)
                        && matches!(
                            self.experiment.as_ref().and_then(|e| e.result()),
                            Some(ExperimentResult::Compare(_))
                        ))
            }
        }
    }

    /// What `check` sees now; `peak` is the highest its figure reached since the step began.
    pub fn evaluate(&self, check: &Check, peak: Option<f64>, ended_before: &[DemoId]) -> Verdict {
        let cores = self.logical_cores() as f64;
        match *check {
            Check::Read => Verdict::waiting("read it, then Enter in the lesson goes on"),
            Check::Selected(kind) => {
                let at = self.lab.selected_entry().map(|e| e.kind);
                if at == Some(kind) && self.view == View::LAB {
                    Verdict::done(format!("the cursor is on {kind}"))
                } else {
                    Verdict::waiting(format!("waiting for the lab's cursor on {kind}"))
                }
            }
            Check::Running { kind, min_workers } => {
                match self.lab.demos.iter().rev().find(|d| d.running() && d.spec.kind == kind) {
                    Some(d) if d.spec.workers >= min_workers => {
                        Verdict::done(format!("{kind} #{} runs with {}", d.id, count(d.spec.workers, kind)))
                    }
                    Some(d) => Verdict::waiting(format!(
                        "{kind} #{} runs with {}: launch one with {min_workers} or more",
                        d.id, d.spec.workers
                    )),
                    None => Verdict::waiting(format!("no {kind} running yet")),
                }
            }
            Check::Finished(kind) => {
                let ended = self.lab.demos.iter().rev().find(|d| {
                    d.spec.kind == kind && matches!(d.status, DemoStatus::Finished(_)) && !ended_before.contains(&d.id)
                });
                match ended {
                    Some(d) => Verdict::done(format!("{kind} #{} has ended and left nothing behind", d.id)),
                    None => Verdict::waiting(format!("waiting for a {kind} to end")),
                }
            }
            Check::Screen(screen) => {
                let name = screen_name(screen);
                if self.screen_is(screen) {
                    Verdict::done(format!("{name} open: done"))
                } else {
                    Verdict::waiting(format!("waiting for the {name}"))
                }
            }
            Check::ThreadsOf(kind) => {
                let open =
                    self.view == View::Threads && self.threads.as_ref().is_some_and(|t| self.pid_of_kind(t.pid, kind));
                let name = crate::model::catalog::process_name(kind, 0);
                if open {
                    Verdict::done(format!("open the threads view of {name}: done"))
                } else {
                    Verdict::waiting(format!("waiting for the threads view of a running {name}"))
                }
            }
            Check::AtLeast { kind, figure, value } => {
                // A machine cannot show more cores than it has.
                let want = if figure == Figure::CoresInUse { value.min(cores * 0.8) } else { value };
                match self.lesson_figure(kind, figure) {
                    Some((v, _)) if v >= want => {
                        Verdict::done(format!("{kind}: {} reached {}", figure.name(), fmt(figure, v)))
                    }
                    Some((v, _)) => {
                        // A busy machine is a reason the figure cannot climb: say so.
                        let others = self.lesson_figure(kind, Figure::Others).map_or(0.0, |(o, _)| o);
                        let busy = if figure == Figure::CoresInUse && others >= 0.5 {
                            format!(" (other work takes {others:.1} cores: Right skips the step)")
                        } else {
                            String::new()
                        };
                        Verdict::waiting(format!(
                            "{kind}: {} {} now, waiting for {} or more{busy}",
                            figure.name(),
                            fmt(figure, v),
                            fmt(figure, want)
                        ))
                    }
                    None => Verdict::waiting(format!("waiting for {kind} to measure its {}", figure.name())),
                }
            }
            Check::AtMost { kind, figure, value } => match self.lesson_figure(kind, figure) {
                Some((v, true)) if v <= value => {
                    let n = self.newest_of(kind).map_or(0, |d| d.spec.workers);
                    Verdict::done(format!(
                        "{kind}: {} stays at {} with {}",
                        figure.name(),
                        fmt(figure, v),
                        count(n, kind)
                    ))
                }
                Some((v, settled)) => Verdict::waiting(format!(
                    "{kind}: {} {} now{}",
                    figure.name(),
                    fmt(figure, v),
                    if settled {
                        format!(", waiting for {} or less", fmt(figure, value))
                    } else {
                        ", measuring…".into()
                    }
                )),
                None => Verdict::waiting(format!("waiting for {kind} to measure its {}", figure.name())),
            },
            Check::Fell { kind, figure, by } => match (self.lesson_figure(kind, figure), peak) {
                (Some((v, _)), Some(p)) if p - v >= by => Verdict::done(format!(
                    "{kind}: {} fell from {} to {}",
                    figure.name(),
                    fmt(figure, p),
                    fmt(figure, v)
                )),
                (Some((v, _)), _) => Verdict::waiting(format!(
                    "{kind}: {} {} now, waiting for it to fall by {}",
                    figure.name(),
                    fmt(figure, v),
                    fmt(figure, by)
                )),
                (None, _) => Verdict::waiting(format!("waiting for a running {kind}")),
            },
            Check::StateSeen { kind, state } => {
                match self.lab.demos.iter().rev().find(|d| d.spec.kind == kind && d.sampled.states_seen.contains(state))
                {
                    Some(d) => Verdict::done(format!("{kind} #{}: a process seen in state {state}", d.id)),
                    None => Verdict::waiting(format!("waiting to see a process of {kind} in state {state}")),
                }
            }
            Check::Compared(kinds) => {
                let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                let done =
                    self.experiment.as_ref().filter(|e| !e.running()).and_then(|e| e.result()).and_then(|r| match r {
                        ExperimentResult::Compare(c)
                            if names.iter().all(|n| c.runs.iter().any(|run| run.kind == *n)) =>
                        {
                            Some(c)
                        }
                        _ => None,
                    });
                match done {
                    Some(c) => {
                        let figures: Vec<String> = c
                            .runs
                            .iter()
                            .map(|r| format!("{} {:.2} cores {:.0} ops/s", r.kind, r.cores_used, r.ops_per_sec))
                            .collect();
                        Verdict::done(format!("compared: {}", figures.join(" · ")))
                    }
                    None => Verdict::waiting(format!("waiting for a compare of {}", names.join(" and "))),
                }
            }
        }
    }

    /// Evaluates the current step of the lesson walked; goes on to the next step while checks
    /// pass. Called after every update.
    pub(crate) fn check_lesson(&mut self) {
        // Steps that pass together are said together.
        let mut said: Vec<String> = Vec::new();
        for _ in 0..16 {
            let Some(w) = self.lab.lessons.walk.as_ref() else { break };
            let Some(step) = w.lesson().steps.get(w.step) else { break };
            let check = step.check;
            let figure_now = match check {
                Check::Fell { kind, figure, .. } => self.lesson_figure(kind, figure).map(|(v, _)| v),
                _ => None,
            };
            let peak = match (w.peak, figure_now) {
                (Some(p), Some(v)) => Some(p.max(v)),
                (p, v) => p.or(v),
            };
            let verdict = self.evaluate(&check, peak, &w.ended_before);
            let ended: Vec<DemoId> = self.lab.demos.iter().filter(|d| !d.running()).map(|d| d.id).collect();
            let Some(w) = self.lab.lessons.walk.as_mut() else { break };
            w.peak = peak;
            if !verdict.done {
                w.status = verdict.says;
                break;
            }
            let n = w.step;
            if let Some(r) = w.results.get_mut(n) {
                *r = Some(verdict.says.clone());
            }
            w.step += 1;
            w.peak = None;
            w.ended_before = ended;
            w.status.clear();
            let total = w.lesson().steps.len();
            let text = if w.finished() {
                format!("lesson done: step {}/{total}: {}", n + 1, verdict.says)
            } else {
                format!("step {}/{total} done: {}", n + 1, verdict.says)
            };
            said.push(text);
        }
        if !said.is_empty() {
            self.say(said.join(" · "), false);
        }
    }

    /// Starts (or goes back to) lesson `i` and shows it.
    pub(crate) fn open_lesson(&mut self, i: usize) {
        let i = i.min(LESSONS.len() - 1);
        let same = self.lab.lessons.walk.as_ref().is_some_and(|w| w.lesson == i && !w.finished());
        if !same {
            self.lab.lessons.walk = Some(Walk {
                lesson: i,
                step: 0,
                results: vec![None; LESSONS[i].steps.len()],
                status: String::new(),
                peak: None,
                ended_before: self.lab.demos.iter().filter(|d| !d.running()).map(|d| d.id).collect(),
            });
            self.lab.lessons.scroll = 0;
        }
        self.view = View::Lab(LabScreen::Lesson);
        self.check_lesson();
    }

    pub(crate) fn on_lessons_index(&mut self, cmd: Command) -> Vec<Effect> {
        let l = &mut self.lab.lessons;
        match cmd {
            Command::Up | Command::Down | Command::Home | Command::End | Command::PageUp | Command::PageDown => {
                if let Some(i) = cursor::step(l.cursor, LESSONS.len(), 5, cmd) {
                    l.cursor = i;
                }
            }
            Command::Enter => {
                let i = l.cursor;
                self.open_lesson(i);
            }
            Command::Back | Command::Lessons => self.view = View::LAB,
            Command::OpenLab => self.view = if self.threads.is_some() { View::Threads } else { View::Processes },
            _ => {}
        }
        Vec::new()
    }

    pub(crate) fn on_lesson(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(w) = self.lab.lessons.walk.as_mut() else {
            self.view = View::Lab(LabScreen::Lessons);
            return Vec::new();
        };
        let total = w.lesson().steps.len();
        match cmd {
            Command::Enter if w.finished() => {
                self.lab.lessons.cursor = w.lesson;
                self.view = View::Lab(LabScreen::Lessons);
            }
            Command::Enter => {
                if w.lesson().steps[w.step].check == Check::Read {
                    w.results[w.step] = Some("read".into());
                    w.step += 1;
                } else {
                    let status = w.status.clone();
                    self.say(format!("this step is checked, not read: {status} · Right skips it"), false);
                }
            }
            Command::Right if w.step < total => {
                w.results[w.step] = Some("skipped".into());
                w.step += 1;
                w.peak = None;
            }
            Command::Left if w.step > 0 => {
                w.step -= 1;
                w.results[w.step] = None;
                w.peak = None;
            }
            Command::PageDown | Command::PageUp | Command::Down | Command::Up => {
                let view = self.lab.lessons.view.get();
                let step =
                    if matches!(cmd, Command::Down | Command::Up) { 1 } else { view.page.saturating_sub(1).max(1) };
                let now = self.lab.lessons.scroll;
                let down = matches!(cmd, Command::PageDown | Command::Down);
                self.lab.lessons.scroll =
                    if down { now.saturating_add(step).min(view.max_scroll) } else { now.saturating_sub(step) };
            }
            Command::Lessons => {
                self.lab.lessons.cursor = self.lab.lessons.walk.as_ref().map_or(0, |w| w.lesson);
                self.view = View::Lab(LabScreen::Lessons);
            }
            Command::Back => self.view = View::LAB,
            Command::OpenLab => self.view = if self.threads.is_some() { View::Threads } else { View::Processes },
            _ => {}
        }
        Vec::new()
    }

    /// The step to show outside the lesson screen (the strip over the footer): which lesson and
    /// step with its keys, the step's text, and what its check sees. None when no lesson is
    /// being walked, or on the lesson's own screens.
    pub fn lesson_strip(&self) -> Option<[String; 3]> {
        let w = self.lab.lessons.walk.as_ref()?;
        if matches!(self.view, View::Lab(LabScreen::Lesson | LabScreen::Lessons)) {
            return None;
        }
        let l = w.lesson();
        let step = l.steps.get(w.step)?;
        let head = format!("Lesson {}, step {}/{} · keys: {}", l.title, w.step + 1, l.steps.len(), step.keys);
        let status = format!("{} · d then l: the whole lesson", w.status);
        Some([head, step.text.to_owned(), status])
    }
}

/// "1 thread", "4 threads", "1 process": N with the noun of what it counts for `kind`.
fn count(n: u32, kind: DemoKind) -> String {
    let noun = crate::model::catalog::info(kind).unit.noun();
    if n != 1 {
        return format!("{n} {noun}");
    }
    let one =
        noun.strip_suffix("esses").map(|s| format!("{s}ess")).or_else(|| noun.strip_suffix('s').map(str::to_owned));
    format!("1 {}", one.unwrap_or_else(|| noun.to_owned()))
}

fn screen_name(s: Screen) -> &'static str {
    match s {
        Screen::ProcessList => "process list",
        Screen::Tree => "tree view",
        Screen::ThreadsView => "threads view",
        Screen::Lab => "lab",
        Screen::Compare => "compare",
    }
}

/// A figure as the lesson says it: cores with two decimals, percents and counts whole.
fn fmt(figure: Figure, v: f64) -> String {
    match figure {
        Figure::CoresInUse | Figure::Others => format!("{v:.2}"),
        Figure::SpawnRatio => format!("×{v:.1}"),
        Figure::WaitPercent => format!("{v:.0}%"),
        Figure::OpsPerSec | Figure::Processes | Figure::Threads => format!("{v:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::app::fixtures::{detail, process, snapshot, thread};
    use crate::app::lab::{CatalogEntry, LabState};
    use crate::app::{Action, Options};
    use crate::collect::model::{FocusSample, Pid, Snapshot};
    use crate::model::catalog;
    use crate::model::demo::{DemoResult, DemoSpec, LabEvent};

    fn app() -> App {
        let entries = DemoKind::EVERY
            .iter()
            .map(|&kind| CatalogEntry {
                kind,
                workers: 2,
                seconds: 60,
                max_workers: catalog::max_workers(kind),
                timed: !catalog::info(kind).runs_once,
                unit: catalog::info(kind).unit.noun(),
                summary: String::new(),
                lesson: String::new(),
            })
            .collect();
        let mut app =
            App::new(Options::default(), crate::input::keymap::Keymap::defaults().help(), LabState::new(entries));
        app.update(Action::Sample(Arc::new(snapshot(1))));
        app
    }

    fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
        app.update(Action::Cmd(c))
    }

    /// The machine busy at `busy`% with the demo process `pid` at `cpu`% of a core.
    fn sample(seq: u64, pid: Pid, cpu: f32, busy: f32, focus: Option<FocusSample>) -> Snapshot {
        let mut s = snapshot(seq);
        s.system.total.user = busy;
        s.system.total.system = 0.0;
        s.system.total.steal = 0.0;
        s.processes.push(process(pid, 1, "tt-demo", cpu, 10));
        s.focus = focus.map(std::sync::Arc::new);
        s
    }

    fn started(app: &mut App, id: u32, kind: DemoKind, workers: u32, pid: Pid) {
        let spec = DemoSpec { kind, workers, duration: Duration::from_secs(60) };
        app.update(Action::Lab(LabEvent::Started { id, spec, pids: vec![pid] }));
    }

    fn finished(app: &mut App, id: u32, kind: DemoKind) {
        let result = DemoResult {
            kind: kind.name().into(),
            workers: 2,
            wall_seconds: 3.0,
            cpu_seconds: 3.0,
            cores_used: 1.0,
            ops: 10,
            ops_per_sec: 3.0,
            pids: vec![],
            stopped_early: true,
            spawn: None,
            figures: None,
            extra: None,
        };
        app.update(Action::Lab(LabEvent::Finished { id, result }));
    }

    fn step(app: &App) -> usize {
        app.lab.lessons.walk.as_ref().map_or(usize::MAX, |w| w.step)
    }

    fn status(app: &App) -> String {
        app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default()
    }

    fn open(app: &mut App, id: &str) {
        let i = LESSONS.iter().position(|l| l.id == id).unwrap();
        cmd(app, Command::OpenLab);
        cmd(app, Command::Lessons);
        assert_eq!(app.view, View::Lab(LabScreen::Lessons));
        for _ in 0..i {
            cmd(app, Command::Down);
        }
        cmd(app, Command::Enter);
        assert_eq!(app.view, View::Lab(LabScreen::Lesson));
        assert_eq!(app.lab.lessons.walk.as_ref().map(|w| w.lesson), Some(i));
    }

    #[test]
    fn concurrency_vs_parallelism_is_walked_from_the_app_state_and_says_what_it_saw() {
        let mut app = app();
        open(&mut app, "concurrency-parallelism");
        cmd(&mut app, Command::Back);
        // 1: lock-threads with 4 runs.
        started(&mut app, 1, DemoKind::LockThreads, 4, 500);
        assert_eq!(step(&app), 1);
        assert!(status(&app).contains("step 1/5 done: lock-threads #1 runs with 4 threads"), "{}", status(&app));
        // 2: at most 1.3 cores, but only once measured for a few samples: a start-up sample at
        // 0 cores does not pass.
        app.update(Action::Sample(Arc::new(sample(2, 500, 0.0, 10.0, None))));
        assert_eq!(step(&app), 1, "judged on a start-up sample");
        for seq in 3..6 {
            app.update(Action::Sample(Arc::new(sample(seq, 500, 99.0, 60.0, None))));
        }
        assert_eq!(step(&app), 2);
        assert!(status(&app).contains("lock-threads: cores in use stays at 0.99 with 4 threads"), "{}", status(&app));
        // 3: cpu-threads reaches 1.5 cores.
        finished(&mut app, 1, DemoKind::LockThreads);
        started(&mut app, 2, DemoKind::CpuThreads, 2, 600);
        app.update(Action::Sample(Arc::new(sample(6, 600, 120.0, 70.0, None))));
        assert_eq!(step(&app), 2, "1.20 is not 1.5 yet");
        assert!(app.lab.lessons.walk.as_ref().unwrap().status.contains("1.20 now, waiting for 1.50 or more"));
        app.update(Action::Sample(Arc::new(sample(7, 600, 198.0, 100.0, None))));
        assert_eq!(step(&app), 3);
        assert!(status(&app).contains("cpu-threads: cores in use reached 1.98"), "{}", status(&app));
        // 4: pinned: it must fall by 0.5 from the highest since the step began; a rise is not a fall.
        app.update(Action::Sample(Arc::new(sample(8, 600, 150.0, 90.0, None))));
        app.update(Action::Sample(Arc::new(sample(9, 600, 198.0, 100.0, None))));
        assert_eq!(step(&app), 3);
        let focus = FocusSample {
            pid: 600,
            alive: true,
            threads: vec![
                detail(thread(601, "cpu-0", 'R', 50.0, 0), 600, 0.0, 30.0, Some(48.0)),
                detail(thread(602, "cpu-1", 'R', 50.0, 0), 600, 0.0, 30.0, Some(51.0)),
            ],
            cores_in_use: 1.0,
            ..Default::default()
        };
        assert_eq!(app.view, View::LAB, "the lab's watch reads its threads");
        app.update(Action::Sample(Arc::new(sample(10, 600, 100.0, 55.0, Some(focus)))));
        assert!(status(&app).contains("cpu-threads: cores in use fell from 1.98 to 1.00"), "{}", status(&app));
        // 5: WAIT% from the lab's watch of it (the same sample had it): the lesson is done.
        assert_eq!(step(&app), 5, "{}", status(&app));
        assert!(status(&app).contains("lesson done: step 5/5: cpu-threads: WAIT% reached 51%"), "{}", status(&app));
        let w = app.lab.lessons.walk.as_ref().unwrap();
        assert!(w.finished() && w.results.iter().all(Option::is_some));
    }

    #[test]
    fn the_life_cycle_is_walked_from_the_states_the_samples_show() {
        // lab-python: the lifecycle demo's letters, in the order it walks them.
        let mut app = app();
        open(&mut app, "life-cycle");
        cmd(&mut app, Command::Back);
        let row = DemoKind::EVERY.iter().position(|k| *k == DemoKind::Lifecycle).unwrap();
        cmd(&mut app, Command::Home);
        for _ in 0..row {
            cmd(&mut app, Command::Down);
        }
        assert_eq!(step(&app), 1, "{}", status(&app));
        started(&mut app, 1, DemoKind::Lifecycle, 1, 700);
        assert_eq!(step(&app), 2, "{}", status(&app));
        let with_state = |seq: u64, state: char| {
            let mut s = sample(seq, 700, if state == 'R' { 99.0 } else { 0.0 }, 60.0, None);
            if let Some(p) = s.processes.iter_mut().find(|p| p.pid == 700) {
                p.state = state;
            }
            Arc::new(s)
        };
        // Each letter passes its own step only: S does not pass the R step.
        app.update(Action::Sample(with_state(2, 'S')));
        assert_eq!(step(&app), 2, "S is not R: {}", status(&app));
        app.update(Action::Sample(with_state(3, 'R')));
        // S was seen before: the S step is done as soon as it begins.
        assert_eq!(step(&app), 4, "{}", status(&app));
        app.update(Action::Sample(with_state(4, 'D')));
        assert_eq!(step(&app), 4);
        app.update(Action::Sample(with_state(5, 'T')));
        assert_eq!(step(&app), 5);
        app.update(Action::Sample(with_state(6, 'Z')));
        assert_eq!(step(&app), 6);
        assert!(status(&app).contains("lifecycle #1: a process seen in state Z"), "{}", status(&app));
        finished(&mut app, 1, DemoKind::Lifecycle);
        assert!(app.lab.lessons.walk.as_ref().unwrap().finished(), "{}", status(&app));
    }

    #[test]
    fn the_lab_focuses_its_watched_demo_and_gives_the_focus_back_on_leaving() {
        let mut app = app();
        cmd(&mut app, Command::OpenLab);
        let spec = DemoSpec { kind: DemoKind::CpuThreads, workers: 2, duration: Duration::from_secs(60) };
        let effects = app.update(Action::Lab(LabEvent::Started { id: 1, spec, pids: vec![600] }));
        assert!(effects.contains(&Effect::Focus(Some(600))), "{effects:?}");
        assert_eq!(app.lab.watch.as_ref().map(|t| t.pid), Some(600));
        // Leaving the lab for the list: nothing is drilled into, the focus is dropped.
        let effects = cmd(&mut app, Command::OpenLab);
        assert_eq!(effects, vec![Effect::Focus(None)]);
        // Back in the lab, once, not at every key.
        assert_eq!(cmd(&mut app, Command::OpenLab), vec![Effect::Focus(Some(600))]);
        assert_eq!(cmd(&mut app, Command::Down), Vec::new());
    }

    #[test]
    fn a_finished_check_waits_for_a_demo_that_ends_after_the_step_began() {
        let mut app = app();
        started(&mut app, 1, DemoKind::Zombie, 1, 700);
        finished(&mut app, 1, DemoKind::Zombie);
        open(&mut app, "zombie");
        // The zombie that ended before the lesson does not count: step 1 wants a running one.
        assert_eq!(step(&app), 0);
        started(&mut app, 2, DemoKind::Zombie, 1, 710);
        assert_eq!(step(&app), 1);
        let mut s = sample(2, 710, 0.0, 5.0, None);
        s.processes.push(crate::collect::model::ProcessSample { state: 'Z', ..process(711, 710, "tt-zombie", 0.0, 0) });
        app.update(Action::Sample(Arc::new(s)));
        assert_eq!(step(&app), 2, "{}", status(&app));
        assert!(status(&app).contains("zombie #2: a process seen in state Z"));
        cmd(&mut app, Command::OpenLab);
        cmd(&mut app, Command::ToggleTree);
        assert_eq!(step(&app), 3, "{}", status(&app));
        finished(&mut app, 2, DemoKind::Zombie);
        assert!(app.lab.lessons.walk.as_ref().unwrap().finished());
    }

    #[test]
    fn a_figure_held_down_by_other_work_says_so_and_how_to_go_on() {
        let mut app = app();
        open(&mut app, "processes-threads");
        cmd(&mut app, Command::Back);
        started(&mut app, 1, DemoKind::CpuThreads, 2, 600);
        // Skip the threads view (step 3) with Right in the lesson: on to "cores in use climbs".
        cmd(&mut app, Command::Lessons);
        cmd(&mut app, Command::Right);
        assert_eq!(step(&app), 3);
        // The machine is full, the demo gets 0.4 of a core: 1.6 cores went to other work.
        app.update(Action::Sample(Arc::new(sample(2, 600, 40.0, 100.0, None))));
        let now = &app.lab.lessons.walk.as_ref().unwrap().status;
        assert!(now.contains("0.40 now, waiting for 1.50 or more (other work takes 1.6 cores"), "{now}");
    }

    #[test]
    fn counts_are_said_in_plain_words() {
        assert_eq!(count(1, DemoKind::Zombie), "1 zombie");
        assert_eq!(count(1, DemoKind::CpuProcs), "1 process");
        assert_eq!(count(4, DemoKind::LockThreads), "4 threads");
        assert_eq!(count(1, DemoKind::CpuThreads), "1 thread");
    }

    #[test]
    fn right_skips_left_goes_back_and_a_checked_step_is_not_read_away() {
        let mut app = app();
        open(&mut app, "gil");
        cmd(&mut app, Command::Enter);
        assert_eq!(step(&app), 0, "Enter does not pass a checked step");
        assert!(status(&app).contains("this step is checked, not read"));
        cmd(&mut app, Command::Right);
        assert_eq!(step(&app), 1);
        assert_eq!(app.lab.lessons.walk.as_ref().unwrap().results[0].as_deref(), Some("skipped"));
        cmd(&mut app, Command::Left);
        assert_eq!(step(&app), 0);
        // The strip shows outside the lesson, with the keys.
        cmd(&mut app, Command::Back);
        let [head, text, _] = app.lesson_strip().unwrap();
        assert!(head.contains("step 1/5") && head.contains("keys: Up/Down in the lab"), "{head}");
        assert!(text.contains("py-threads"), "{text}");
    }
}
