//! A running or finished experiment as the app sees it: the plan, how far it got, about how
//! long is left, what it measured so far, and how it ended. Plain state fed by
//! `ExperimentEvent`s; `lab::experiment` does the running. No I/O, no clock.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::time::Duration;

use crate::model::experiment::{ExperimentEvent, ExperimentKind, ExperimentResult, StepPlan, time_left};

#[derive(Clone, Debug, PartialEq)]
pub enum ExperimentStatus {
    Running,
    /// Every step ran.
    Finished,
    /// Stopped by the user; the result holds the completed steps.
    Cancelled,
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentState {
    pub kind: ExperimentKind,
    pub plan: Vec<StepPlan>,
    pub steps_done: usize,
    /// The step running, if any.
    pub current: Option<usize>,
    /// How long the current step has been running, as of its last progress event.
    pub step_elapsed: Duration,
    /// Live figures of the current step's demo, when it has some.
    pub live_ops_per_sec: Option<f64>,
    pub live_cores: Option<f64>,
    /// What the last finished step measured ("2400 ops/s, 1.99 cores").
    pub last_summary: Option<String>,
    /// Time the finished steps took, in all.
    pub took: Duration,
    /// Everything measured so far (partial while running).
    pub result: Option<ExperimentResult>,
    pub status: ExperimentStatus,
    /// The user asked to cancel and the runner has not confirmed yet.
    pub cancelling: bool,
}

impl ExperimentState {
    /// The state of an experiment just started, before its plan arrives.
    pub fn new(kind: ExperimentKind) -> ExperimentState {
        ExperimentState {
            kind,
            plan: Vec::new(),
            steps_done: 0,
            current: None,
            step_elapsed: Duration::ZERO,
            live_ops_per_sec: None,
            live_cores: None,
            last_summary: None,
            took: Duration::ZERO,
            result: None,
            status: ExperimentStatus::Running,
            cancelling: false,
        }
    }

    pub fn apply(&mut self, event: ExperimentEvent) {
        match event {
            ExperimentEvent::Planned { kind, steps } => {
                self.kind = kind;
                self.plan = steps;
            }
            ExperimentEvent::StepStarted { index } => {
                self.current = Some(index);
                self.step_elapsed = Duration::ZERO;
                self.live_ops_per_sec = None;
                self.live_cores = None;
            }
            ExperimentEvent::StepProgress { index, elapsed, ops_per_sec, cores } => {
                if self.current == Some(index) {
                    self.step_elapsed = elapsed;
                    self.live_ops_per_sec = ops_per_sec.or(self.live_ops_per_sec);
                    self.live_cores = cores.or(self.live_cores);
                }
            }
            ExperimentEvent::StepDone { index, took, summary, result } => {
                self.steps_done = self.steps_done.max(index + 1);
                self.took += took;
                self.current = None;
                self.step_elapsed = Duration::ZERO;
                self.last_summary = Some(summary);
                self.result = Some(result);
            }
            ExperimentEvent::Finished { result } => self.end(ExperimentStatus::Finished, Some(result)),
            ExperimentEvent::Cancelled { result } => self.end(ExperimentStatus::Cancelled, Some(result)),
            ExperimentEvent::Failed { reason, result } => self.end(ExperimentStatus::Failed(reason), result),
        }
    }

    fn end(&mut self, status: ExperimentStatus, result: Option<ExperimentResult>) {
        self.status = status;
        self.current = None;
        self.cancelling = false;
        self.live_ops_per_sec = None;
        self.live_cores = None;
        if result.is_some() {
            self.result = result;
        }
    }

    /// Esc: remember that a cancel was asked, for the screen (the runtime tells the runner).
    pub fn request_cancel(&mut self) {
        if self.running() {
            self.cancelling = true;
        }
    }

    pub fn running(&self) -> bool {
        self.status == ExperimentStatus::Running
    }

    pub fn total_steps(&self) -> usize {
        self.plan.len()
    }

    /// Label of the step running ("cpu-threads × 4 (run 1/3)").
    pub fn current_label(&self) -> Option<&str> {
        self.current.and_then(|i| self.plan.get(i)).map(|s| s.label.as_str())
    }

    /// 0..=1: finished steps, plus the share of the current one elapsed.
    pub fn fraction_done(&self) -> f64 {
        if !self.running() && self.status == ExperimentStatus::Finished {
            return 1.0;
        }
        let total = self.plan.len();
        if total == 0 {
            return 0.0;
        }
        let partial = self
            .current
            .and_then(|i| self.plan.get(i))
            .filter(|s| !s.expected.is_zero())
            .map_or(0.0, |s| (self.step_elapsed.as_secs_f64() / s.expected.as_secs_f64()).min(1.0));
        ((self.steps_done as f64 + partial) / total as f64).clamp(0.0, 1.0)
    }

