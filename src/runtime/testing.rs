//! Scripted stand-ins for the loop's sources, so tests run the real `event_loop` in process:
//! keys from a list, snapshots from a queue, a lab that records what it was asked. Each call of
//! `event_loop` with a finite input runs until the script is used up and nothing else is ready,
//! then returns `Ending::Idle` with the screen drawn; the test looks and goes on.
//!
//! ```ignore
//! let mut h = Harness::new(app, 120, 40);
//! h.samples.push(snapshot);
//! h.keys("P");                     // runs the loop until idle
//! assert!(h.screen().contains("CPU%"));
//! ```
//! Part of `runtime`: may import every room; nothing imports it but `main` (and tests).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::event_loop::{self, Context, Ending};
use super::sources::{ExperimentBusy, Lab, SampleSource};
use crate::app::{Action, App};
use crate::collect::model::Snapshot;
use crate::collect::sampler::Control;
use crate::input::keymap::Keymap;
use crate::model::demo::{DemoId, DemoSpec, LabEvent};
use crate::model::experiment::{CompareConfig, ExperimentEvent, ExperimentKind};
use crate::ui::Theme;

/// Snapshots given in order; what the loop asked of the sampler is kept.
#[derive(Default)]
pub struct ScriptedSamples {
    pub queue: VecDeque<Arc<Snapshot>>,
    pub controls: Vec<Control>,
}

impl ScriptedSamples {
    pub fn push(&mut self, snap: Snapshot) {
        self.queue.push_back(Arc::new(snap));
    }
}

impl SampleSource for ScriptedSamples {
    async fn next(&mut self) -> Option<Arc<Snapshot>> {
        match self.queue.pop_front() {
            Some(s) => Some(s),
            // No more for now: wait (the loop goes idle), the source has not ended.
            None => std::future::pending().await,
        }
    }

    fn control(&mut self, control: Control) {
        self.controls.push(control);
    }
}

/// A lab that starts nothing: it records each request and hands out the events queued for it.
#[derive(Default)]
pub struct ScriptedLab {
    pub launched: Vec<DemoSpec>,
    pub stopped: Vec<DemoId>,
    pub stopped_all: usize,
    pub experiments: Vec<ExperimentKind>,
    /// The compares asked for, in order (each also in `experiments`).
    pub compares: Vec<CompareConfig>,
    pub cancelled: usize,
    /// When set, launches fail with this reason.
    pub refuse: Option<String>,
    /// When true, an experiment is "running" and another is refused.
    pub experiment_running: bool,
    pub events: VecDeque<Action>,
    pub shut_down: bool,
}

impl ScriptedLab {
    pub fn push_demo(&mut self, e: LabEvent) {
        self.events.push_back(Action::Lab(e));
    }

    pub fn push_experiment(&mut self, e: ExperimentEvent) {
        self.events.push_back(Action::Experiment(e));
    }
}

impl Lab for ScriptedLab {
    fn launch(&mut self, spec: DemoSpec) -> Result<DemoId, String> {
        if let Some(r) = &self.refuse {
            return Err(r.clone());
        }
        self.launched.push(spec);
        Ok(self.launched.len() as DemoId)
    }

    fn stop(&mut self, id: DemoId) {
        self.stopped.push(id);
    }

    fn stop_all(&mut self) {
        self.stopped_all += 1;
    }

    fn start_experiment(&mut self, kind: ExperimentKind) -> Result<(), ExperimentBusy> {
        if self.experiment_running {
            return Err(ExperimentBusy);
        }
        self.experiments.push(kind);
        Ok(())
    }

    fn start_compare(&mut self, config: CompareConfig) -> Result<(), ExperimentBusy> {
        if self.experiment_running {
            return Err(ExperimentBusy);
        }
        self.experiments.push(ExperimentKind::Compare);
        self.compares.push(config);
        Ok(())
    }

    fn cancel_experiment(&mut self) {
        self.cancelled += 1;
    }

    async fn next(&mut self) -> Option<Action> {
        match self.events.pop_front() {
            Some(a) => Some(a),
            None => std::future::pending().await,
        }
    }

    async fn shutdown(&mut self) {
        self.shut_down = true;
    }
}

