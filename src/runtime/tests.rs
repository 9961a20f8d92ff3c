//! The real event loop, in process: scripted keys and samples on a TestBackend.

use std::sync::Arc;

use super::event_loop::Ending;
use super::testing::Harness;
use crate::app::fixtures::{focus_worker, snapshot};
use crate::app::lab::LabState;
use crate::app::{App, Options};
use crate::collect::sampler::Control;
use crate::input::keymap::Keymap;
use crate::model::demo::{DemoKind, LabEvent};

fn harness(w: u16, h: u16) -> Harness {
    let app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(crate::runtime::catalog()));
    let mut h = Harness::new(app, w, h);
    // No real process is ever acted on: control reads an empty /proc.
    h.proc_root = std::env::temp_dir().join(format!("threadtop-empty-proc-{}", std::process::id()));
    h.samples.push(snapshot(1));
    assert_eq!(h.idle(), Ending::Idle);
    h
}

#[test]
fn a_sample_is_drawn_and_keys_sort_the_list() {
    let mut h = harness(120, 40);
    let screen = h.screen();
    assert!(screen.contains("COMMAND") && screen.contains("/usr/bin/worker"), "{screen}");
    // P is the default (CPU): worker first. N sorts by PID: init first.
    let first_row = |s: &str| s.lines().skip_while(|l| !l.contains("PID USER")).nth(1).unwrap_or("").to_string();
    assert!(first_row(&h.screen()).contains("worker"), "{}", h.screen());
    h.keys("N");
    assert!(first_row(&h.screen()).contains("/usr/bin/init"), "{}", h.screen());
}

#[test]
fn enter_focuses_the_sampler_on_the_process_and_esc_releases_it() {
    let mut h = harness(120, 40);
    h.keys("<Enter>");
    assert_eq!(h.samples.controls.last(), Some(&Control::Focus(Some(300))));
    let mut s = snapshot(2);
    s.focus = Some(std::sync::Arc::new(focus_worker()));
    h.samples.push(s);
    h.idle();
    let screen = h.screen();
    assert!(screen.contains("cpu-0") && screen.contains("cores in use 1.81 of 2"), "{screen}");
    h.keys("<Esc>");
    assert_eq!(h.samples.controls.last(), Some(&Control::Focus(None)));
    assert!(h.screen().contains("PID USER"));
}

#[test]
fn a_demo_launched_by_keys_is_selected_when_its_process_appears() {
    let mut h = harness(120, 40);
    h.keys("d<Enter>");
    assert_eq!(h.lab.launched.len(), 1);
    assert_eq!(h.lab.launched[0].kind, DemoKind::CpuThreads);
    assert_eq!(h.samples.controls.last(), Some(&Control::Now), "a launch samples at once");
    let spec = h.lab.launched[0].clone();
    h.lab.push_demo(LabEvent::Started { id: 1, spec, pids: vec![401] });
    h.idle();
    let selected = h.app.selected_pid();
    assert_eq!(selected, Some(401), "the demo's process is selected");
}

#[test]
fn a_refused_launch_is_said_and_no_selection_is_pending() {
    let mut h = harness(120, 40);
    h.lab.refuse = Some("8 demos are already running".into());
    h.keys("d<Enter>");
    assert!(h.screen().contains("lab: 8 demos are already running"), "{}", h.screen());
    assert!(!h.app.lab.select_next_started);
}

#[test]
fn a_signal_to_a_process_that_is_gone_reaches_nothing_and_says_so() {
    let mut h = harness(120, 40);
    // k, Enter on TERM, y: the process (from the fixture) is not in the empty /proc.
    h.keys("k<Enter>y");
    let screen = h.screen();
    assert!(screen.contains("SIGTERM sent to 0 of 1 process(es); PID 300:"), "{screen}");
}

#[test]
fn an_experiment_while_one_runs_is_refused_in_words() {
    let mut h = harness(120, 40);
    h.lab.experiment_running = true;
    h.keys("de<Enter>");
    assert!(h.screen().contains("an experiment is already running"), "{}", h.screen());
}

#[test]
fn q_quits_the_loop() {
    let mut h = harness(80, 24);
    assert_eq!(h.keys("q"), Ending::Quit);
    assert!(h.app.quit);
}

#[test]
fn a_resize_redraws_at_the_new_size() {
    let mut h = harness(120, 40);
    h.resize(80, 24);
    let screen = h.screen();
    assert_eq!(screen.lines().count(), 24);
    assert!(screen.lines().all(|l| l.chars().count() == 80));
    assert!(screen.contains("F10Quit"), "{screen}");
}

#[test]
fn samples_between_keys_keep_the_selection_on_its_process() {
    let mut h = harness(120, 40);
    h.keys("N<Home><Down><Down>");
    assert_eq!(h.app.selected_pid(), Some(300));
    let mut s = snapshot(2);
    s.processes.iter_mut().for_each(|p| p.cpu_percent = 0.0);
    h.samples.push(s);
    h.keys("P");
    assert_eq!(h.app.selected_pid(), Some(300));
    let _ = Arc::clone(&h.app.snapshot);
}

/// `s` in the threads view reads the stack on the blocking pool and the loop shows it when it
/// comes back (from a fake /proc: its task/TID/stack file).
#[test]
fn s_reads_the_stack_off_the_loop_and_shows_it() {
    let mut h = harness(120, 40);
    h.proc_root = std::env::temp_dir().join(format!("threadtop-stack-proc-{}", std::process::id()));
    let task = h.proc_root.join("300").join("task").join("301");
    std::fs::create_dir_all(&task).unwrap();
    // A FIFO: the read blocks until the writer below comes, 300 ms later, as a slow py-spy read
    // would. The loop must wait for it rather than call itself idle.
    let fifo = task.join("stack");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        std::fs::write(&fifo, "[<0>] futex_do_wait+0x4a/0x80\n[<0>] __futex_wait+0x8f/0x110\n").unwrap();
    });
    h.keys("<Enter>");
    let mut s = snapshot(2);
    s.focus = Some(std::sync::Arc::new(focus_worker()));
    h.samples.push(s);
    h.idle();
    // Down to cpu-0 (301), then s: the loop returns only once the read has come back.
    assert_eq!(h.keys("<Down>s"), Ending::Idle);
    writer.join().unwrap();
    let screen = h.screen();
    let _ = std::fs::remove_dir_all(&h.proc_root);
    assert!(screen.contains("Stack of thread 301 (cpu-0) of PID 300"), "{screen}");
    assert!(screen.contains("futex_do_wait+0x4a/0x80") && screen.contains("__futex_wait+0x8f/0x110"), "{screen}");
    // A fake /proc is no Python process: no Python part.
    assert!(!screen.contains("Python"), "{screen}");
    h.keys("<Esc>");
    assert!(!h.screen().contains("Stack of thread"), "{}", h.screen());
}
