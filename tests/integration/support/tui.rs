//! The real binary in a pseudo-terminal (portable-pty), its screen parsed by vt100. Times on
//! screen are taken in the reader thread, the moment the bytes that made the screen show
//! something were parsed (`Tui::time_until`), not by a polling loop.

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

use super::BIN;

/// A question about the screen the reader thread answers after each chunk it parses: the first
/// moment the screen's text satisfied it.
struct Watch {
    test: Box<dyn Fn(&str) -> bool + Send>,
    at: Option<Instant>,
}

pub struct Tui {
    pub child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    pub parser: Arc<Mutex<vt100::Parser>>,
    reader: Option<JoinHandle<()>>,
    watches: Arc<Mutex<Vec<Watch>>>,
    spawned: Instant,
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
        let spawned = Instant::now();
        let child = pair.slave.spawn_command(cmd).expect("spawn threadtop in a pty");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser =
            Arc::new(Mutex::new(vt100::Parser::new(NonZeroU16::new(rows).unwrap(), NonZeroU16::new(cols).unwrap(), 0)));
        let p = parser.clone();
        let raw = capture.then(|| Arc::new(Mutex::new(Vec::new())));
        let r = raw.clone();
        // Watch 0: the first frame that shows the table (its header row).
        let first_table = Watch { test: Box::new(|s: &str| s.contains("PID") && s.contains("COMMAND")), at: None };
        let watches = Arc::new(Mutex::new(vec![first_table]));
        let w = watches.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let at = Instant::now();
                if let Some(r) = &r {
                    r.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let mut parser = p.lock().unwrap();
                parser.process(&buf[..n]);
                let mut watches = w.lock().unwrap();
                if watches.iter().any(|w| w.at.is_none()) {
                    let text = parser.screen().contents();
                    for watch in watches.iter_mut().filter(|w| w.at.is_none()) {
                        if (watch.test)(&text) {
                            watch.at = Some(at);
                        }
                    }
                }
            }
        });
        Tui { child, master: pair.master, writer, parser, reader: Some(reader), watches, spawned, raw }
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

    /// From spawning threadtop to the first frame that showed the table, timed in the reader
    /// thread; None while no such frame has come.
    pub fn first_table_frame(&self) -> Option<Duration> {
        self.watches.lock().unwrap()[0].at.map(|at| at.saturating_duration_since(self.spawned))
    }

    /// Runs `act` (e.g. send a key) and returns how long after it the screen first showed what
    /// `test` looks for, as the reader thread saw it; None if not within `timeout`.
    pub fn time_until(
        &mut self,
        timeout: Duration,
        test: impl Fn(&str) -> bool + Send + 'static,
        act: impl FnOnce(&mut Tui),
    ) -> Option<Duration> {
        let index = {
            let mut w = self.watches.lock().unwrap();
            w.push(Watch { test: Box::new(test), at: None });
            w.len() - 1
        };
        let start = Instant::now();
        act(self);
        let end = start + timeout;
        loop {
            if let Some(at) = self.watches.lock().unwrap()[index].at {
                return Some(at.saturating_duration_since(start));
            }
            if Instant::now() > end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to pty");
        self.writer.flush().expect("flush pty");
        // Let the app read each burst as its own event batch.
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        // The screen first, as a terminal does before it sends SIGWINCH: resized after the pty,
        // the parser could read a whole frame drawn for the new size at the old one; the app
        // then only sends changes, so the scrolled rows were never repainted (a flaky failure
        // of torture::terminal::resizes_in_the_threads_view_and_lab: the top row lost for 30 s).
        let mut parser = self.parser.lock().unwrap();
        parser.screen_mut().set_size(NonZeroU16::new(rows).unwrap(), NonZeroU16::new(cols).unwrap());
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize");
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
