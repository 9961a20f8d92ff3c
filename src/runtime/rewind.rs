//! The live view with a rewind: every live snapshot also goes into a `history::rewind::Ring` (the
//! last `rewind_minutes`, in the recording's frame format). `Z` freezes the view on the newest
//! frame kept; the replay keys then step through the ring while sampling goes on; `Z` or Space
//! returns to live. With `rewind_minutes = 0` it is the plain live source.
//! Part of `runtime`: may import every room; nothing imports it but `main` (and tests).

use std::sync::Arc;
use std::time::Duration;

use super::sources::SampleSource;
use crate::app::replay::{ReplayCmd, ReplayPosition};
use crate::collect::model::{FocusSample, Snapshot};
use crate::collect::sampler::Control;
use crate::history::rewind::Ring;
use crate::history::{FrameState, time};

pub struct RewindSource<S: SampleSource> {
    live: S,
    /// None: no rewind kept.
    ring: Option<Ring>,
    /// The frame shown while rewound.
    rewound: Option<u64>,
    pending: bool,
    last_live: Arc<Snapshot>,
    note: Option<String>,
    offset_s: i64,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl<S: SampleSource> RewindSource<S> {
    pub fn new(live: S, keep: Duration) -> RewindSource<S> {
        RewindSource {
            live,
            ring: (!keep.is_zero()).then(|| Ring::new(keep)),
            rewound: None,
            pending: false,
            last_live: Arc::new(Snapshot::default()),
            note: None,
            offset_s: time::utc_offset_s((now_ms() / 1000) as i64),
        }
    }

    /// The inner source (tests queue samples on it).
    pub fn inner(&mut self) -> &mut S {
        &mut self.live
    }

    pub fn ring(&self) -> Option<&Ring> {
        self.ring.as_ref()
    }

    fn load(&mut self, n: u64) -> Arc<Snapshot> {
        let Some(ring) = self.ring.as_mut() else { return self.last_live.clone() };
        let seq = ring.snap_seq_of(n).unwrap_or(0);
        match ring.state_at(n) {
            Ok(state) => {
                let mut snap = state.to_snapshot(&self.last_live.system.identity, seq);
                // The focused process's threads, if they were kept (all-threads mode), else why not.
                if let Some(pid) = self.last_live.focus.as_ref().map(|f| f.pid) {
                    snap.focus = Some(Arc::new(state.focus(pid).unwrap_or_else(|| {
                        let process = snap.processes.iter().find(|p| p.pid == pid).cloned();
                        FocusSample {
                            pid,
                            alive: process.is_some(),
                            process,
                            error: Some("rewind: threads are kept only in all-threads mode (H)".into()),
                            ..FocusSample::default()
                        }
                    })));
                }
                self.note = None;
                Arc::new(snap)
            }
            Err(e) => {
                self.note = Some(e);
                self.last_live.clone()
            }
        }
    }
}

impl<S: SampleSource> SampleSource for RewindSource<S> {
    async fn next(&mut self) -> Option<Arc<Snapshot>> {
        loop {
            if self.pending {
                self.pending = false;
                return Some(match self.rewound {
                    Some(n) => self.load(n),
                    None => self.last_live.clone(),
                });
            }
            let snap = self.live.next().await?;
            if let Some(ring) = self.ring.as_mut() {
                ring.push(now_ms(), snap.seq, FrameState::from_snapshot(&snap, |_| true));
            }
            self.last_live = snap.clone();
            if self.rewound.is_none() {
                return Some(snap);
            }
            // Rewound: the live sample is kept, the screen stays on the moment chosen.
        }
    }

    fn control(&mut self, control: Control) {
        self.live.control(control);
    }

    fn position(&self) -> Option<ReplayPosition> {
        let ring = self.ring.as_ref()?;
        let (start_ms, end_ms) = ring.span().unwrap_or((0, 0));
        let n = self.rewound.or(ring.last()).unwrap_or(0);
        Some(ReplayPosition {
            index: n.saturating_sub(ring.first()) as usize,
            count: ring.len(),
            at_ms: ring.time_of(n).unwrap_or(end_ms),
            start_ms,
            end_ms,
            utc_offset_s: self.offset_s,
            playing: false,
            speed: 1,
            gaps: Vec::new(),
            note: self.note.clone(),
            live: true,
            history: None,
        })
    }

