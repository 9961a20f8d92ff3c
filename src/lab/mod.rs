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
//! - `workloads`: the memory, race, switch-cost, ipc and real-io demos, one file each, which
//!   `worker` dispatches to.
//! - `python`: real CPython for the py- demos (the embedded script), and the search for a
//!   free-threaded one (py-nogil).
//! - `lifecycle`: the process the lifecycle demo walks through R, S, D, T and Z.
//! - `experiment`: experiments that run demos step by step and measure a curve (scaling, I/O
//!   concurrency, the GIL), for `threadtop experiment` and the TUI.

use std::path::PathBuf;

mod child;
mod demo_task;
mod ending;
pub mod experiment;
mod lifecycle;
pub mod measure;

mod protocol;
pub mod python;
mod registry;
mod supervisor;
pub mod worker;
mod workloads;

pub use supervisor::Supervisor;

/// MemAvailable of /proc/meminfo in bytes, for the memory demo's refusal (`catalog::memory_check`).
pub fn mem_available_bytes() -> Option<u64> {
    workloads::memory::mem_available_bytes()
}

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

/// The room rules, checked by reading the source: which of our modules a room names.
#[cfg(test)]
pub(crate) mod imports {
    use std::path::{Path, PathBuf};

    /// Split, so that this file's own code does not name a path.
    const PREFIX: &str = concat!("crate", "::");

    /// Each `crate::` path in the code (not the comments) of the `.rs` files under `dir` (relative
    /// to the crate) that starts with none of `allowed` ("collect", "app::table"), as
    /// "file:line: path". A grouped `crate::{...}` is refused too: it hides what it names.
    pub(crate) fn foreign(dir: &str, allowed: &[&str]) -> Vec<String> {
        let mut files = Vec::new();
        rs_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut files);
        assert!(!files.is_empty(), "no .rs file under {dir}");
        let mut found = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for (at, _) in code.match_indices(PREFIX) {
                    let path: String = code[at + PREFIX.len()..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '{')
                        .collect();
                    let ok = allowed.iter().any(|a| path == *a || path.starts_with(&format!("{a}::")));
                    if !ok {
                        found.push(format!("{}:{}: {PREFIX}{path}", file.display(), n + 1));
                    }
                }
            }
        }
        found
    }

    fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rs_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_lab_imports_only_collect_and_model() {
        let found = foreign("src/lab", &["lab", "collect", "model"]);
        assert!(found.is_empty(), "the lab may not import these:\n{}", found.join("\n"));
    }

    #[test]
    fn the_check_sees_what_the_code_imports() {
        // Without `model` allowed, the lab's real imports of it must show, with file and line.
        let found = foreign("src/lab", &["lab", "collect"]);
        assert!(
            found.iter().any(|f| f.contains("worker.rs:") && f.ends_with(&format!("{PREFIX}model::catalog"))),
            "{found:?}"
        );
        assert!(found.iter().all(|f| f.contains(&format!("{PREFIX}model::"))), "{found:?}");
    }
}
