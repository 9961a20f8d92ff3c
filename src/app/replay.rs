//! A recording shown in the monitor (`threadtop replay`), or the live view rewound (`Z`, then
//! the replay keys): where it stands, its keys (their own scope, which wins over the live keys
//! while replaying), and the refusal of every action on live processes.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::app::{App, Command, Effect, Prompt, TextInput};

/// Speeds of play, cycled by `x`.
pub const SPEEDS: [u32; 3] = [1, 10, 60];

/// A hole in the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineGap {
    pub from_ms: u64,
    pub to_ms: u64,
    pub why: String,
}

/// Where the replay stands, as its source reports it after each sample.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayPosition {
    /// Frame shown, of `count`.
    pub index: usize,
    pub count: usize,
    pub at_ms: u64,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Seconds east of UTC, to show times of day as the recording's machine did.
    pub utc_offset_s: i64,
    pub playing: bool,
    pub speed: u32,
    pub gaps: Vec<TimelineGap>,
    /// A problem to show on the timeline (a damaged frame, a torn tail).
    pub note: Option<String>,
    /// The live view's rewind ring rather than a file: read-only only while rewound.
    pub live: bool,
    /// After a seek: CPU use at the frames before this one, oldest first, for the CPU graph.
    pub history: Option<Vec<crate::app::CpuPoint>>,
}

/// What a replay key asks of the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayCmd {
    TogglePlay,
    Step(i64),
    /// By this many milliseconds.
    Jump(i64),
    /// To a typed moment, which the source reads against the recording's span.
    Goto(String),
    Speed,
    /// The live view: start rewinding (freeze at the newest frame kept).
    Rewind,
    /// The live view: back to live.
    Live,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayState {
    pub pos: ReplayPosition,
    /// The `g` prompt's text.
    pub goto: String,
}

impl App {
    /// Whether the replay keys win now: a recording, or the live view rewound (paused).
    pub fn replay_keys_active(&self) -> bool {
        self.overlay.is_none()
            && self.prompt.is_none()
            && self.replay.as_ref().is_some_and(|r| !r.pos.live || self.paused)
    }

    /// Whether live processes may not be acted on: a recording, or a rewound live view.
    pub fn replay_read_only(&self) -> bool {
        self.replay.as_ref().is_some_and(|r| !r.pos.live || self.paused)
    }

    pub(crate) fn on_replay_position(&mut self, mut pos: ReplayPosition) {
        let jumped = self.replay.as_ref().is_none_or(|r| pos.index != r.pos.index + 1 && pos.index != r.pos.index);
        if let Some(history) = pos.history.take() {
            // The CPU graph is of the frames before this one, not of those seen before a seek.
            self.cpu_history = history.into_iter().collect();
        } else if jumped && !pos.live {
            self.cpu_history.clear();
        }
        let goto = self.replay.take().map(|r| r.goto).unwrap_or_default();
        self.replay = Some(ReplayState { pos, goto });
    }

    /// The replay keys and the refusals; None when the command is not the replay's.
    pub(crate) fn on_replay_command(&mut self, cmd: Command) -> Option<Vec<Effect>> {
        let file = self.replay.as_ref().is_some_and(|r| !r.pos.live);
        let live = self.replay.as_ref().is_some_and(|r| r.pos.live);
        if live && cmd == Command::Pause {
            // Z in the live view: freeze on the newest frame kept, then step through the ring.
            let rewound = !self.paused;
            self.paused = rewound;
            if rewound {
                self.say("rewind: , . step, [ ] a minute, g a time; Z back to live", false);
                return Some(vec![Effect::Replay(ReplayCmd::Rewind)]);
            }
            return Some(vec![Effect::Replay(ReplayCmd::Live)]);
        }
        if !self.replay_read_only() {
            return None;
        }
        let refused = matches!(
            cmd,
            Command::Kill
                | Command::NiceDown
                | Command::NiceUp
                | Command::Affinity
                | Command::Environment
                | Command::OpenFiles
                | Command::OpenLab
                | Command::StopDemo
                | Command::StopAllDemos
        );
        if refused {
            let what = if file {
                "replay: read-only (a recording: nothing to signal, renice or inspect)"
            } else {
                "replay: read-only while rewound (Z returns to live)"
            };
            self.say(what, true);
            return Some(Vec::new());
        }
        let step = |c: ReplayCmd| Some(vec![Effect::Replay(c)]);
        match cmd {
            Command::ReplayPlay if file => step(ReplayCmd::TogglePlay),
            Command::ReplayPlay => {
                self.paused = false;
                step(ReplayCmd::Live)
            }
            Command::ReplayStepForward => step(ReplayCmd::Step(1)),
            Command::ReplayStepBack => step(ReplayCmd::Step(-1)),
            Command::ReplayMinuteForward => step(ReplayCmd::Jump(60_000)),
            Command::ReplayMinuteBack => step(ReplayCmd::Jump(-60_000)),
            Command::ReplaySpeed if file => step(ReplayCmd::Speed),
            Command::ReplayGoto => {
                if let Some(r) = self.replay.as_mut() {
                    r.goto.clear();
                }
                self.prompt = Some(Prompt::Goto);
                Some(Vec::new())
            }
            // Z in a recording pauses the play (there is nothing live to freeze).
            Command::Pause if file => {
                if self.replay.as_ref().is_some_and(|r| r.pos.playing) {
                    step(ReplayCmd::TogglePlay)
                } else {
                    Some(Vec::new())
                }
            }
            _ => None,
        }
    }

    /// A click on the CPU history chart: the moment under the mouse, in a replay or (rewinding
    /// first) in the live view. None when the click is not on the chart or there is no history.
    pub(crate) fn on_graph_click(&mut self, x: u16, y: u16) -> Option<Vec<Effect>> {
        if self.overlay.is_some() || self.view != crate::app::View::Processes {
            return None;
        }
        let (x0, x1, y0, y1, back) = self.hit.borrow().graph?;
        if !(x0..x1).contains(&x) || !(y0..y1).contains(&y) {
            return None;
        }
        let replay = self.replay.as_ref()?;
        let live = replay.pos.live;
        // The chart's right edge is the newest sample; its left edge `back` samples before it.
        let width = u64::from(x1 - x0 - 1).max(1);
        let from_right = u64::from(x1 - 1 - x);
        let steps = (from_right * back as u64).div_ceil(width) as i64;
        let mut effects = Vec::new();
        if live {
            // From the newest frame, as the chart's right edge is.
            self.paused = true;
            effects.push(Effect::Replay(ReplayCmd::Rewind));
        }
        if steps > 0 {
            effects.push(Effect::Replay(ReplayCmd::Step(-steps)));
        }
        self.say(format!("{steps} sample(s) back, as the CPU graph showed them"), false);
        Some(effects)
    }

    pub(crate) fn on_goto_text(&mut self, input: TextInput) -> Vec<Effect> {
        let Some(r) = self.replay.as_mut() else {
            self.prompt = None;
            return Vec::new();
        };
        match input {
            TextInput::Char(c) => r.goto.push(c),
            TextInput::Backspace => {
                r.goto.pop();
            }
            TextInput::Confirm => {
                self.prompt = None;
                let text = std::mem::take(&mut r.goto);
                if !text.trim().is_empty() {
                    return vec![Effect::Replay(ReplayCmd::Goto(text))];
                }
            }
            TextInput::Cancel => self.prompt = None,
            TextInput::Next => {}
        }
        Vec::new()
    }
}
