//! Acting on real processes through the same code the TUI uses (`threadtop::control`).

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use threadtop::control::{self, SignalOutcome};

fn proc_root() -> &'static Path {
    Path::new("/proc")
}

fn sleeper() -> Child {
    Command::new("sleep").arg("300").spawn().expect("spawn sleep")
}

fn exited_within(child: &mut Child, t: Duration) -> bool {
    let end = Instant::now() + t;
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn term_through_the_real_path_ends_the_child() {
    let mut child = sleeper();
    let pid = child.id() as i32;
    let start = control::start_ticks(proc_root(), pid).expect("start time");
    assert_eq!(control::send_signal(proc_root(), pid, start, libc::SIGTERM), SignalOutcome::Sent);
    assert!(exited_within(&mut child, Duration::from_secs(5)));
}

#[test]
fn a_process_that_has_gone_gets_nothing() {
    let mut child = sleeper();
    let pid = child.id() as i32;
    let start = control::start_ticks(proc_root(), pid).expect("start time");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(control::send_signal(proc_root(), pid, start, libc::SIGTERM), SignalOutcome::Gone);
}

#[test]
fn a_different_start_time_is_refused_and_nothing_is_sent() {
    let mut child = sleeper();
    let pid = child.id() as i32;
    let start = control::start_ticks(proc_root(), pid).expect("start time");
    // As if the row the user chose was an older process that had the same PID.
    assert_eq!(control::send_signal(proc_root(), pid, start.wrapping_sub(1), libc::SIGKILL), SignalOutcome::Reused);
    assert!(!exited_within(&mut child, Duration::from_millis(300)), "no signal reached it");
    child.kill().unwrap();
    child.wait().unwrap();
}

fn nice_of(pid: i32) -> i64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    rest.split_whitespace().nth(16).unwrap().parse().unwrap()
}

#[test]
fn renice_a_child_and_read_it_back() {
    let mut child = sleeper();
    let pid = child.id() as i32;
    let before = nice_of(pid);
    let after = control::renice(proc_root(), pid, None, 3).expect("renice");
    assert_eq!(after, (before + 3).min(19) as i32);
    assert_eq!(nice_of(pid), after as i64);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn affinity_to_one_core_reads_back_from_status() {
    let mut child = sleeper();
    let pid = child.id() as i32;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut allowed = vec![false; cores];
    allowed[0] = true;
    control::set_affinity(proc_root(), pid, None, &allowed).expect("set affinity");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Cpus_allowed_list:")).unwrap();
    assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    assert_eq!(control::get_affinity(pid, cores).unwrap(), allowed);
    assert!(control::set_affinity(proc_root(), pid, None, &vec![false; cores]).is_err(), "no core at all is refused");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn inspect_reads_environment_and_open_files() {
    let mut child = Command::new("sleep").arg("300").env("THREADTOP_PROBE", "yes-42").spawn().unwrap();
    let pid = child.id() as i32;
    // Between fork and the end of exec the child shows the test's environment (or none): poll.
    let mut env = Vec::new();
    for _ in 0..1000 {
        env = control::environ(proc_root(), pid).unwrap();
        if env.iter().any(|l| l == "THREADTOP_PROBE=yes-42") {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(env.iter().any(|l| l == "THREADTOP_PROBE=yes-42"), "{env:?}");
    let files = control::open_files(proc_root(), pid).unwrap();
    assert!(files.iter().any(|l| l.trim_start().starts_with("0 ")), "{files:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(control::environ(proc_root(), pid).unwrap_err(), "the process has gone");
}
