//! Torture 4, terminal abuse: 500 random resizes between 1x1 and 300x100 while threadtop runs,
//! then 120x40 and a correct frame; and a flood of 10,000 keys, absorbed: the app answers the
//! next key promptly and quits on `q`. The seed of the random sizes and keys is printed
//! (`TORTURE_SEED=N` repeats a run).

use std::time::{Duration, Instant};

use crate::support::{Rng, Tui, has_panic_text, proc_state, seed, serial, table_rows};

const T: Duration = Duration::from_secs(30);

/// A whole frame at the final size: header meters, the table header, rows that each start with a
/// PID, the status line and the function-key bar on the last line.
fn frame_is_whole(tui: &Tui, rows: u16) -> Result<(), String> {
    let screen = tui.screen();
    let lines: Vec<&str> = screen.lines().collect();
    if !screen.contains("Load average: ") || !screen.contains("Tasks: ") {
        return Err("no header".into());
    }
    let table = table_rows(&screen);
    let filled: Vec<&String> = table.iter().filter(|r| !r.trim().is_empty()).collect();
    if filled.len() < 5 {
        return Err(format!("only {} table rows", filled.len()));
    }
    if let Some(bad) = filled.iter().find(|r| r.split_whitespace().next().and_then(|p| p.parse::<u32>().ok()).is_none())
    {
        return Err(format!("a row without a PID: {bad:?}"));
    }
    if lines.len() != rows as usize || !lines[rows as usize - 1].starts_with("F1Help") {
        return Err(format!("{} lines, the last not the key bar", lines.len()));
    }
    Ok(())
}

#[test]
fn five_hundred_random_resizes() {
    let _serial = serial();
    let seed = seed();
    let mut rng = Rng::new(seed);
    let mut tui = Tui::start(&["--interval", "100ms"], &[], 120, 40);
    tui.wait_for("COMMAND", T);
    let mut tiny = 0;
    for i in 0..500 {
        // Mostly anywhere in range, with the extremes (1 and the maximum) drawn often.
        let pick = |rng: &mut Rng, max: u64| match rng.range(0, 9) {
            0 => 1,
            1 => max,
            2 => rng.range(1, 4),
            _ => rng.range(1, max),
        };
        let (c, r) = (pick(&mut rng, 300) as u16, pick(&mut rng, 100) as u16);
        if c < 5 || r < 3 {
            tiny += 1;
        }
        tui.resize(c, r);
        std::thread::sleep(Duration::from_millis(rng.range(0, 6)));
        if i % 50 == 0 {
            assert!(proc_state(tui.pid()).is_some_and(|s| s != 'Z'), "alive after {i} resizes (seed {seed})");
        }
    }
    tui.resize(120, 40);
    let ok = tui.wait_until(T, |_| frame_is_whole(&tui, 40).is_ok());
    assert!(ok, "seed {seed}: {:?}\n{}", frame_is_whole(&tui, 40), tui.screen());
    assert!(!has_panic_text(&tui.screen()));
    // How long the 500 took is the test's own sleeps, so it is not reported.
    eprintln!("terminal: 500 resizes ({tiny} below 5x3), then a whole 120x40 frame (seed {seed})");
    tui.send(b"q");
    let st = tui.wait_exit(T);
    assert!(st.success(), "{st:?}");
    assert!(tui.terminal_restored());
}

#[test]
fn resizes_in_the_threads_view_and_lab() {
    let _serial = serial();
    let seed = seed();
    let mut rng = Rng::new(seed);
    let me = std::process::id().to_string();
    let mut tui = Tui::start(&["--interval", "100ms", "--threads-of", &me], &[], 120, 40);
    tui.wait_for(&format!("PID {me}"), T);
    for round in 0..2 {
        if round == 1 {
            tui.send(b"d");
            tui.wait_for("Lab: launch a demo", T);
        }
        for _ in 0..100 {
            tui.resize(rng.range(1, 300) as u16, rng.range(1, 100) as u16);
            std::thread::sleep(Duration::from_millis(rng.range(0, 6)));
        }
        tui.resize(120, 40);
        if round == 0 {
            tui.wait_for(&format!("PID {me}"), T);
        } else {
            tui.wait_for("Lab: launch a demo", T);
        }
    }
    assert!(!has_panic_text(&tui.screen()), "seed {seed}");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success(), "seed {seed}");
    assert!(tui.terminal_restored());
}

