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
}

impl DemoKind {
    /// The demos that need nothing but threadtop itself. The lab's catalogue lists these.
    pub const ALL: [DemoKind; 11] = [
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
    ];

    /// The demos that run a real CPython (`python3` on PATH, see `lab::python`).
    pub const PYTHON: [DemoKind; 2] = [DemoKind::PyThreads, DemoKind::PyProcs];

    /// Every kind: `ALL` then `PYTHON`.
    pub const EVERY: [DemoKind; 13] = [
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
        DemoKind::PyThreads,
        DemoKind::PyProcs,
    ];

    /// Whether this demo runs python3 rather than threadtop's own worker.
    pub fn needs_python(self) -> bool {
        matches!(self, DemoKind::PyThreads | DemoKind::PyProcs)
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
