//! `threadtop replay FILE...` in the monitor: a `ReplaySource` reads frames of a recording as the
//! live sampler would hand out snapshots, paced by play/pause and speed, and follows the end of a
//! file still being written. The app shows it read-only, with a timeline.
//! Part of `runtime`: may import every room; nothing imports it but `main` (and tests).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use crossterm::event::EventStream;
use tokio::signal::unix::{SignalKind, signal};
use tokio::time::Instant;

use super::sources::{NoLab, SampleSource};
use super::{TerminalInput, event_loop, install_panic_hook, say, show_cursor, spawn_hangup_watchdog, terminal_gone};
use crate::app::lab::LabState;
use crate::app::replay::{ReplayCmd, ReplayPosition, SPEEDS, TimelineGap};
use crate::app::{Action, App, CpuPoint};
use crate::cli::{Cli, ReplayArgs};
use crate::collect::model::{FocusSample, Pid, Snapshot};
use crate::collect::sampler::Control;
use crate::config::{Config, ThemeName};
use crate::history::{Recording, time};
use crate::ui::Theme;

/// How often the end of the recording is looked at for new frames (a file being written).
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

pub struct ReplaySource {
    rec: Recording,
    index: usize,
    playing: bool,
    speed: usize,
    /// A sample is owed now (a move, a focus change).
    pending: bool,
    focus: Option<Pid>,
    note: Option<String>,
    last: Arc<Snapshot>,
    due: Option<Instant>,
    follow_due: Option<Instant>,
    gaps: Vec<TimelineGap>,
    /// The next load is a seek: give the app the CPU of the frames before it.
    seeked: bool,
    history: Option<Vec<CpuPoint>>,
}

/// Frames before a seek whose CPU use the graph gets (it shows at most ~2 per column).
const GRAPH_FRAMES: usize = 320;

fn gaps_of(rec: &Recording) -> Vec<TimelineGap> {
    rec.gaps().into_iter().map(|g| TimelineGap { from_ms: g.from_ms, to_ms: g.to_ms, why: g.why }).collect()
}

impl ReplaySource {
    pub fn new(rec: Recording, index: usize) -> ReplaySource {
        let note = rec.warnings().into_iter().next();
        ReplaySource {
            gaps: gaps_of(&rec),
            rec,
            index,
            playing: false,
            speed: 0,
            pending: true,
            focus: None,
            note,
            last: Arc::new(Snapshot::default()),
            due: None,
            follow_due: None,
            seeked: true,
            history: None,
        }
    }

    fn load(&mut self) -> Arc<Snapshot> {
        if self.rec.is_empty() {
            return self.last.clone();
        }
        self.index = self.index.min(self.rec.len() - 1);
        self.history = None;
        if std::mem::take(&mut self.seeked) {
            let mut points = Vec::new();
            for i in self.index.saturating_sub(GRAPH_FRAMES)..self.index {
                let Ok(s) = self.rec.state_at(i) else { break };
                points.push(CpuPoint {
                    total: s.system.total.busy(),
                    cores: s.system.cpus.iter().map(|c| c.busy()).collect(),
                });
            }
            self.history = Some(points);
        }
        match self.rec.snapshot_at(self.index) {
            Ok(mut snap) => {
                if let Some(pid) = self.focus {
                    snap.focus = Some(Arc::new(self.focus_at(pid, &snap)));
                }
                self.last = Arc::new(snap);
            }
            Err(e) => self.note = Some(e),
        }
        self.last.clone()
    }

    /// The threads of `pid` at this frame, or why there are none.
    fn focus_at(&mut self, pid: Pid, snap: &Snapshot) -> FocusSample {
        if let Ok(state) = self.rec.state_at(self.index)
            && let Some(f) = state.focus(pid)
        {
            return f;
        }
        let process = snap.processes.iter().find(|p| p.pid == pid).cloned();
        let alive = process.is_some();
        let error = alive.then(|| {
            format!("the threads of {pid} were not recorded at this moment (record with --threads all, or -p {pid})")
        });
        FocusSample { pid, process, alive, error, ..FocusSample::default() }
    }

    fn gap_to_next(&self) -> Duration {
        let (a, b) = (self.rec.frames[self.index].time_ms, self.rec.frames[self.index + 1].time_ms);
        let ms = b.saturating_sub(a) / u64::from(SPEEDS[self.speed]);
        // A long hole is crossed in two seconds at most; x60 over 1 s frames still shows each.
        Duration::from_millis(ms.clamp(10, 2000))
    }

    fn at_ms(&self) -> u64 {
        self.rec.frames.get(self.index).map_or(0, |f| f.time_ms)
    }
}

impl SampleSource for ReplaySource {
    async fn next(&mut self) -> Option<Arc<Snapshot>> {
        loop {
            if self.pending {
                self.pending = false;
                return Some(self.load());
            }
            if self.playing && self.index + 1 < self.rec.len() {
                let gap = self.gap_to_next();
                let due = *self.due.get_or_insert_with(|| Instant::now() + gap);
                // Checked here: tokio's timer sees a past deadline only at its next turn.
                if Instant::now() < due {
                    tokio::time::sleep_until(due).await;
                }
                self.due = None;
                self.index += 1;
                return Some(self.load());
            }
            // Paused, or at the end: frames appended since (a recording still being written).
            let due = *self.follow_due.get_or_insert_with(|| Instant::now() + FOLLOW_EVERY);
            if Instant::now() < due {
                tokio::time::sleep_until(due).await;
            }
            self.follow_due = None;
            match self.rec.refresh() {
                Ok(0) => {}
                Ok(_) => {
                    self.gaps = gaps_of(&self.rec);
                    // The timeline's span grew; at the end while playing, play on.
                    self.pending = !self.playing;
                }
                Err(e) => {
                    self.note = Some(e);
                    self.pending = true;
                }
            }
        }
    }

