//! How a demo ends, from the supervisor's side: left alone until its deadline (plus slack), then
//! SIGTERM, then SIGKILL, then given up on. Pure: the clock is passed in, nothing is signalled
//! here (`demo_task` does what `Ending::due` says). Imports nothing of ours.

use std::time::{Duration, Instant};

/// How long after its duration a demo may take to end by itself before it is sent SIGTERM.
/// Covers exec and start-up on a loaded machine: the worker counts its duration from its own
/// start.
pub(crate) const DEADLINE_SLACK: Duration = Duration::from_secs(2);
/// How long a demo has to end cleanly after SIGTERM before SIGKILL.
pub(crate) const KILL_AFTER: Duration = Duration::from_millis(500);
/// How long to wait for the report pipe to close after SIGKILL before giving up on it.
pub(crate) const GIVE_UP_AFTER: Duration = Duration::from_secs(2);
/// Where a demo is in its ending, from the supervisor's side. Pure: the clock is passed in.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ending {
    phase: Phase,
    stopped_early: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Left alone until `term_at` (its deadline plus slack, or now if stopped).
    Running {
        term_at: Instant,
    },
    /// SIGTERM sent; SIGKILL at `kill_at`.
    Terminating {
        kill_at: Instant,
    },
    /// SIGKILL sent; stop waiting for its report pipe at `give_up_at`.
    Killed {
        give_up_at: Instant,
    },
    GivenUp,
}

/// What the supervisor must do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Term,
    Kill,
    GiveUp,
}

impl Ending {
    pub fn new(started: Instant, duration: Duration) -> Ending {
        Ending { phase: Phase::Running { term_at: started + duration + DEADLINE_SLACK }, stopped_early: false }
    }

    /// A stop before the deadline: SIGTERM at once. Later stops change nothing.
    pub fn stop(&mut self, now: Instant) {
        if let Phase::Running { term_at } = self.phase
            && now < term_at
        {
            self.phase = Phase::Running { term_at: now };
            self.stopped_early = true;
        }
    }

    /// The step due at `now`, if any; each step is returned once.
    pub fn due(&mut self, now: Instant) -> Option<Step> {
        match self.phase {
            Phase::Running { term_at } if now >= term_at => {
                self.phase = Phase::Terminating { kill_at: now + KILL_AFTER };
                Some(Step::Term)
            }
            Phase::Terminating { kill_at } if now >= kill_at => {
                self.phase = Phase::Killed { give_up_at: now + GIVE_UP_AFTER };
                Some(Step::Kill)
            }
            Phase::Killed { give_up_at } if now >= give_up_at => {
                self.phase = Phase::GivenUp;
                Some(Step::GiveUp)
            }
            _ => None,
        }
    }

    /// When `due` has something next.
    pub fn next_wake(&self) -> Option<Instant> {
        match self.phase {
            Phase::Running { term_at } => Some(term_at),
            Phase::Terminating { kill_at } => Some(kill_at),
            Phase::Killed { give_up_at } => Some(give_up_at),
            Phase::GivenUp => None,
        }
    }

    /// Whether the supervisor has signalled the demo: deaths by signal are expected then.
    pub fn signalled(&self) -> bool {
        !matches!(self.phase, Phase::Running { .. })
    }

    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_demo_is_left_alone_until_its_deadline_and_slack() {
        let t0 = Instant::now();
        let mut e = Ending::new(t0, ms(2000));
        assert_eq!(e.next_wake(), Some(t0 + ms(2000) + DEADLINE_SLACK));
        assert_eq!(e.due(t0 + ms(1999)), None);
        assert_eq!(e.due(t0 + ms(2000) + DEADLINE_SLACK - ms(1)), None);
        assert!(!e.signalled());
        let t = t0 + ms(2000) + DEADLINE_SLACK;
        assert_eq!(e.due(t), Some(Step::Term));
        assert!(e.signalled());
        // Reaching the deadline is not stopping early.
        assert!(!e.stopped_early());
        assert_eq!(e.due(t), None);
        assert_eq!(e.due(t + KILL_AFTER - ms(1)), None);
        assert_eq!(e.due(t + KILL_AFTER), Some(Step::Kill));
        assert_eq!(e.due(t + KILL_AFTER), None);
        assert_eq!(e.due(t + KILL_AFTER + GIVE_UP_AFTER), Some(Step::GiveUp));
        assert_eq!(e.next_wake(), None);
        assert_eq!(e.due(t + Duration::from_secs(3600)), None);
    }

    #[test]
    fn a_stop_terms_at_once_then_kills() {
        let t0 = Instant::now();
        let mut e = Ending::new(t0, ms(60_000));
        let t = t0 + ms(1500);
        e.stop(t);
        assert!(e.stopped_early());
        assert_eq!(e.next_wake(), Some(t));
        assert_eq!(e.due(t), Some(Step::Term));
        // A second stop neither restarts the ending nor delays the kill.
        e.stop(t + ms(100));
        assert_eq!(e.due(t + KILL_AFTER), Some(Step::Kill));
    }

    #[test]
    fn a_stop_after_the_deadline_is_not_early() {
        let t0 = Instant::now();
        let mut e = Ending::new(t0, ms(1000));
        let late = t0 + ms(1000) + DEADLINE_SLACK + ms(1);
        e.stop(late);
        assert!(!e.stopped_early());
        assert_eq!(e.due(late), Some(Step::Term));
    }
}
