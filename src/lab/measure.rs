//! The lab's arithmetic: cores in use, rates, the running tally of what a demo's processes
//! reported, and the result built from it. Pure functions and plain data, unit-tested.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::time::Duration;

use super::protocol::{EndCause, Report};
use crate::collect::model::Pid;
use crate::model::catalog;
use crate::model::demo::{
    DemoId, DemoKind, DemoResult, DemoSpec, Extra, FreeThreaded, LabEvent, Phase, SpawnCost, StepSeen,
};
use crate::model::figures::DemoFigures;

/// CPU time over wall time: how many cores were busy on average. 0 for an empty interval.
pub fn cores_in_use(cpu: Duration, wall: Duration) -> f64 {
    if wall.is_zero() {
        return 0.0;
    }
    cpu.as_secs_f64() / wall.as_secs_f64()
}

/// `count` per second of `wall`. 0 for an empty interval.
pub fn per_second(count: u64, wall: Duration) -> f64 {
    if wall.is_zero() {
        return 0.0;
    }
    count as f64 / wall.as_secs_f64()
}

/// One point of a running demo: as sent in `LabEvent::Progress`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProgressPoint {
    pub elapsed: Duration,
    pub cpu: Duration,
    pub ops: u64,
}

/// Live cores in use and ops/s of one demo process, over about the last `window` of its own
/// reports: Δ CPU time / Δ wall and Δ ops / Δ wall, the wall being when each report arrived.
/// The wall must be the report's own time, not the time someone forwarded it: a process reports
/// on its own ~250 ms beat, so a forwarder on another 250 ms beat sees zero, one or two reports
/// per beat and a tick-stamped rate of a steady 400/s reads 200, 400, 800.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveRate {
    window: Duration,
    points: VecDeque<ProgressPoint>,
}

impl Default for LiveRate {
    fn default() -> Self {
        LiveRate::new(Duration::from_secs(1))
    }
}

impl LiveRate {
    pub fn new(window: Duration) -> LiveRate {
        LiveRate { window, points: VecDeque::new() }
    }

    pub fn push(&mut self, point: ProgressPoint) {
        if self.points.back().is_some_and(|p| point.elapsed <= p.elapsed) {
            // Out of order or repeated: it would make a zero or negative interval.
            return;
        }
        self.points.push_back(point);
        // Keep the newest point that is at least `window` old as the baseline.
        while self.points.len() > 2
            && self.points.get(1).is_some_and(|p| point.elapsed.saturating_sub(p.elapsed) >= self.window)
        {
            self.points.pop_front();
        }
    }

    fn span(&self) -> Option<(&ProgressPoint, &ProgressPoint)> {
        let first = self.points.front()?;
        let last = self.points.back()?;
        (last.elapsed > first.elapsed).then_some((first, last))
    }

    /// Cores in use over the window; `None` until two points are known.
    pub fn cores(&self) -> Option<f64> {
        let (a, b) = self.span()?;
        Some(cores_in_use(b.cpu.saturating_sub(a.cpu), b.elapsed - a.elapsed))
    }

    /// Operations per second over the window; `None` until two points are known.
    pub fn ops_per_sec(&self) -> Option<f64> {
        let (a, b) = self.span()?;
        Some(per_second(b.ops.saturating_sub(a.ops), b.elapsed - a.elapsed))
    }
}

/// What one demo process said last, and its live rate over its own reports.
#[derive(Clone, Debug, Default, PartialEq)]
struct ProcessFigures {
    ops: u64,
    cpu_ns: u64,
    ended: Option<EndCause>,
    rate: LiveRate,
}

impl ProcessFigures {
    fn set(&mut self, ops: u64, cpu_ns: u64, at: Duration) {
        self.ops = ops;
        self.cpu_ns = cpu_ns;
        self.rate.push(ProgressPoint { elapsed: at, cpu: Duration::from_nanos(cpu_ns), ops });
    }
}

/// spawn-cost's totals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SpawnTotals {
    pub threads: u32,
    pub thread_ns: u64,
    pub processes: u32,
    pub process_ns: u64,
}

