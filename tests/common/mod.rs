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
}

impl Tui {
    pub fn start(args: &[&str], envs: &[(&str, &str)], cols: u16, rows: u16) -> Tui {
        let pair =
            native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("openpty");
        let mut cmd = CommandBuilder::new(BIN);
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
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
            }
        });
        Tui { child, master: pair.master, writer, parser, reader: Some(reader) }
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
    /// The text of the selected row (drawn on the selection colour, cyan), if any.
    pub fn selected_row(&self) -> Option<String> {
        let p = self.parser.lock().unwrap();
        let screen = p.screen();
        let (rows, cols) = screen.size();
        (0..rows.get()).find_map(|r| {
            let cell = screen.cell(r, 1)?;
            (cell.bgcolor() == vt100::Color::Idx(6)).then(|| screen.contents_between(r, 0, r, cols.get()))
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
