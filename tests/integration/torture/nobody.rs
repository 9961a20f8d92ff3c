//! Torture 6, unprivileged user: threadtop run as `nobody` (setpriv); the test runs as root to
//! switch, and fails otherwise unless `THREADTOP_SKIP_ROOT=1`. Other users' processes still show with their user, the
//! status line stays free of errors while nothing is asked of it, a signal to a root process
//! ends in an EPERM message in the status line (and the process lives), reading a root
//! process's environment is refused with a message, its threads view works, and threadtop
//! quits cleanly.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{BIN, Scratch, Tui, has_panic_text, opted_out, serial, status_number, table_rows};

const T: Duration = Duration::from_secs(20);
const NOBODY: u32 = 65534;

/// Why the test can't run here, if it can't.
fn unsupported() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not running as root, so it can't switch to nobody".into());
    }
    if !Path::new("/usr/bin/setpriv").exists() && !Path::new("/bin/setpriv").exists() {
        return Some("setpriv (util-linux) is not installed".into());
    }
    // SAFETY: a NUL-terminated name; the result is only compared with null.
    if unsafe { libc::getpwuid(NOBODY) }.is_null() {
        return Some("no user with uid 65534".into());
    }
    None
}

/// True when every directory above `path` lets others in and the file lets others run it.
fn others_can_run(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.permissions().mode() & 0o005 != 0o005 {
        return false;
    }
    path.ancestors().skip(1).all(|d| std::fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

/// The threadtop binary as nobody can run it: in place, or a copy in `scratch`.
pub fn binary_for_nobody(scratch: &Scratch) -> PathBuf {
    let bin = PathBuf::from(BIN);
    if others_can_run(&bin) {
        return bin;
    }
    let copy = scratch.path("threadtop");
    std::fs::copy(&bin, &copy).expect("copy the binary");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Its py-spy helper beside it, where threadtop looks for it.
    let helper = bin.with_file_name("threadtop-pyspy");
    if helper.is_file() {
        let to = scratch.path("threadtop-pyspy");
        std::fs::copy(&helper, &to).expect("copy the py-spy helper");
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&scratch.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(others_can_run(&copy), "{} is not reachable by others", copy.display());
    copy
}

/// Whether the row holding `row` has a figure, not `-`, under each right-aligned column title.
fn rates_shown(screen: &str, row: &str, titles: &[&str]) -> bool {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let find = |hay: &[char], needle: &str| {
        let n: Vec<char> = needle.chars().collect();
        hay.windows(n.len()).position(|w| w == n.as_slice())
    };
    let Some(header) = lines.iter().find(|l| titles.iter().all(|t| find(l, &format!(" {t}")).is_some())) else {
        return false;
    };
    let Some(line) = lines.iter().find(|l| find(l, row).is_some()) else { return false };
    titles.iter().all(|t| {
        let Some(start) = find(header, &format!(" {t}")) else { return false };
        let end = start + 1 + t.chars().count();
        let cell: String = line.get(start..end.min(line.len())).unwrap_or_default().iter().collect();
        !cell.trim().is_empty() && cell.trim() != "-"
    })
}

/// The status line: the line above the function-key bar.
fn status_line(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    lines
        .iter()
        .rposition(|l| l.starts_with("F1Help"))
        .and_then(|i| i.checked_sub(1))
        .map_or(String::new(), |i| lines[i].to_string())
}

struct Sleeper(std::process::Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn as_nobody() {
    let _serial = serial();
    if let Some(why) = unsupported() {
        // Not a silent pass: it fails here unless the user said to leave it out.
        if opted_out("THREADTOP_SKIP_ROOT") {
            return;
        }
        panic!("nobody: cannot run: {why}; run the tests as root (.ci/run does), or set THREADTOP_SKIP_ROOT=1");
    }
    let scratch = Scratch::new("nobody");
    let bin = binary_for_nobody(&scratch);
    let bin = bin.to_str().unwrap();
    // A root process of our own to act on, findable by its unique argument.
    let secs = format!("{}", 3000 + std::process::id() % 1000);
    let mut sleeper = Sleeper(Command::new("sleep").arg(&secs).stdout(Stdio::null()).spawn().unwrap());
    let target = sleeper.0.id();
    // And one of nobody's own, with a variable in its environment that threadtop may read.
    let secs_own = format!("{}", 5000 + std::process::id() % 1000);
    let _own = Sleeper(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", "TT_NOBODY_MARK=seen-by-nobody"])
            .args(["sleep", &secs_own])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let uid = format!("--reuid={NOBODY}");
    let gid = format!("--regid={NOBODY}");
    let args = ["--clear-groups", &uid, &gid, "--", bin, "--interval", "300ms"];
    let mut tui = Tui::start_program("setpriv", &args, &[], 160, 45, false);
    tui.wait_for("COMMAND", T);
    assert_eq!(status_number(tui.pid(), "Uid"), Some(u64::from(NOBODY)), "threadtop runs as nobody");

    // Others' processes show, with their user.
    assert!(
        tui.wait_until(T, |s| table_rows(s).iter().filter(|r| r.split_whitespace().nth(1) == Some("root")).count()
            >= 3),
        "root's processes are listed:\n{}",
        tui.screen()
    );
    tui.wait_for("nobody", T);
    // HOME is still root's, so the default config file can't be read: said once, then gone.
    let clean = |s: &str| {
        let status = status_line(s);
        !status.contains("denied") && !status.contains("cannot") && !status.contains("error")
    };
    assert!(tui.wait_until(T, clean), "the start-up warning goes away:\n{}", tui.screen());
    // No error spam: the status line stays clean over several refreshes.
    for _ in 0..10 {
        let status = status_line(&tui.screen());
        assert!(
            !status.contains("denied") && !status.contains("cannot") && !status.contains("error"),
            "status line: {status:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // A signal to root's process: EPERM in words, and the process lives.
    tui.send(b"/");
    tui.send(format!("sleep {secs}").as_bytes());
    tui.send(b"\r");
    tui.wait_selected(&format!("sleep {secs}"), T);
    tui.send(b"k");
    tui.wait_for("SIGTERM", T);
    tui.send(b"\r");
    tui.wait_for("Send SIGTERM (15) to:", T);
    tui.send(b"y");
    assert!(
        tui.wait_until(T, |s| status_line(s).contains("permission denied")),
        "EPERM in the status line:\n{}",
        tui.screen()
    );
    let status = status_line(&tui.screen());
    assert!(status.contains("SIGTERM sent to 0 of 1") && status.contains(&format!("PID {target}")), "{status}");
    assert!(sleeper.0.try_wait().unwrap().is_none(), "root's process is untouched");

    // Its environment can't be read: said, not crashed.
    tui.send(b"e");
    assert!(
        tui.wait_until(T, |s| status_line(s).contains("permission denied reading")),
        "environ refused in the status line:\n{}",
        tui.screen()
    );

    // Its threads view works: summary, user, the one thread, no error line.
    tui.send(b"\r");
    tui.wait_for(&format!("PID {target} sleep"), T);
    tui.wait_for("user root", T);
    tui.wait_for("sleep*", T);
    // The summary's second line is RES/VIRT/user, not an error reading the task directory.
    let screen = tui.screen();
    assert!(screen.lines().nth(1).is_some_and(|l| l.starts_with("RES ")), "{screen}");
    // Its rates (VCSW/s, NVCSW/s, WAIT%) fill in from the second sample on: readable as nobody.
    // (WAITING, WCHAN and the io rates are not: they need ptrace rights, and say `-`.)
    assert!(
        tui.wait_until(T, |s| rates_shown(s, "sleep*", &["VCSW/s", "NVCSW/s", "WAIT%"])),
        "the thread's rates are readable:\n{}",
        tui.screen()
    );
    // Its stack: the kernel's is root's only, and the overlay says so (not an error, no crash).
    tui.send(b"s");
    tui.wait_for("kernel stack needs root", T);
    assert!(!has_panic_text(&tui.screen()));
    tui.send(b"\x1b");
    assert!(tui.wait_until(T, |s| !s.contains("kernel stack needs root")), "Esc closes the stack:\n{}", tui.screen());
    tui.send(b"\x1b");
    tui.wait_for("COMMAND", T);

    // `e` on a process of its own user: the environment is shown (the non-root case).
    tui.send(b"\x1b");
    tui.send(b"/");
    tui.send(format!("sleep {secs_own}").as_bytes());
    tui.send(b"\r");
    tui.wait_selected(&format!("sleep {secs_own}"), T);
    tui.send(b"e");
    tui.wait_for("TT_NOBODY_MARK=seen-by-nobody", T);
    tui.send(b"\x1b");
    tui.wait_for("COMMAND", T);

    assert!(!has_panic_text(&tui.screen()));
    tui.send(b"q");
    let st = tui.wait_exit(T);
    assert!(st.success(), "{st:?}");
    assert!(tui.terminal_restored());
    assert!(sleeper.0.try_wait().unwrap().is_none(), "root's process still untouched");
    eprintln!(
        "nobody: ran as uid {NOBODY} ({bin}); SIGTERM to root's PID {target} refused with EPERM in the status line"
    );
}
