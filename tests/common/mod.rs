//! Shared helpers for end-to-end tests: the real binary in a pseudo-terminal (portable-pty),
//! its screen parsed by vt100, and /proc checks for leftover demo processes.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

pub const BIN: &str = env!("CARGO_BIN_EXE_threadtop");

pub struct Tui {
    pub child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    pub parser: Arc<Mutex<vt100::Parser>>,
    reader: Option<JoinHandle<()>>,
    /// Every byte threadtop wrote, when started with `start_program(.., capture: true)`.
    raw: Option<Arc<Mutex<Vec<u8>>>>,
}

impl Tui {
    pub fn start(args: &[&str], envs: &[(&str, &str)], cols: u16, rows: u16) -> Tui {
        Tui::start_program(BIN, args, envs, cols, rows, false)
    }

    /// Like `start`, but runs `program` (e.g. `setpriv ... threadtop`) and, with `capture`, keeps
    /// every byte written to the terminal for `raw_output`.
    pub fn start_program(
        program: &str,
        args: &[&str],
        envs: &[(&str, &str)],
        cols: u16,
        rows: u16,
        capture: bool,
    ) -> Tui {
        let pair =
            native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("openpty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("RUST_BACKTRACE", "0");
        cmd.env_remove("NO_COLOR");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn threadtop in a pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser =
            Arc::new(Mutex::new(vt100::Parser::new(NonZeroU16::new(rows).unwrap(), NonZeroU16::new(cols).unwrap(), 0)));
        let p = parser.clone();
        let raw = capture.then(|| Arc::new(Mutex::new(Vec::new())));
        let r = raw.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Some(r) = &r {
                    r.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                p.lock().unwrap().process(&buf[..n]);
            }
        });
        Tui { child, master: pair.master, writer, parser, reader: Some(reader), raw }
    }

    /// Everything written to the terminal so far (empty unless started with `capture`).
    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.as_ref().map(|r| r.lock().unwrap().clone()).unwrap_or_default()
    }

    /// Writes without the pause `send` takes: for floods.
    pub fn send_quick(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    pub fn pid(&self) -> i32 {
        self.child.process_id().expect("child pid") as i32
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until the screen contains `text`; panics with the screen if it never does.
    pub fn wait_for(&self, text: &str, timeout: Duration) {
        if !self.wait_until(timeout, |s| s.contains(text)) {
            panic!("'{text}' not on screen after {timeout:?}; screen:\n{}", self.screen());
        }
    }

    pub fn wait_until(&self, timeout: Duration, mut f: impl FnMut(&str) -> bool) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if f(&self.screen()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        f(&self.screen())
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
        // Let the app read each burst as its own event batch.
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize");
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(NonZeroU16::new(rows).unwrap(), NonZeroU16::new(cols).unwrap());
    }

    /// Waits for exit; kills the child and panics if it does not exit in time.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let end = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                return st;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("threadtop did not exit within {timeout:?}; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// True when the terminal is back to normal: main screen, cursor visible.
    pub fn terminal_restored(&self) -> bool {
        let p = self.parser.lock().unwrap();
        !p.screen().alternate_screen() && !p.screen().hide_cursor()
    }

    pub fn in_alternate_screen(&self) -> bool {
        self.parser.lock().unwrap().screen().alternate_screen()
    }

    /// The screen row holding `text`, with whether it is drawn highlighted (selected row).
    pub fn row_with(&self, text: &str) -> Option<(u16, String, bool)> {
        let p = self.parser.lock().unwrap();
        let screen = p.screen();
        let (rows, cols) = screen.size();
        for r in 0..rows.get() {
            let line = screen.contents_between(r, 0, r, cols.get());
            if line.contains(text) {
                let highlighted = (0..cols.get())
                    .filter_map(|c| screen.cell(r, c))
                    .any(|c| c.inverse() || !matches!(c.bgcolor(), vt100::Color::Default));
                return Some((r, line, highlighted));
            }
        }
        None
    }
}

impl Tui {
    /// The text of the selected row (drawn on the selection colour), if any.
    pub fn selected_row(&self) -> Option<String> {
        let p = self.parser.lock().unwrap();
        let screen = p.screen();
        let (rows, cols) = screen.size();
        // The selection colour: cyan in the 16-colour theme, 80 in the 256-colour one (the tests
        // run with TERM=xterm-256color). The header's sorted column shares it, so skip the header.
        (0..rows.get()).find_map(|r| {
            let cell = screen.cell(r, 1)?;
            let line = screen.contents_between(r, 0, r, cols.get());
            let selection = matches!(cell.bgcolor(), vt100::Color::Idx(6) | vt100::Color::Idx(80));
            (selection && !line.contains("COMMAND")).then_some(line)
        })
    }

    /// Waits until the selected row contains `text`; panics with the screen if it never does.
    pub fn wait_selected(&self, text: &str, timeout: Duration) {
        if !self.wait_until(timeout, |_| self.selected_row().is_some_and(|r| r.contains(text))) {
            panic!("no selected row with '{text}' after {timeout:?}; screen:\n{}", self.screen());
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The kernel's one-letter state of a PID, None when it is gone.
pub fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    stat.get(close + 2).map(|&b| b as char)
}

/// Live (not zombie) processes whose name starts with `tt-` and whose ancestry includes `root`.
pub fn live_demo_processes_of(root: i32) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let comm = comm.trim_end().to_string();
        if !comm.starts_with("tt-") || matches!(proc_state(pid), Some('Z') | Some('X') | None) {
            continue;
        }
        if root <= 0 || descends_from(pid, root) || started_by_gone(pid) {
            out.push((pid, comm));
        }
    }
    out
}

fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 2..]).ok()?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn descends_from(mut pid: i32, root: i32) -> bool {
    for _ in 0..64 {
        match ppid(pid) {
            Some(p) if p == root => return true,
            Some(p) if p > 1 => pid = p,
            _ => return false,
        }
    }
    false
}

