//! The lab as the app sees it: the catalogue cursor, the knobs set before launching, and what
//! each launched demo reported. Plain state; the lab module does the launching.

use std::time::Duration;

use crate::collect::model::Pid;
use crate::lab::model::{DemoId, DemoKind, DemoResult, DemoSpec, LabEvent};

/// Defaults and limits for one catalogue entry, given by the runtime from the lab's catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogEntry {
    pub kind: DemoKind,
    pub workers: u32,
    pub seconds: u32,
    pub max_workers: u32,
    /// False for demos that run once (spawn-cost): the duration knob does nothing.
    pub timed: bool,
    /// What N counts: "threads" or "processes".
    pub unit: &'static str,
    pub summary: String,
    pub lesson: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DemoStatus {
    Running,
    Finished(DemoResult),
    Failed(String),
}

/// One launched demo and what it reported.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoEntry {
    pub id: DemoId,
    pub spec: DemoSpec,
    pub pids: Vec<Pid>,
    pub status: DemoStatus,
    pub ops: u64,
    pub elapsed: Duration,
    /// Operations per second over about the last second (see `LabEvent::Progress`).
    pub ops_rate: f64,
    /// Cores in use now, over about the last second.
    pub cores_now: f64,
    /// CPU time of all its processes at the last report.
    pub cpu: Duration,
}

