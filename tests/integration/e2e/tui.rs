//! End-to-end: the real binary in a pseudo-terminal. What a user sees and how it exits.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::{HelperProc, Tui, proc_state, serial, shared};

const T: Duration = Duration::from_secs(10);

/// Threads of this test process named probe-0..probe-4; probe-0 spins.
struct Probes {
    stop: Arc<AtomicBool>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl Probes {
    fn start() -> Probes {
        let stop = Arc::new(AtomicBool::new(false));
        let handles = (0..5)
            .map(|i| {
                let stop = stop.clone();
                std::thread::Builder::new()
                    .name(format!("probe-{i}"))
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            if i == 0 {
                                std::hint::black_box((0..10_000u64).sum::<u64>());
                            } else {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                    })
                    .unwrap()
            })
            .collect();
        Probes { stop, handles }
    }
}

impl Drop for Probes {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

/// The PID shown on the first row under the table header.
fn first_row_pid(tui: &Tui) -> Option<i32> {
    let screen = tui.screen();
    let mut lines = screen.lines().skip_while(|l| !(l.contains("PID") && l.contains("COMMAND")));
    lines.next()?;
    lines.next()?.split_whitespace().next()?.parse().ok()
}

#[test]
fn starts_shows_real_processes_and_quits_cleanly() {
    let _shared = shared();
    let me = std::process::id().to_string();
    let mut tui = Tui::start(&["-p", &me], &[], 160, 40);
    tui.wait_for("COMMAND", T);
    assert!(tui.in_alternate_screen());
    tui.wait_for(&me, T);
    assert!(tui.screen().contains("CPU% = share of one core"));
    assert!(tui.screen().contains("F10Quit"));
    tui.send(b"q");
    let st = tui.wait_exit(T);
    assert!(st.success(), "exit status {st:?}");
    assert!(tui.terminal_restored(), "alternate screen left and cursor visible");
}

#[test]
fn p_and_m_reorder_the_list() {
    // A spinning thread of this process must out-rank everything it is compared with.
    let _serial = serial();
    let big = HelperProc::bigmem("order-probe");
    let _probes = Probes::start();
    let me = std::process::id();
    let pids = format!("{me},{}", big.pid());
    let mut tui = Tui::start(&["-p", &pids, "-d", "3"], &[], 160, 40);
    tui.wait_for("COMMAND", T);
    tui.send(b"M");
    assert!(
        tui.wait_until(T, |_| first_row_pid(&tui) == Some(big.pid())),
        "M puts the 256 MiB process first:\n{}",
        tui.screen()
    );
    tui.send(b"P");
    assert!(
        tui.wait_until(T, |_| first_row_pid(&tui) == Some(me as i32)),
        "P puts the spinning test process first:\n{}",
        tui.screen()
    );
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}

#[test]
fn search_finds_a_process_the_test_started() {
    let _shared = shared();
    let tag = format!("search-probe-{}", std::process::id());
    let big = HelperProc::bigmem(&tag);
    let mut tui = Tui::start(&[], &[], 160, 40);
    tui.wait_for("COMMAND", T);
    tui.send(b"/");
    tui.send(tag.as_bytes());
    tui.wait_for(&format!("Search: {tag}"), T);
    // The match is selected: Enter keeps the search, a second Enter opens its threads view.
    tui.send(b"\r");
    tui.send(b"\r");
    tui.wait_for(&format!("PID {}", big.pid()), T);
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}

#[test]
fn threads_view_shows_thread_names_and_back_keeps_selection() {
    let _shared = shared();
    let _probes = Probes::start();
    let me = std::process::id().to_string();
    let mut tui = Tui::start(&["-p", &me, "--interval", "300ms"], &[], 160, 45);
    tui.wait_for(&me, T);
    tui.send(b"\r");
    tui.wait_for("probe-0", T);
    for i in 1..5 {
        tui.wait_for(&format!("probe-{i}"), T);
    }
    tui.wait_for("cores in use", T);
    tui.wait_for("VCSW/s", T);
    tui.send(b"\x1b");
    tui.wait_for("COMMAND", T);
    let row = tui.row_with(&format!(" {me} "));
    assert!(matches!(row, Some((_, _, true))), "our process is still selected: {row:?}\n{}", tui.screen());
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}

#[test]
fn threads_of_starts_in_the_threads_view() {
    let _shared = shared();
    let _probes = Probes::start();
    let me = std::process::id().to_string();
    let mut tui = Tui::start(&["--threads-of", &me], &[], 160, 45);
    tui.wait_for("probe-3", T);
    tui.wait_for(&format!("PID {me}"), T);
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}

#[test]
fn sigterm_sighup_sigint_exit_zero_with_terminal_restored() {
    let _shared = shared();
    for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT] {
        let mut tui = Tui::start(&[], &[], 100, 30);
        tui.wait_for("COMMAND", T);
        unsafe { libc::kill(tui.pid(), sig) };
        let st = tui.wait_exit(T);
        assert!(st.success(), "signal {sig}: {st:?}");
        assert!(tui.terminal_restored(), "signal {sig}: terminal restored");
    }
}

