//! Torture 7, a lost /proc: `--proc-root DIR` pointing at a fake tree with truncated, empty
//! and garbage `stat`/`statm`/`status`/`schedstat` files, missing files, files where directories
//! belong, absurd numbers and a lying PID field. threadtop shows the entries it can read, marks
//! what it can't read in them (`-` for unknown rates, `[name]` for a missing command line, stat's
//! rss for RES where statm is missing or broken), leaves out entries whose `stat` can't be parsed
//! (as it does for a process that vanished between listing and reading), and never crashes;
//! `snapshot --json` and `threads` stay valid.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{BIN, Scratch, Tui, has_panic_text, proc_state, serial, table_rows};

const T: Duration = Duration::from_secs(20);

/// A stat line as the kernel writes it (52 fields), with the fields threadtop reads set.
#[allow(clippy::too_many_arguments)]
fn stat_line(
    pid: &str,
    comm: &str,
    state: &str,
    ppid: &str,
    utime: &str,
    nthreads: &str,
    start: &str,
    rss: &str,
) -> String {
    format!(
        "{pid} ({comm}) {state} {ppid} {pid} {pid} 0 -1 4194560 100 0 0 0 {utime} 3 0 0 20 0 {nthreads} 0 {start} \
         10485760 {rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    )
}

fn good(pid: u32, comm: &str) -> String {
    stat_line(&pid.to_string(), comm, "S", "1", "150", "1", "1000", "300")
}

const STATUS: &str = "Name:\tx\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\nThreads:\t1\n\
                      voluntary_ctxt_switches:\t10\nnonvoluntary_ctxt_switches:\t2\n";

fn write(root: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// The fake tree. Entries 100, 104, 106 and 108 have a usable stat; the rest do not (107's
/// names another PID).
fn fake_proc(root: &Path) {
    // System-wide stat: garbage after a short cpu line.
    write(root, "stat", "cpu  1 2\ncpu0 x y z\n\x00\x01garbage\nbtime notanumber\n");
    // 100: a good process with four threads, of which two can be read.
    write(root, "100/stat", good(100, "good-one"));
    write(root, "100/cmdline", "good-one\0--flag\0");
    write(root, "100/status", STATUS);
    // RES and SHR come from statm; the other entries have none, or a broken one, and show
    // stat's rss instead.
    write(root, "100/statm", "2560 200 50 3 0 100 0\n");
    write(root, "100/task/100/stat", good(100, "good-one"));
    write(root, "100/task/100/status", STATUS);
    write(root, "100/task/100/schedstat", "1000 2000 3\n");
    write(root, "100/task/101/stat", good(101, "worker-ok"));
    write(root, "100/task/101/status", "\x7fELF garbage \n\n\n");
    write(root, "100/task/101/schedstat", "");
    write(root, "100/task/102/stat", &good(102, "cut-thread")[..40]);
    write(root, "100/task/103/stat", [0xffu8, 0, 0x1b, b'[', b'2', b'J', 0x80, b')', b'(']);
    std::fs::create_dir_all(root.join("100/task/104")).unwrap();
    // 101: truncated; 102: empty; 103: binary garbage; 105: no files; 109: a bad state.
    write(root, "101/stat", &good(101, "truncated")[..60]);
    write(root, "102/stat", "");
    write(root, "103/stat", (0..=255u8).cycle().take(3000).collect::<Vec<u8>>());
    std::fs::create_dir_all(root.join("105")).unwrap();
    write(root, "109/stat", stat_line("109", "bad-state", "?", "1", "1", "1", "1", "1"));
    // 104: stat only: no cmdline, status or task directory.
    write(root, "104/stat", good(104, "no-cmdline"));
    // 106: absurd numbers everywhere.
    let max = u64::MAX.to_string();
    write(root, "106/stat", stat_line("106", "extreme", "R", "-5", &max, "-7", &max, &max));
    write(root, "106/cmdline", "extreme");
    write(root, "106/statm", b"\x00\x01 garbage \xff\n");
    // 107: its stat says it is PID 100: a liar.
    write(root, "107/stat", good(100, "liar"));
    // 108: a 5000-byte name with a newline in it.
    write(root, "108/stat", good(108, &format!("{}\nlong", "n".repeat(5000))));
    write(root, "108/statm", "2560 20");
    // 110: a file where a directory belongs; 111: a directory where stat belongs.
    write(root, "110", "not a directory");
    std::fs::create_dir_all(root.join("111/stat")).unwrap();
    std::fs::create_dir_all(root.join("not-a-pid")).unwrap();
}

#[test]
fn fake_proc_tree_in_the_tui() {
    let _serial = serial();
    let scratch = Scratch::new("proc");
    let root = scratch.path("proc");
    fake_proc(&root);
    let r = root.to_str().unwrap();
    let mut tui = Tui::start(&["--proc-root", r, "--interval", "200ms"], &[], 160, 40);
    tui.wait_for("good-one --flag", T);
    tui.wait_for("[no-cmdline]", T);
    tui.wait_for("extreme", T);
    std::thread::sleep(Duration::from_secs(1));
    let screen = tui.screen();
    let rows: Vec<String> = table_rows(&screen).into_iter().filter(|l| !l.trim().is_empty()).collect();
    let pids: Vec<&str> = rows.iter().filter_map(|r| r.split_whitespace().next()).collect();
    for shown in ["100", "104", "106", "108"] {
        assert!(pids.contains(&shown), "PID {shown} listed: {pids:?}\n{screen}");
    }
    assert_eq!(pids.iter().filter(|p| **p == "100").count(), 1, "no second row for PID 100:\n{screen}");
    assert!(!screen.contains("liar"), "{screen}");
    for hidden in ["101", "102", "103", "105", "107", "109", "110", "111"] {
        assert!(!pids.contains(&hidden), "PID {hidden} has no usable stat: {pids:?}\n{screen}");
    }
    // Every listed row is one line that starts with a PID (the long name's newline escaped).
    for r in &rows {
        assert!(r.split_whitespace().next().is_some_and(|p| p.parse::<i64>().is_ok()), "{r:?}\n{screen}");
    }
    assert!(!has_panic_text(&screen));

    // Every sort key and the tree over the absurd numbers and the duplicate PID.
    // (Ending on P: with PID sorted, the header's PID cell wears the selection colour.)
    for key in [&b"N"[..], b"I", b"M", b"T", b"t", b"t", b"H", b"H", b"K", b"K", b"P"] {
        tui.send(key);
        std::thread::sleep(Duration::from_millis(250));
        assert!(proc_state(tui.pid()).is_some_and(|s| s != 'Z'), "alive after {key:?}:\n{}", tui.screen());
    }

    // The threads view of 100: the two readable threads, unknown fields as `-`.
    tui.send(b"/");
    tui.send(b"good-one");
    tui.send(b"\r");
    tui.wait_selected("good-one", T);
    tui.send(b"\r");
    tui.wait_for("PID 100 good-one", T);
    tui.wait_for("worker-ok", T);
    std::thread::sleep(Duration::from_secs(1));
    let screen = tui.screen();
    let worker = screen.lines().find(|l| l.contains("worker-ok")).unwrap_or_default().to_string();
    assert!(worker.split_whitespace().filter(|f| *f == "-").count() >= 3, "unknown rates shown as -: {worker:?}");
    assert!(!screen.contains("cut-thread"), "{screen}");
    assert!(!has_panic_text(&screen));
    tui.send(b"q");
    let st = tui.wait_exit(T);
    assert!(st.success(), "{st:?}");
    assert!(tui.terminal_restored());
}

#[test]
fn fake_proc_tree_in_snapshot_and_threads() {
    let _serial = serial();
    let scratch = Scratch::new("proc-cmd");
    let root = scratch.path("proc");
    fake_proc(&root);
    let r = root.to_str().unwrap();
    let out = Command::new(BIN).args(["--proc-root", r, "snapshot", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let mut pids: Vec<i64> = v.as_array().unwrap().iter().filter_map(|p| p["pid"].as_i64()).collect();
    pids.sort_unstable();
    assert_eq!(pids, vec![100, 104, 106, 108], "{v}");
    let page = threadtop::collect::procfs::page_size();
    let mem = |pid: i64| {
        let r = v.as_array().unwrap().iter().find(|p| p["pid"] == pid).unwrap();
        (r["rss_bytes"].as_u64().unwrap(), r["shared_bytes"].as_u64().unwrap())
    };
    assert_eq!(mem(100), (200 * page, 50 * page), "from statm: {v}");
    // No statm (104), a garbage one (106, whose stat rss is absurd) and a cut one (108).
    assert_eq!(mem(104), (300 * page, 0), "stat's rss: {v}");
    assert_eq!(mem(106), (u64::MAX, 0), "stat's rss, saturated: {v}");
    assert_eq!(mem(108), (300 * page, 0), "stat's rss: {v}");

    let out = Command::new(BIN).args(["--proc-root", r, "snapshot"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 5, "{out:?}");

    let out =
        Command::new(BIN).args(["--proc-root", r, "threads", "100", "--json", "--interval", "100ms"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let text = v.to_string();
    assert!(text.contains("worker-ok") && !text.contains("cut-thread"), "{text}");

    // A PID the tree does not have, and one whose stat is garbage: a clear error, no panic.
    for pid in ["4242", "103"] {
        let out = Command::new(BIN).args(["--proc-root", r, "threads", pid]).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(pid) && !err.contains("panicked"), "{err}");
    }
}

#[test]
fn missing_and_empty_proc_roots() {
    let _serial = serial();
    let scratch = Scratch::new("proc-empty");
    let empty = scratch.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for root in [empty.to_str().unwrap(), "/nonexistent/proc"] {
        let mut tui = Tui::start(&["--proc-root", root, "--interval", "200ms"], &[], 120, 30);
        tui.wait_for("no process to show", T);
        std::thread::sleep(Duration::from_millis(600));
        assert!(!has_panic_text(&tui.screen()));
        tui.send(b"q");
        assert!(tui.wait_exit(T).success(), "{root}");
        let out = Command::new(BIN).args(["--proc-root", root, "snapshot", "--json"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(), serde_json::json!([]));
    }
}