/// Everything a demo's processes have reported so far. Figures are cumulative per process, so
/// the demo's are the sums of each process's latest.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Tally {
    processes: BTreeMap<u32, ProcessFigures>,
    /// Processes the demo's processes started themselves (the zombie children).
    pub others: Vec<Pid>,
    pub spawn: Option<SpawnTotals>,
    /// The first error a demo process reported.
    pub error: Option<String>,
    /// The latest figures of memory, race, switch-cost, ipc or real-io (each report holds all).
    pub figures: Option<DemoFigures>,
    /// Timed parts of the work, in the order they were reported (`Report::Phase`).
    pub phases: Vec<Phase>,
    /// py-nogil: what the search for a free-threaded interpreter found.
    pub nogil: Option<FreeThreaded>,
    /// Measured by the demo's task from /proc, not reported: the most threads seen at once.
    pub threads_peak: Option<u32>,
    /// lifecycle, measured by the demo's task from /proc: each change of state letter, and the
    /// readings of each letter per step (the step the process last reported).
    pub states: String,
    pub step_states: BTreeMap<u64, BTreeMap<char, u32>>,
    /// lifecycle: whether its task reaped it (after the zombie step).
    pub reaped: bool,
}

impl Tally {
    /// `at`: when the report arrived, since the demo started (for the live rates).
    pub fn apply(&mut self, report: Report, at: Duration) {
        match report {
            Report::Progress { index, ops, cpu_ns } => {
                self.processes.entry(index).or_default().set(ops, cpu_ns, at);
            }
            Report::Done { index, ops, cpu_ns, cause } => {
                let p = self.processes.entry(index).or_default();
                p.set(ops, cpu_ns, at);
                p.ended = Some(cause);
            }
            Report::Child { pid, .. } => {
                if !self.others.contains(&pid) {
                    self.others.push(pid);
                }
            }
            Report::Spawn { threads, thread_ns, processes, process_ns } => {
                self.spawn = Some(SpawnTotals { threads, thread_ns, processes, process_ns });
            }
            Report::Error { index, message } => {
                self.error.get_or_insert(format!("process {index}: {message}"));
            }
            Report::Figures(figures) => self.figures = Some(*figures),
            Report::Phase { name, ops, wall_ns, cpu_ns, .. } => {
                let (wall, cpu) = (Duration::from_nanos(wall_ns), Duration::from_nanos(cpu_ns));
                self.phases.push(Phase {
                    name,
                    ops,
                    wall_seconds: wall.as_secs_f64(),
                    cpu_seconds: cpu.as_secs_f64(),
                    cores_used: cores_in_use(cpu, wall),
                });
            }
            Report::Nogil { found, message, .. } => {
                self.nogil = Some(match found {
                    Some((executable, version)) => FreeThreaded {
                        found: true,
                        message: format!("free-threaded CPython {version} at {executable}"),
                        executable: Some(executable),
                        version: Some(version),
                    },
                    None => FreeThreaded { found: false, executable: None, version: None, message },
                });
            }
            // The demo's task acts on it (it signals); nothing to count.
            Report::StopMe { .. } => {}
        }
    }

    /// Another reading of the demo's threads in /proc.
    pub fn saw_threads(&mut self, threads: u32) {
        self.threads_peak = Some(self.threads_peak.map_or(threads, |t| t.max(threads)));
    }

    /// Another reading of lifecycle's state letter; kept when it changed.
    pub fn saw_state(&mut self, letter: char) {
        if !self.states.ends_with(letter) && self.states.len() < 4096 {
            self.states.push(letter);
        }
        let count = self.step_states.entry(self.ops()).or_default().entry(letter).or_default();
        *count = count.saturating_add(1);
    }

    pub fn ops(&self) -> u64 {
        self.processes.values().fold(0u64, |sum, p| sum.saturating_add(p.ops))
    }

    pub fn cpu(&self) -> Duration {
        let ns = self.processes.values().fold(0u64, |sum, p| sum.saturating_add(p.cpu_ns));
        Duration::from_nanos(ns)
    }

    /// Live ops/s of the demo: the sum of each running process's rate over its own reports, so
    /// that processes reporting at different moments do not make the sum jump. `None` until
    /// every running process has reported twice.
    pub fn live_ops_per_sec(&self) -> Option<f64> {
        self.live(LiveRate::ops_per_sec)
    }

    /// Live cores in use of the demo, summed over its running processes as `live_ops_per_sec`.
    pub fn live_cores(&self) -> Option<f64> {
        self.live(LiveRate::cores)
    }

