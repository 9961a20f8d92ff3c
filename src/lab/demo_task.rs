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
use crate::model::demo::{DemoId, DemoSpec, LabEvent};

/// The beat of progress events and of the check for processes that died early.
const TICK: Duration = Duration::from_millis(250);

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

        while pipe_closed_at.is_none() {
            let wake = ending.next_wake();
            tokio::select! {
                report = self.reports.recv() => match report {
                    Some((at, report)) => self.apply(report, at, &mut ending),
                    None => pipe_closed_at = Some(Instant::now()),
                },
                // A dropped sender (the supervisor is gone) stops the demo as well.
                _ = &mut self.stop, if stop_pending => {
                    stop_pending = false;
                    ending.stop(Instant::now());
                }
                () = sleep_until(wake) => {}
                _ = tick.tick() => {
                    self.check_exits(&mut ending);
                    self.send_progress(&mut last_sent);
                }
            }
            match ending.due(Instant::now()) {
                Some(Step::Term) => self.signal(Signal::TERM),
                Some(Step::Kill) => self.signal(Signal::KILL),
                Some(Step::GiveUp) => break,
                None => {}
            }
        }
        let ended = pipe_closed_at.unwrap_or_else(Instant::now);
        // Whatever is still queued was written before the pipe closed.
        while let Ok((at, report)) = self.reports.try_recv() {
            self.apply(report, at, &mut ending);
        }
        self.reap_all(&ending).await;

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
}