#[test]
fn ctrl_c_and_f10_quit() {
    let _shared = shared();
    for keys in [&b"\x03"[..], &b"\x1b[21~"[..]] {
        let mut tui = Tui::start(&[], &[], 100, 30);
        tui.wait_for("COMMAND", T);
        tui.send(keys);
        assert!(tui.wait_exit(T).success());
        assert!(tui.terminal_restored());
    }
}

#[test]
fn panic_in_sampler_thread_restores_terminal_and_exits_nonzero() {
    let _shared = shared();
    let mut tui = Tui::start(&[], &[("THREADTOP_TEST_PANIC", "sampler")], 100, 30);
    let st = tui.wait_exit(T);
    assert_eq!(st.exit_code(), 101, "a panic exits 101: {st:?}");
    assert!(tui.terminal_restored());
    assert!(tui.screen().contains("test panic in sampler"), "message visible:\n{}", tui.screen());
}

#[test]
fn tiny_terminal_and_resizes_do_not_break_it() {
    let _shared = shared();
    let mut tui = Tui::start(&[], &[], 20, 5);
    tui.wait_for("PID", T);
    for (c, r) in [(1, 1), (2, 2), (5, 3), (300, 100), (40, 10), (120, 40)] {
        tui.resize(c, r);
        std::thread::sleep(Duration::from_millis(80));
    }
    tui.wait_for("COMMAND", T);
    assert!(proc_state(tui.pid()).is_some(), "still running");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}

#[test]
fn not_a_terminal_points_at_snapshot_and_exits_2() {
    let out = Command::new(crate::support::BIN).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("threadtop snapshot"), "{err}");
}

#[test]
fn bad_flags_are_refused_clearly() {
    let out = Command::new(crate::support::BIN).args(["--interval", "10ms"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("100ms"));
    let out = Command::new(crate::support::BIN).args(["-d", "0"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(crate::support::BIN).args(["--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn unknown_sort_column_lists_the_valid_ones() {
    let out = Command::new(crate::support::BIN).args(["-s", "BOGUS"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown sort column 'BOGUS'") && err.contains("CPU"), "{err}");
}

fn signal_by_keys(readonly: bool) -> (std::process::Child, Tui) {
    let child = Command::new("sleep").arg("300").spawn().unwrap();
    let pid = child.id().to_string();
    let mut args = vec!["-p", pid.as_str()];
    if readonly {
        args.push("--readonly");
    }
    let mut tui = Tui::start(&args, &[], 140, 40);
    tui.wait_for("sleep 300", T);
    tui.send(b" "); // tag it
    tui.send(b"k");
    if readonly {
        tui.wait_for("read-only mode", T);
    } else {
        tui.wait_for("SIGTERM", T);
        tui.send(b"\r"); // TERM is preselected
        tui.wait_for("Send SIGTERM (15) to:", T);
        tui.wait_for(&format!("PID {pid} sleep 300"), T);
        tui.send(b"y");
        tui.wait_for("SIGTERM sent to 1 of 1", T);
    }
    (child, tui)
}

#[test]
fn tag_kill_term_confirm_ends_the_process() {
    let _shared = shared();
    let (mut child, mut tui) = signal_by_keys(false);
    let end = std::time::Instant::now() + T;
    let mut gone = false;
    while std::time::Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone, "the tagged process got SIGTERM");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
}

#[test]
fn readonly_leaves_the_process_alone() {
    let _shared = shared();
    let (mut child, mut tui) = signal_by_keys(true);
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "still alive");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_remapped_key_drives_the_action_and_shows_in_help() {
    let _shared = shared();
    let dir = std::env::temp_dir().join(format!("threadtop-e2e-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[keys.all]\n\"Q\" = \"quit\"\n\"q\" = \"none\"\n").unwrap();
    let mut tui = Tui::start(&["--config", cfg.to_str().unwrap()], &[], 120, 40);
    tui.wait_for("COMMAND", T);
    tui.send(b"q");
    std::thread::sleep(Duration::from_millis(300));
    assert!(proc_state(tui.pid()).is_some(), "q no longer quits");
    tui.send(b"?");
    tui.wait_for("Keys (from the live keymap)", T);
    // PgDn until the quit line shows (wherever the command table puts it).
    for _ in 0..12 {
        if tui.screen().contains("F10 Ctrl-c Q quit") {
            break;
        }
        tui.send(b"\x1b[6~");
    }
    tui.wait_for("F10 Ctrl-c Q quit", T);
    tui.send(b"\x1b");
    tui.send(b"Q");
    assert!(tui.wait_exit(T).success());
}