    fn live(&self, of: fn(&LiveRate) -> Option<f64>) -> Option<f64> {
        let mut running = self.processes.values().filter(|p| p.ended.is_none()).peekable();
        running.peek()?;
        running.map(|p| of(&p.rate)).sum()
    }

    /// The progress event for this tally at `elapsed`: the rates are the live ones, over each
    /// process's own reports; `elapsed` only moves the progress gauge.
    pub fn progress_event(&self, id: DemoId, elapsed: Duration) -> LabEvent {
        LabEvent::Progress {
            id,
            ops: self.ops(),
            cpu: self.cpu(),
            elapsed,
            ops_per_sec: self.live_ops_per_sec(),
            cores: self.live_cores(),
        }
    }

    /// Whether a process ended on a signal or lost its parent rather than at its deadline.
    pub fn ended_early(&self) -> bool {
        self.processes.values().any(|p| matches!(p.ended, Some(EndCause::Signal | EndCause::Orphan)))
    }
}

/// µs per creation and the ratio, once both kinds were created at least once.
pub(crate) fn spawn_cost(totals: &SpawnTotals) -> Option<SpawnCost> {
    if totals.threads == 0 || totals.processes == 0 {
        return None;
    }
    let thread_spawn_us = totals.thread_ns as f64 / 1000.0 / f64::from(totals.threads);
    let process_spawn_us = totals.process_ns as f64 / 1000.0 / f64::from(totals.processes);
    if thread_spawn_us <= 0.0 {
        return None;
    }
    Some(SpawnCost { thread_spawn_us, process_spawn_us, ratio: process_spawn_us / thread_spawn_us })
}

/// The result of a demo that ran for `wall`, from what its processes reported.
pub(crate) fn build_result(
    spec: &DemoSpec,
    wall: Duration,
    tally: &Tally,
    pids: Vec<Pid>,
    stopped_early: bool,
) -> DemoResult {
    let cpu = tally.cpu();
    let ops = tally.ops();
    DemoResult {
        kind: spec.kind.name().to_owned(),
        workers: spec.workers,
        wall_seconds: wall.as_secs_f64(),
        cpu_seconds: cpu.as_secs_f64(),
        cores_used: cores_in_use(cpu, wall),
        ops,
        ops_per_sec: per_second(ops, wall),
        pids,
        stopped_early,
        spawn: tally.spawn.as_ref().and_then(spawn_cost),
        figures: tally.figures.clone().map(Box::new),
        extra: extra(spec, tally),
    }
}

