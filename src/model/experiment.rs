//! Plain data of the experiments: what to run, the plan of steps, the events a running
//! experiment sends, and its results (serde, for `--json`, `--save` and `show`). No I/O, no
//! clock: the app's `ExperimentState` and the UI import this, as they import `lab::model`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::demo::DemoKind;

/// The experiments, by the names users type (`threadtop experiment scaling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExperimentKind {
    /// Throughput vs workers for cpu-threads, lock-threads and cpu-procs.
    Scaling,
    /// N waits run sequentially, with N threads, with N processes.
    Io,
    /// py-threads vs py-procs on a real CPython: the GIL.
    Python,
    /// Two or three demo kinds with the same N and duration, one after the other.
    Compare,
}

impl ExperimentKind {
    pub const ALL: [ExperimentKind; 4] =
        [ExperimentKind::Scaling, ExperimentKind::Io, ExperimentKind::Python, ExperimentKind::Compare];

    pub fn name(self) -> &'static str {
        match self {
            ExperimentKind::Scaling => "scaling",
            ExperimentKind::Io => "io",
            ExperimentKind::Python => "python",
            ExperimentKind::Compare => "compare",
        }
    }

    /// What it answers, in one line.
    pub fn question(self) -> &'static str {
        match self {
            ExperimentKind::Scaling => {
                "how does throughput grow with workers: threads, processes, and threads behind one lock?"
            }
            ExperimentKind::Io => "N waits: one after another, in N threads, in N processes",
            ExperimentKind::Python => "real CPython: N threads (one GIL) vs N processes (one GIL each)",
            ExperimentKind::Compare => "two or three demos you pick, run one after the other",
        }
    }
}

impl fmt::Display for ExperimentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Most workers a scaling step may have: cpu-procs' process cap.
pub const MAX_SCALING_WORKERS: u32 = 64;
/// Most repeats of each scaling step.
pub const MAX_REPEATS: u32 = 20;
/// Longest step (scaling, python) or wait (io) an experiment accepts.
pub const MAX_STEP: Duration = Duration::from_secs(60);
/// Shortest step: below it exec and start-up dominate what is measured.
pub const MIN_STEP: Duration = Duration::from_millis(100);
/// Most tasks of the I/O experiment: its process mode starts one process per task.
pub const MAX_IO_TASKS: u32 = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct ScalingConfig {
    /// How long each run lasts.
    pub step: Duration,
    /// Runs per (kind, workers), for min/median/max.
    pub repeats: u32,
    /// The largest worker count (default 2 × logical cores).
    pub max_workers: u32,
    /// The demo kinds measured, in this order.
    pub kinds: Vec<DemoKind>,
}

impl ScalingConfig {
    pub const KINDS: [DemoKind; 3] = [DemoKind::CpuThreads, DemoKind::LockThreads, DemoKind::CpuProcs];
    pub const DEFAULT_STEP: Duration = Duration::from_secs(2);
    pub const DEFAULT_REPEATS: u32 = 3;

    /// The defaults on a machine with `cores` logical cores.
    pub fn for_cores(cores: u32) -> ScalingConfig {
        ScalingConfig {
            step: ScalingConfig::DEFAULT_STEP,
            repeats: ScalingConfig::DEFAULT_REPEATS,
            max_workers: cores.saturating_mul(2).clamp(1, MAX_SCALING_WORKERS),
            kinds: ScalingConfig::KINDS.to_vec(),
        }
    }

    /// 1, 2, 4, ... up to `max_workers`, plus the core count and `max_workers` themselves, so
    /// that the curve has a point exactly where the cores run out.
    pub fn worker_counts(&self, cores: u32) -> Vec<u32> {
        let max = self.max_workers.max(1);
        let mut counts: Vec<u32> =
            std::iter::successors(Some(1u32), |n| n.checked_mul(2)).take_while(|n| *n <= max).collect();
        if cores <= max {
            counts.push(cores.max(1));
        }
        counts.push(max);
        counts.sort_unstable();
        counts.dedup();
        counts
    }