impl DemoEntry {
    pub fn running(&self) -> bool {
        self.status == DemoStatus::Running
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LabState {
    pub catalog: Vec<CatalogEntry>,
    pub cursor: usize,
    pub demos: Vec<DemoEntry>,
    /// Launches the runtime was asked for that have not reported yet (`Started` selects them).
    pub select_next_started: bool,
}

/// Most demos the lab panel keeps (oldest finished ones are dropped first).
const MAX_KEPT: usize = 32;

impl LabState {
    pub fn new(catalog: Vec<CatalogEntry>) -> LabState {
        LabState { catalog, cursor: 0, demos: Vec::new(), select_next_started: false }
    }

    pub fn selected_entry(&self) -> Option<&CatalogEntry> {
        self.catalog.get(self.cursor)
    }

    pub fn spec_at_cursor(&self) -> Option<DemoSpec> {
        self.selected_entry().map(|e| DemoSpec {
            kind: e.kind,
            workers: e.workers,
            duration: Duration::from_secs(u64::from(e.seconds)),
        })
    }

    /// `+`/`-`: more or fewer workers. Returns a message when a cap stops it.
    pub fn adjust_workers(&mut self, up: bool) -> Option<String> {
        let e = self.catalog.get_mut(self.cursor)?;
        let step = if e.kind == DemoKind::SpawnCost { 50 } else { 1 };
        let wanted = if up { e.workers.saturating_add(step) } else { e.workers.saturating_sub(step) };
        e.workers = wanted.clamp(1, e.max_workers.max(1));
        (up && wanted > e.workers).then(|| format!("cap: at most {} {} for {}", e.max_workers, e.unit, e.kind))
    }

    /// Left/Right: shorter or longer, in steps that fit the range 5 s .. 10 min.
    pub fn adjust_seconds(&mut self, up: bool) {
        if let Some(e) = self.catalog.get_mut(self.cursor) {
            let step = if e.seconds >= 120 || (up && e.seconds >= 60) {
                60
            } else if e.seconds >= 30 || (up && e.seconds >= 20) {
                10
            } else {
                5
            };
            e.seconds = if up { e.seconds.saturating_add(step) } else { e.seconds.saturating_sub(step) }.clamp(5, 600);
        }
    }

    pub fn running_count(&self) -> usize {
        self.demos.iter().filter(|d| d.running()).count()
    }

    /// The running demo that started this PID, if any.
    pub fn owner_of(&self, pid: Pid) -> Option<DemoId> {
        self.demos.iter().find(|d| d.running() && d.pids.contains(&pid)).map(|d| d.id)
    }

    /// Applies a lab event; returns the PID to select when a demo has just started.
    pub fn apply(&mut self, event: LabEvent) -> Option<Pid> {
        match event {
            LabEvent::Started { id, spec, pids } => {
                let first = pids.first().copied();
                self.demos.push(DemoEntry {
                    id,
                    spec,
                    pids,
                    status: DemoStatus::Running,
                    ops: 0,
                    elapsed: Duration::ZERO,
                    ops_rate: 0.0,
                    cores_now: 0.0,
                    cpu: Duration::ZERO,
                });
                self.trim();
                first
            }
            LabEvent::Progress { id, ops, elapsed, cpu, ops_per_sec, cores } => {
                if let Some(d) = self.demos.iter_mut().find(|d| d.id == id) {
                    // Not Δ ops / Δ elapsed between two events: `elapsed` is when the event was
                    // sent, not when the processes counted (see `LabEvent::Progress`).
                    if let Some(r) = ops_per_sec {
                        d.ops_rate = r;
                    }
                    if let Some(c) = cores {
                        d.cores_now = c;
                    }
                    d.ops = ops;
                    d.elapsed = elapsed;
                    d.cpu = cpu;
                }
                None
            }
            LabEvent::Finished { id, result } => {
                if let Some(d) = self.demos.iter_mut().find(|d| d.id == id) {
                    d.ops = result.ops;
                    d.elapsed = Duration::from_secs_f64(result.wall_seconds.max(0.0));
                    d.ops_rate = result.ops_per_sec;
                    d.cores_now = 0.0;
                    d.status = DemoStatus::Finished(result);
                }
                None
            }
            LabEvent::Failed { id, reason } => {
                if let Some(d) = self.demos.iter_mut().find(|d| d.id == id) {
                    d.status = DemoStatus::Failed(reason);
                    d.cores_now = 0.0;
                }
                None
            }
            LabEvent::Refused { .. } => None,
        }
    }

    fn trim(&mut self) {
        while self.demos.len() > MAX_KEPT {
            match self.demos.iter().position(|d| !d.running()) {
                Some(i) => {
                    self.demos.remove(i);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: DemoKind) -> CatalogEntry {
        CatalogEntry {
            kind,
            workers: 4,
            seconds: 60,
            max_workers: 256,
            timed: true,
            unit: "threads",
            summary: String::new(),
            lesson: String::new(),
        }
    }

    #[test]
    fn progress_gives_rate() {
        let mut lab = LabState::new(vec![entry(DemoKind::CpuThreads)]);
        let spec = lab.spec_at_cursor().unwrap();
        assert_eq!(lab.apply(LabEvent::Started { id: 1, spec, pids: vec![42] }), Some(42));
        let ms = Duration::from_millis;
        let progress = |ops, elapsed, ops_per_sec, cores| LabEvent::Progress {
            id: 1,
            ops,
            elapsed: ms(elapsed),
            cpu: ms(2000),
            ops_per_sec,
            cores,
        };
        lab.apply(progress(100, 1000, Some(600.0), Some(1.8)));
        // An event sent before every process has a rate keeps the last rates shown.
        lab.apply(progress(400, 1500, None, None));
        let d = &lab.demos[0];
        assert_eq!((d.ops, d.elapsed), (400, ms(1500)));
        assert_eq!((d.ops_rate, d.cores_now), (600.0, 1.8));
        assert_eq!(lab.owner_of(42), Some(1));
        assert_eq!(lab.running_count(), 1);
    }

    #[test]
    fn knobs_stay_in_range() {
        let mut lab = LabState::new(vec![CatalogEntry { max_workers: 5, ..entry(DemoKind::CpuThreads) }]);
        assert_eq!(lab.adjust_workers(true), None, "4 → 5 is allowed");
        assert!(lab.adjust_workers(true).is_some_and(|m| m.contains("at most 5")), "the cap is said");
        assert_eq!(lab.catalog[0].workers, 5);
        for _ in 0..10 {
            lab.adjust_workers(false);
        }
        assert_eq!(lab.catalog[0].workers, 1);
        for _ in 0..100 {
            lab.adjust_seconds(true);
        }
        assert_eq!(lab.catalog[0].seconds, 600);
        for _ in 0..100 {
            lab.adjust_seconds(false);
        }
        assert_eq!(lab.catalog[0].seconds, 5);
    }
}
