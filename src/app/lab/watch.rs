//! Watching demos from the samples: which processes belong to each demo, the cores they use,
//! what the rest of the machine took meanwhile (OTHERS), and whether demos overlap on too few
//! cores. Pure: fed each new `Snapshot`.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::collect::model::{Pid, ProcessSample, Snapshot};

use super::{DemoEntry, LabState};

/// What the samples showed of one demo while it ran.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sampled {
    /// Samples that fell inside its run.
    pub samples: u32,
    /// Seconds those samples covered.
    pub span: f64,
    /// Its own CPU seconds over that span (its processes' CPU% × the interval).
    pub own_core_seconds: f64,
    /// CPU seconds the rest of the machine was busy meanwhile.
    pub other_core_seconds: f64,
    /// Cores its processes used over the last interval.
    pub cores_now: f64,
    /// Its processes and threads at the last sample.
    pub processes: u32,
    pub threads: u32,
    /// Every state letter its processes were seen in ("RSZ").
    pub states_seen: String,
}

impl Sampled {
    /// OTHERS: cores the rest of the machine used on average while the demo ran; None before
    /// an interval has been measured.
    pub fn others(&self) -> Option<f64> {
        (self.span > 0.0).then(|| self.other_core_seconds / self.span)
    }

    /// Its own cores, on average over the samples.
    pub fn cores_avg(&self) -> Option<f64> {
        (self.span > 0.0).then(|| self.own_core_seconds / self.span)
    }

    /// Measured for long enough to judge a steady figure (a start-up sample reads low).
    pub fn settled(&self) -> bool {
        self.samples >= 3
    }
}

/// Cores the rest of the machine used over one interval: the machine's busy share of all its
/// cores, minus the demo's own cores; never below 0 (the two are read a few ms apart, so the
/// demo's share can come out a little above the machine's).
pub fn others_cores(busy_percent: f32, cores: usize, own_cores: f64) -> f64 {
    let busy = f64::from(busy_percent.clamp(0.0, 100.0)) / 100.0 * cores as f64;
    (busy - own_cores).max(0.0)
}

/// The processes of a demo in a sample: those it started, and their children (py-procs'
/// multiprocessing workers, the zombie's child).
pub fn processes_of<'a>(pids: &[Pid], snap: &'a Snapshot) -> Vec<&'a ProcessSample> {
    snap.processes.iter().filter(|p| pids.contains(&p.pid) || pids.contains(&p.ppid)).collect()
}

impl LabState {
    /// Folds one new sample into every running demo's figures.
    pub fn on_sample(&mut self, snap: &Snapshot, cores: usize) {
        let dt = snap.elapsed.as_secs_f64();
        let busy = snap.system.total.busy();
        for d in self.demos.iter_mut().filter(|d| d.running()) {
            let procs = processes_of(&d.pids, snap);
            let own: f64 = procs.iter().map(|p| f64::from(p.cpu_percent) / 100.0).sum();
            let s = &mut d.sampled;
            s.cores_now = own;
            s.processes = procs.len() as u32;
            s.threads = procs.iter().map(|p| p.num_threads).sum();
            for p in &procs {
                if !s.states_seen.contains(p.state) {
                    s.states_seen.push(p.state);
                }
            }
            // The first sample that lists a new process has no CPU% for it yet, and no
            // interval: it starts the count rather than adding to it.
            if dt > 0.0 && !snap.system.cpus.is_empty() && !procs.is_empty() {
                s.samples += 1;
                s.span += dt;
                s.own_core_seconds += own * dt;
                s.other_core_seconds += others_cores(busy, cores, own) * dt;
            }
        }
    }

