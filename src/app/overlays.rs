//! What floats over a view and takes the keys first. Each overlay carries its own data (the
//! signal chosen and its targets, the core checklist, the users offered, the text shown), so an
//! open dialog without its data, or data without its dialog, cannot be written down.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::app::action::Target;
use crate::app::cursor::Menu;
use crate::app::table::{Column, ThreadColumn};
use crate::app::{App, Command, Effect, View};
use crate::collect::model::Pid;
use crate::model::stack::{KernelStack, PythonStack, StackReport};

/// The signals the menu offers, htop's common ones with their numbers.
pub const SIGNALS: &[(&str, i32)] = &[
    ("TERM", libc::SIGTERM),
    ("KILL", libc::SIGKILL),
    ("INT", libc::SIGINT),
    ("HUP", libc::SIGHUP),
    ("QUIT", libc::SIGQUIT),
    ("STOP", libc::SIGSTOP),
    ("CONT", libc::SIGCONT),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
];

/// A signal chosen and waiting for the user's yes.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingSignal {
    pub targets: Vec<Target>,
    /// Index into SIGNALS.
    pub signal: usize,
    /// Chosen from the threads view: the signal still goes to the whole process.
    pub from_thread: Option<Pid>,
}

/// The core checklist being edited.
#[derive(Clone, Debug, PartialEq)]
pub struct AffinityEdit {
    pub pid: Pid,
    /// The thread being edited; None: the whole process (every thread).
    pub tid: Option<Pid>,
    pub allowed: Vec<bool>,
    /// Opened from the threads view on this thread: `a` in the dialog switches between the whole
    /// process and this thread only.
    pub thread: Option<Pid>,
}

/// Text shown in a scrollable overlay.
#[derive(Clone, Debug, PartialEq)]
pub struct TextView {
    pub title: String,
    pub lines: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// F6: pick the sort column; the cursor is an index into the view's columns.
    SortMenu(Menu),
    /// `k`/F9: pick a signal (the cursor is an index into `act::SIGNALS`) for these targets.
    SignalMenu(Menu, PendingSignal),
    /// Confirm sending the chosen signal.
    Confirm(PendingSignal),
    /// `a`: the core checklist.
    Affinity(Menu, AffinityEdit),
    /// `u`: pick a user ("" = all users).
    UserMenu(Menu, Vec<String>),
    /// `e`, `l`, `w`: a text.
    Text {
        scroll: u16,
        text: TextView,
    },
    /// `s` in the threads view: a thread's kernel and Python stacks.
    Stack(StackView),
}

/// The stack overlay: which thread, and what was read of it (None while it is being read).
#[derive(Clone, Debug, PartialEq)]
pub struct StackView {
    pub scroll: u16,
    pub pid: Pid,
    pub tid: Pid,
    /// The thread's name as the table shows it.
    pub name: String,
    pub report: Option<StackReport>,
}

/// How the stack overlay draws a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StackLine {
    Heading,
    Frame,
    /// Why a part is empty or missing.
    Note,
    Error,
}

impl StackView {
    pub fn title(&self) -> String {
        format!("Stack of thread {} ({}) of PID {}", self.tid, self.name, self.pid)
    }

    /// The overlay's text: the Python stack first when there is one (what a Python programmer
    /// looks for), then the kernel's; each innermost frame first.
    pub fn lines(&self) -> Vec<(StackLine, String)> {
        let Some(r) = &self.report else {
            return vec![(StackLine::Note, "reading…".to_owned())];
        };
        let mut out = Vec::new();
        match &r.python {
            None => {}
            Some(PythonStack::Frames { version, owns_gil, frames }) => {
                let gil = if *owns_gil { " · it holds the GIL" } else { "" };
                out.push((StackLine::Heading, format!("Python {version} stack, innermost first{gil}")));
                if frames.is_empty() {
                    out.push((
                        StackLine::Note,
                        "  no Python frames: the thread is in C code, or not yet in Python".into(),
                    ));
                }
                let w = frames.iter().map(|f| f.function.chars().count()).max().unwrap_or(0).min(32);
                for f in frames {
                    out.push((StackLine::Frame, format!("  {:<w$}  {}:{}", f.function, f.file, f.line)));
                }
            }
            Some(PythonStack::NoSuchThread { version }) => {
                out.push((StackLine::Heading, format!("Python {version}")));
                out.push((
                    StackLine::Note,
                    "  no Python thread runs on this OS thread (a C library's own thread, or it exited)".into(),
                ));
            }
            Some(PythonStack::Failed(why)) => {
                out.push((StackLine::Heading, "Python stack".into()));
                out.push((StackLine::Error, format!("  py-spy could not read it: {why}")));
            }
        }
        if r.python.is_some() {
            out.push((StackLine::Note, String::new()));
        }
        out.push((StackLine::Heading, format!("Kernel stack (task/{}/stack), innermost first", r.tid)));
        match &r.kernel {
            KernelStack::Frames(frames) if frames.is_empty() => out.push((
                StackLine::Note,
                "  empty: the thread was running (in user space) when it was read; s reads it again".into(),
            )),
            KernelStack::Frames(frames) => out.extend(frames.iter().map(|f| (StackLine::Frame, format!("  {f}")))),
            KernelStack::NeedsRoot => out.push((
                StackLine::Note,
                "  kernel stack needs root: the kernel lets only root read task/TID/stack".into(),
            )),
            KernelStack::Gone => out.push((StackLine::Error, "  the thread exited before its stack was read".into())),
            KernelStack::Unreadable(why) => out.push((StackLine::Error, format!("  unreadable: {why}"))),
        }
        out
    }
}