    pub fn check(&self) -> Result<(), String> {
        check_step("--step-seconds", self.step)?;
        if !(1..=MAX_REPEATS).contains(&self.repeats) {
            return Err(format!("--repeats {}: give 1 to {MAX_REPEATS}", self.repeats));
        }
        if !(1..=MAX_SCALING_WORKERS).contains(&self.max_workers) {
            return Err(format!("--max-workers {}: give 1 to {MAX_SCALING_WORKERS}", self.max_workers));
        }
        if self.kinds.is_empty() {
            return Err("no demo kinds to measure".to_owned());
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct IoConfig {
    /// N: how many tasks.
    pub tasks: u32,
    /// How long each task waits.
    pub wait: Duration,
}

impl Default for IoConfig {
    fn default() -> Self {
        IoConfig { tasks: 4, wait: Duration::from_secs(1) }
    }
}

impl IoConfig {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_IO_TASKS).contains(&self.tasks) {
            return Err(format!("-n {}: give 1 to {MAX_IO_TASKS} tasks", self.tasks));
        }
        if self.wait.is_zero() || self.wait > MAX_STEP {
            return Err(format!("--wait: give more than 0 and at most {} s", MAX_STEP.as_secs()));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PythonConfig {
    /// N threads, and N processes (default: logical cores).
    pub workers: u32,
    /// How long each of the two runs lasts.
    pub step: Duration,
}

impl PythonConfig {
    pub const DEFAULT_STEP: Duration = Duration::from_secs(3);

    pub fn for_cores(cores: u32) -> PythonConfig {
        PythonConfig { workers: cores.clamp(1, MAX_SCALING_WORKERS - 1), step: PythonConfig::DEFAULT_STEP }
    }

    pub fn check(&self) -> Result<(), String> {
        check_step("--step-seconds", self.step)?;
        if !(1..MAX_SCALING_WORKERS).contains(&self.workers) {
            return Err(format!("-n {}: give 1 to {}", self.workers, MAX_SCALING_WORKERS - 1));
        }
        Ok(())
    }
}

fn check_step(flag: &str, step: Duration) -> Result<(), String> {
    if step < MIN_STEP || step > MAX_STEP {
        return Err(format!(
            "{flag} {:.2}: give {:.1} to {} seconds",
            step.as_secs_f64(),
            MIN_STEP.as_secs_f64(),
            MAX_STEP.as_secs()
        ));
    }
    Ok(())
}

/// Compare: two or three demo kinds run one after the other with the same N and duration.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareConfig {
    /// In the order they run.
    pub kinds: Vec<DemoKind>,
    /// N for each of them.
    pub workers: u32,
    /// How long each runs.
    pub step: Duration,
}

impl CompareConfig {
    pub const DEFAULT_KINDS: [DemoKind; 3] = [DemoKind::CpuThreads, DemoKind::LockThreads, DemoKind::CpuProcs];
    pub const DEFAULT_STEP: Duration = Duration::from_secs(3);
    /// Most kinds one compare runs.
    pub const MAX_KINDS: usize = 3;

    pub fn for_cores(cores: u32) -> CompareConfig {
        CompareConfig {
            kinds: CompareConfig::DEFAULT_KINDS.to_vec(),
            workers: cores.clamp(1, MAX_SCALING_WORKERS - 1),
            step: CompareConfig::DEFAULT_STEP,
        }
    }

    /// Kinds a compare can run: those that run for their duration (spawn-cost runs once).
    pub fn comparable(kind: DemoKind) -> bool {
        !super::catalog::info(kind).runs_once
    }

    pub fn check(&self) -> Result<(), String> {
        check_step("--step-seconds", self.step)?;
        let n = self.kinds.len();
        if !(2..=CompareConfig::MAX_KINDS).contains(&n) {
            return Err(format!("a compare runs 2 or 3 kinds, not {n}"));
        }
        for (i, k) in self.kinds.iter().enumerate() {
            if self.kinds[..i].contains(k) {
                return Err(format!("{k} is named twice"));
            }
            if !CompareConfig::comparable(*k) {
                return Err(format!("{k} runs once and has no rate to compare"));
            }
            let max = super::catalog::max_workers(*k);
            if self.workers == 0 || self.workers > max {
                return Err(format!("-n {}: {k} takes 1 to {max}", self.workers));
            }
        }
        Ok(())
    }
}

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub enum ExperimentConfig {
    Scaling(ScalingConfig),
    Io(IoConfig),
    Python(PythonConfig),
    Compare(CompareConfig),
}

impl ExperimentConfig {
    pub fn kind(&self) -> ExperimentKind {
        match self {
            ExperimentConfig::Scaling(_) => ExperimentKind::Scaling,
            ExperimentConfig::Io(_) => ExperimentKind::Io,
            ExperimentConfig::Python(_) => ExperimentKind::Python,
            ExperimentConfig::Compare(_) => ExperimentKind::Compare,
        }
    }

    /// The defaults of `kind` on a machine with `cores` logical cores.
    pub fn default_for(kind: ExperimentKind, cores: u32) -> ExperimentConfig {
        match kind {
            ExperimentKind::Scaling => ExperimentConfig::Scaling(ScalingConfig::for_cores(cores)),
            ExperimentKind::Io => ExperimentConfig::Io(IoConfig::default()),
            ExperimentKind::Python => ExperimentConfig::Python(PythonConfig::for_cores(cores)),
            ExperimentKind::Compare => ExperimentConfig::Compare(CompareConfig::for_cores(cores)),
        }
    }

    pub fn check(&self) -> Result<(), String> {
        match self {
            ExperimentConfig::Scaling(c) => c.check(),
            ExperimentConfig::Io(c) => c.check(),
            ExperimentConfig::Python(c) => c.check(),
            ExperimentConfig::Compare(c) => c.check(),
        }
    }
}

/// One step of the plan: one run of one demo (scaling, python) or one mode (io).
#[derive(Clone, Debug, PartialEq)]
pub struct StepPlan {
    /// For the progress line: "cpu-threads × 4 (run 2/3)".
    pub label: String,
    /// How long it is expected to take.
    pub expected: Duration,
}

/// What a running experiment tells its owner, in this order: `Planned`, then for each step
/// `StepStarted`, any `StepProgress`, `StepDone`; then exactly one of `Finished`, `Cancelled`,
/// `Failed` (which may also come first, when the experiment cannot start: no python3, say).
/// Every child it started is reaped before that last event is sent.
#[derive(Clone, Debug, PartialEq)]
pub enum ExperimentEvent {
    Planned {
        kind: ExperimentKind,
        steps: Vec<StepPlan>,
    },
    StepStarted {
        index: usize,
    },
    /// Inside step `index`, `elapsed` since it started; live figures of the demo when known.
    StepProgress {
        index: usize,
        elapsed: Duration,
        ops_per_sec: Option<f64>,
        cores: Option<f64>,
    },
    /// Step `index` ended after `took`; `summary` says what it measured in a few words
    /// ("2400 ops/s, 1.99 cores"); `result` is everything measured so far.
    StepDone {
        index: usize,
        took: Duration,
        summary: String,
        result: ExperimentResult,
    },
    Finished {
        result: ExperimentResult,
    },
    /// Cancelled by its owner: `result` holds the steps completed before (the interrupted one
    /// is left out, as it did not run its full time).
    Cancelled {
        result: ExperimentResult,
    },
    /// Could not go on; `result` holds what was measured before, if anything.
    Failed {
        reason: String,
        result: Option<ExperimentResult>,
    },
}

/// About how long is left: the steps not done yet plus what remains of the current one, scaled
/// by how long the done steps took against their plan (start-up costs more on a busy machine).
pub fn time_left(plan: &[StepPlan], done: usize, took: Duration, current_elapsed: Duration) -> Duration {
    let planned_done: Duration = plan.iter().take(done).map(|s| s.expected).sum();
    let ratio = if done > 0 && !planned_done.is_zero() {
        (took.as_secs_f64() / planned_done.as_secs_f64()).clamp(0.5, 3.0)
    } else {
        1.0
    };
    let mut rest = plan.iter().skip(done);
    let current = rest.next().map_or(Duration::ZERO, |s| s.expected.mul_f64(ratio).saturating_sub(current_elapsed));
    let after: Duration = rest.map(|s| s.expected).sum();
    current + after.mul_f64(ratio)
}

/// The machine a result was measured on, so that a saved result says where its figures come
/// from. Absent in results saved before threadtop recorded it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// As /proc/cpuinfo names it ("model name"), or "unknown CPU".
    pub cpu_model: String,
    /// Logical cores the machine has (online), which may be more than a result's
    /// `logical_cores`, the cores threadtop was allowed to run on.
    pub logical_cores: u32,
    /// The kernel release (`uname -r`).
    pub kernel: String,
    /// The version of threadtop that measured it.
    pub threadtop_version: String,
}

/// One measured run of a scaling step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingRun {
    pub kind: String,
    pub workers: u32,
    pub ops_per_sec: f64,
    pub cores_used: f64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    /// Cores the rest of the machine used meanwhile (from /proc/stat, minus the demo).
    pub other_cores: f64,
}

/// One (kind, workers) point, over its repeats. `ops_per_sec` is the median.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingStep {
    pub kind: String,
    pub workers: u32,
    pub ops_per_sec: f64,
    pub ops_per_sec_min: f64,
    pub ops_per_sec_median: f64,
    pub ops_per_sec_max: f64,
    /// Median over the repeats.
    pub cores_used: f64,
    /// Median wall time of one run.
    pub wall_seconds: f64,
    /// How many runs the figures are over.
    pub runs: u32,
    /// Median cores the rest of the machine used during the runs.
    pub other_cores: f64,
    /// ops/s of each run, in the order they ran.
    pub ops_per_sec_runs: Vec<f64>,
}