/// A demo orphaned by a dead threadtop is re-parented to PID 1 (or a subreaper): it still counts.
fn started_by_gone(pid: i32) -> bool {
    matches!(ppid(pid), Some(1))
}

/// Waits until no live demo process of `root` remains; returns what is left after `timeout`.
pub fn wait_no_demos(root: i32, timeout: Duration) -> Vec<(i32, String)> {
    let end = Instant::now() + timeout;
    loop {
        let left = live_demo_processes_of(root);
        if left.is_empty() || Instant::now() > end {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------------------------
// Torture-suite helpers (tests/torture_*.rs): serialisation, helper processes, /proc readings.

/// Heavy scenarios of one test binary run one at a time (cargo runs the binaries one by one).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A duration in seconds from the environment, or `default`.
pub fn env_secs(name: &str, default: f64) -> Duration {
    let secs = std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok()).filter(|s| s.is_finite() && *s > 0.0);
    Duration::from_secs_f64(secs.unwrap_or(default))
}

/// A count from the environment, or `default`.
pub fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A small deterministic PRNG (xorshift64*), so a failing run can be repeated from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A seed from the environment (`TORTURE_SEED`) or the clock; printed by the caller.
pub fn seed() -> u64 {
    match std::env::var("TORTURE_SEED").ok().and_then(|v| v.parse().ok()) {
        Some(s) => s,
        None => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64),
    }
}

/// A scratch directory of this test process, removed on drop.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("threadtop-torture-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// utime + stime of a process in clock ticks.
pub fn cpu_ticks(pid: i32) -> Option<u64> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 2..]).ok()?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// A `Name:\tvalue` line of /proc/PID/status, as a number (e.g. `VmRSS` in KiB, `Threads`).
pub fn status_number(pid: i32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?;
    line[key.len() + 1..].split_whitespace().next()?.parse().ok()
}

pub fn clock_ticks_per_sec() -> u64 {
    // SAFETY: sysconf with a constant name has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(hz).unwrap_or(100).max(1)
}

/// True if the screen shows a Rust panic message (`thread 'x' panicked at src/...`). Specific,
/// because other processes' command lines on screen may contain any word.
pub fn has_panic_text(screen: &str) -> bool {
    screen.contains("' panicked at ") || screen.contains("RUST_BACKTRACE=1")
}

/// The lines of the process table under its header row (`PID ... COMMAND`), up to the status
/// line above the function-key bar.
pub fn table_rows(screen: &str) -> Vec<String> {
    let mut lines = screen.lines().skip_while(|l| !(l.contains("PID") && l.contains("COMMAND")));
    lines.next();
    let mut rows: Vec<String> = lines.take_while(|l| !l.contains("F10Quit")).map(str::to_string).collect();
    if screen.contains("F10Quit") {
        rows.pop();
    }
    rows
}

/// Processes this test started as helpers: this test binary run again with `--exact helper
/// --ignored` and `THREADTOP_TORTURE_HELPER` saying what to be. Each dies with the test thread
/// that started it (PR_SET_PDEATHSIG) and is killed and reaped on drop.
pub struct HelperProc(pub std::process::Child);

pub const HELPER_ENV: &str = "THREADTOP_TORTURE_HELPER";

impl HelperProc {
    /// `tag` goes on the command line (a harmless `--skip` filter) so searches can find it.
    pub fn spawn(kind: &str, tag: &str, envs: &[(&str, &str)]) -> HelperProc {
        let mut cmd = std::process::Command::new(std::env::current_exe().expect("current exe"));
        cmd.args(["--skip", tag, "--exact", "helper", "--ignored", "--nocapture", "--test-threads", "1"])
            .env(HELPER_ENV, kind)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        HelperProc(cmd.spawn().expect("spawn helper"))
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }

