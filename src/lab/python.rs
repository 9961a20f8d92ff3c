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

/// The kind the script is told to run: py-nogil's two halves are `py-gil` and `py-nogil`
/// (py-threads' work, under their own process names).
pub fn script_kind(kind: DemoKind, index: u32) -> &'static str {
    match (kind, index) {
        (DemoKind::PyNogil, 0) => "py-gil",
        _ => kind.name(),
    }
}

/// The arguments after the interpreter for one demo process.
pub fn script_args(kind: DemoKind, workers: u32, seconds: f64, index: u32, report_fd: Option<i32>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-c".into(),
        SCRIPT.into(),
        script_kind(kind, index).into(),
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
    // Under Yama's ptrace_scope 1 only an ancestor may read a process's memory, and threadtop's
    // py-spy helper is this demo's cousin: the demo lets its parent (threadtop) and its
    // descendants read it. The exception survives the exec; without Yama the call fails, harmlessly.
    if let Some(parent) = rustix::process::getppid() {
        let _ = rustix::process::set_ptracer(rustix::process::PTracer::ProcessID(parent));
    }
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

/// `probe`, blocking, for a demo process (py-nogil's search runs in its `__workload`, which has
/// no runtime): the child dies with the caller (PDEATHSIG) and is killed after the timeout.
pub fn probe_blocking(interpreter: &Path) -> Result<PythonInfo, String> {
    use std::io::Read;
    let mut cmd = std::process::Command::new(interpreter);
    cmd.args(["-c", PROBE]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    let parent = rustix::process::getpid();
    // SAFETY: the closure runs in the forked child before exec and makes only raw system calls
    // (prctl, getppid), which are async-signal-safe; it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))?;
            if rustix::process::getppid() != Some(parent) {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot run {}: {e}", interpreter.display()))?;
    let end = std::time::Instant::now() + PROBE_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < end => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{} did not answer within {} s", interpreter.display(), PROBE_TIMEOUT.as_secs()));
            }
        }
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        // The probe prints three short lines: far less than a pipe holds, so waiting first is safe.
        let _ = stdout.by_ref().take(64 << 10).read_to_string(&mut out);
    }
    if !status.success() {
        return Err(format!("{} failed ({status})", interpreter.display()));
    }
    parse_probe(&out).ok_or_else(|| format!("{} did not answer like a python3", interpreter.display()))
}

/// Names a free-threaded interpreter for py-nogil (its path, or a name looked up on PATH).
pub const NOGIL_ENV: &str = "THREADTOP_PYTHON_NOGIL";
/// The free-threaded builds' names on PATH, newest first.
pub const NOGIL_NAMES: [&str; 2] = ["python3.14t", "python3.13t"];

/// A free-threaded interpreter: `$THREADTOP_PYTHON_NOGIL` (`env`), else `python3.14t` or
/// `python3.13t` on `path`, the first whose `probe` says its GIL is off. The error says what
/// was looked at, what each answered, and how to get one. Nothing is downloaded.
pub fn find_nogil(
    env: Option<&OsStr>,
    path: Option<&OsStr>,
    probe: impl Fn(&Path) -> Result<PythonInfo, String>,
) -> Result<(PathBuf, PythonInfo), String> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    match env.filter(|v| !v.is_empty()) {
        Some(chosen) => {
            let p = PathBuf::from(chosen);
            let found =
                if p.components().count() == 1 { path.and_then(|path| find_in(chosen, path)) } else { Some(p.clone()) };
            match found.filter(|p| is_executable(p)) {
                Some(p) => candidates.push(p),
                None => notes.push(format!("{NOGIL_ENV}={} is not an executable file", p.display())),
            }
        }
        None => notes.push(format!("{NOGIL_ENV} is not set")),
    }
    let mut on_path = false;
    for name in NOGIL_NAMES {
        if let Some(p) = path.and_then(|path| find_in(OsStr::new(name), path)) {
            on_path = true;
            if !candidates.contains(&p) {
                candidates.push(p);
            }
        }
    }
    if !on_path {
        notes.push(format!("neither {} is on PATH", NOGIL_NAMES.join(" nor ")));
    }
    for candidate in candidates {
        match probe(&candidate) {
            Ok(info) if !info.gil_enabled => return Ok((candidate, info)),
            Ok(info) => notes.push(format!(
                "{} (CPython {}) runs with its GIL on (a GIL build, or PYTHON_GIL=1 / -X gil=1)",
                candidate.display(),
                info.version
            )),
            Err(e) => notes.push(e),
        }
    }
    Err(format!(
        "no free-threaded Python found ({}); only the GIL half ran. To get one: {}",
        notes.join("; "),
        crate::model::catalog::HOW_TO_GET_NOGIL
    ))
}