impl ScalingStep {
    /// (max - min) / median: how much the repeats disagreed.
    pub fn spread(&self) -> f64 {
        if self.ops_per_sec_median <= 0.0 {
            return 0.0;
        }
        (self.ops_per_sec_max - self.ops_per_sec_min) / self.ops_per_sec_median
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingResult {
    pub logical_cores: u32,
    pub step_seconds: f64,
    pub repeats: u32,
    /// Every (kind, workers) measured, by kind then workers.
    pub steps: Vec<ScalingStep>,
    #[serde(default)]
    pub cancelled: bool,
    /// RFC 3339, UTC.
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub total_seconds: f64,
    /// The most workers planned (the curve's right end, before it is measured).
    #[serde(default)]
    pub max_workers: u32,
    /// Where it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<Machine>>,
}

impl ScalingResult {
    /// The kinds measured, in order.
    pub fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = Vec::new();
        for s in &self.steps {
            if !kinds.contains(&s.kind.as_str()) {
                kinds.push(&s.kind);
            }
        }
        kinds
    }

    pub fn step(&self, kind: &str, workers: u32) -> Option<&ScalingStep> {
        self.steps.iter().find(|s| s.kind == kind && s.workers == workers)
    }

    /// Throughput at `workers` relative to 1 worker, for the same kind.
    pub fn speedup(&self, kind: &str, workers: u32) -> Option<f64> {
        let one = self.step(kind, 1)?.ops_per_sec;
        let here = self.step(kind, workers)?.ops_per_sec;
        (one > 0.0).then_some(here / one)
    }
}

/// Folds the runs into steps: one per (kind, workers), in the order of `kinds` then workers.
pub fn aggregate(runs: &[ScalingRun], kinds: &[DemoKind]) -> Vec<ScalingStep> {
    let mut steps = Vec::new();
    for kind in kinds {
        let mut workers: Vec<u32> = runs.iter().filter(|r| r.kind == kind.name()).map(|r| r.workers).collect();
        workers.sort_unstable();
        workers.dedup();
        for w in workers {
            let of: Vec<&ScalingRun> = runs.iter().filter(|r| r.kind == kind.name() && r.workers == w).collect();
            let rates: Vec<f64> = of.iter().map(|r| r.ops_per_sec).collect();
            let stats = Stats::of(&rates);
            steps.push(ScalingStep {
                kind: kind.name().to_owned(),
                workers: w,
                ops_per_sec: stats.median,
                ops_per_sec_min: stats.min,
                ops_per_sec_median: stats.median,
                ops_per_sec_max: stats.max,
                cores_used: median(of.iter().map(|r| r.cores_used)),
                wall_seconds: median(of.iter().map(|r| r.wall_seconds)),
                runs: u32::try_from(of.len()).unwrap_or(u32::MAX),
                other_cores: median(of.iter().map(|r| r.other_cores)),
                ops_per_sec_runs: rates,
            });
        }
    }
    steps
}

/// Min, median and max of some figures (all 0 for none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(values: &[f64]) -> Stats {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Stats { min: 0.0, median: 0.0, max: 0.0 };
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Stats { min: v[0], median, max: v[n - 1] }
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    Stats::of(&values.collect::<Vec<_>>()).median
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IoResult {
    pub n: u32,
    pub wait_seconds: f64,
    /// Wall time of the N waits one after another (None if not measured: cancelled).
    pub sequential_s: Option<f64>,
    /// ... each in its own thread, all at once.
    pub threads_s: Option<f64>,
    /// ... each in its own process, all at once: start-up and reaping included.
    pub processes_s: Option<f64>,
    #[serde(default)]
    pub logical_cores: u32,
    #[serde(default)]
    pub cancelled: bool,
    #[serde(default)]
    pub started_at: String,
    /// Where it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<Machine>>,
}

impl IoResult {
    /// The three modes with their wall time, in the order they run.
    pub fn modes(&self) -> [(&'static str, Option<f64>); 3] {
        [("sequential", self.sequential_s), ("threads", self.threads_s), ("processes", self.processes_s)]
    }

    /// What theory says each mode should take: N × wait, wait, wait (+ start-up).
    pub fn expected(&self) -> [f64; 3] {
        [f64::from(self.n) * self.wait_seconds, self.wait_seconds, self.wait_seconds]
    }
}

/// The figures of one demo run in an experiment that runs kinds one after the other (python,
/// compare).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PythonRun {
    pub kind: String,
    pub workers: u32,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    pub cores_used: f64,
    pub ops: u64,
    pub ops_per_sec: f64,
    /// Cores the rest of the machine used meanwhile.
    #[serde(default)]
    pub other_cores: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PythonResult {
    pub python_version: String,
    pub python_executable: String,
    /// False on a free-threaded build running without its GIL: then threads use N cores too.
    pub gil_enabled: bool,
    pub logical_cores: u32,
    pub workers: u32,
    pub step_seconds: f64,
    pub threads: Option<PythonRun>,
    pub processes: Option<PythonRun>,
    #[serde(default)]
    pub cancelled: bool,
    #[serde(default)]
    pub started_at: String,
    /// Where it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<Machine>>,
}

impl PythonResult {
    /// "py-procs did ×2.34 the work of py-threads in the same time.", and why, when that is more
    /// than the cores explain: N processes on N cores can do at most N times one core's work, but
    /// the threads' one busy core does less than one core's work, some of it going on handing the
    /// GIL from thread to thread.
    pub fn speedup_line(&self) -> Option<String> {
        let r = self;
        let x = r.speedup()?;
        let ideal = r.workers.min(r.logical_cores).max(1);
        let line = format!("py-procs did ×{x:.2} the work of py-threads in the same time");
        if !(r.gil_enabled && x > f64::from(ideal) * 1.05) {
            return Some(line + ".");
        }
        let what = match (r.workers <= r.logical_cores, ideal) {
            (_, 1) => "1 core".to_owned(),
            (true, n) => format!("{n} processes"),
            (false, n) => format!("{n} cores"),
        };
        Some(format!(
            "{line}: more than {what} explain, because py-threads' one busy core also went on handing the GIL \
             from thread to thread."
        ))
    }

