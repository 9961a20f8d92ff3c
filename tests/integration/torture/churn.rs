//! Torture 1, process churn: a helper forks and reaps short-lived processes (≥ 200/s) and keeps
//! creating and joining short-lived threads, while threadtop runs at its fastest refresh
//! (100 ms) in a pseudo-terminal: first in the threads view of the churning process (threads
//! vanish between listing and reading), then in the process list, then with all threads as rows
//! (`H`). threadtop must stay alive, keep refreshing and never print a panic.
//!
//! `TORTURE_CHURN_SECS` sets the churn time (default 10 s in `cargo test`; the figure is
//! 20 s: `TORTURE_CHURN_SECS=20 cargo test --release --test torture_churn -- --nocapture`).

use std::time::{Duration, Instant};

use crate::support::{HelperProc, Scratch, Tui, churn_stats, env_secs, has_panic_text, proc_state, serial};

const T: Duration = Duration::from_secs(20);

/// Watches the screen for `dur`; returns how many times it changed. Fails on a panic or exit.
fn watch(tui: &mut Tui, dur: Duration, phase: &str) -> u32 {
    let end = Instant::now() + dur;
    let mut last = tui.screen();
    let mut changes = 0;
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        let now = tui.screen();
        assert!(!has_panic_text(&now), "{phase}: panic on screen:\n{now}");
        if let Ok(Some(st)) = tui.child.try_wait() {
            panic!("{phase}: threadtop exited ({st:?}) during churn; screen:\n{now}");
        }
        if now != last {
            changes += 1;
            last = now;
        }
    }
    changes
}

#[test]
fn churn_at_fastest_refresh() {
    let _serial = serial();
    let secs = env_secs("TORTURE_CHURN_SECS", 10.0);
    let scratch = Scratch::new("churn");
    let out = scratch.path("stats");
    let tag = format!("churn-probe-{}", std::process::id());
    let mut churn = HelperProc::spawn("churn", &tag, &[("THREADTOP_TORTURE_OUT", out.to_str().unwrap())]);
    assert!(churn.wait_threads(3, T), "the churn helper started");
    let pid = churn.pid().to_string();

    // Phase 1: the threads view of the churning process.
    let mut tui = Tui::start(&["--interval", "100ms", "--threads-of", &pid], &[], 160, 45);
    tui.wait_for(&format!("PID {pid}"), T);
    let threads_seen = tui.wait_until(T, |s| s.contains("churn-"));
    let started = Instant::now();
    let c1 = watch(&mut tui, secs.mul_f64(0.4), "threads view");
    assert!(threads_seen, "short-lived churn-N threads appear in the threads view:\n{}", tui.screen());
    assert!(tui.screen().contains(&format!("PID {pid}")), "still on the churning process:\n{}", tui.screen());

    // Phase 2: the process list, where churn-kid processes come and go.
    tui.send(b"\x1b");
    tui.wait_for("COMMAND", T);
    let c2 = watch(&mut tui, secs.mul_f64(0.4), "process list");

    // Phase 3: every thread as a row.
    tui.send(b"H");
    let c3 = watch(&mut tui, secs.mul_f64(0.2), "all threads");
    let churned = started.elapsed();

    let (spawned, reaped, threads, elapsed) = churn_stats(&out).expect("churn helper stats");
    let rate = reaped as f64 / elapsed.as_secs_f64();
    let thread_rate = threads as f64 / elapsed.as_secs_f64();
    eprintln!(
        "churn: {churned:.1?} under churn at 100 ms refresh; helper forked {spawned} and reaped {reaped} processes \
         in {elapsed:.1?} ({rate:.0}/s) and made {threads} threads ({thread_rate:.0}/s); screen changed \
         {c1} / {c2} / {c3} times (threads view / list / all threads)"
    );
    // Churn that means something at a 100 ms refresh: processes born and gone between two
    // refreshes, every refresh. How fast this machine forks is not threadtop's business.
    let refreshes = elapsed.as_secs_f64() / 0.1;
    assert!(reaped as f64 >= refreshes, "the helper reaped {reaped} processes in {refreshes:.0} refreshes");
    // Each phase keeps refreshing: at least one new screen a second (the refresh is 10 a second;
    // the header's clock and the churning table change on each).
    let expect = |d: f64| ((secs.as_secs_f64() * d) as u32).max(2);
    assert!(c1 >= expect(0.4), "threads view refreshed only {c1} times in {:.1} s", secs.as_secs_f64() * 0.4);
    assert!(c2 >= expect(0.4), "process list refreshed only {c2} times in {:.1} s", secs.as_secs_f64() * 0.4);
    assert!(c3 >= expect(0.2), "all-threads list refreshed only {c3} times in {:.1} s", secs.as_secs_f64() * 0.2);

    assert!(proc_state(tui.pid()).is_some(), "threadtop alive");
    tui.send(b"q");
    let st = tui.wait_exit(T);
    assert!(st.success(), "exit status {st:?}");
    assert!(tui.terminal_restored());
    assert!(!has_panic_text(&tui.screen()));
}