    fn control(&mut self, control: Control) {
        match control {
            Control::Focus(pid) => {
                self.focus = pid;
                self.pending = true;
            }
            Control::Now => self.pending = true,
            // A recording holds what it holds: which rows are on screen changes nothing read.
            Control::AllThreads(_)
            | Control::Pause(_)
            | Control::Visible(_)
            | Control::Extras(_)
            | Control::IoColumns(_) => {}
        }
    }

    fn position(&self) -> Option<ReplayPosition> {
        let (start_ms, end_ms) = self.rec.span().unwrap_or((0, 0));
        Some(ReplayPosition {
            index: self.index,
            count: self.rec.len(),
            at_ms: self.at_ms(),
            start_ms,
            end_ms,
            utc_offset_s: self.rec.utc_offset_s(),
            playing: self.playing,
            speed: SPEEDS[self.speed],
            gaps: self.gaps.clone(),
            note: self.note.clone(),
            live: false,
            history: self.history.clone(),
        })
    }

    fn replay(&mut self, cmd: ReplayCmd) -> Result<(), String> {
        let last = self.rec.len().saturating_sub(1);
        // A frame forward (or play, speed) extends the graph; anything else redraws it.
        let cmd_kind = match cmd {
            ReplayCmd::Step(1) | ReplayCmd::TogglePlay | ReplayCmd::Speed => Kind::Plain,
            _ => Kind::Seek,
        };
        match cmd {
            ReplayCmd::TogglePlay => self.playing = !self.playing,
            ReplayCmd::Step(n) => {
                self.playing = false;
                self.index = self.index.saturating_add_signed(n as isize).min(last);
            }
            ReplayCmd::Jump(ms) => {
                let t = self.at_ms().saturating_add_signed(ms);
                let i = self.rec.index_at(t);
                // Forward never stays put: a minute inside a hole still moves on.
                self.index = if ms > 0 && i <= self.index { (self.index + 1).min(last) } else { i };
            }
            ReplayCmd::Goto(text) => {
                let (start, end) = self.rec.span().ok_or("the recording has no frame yet")?;
                let t = time::parse_moment(&text, start, end, self.rec.utc_offset_s())?;
                self.index = self.rec.index_at(t);
            }
            ReplayCmd::Speed => self.speed = (self.speed + 1) % SPEEDS.len(),
            ReplayCmd::Rewind | ReplayCmd::Live => return Err("a recording has no live view".into()),
        }
        self.seeked = !matches!(cmd_kind, Kind::Plain);
        self.due = None;
        self.pending = true;
        Ok(())
    }
}

enum Kind {
    Plain,
    Seek,
}

/// The monitor over a recording. Opening errors are one line on stderr, before the terminal changes.
pub fn run_replay(cli: &Cli, args: &ReplayArgs, config: Config) -> ExitCode {
    let rec = match Recording::open(&args.files) {
        Ok(r) => r,
        Err(e) => {
            say(&format!("threadtop: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let index = match args.at.as_deref() {
        None => 0,
        Some(_) if rec.is_empty() => 0,
        Some(at) => match crate::commands::replay::locate(&rec, Some(at)) {
            Ok(i) => i,
            Err(e) => {
                say(&format!("threadtop: {e}"));
                return ExitCode::FAILURE;
            }
        },
    };
    let mut options = match super::options_from_cli(cli, &config) {
        Ok(o) => o,
        Err(msg) => {
            say(&format!("threadtop: {msg}"));
            return ExitCode::from(2);
        }
    };
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) || !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        say(
            "threadtop: the replay needs a terminal; for one moment as JSON use `threadtop replay FILE --json --at TIME`.",
        );
        return ExitCode::from(2);
    }
    options.readonly = true;
    let mut app = App::new(options, config.keymap.help(), LabState::new(super::catalog()));
    app.show_graph = true;
    let source = ReplaySource::new(rec, index);
    if let Some(pos) = source.position() {
        app.update(Action::ReplayAt(pos));
    }
    match drive(cli, &config, app, source) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) if terminal_gone() => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("threadtop: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

fn drive(cli: &Cli, config: &Config, mut app: App, mut source: ReplaySource) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let keymap = config.keymap.clone();
    let theme = if cli.no_color || config.theme == ThemeName::Mono { Theme::mono() } else { Theme::from_env() };
    let std_hook = std::panic::take_hook();
    let mut terminal = ratatui::try_init().context("opening the terminal")?;
    install_panic_hook(std_hook);
    spawn_hangup_watchdog();
    let mouse = !cli.no_mouse && config.mouse;
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    }
    let proc_root = std::path::PathBuf::from("/proc");
    let ctx = event_loop::Context { keymap: &keymap, theme: &theme, proc_root: &proc_root };
    let result = rt.block_on(async {
        let mut lab = NoLab;
        let mut input = TerminalInput(EventStream::new());
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let stop = async {
            tokio::select! {
                _ = sigterm.recv() => {}
                _ = sigint.recv() => {}
                _ = sighup.recv() => {}
            }
        };
        event_loop::start(&mut app, &ctx, &mut source, &mut lab);
        event_loop::event_loop(&mut terminal, &mut app, &ctx, &mut input, &mut source, &mut lab, stop).await.map(|_| ())
    });
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    let _ = terminal.show_cursor();
    std::mem::forget(terminal);
    let _ = ratatui::try_restore();
    show_cursor();
    result
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