    /// Processes' throughput over threads'.
    pub fn speedup(&self) -> Option<f64> {
        let t = self.threads.as_ref()?.ops_per_sec;
        let p = self.processes.as_ref()?.ops_per_sec;
        (t > 0.0).then_some(p / t)
    }
}

/// One kind's run in a compare: the figures of a Python experiment's run, for any kind.
pub type CompareRun = PythonRun;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareResult {
    pub logical_cores: u32,
    pub workers: u32,
    pub step_seconds: f64,
    /// The kinds planned, in order; `runs` has those measured.
    pub kinds: Vec<String>,
    pub runs: Vec<CompareRun>,
    #[serde(default)]
    pub cancelled: bool,
    #[serde(default)]
    pub started_at: String,
    /// Where it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Box<Machine>>,
}

impl CompareResult {
    /// A run's ops/s over the first run's: how many times the first one's work it did.
    pub fn ratio_to_first(&self, run: &CompareRun) -> Option<f64> {
        let first = self.runs.first()?.ops_per_sec;
        (first > 0.0).then(|| run.ops_per_sec / first)
    }

    /// The most cores another program took during a run, when enough to lower the figures.
    pub fn busy_note(&self) -> Option<String> {
        let worst = self.runs.iter().max_by(|a, b| a.other_cores.total_cmp(&b.other_cores))?;
        (worst.other_cores >= 0.5).then(|| {
            format!(
                "Note: the rest of the machine used {:.1} cores during {}: its figures are lower than on a quiet machine.",
                worst.other_cores, worst.kind
            )
        })
    }
}

/// The result of any experiment; `experiment` names which in JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "experiment", rename_all = "lowercase")]
pub enum ExperimentResult {
    Scaling(ScalingResult),
    Io(IoResult),
    Python(PythonResult),
    Compare(CompareResult),
}

impl ExperimentResult {
    pub fn kind(&self) -> ExperimentKind {
        match self {
            ExperimentResult::Scaling(_) => ExperimentKind::Scaling,
            ExperimentResult::Io(_) => ExperimentKind::Io,
            ExperimentResult::Python(_) => ExperimentKind::Python,
            ExperimentResult::Compare(_) => ExperimentKind::Compare,
        }
    }

