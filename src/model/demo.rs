//! What a demo is, what happened to it, and what it measured: shared by the lab, the app, the UI
//! and the headless `demo` command. Plain data; imports nothing of ours.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::Pid;
use super::figures::DemoFigures;

/// The demo workloads, by the names users type (`threadtop demo cpu-threads`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DemoKind {
    CpuThreads,
    IoThreads,
    LockThreads,
    CpuProcs,
    Zombie,
    SpawnCost,
    /// CPU-bound pure-Python work in N `threading` threads of a real CPython (needs python3).
    PyThreads,
    /// The same work in N `multiprocessing` processes (needs python3).
    PyProcs,
    /// Threads sharing one buffer vs processes with their own vs forked copy-on-write children.
    Memory,
    /// N threads adding to one counter: unsynchronised, atomic, mutex.
    Race,
    /// A byte ping-ponged over pipes between two threads vs two processes, on one core and two.
    SwitchCost,
    /// A thread channel vs a pipe vs a shared-memory ring between processes.
    Ipc,
    /// N threads doing fsync'd writes and requests to a delayed loopback server vs one thread.
    RealIo,
    // Issue 16, demos 6-9 (lab-python).
    /// One Python thread, N concurrent asyncio sleeps and loopback requests, then sequential.
    PyAsyncio,
    /// N Python threads hashing big buffers (hashlib releases the GIL), then doing arithmetic.
    PyHashThreads,
    /// py-threads under python3, then under a free-threaded (no-GIL) interpreter if found.
    PyNogil,
    /// One process walked through created, R, S, D, T, Z and reaped.
    Lifecycle,
}

impl DemoKind {
    /// The demos that need nothing but threadtop itself. The lab's catalogue lists these.
    pub const ALL: [DemoKind; 12] = [
        DemoKind::CpuThreads,
        DemoKind::IoThreads,
        DemoKind::LockThreads,
        DemoKind::CpuProcs,
        DemoKind::Zombie,
        DemoKind::SpawnCost,
        DemoKind::Memory,
        DemoKind::Race,
        DemoKind::SwitchCost,
        DemoKind::Ipc,
        DemoKind::RealIo,
        DemoKind::Lifecycle,
    ];

    /// The demos that run a real CPython (`python3` on PATH, see `lab::python`).
    pub const PYTHON: [DemoKind; 5] =
        [DemoKind::PyThreads, DemoKind::PyProcs, DemoKind::PyAsyncio, DemoKind::PyHashThreads, DemoKind::PyNogil];

    /// Every kind: `ALL` then `PYTHON`.
    pub const EVERY: [DemoKind; 17] = [
        DemoKind::CpuThreads,
        DemoKind::IoThreads,
        DemoKind::LockThreads,
        DemoKind::CpuProcs,
        DemoKind::Zombie,
        DemoKind::SpawnCost,
        DemoKind::Memory,
        DemoKind::Race,
        DemoKind::SwitchCost,
        DemoKind::Ipc,
        DemoKind::RealIo,
        DemoKind::Lifecycle,
        DemoKind::PyThreads,
        DemoKind::PyProcs,
        DemoKind::PyAsyncio,
        DemoKind::PyHashThreads,
        DemoKind::PyNogil,
    ];

    /// Whether this demo runs python3 rather than threadtop's own worker.
    pub fn needs_python(self) -> bool {
        matches!(
            self,
            DemoKind::PyThreads | DemoKind::PyProcs | DemoKind::PyAsyncio | DemoKind::PyHashThreads | DemoKind::PyNogil
        )
    }

    /// The name on the command line and in the lab.
    pub fn name(self) -> &'static str {
        match self {
            DemoKind::CpuThreads => "cpu-threads",
            DemoKind::IoThreads => "io-threads",
            DemoKind::LockThreads => "lock-threads",
            DemoKind::CpuProcs => "cpu-procs",
            DemoKind::Zombie => "zombie",
            DemoKind::SpawnCost => "spawn-cost",
            DemoKind::PyThreads => "py-threads",
            DemoKind::PyProcs => "py-procs",
            DemoKind::Memory => "memory",
            DemoKind::Race => "race",
            DemoKind::SwitchCost => "switch-cost",
            DemoKind::Ipc => "ipc",
            DemoKind::RealIo => "real-io",
            DemoKind::PyAsyncio => "py-asyncio",
            DemoKind::PyHashThreads => "py-hash-threads",
            DemoKind::PyNogil => "py-nogil",
            DemoKind::Lifecycle => "lifecycle",
        }
    }

    pub fn from_name(name: &str) -> Option<DemoKind> {
        DemoKind::EVERY.into_iter().find(|k| k.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_is_all_then_python() {
        // The lab lists EVERY; tests that walk the lab by ALL's indices rely on this order.
        let joined: Vec<DemoKind> = DemoKind::ALL.iter().chain(DemoKind::PYTHON.iter()).copied().collect();
        assert_eq!(joined, DemoKind::EVERY);
    }
}

impl fmt::Display for DemoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to launch.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoSpec {
    pub kind: DemoKind,
    /// Threads or processes, depending on the kind (K for spawn-cost).
    pub workers: u32,
    pub duration: Duration,
}

/// Identifies one launched demo for the life of a Supervisor.
pub type DemoId = u32;

/// Thread vs process creation cost, measured by spawn-cost.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpawnCost {
    pub thread_spawn_us: f64,
    pub process_spawn_us: f64,
    /// process_spawn_us / thread_spawn_us
    pub ratio: f64,
}

