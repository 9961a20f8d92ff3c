//! What the app says when an effect has been carried out or a demo reports: every word of the
//! status line about what happened comes from here.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::app::cursor::Menu;
use crate::app::overlays::{AffinityEdit, TextView};
use crate::app::{Action, App, Inspect, Outcome, Overlay, RowId, View, act};
use crate::model::demo::{DemoId, DemoResult, LabEvent};

impl App {
    /// What the runtime, a demo or the experiment reported.
    pub(super) fn on_report(&mut self, action: Action) {
        match action {
            Action::AffinityLoaded { pid, tid, allowed } => {
                let thread = match self.view {
                    View::Threads => self.threads.as_ref().filter(|t| t.pid == pid).and_then(|t| t.selected_tid),
                    _ => None,
                };
                // Switching the dialog between process and thread keeps its cursor.
                let menu = match &self.overlay {
                    Some(Overlay::Affinity(menu, _)) => *menu,
                    _ => Menu::default(),
                };
                self.overlay = Some(Overlay::Affinity(menu, AffinityEdit { pid, tid, allowed, thread }));
            }
            Action::Experiment(event) => {
                if let Some(e) = self.experiment.as_mut() {
                    e.apply(event);
                }
            }
            Action::ShowText { what, pid, lines } => {
                let title = match what {
                    Inspect::Environment => format!("Environment of PID {pid}"),
                    Inspect::OpenFiles => format!("Open files of PID {pid}"),
                };
                self.overlay = Some(Overlay::Text { scroll: 0, text: TextView { title, lines } });
            }
            Action::Outcome(o) => {
                self.on_outcome(o);
            }
            Action::Lab(event) => {
                if let LabEvent::Refused { reason, .. } = &event {
                    self.say(format!("lab: {reason}"), true);
                }
                if let LabEvent::Failed { reason, .. } = &event {
                    self.say(format!("demo failed: {reason}"), true);
                }
                // lifecycle narrates its walk where the user watches it: each new step on the
                // status line (lab-python).
                if let LabEvent::Progress { id, ops, .. } = &event
                    && let Some(d) = self.lab.demos.iter().find(|d| d.id == *id)
                    && d.spec.kind == crate::model::demo::DemoKind::Lifecycle
                    && (d.ops != *ops || d.elapsed.is_zero())
                {
                    let step = crate::model::catalog::lifecycle_texts(*ops).swap_remove(0);
                    self.say(format!("lifecycle #{id} {step}"), false);
                }
                if let LabEvent::Finished { id, result } = &event {
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
            }
            _ => {}
        }
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
}

/// The status line when a demo ends: what it measured (the lab, d, has the rest).
fn finished_line(id: DemoId, r: &DemoResult) -> String {
    let how = if r.stopped_early { "stopped" } else { "finished" };
    let what = match (&r.spawn, &r.figures) {
        (Some(sc), _) => {
            format!("thread {:.1}µs, process {:.1}µs (×{:.1})", sc.thread_spawn_us, sc.process_spawn_us, sc.ratio)
        }
        // memory, race, switch-cost, ipc, real-io: what they measured, said shortly.
        (None, Some(f)) => f.summary().pop().unwrap_or_default(),
        // py-asyncio, py-hash-threads, py-nogil, lifecycle: their own figures.
        (None, None) => match crate::model::catalog::result_texts(r) {
            Some(texts) => texts.get(1).or(texts.first()).cloned().unwrap_or_default(),
            None => format!("{:.2} cores · {:.0} ops/s", r.cores_used, r.ops_per_sec),
        },
    };
    format!("{} #{id} {how}: {what}", r.kind)
}