    pub fn cancelled(&self) -> bool {
        match self {
            ExperimentResult::Scaling(r) => r.cancelled,
            ExperimentResult::Io(r) => r.cancelled,
            ExperimentResult::Python(r) => r.cancelled,
            ExperimentResult::Compare(r) => r.cancelled,
        }
    }

    pub fn started_at(&self) -> &str {
        match self {
            ExperimentResult::Scaling(r) => &r.started_at,
            ExperimentResult::Io(r) => &r.started_at,
            ExperimentResult::Python(r) => &r.started_at,
            ExperimentResult::Compare(r) => &r.started_at,
        }
    }
}

impl PythonResult {
    /// When other work took the cores py-procs needed, say so: its figure is then the machine's
    /// business, not the processes'.
    pub fn busy_note(&self) -> Option<String> {
        let r = self;
        let p = r.processes.as_ref()?;
        let free = (f64::from(r.logical_cores) - p.other_cores).max(0.0);
        let could = f64::from(r.workers.min(r.logical_cores));
        (p.other_cores >= 0.5 && p.cores_used < 0.75 * could).then(|| {
            format!(
                "Note: the rest of the machine used {:.1} cores during py-procs, leaving it {free:.1}: \
                 run it again on a quieter machine to see N processes use N cores.",
                p.other_cores
            )
        })
    }
}
