//! Torture 3, hostile names: processes whose names (comm, from the file name they were started
//! through) and command lines (argv[0]) hold spaces, `)`, `(`, newlines, tabs, escape sequences
//! (`\x1b[2J`, an OSC title) and invalid UTF-8, and threads of this test named the same way.
//! They must be listed one row each with the table intact, their control bytes shown visibly
//! (`^[`, `^J`, U+FFFD for bad UTF-8), and none of their escape sequences may reach the terminal:
//! the raw bytes threadtop wrote are searched for them. `snapshot --json` stays valid JSON and
//! holds the names; `snapshot`'s text escapes them.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::{BIN, Scratch, Tui, has_panic_text, serial, table_rows};

const T: Duration = Duration::from_secs(20);

/// (the name's bytes, how it is shown). comm keeps at most 15 bytes. Invalid UTF-8 is shown as
/// U+FFFD, which threadtop writes but the vt100 parser drops, so the screen has `badutf8` and
/// the raw output `bad\u{fffd}\u{fffd}utf8` (checked by `shown_raw`).
const NAMES: &[(&[u8], &str)] = &[
    (b"a) (b c", "a) (b c"),
    (b"x\ny\tz", "x^Jy^Iz"),
    (b"\x1b[2Jevil", "^[[2Jevil"),
    (b"\x1b]0;pwned\x07", "^[]0;pwned^G"),
    (b"bad\xff\xfeutf8", "badutf8"),
    (b") S 1 2 3 (", ") S 1 2 3 ("),
];

/// The invalid UTF-8 name as threadtop writes it (checked in the raw output: ratatui writes
/// only changed cells, so only text without spaces is sure to appear there in one piece).
const BAD_UTF8_RAW: &str = "bad\u{fffd}\u{fffd}utf8";

fn raw_contains(raw: &[u8], text: &str) -> bool {
    raw.windows(text.len()).any(|w| w == text.as_bytes())
}

/// argv[0] of every hostile process: all of it at once.
const ARGV0: &[u8] = b"\x1b[2J\x1b[31mARGV ) ( \n\t \xff\x1b]2;argv-title\x07 end";

/// Byte sequences that must never reach the terminal.
const FORBIDDEN: &[&[u8]] =
    &[b"\x1b[2Jevil", b"\x1b]0;pwned", b"x\ny", b"\x1b[31mARGV", b"\x1b]2;argv-title", b"\x1b[2J\x1b[31m"];

struct Hostile {
    children: Vec<std::process::Child>,
    _dir: Scratch,
}