/// py-nogil's second process (`tt-py-nogil`, index 1): finds a free-threaded interpreter and
/// reports what it found; without one it ends at once, the GIL half (index 0) being the whole
/// demo; with one it waits out the GIL half (so the two never share the cores), then becomes
/// that interpreter running py-threads' work for the second half.
pub fn nogil_half(workers: u32, duration: Duration, report_fd: Option<i32>) -> std::process::ExitCode {
    use std::io::Write;
    use std::os::fd::FromRawFd;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::protocol::{EndCause, Report};
    const INDEX: u32 = 1;
    // SAFETY: the supervisor passes --report-fd only after moving its pipe's write end to that
    // fd in pre_exec, and nothing else in this process uses or closes it. ManuallyDrop: the fd
    // must stay open across the exec below.
    let mut out = report_fd.map(|fd| std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) }));
    let mut send = |r: Report| {
        if let Some(f) = out.as_mut() {
            let _ = f.write_all(format!("{r}\n").as_bytes());
        }
    };
    let signalled = Arc::new(AtomicBool::new(false));
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&signalled));
    }
    let started = std::time::Instant::now();
    let parent = rustix::process::getppid();
    let cpu = || {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        u64::try_from(ts.tv_sec)
            .unwrap_or(0)
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::try_from(ts.tv_nsec).unwrap_or(0))
    };
    let env = std::env::var_os(NOGIL_ENV);
    let path = std::env::var_os("PATH");
    let (interpreter, info) = match find_nogil(env.as_deref(), path.as_deref(), probe_blocking) {
        Ok(found) => found,
        Err(message) => {
            send(Report::Nogil { index: INDEX, found: None, message });
            send(Report::Done { index: INDEX, ops: 0, cpu_ns: cpu(), cause: EndCause::Deadline });
            return std::process::ExitCode::SUCCESS;
        }
    };
    send(Report::Nogil {
        index: INDEX,
        found: Some((info.executable.clone(), info.version.clone())),
        message: String::new(),
    });
    let half = duration / 2;
    while started.elapsed() < half {
        let cause = if signalled.load(Ordering::Relaxed) {
            Some(EndCause::Signal)
        } else if rustix::process::getppid() != parent {
            Some(EndCause::Orphan)
        } else {
            None
        };
        if let Some(cause) = cause {
            send(Report::Done { index: INDEX, ops: 0, cpu_ns: cpu(), cause });
            return std::process::ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_millis(25).min(half.saturating_sub(started.elapsed())));
    }
    let args = script_args(DemoKind::PyNogil, workers, half.as_secs_f64(), INDEX, report_fd);
    let e = exec_script(&interpreter, &args);
    send(Report::Error { index: INDEX, message: format!("cannot run {}: {e}", interpreter.display()) });
    std::process::ExitCode::FAILURE
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
        // py-nogil's halves run py-threads' work under their own names.
        assert_eq!(script_kind(DemoKind::PyNogil, 0), "py-gil");
        assert_eq!(script_kind(DemoKind::PyNogil, 1), "py-nogil");
        assert_eq!(script_kind(DemoKind::PyAsyncio, 0), "py-asyncio");
        // The script's sizes are the catalogue's, which the lessons and docs quote.
        use crate::model::catalog;
        for needle in [
            format!("HASH_BUFFER_KIB = {}", catalog::HASH_BUFFER_KIB),
            format!("ASYNC_DELAY_MS = {}", catalog::ASYNC_DELAY_MS),
            "phase %d %s %d %d %d".to_owned(),
        ] {
            assert!(SCRIPT.contains(&needle), "{needle}");
        }
    }

    /// A fake interpreter: a shell script that answers the probe as `answer` says.
    fn fake(dir: &Path, name: &str, answer: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\nprintf '{answer}'\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("threadtop-nogil-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_free_threaded_interpreter_on_path_is_found_by_its_answer() {
        let dir = scratch("found");
        let gil = scratch("gil");
        // python3.14t with its GIL turned back on is passed over for python3.13t.
        fake(&gil, "python3.14t", "/opt/py/bin/python3.14t\n3.14.0\n1\n");
        let t = fake(&dir, "python3.13t", "/opt/py/bin/python3.13t\n3.13.1\n0\n");
        let path = std::env::join_paths([&gil, &dir]).unwrap();
        let (found, info) = find_nogil(None, Some(&path), probe_blocking).unwrap();
        assert_eq!(found, t);
        assert_eq!(info.version, "3.13.1");
        assert!(!info.gil_enabled);
        // The variable comes first, a bare name being looked up on PATH.
        let chosen = fake(&dir, "mypython", "/x/mypython\n3.14.2\n0\n");
        let (found, _) = find_nogil(Some(OsStr::new("mypython")), Some(&path), probe_blocking).unwrap();
        assert_eq!(found, chosen);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&gil);
    }

    #[test]
    fn none_found_says_what_was_tried_and_how_to_get_one() {
        let dir = scratch("none");
        fake(&dir, "python3.13t", "/opt/py/bin/python3.13t\n3.13.1\n1\n");
        fake(&dir, "python3.14t", "not python\n");
        let err = find_nogil(None, Some(dir.as_os_str()), probe_blocking).unwrap_err();
        for needle in [
            "no free-threaded Python found",
            "THREADTOP_PYTHON_NOGIL is not set",
            "python3.13t (CPython 3.13.1) runs with its GIL on",
            "python3.14t did not answer like a python3",
            "uv python install 3.13t",
        ] {
            assert!(err.contains(needle), "{needle:?} not in {err}");
        }
        let empty = scratch("empty");
        let err = find_nogil(Some(OsStr::new("/nonexistent/python3.13t")), Some(empty.as_os_str()), probe_blocking)
            .unwrap_err();
        assert!(err.contains("THREADTOP_PYTHON_NOGIL=/nonexistent/python3.13t is not an executable file"), "{err}");
        assert!(err.contains("neither python3.14t nor python3.13t is on PATH"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&empty);
    }

    #[test]
    fn an_interpreter_that_fails_the_probe_is_refused_with_its_status() {
        let dir = scratch("fail");
        let p = dir.join("python3.13t");
        std::fs::write(&p, "#!/bin/sh\nexit 3\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = probe_blocking(&p).unwrap_err();
        assert!(err.contains("failed") && err.contains('3'), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
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