/// The measured outcome of one demo.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DemoResult {
    pub kind: String,
    pub workers: u32,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    pub cores_used: f64,
    pub ops: u64,
    pub ops_per_sec: f64,
    pub pids: Vec<Pid>,
    /// True when stopped before its deadline (by the user or a signal).
    pub stopped_early: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub spawn: Option<SpawnCost>,
    /// memory, race, switch-cost, ipc, real-io: what they measured, under the kind's key.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Box<DemoFigures>>,
    /// The figures of py-asyncio, py-hash-threads, py-nogil and lifecycle (see `Extra`); boxed,
    /// so that results (and the events that carry them) stay small for every other kind.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub extra: Option<Box<Extra>>,
}

/// One timed part of a demo (py-hash-threads' `hash` then `pure`, py-asyncio's concurrent and
/// sequential waits, py-nogil's `gil` and `nogil`), as its process measured it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Phase {
    pub name: String,
    pub ops: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    /// cpu_seconds / wall_seconds
    pub cores_used: f64,
}

/// Whether a free-threaded (no-GIL) Python was found for py-nogil, and if not, how to get one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FreeThreaded {
    pub found: bool,
    /// The interpreter's `sys.executable` and version, when found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executable: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What was looked for and, when none was found, how to get one.
    pub message: String,
}

/// One lifecycle step as threadtop saw it: how many 10 ms readings of /proc/PID/stat showed
/// each state letter while the process was on that step.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StepSeen {
    pub name: String,
    pub seen: std::collections::BTreeMap<char, u32>,
}

/// Figures beyond the common ones, for the demos of issue 16's second half. Each is measured:
/// phases by the demo's process, threads and states by threadtop from /proc.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Extra {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phases: Vec<Phase>,
    /// The most threads /proc/PID/status showed for the demo's processes together, read by
    /// threadtop every 250 ms while they ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads_peak: Option<u32>,
    /// lifecycle: the state letters /proc/PID/stat showed, each change once, read by threadtop
    /// every 10 ms ("SRSDSTSZ"); then whether threadtop reaped it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub states_seen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reaped: Option<bool>,
    /// lifecycle: the steps it walked, in order, each with the letters read during it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepSeen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_threaded: Option<FreeThreaded>,
}

/// What the supervisor tells the app about its demos.
#[derive(Clone, Debug, PartialEq)]
pub enum LabEvent {
    /// The demo's processes exist now (`pids[0]` is the one to select).
    Started { id: DemoId, spec: DemoSpec, pids: Vec<Pid> },
    /// Work done so far, as reported by the demo's processes.
    Progress {
        id: DemoId,
        ops: u64,
        /// CPU time of all the demo's processes so far.
        cpu: Duration,
        /// Since the launch, when this event was sent (for the progress gauge).
        elapsed: Duration,
        /// Operations per second over about the last second, each process's over the arrival
        /// times of its own reports, summed (see `lab::measure::LiveRate`). `None` until every
        /// running process has reported twice.
        ops_per_sec: Option<f64>,
        /// Cores in use now, measured as `ops_per_sec`.
        cores: Option<f64>,
    },
    /// What a demo of memory, race, switch-cost, ipc or real-io measured so far (each step as
    /// it ends), for the lab's live figures.
    Figures { id: DemoId, figures: DemoFigures },
    /// The demo ended (deadline, stop or failure) and everything it started is reaped.
    Finished { id: DemoId, result: DemoResult },
    /// A launch was refused (cap) or failed; nothing was started.
    Refused { spec: DemoSpec, reason: String },
    /// A running demo failed; its processes have been stopped.
    Failed { id: DemoId, reason: String },
}