    /// Waits until the helper has at least `n` threads; false on timeout or exit.
    pub fn wait_threads(&mut self, n: u64, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return false;
            }
            if status_number(self.pid(), "Threads").is_some_and(|t| t >= n) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for HelperProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The body of each torture file's `#[test] #[ignore] fn helper()`: does nothing unless this
/// process was started by `HelperProc::spawn`.
pub fn run_helper() {
    match std::env::var(HELPER_ENV).as_deref() {
        Ok("churn") => churn_main(),
        Ok("park") => park_main(),
        _ => {}
    }
}

/// Dies with the parent (the test thread that spawned us), and at once if it is already gone.
fn die_with_parent() {
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number; getppid has no preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            libc::_exit(0);
        }
    }
}

/// Churn: forks short-lived children at `TORTURE_CHURN_RATE` per second (default 500), each
/// living 0-15 ms, reaps them, and keeps two threads creating and joining batches of short-lived
/// named threads (`churn-N`). Writes `spawned reaped threads elapsed_ms` to
/// `THREADTOP_TORTURE_OUT` four times a second. Stops after `TORTURE_CHURN_LIMIT` seconds.
fn churn_main() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    die_with_parent();
    let rate = env_count("TORTURE_CHURN_RATE", 500) as f64;
    let limit = env_secs("TORTURE_CHURN_LIMIT", 3600.0);
    let out = std::env::var("THREADTOP_TORTURE_OUT").ok();
    let stop = Arc::new(AtomicBool::new(false));
    let threads_made = Arc::new(AtomicU64::new(0));
    let mut churners = Vec::new();
    for w in 0..2u64 {
        let (stop, made) = (stop.clone(), threads_made.clone());
        churners.push(
            std::thread::Builder::new()
                .name(format!("churner-{w}"))
                .spawn(move || {
                    let mut rng = Rng::new(0x5eed + w);
                    while !stop.load(Ordering::Relaxed) {
                        let batch: Vec<_> = (0..8)
                            .filter_map(|_| {
                                let ms = rng.range(1, 20);
                                let n = made.fetch_add(1, Ordering::Relaxed);
                                std::thread::Builder::new()
                                    .name(format!("churn-{n}"))
                                    .stack_size(64 << 10)
                                    .spawn(move || std::thread::sleep(Duration::from_millis(ms)))
                                    .ok()
                            })
                            .collect();
                        for t in batch {
                            let _ = t.join();
                        }
                    }
                })
                .expect("churner thread"),
        );
    }
    let mut rng = Rng::new(0xc0ffee);
    let start = Instant::now();
    let (mut spawned, mut reaped) = (0u64, 0u64);
    let mut last_report = Instant::now();
    while start.elapsed() < limit {
        let due = (start.elapsed().as_secs_f64() * rate) as u64;
        while spawned < due {
            let ns = rng.range(0, 15_000_000) as libc::c_long;
            // SAFETY: the child only makes async-signal-safe syscalls (prctl, nanosleep, _exit).
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                unsafe {
                    libc::prctl(libc::PR_SET_NAME, c"churn-kid".as_ptr());
                    let ts = libc::timespec { tv_sec: 0, tv_nsec: ns };
                    libc::nanosleep(&ts, std::ptr::null_mut());
                    libc::_exit(0);
                }
            }
            if pid > 0 {
                spawned += 1;
            } else {
                break;
            }
        }
        loop {
            let mut status = 0;
            // SAFETY: waitpid on our own children with a valid status pointer.
            let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if r <= 0 {
                break;
            }
            reaped += 1;
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            last_report = Instant::now();
            if let Some(out) = &out {
                let tmp = format!("{out}.tmp");
                let text = format!(
                    "{spawned} {reaped} {} {}\n",
                    threads_made.load(Ordering::Relaxed),
                    start.elapsed().as_millis()
                );
                if std::fs::write(&tmp, text).is_ok() {
                    let _ = std::fs::rename(&tmp, out);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    for c in churners {
        let _ = c.join();
    }
}

/// What the churn helper reported last: (processes spawned, reaped, threads made, elapsed).
pub fn churn_stats(out: &std::path::Path) -> Option<(u64, u64, u64, Duration)> {
    let text = std::fs::read_to_string(out).ok()?;
    let v: Vec<u64> = text.split_whitespace().filter_map(|t| t.parse().ok()).collect();
    Some((*v.first()?, *v.get(1)?, *v.get(2)?, Duration::from_millis(*v.get(3)?)))
}

/// Park: `TORTURE_PARK_THREADS` (default 199) extra threads named `park-N` with 64 KiB stacks,
/// all parked, and the main thread asleep: a process of 200 sleeping tasks.
fn park_main() {
    die_with_parent();
    let n = env_count("TORTURE_PARK_THREADS", 199);
    for i in 0..n {
        let spawned = std::thread::Builder::new().name(format!("park-{i}")).stack_size(64 << 10).spawn(|| {
            loop {
                std::thread::park();
            }
        });
        if spawned.is_err() {
            break;
        }
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
