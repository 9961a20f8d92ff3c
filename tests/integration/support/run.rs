//! The binary run to its end with a timeout (`threadtop ARGS...`, `threadtop demo ...`), its
//! descendants watched in /proc meanwhile (with `procs::Observer`), and python3 found.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::procs::{Observer, Pid, identities, survivors_after};

/// `threadtop demo ARGS...` with stdout and stderr captured.
pub fn spawn_demo(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_threadtop"))
        .arg("demo")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("threadtop demo starts")
}

/// Waits for the child, killing it after `timeout`.
pub fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let end = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            panic!("threadtop demo did not end within {timeout:?}");
        }
        sleep(Duration::from_millis(20));
    }
}

/// The output of a finished child.
pub fn output(child: Child) -> (String, String) {
    let out = child.wait_with_output().expect("output");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs a demo to its end while watching it: the observer, exit status, stdout and stderr.
pub fn observe_demo(args: &[&str], timeout: Duration) -> (Observer, std::process::ExitStatus, String, String) {
    let mut child = spawn_demo(args);
    let mut obs = Observer::new(child.id() as Pid);
    let end = Instant::now() + timeout;
    let status = loop {
        obs.poll();
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            panic!("threadtop demo {args:?} did not end within {timeout:?}");
        }
        sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = output(child);
    (obs, status, stdout, stderr)
}

/// `threadtop ARGS...` with stdout and stderr captured and stdin on /dev/null.
pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_threadtop"));
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("threadtop starts")
}

pub struct Ran {
    pub obs: Observer,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `threadtop ARGS...` to its end (killed after `timeout`), polling /proc meanwhile; then
/// checks that every process seen under it is gone within a second.
pub fn run_watched(args: &[&str], env: &[(&str, &str)], timeout: Duration) -> Ran {
    let mut child = spawn(args, env);
    let mut obs = Observer::new(child.id() as Pid);
    let end = Instant::now() + timeout;
    let status = loop {
        obs.poll();
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("threadtop {args:?} did not end within {timeout:?}");
        }
        sleep(Duration::from_millis(50));
    };
    let (stdout, stderr) = output(child);
    let left = survivors_after(&identities(&obs), Duration::from_secs(1));
    assert!(left.is_empty(), "threadtop {args:?} left {left:?}");
    Ran { obs, status, stdout, stderr }
}

/// Whether python3 is to be used: it is there (and a GIL build, with `gil`), or the user said
/// `THREADTOP_SKIP_PYTHON=1`. Panics otherwise: a silent skip would pass on any machine.
pub fn python_wanted(gil: bool) -> bool {
    if crate::support::opted_out("THREADTOP_SKIP_PYTHON") {
        return false;
    }
    let found = if gil {
        python_with_gil()
    } else {
        python_with_gil().or_else(|e| if e.contains("free-threaded") { Ok(()) } else { Err(e) })
    };
    if let Err(why) = found {
        panic!("{why}: install python3 (a GIL build), or set THREADTOP_SKIP_PYTHON=1 to leave these tests out");
    }
    true
}

/// `python3` if it is on PATH and is a GIL build: the reason to skip otherwise.
pub fn python_with_gil() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import sys; f = getattr(sys, '_is_gil_enabled', None); print(1 if f is None or f() else 0)"])
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) => Err(format!("python3 is not available ({e})")),
        Ok(o) if !o.status.success() => Err(format!("python3 failed: {}", String::from_utf8_lossy(&o.stderr))),
        Ok(o) if String::from_utf8_lossy(&o.stdout).trim() == "0" => {
            Err("python3 is free-threaded (its GIL is off): the GIL bars do not apply".to_owned())
        }
        Ok(_) => Ok(()),
    }
}
