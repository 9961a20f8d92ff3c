//! Shared by the experiment and Python tests: runs `threadtop ARGS...` while watching its
//! descendants in /proc (with `lab_support::Observer`), and finds demo processes left behind.

#![allow(dead_code)]

use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::lab_support::{Observer, Pid, identities, output, survivors_after};

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