impl Hostile {
    /// `sleep 300` started through a symlink named `name`: the kernel takes comm from it.
    fn start() -> Hostile {
        let dir = Scratch::new("names");
        let sleep = ["/usr/bin/sleep", "/bin/sleep"].into_iter().find(|p| std::path::Path::new(p).exists());
        let sleep = sleep.expect("a sleep binary");
        let mut children = Vec::new();
        for (i, (name, _)) in NAMES.iter().enumerate() {
            let sub = dir.path(&i.to_string());
            std::fs::create_dir_all(&sub).unwrap();
            let link = sub.join(OsStr::from_bytes(name));
            std::os::unix::fs::symlink(sleep, &link).unwrap();
            let child = Command::new(&link)
                .arg0(OsStr::from_bytes(ARGV0))
                .arg("300")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start a hostile sleep");
            children.push(child);
        }
        // Wait for each exec: comm changes from ours to the link's name.
        for (c, (name, _)) in children.iter().zip(NAMES) {
            let want = &name[..name.len().min(15)];
            let end = std::time::Instant::now() + T;
            while std::fs::read(format!("/proc/{}/comm", c.id()))
                .ok()
                .as_deref()
                .map(|b| b.strip_suffix(b"\n").unwrap_or(b))
                != Some(want)
            {
                assert!(std::time::Instant::now() < end, "exec of {name:?}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Hostile { children, _dir: dir }
    }

    fn pids(&self) -> Vec<u32> {
        self.children.iter().map(std::process::Child::id).collect()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Threads of this test process named with the same hostile bytes (through prctl).
struct HostileThreads {
    stop: Arc<AtomicBool>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl HostileThreads {
    fn start() -> HostileThreads {
        let stop = Arc::new(AtomicBool::new(false));
        let handles = NAMES
            .iter()
            .map(|(name, _)| {
                let stop = stop.clone();
                let mut cname = name[..name.len().min(15)].to_vec();
                cname.push(0);
                std::thread::spawn(move || {
                    // SAFETY: a NUL-terminated buffer that lives through the call.
                    unsafe { libc::prctl(libc::PR_SET_NAME, cname.as_ptr()) };
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                })
            })
            .collect();
        HostileThreads { stop, handles }
    }
}

impl Drop for HostileThreads {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

fn assert_nothing_forbidden(raw: &[u8], when: &str) {
    for f in FORBIDDEN {
        assert!(!raw.windows(f.len()).any(|w| w == *f), "{when}: {f:?} reached the terminal");
    }
}

/// Every non-blank table row starts with a PID: no name broke a row in two.
fn assert_rows_intact(screen: &str, expect_pids: &[u32]) {
    let rows: Vec<String> = table_rows(screen).into_iter().filter(|r| !r.trim().is_empty()).collect();
    for r in &rows {
        let first = r.split_whitespace().next().unwrap_or("");
        assert!(first.parse::<u32>().is_ok(), "a row that does not start with a PID: {r:?}\n{screen}");
    }
    for pid in expect_pids {
        let n = rows.iter().filter(|r| r.split_whitespace().next() == Some(&pid.to_string())).count();
        assert_eq!(n, 1, "PID {pid} on exactly one row:\n{screen}");
    }
}

#[test]
fn hostile_names_in_the_tui() {
    let _serial = serial();
    let hostile = Hostile::start();
    let pids = hostile.pids();
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let list = list.join(",");
    let mut tui = Tui::start_program(BIN, &["-p", &list, "--interval", "200ms"], &[], 200, 40, true);
    tui.wait_for("COMMAND", T);
    for (_, shown) in NAMES {
        tui.wait_for(shown, T);
    }
    tui.wait_for("^[[2J^[[31mARGV ) ( ^J^I ^[]2;argv-title^G", T);
    let raw = tui.raw_output();
    assert!(raw_contains(&raw, BAD_UTF8_RAW), "U+FFFD written for invalid UTF-8");
    assert!(raw_contains(&raw, "\u{fffd}^[]2;argv-title^G"), "argv escaped");
    let screen = tui.screen();
    assert_rows_intact(&screen, &pids);
    // Sorting by command puts the hostile rows through the comparator, the tree through its
    // prefixes; the screen must stay whole.
    for keys in [&b"t"[..], b"t", b"<", b">"] {
        tui.send(keys);
        std::thread::sleep(Duration::from_millis(300));
        assert_rows_intact(&tui.screen(), &pids);
    }

    // The threads view of the process named ESC[2J: its summary and its one thread.
    tui.send(b"/");
    tui.send(b"2Jevil");
    tui.send(b"\r");
    tui.wait_selected("^[[2Jevil", T);
    tui.send(b"\r");
    tui.wait_for(&format!("PID {} ^[[2Jevil", pids[2]), T);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!has_panic_text(&tui.screen()));
    assert!(tui.in_alternate_screen(), "nothing switched the screen");
    assert_nothing_forbidden(&tui.raw_output(), "table and threads view");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    assert!(tui.terminal_restored());
    assert_nothing_forbidden(&tui.raw_output(), "after quitting");
}

#[test]
fn hostile_thread_names_in_the_threads_view() {
    let _serial = serial();
    let _threads = HostileThreads::start();
    let me = std::process::id().to_string();
    std::thread::sleep(Duration::from_millis(100));
    let mut tui = Tui::start_program(BIN, &["--threads-of", &me, "--interval", "200ms"], &[], 200, 50, true);
    tui.wait_for(&format!("PID {me}"), T);
    for (_, shown) in NAMES {
        tui.wait_for(shown, T);
    }
    // H in the process list: the same names as thread rows.
    tui.send(b"\x1b");
    tui.wait_for("COMMAND", T);
    tui.send(b"/");
    tui.send(me.as_bytes());
    tui.send(b"\r");
    tui.send(b"H");
    tui.wait_for("^[[2Jevil", T);
    tui.wait_for("x^Jy^Iz", T);
    assert!(raw_contains(&tui.raw_output(), BAD_UTF8_RAW), "U+FFFD written for invalid UTF-8");
    assert!(!has_panic_text(&tui.screen()));
    assert_nothing_forbidden(&tui.raw_output(), "thread names");
    tui.send(b"q");
    assert!(tui.wait_exit(T).success());
    assert_nothing_forbidden(&tui.raw_output(), "thread names, after quitting");
}

#[test]
fn hostile_names_in_snapshot() {
    let _serial = serial();
    let hostile = Hostile::start();
    let pids = hostile.pids();
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let list = list.join(",");

    let out = Command::new(BIN).args(["-p", &list, "snapshot", "--json"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_nothing_forbidden(&out.stdout, "snapshot --json");
    assert!(!out.stdout.contains(&0x1b), "JSON escapes ESC as \\u001b");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("snapshot --json is valid JSON");
    let rows = v.as_array().expect("an array");
    let argv0 = String::from_utf8_lossy(ARGV0);
    for (pid, (name, _)) in pids.iter().zip(NAMES) {
        let row = rows.iter().find(|r| r["pid"] == *pid).unwrap_or_else(|| panic!("PID {pid} in {v}"));
        assert_eq!(row["name"].as_str(), Some(&*String::from_utf8_lossy(name)), "{row}");
        let cmd = row["cmdline"].as_str().unwrap_or_default();
        assert!(cmd.starts_with(&*argv0) && cmd.ends_with(" 300"), "{cmd:?}");
    }

    let out = Command::new(BIN).args(["-p", &list, "snapshot"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_nothing_forbidden(&out.stdout, "snapshot text");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "no control bytes in the text table:\n{text}");
    // The table shows command lines (argv[0] here), escaped.
    let argv_shown = "^[[2J^[[31mARGV ) ( ^J^I \u{fffd}^[]2;argv-title^G end 300";
    assert_eq!(text.matches(argv_shown).count(), pids.len(), "{text}");
    // One line per process plus the header.
    assert_eq!(text.lines().count(), pids.len() + 1, "{text}");

    // `threads PID` of the ESC one, text and JSON.
    let pid = pids[2].to_string();
    let out = Command::new(BIN).args(["threads", &pid, "--interval", "100ms"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_nothing_forbidden(&out.stdout, "threads text");
    assert!(String::from_utf8_lossy(&out.stdout).contains("^[[2Jevil"));
    let out = Command::new(BIN).args(["threads", &pid, "--json", "--interval", "100ms"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let _: serde_json::Value = serde_json::from_slice(&out.stdout).expect("threads --json is valid JSON");
}
