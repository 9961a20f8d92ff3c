//! Compare, as the app sees it before it runs: which kinds are ticked, N and the duration; Enter
//! asks the runtime to run them one after the other (`Effect::StartCompare`), and the running and
//! finished compare is an experiment like the others (`app::experiment`, saved with `s`).
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::time::Duration;

use crate::app::experiment::ExperimentState;
use crate::app::{App, Command, Effect, LabScreen, View, cursor};
use crate::model::catalog;
use crate::model::demo::DemoKind;
use crate::model::experiment::{CompareConfig, ExperimentKind, MAX_STEP};

/// The compare screen's knobs.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareSetup {
    pub cursor: usize,
    /// Ticked, in the order they will run.
    pub picked: Vec<DemoKind>,
    pub workers: u32,
    pub seconds: u32,
}

impl CompareSetup {
    /// cpu-threads and lock-threads ticked, N as the catalogue's cpu-threads default.
    pub fn new(workers: u32) -> CompareSetup {
        CompareSetup {
            cursor: 0,
            picked: vec![DemoKind::CpuThreads, DemoKind::LockThreads],
            workers: workers.max(1),
            seconds: CompareConfig::DEFAULT_STEP.as_secs() as u32,
        }
    }

    /// The kinds a compare can run, as the catalogue lists them.
    pub fn kinds(catalog: &[super::CatalogEntry]) -> Vec<DemoKind> {
        catalog.iter().map(|e| e.kind).filter(|k| CompareConfig::comparable(*k)).collect()
    }

    /// The most N every ticked kind accepts.
    fn max_workers(&self) -> u32 {
        self.picked.iter().map(|k| catalog::max_workers(*k)).min().unwrap_or(catalog::MAX_PROCESSES)
    }

    pub fn config(&self) -> CompareConfig {
        CompareConfig {
            kinds: self.picked.clone(),
            workers: self.workers,
            step: Duration::from_secs(u64::from(self.seconds)),
        }
    }

    /// Space: ticks or unticks `kind`; the reason when it cannot.
    pub fn toggle(&mut self, kind: DemoKind) -> Option<String> {
        if let Some(i) = self.picked.iter().position(|k| *k == kind) {
            self.picked.remove(i);
            return None;
        }
        if self.picked.len() >= CompareConfig::MAX_KINDS {
            return Some(format!("at most {} kinds in one compare: untick one first", CompareConfig::MAX_KINDS));
        }
        self.picked.push(kind);
        self.workers = self.workers.min(self.max_workers());
        None
    }
}

impl App {
    pub(crate) fn open_compare(&mut self) {
        if self.lab.compare.is_none() {
            let n = self.lab.catalog.iter().find(|e| e.kind == DemoKind::CpuThreads).map_or(2, |e| e.workers);
            self.lab.compare = Some(CompareSetup::new(n));
        }
        self.view = View::Lab(LabScreen::Compare);
    }

    pub(crate) fn on_compare(&mut self, cmd: Command) -> Vec<Effect> {
        let kinds = CompareSetup::kinds(&self.lab.catalog);
        let Some(setup) = self.lab.compare.as_mut() else {
            self.view = View::LAB;
            return Vec::new();
        };
        match cmd {
            Command::Up | Command::Down | Command::Home | Command::End => {
                if let Some(i) = cursor::step(setup.cursor, kinds.len(), 1, cmd) {
                    setup.cursor = i;
                }
            }
            Command::Tag => {
                if let Some(&kind) = kinds.get(setup.cursor)
                    && let Some(why) = setup.toggle(kind)
                {
                    self.say(why, true);
                }
            }
            Command::Increase | Command::Decrease => {
                let max = setup.max_workers();
                let wanted = if cmd == Command::Increase { setup.workers + 1 } else { setup.workers.saturating_sub(1) };
                setup.workers = wanted.clamp(1, max);
                if wanted > max {
                    self.say(format!("cap: at most {max} for the kinds ticked"), true);
                }
            }
            Command::Right | Command::Left => {
                let up = cmd == Command::Right;
                let s = if up { setup.seconds + 1 } else { setup.seconds.saturating_sub(1) };
                setup.seconds = s.clamp(1, MAX_STEP.as_secs() as u32);
            }
            Command::Enter => return self.start_compare(),
            Command::Back => self.view = View::LAB,
            Command::OpenLab => self.view = if self.threads.is_some() { View::Threads } else { View::Processes },
            _ => {}
        }
        Vec::new()
    }

    fn start_compare(&mut self) -> Vec<Effect> {
        if self.options.readonly {
            self.say("read-only mode: the lab does not launch experiments", true);
            return Vec::new();
        }
        if self.experiment.as_ref().is_some_and(|e| e.running()) {
            self.say("an experiment is already running (Esc in its view cancels it)", true);
            return Vec::new();
        }
        let Some(config) = self.lab.compare.as_ref().map(CompareSetup::config) else { return Vec::new() };
        if let Err(why) = config.check() {
            self.say(format!("compare: {why}"), true);
            return Vec::new();
        }
        if self.lab.running_count() > 0 {
            let names = self.lab.running_names();
            let what = if names.len() == 1 { "is running: it takes" } else { "are running: they take" };
            self.say(format!("{} {what} cores from the compare · X stops all demos", names.join(", ")), true);
        }
        self.experiment = Some(ExperimentState::new(ExperimentKind::Compare));
        self.view = View::Lab(LabScreen::Experiment);
        vec![Effect::StartCompare(config)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_three_kinds_and_n_within_the_caps_of_those_ticked() {
        let mut s = CompareSetup::new(4);
        assert_eq!(s.toggle(DemoKind::CpuProcs), None);
        assert!(s.toggle(DemoKind::PyThreads).is_some_and(|m| m.contains("at most 3")));
        assert_eq!(s.picked, vec![DemoKind::CpuThreads, DemoKind::LockThreads, DemoKind::CpuProcs]);
        assert_eq!(s.max_workers(), catalog::MAX_PROCESSES);
        assert_eq!(s.toggle(DemoKind::LockThreads), None);
        assert_eq!(s.config().kinds, vec![DemoKind::CpuThreads, DemoKind::CpuProcs]);
        assert_eq!(s.config().check(), Ok(()));
        s.toggle(DemoKind::CpuProcs);
        assert!(s.config().check().is_err(), "one kind is not a compare");
    }
}
