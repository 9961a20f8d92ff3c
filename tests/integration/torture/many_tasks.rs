//! Torture 2, many tasks: 100 helper processes × 200 sleeping threads (20,000 threads) alive,
//! then threadtop in a pseudo-terminal: the first frame appears, keys respond, `H` (all threads
//! as rows) works. Prints the time to the first frame showing the table and to the first frame
//! counting every thread, timed in the pty reader thread. The cost of a refresh at this
//! population is a bench's (benches/sampler.rs), not this test's.
//!
//! `TORTURE_TASK_PROCS` / `TORTURE_TASK_THREADS` change the population (default 100 × 200).

use std::time::{Duration, Instant};

use crate::support::{HelperProc, Tui, env_count, has_panic_text, serial, table_rows};

const T: Duration = Duration::from_secs(60);

/// The thread count of the header's `Tasks: N, M thr, ...` line.
fn header_threads(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("Tasks: "))?;
    let rest = &line[line.find("Tasks: ")? + 7..];
    let (_, after) = rest.split_once(", ")?;
    after.split_whitespace().next()?.parse().ok()
}

/// A row of a `park-N` thread (the helpers' command lines hold `park-probe-`, not a digit).
fn shows_park_thread(screen: &str) -> bool {
    screen.match_indices("park-").any(|(i, _)| screen[i + 5..].starts_with(|c: char| c.is_ascii_digit()))
}

fn pid_max() -> u64 {
    std::fs::read_to_string("/proc/sys/kernel/pid_max").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(32768)
}

/// Tasks (threads) on the machine: the total of /proc/loadavg's `running/total`.
fn system_tasks() -> u64 {
    let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    avg.split_whitespace().nth(3).and_then(|f| f.split('/').nth(1)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn twenty_thousand_threads() {
    let _serial = serial();
    let procs = env_count("TORTURE_TASK_PROCS", 100);
    let per = env_count("TORTURE_TASK_THREADS", 200);
    let tag = format!("park-probe-{}", std::process::id());
    let extra = (per - 1).to_string();
    // 20,000 threads need 20,000 free PIDs (pid_max is often 32768): if another run is using
    // them (the same test in another checkout), wait for it rather than fail half-way.
    let needed = procs * (per + 1) + 1000;
    let room = || pid_max().saturating_sub(system_tasks());
    let waited = Instant::now();
    while room() < needed && waited.elapsed() < Duration::from_secs(180) {
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(room() >= needed, "only {} free PIDs for the {needed} this test needs", room());
    let t = Instant::now();
    let mut helpers: Vec<HelperProc> =
        (0..procs).map(|_| HelperProc::spawn("park", &tag, &[("TORTURE_PARK_THREADS", &extra)])).collect();
    for h in &mut helpers {
        assert!(h.wait_threads(per, T), "helper {} reached {per} threads", h.pid());
    }
    let total = procs * per;
    eprintln!("many-tasks: {procs} processes × {per} threads = {total} threads up in {:.1?}", t.elapsed());

    let mut tui = Tui::start(&["--interval", "500ms"], &[], 200, 50);
    tui.wait_for("COMMAND", T);
    let first_frame = tui.first_table_frame().expect("the table was on screen");
    let counted =
        tui.time_until(T, move |s| header_threads(s).is_some_and(|n| n >= total) && table_rows(s).len() > 3, |_| {});
    let counted = counted
        .unwrap_or_else(|| panic!("the header counts the {total} threads and the table fills:\n{}", tui.screen()));

    // Keys respond: a search prompt opens and finds a helper.
    tui.send(b"/");
    tui.send(tag.as_bytes());
    tui.wait_for(&format!("Search: {tag}"), T);
    tui.send(b"\r");
    assert!(
        tui.wait_until(T, |_| tui.selected_row().is_some_and(|r| r.contains(&tag))),
        "the search selects a helper:\n{}",
        tui.screen()
    );

    // H: every thread as a row; the helpers' parked threads show by name.
    let h_latency = tui.time_until(T, shows_park_thread, |t| t.send(b"H"));
    let h_latency = h_latency.unwrap_or_else(|| panic!("H shows the parked threads as rows:\n{}", tui.screen()));
    // Still answering keys in H mode: PageDown moves the selection off the row it was on.
    let before = tui.selected_row();
    tui.send(b"\x1b[6~");
    assert!(tui.wait_until(T, |_| tui.selected_row() != before), "PageDown in H mode:\n{}", tui.screen());
    tui.send(b"H");
    assert!(tui.wait_until(T, |s| !shows_park_thread(s)), "H again: back to processes only");

    // Timed in the pty reader thread. What a refresh costs at this population is measured by
    // benches/sampler.rs and benches/latency.rs, not here.
    eprintln!(
        "many-tasks: first frame showing the table {first_frame:.2?} after spawn, then all {total} threads \
         counted {counted:.2?} later; H to thread rows {h_latency:.2?}"
    );
    assert!(!has_panic_text(&tui.screen()));
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    assert!(tui.terminal_restored());
}