impl App {
    /// `s` in the threads view: opens the overlay at once, and reads the stack off the input path.
    pub(crate) fn open_stack(&mut self) -> Vec<Effect> {
        let Some(t) = self.threads.as_ref() else {
            return Vec::new();
        };
        if t.process_exited {
            self.say(format!("process {} exited: no stack to read (Esc goes back)", t.pid), true);
            return Vec::new();
        }
        let Some(row) = t.row(t.selected) else {
            return Vec::new();
        };
        let (pid, tid) = (t.pid, row.detail.thread.tid);
        if row.exited {
            self.say(format!("thread {tid} exited: no stack to read"), true);
            return Vec::new();
        }
        let name = row.detail.thread.name.clone();
        self.overlay = Some(Overlay::Stack(StackView { scroll: 0, pid, tid, name, report: None }));
        vec![Effect::ReadStack { pid, tid }]
    }

    /// A stack that was read: shown if its overlay is still open on that thread, else dropped.
    pub(crate) fn on_stack_read(&mut self, report: StackReport) {
        if let Some(Overlay::Stack(v)) = self.overlay.as_mut()
            && (v.pid, v.tid) == (report.pid, report.tid)
        {
            v.report = Some(report);
        }
    }
}

/// Lines PgUp/PgDn move in help and text views.
const PAGE: u16 = 10;

