//! The event loop, generic over its input stream, its terminal backend, its sample source and its
//! lab, so tests drive the real loop in process (scripted keys and samples on a TestBackend) as
//! `run` drives it with crossterm, the sampler thread and the supervisor. It turns events into
//! Actions, gives them to the app, carries out the Effects and gives each outcome back to the
//! app as an Action through the same queue. It writes no text a user reads: the app does.
//! Part of `runtime`: may import every room; nothing imports it but `main` (and tests).

use std::collections::VecDeque;
use std::future::Future;
use std::path::Path;

use anyhow::Result;
use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::sources::{Lab, SampleSource};
use crate::app::{Action, App, Effect, Inspect, Outcome};
use crate::collect::sampler::Control;
use crate::control::{self, SignalOutcome};
use crate::input::keymap::{Keymap, key_to_action};
use crate::ui::{self, Theme};

/// Most events handled before a redraw: a flood of keys is absorbed, not drawn one by one.
const MAX_EVENTS_PER_FRAME: usize = 512;

/// Why the loop returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The user quit.
    Quit,
    /// `stop` fired (SIGTERM, SIGINT, SIGHUP in the live loop).
    Stopped,
    /// The input stream ended and nothing else was ready: a test's script ran out.
    Idle,
}

/// What the loop needs besides its sources.
pub struct Context<'a> {
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    /// Where `control` reads /proc (a fake tree in torture tests).
    pub proc_root: &'a Path,
}

/// Runs until the user quits, `stop` fires, a source fails, or `input` ends with nothing else
/// ready (then it returns `Ending::Idle` after drawing, so a test can look and go on with another
/// call). Demos are not stopped here: the caller shuts the lab down when it is done with it.
pub async fn event_loop<B, I, S, L>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    ctx: &Context<'_>,
    input: &mut I,
    samples: &mut S,
    lab: &mut L,
    stop: impl Future<Output = ()>,
) -> Result<Ending>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    I: Stream<Item = std::io::Result<Event>> + Unpin,
    S: SampleSource,
    L: Lab,
{
    let mut stop = std::pin::pin!(stop);
    let mut input_done = false;
    let mut dirty = true;
    let ending = loop {
        if dirty {
            terminal.draw(|f| ui::draw(f, app, ctx.theme))?;
            dirty = false;
        }
        tokio::select! {
            biased;
            ev = input.next(), if !input_done => match ev {
                Some(Ok(ev)) => {
                    // This event and whatever else is already waiting are handled before the next
                    // draw, each applied before the next is read (a key may open a prompt).
                    let mut next = Some(ev);
                    let mut handled = 0;
                    while let Some(ev) = next.take() {
                        let mut acts = Vec::new();
                        dirty |= on_event(&ev, app, ctx.keymap, &mut acts);
                        for a in acts {
                            dispatch(a, app, ctx, samples, lab);
                        }
                        handled += 1;
                        if app.quit || handled >= MAX_EVENTS_PER_FRAME {
                            break;
                        }
                        // Polled with this task's waker. `now_or_never()` polls with a no-op
                        // waker, and crossterm's EventStream hands the waker of the poll that
                        // found nothing to its wake-up thread and ignores the wakers of later
                        // polls until that thread fires: the next key then waited for another
                        // event (a sample, up to a whole refresh interval) before being read.
                        let more = std::future::poll_fn(|cx| std::task::Poll::Ready(input.poll_next_unpin(cx))).await;
                        if let std::task::Poll::Ready(Some(Ok(ev))) = more {
                            next = Some(ev);
                        }
                    }
                }
                Some(Err(e)) => return Err(anyhow::Error::from(e).context("reading the terminal")),
                None => input_done = true,
            },
            _ = &mut stop => break Ending::Stopped,
            snap = samples.next() => match snap {
                Some(snap) => {
                    dirty = true;
                    dispatch(Action::Sample(snap), app, ctx, samples, lab);
                }
                None => return Err(anyhow::anyhow!("the sampler thread stopped")),
            },
            Some(action) = lab.next() => {
                dirty = true;
                dispatch(action, app, ctx, samples, lab);
            }
            // Only once the input has ended (a test's script): nothing else is ready.
            _ = std::future::ready(()), if input_done => break Ending::Idle,
        }
        if app.quit {
            break Ending::Quit;
        }
    };
    if dirty {
        terminal.draw(|f| ui::draw(f, app, ctx.theme))?;
    }
    Ok(ending)
}

/// Carries out the effects the app asks for at start (e.g. `--threads-of` focuses a process).
pub fn start<S: SampleSource, L: Lab>(app: &mut App, ctx: &Context<'_>, samples: &mut S, lab: &mut L) {
    let mut queue: VecDeque<Action> = VecDeque::new();
    for effect in app.startup_effects() {
        queue.extend(apply_effect(effect, ctx, samples, lab));
    }
    while let Some(a) = queue.pop_front() {
        dispatch(a, app, ctx, samples, lab);
    }
}