    /// About how long is left; None once ended or before the plan is known.
    pub fn time_left(&self) -> Option<Duration> {
        if !self.running() || self.plan.is_empty() {
            return None;
        }
        let elapsed = if self.current.is_some() { self.step_elapsed } else { Duration::ZERO };
        Some(time_left(&self.plan, self.steps_done, self.took, elapsed))
    }

    /// The result to save: what was measured, once there is anything.
    pub fn result(&self) -> Option<&ExperimentResult> {
        self.result.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::experiment::IoResult;

    fn plan() -> Vec<StepPlan> {
        ["sequential", "threads", "processes"]
            .iter()
            .zip([4, 1, 1])
            .map(|(l, s)| StepPlan { label: (*l).to_owned(), expected: Duration::from_secs(s) })
            .collect()
    }

    fn io(seq: Option<f64>) -> ExperimentResult {
        ExperimentResult::Io(IoResult {
            n: 4,
            wait_seconds: 1.0,
            sequential_s: seq,
            threads_s: None,
            processes_s: None,
            logical_cores: 2,
            cancelled: false,
            started_at: String::new(),
            machine: None,
        })
    }

    #[test]
    fn follows_an_experiment_from_plan_to_end() {
        let mut s = ExperimentState::new(ExperimentKind::Io);
        assert!(s.running());
        assert_eq!(s.time_left(), None);
        s.apply(ExperimentEvent::Planned { kind: ExperimentKind::Io, steps: plan() });
        assert_eq!(s.total_steps(), 3);
        assert_eq!(s.time_left(), Some(Duration::from_secs(6)));
        s.apply(ExperimentEvent::StepStarted { index: 0 });
        assert_eq!(s.current_label(), Some("sequential"));
        s.apply(ExperimentEvent::StepProgress {
            index: 0,
            elapsed: Duration::from_secs(2),
            ops_per_sec: None,
            cores: None,
        });
        assert_eq!(s.fraction_done(), 0.5 / 3.0);
        assert_eq!(s.time_left(), Some(Duration::from_secs(4)));
        // Progress of another step than the current one is stale: ignored.
        s.apply(ExperimentEvent::StepProgress {
            index: 2,
            elapsed: Duration::from_secs(9),
            ops_per_sec: None,
            cores: None,
        });
        assert_eq!(s.step_elapsed, Duration::from_secs(2));
        s.apply(ExperimentEvent::StepDone {
            index: 0,
            took: Duration::from_secs(4),
            summary: "4.002 s".into(),
            result: io(Some(4.002)),
        });
        assert_eq!(s.steps_done, 1);
        assert_eq!(s.current_label(), None);
        assert_eq!(s.last_summary.as_deref(), Some("4.002 s"));
        assert_eq!(s.fraction_done(), 1.0 / 3.0);
        assert_eq!(s.time_left(), Some(Duration::from_secs(2)));
        s.request_cancel();
        assert!(s.cancelling);
        s.apply(ExperimentEvent::Cancelled { result: io(Some(4.002)) });
        assert_eq!(s.status, ExperimentStatus::Cancelled);
        assert!(!s.cancelling && !s.running());
        assert_eq!(s.time_left(), None);
        assert_eq!(s.result(), Some(&io(Some(4.002))));
    }

    #[test]
    fn a_failure_keeps_what_was_measured() {
        let mut s = ExperimentState::new(ExperimentKind::Io);
        s.apply(ExperimentEvent::Planned { kind: ExperimentKind::Io, steps: plan() });
        s.apply(ExperimentEvent::StepDone {
            index: 0,
            took: Duration::from_secs(4),
            summary: String::new(),
            result: io(Some(4.0)),
        });
        s.apply(ExperimentEvent::Failed { reason: "boom".into(), result: None });
        assert_eq!(s.status, ExperimentStatus::Failed("boom".into()));
        assert_eq!(s.result(), Some(&io(Some(4.0))));
        // A cancel asked after the end changes nothing.
        s.request_cancel();
        assert!(!s.cancelling);
    }

    #[test]
    fn a_finished_experiment_is_all_done() {
        let mut s = ExperimentState::new(ExperimentKind::Io);
        s.apply(ExperimentEvent::Planned { kind: ExperimentKind::Io, steps: plan() });
        s.apply(ExperimentEvent::Finished { result: io(Some(4.0)) });
        assert_eq!(s.fraction_done(), 1.0);
        assert_eq!(s.status, ExperimentStatus::Finished);
    }
}