/// The real app and event loop on a TestBackend, with scripted sources.
pub struct Harness {
    pub app: App,
    pub terminal: Terminal<TestBackend>,
    pub samples: ScriptedSamples,
    pub lab: ScriptedLab,
    pub keymap: Keymap,
    pub theme: Theme,
    pub proc_root: PathBuf,
    rt: tokio::runtime::Runtime,
}

impl Harness {
    pub fn new(app: App, width: u16, height: u16) -> Harness {
        Harness::with_keymap(app, Keymap::defaults(), width, height)
    }

    pub fn with_keymap(app: App, keymap: Keymap, width: u16, height: u16) -> Harness {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| {
            // Only tests build a harness; a runtime that cannot start is the test's failure.
            panic!("tokio runtime: {e}")
        });
        let terminal = Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("terminal: {e}"));
        Harness {
            app,
            terminal,
            samples: ScriptedSamples::default(),
            lab: ScriptedLab::default(),
            keymap,
            theme: Theme::mono(),
            proc_root: PathBuf::from("/proc"),
            rt,
        }
    }

    /// Carries out the app's start-up effects, as `run` does.
    pub fn start(&mut self) {
        let ctx = Context { keymap: &self.keymap, theme: &self.theme, proc_root: &self.proc_root };
        event_loop::start(&mut self.app, &ctx, &mut self.samples, &mut self.lab);
    }

    /// Runs the real loop over these terminal events until it is idle (or quits).
    pub fn events(&mut self, events: Vec<Event>) -> Ending {
        let ctx = Context { keymap: &self.keymap, theme: &self.theme, proc_root: &self.proc_root };
        let mut input = futures_util::stream::iter(events.into_iter().map(Ok));
        let Harness { app, terminal, samples, lab, rt, .. } = self;
        rt.block_on(event_loop::event_loop(terminal, app, &ctx, &mut input, samples, lab, std::future::pending()))
            .unwrap_or_else(|e| panic!("event loop: {e:#}"))
    }

    /// Types keys: each character is a key; `<Enter>`, `<Esc>`, `<Up>`, `<Down>`, `<Left>`,
    /// `<Right>`, `<PgUp>`, `<PgDn>`, `<Home>`, `<End>`, `<Tab>`, `<Backspace>`, `<F1>`..`<F12>`,
    /// `<C-c>` name the others.
    pub fn keys(&mut self, keys: &str) -> Ending {
        self.events(parse_keys(keys))
    }

    /// Runs the loop with no input: queued samples and lab events are handled, then it returns.
    pub fn idle(&mut self) -> Ending {
        self.events(Vec::new())
    }

    /// Resizes the terminal as a real one would, with the resize event.
    pub fn resize(&mut self, width: u16, height: u16) -> Ending {
        self.terminal.backend_mut().resize(width, height);
        self.events(vec![Event::Resize(width, height)])
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        let buf = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }
}

/// Key events from a compact script (see `Harness::keys`).
pub fn parse_keys(script: &str) -> Vec<Event> {
    let key = |code: KeyCode, mods: KeyModifiers| Event::Key(KeyEvent::new(code, mods));
    let mut out = Vec::new();
    let mut rest = script;
    while let Some(c) = rest.chars().next() {
        if c == '<'
            && let Some(end) = rest.find('>')
            && end > 1
        {
            let name = &rest[1..end];
            let code = match name {
                "Enter" => Some(KeyCode::Enter),
                "Esc" => Some(KeyCode::Esc),
                "Up" => Some(KeyCode::Up),
                "Down" => Some(KeyCode::Down),
                "Left" => Some(KeyCode::Left),
                "Right" => Some(KeyCode::Right),
                "PgUp" => Some(KeyCode::PageUp),
                "PgDn" => Some(KeyCode::PageDown),
                "Home" => Some(KeyCode::Home),
                "End" => Some(KeyCode::End),
                "Tab" => Some(KeyCode::Tab),
                "Backspace" => Some(KeyCode::Backspace),
                "C-c" => {
                    out.push(key(KeyCode::Char('c'), KeyModifiers::CONTROL));
                    rest = &rest[end + 1..];
                    continue;
                }
                f if f.starts_with('F') => f[1..].parse().ok().map(KeyCode::F),
                _ => None,
            };
            if let Some(code) = code {
                out.push(key(code, KeyModifiers::NONE));
                rest = &rest[end + 1..];
                continue;
            }
        }
        out.push(key(KeyCode::Char(c), KeyModifiers::NONE));
        rest = &rest[c.len_utf8()..];
    }
    out
}