    fn replay(&mut self, cmd: ReplayCmd) -> Result<(), String> {
        let Some(ring) = self.ring.as_ref() else {
            return Err("no rewind: rewind_minutes is 0 in the config file".into());
        };
        let Some(last) = ring.last() else { return Err("rewind: nothing kept yet".into()) };
        let first = ring.first();
        let at = self.rewound.unwrap_or(last).clamp(first, last);
        self.rewound = match cmd {
            ReplayCmd::Rewind => Some(last),
            ReplayCmd::Live => None,
            ReplayCmd::Step(n) => Some(at.saturating_add_signed(n).clamp(first, last)),
            ReplayCmd::Jump(ms) => {
                let t = ring.time_of(at).unwrap_or(0).saturating_add_signed(ms);
                let i = ring.index_at(t);
                Some(if ms > 0 && i <= at { (at + 1).min(last) } else { i })
            }
            ReplayCmd::Goto(text) => {
                let (s, e) = ring.span().ok_or("rewind: nothing kept yet")?;
                Some(ring.index_at(time::parse_moment(&text, s, e, self.offset_s)?))
            }
            ReplayCmd::TogglePlay | ReplayCmd::Speed => return Err("rewind: Z or Space goes back to live".into()),
        };
        self.pending = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::snapshot;
    use crate::app::lab::LabState;
    use crate::app::{App, Options};
    use crate::input::keymap::Keymap;
    use crate::runtime::testing::{Harness, ScriptedSamples};

    #[test]
    fn z_rewinds_the_live_view_and_steps_through_what_was_kept() {
        let app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(crate::runtime::catalog()));
        let source = RewindSource::new(ScriptedSamples::default(), Duration::from_secs(600));
        let mut h = Harness::with_source(app, source, Keymap::defaults(), 120, 40);
        h.proc_root = std::env::temp_dir().join(format!("threadtop-empty-proc-{}", std::process::id()));
        for seq in 1..=5 {
            let mut s = snapshot(seq);
            // A figure that tells the frames apart.
            s.processes[0].cpu_time_ms = seq * 1000;
            h.samples.inner().push(s);
        }
        h.idle();
        assert_eq!(h.samples.ring().unwrap().len(), 5);
        let shown = |h: &Harness<RewindSource<ScriptedSamples>>| h.app.snapshot.processes[0].cpu_time_ms;
        assert_eq!(shown(&h), 5000);
        h.keys("Z");
        assert!(h.screen().contains("REWIND"), "{}", h.screen());
        h.keys(",,");
        assert_eq!(shown(&h), 3000);
        assert!(h.screen().contains("frame 3/5"), "{}", h.screen());
        // Live samples keep coming into the ring while rewound; the screen stays.
        let mut s = snapshot(6);
        s.processes[0].cpu_time_ms = 6000;
        h.samples.inner().push(s);
        h.idle();
        assert_eq!(shown(&h), 3000);
        assert_eq!(h.samples.ring().unwrap().len(), 6);
        // Acting on a process is refused while rewound.
        h.keys("k");
        assert!(h.screen().contains("read-only while rewound"), "{}", h.screen());
        h.keys("<Esc>Z");
        assert_eq!(shown(&h), 6000);
        assert!(!h.screen().contains("REWIND"), "{}", h.screen());
        // Back live, `.` sorts again (the live key), and k opens the signal menu.
        h.keys("k");
        assert!(h.app.overlay.is_some());
        h.keys("<Esc>");

        // The CPU graph's time axis: a click at its left edge shows the oldest sample it draws.
        h.keys("v");
        let (x0, _, y0, y1, back) = h.app.hit.borrow().graph.expect("the chart was drawn");
        assert_eq!(back, 5, "six samples on the chart");
        h.events(vec![crossterm::event::Event::Mouse(crossterm::event::MouseEvent {
            kind: crossterm::event::MouseEventKind::Down(crossterm::event::MouseButton::Left),
            column: x0,
            row: (y0 + y1) / 2,
            modifiers: crossterm::event::KeyModifiers::NONE,
        })]);
        assert!(h.app.paused);
        assert_eq!(shown(&h), 1000, "{}", h.screen());
        assert!(h.screen().contains("frame 1/6"), "{}", h.screen());
    }
}
