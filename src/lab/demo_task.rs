//! The tracking and reaping side of the lab: the tokio task that follows one demo from its launch
//! to `LabEvent::Finished` (its reports, its deadline, its stop, its children's exits).
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::process::Signal;
use tokio::sync::{mpsc, oneshot};

use super::ending::{Ending, GIVE_UP_AFTER, Step};
use super::measure::{Tally, build_result};
use super::protocol::Report;
use super::registry::{Kill, Registry};
use crate::collect::model::Pid;
use crate::model::catalog;
use crate::model::demo::{DemoId, DemoKind, DemoSpec, LabEvent};

/// The beat of progress events and of the check for processes that died early.
const TICK: Duration = Duration::from_millis(250);
/// How often lifecycle's state letter is read: its D (an fsync) may last only some ms.
const STATE_EVERY: Duration = Duration::from_millis(10);

/// One direct child of threadtop running `__workload`.
pub(super) struct Worker {
    pub(super) pid: Pid,
    pub(super) name: String,
    pub(super) child: tokio::process::Child,
    pub(super) exit: Exit,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Exit {
    Running,
    Exited(ExitStatus),
    /// Reaped, but its status could not be read.
    Lost,
}

fn describe_exit(name: &str, status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("{name} exited with status {code}"),
        (None, Some(sig)) => format!("{name} was killed by signal {sig}"),
        _ => format!("{name} ended: {status}"),
    }
}

/// The tokio task that follows one demo from launch to `Finished`.
pub(super) struct DemoTask {
    pub(super) id: DemoId,
    pub(super) spec: DemoSpec,
    pub(super) started: Instant,
    pub(super) workers: Vec<Worker>,
    pub(super) reports: mpsc::UnboundedReceiver<(Instant, Report)>,
    pub(super) stop: oneshot::Receiver<()>,
    pub(super) events: mpsc::UnboundedSender<LabEvent>,
    pub(super) registry: Arc<Mutex<Registry>>,
    pub(super) kill: Kill,
    pub(super) tally: Tally,
    pub(super) failure: Option<String>,
}

impl DemoTask {
    pub(super) async fn run(mut self) {
        let mut ending = Ending::new(self.started, self.spec.duration);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stop_pending = true;
        let mut last_sent = None;
        let mut pipe_closed_at = None;
        let lifecycle = self.spec.kind == DemoKind::Lifecycle;
        let mut states = tokio::time::interval(STATE_EVERY);
        states.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        // lifecycle's SIGCONT, due after the SIGSTOP it asked for.
        let mut cont_at: Option<Instant> = None;

        while pipe_closed_at.is_none() {
            let wake = [ending.next_wake(), cont_at].into_iter().flatten().min();
            tokio::select! {
                report = self.reports.recv() => match report {
                    Some((_, Report::StopMe { ms, .. })) if lifecycle && cont_at.is_none() && !ending.signalled() => {
                        self.signal_process(Signal::STOP);
                        cont_at = Some(Instant::now() + Duration::from_millis(ms.min(catalog::LIFECYCLE_STEP_MS * 5)));
                    }
                    Some((at, report)) => self.apply(report, at, &mut ending),
                    None => pipe_closed_at = Some(Instant::now()),
                },
                _ = states.tick(), if lifecycle => self.read_state(),
                // A dropped sender (the supervisor is gone) stops the demo as well.
                _ = &mut self.stop, if stop_pending => {
                    stop_pending = false;
                    ending.stop(Instant::now());
                }
                () = sleep_until(wake) => {}
                _ = tick.tick() => {
                    // lifecycle's exit is a step of its walk: it is reaped after its zombie step.
                    if !lifecycle {
                        self.check_exits(&mut ending);
                    }
                    self.read_threads();
                    self.send_progress(&mut last_sent);
                }
            }
            if let Some(at) = cont_at
                && Instant::now() >= at
            {
                self.signal_process(Signal::CONT);
                cont_at = None;
            }
            match ending.due(Instant::now()) {
                Some(Step::Term) => self.signal(Signal::TERM),
                Some(Step::Kill) => self.signal(Signal::KILL),
                Some(Step::GiveUp) => break,
                None => {}
            }
        }
        if cont_at.is_some() {
            self.signal_process(Signal::CONT);
        }
        let ended = pipe_closed_at.unwrap_or_else(Instant::now);
        // Whatever is still queued was written before the pipe closed.
        while let Ok((at, report)) = self.reports.try_recv() {
            self.apply(report, at, &mut ending);
        }
        if lifecycle && stop_pending && !ending.signalled() {
            self.hold_the_zombie(&mut states).await;
        }
        self.reap_all(&ending).await;
        if lifecycle {
            self.tally.reaped = self.workers.iter().all(|w| matches!(w.exit, Exit::Exited(_)));
            let _ = self.events.send(self.tally.progress_event(self.id, self.started.elapsed()));
        }

        let tracked = self.registry.lock().demos.remove(&self.id);
        let mut pids: Vec<Pid> = self.workers.iter().map(|w| w.pid).collect();
        pids.extend(tracked.map(|t| t.others).unwrap_or_default());
        for pid in &self.tally.others {
            if !pids.contains(pid) {
                pids.push(*pid);
            }
        }
        let stopped_early = ending.stopped_early() || self.tally.ended_early();
        let result =
            build_result(&self.spec, ended.saturating_duration_since(self.started), &self.tally, pids, stopped_early);
        if let Some(reason) = self.failure.take() {
            let _ = self.events.send(LabEvent::Failed { id: self.id, reason });
        }
        let _ = self.events.send(LabEvent::Finished { id: self.id, result });
    }

