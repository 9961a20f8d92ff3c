//! README promises that need the real binary: `-u/--user`, `-M`, `-C` and NO_COLOR in what is
//! written to the terminal, threadtop exiting when its terminal goes away, never writing the
//! config file, and a non-zero CPU% in `threadtop snapshot`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::support::{BIN, Scratch, Tui, opted_out, proc_state, serial, shared, table_rows};

const T: Duration = Duration::from_secs(15);

/// A `sleep` run as nobody (uid 65534) through setpriv: a process of another user. None when
/// this test cannot switch users and `THREADTOP_SKIP_ROOT=1` says to leave that out.
fn nobody_sleeper(secs: &str) -> Option<std::process::Child> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        if opted_out("THREADTOP_SKIP_ROOT") {
            return None;
        }
        panic!("-u needs a process of another user: run the tests as root (.ci/run does), or THREADTOP_SKIP_ROOT=1");
    }
    let child = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "sleep", secs])
        .stdout(Stdio::null())
        .spawn()
        .expect("setpriv (util-linux) runs sleep as nobody");
    Some(child)
}

/// The USER column of each table row.
fn users(screen: &str) -> Vec<String> {
    table_rows(screen).iter().filter_map(|r| r.split_whitespace().nth(1).map(str::to_string)).collect()
}

#[test]
fn user_flag_lists_only_that_users_processes() {
    let _shared = shared();
    let secs = format!("{}", 4000 + std::process::id() % 1000);
    let Some(mut sleeper) = nobody_sleeper(&secs) else { return };
    for (flag, user, other) in [("-u", "root", "nobody"), ("--user", "nobody", "root")] {
        let mut tui = Tui::start(&[flag, user, "--interval", "300ms"], &[], 160, 40);
        tui.wait_for("COMMAND", T);
        assert!(
            tui.wait_until(T, |s| !users(s).is_empty() && users(s).iter().all(|u| u == user)),
            "{flag} {user}: every row is {user}'s:\n{}",
            tui.screen()
        );
        assert!(!users(&tui.screen()).iter().any(|u| u == other), "{flag} {user}: none of {other}'s");
        if user == "nobody" {
            tui.wait_for(&format!("sleep {secs}"), T);
        }
        tui.send(b"q");
        assert!(tui.wait_exit(T).success());
    }
    let _ = sleeper.kill();
    let _ = sleeper.wait();
}

/// Colour parameters of the SGR sequences (`ESC [ ... m`) in `raw`: 30-38, 40-48, 90-97, 100-107.
fn colour_sgrs(raw: &[u8]) -> usize {
    let text = String::from_utf8_lossy(raw);
    let mut n = 0;
    for seq in text.split("\x1b[").skip(1) {
        let Some(end) = seq.find(|c: char| !(c.is_ascii_digit() || c == ';')) else { continue };
        if !seq[end..].starts_with('m') {
            continue;
        }
        let colour = seq[..end]
            .split(';')
            .filter_map(|p| p.parse::<u32>().ok())
            .any(|p| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107));
        n += usize::from(colour);
    }
    n
}

/// Runs threadtop with `args` and `envs` until the table is drawn, quits, and returns every byte
/// it wrote to the terminal.
fn raw_of(args: &[&str], envs: &[(&str, &str)]) -> Vec<u8> {
    let mut tui = Tui::start_program(BIN, args, envs, 120, 40, true);
    tui.wait_for("COMMAND", T);
    tui.wait_until(T, |s| s.contains("sample "));
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    tui.raw_output()
}

#[test]
fn no_color_and_dash_c_write_no_colour_at_all() {
    let _shared = shared();
    let coloured = colour_sgrs(&raw_of(&[], &[]));
    assert!(coloured > 0, "by default the screen has colour");
    let c = colour_sgrs(&raw_of(&["-C"], &[]));
    assert_eq!(c, 0, "-C: no colour sequence");
    let no_color = colour_sgrs(&raw_of(&[], &[("NO_COLOR", "1")]));
    assert_eq!(no_color, 0, "NO_COLOR=1: no colour sequence");
}