/// py-asyncio, py-hash-threads, py-nogil and lifecycle's own figures; `None` for other kinds.
fn extra(spec: &DemoSpec, tally: &Tally) -> Option<Box<Extra>> {
    let mut extra = Extra { phases: tally.phases.clone(), threads_peak: tally.threads_peak, ..Extra::default() };
    match spec.kind {
        DemoKind::PyAsyncio | DemoKind::PyHashThreads => {}
        DemoKind::PyNogil => extra.free_threaded = tally.nogil.clone(),
        DemoKind::Lifecycle => {
            let done = usize::try_from(tally.ops()).unwrap_or(usize::MAX);
            let last = catalog::LIFECYCLE_STEPS.len() - 1;
            let mut steps: Vec<StepSeen> = catalog::LIFECYCLE_STEPS[..last]
                .iter()
                .enumerate()
                .take(done.saturating_add(1))
                .map(|(i, s)| StepSeen {
                    name: s.name.to_owned(),
                    seen: tally.step_states.get(&(i as u64)).cloned().unwrap_or_default(),
                })
                .collect();
            // "reaped" is the task's doing, not the process's: a step only if it happened.
            if tally.reaped {
                steps.push(StepSeen { name: catalog::LIFECYCLE_STEPS[last].name.to_owned(), seen: BTreeMap::new() });
            }
            extra.steps = steps;
            extra.states_seen = Some(tally.states.clone());
            extra.reaped = Some(tally.reaped);
            extra.threads_peak = None;
        }
        _ => return None,
    }
    Some(Box::new(extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::demo::DemoKind;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn cores_in_use_is_cpu_over_wall() {
        assert_eq!(cores_in_use(ms(4000), ms(2000)), 2.0);
        assert_eq!(cores_in_use(ms(500), ms(2000)), 0.25);
        assert_eq!(cores_in_use(ms(500), Duration::ZERO), 0.0);
        assert_eq!(per_second(300, ms(1500)), 200.0);
        assert_eq!(per_second(300, Duration::ZERO), 0.0);
    }

    #[test]
    fn live_rate_uses_about_the_last_window() {
        let mut rate = LiveRate::new(ms(1000));
        assert_eq!(rate.cores(), None);
        let p = |elapsed, cpu, ops| ProgressPoint { elapsed: ms(elapsed), cpu: ms(cpu), ops };
        rate.push(p(0, 0, 0));
        assert_eq!(rate.cores(), None);
        // Two cores busy for the first second.
        rate.push(p(500, 1000, 50));
        rate.push(p(1000, 2000, 100));
        assert_eq!(rate.cores(), Some(2.0));
        assert_eq!(rate.ops_per_sec(), Some(100.0));
        // Then one core: after another second the window no longer sees the first one.
        rate.push(p(1500, 2500, 150));
        rate.push(p(2000, 3000, 200));
        assert_eq!(rate.cores(), Some(1.0));
        // Repeated or backwards points are ignored.
        rate.push(p(2000, 9000, 900));
        rate.push(p(1900, 9000, 900));
        assert_eq!(rate.cores(), Some(1.0));
    }

    /// Reports `ops = rate × t` at `t` = each beat of `beat_ms` plus a jitter of a few ms either
    /// side, for a process of index `index`; with the 250 ms forwarding tick of the supervisor,
    /// these make the tick see zero, one or two new reports.
    fn reports(index: u32, rate: f64, beat_ms: u64, phase_ms: u64, until_ms: u64) -> Vec<(u64, Report)> {
        let jitter: [i64; 20] = [3, -2, 4, 5, -3, -4, 2, 6, -1, -5, 3, 1, -6, -2, 4, 2, -3, 5, -4, -1];
        (0..)
            .map(|k: u64| (phase_ms + k * beat_ms).saturating_add_signed(jitter[k as usize % jitter.len()]))
            .take_while(|t| *t <= until_ms)
            .map(|t| {
                let ops = (rate * t as f64 / 1000.0) as u64;
                (t, Report::Progress { index, ops, cpu_ns: t * 1_000_000 })
            })
            .collect()
    }

    /// What the lab panel reads, refresh by refresh: the supervisor's tick forwards the tally
    /// every 250 ms (when it changed), and the panel shows the last rate an event carried (the
    /// app keeps it until a new one comes: `app::lab`, which the lab may not import).
    fn panel_readings(mut reports: Vec<(u64, Report)>, until_ms: u64) -> Vec<f64> {
        reports.sort_by_key(|(t, _)| *t);
        let mut tally = Tally::default();
        let mut queue = reports.into_iter().peekable();
        let mut last_sent = None;
        let mut shown = 0.0;
        let mut readings = Vec::new();
        for tick in (250..=until_ms).step_by(250) {
            while let Some((t, r)) = queue.next_if(|(t, _)| *t <= tick) {
                tally.apply(r, ms(t));
            }
            if last_sent == Some(tally.ops()) {
                continue;
            }
            last_sent = Some(tally.ops());
            if let LabEvent::Progress { ops_per_sec: Some(rate), .. } = tally.progress_event(1, ms(tick)) {
                shown = rate;
            }
            readings.push(shown);
        }
        readings
    }

    #[test]
    fn a_steady_rate_reads_steady_whatever_the_report_timing() {
        // io-threads: one process, 400 ops/s, reporting on its own beat a few ms either side of
        // the forwarding tick. Forwarded with the tick's time, this read 204, 788, 400, ...
        let readings = panel_readings(reports(0, 400.0, 250, 250, 10_000), 10_000);
        assert!(readings.len() > 20, "{readings:?}");
        for r in &readings[2..] {
            assert!((r - 400.0).abs() <= 8.0, "a steady 400/s read {r}: {readings:?}");
        }
    }

    #[test]
    fn processes_reporting_at_different_moments_sum_steadily() {
        // cpu-procs: three processes of 100, 150 and 200 ops/s, each on its own phase and one
        // on an uneven, slower beat (a loaded machine).
        let mut all = reports(0, 100.0, 250, 40, 10_000);
        all.extend(reports(1, 150.0, 250, 170, 10_000));
        all.extend(reports(2, 200.0, 310, 230, 10_000));
        let readings = panel_readings(all, 10_000);
        for r in &readings[4..] {
            assert!((r - 450.0).abs() <= 9.0, "a steady 450/s read {r}: {readings:?}");
        }
    }

    #[test]
    fn live_rates_wait_for_every_process_and_leave_out_ended_ones() {
        let mut t = Tally::default();
        assert_eq!(t.live_ops_per_sec(), None);
        t.apply(Report::Progress { index: 0, ops: 0, cpu_ns: 0 }, ms(0));
        t.apply(Report::Progress { index: 0, ops: 100, cpu_ns: 500_000_000 }, ms(1000));
        assert_eq!(t.live_ops_per_sec(), Some(100.0));
        assert_eq!(t.live_cores(), Some(0.5));
        // A second process with one report only: no sum yet, rather than one too low.
        t.apply(Report::Progress { index: 1, ops: 0, cpu_ns: 0 }, ms(1000));
        assert_eq!(t.live_ops_per_sec(), None);
        t.apply(Report::Progress { index: 1, ops: 50, cpu_ns: 1_000_000_000 }, ms(1500));
        assert_eq!(t.live_ops_per_sec(), Some(200.0));
        assert_eq!(t.live_cores(), Some(2.5));
        t.apply(Report::Done { index: 1, ops: 60, cpu_ns: 1_100_000_000, cause: EndCause::Deadline }, ms(1600));
        assert_eq!(t.live_ops_per_sec(), Some(100.0));
    }

    #[test]
    fn tally_sums_the_latest_figures_of_each_process() {
        let mut t = Tally::default();
        t.apply(Report::Progress { index: 0, ops: 10, cpu_ns: 1_000_000_000 }, ms(250));
        t.apply(Report::Progress { index: 1, ops: 5, cpu_ns: 500_000_000 }, ms(500));
        // Cumulative: the second report of process 0 replaces its first.
        t.apply(Report::Progress { index: 0, ops: 20, cpu_ns: 2_000_000_000 }, ms(750));
        assert_eq!(t.ops(), 25);
        assert_eq!(t.cpu(), ms(2500));
        assert!(!t.ended_early());
        t.apply(Report::Done { index: 1, ops: 6, cpu_ns: 600_000_000, cause: EndCause::Deadline }, ms(1000));
        assert!(!t.ended_early());
        t.apply(Report::Done { index: 0, ops: 21, cpu_ns: 2_100_000_000, cause: EndCause::Signal }, ms(1250));
        assert!(t.ended_early());
        assert_eq!(t.ops(), 27);
        t.apply(Report::Child { index: 0, pid: 77 }, ms(1500));
        t.apply(Report::Child { index: 0, pid: 77 }, ms(1750));
        assert_eq!(t.others, vec![77]);
    }

    #[test]
    fn result_figures() {
        let spec = DemoSpec { kind: DemoKind::CpuThreads, workers: 2, duration: ms(2000) };
        let mut t = Tally::default();
        t.apply(Report::Done { index: 0, ops: 1000, cpu_ns: 3_900_000_000, cause: EndCause::Deadline }, ms(2000));
        let r = build_result(&spec, ms(2000), &t, vec![42], false);
        assert_eq!(r.kind, "cpu-threads");
        assert_eq!(r.workers, 2);
        assert_eq!(r.wall_seconds, 2.0);
        assert_eq!(r.cpu_seconds, 3.9);
        assert_eq!(r.cores_used, 1.95);
        assert_eq!(r.ops, 1000);
        assert_eq!(r.ops_per_sec, 500.0);
        assert_eq!(r.pids, vec![42]);
        assert_eq!(r.spawn, None);
        assert_eq!(r.figures, None);
        assert_eq!(r.extra, None);
    }

    #[test]
    fn the_result_carries_the_last_figures_reported() {
        use crate::model::figures::{RaceFigures, RaceRun};
        let spec = DemoSpec { kind: DemoKind::Race, workers: 2, duration: ms(2000) };
        let mut t = Tally::default();
        let figures = |runs: usize| {
            DemoFigures::Race(RaceFigures {
                threads: 2,
                increments_per_thread: 5,
                runs: vec![RaceRun::default(); runs],
            })
        };
        t.apply(Report::Figures(Box::new(figures(1))), ms(500));
        t.apply(Report::Figures(Box::new(figures(2))), ms(900));
        let r = build_result(&spec, ms(2000), &t, vec![42], false);
        assert_eq!(r.figures, Some(Box::new(figures(2))));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["race"]["runs"].as_array().unwrap().len(), 2, "{json}");
        assert_eq!(json["kind"], "race");
    }

    #[test]
    fn phases_threads_and_states_make_the_extra_figures() {
        let spec = DemoSpec { kind: DemoKind::PyHashThreads, workers: 2, duration: ms(4000) };
        let mut t = Tally::default();
        let phase =
            |name: &str, ops, wall_ns, cpu_ns| Report::Phase { index: 0, name: name.into(), ops, wall_ns, cpu_ns };
        t.apply(phase("hash", 800, 2_000_000_000, 3_900_000_000), ms(2000));
        t.apply(phase("pure", 300, 2_000_000_000, 2_000_000_000), ms(4000));
        for n in [1, 3, 2] {
            t.saw_threads(n);
        }
        let extra = build_result(&spec, ms(4000), &t, vec![42], false).extra.unwrap();
        assert_eq!(extra.phases.len(), 2);
        assert_eq!((extra.phases[0].name.as_str(), extra.phases[0].cores_used), ("hash", 1.95));
        assert_eq!((extra.phases[1].name.as_str(), extra.phases[1].cores_used), ("pure", 1.0));
        assert_eq!(extra.threads_peak, Some(3));

        let life = DemoSpec { kind: DemoKind::Lifecycle, workers: 1, duration: ms(60_000) };
        let mut t = Tally::default();
        // Step by step, as the process reports each and the task reads /proc.
        for (step, letters) in [(0, "SS"), (1, "RRS"), (2, "SS"), (3, "DDRD"), (4, "TT"), (5, "ZZZ")] {
            t.apply(Report::Progress { index: 0, ops: step, cpu_ns: 1 }, ms(1000 * step + 1));
            for c in letters.chars() {
                t.saw_state(c);
            }
        }
        t.reaped = true;
        let extra = build_result(&life, ms(12_000), &t, vec![42], false).extra.unwrap();
        assert_eq!(extra.states_seen.as_deref(), Some("SRSDRDTZ"));
        let names: Vec<&str> = extra.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["created", "running", "sleeping", "disk", "stopped", "zombie", "reaped"]);
        assert_eq!(extra.steps[1].seen, BTreeMap::from([('R', 2), ('S', 1)]));
        assert_eq!(extra.steps[3].seen, BTreeMap::from([('D', 3), ('R', 1)]));
        assert_eq!(extra.steps[5].seen, BTreeMap::from([('Z', 3)]));
        assert!(extra.steps[6].seen.is_empty());
        assert_eq!(extra.reaped, Some(true));
        t.reaped = false;
        let extra = build_result(&life, ms(12_000), &t, vec![42], true).extra.unwrap();
        assert_eq!(extra.steps.last().map(|s| s.name.as_str()), Some("zombie"));

        let nogil = DemoSpec { kind: DemoKind::PyNogil, workers: 2, duration: ms(4000) };
        let mut t = Tally::default();
        t.apply(Report::Nogil { index: 1, found: None, message: "none: uv python install 3.13t".into() }, ms(1));
        let ft = build_result(&nogil, ms(2000), &t, vec![1, 2], false).extra.unwrap().free_threaded.unwrap();
        assert!(!ft.found && ft.message.contains("3.13t") && ft.executable.is_none());
    }

    #[test]
    fn spawn_cost_per_creation_and_ratio() {
        let totals = SpawnTotals { threads: 200, thread_ns: 4_000_000, processes: 200, process_ns: 30_000_000 };
        let cost = spawn_cost(&totals).unwrap();
        assert_eq!(cost.thread_spawn_us, 20.0);
        assert_eq!(cost.process_spawn_us, 150.0);
        assert_eq!(cost.ratio, 7.5);
        let stopped = SpawnTotals { processes: 0, process_ns: 0, ..totals };
        assert_eq!(spawn_cost(&stopped), None);
    }
}
