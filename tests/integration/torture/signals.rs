//! Torture 5, signals and panics, with demos running (launched by keys in the lab):
//! - SIGTERM, SIGINT, SIGHUP: exit 0, terminal restored, every demo gone;
//! - a panic in the sampler thread (`THREADTOP_TEST_PANIC=sampler-when:FILE`): exit non-zero,
//!   terminal restored, the message visible, every demo gone;
//! - SIGKILL with a demo of each kind of `DemoKind::ALL` running: no demo survives (PR_SET_PDEATHSIG).
//!   `TORTURE_SIGKILL_TRIALS` trials (default 5 in `cargo test`); the issue's 20 run with
//!   `cargo test --release --test torture_signals -- --ignored sigkill_twenty_times --nocapture`.
//!
//! A demo counts as gone when its PID is gone, a zombie, or now another process (start time).

use std::time::{Duration, Instant};

use crate::support::{Demos, Scratch, Tui, catalogue_row, env_count, lab_kinds, serial};

const T: Duration = Duration::from_secs(20);

/// Launches catalogue entry `index` by keys: `d`, Home, Down × index, Enter, then `d` back to
/// the process list; waits until it selects the demo.
fn launch(tui: &mut Tui, index: usize) {
    let kinds = lab_kinds();
    let (kind, shown) = (kinds[index].0.as_str(), kinds[index].1.as_str());
    tui.send(b"d");
    tui.wait_for("Lab: launch a demo", T);
    tui.send(b"\x1b[H");
    for _ in 0..catalogue_row(kind) {
        tui.send(b"\x1b[B");
    }
    tui.wait_for(&format!("> {kind}"), T);
    if kind == "spawn-cost" {
        // K = 1200 instead of 200, so that it is still running a moment later.
        tui.send(b"++++++++++++++++++++");
    }
    tui.send(b"\r");
    tui.send(b"d");
    tui.wait_selected(shown, T);
}

#[test]
fn term_int_hup_exit_zero_and_stop_every_demo() {
    let _serial = serial();
    for (sig, name) in [(libc::SIGTERM, "TERM"), (libc::SIGINT, "INT"), (libc::SIGHUP, "HUP")] {
        let mut tui = Tui::start(&["--interval", "300ms"], &[], 160, 45);
        let demos = Demos::watch(tui.pid());
        tui.wait_for("COMMAND", T);
        for i in [0, 3, 4] {
            launch(&mut tui, i);
        }
        let running = demos.alive();
        assert!(running.len() >= 4, "SIG{name}: demos running: {running:?}");
        unsafe { libc::kill(tui.pid(), sig) };
        let st = tui.wait_exit(T);
        assert!(st.success(), "SIG{name}: {st:?}");
        assert!(tui.terminal_restored(), "SIG{name}: terminal restored");
        let left = demos.left_after(T);
        assert!(left.is_empty(), "SIG{name}: demos left: {left:?}");
        eprintln!("signals: SIG{name} with {} demo processes: exit 0, terminal restored, none left", running.len());
    }
}

#[test]
fn sampler_panic_restores_terminal_and_takes_the_demos() {
    let _serial = serial();
    let scratch = Scratch::new("panic");
    let trigger = scratch.path("now");
    let env = format!("sampler-when:{}", trigger.display());
    let mut tui = Tui::start(&["--interval", "300ms"], &[("THREADTOP_TEST_PANIC", &env)], 160, 45);
    let demos = Demos::watch(tui.pid());
    tui.wait_for("COMMAND", T);
    for i in [0, 1, 3, 4] {
        launch(&mut tui, i);
    }
    let running = demos.alive();
    assert!(running.len() >= 5, "demos running: {running:?}");
    std::fs::write(&trigger, b"").unwrap();
    let st = tui.wait_exit(T);
    // A panic on any thread exits 101, as a panic in main does.
    assert_eq!(st.exit_code(), 101, "a panic exits 101: {st:?}");
    assert!(tui.terminal_restored(), "terminal restored after the panic");
    assert!(tui.screen().contains("test panic in sampler"), "message visible:\n{}", tui.screen());
    let left = demos.left_after(T);
    assert!(left.is_empty(), "demos left after the panic: {left:?}");
    eprintln!("signals: sampler panic with {} demo processes: {st:?}, terminal restored, none left", running.len());
}

/// One SIGKILL trial: every kind of `DemoKind::ALL` launched, then SIGKILL; returns (demo processes seen,
/// survivors, whether spawn-cost was still running at the kill).
fn sigkill_trial() -> (usize, Vec<String>, bool) {
    let mut tui = Tui::start(&["--interval", "300ms"], &[], 160, 45);
    // Everything the demos start (a zombie's child, spawn-cost's children) counts too.
    let demos = Demos::watch(tui.pid());
    tui.wait_for("COMMAND", T);
    for i in 0..lab_kinds().len() {
        launch(&mut tui, i);
    }
    let root = tui.pid();
    let running = demos.alive();
    let kinds_up = lab_kinds()[..5].iter().all(|(_, shown)| running.iter().any(|(_, comm)| comm == shown));
    assert!(kinds_up, "the first five kinds run: {running:?}");
    let spawn_cost = running.iter().any(|(_, comm)| comm == "tt-spawn-cost");
    unsafe { libc::kill(root, libc::SIGKILL) };
    let _ = tui.wait_exit(T);
    let left = demos.left_after(Duration::from_secs(5));
    (demos.seen().len(), left, spawn_cost)
}

fn sigkill_trials(n: u64) {
    let _serial = serial();
    let t = Instant::now();
    let (mut seen, mut with_spawn_cost) = (0, 0);
    for trial in 1..=n {
        let (count, left, spawn_cost) = sigkill_trial();
        assert!(left.is_empty(), "trial {trial}: survived SIGKILL of threadtop: {left:?}");
        seen += count;
        with_spawn_cost += u64::from(spawn_cost);
    }
    eprintln!(
        "signals: {n} SIGKILL trials with every kind launched ({seen} demo processes, spawn-cost still running \
         in {with_spawn_cost}): zero survivors, {:.1?}",
        t.elapsed()
    );
}

#[test]
fn sigkill_with_every_demo_kind() {
    sigkill_trials(env_count("TORTURE_SIGKILL_TRIALS", 5));
}

#[test]
#[ignore]
fn sigkill_twenty_times() {
    sigkill_trials(20);
}
