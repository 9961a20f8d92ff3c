//! Every command that prints, into a pipe nobody reads (`threadtop man | head -1` once `head` has
//! gone): it ends quietly with status 0, as `cat` and `ls` do, not with "Broken pipe (os error
//! 32)" or a panic.
//!
//! The pipe's read end is closed before the child starts, so every write it makes fails with
//! EPIPE: the test does not depend on how fast the reader goes away.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_threadtop");

/// Runs threadtop with stdout into a pipe whose read end is already closed.
fn into_closed_pipe(args: &[&str]) -> (ExitStatus, String) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = Command::new(BIN)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env("XDG_CONFIG_HOME", "/nonexistent-threadtop-test")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run threadtop");
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (child.wait().unwrap(), err)
}

/// Status 0 and nothing at all on stderr.
fn quiet(args: &[&str]) {
    let (status, err) = into_closed_pipe(args);
    assert!(status.success() && err.is_empty(), "threadtop {}: {status:?}, stderr: {err:?}", args.join(" "));
}

#[test]
fn man_into_a_closed_pipe() {
    quiet(&["man"]);
}

#[test]
fn completions_into_a_closed_pipe() {
    for shell in ["bash", "zsh", "fish"] {
        quiet(&["completions", shell]);
    }
}

#[test]
fn print_config_into_a_closed_pipe() {
    quiet(&["--print-config"]);
}

#[test]
fn help_and_version_into_a_closed_pipe() {
    quiet(&["--help"]);
    quiet(&["help", "snapshot"]);
    quiet(&["--version"]);
}

#[test]
fn snapshot_info_threads_into_a_closed_pipe() {
    quiet(&["snapshot"]);
    quiet(&["snapshot", "--json"]);
    quiet(&["info"]);
    quiet(&["info", "--json"]);
    let me = std::process::id().to_string();
    quiet(&["threads", &me, "--interval", "50ms"]);
    quiet(&["threads", &me, "--json", "--interval", "50ms"]);
}

#[test]
fn demo_into_a_closed_pipe() {
    quiet(&["demo", "spawn-cost", "-n", "2", "--seconds", "2", "--json"]);
    // In text mode the banner goes to stderr, as it should; only the result goes to stdout.
    let (status, err) = into_closed_pipe(&["demo", "spawn-cost", "-n", "2", "--seconds", "2"]);
    assert!(status.success(), "{status:?}, stderr: {err:?}");
    assert_eq!(err.lines().count(), 1, "only the banner: {err:?}");
    assert!(err.starts_with("spawn-cost: "), "{err:?}");
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threadtop-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn experiment_run_and_show_into_a_closed_pipe() {
    let saved = temp_dir().join("io.json");
    let path = saved.to_str().unwrap();
    // --json keeps stderr free of progress lines; the save still happens and says so on stderr.
    let (status, err) = into_closed_pipe(&["experiment", "io", "-n", "1", "--wait", "0.05", "--json", "--save", path]);
    assert!(status.success(), "{status:?}, stderr: {err:?}");
    assert_eq!(err.trim_end(), format!("threadtop experiment io: saved to {path}"), "{err:?}");
    quiet(&["experiment", "show", path]);
    let _ = std::fs::remove_dir_all(temp_dir());
}