impl App {
    /// A key while an overlay is open. The overlay is the app's again unless the key closes it.
    pub(crate) fn on_overlay(&mut self, overlay: Overlay, cmd: Command) -> Vec<Effect> {
        // Quit works from every dialog (q, F10, Ctrl-C).
        if cmd == Command::Quit {
            self.quit = true;
            return Vec::new();
        }
        let mut effects = Vec::new();
        self.overlay = match overlay {
            Overlay::Help { scroll } => match cmd {
                Command::Down => Some(Overlay::Help { scroll: scroll.saturating_add(1) }),
                Command::Up => Some(Overlay::Help { scroll: scroll.saturating_sub(1) }),
                Command::PageDown => Some(Overlay::Help { scroll: scroll.saturating_add(PAGE) }),
                Command::PageUp => Some(Overlay::Help { scroll: scroll.saturating_sub(PAGE) }),
                Command::Home => Some(Overlay::Help { scroll: 0 }),
                // Any other key closes help.
                _ => None,
            },
            Overlay::SortMenu(mut menu) => {
                if menu.on(cmd, self.sort_columns_len(), 1) {
                    Some(Overlay::SortMenu(menu))
                } else {
                    if cmd == Command::Enter {
                        self.sort_by_index(menu.cursor);
                    }
                    None
                }
            }
            Overlay::SignalMenu(mut menu, mut pending) => match cmd {
                Command::Enter => {
                    pending.signal = menu.cursor;
                    Some(Overlay::Confirm(pending))
                }
                Command::Back | Command::No | Command::Kill => None,
                _ => {
                    menu.on(cmd, SIGNALS.len(), SIGNALS.len());
                    Some(Overlay::SignalMenu(menu, pending))
                }
            },
            Overlay::Confirm(pending) => match cmd {
                Command::Yes | Command::Enter => {
                    if let Some(&(_, sig)) = SIGNALS.get(pending.signal) {
                        effects.push(Effect::Signal { targets: pending.targets, sig });
                    }
                    None
                }
                Command::No | Command::Back => {
                    self.say("cancelled: nothing sent", false);
                    None
                }
                _ => Some(Overlay::Confirm(pending)),
            },
            Overlay::Affinity(mut menu, mut edit) => match cmd {
                Command::Tag => {
                    if let Some(flag) = edit.allowed.get_mut(menu.cursor) {
                        *flag = !*flag;
                    }
                    Some(Overlay::Affinity(menu, edit))
                }
                Command::Enter => {
                    if edit.allowed.iter().any(|&b| b) {
                        effects.push(Effect::SetAffinity { pid: edit.pid, tid: edit.tid, allowed: edit.allowed });
                    } else {
                        self.say("affinity unchanged: choose at least one core", true);
                    }
                    None
                }
                Command::Back | Command::No => None,
                Command::Affinity => {
                    // Switch between the whole process and the thread it was opened on, reading
                    // that target's current cores afresh (the answer replaces this dialog).
                    if let Some(thread) = edit.thread {
                        let tid = if edit.tid.is_some() { None } else { Some(thread) };
                        effects.push(Effect::LoadAffinity { pid: edit.pid, tid, cores: edit.allowed.len() });
                    }
                    Some(Overlay::Affinity(menu, edit))
                }
                _ => {
                    menu.on(cmd, edit.allowed.len(), edit.allowed.len());
                    Some(Overlay::Affinity(menu, edit))
                }
            },
            Overlay::UserMenu(mut menu, users) => match cmd {
                Command::Enter => {
                    let u = users.get(menu.cursor).cloned().unwrap_or_default();
                    self.list.user = if u.is_empty() { None } else { Some(u) };
                    self.rebuild_rows();
                    None
                }
                Command::Back | Command::No => None,
                _ => {
                    menu.on(cmd, users.len(), users.len());
                    Some(Overlay::UserMenu(menu, users))
                }
            },
            Overlay::Stack(mut v) => match cmd {
                Command::Back | Command::Enter | Command::No => None,
                Command::Stack => {
                    // Read again: a thread's stack changes as it runs.
                    v.report = None;
                    effects.push(Effect::ReadStack { pid: v.pid, tid: v.tid });
                    Some(Overlay::Stack(v))
                }
                _ => {
                    v.scroll = match cmd {
                        Command::Down => v.scroll.saturating_add(1),
                        Command::Up => v.scroll.saturating_sub(1),
                        Command::PageDown => v.scroll.saturating_add(PAGE),
                        Command::PageUp => v.scroll.saturating_sub(PAGE),
                        Command::Home => 0,
                        _ => v.scroll,
                    };
                    Some(Overlay::Stack(v))
                }
            },
            Overlay::Text { scroll, text } => match cmd {
                Command::Back | Command::Enter | Command::No => None,
                _ => {
                    let scroll = match cmd {
                        Command::Down => scroll.saturating_add(1),
                        Command::Up => scroll.saturating_sub(1),
                        Command::PageDown => scroll.saturating_add(PAGE),
                        Command::PageUp => scroll.saturating_sub(PAGE),
                        Command::Home => 0,
                        _ => scroll,
                    };
                    Some(Overlay::Text { scroll, text })
                }
            },
        };
        effects
    }

    pub(crate) fn sort_columns_len(&self) -> usize {
        match self.view {
            View::Threads => ThreadColumn::ALL.len(),
            _ => Column::ALL.len(),
        }
    }

    pub(crate) fn sort_by_index(&mut self, i: usize) {
        match self.view {
            View::Threads => {
                if let (Some(t), Some(&c)) = (self.threads.as_mut(), ThreadColumn::ALL.get(i)) {
                    t.set_sort(c);
                }
            }
            _ => {
                if let Some(&c) = Column::ALL.get(i) {
                    self.set_sort(c);
                }
            }
        }
    }
}

impl App {
    /// The signal being chosen or confirmed, if a signal dialog is open.
    pub fn pending_signal(&self) -> Option<&PendingSignal> {
        match &self.overlay {
            Some(Overlay::SignalMenu(_, p) | Overlay::Confirm(p)) => Some(p),
            _ => None,
        }
    }

    /// The core checklist, if the affinity dialog is open.
    pub fn affinity_edit(&self) -> Option<&AffinityEdit> {
        match &self.overlay {
            Some(Overlay::Affinity(_, a)) => Some(a),
            _ => None,
        }
    }

    /// The users offered, if the user menu is open.
    pub fn user_choices(&self) -> Option<&[String]> {
        match &self.overlay {
            Some(Overlay::UserMenu(_, users)) => Some(users),
            _ => None,
        }
    }
}