/// Keys that change only what is shown: moves, sorts, tree, kernel threads, tags. No key here
/// acts on a process, opens a prompt or the lab, pauses, or quits; all are single bytes, so a
/// read boundary can't split one into others.
const SAFE_KEYS: &[u8] = b"jjjjjPMTNI><.,tK-+= cU";

#[test]
fn ten_thousand_keys_are_absorbed() {
    let _serial = serial();
    let seed = seed();
    let mut rng = Rng::new(seed);
    let mut tui = Tui::start(&["--interval", "100ms"], &[], 160, 45);
    tui.wait_for("COMMAND", T);
    let keys: Vec<u8> = (0..10_000).map(|_| SAFE_KEYS[rng.range(0, SAFE_KEYS.len() as u64 - 1) as usize]).collect();
    let start = Instant::now();
    // In bursts, as a held key or a paste would come; the pty blocks us when threadtop lags.
    for chunk in keys.chunks(500) {
        tui.send_quick(chunk);
    }
    let written = start.elapsed();
    // The next key is answered: a search prompt opens. Everything before it has been read.
    let answered = tui
        .time_until(T, |s| s.contains("Search: flood-done"), |t| t.send_quick(b"/flood-done"))
        .unwrap_or_else(|| panic!("the key after the flood was not answered in {T:?}:\n{}", tui.screen()));
    let absorbed = written + answered;
    assert!(proc_state(tui.pid()).is_some_and(|s| s != 'Z'));
    assert!(!has_panic_text(&tui.screen()));
    eprintln!(
        "terminal: 10,000 keys written in {written:.2?}, all absorbed and the next key answered after {absorbed:.2?} \
         (the answer timed in the pty reader thread; seed {seed})"
    );
    tui.send(b"\x1b");
    tui.send(b"q");
    let st = tui.wait_exit(T);
    assert!(st.success(), "{st:?}");
    assert!(tui.terminal_restored());
}

/// Each key is answered at once, not at the next refresh: with a 5 s interval, each typed
/// character shows in the search prompt well within 2 s. (It once waited for the next sample:
/// crossterm's EventStream had been polled with a no-op waker.)
#[test]
fn keys_are_answered_between_slow_refreshes() {
    let _serial = serial();
    let mut tui = Tui::start(&["-d", "50"], &[], 120, 40);
    tui.wait_for("COMMAND", T);
    assert!(
        tui.wait_until(T, |s| s.contains("sample ") && s.contains("every 5s")),
        "the first sample at a 5 s refresh:\n{}",
        tui.screen()
    );
    let mut typed = String::new();
    let mut worst = Duration::ZERO;
    for (i, k) in ["/", "a", "b", "c", "d", "e"].into_iter().enumerate() {
        if i > 0 {
            typed.push_str(k);
        }
        let want = format!("Search: {typed}_");
        // Timed in the pty reader thread: when the bytes showing the answer arrived.
        let took = tui.time_until(Duration::from_secs(2), move |s| s.contains(&want), |t| t.send_quick(k.as_bytes()));
        let took = took.unwrap_or_else(|| panic!("key {k:?} not answered in 2 s:\n{}", tui.screen()));
        worst = worst.max(took);
        std::thread::sleep(Duration::from_millis(rng_free_pause(i)));
    }
    eprintln!("terminal: keys answered within {worst:.2?} at a 5 s refresh (timed in the pty reader thread)");
    tui.send(b"\x1b");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}

/// Pauses between keys that fall at different points of the 5 s refresh cycle.
fn rng_free_pause(i: usize) -> u64 {
    [700, 1100, 300, 1700, 900, 500][i % 6]
}
