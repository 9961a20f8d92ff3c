//! Real CPython, for the py-threads and py-procs demos and the python experiment: the script
//! threadtop ships (embedded, so the binary works from anywhere), finding the interpreter, and
//! asking it what it is (version, and whether its GIL is on). Imports only `model` of ours:
//! never app, ui, input, runtime, cli or commands.
//!
//! The script runs as `python3 -c SCRIPT KIND --workers N --seconds S --index I --report-fd 3`,
//! exec'd by the demo's `__workload` process: the supervisor's pre_exec armed
//! PR_SET_PDEATHSIG(SIGKILL) and put the report pipe on fd 3 there, and both survive the exec.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crate::model::demo::DemoKind;

/// The demo script, from `assets/py/gil_demo.py`.
pub const SCRIPT: &str = include_str!("../../assets/py/gil_demo.py");

/// Names the interpreter to use instead of `python3` on PATH (a free-threaded build, say).
pub const INTERPRETER_ENV: &str = "THREADTOP_PYTHON";

/// How a user without python3 gets one, for messages.
pub const HOW_TO_GET: &str = "install it (Debian/Ubuntu: apt-get install python3; Fedora: dnf install python3; \
                              Alpine: apk add python3), or set THREADTOP_PYTHON to an interpreter's path";

/// The interpreter the Python demos run: `$THREADTOP_PYTHON` if set, else `python3` on PATH.
/// The error says how to get one.
pub fn interpreter() -> Result<PathBuf, String> {
    if let Some(chosen) = std::env::var_os(INTERPRETER_ENV).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(&chosen);
        // A bare name is looked up on PATH, as a shell would.
        let found = if path.components().count() == 1 { find_on_path(&chosen) } else { Some(path.clone()) };
        return match found.filter(|p| is_executable(p)) {
            Some(p) => Ok(p),
            None => Err(format!("{INTERPRETER_ENV}={} is not an executable file", path.display())),
        };
    }
    find_on_path(OsStr::new("python3"))
        .ok_or_else(|| format!("the Python demos need python3, which is not on PATH: {HOW_TO_GET}"))
}

fn find_on_path(name: &OsStr) -> Option<PathBuf> {
    find_in(name, &std::env::var_os("PATH")?)
}

/// The first executable file `name` in the directories of `path` (PATH's syntax).
fn find_in(name: &OsStr, path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path).map(|dir| dir.join(name)).find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The arguments after the interpreter for one demo process.
pub fn script_args(kind: DemoKind, workers: u32, seconds: f64, index: u32, report_fd: Option<i32>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-c".into(),
        SCRIPT.into(),
        kind.name().into(),
        "--workers".into(),
        workers.to_string().into(),
        "--seconds".into(),
        seconds.to_string().into(),
        "--index".into(),
        index.to_string().into(),
    ];
    if let Some(fd) = report_fd {
        args.push("--report-fd".into());
        args.push(fd.to_string().into());
    }
    args
}

/// Replaces this process with the interpreter running the demo script; returns only on
/// failure. Called inside a `__workload` process, whose stdio, process group, PDEATHSIG and
/// report fd the interpreter inherits.
pub fn exec_script(interpreter: &Path, args: &[OsString]) -> io::Error {
    std::process::Command::new(interpreter).args(args).exec()
}

/// What the interpreter says it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonInfo {
    /// `sys.executable`: the real binary behind a shim such as pyenv's.
    pub executable: String,
    /// `3.11.7`
    pub version: String,
    /// False for a free-threaded build running without its GIL (`sys._is_gil_enabled()`).
    pub gil_enabled: bool,
}

const PROBE: &str = "import sys\n\
                     f = getattr(sys, '_is_gil_enabled', None)\n\
                     print(sys.executable)\n\
                     print(sys.version.split()[0])\n\
                     print(1 if f is None or f() else 0)\n";

/// The longest the probe may take (a cold pyenv shim can take a second).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Asks `interpreter` for its version and GIL. Async so that it never stalls the TUI's loop;
/// the child dies with threadtop (PDEATHSIG) and is killed if it outlives the timeout.
pub async fn probe(interpreter: &Path) -> Result<PythonInfo, String> {
    let mut cmd = tokio::process::Command::new(interpreter);
    cmd.args(["-c", PROBE]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    super::child::arm_pdeathsig(&mut cmd);
    let child = cmd.spawn().map_err(|e| format!("cannot run {}: {e}", interpreter.display()))?;
    let out = match tokio::time::timeout(PROBE_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(format!("{}: {e}", interpreter.display())),
        Err(_) => return Err(format!("{} did not answer within {} s", interpreter.display(), PROBE_TIMEOUT.as_secs())),
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").trim();
        return Err(format!("{} failed ({}): {last}", interpreter.display(), out.status));
    }
    parse_probe(&String::from_utf8_lossy(&out.stdout))
        .ok_or_else(|| format!("{} did not answer like a python3", interpreter.display()))
}

fn parse_probe(text: &str) -> Option<PythonInfo> {
    let mut lines = text.lines();
    let executable = lines.next()?.trim().to_owned();
    let version = lines.next()?.trim().to_owned();
    let gil_enabled = match lines.next()?.trim() {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    // The script needs Python 3 (f-strings are avoided, but print() and bytes are not).
    (version.starts_with("3.")).then_some(PythonInfo { executable, version, gil_enabled })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_answers_parse() {
        let info = parse_probe("/usr/bin/python3.11\n3.11.7\n1\n").unwrap();
        assert_eq!(info.executable, "/usr/bin/python3.11");
        assert_eq!(info.version, "3.11.7");
        assert!(info.gil_enabled);
        assert!(!parse_probe("/opt/py/bin/python3.13t\n3.13.1\n0\n").unwrap().gil_enabled);
        assert_eq!(parse_probe("/usr/bin/python\n2.7.18\n1\n"), None);
        assert_eq!(parse_probe("/usr/bin/python3\n3.12.0\n"), None);
        assert_eq!(parse_probe("/usr/bin/python3\n3.12.0\nyes\n"), None);
    }

    #[test]
    fn script_is_embedded_and_speaks_the_protocol() {
        for needle in ["progress %d", "done %d", "child %d", "error %d", "PR_SET_PDEATHSIG", "tt-py-proc-"] {
            assert!(SCRIPT.contains(needle), "{needle}");
        }
        let args = script_args(DemoKind::PyProcs, 4, 2.5, 0, Some(3));
        let text: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(text[0], "-c");
        assert_eq!(text[2..], ["py-procs", "--workers", "4", "--seconds", "2.5", "--index", "0", "--report-fd", "3"]);
    }

    #[test]
    fn path_lookup_finds_executables_only() {
        // PATH is process-wide, so the lookup is tested on explicit directory lists.
        assert_eq!(find_in(OsStr::new("python3"), OsStr::new("/nonexistent-dir")), None);
        assert_eq!(find_in(OsStr::new("sh"), OsStr::new("/nonexistent-dir:/bin")), Some(PathBuf::from("/bin/sh")));
        // A directory of that name is not an interpreter.
        assert_eq!(find_in(OsStr::new("bin"), OsStr::new("/usr")), None);
        assert!(HOW_TO_GET.contains("apt-get install python3"));
    }
}