    fn apply(&mut self, report: Report, at: Instant, ending: &mut Ending) {
        if let Report::Child { pid, .. } = &report
            && let Some(t) = self.registry.lock().demos.get_mut(&self.id)
            && !t.others.contains(pid)
        {
            t.others.push(*pid);
        }
        if let Report::Figures(figures) = &report {
            let _ = self.events.send(LabEvent::Figures { id: self.id, figures: (**figures).clone() });
        }
        let had_error = self.tally.error.is_some();
        self.tally.apply(report, at.saturating_duration_since(self.started));
        if !had_error && let Some(e) = &self.tally.error {
            self.failure.get_or_insert_with(|| e.clone());
            ending.stop(Instant::now());
        }
    }

    /// Reaps children that have exited; one dying unasked fails the demo and stops the rest.
    fn check_exits(&mut self, ending: &mut Ending) {
        for w in &mut self.workers {
            if !matches!(w.exit, Exit::Running) {
                continue;
            }
            let exit = match w.child.try_wait() {
                Ok(None) => continue,
                Ok(Some(status)) => Exit::Exited(status),
                Err(_) => Exit::Lost,
            };
            // No await between the reaping above and this mark: on a current-thread runtime
            // nothing can signal the reaped PID in between.
            self.registry.lock().mark_reaped(self.id, w.pid);
            w.exit = exit;
            if !ending.signalled()
                && let Exit::Exited(status) = exit
                && !status.success()
            {
                self.failure.get_or_insert_with(|| describe_exit(&w.name, status));
                ending.stop(Instant::now());
            }
        }
    }

    fn send_progress(&self, last_sent: &mut Option<(u64, Duration)>) {
        let now = (self.tally.ops(), self.tally.cpu());
        if *last_sent == Some(now) {
            return;
        }
        *last_sent = Some(now);
        let _ = self.events.send(self.tally.progress_event(self.id, self.started.elapsed()));
    }

    fn signal(&self, signal: Signal) {
        for w in &self.workers {
            if matches!(w.exit, Exit::Running) {
                self.kill.group_of(w.pid, signal);
                // A stopped demo (lifecycle's T step, or a user's SIGSTOP) acts on TERM only
                // once continued.
                if signal == Signal::TERM {
                    self.kill.group_of(w.pid, Signal::CONT);
                }
            }
        }
    }

    /// lifecycle's SIGSTOP and SIGCONT: to its one process, never its group's others.
    fn signal_process(&self, signal: Signal) {
        for w in &self.workers {
            if matches!(w.exit, Exit::Running) {
                self.kill.process_of(w.pid, signal);
            }
        }
    }