    /// Running demos that use CPU, and whether together they want more cores than there are:
    /// (how many, the cores they want) when they do.
    pub fn overlap(&self, cores: usize) -> Option<(usize, f64)> {
        let busy: Vec<&DemoEntry> = self.demos.iter().filter(|d| d.running() && d.sampled.cores_now >= 0.25).collect();
        if busy.len() < 2 {
            return None;
        }
        // Each wants what it uses now, and a demo that fills every core it can wants its N.
        let wanted: f64 =
            busy.iter().map(|d| d.sampled.cores_now.max(f64::from(d.spec.workers).min(cores as f64) * 0.9)).sum();
        (wanted > cores as f64 + 0.25).then_some((busy.len(), wanted))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::app::lab::CatalogEntry;
    use crate::collect::model::{CpuTimes, SystemSample};
    use crate::model::demo::{DemoKind, DemoSpec, LabEvent};

    fn proc(pid: Pid, ppid: Pid, cpu: f32, state: char) -> ProcessSample {
        ProcessSample {
            pid,
            ppid,
            name: Arc::from("tt-x"),
            state,
            cpu_percent: cpu,
            num_threads: 2,
            ..Default::default()
        }
    }

    fn snap(seq: u64, busy: f32, procs: Vec<ProcessSample>) -> Snapshot {
        let system = SystemSample {
            cpus: vec![CpuTimes::default(); 2],
            total: CpuTimes { user: busy, ..Default::default() },
            ..Default::default()
        };
        Snapshot { seq, elapsed: Duration::from_secs(1), system, processes: procs, ..Default::default() }
    }

    fn lab_with(kinds: &[(DemoKind, u32, Vec<Pid>)]) -> LabState {
        let entry = CatalogEntry {
            kind: DemoKind::CpuThreads,
            workers: 2,
            seconds: 60,
            max_workers: 8,
            timed: true,
            unit: "threads",
            summary: String::new(),
            lesson: String::new(),
        };
        let mut lab = LabState::new(vec![entry]);
        for (i, (kind, workers, pids)) in kinds.iter().enumerate() {
            let spec = DemoSpec { kind: *kind, workers: *workers, duration: Duration::from_secs(60) };
            lab.apply(LabEvent::Started { id: i as u32 + 1, spec, pids: pids.clone() });
        }
        lab
    }

    #[test]
    fn others_is_the_machine_busy_minus_the_demo() {
        // 2 cores 75% busy = 1.5 cores; the demo took 1.0 of them.
        assert!((others_cores(75.0, 2, 1.0) - 0.5).abs() < 1e-9);
        // Read a few ms apart, the demo can seem to take more than the machine: not below 0.
        assert_eq!(others_cores(40.0, 2, 1.0), 0.0);
        assert!((others_cores(100.0, 4, 0.0) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn others_averages_over_the_run_and_counts_children() {
        let mut lab = lab_with(&[(DemoKind::PyProcs, 2, vec![10])]);
        // The parent and its two workers (children of 10); 20 is not the demo's.
        let procs =
            |c: f32| vec![proc(10, 1, 0.0, 'S'), proc(11, 10, c, 'R'), proc(12, 10, c, 'R'), proc(20, 1, 50.0, 'R')];
        // Second 1: machine 100% of 2 cores, demo 2 × 90% = 1.8: others 0.2.
        lab.on_sample(&snap(1, 100.0, procs(90.0)), 2);
        // Second 2: machine 75%, demo 2 × 50% = 1.0: others 0.5.
        lab.on_sample(&snap(2, 75.0, procs(50.0)), 2);
        let s = &lab.demos[0].sampled;
        assert_eq!((s.samples, s.processes, s.threads), (2, 3, 6));
        assert!((s.others().unwrap() - 0.35).abs() < 1e-6, "{s:?}");
        assert!((s.cores_avg().unwrap() - 1.4).abs() < 1e-6, "{s:?}");
        assert!((s.cores_now - 1.0).abs() < 1e-6);
        assert_eq!(s.states_seen, "SR");
        // Once finished, its figures stay as they were.
        lab.apply(LabEvent::Failed { id: 1, reason: "x".into() });
        lab.on_sample(&snap(3, 100.0, procs(0.0)), 2);
        assert_eq!(lab.demos[0].sampled.samples, 2);
    }

    #[test]
    fn no_others_before_an_interval_was_measured() {
        let lab = lab_with(&[(DemoKind::CpuThreads, 2, vec![10])]);
        assert_eq!(lab.demos[0].sampled.others(), None);
    }

    #[test]
    fn demos_overlap_when_together_they_want_more_cores_than_there_are() {
        let mut lab = lab_with(&[(DemoKind::CpuThreads, 2, vec![10]), (DemoKind::CpuProcs, 2, vec![20])]);
        let both = vec![proc(10, 1, 100.0, 'R'), proc(20, 1, 100.0, 'R')];
        lab.on_sample(&snap(1, 100.0, both), 2);
        assert_eq!(lab.overlap(2).map(|(n, _)| n), Some(2));
        // On 8 cores the same two fit.
        assert_eq!(lab.overlap(8), None);
        // A demo that waits (io-threads near 0 cores) does not count.
        let mut lab = lab_with(&[(DemoKind::CpuThreads, 2, vec![10]), (DemoKind::IoThreads, 8, vec![20])]);
        lab.on_sample(&snap(1, 100.0, vec![proc(10, 1, 195.0, 'R'), proc(20, 1, 1.0, 'S')]), 2);
        assert_eq!(lab.overlap(2), None);
    }
}
