//! End-to-end: the lab driven by keys in a pseudo-terminal, and nothing left behind.

use std::time::Duration;

use crate::support::{Demos, Tui, serial};

const T: Duration = Duration::from_secs(15);

/// `d` opens the lab on cpu-threads, Enter launches it (the lab stays to watch it), `d` leaves
/// for the process list, which selects it; Enter opens its threads view.
fn launch_cpu_threads(tui: &mut Tui) {
    tui.wait_for("COMMAND", T);
    tui.send(b"d");
    tui.wait_for("Lab: launch a demo", T);
    tui.wait_for("> cpu-threads", T);
    tui.send(b"\r");
    tui.send(b"d");
    tui.wait_selected("tt-cpu-threads", T);
    tui.send(b"\r");
    tui.wait_for("cpu-0", T);
    tui.wait_for("cores in use", T);
}

#[test]
fn launch_watch_stop_and_nothing_is_left() {
    let _serial = serial();
    let mut tui = Tui::start(&["--interval", "300ms"], &[], 160, 45);
    let demos = Demos::watch(tui.pid());
    launch_cpu_threads(&mut tui);
    assert!(!demos.alive().is_empty(), "the demo runs as a child of threadtop");
    // x in the threads view stops the demo that owns it: this launch's own result comes in
    // ("stopping demo #1" shows the moment x is pressed, before anything has stopped).
    tui.send(b"x");
    assert!(
        tui.wait_until(T, |s| s.contains("cpu-threads #1 stopped: ")),
        "x did not stop the demo; screen:\n{}",
        tui.screen()
    );
    let left = demos.left_after(T);
    assert!(left.is_empty(), "left behind after x: {left:?}");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    assert!(tui.terminal_restored());
}

#[test]
fn quitting_stops_every_demo() {
    let _serial = serial();
    let mut tui = Tui::start(&["--interval", "300ms"], &[], 160, 45);
    let demos = Demos::watch(tui.pid());
    launch_cpu_threads(&mut tui);
    // A second demo of another kind, from the threads view.
    tui.send(b"d");
    tui.send(b"\x1b[B"); // Down: io-threads
    tui.send(b"\r");
    tui.send(b"d");
    tui.wait_selected("tt-io-threads", T);
    assert!(demos.alive().len() >= 2, "{:?}", demos.alive());
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    let left = demos.left_after(T);
    assert!(left.is_empty(), "left behind after q: {left:?}");
}

#[test]
fn sigkill_of_threadtop_leaves_no_demo() {
    let _serial = serial();
    let mut tui = Tui::start(&["--interval", "300ms"], &[], 160, 45);
    let demos = Demos::watch(tui.pid());
    launch_cpu_threads(&mut tui);
    let me = tui.pid();
    tui.send(b"d");
    for _ in 0..3 {
        tui.send(b"\x1b[B"); // Down to cpu-procs
    }
    tui.send(b"\r");
    tui.send(b"d");
    tui.wait_selected("tt-cpu-proc-0", T);
    let before = demos.alive();
    assert!(before.len() >= 2, "{before:?}");
    unsafe { libc::kill(me, libc::SIGKILL) };
    let _ = tui.wait_exit(T);
    // Orphans are re-parented; each is known by PID and start time.
    let survivors = demos.left_after(Duration::from_secs(5));
    assert!(survivors.is_empty(), "survived SIGKILL of threadtop: {survivors:?}");
}

#[test]
fn an_experiment_runs_from_the_lab_and_esc_cancels_one() {
    let _serial = serial();
    let mut tui = Tui::start(&[], &[], 140, 45);
    let demos = Demos::watch(tui.pid());
    tui.wait_for("COMMAND", T);
    tui.send(b"d");
    tui.send(b"e");
    tui.wait_for("Lab experiments", T);
    tui.send(b"\x1b[B"); // io
    tui.send(b"\r");
    tui.wait_for("Experiment: io", T);
    tui.wait_for("finished: 3 steps", Duration::from_secs(30));
    assert!(tui.screen().contains("sequential") && tui.screen().contains("processes"));
    // The scaling experiment, cancelled with Esc: its demos stop.
    tui.send(b"e");
    tui.wait_for("Lab experiments", T);
    tui.send(b"\r");
    tui.wait_for("Experiment: scaling", T);
    assert!(tui.wait_until(T, |_| !demos.alive().is_empty()), "its demos run");
    tui.send(b"\x1b");
    tui.wait_for("cancelled", T);
    let left = demos.left_after(T);
    assert!(left.is_empty(), "left after cancel: {left:?}");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}
