//! The lab's engine: demo workloads launched, tracked, stopped and reaped, and the experiments
//! that run them. The lab imports only `collect` and `model` of ours (its events and results are
//! `model::demo` and `model::experiment` data): never app, ui, input, runtime, cli or commands,
//! and it prints nothing for a CLI (`commands::demo` and `commands::experiment` do).
//!
//! - `Supervisor` (`supervisor`: the spawn side): starts demos as child processes of threadtop
//!   and reports on them as `LabEvent`s; used by the TUI runtime and by `threadtop demo`.
//! - `demo_task`: follows one demo to its end; `ending`: when to TERM, KILL, give up (pure);
//!   `registry`: which processes the lab may signal, and the `Kill` it signals through.
//! - `worker`: what runs inside a demo child (`threadtop __workload ...`, `WorkloadArgs`);
//!   `protocol`: the report lines it writes; `child`: the PDEATHSIG rule for helper processes.
//! - `measure`: cores in use, rates and results (pure).
//! - `python`: real CPython for the py-threads and py-procs demos (the embedded script).
//! - `experiment`: experiments that run demos step by step and measure a curve (scaling, I/O
//!   concurrency, the GIL), for `threadtop experiment` and the TUI.

use std::path::PathBuf;

mod child;
mod demo_task;
mod ending;
pub mod experiment;
pub mod measure;

mod protocol;
pub mod python;
mod registry;
mod supervisor;
pub mod worker;

pub use supervisor::Supervisor;

/// The binary demo processes re-execute. `/proc/self/exe` names this very binary even when
/// the file was rebuilt or upgraded since threadtop started, so a demo never runs a different
/// version of the worker than the supervisor expects.
pub fn self_exe() -> PathBuf {
    let proc_exe = PathBuf::from("/proc/self/exe");
    if proc_exe.exists() {
        return proc_exe;
    }
    std::env::current_exe().unwrap_or(proc_exe)
}
