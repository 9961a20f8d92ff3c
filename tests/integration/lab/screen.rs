//! The lab screen in process: the real event loop with scripted keys, samples and lab events on
//! a TestBackend. A lesson walked step by step, each step checked from the app's own state; the
//! demo's live rows on the lab screen while it runs.

use std::time::Duration;

use threadtop::app::fixtures::{process, snapshot};
use threadtop::app::lab::LabState;
use threadtop::app::{App, Options};
use threadtop::collect::model::{ProcessSample, Snapshot};
use threadtop::input::keymap::Keymap;
use threadtop::model::demo::{DemoKind, DemoResult, LabEvent};
use threadtop::runtime::testing::Harness;

fn harness() -> Harness {
    let app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(threadtop::runtime::catalog()));
    let mut h = Harness::new(app, 120, 40);
    h.samples.push(snapshot(1));
    h.idle();
    h
}

/// The fixture machine with the zombie demo's parent, and its child once exited (Z).
fn with_zombie(seq: u64, child: bool) -> Snapshot {
    let mut s = snapshot(seq);
    s.processes.push(process(900, 1, "tt-zombie-par", 0.0, 2));
    if child {
        s.processes.push(ProcessSample { state: 'Z', rss_bytes: 0, ..process(901, 900, "tt-zombie", 0.0, 0) });
    }
    s
}

#[test]
fn the_zombie_lesson_is_walked_step_by_step_and_each_step_says_what_it_saw() {
    let mut h = harness();
    // d: the lab, l: the lessons, the zombie's is the sixth.
    h.keys("dl<Down><Down><Down><Down><Down><Enter>");
    let screen = h.screen();
    assert!(screen.contains("Lesson 6: The zombie"), "{screen}");
    assert!(screen.contains("▶ 1/4") && screen.contains("now: no zombie running yet"), "{screen}");
    // Esc: the catalogue, to act; the step stays in sight over the footer.
    h.keys("<Esc>");
    let screen = h.screen();
    assert!(screen.contains("step 1/4 · keys: in the lab, Down to zombie, Enter"), "{screen}");
    h.keys("<Down><Down><Down><Down><Enter>");
    assert_eq!(h.lab.launched.len(), 1, "Enter launches from the lab");
    let spec = h.lab.launched[0].clone();
    assert_eq!(spec.kind, DemoKind::Zombie);
    h.lab.push_demo(LabEvent::Started { id: 1, spec: spec.clone(), pids: vec![900] });
    h.samples.push(with_zombie(2, false));
    h.idle();
    let screen = h.screen();
    assert!(screen.contains("step 1/4 done: zombie #1 runs with 1 zombie"), "{screen}");
    assert!(
        screen.contains("step 2/4") && screen.contains("waiting to see a process of zombie in state Z"),
        "{screen}"
    );
    // The lab shows the demo's processes live: its child, exited, in state Z.
    h.samples.push(with_zombie(3, true));
    h.idle();
    let screen = h.screen();
    let row =
        screen.lines().find(|l| l.contains("901") && l.contains("tt-zombie ")).unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains(" Z "), "{row}");
    assert!(screen.contains("step 2/4 done: zombie #1: a process seen in state Z"), "{screen}");
    // d: the list, t: its tree.
    h.keys("dt");
    let screen = h.screen();
    assert!(screen.contains("step 3/4 done: tree view open: done"), "{screen}");
    assert!(screen.contains("step 4/4 · keys: X"), "{screen}");
    h.keys("X");
    assert_eq!(h.lab.stopped_all, 1);
    let result = DemoResult {
        kind: "zombie".into(),
        workers: 1,
        wall_seconds: 4.0,
        cpu_seconds: 0.0,
        cores_used: 0.0,
        ops: 1,
        ops_per_sec: 0.25,
        pids: vec![900],
        stopped_early: true,
        spawn: None,
        figures: None,
        extra: None,
    };
    h.lab.push_demo(LabEvent::Finished { id: 1, result });
    h.samples.push(snapshot(4));
    h.idle();
    assert!(h.screen().contains("lesson done: step 4/4: zombie #1 has ended"), "{}", h.screen());
    // The lesson, whole: every step ticked with what it saw, and the moral.
    h.keys("dl");
    let screen = h.screen();
    for needle in ["✓ 1/4", "✓ 4/4", "seen: zombie #1: a process seen in state Z", "Done. Exit is not the end"] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    let _ = Duration::ZERO;
}

#[test]
fn launching_keeps_the_lab_on_screen_with_the_demo_rows_and_its_threads() {
    let mut h = harness();
    h.keys("d<Enter>");
    let spec = h.lab.launched[0].clone();
    h.lab.push_demo(LabEvent::Started { id: 1, spec, pids: vec![300] });
    let mut s = snapshot(2);
    s.focus = Some(std::sync::Arc::new(threadtop::app::fixtures::focus_worker()));
    h.samples.push(s);
    h.idle();
    let screen = h.screen();
    assert!(screen.contains("Lab: launch a demo"), "still the lab:\n{screen}");
    assert!(screen.contains("the demos' processes, live") && screen.contains("Threads of worker (PID 300"), "{screen}");
    // The lab asked the sampler for the demo's threads.
    assert!(h.samples.controls.iter().any(|c| format!("{c:?}") == "Focus(Some(300))"), "{:?}", h.samples.controls);
    // Leaving the lab: the demo's process is selected in the list.
    h.keys("d");
    assert_eq!(h.app.selected_pid(), Some(300));
}