/// Turns a terminal event into actions; returns whether the screen must be redrawn.
fn on_event(ev: &Event, app: &App, keymap: &Keymap, actions: &mut Vec<Action>) -> bool {
    match ev {
        Event::Key(k) => {
            if let Some(a) = key_to_action(app, keymap, k) {
                actions.push(a);
            }
            true
        }
        Event::Resize(..) => true,
        Event::Mouse(m) => {
            use crossterm::event::{MouseButton, MouseEventKind};
            match m.kind {
                MouseEventKind::Down(MouseButton::Left) => actions.push(Action::Click { x: m.column, y: m.row }),
                MouseEventKind::ScrollUp => actions.push(Action::ScrollUp),
                MouseEventKind::ScrollDown => actions.push(Action::ScrollDown),
                _ => return false,
            }
            true
        }
        _ => false,
    }
}

/// Gives one action to the app, carries out every effect it returns, and gives each effect's
/// outcome back to the app, until nothing is left: no effect is dropped.
fn dispatch<S: SampleSource, L: Lab>(action: Action, app: &mut App, ctx: &Context<'_>, samples: &mut S, lab: &mut L) {
    let mut queue = VecDeque::from([action]);
    while let Some(a) = queue.pop_front() {
        for effect in app.update(a) {
            queue.extend(apply_effect(effect, ctx, samples, lab));
        }
    }
}

/// Carries out one effect; what came of it, when the app must hear of it.
fn apply_effect<S: SampleSource, L: Lab>(
    effect: Effect,
    ctx: &Context<'_>,
    samples: &mut S,
    lab: &mut L,
) -> Option<Action> {
    let report = |o: Outcome| Some(Action::Outcome(o));
    match effect {
        Effect::Focus(pid) => samples.control(Control::Focus(pid)),
        Effect::AllThreads(on) => samples.control(Control::AllThreads(on)),
        Effect::Pause(on) => samples.control(Control::Pause(on)),
        Effect::Launch(spec) => match lab.launch(spec) {
            // Sample now so the new process appears (and is selected) at once.
            Ok(_) => samples.control(Control::Now),
            Err(reason) => return report(Outcome::LaunchFailed { reason }),
        },
        Effect::StartExperiment(kind) => {
            if lab.start_experiment(kind).is_err() {
                return report(Outcome::ExperimentBusy);
            }
        }
        Effect::StartCompare(config) => {
            if lab.start_compare(config).is_err() {
                return report(Outcome::ExperimentBusy);
            }
        }
        Effect::CancelExperiment => lab.cancel_experiment(),
        Effect::SaveExperiment(result) => {
            let saved = crate::lab::experiment::save::save(&result, None).map_err(|e| e.to_string());
            return report(Outcome::ExperimentSaved(saved));
        }
        Effect::StopDemo(id) => lab.stop(id),
        Effect::StopAllDemos => lab.stop_all(),
        Effect::Signal { targets, sig } => {
            let mut sent = 0;
            let mut problems = Vec::new();
            for t in &targets {
                match control::send_signal(ctx.proc_root, t.pid, t.start_ticks, sig) {
                    SignalOutcome::Sent => sent += 1,
                    other => problems.push((t.pid, other.to_string())),
                }
            }
            return report(Outcome::SignalsSent { sig, sent, of: targets.len(), problems });
        }
        Effect::Renice { pid, tid, delta } => {
            let result = control::renice(ctx.proc_root, pid, tid, delta);
            if result.is_ok() {
                samples.control(Control::Now);
            }
            return report(Outcome::Reniced { pid, tid, result });
        }
        Effect::LoadAffinity { pid, tid, cores } => {
            return Some(match control::get_affinity(tid.unwrap_or(pid), cores) {
                Ok(allowed) => Action::AffinityLoaded { pid, tid, allowed },
                Err(error) => Action::Outcome(Outcome::Failed { pid, error }),
            });
        }
        Effect::SetAffinity { pid, tid, allowed } => {
            let result = control::set_affinity(ctx.proc_root, pid, tid, &allowed);
            return report(Outcome::AffinitySet { pid, allowed, result });
        }
        Effect::Inspect { what, pid } => {
            let lines = match what {
                Inspect::Environment => control::environ(ctx.proc_root, pid),
                Inspect::OpenFiles => control::open_files(ctx.proc_root, pid),
            };
            return Some(match lines {
                Ok(lines) => Action::ShowText { what, pid, lines },
                Err(error) => Action::Outcome(Outcome::Failed { pid, error }),
            });
        }
    }
    None
}