    /// The demo's threads now, from /proc/PID/status, for the kinds that show them.
    fn read_threads(&mut self) {
        if !matches!(self.spec.kind, DemoKind::PyAsyncio | DemoKind::PyHashThreads | DemoKind::PyNogil) {
            return;
        }
        let mut total = None::<u32>;
        for w in self.workers.iter().filter(|w| matches!(w.exit, Exit::Running)) {
            if let Some(n) = status_threads(w.pid) {
                total = Some(total.unwrap_or(0).saturating_add(n));
            }
        }
        if let Some(n) = total {
            self.tally.saw_threads(n);
        }
    }

    /// lifecycle's state letter now, from /proc/PID/stat.
    fn read_state(&mut self) {
        if let Some(w) = self.workers.first()
            && matches!(w.exit, Exit::Running)
            && let Some(letter) = stat_state(w.pid)
        {
            self.tally.saw_state(letter);
        }
    }

    /// lifecycle's zombie step: it has exited; it stays unreaped (Z) for one step, or until a
    /// stop, while its letter is still read.
    async fn hold_the_zombie(&mut self, states: &mut tokio::time::Interval) {
        let until = tokio::time::Instant::now() + Duration::from_millis(catalog::LIFECYCLE_STEP_MS);
        let _ = self.events.send(self.tally.progress_event(self.id, self.started.elapsed()));
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                _ = &mut self.stop => break,
                _ = states.tick() => self.read_state(),
            }
        }
    }

    /// Waits for every child; the pipe has closed, so they are exiting or gone.
    async fn reap_all(&mut self, ending: &Ending) {
        for w in &mut self.workers {
            if !matches!(w.exit, Exit::Running) {
                continue;
            }
            let status = match tokio::time::timeout(GIVE_UP_AFTER, w.child.wait()).await {
                Ok(status) => status,
                Err(_) => {
                    self.kill.group_of(w.pid, Signal::KILL);
                    w.child.wait().await
                }
            };
            self.registry.lock().mark_reaped(self.id, w.pid);
            w.exit = match status {
                Ok(s) => Exit::Exited(s),
                Err(_) => Exit::Lost,
            };
            if !ending.signalled()
                && let Ok(s) = status
                && !s.success()
            {
                self.failure.get_or_insert_with(|| describe_exit(&w.name, s));
            }
        }
    }
}

/// `Threads:` of /proc/PID/status; `None` when gone or unreadable.
fn status_threads(pid: Pid) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|v| v.trim().parse().ok())
}

/// The state letter of /proc/PID/stat (after the command name's closing parenthesis).
fn stat_state(pid: Pid) -> Option<char> {
    let raw = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    parse_state(&raw)
}

fn parse_state(raw: &[u8]) -> Option<char> {
    let close = raw.iter().rposition(|&b| b == b')')?;
    let letter = *raw.get(close + 2)?;
    letter.is_ascii_alphabetic().then_some(char::from(letter))
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_are_described() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(describe_exit("tt-cpu-proc-1", ExitStatus::from_raw(9)), "tt-cpu-proc-1 was killed by signal 9");
        assert_eq!(describe_exit("tt-zombie-par", ExitStatus::from_raw(1 << 8)), "tt-zombie-par exited with status 1");
    }

    #[test]
    fn the_state_letter_follows_the_last_parenthesis() {
        assert_eq!(parse_state(b"42 (tt-lifecycle) R 1 42 42 0"), Some('R'));
        // A name may hold ") X": only the last parenthesis ends it.
        assert_eq!(parse_state(b"42 (a) Z (b) D 1 42"), Some('D'));
        assert_eq!(parse_state(b"42 (cut"), None);
        assert_eq!(parse_state(b"42 (x) "), None);
        assert_eq!(parse_state(b"42 (x) 7"), None);
        assert_eq!(status_threads(std::process::id() as Pid).map(|n| n >= 1), Some(true));
        assert!(stat_state(std::process::id() as Pid).is_some());
    }
}