#[test]
fn dash_m_leaves_the_mouse_to_the_terminal() {
    let _shared = shared();
    // crossterm's EnableMouseCapture turns on X10/button-event tracking first of all.
    let capture = |raw: &[u8]| raw.windows(8).any(|w| w == b"\x1b[?1000h");
    assert!(capture(&raw_of(&[], &[])), "by default the mouse is captured");
    assert!(!capture(&raw_of(&["-M"], &[])), "-M: no mouse capture");
    assert!(!capture(&raw_of(&["--no-mouse"], &[])), "--no-mouse: no mouse capture");
}

/// The terminal goes away (its window closed): the pty's master side is closed with nothing
/// else holding it. threadtop exits, by SIGHUP or by its hang-up watchdog, cleanly.
#[test]
fn threadtop_exits_when_its_terminal_goes_away() {
    let _shared = shared();
    let pair = native_pty_system().openpty(PtySize { rows: 30, cols: 100, pixel_width: 0, pixel_height: 0 }).unwrap();
    let mut cmd = CommandBuilder::new(BIN);
    cmd.env("TERM", "xterm-256color");
    let mut child = pair.slave.spawn_command(cmd).expect("spawn threadtop in a pty");
    drop(pair.slave);
    let pid = child.process_id().expect("pid") as i32;
    // Up and drawing: its first frame comes through the master.
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut buf = [0u8; 4096];
    let mut got = 0;
    let end = Instant::now() + T;
    while got < 2000 && Instant::now() < end {
        match std::io::Read::read(&mut reader, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert!(got >= 2000, "threadtop drew its first frame ({got} bytes)");
    drop(reader);
    drop(pair.master);
    let end = Instant::now() + T;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < end, "threadtop ({pid}, state {:?}) still runs without a terminal", proc_state(pid));
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
}

/// Every file under `dir`, with its bytes.
fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn it_never_writes_the_config_file() {
    let _shared = shared();
    let scratch = Scratch::new("never-writes-config");
    let (home, xdg) = (scratch.path("home"), scratch.path("xdg"));
    std::fs::create_dir_all(home.join(".config")).unwrap();
    std::fs::create_dir_all(xdg.join("threadtop")).unwrap();
    let cfg = xdg.join("threadtop/config.toml");
    std::fs::write(&cfg, "# mine\ninterval = \"2s\"\n").unwrap();
    let mtime = std::fs::metadata(&cfg).unwrap().modified().unwrap();
    let before = files_under(&scratch.0);
    let envs = [("HOME", home.to_str().unwrap()), ("XDG_CONFIG_HOME", xdg.to_str().unwrap())];
    let mut tui = Tui::start(&[], &envs, 140, 40);
    tui.wait_for("COMMAND", T);
    // Settings a user changes as they go: sort, tree, every thread, the graph, search.
    for keys in [&b"M"[..], b"t", b"H", b"H", b"t", b"P", b"/x\x1b"] {
        tui.send(keys);
    }
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    assert_eq!(files_under(&scratch.0), before, "no file under HOME or XDG_CONFIG_HOME was written or added");
    assert_eq!(std::fs::metadata(&cfg).unwrap().modified().unwrap(), mtime, "the config file was not rewritten");
}

#[test]
fn snapshot_shows_a_busy_process_with_its_cpu() {
    // A spinning thread of this process must show: nothing else heavy meanwhile.
    let _serial = serial();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let spinner = std::thread::Builder::new()
        .name("snapshot-spin".into())
        .spawn(move || {
            while !s.load(Ordering::Relaxed) {
                std::hint::black_box((0..10_000u64).sum::<u64>());
            }
        })
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let out = Command::new(BIN).args(["snapshot", "--json"]).output().unwrap();
    stop.store(true, Ordering::Relaxed);
    let _ = spinner.join();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mine = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pid"] == i64::from(std::process::id()))
        .expect("this process listed");
    let cpu = mine["cpu_percent"].as_f64().unwrap();
    // One thread spinning: a good share of one core over snapshot's sampling window.
    assert!(cpu > 20.0, "a spinning thread shows CPU% {cpu} in the snapshot");
}
