//! Acting on processes like htop, but safely: tags, the signal menu and its confirmation,
//! nice, affinity, follow, pause, the user picker, inspect views and mouse clicks. The app only
//! decides; the runtime carries out the Effects (through `control`) and reports back.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::collections::HashSet;

use crate::app::action::{Inspect, Target};
use crate::app::cursor::Menu;
pub use crate::app::overlays::SIGNALS;
use crate::app::overlays::{PendingSignal, TextView};
use crate::app::table::{Column, ThreadColumn};
use crate::app::{App, Command, Effect, Overlay, RowId, View};
use crate::collect::model::Pid;

/// Where things were drawn, so a mouse click can be resolved (written by the UI).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HitMap {
    pub header_y: Option<u16>,
    pub body_y: u16,
    pub body_h: u16,
    /// Column spans on the header line: (first x, last x + 1, index into the view's columns).
    pub columns: Vec<(u16, u16, usize)>,
    /// The CPU history chart's plot: first x, last x + 1, first y, last y + 1, and how many
    /// samples back its left edge is from its right (a click there seeks: `on_graph_click`).
    pub graph: Option<(u16, u16, u16, u16, usize)>,
}

impl App {
    /// The processes an action applies to: the tagged ones, else the selected one.
    pub fn action_targets(&self) -> Vec<Target> {
        let snap = &self.snapshot;
        let target = |pid: Pid| {
            snap.processes.iter().find(|p| p.pid == pid).map(|p| Target {
                pid,
                start_ticks: p.start_ticks,
                command: crate::app::table::display_command(p).into_owned(),
            })
        };
        if !self.list.tagged.is_empty() {
            let mut tags: Vec<(Pid, u64)> = self.list.tagged.iter().map(|(&p, &s)| (p, s)).collect();
            tags.sort_unstable();
            // The start time is the tag's, not the snapshot's: a PID reused since the tag was
            // set fails the check in `control` and gets nothing.
            return tags
                .into_iter()
                .filter_map(|(pid, start)| target(pid).map(|t| Target { start_ticks: start, ..t }))
                .collect();
        }
        let pid = match self.view {
            View::Threads => self.threads.as_ref().map(|t| t.pid),
            _ => self.selected_pid(),
        };
        pid.and_then(target).into_iter().collect()
    }

    /// Why acting on these targets is refused, if it is.
    pub fn refusal(&self, targets: &[Target]) -> Option<String> {
        for t in targets {
            if t.pid <= 0 {
                return Some(format!("refused: PID {} is not a process", t.pid));
            }
            if t.pid == 1 {
                return Some("refused: PID 1 is init; signalling it can take the machine down".into());
            }
            if t.pid == self.options.self_pid {
                return Some("refused: that is threadtop itself (quit with q)".into());
            }
        }
        None
    }

    /// Why a key that acts on the selected process must not act now: that process exited
    /// and the cursor moved to a row the user did not choose (or, in the threads view, the
    /// process is gone).
    pub(crate) fn vanished_refusal(&self, cmd: Command) -> Option<String> {
        let uses_selection = match cmd {
            // With tags, k and nice act on the tags, which are checked on their own.
            Command::Kill | Command::NiceDown | Command::NiceUp => self.list.tagged.is_empty(),
            Command::Affinity
            | Command::Environment
            | Command::OpenFiles
            | Command::FullCommand
            | Command::StopDemo => true,
            _ => false,
        };
        if !uses_selection {
            return None;
        }
        match self.view {
            View::Threads => {
                let t = self.threads.as_ref()?;
                t.process_exited.then(|| format!("process {} exited: nothing to act on (Esc goes back)", t.pid))
            }
            View::Lab(_) => None,
            View::Processes => {
                self.list.vanished.map(|pid| format!("process {pid} exited: move the cursor to choose another"))
            }
        }
    }

    pub(crate) fn on_act(&mut self, cmd: Command) -> Option<Vec<Effect>> {
        let acting = matches!(cmd, Command::Kill | Command::NiceDown | Command::NiceUp | Command::Affinity);
        if acting && self.options.readonly {
            self.say("read-only mode: signals, nice and affinity are disabled", true);
            return Some(Vec::new());
        }
        if let Some(why) = self.vanished_refusal(cmd) {
            self.say(why, true);
            return Some(Vec::new());
        }
        let effects = match cmd {
            Command::Kill => {
                let targets = self.action_targets();
                if targets.is_empty() {
                    self.say("no process selected", true);
                } else if let Some(why) = self.refusal(&targets) {
                    self.say(why, true);
                } else {
                    let from_thread = match self.view {
                        View::Threads => self.threads.as_ref().and_then(|t| t.selected_tid),
                        _ => None,
                    };
                    let pending = PendingSignal { targets, signal: 0, from_thread };
                    self.overlay = Some(Overlay::SignalMenu(Menu::default(), pending));
                }
                Vec::new()
            }
            Command::NiceDown | Command::NiceUp => {
                let delta = if cmd == Command::NiceDown { -1 } else { 1 };
                if self.view == View::Threads {
                    match self.threads.as_ref().and_then(|t| t.selected_tid.map(|tid| (t.pid, tid))) {
                        Some((pid, tid)) => vec![Effect::Renice { pid, tid: Some(tid), delta }],
                        None => Vec::new(),
                    }
                } else {
                    let targets = self.action_targets();
                    if let Some(why) = self.refusal(&targets).filter(|_| targets.iter().any(|t| t.pid <= 0)) {
                        self.say(why, true);
                        Vec::new()
                    } else {
                        targets.iter().map(|t| Effect::Renice { pid: t.pid, tid: None, delta }).collect()
                    }
                }
            }
            Command::Affinity => {
                // The whole process by default, in the threads view too: pinning one thread of a
                // busy process is the rarer wish (`a` again in the dialog picks this thread).
                let target = match self.view {
                    View::Threads => self.threads.as_ref().filter(|t| t.process.is_some()).map(|t| (t.pid, None)),
                    _ => self.selected_pid().map(|p| (p, None)),
                };
                match target {
                    Some((pid, tid)) => vec![Effect::LoadAffinity { pid, tid, cores: self.logical_cores() }],
                    None => Vec::new(),
                }
            }
            Command::Tag if self.view == View::Processes => {
                if let Some((pid, start)) = self.selected_process().map(|p| (p.pid, p.start_ticks)) {
                    if self.list.tagged.remove(&pid).is_none() {
                        self.list.tagged.insert(pid, start);
                    }
                    self.on_processes(Command::Down);
                }
                Vec::new()
            }
            Command::TagChildren if self.view == View::Processes => {
                if let Some(pid) = self.selected_pid() {
                    let family = self.descendants(pid);
                    let n = family.len();
                    let starts: Vec<(Pid, u64)> = family
                        .iter()
                        .filter_map(|&f| self.snapshot.processes.iter().find(|p| p.pid == f))
                        .map(|p| (p.pid, p.start_ticks))
                        .collect();
                    self.list.tagged.extend(starts);
                    self.say(format!("tagged {n} process(es): PID {pid} and its descendants"), false);
                }
                Vec::new()
            }
            Command::UntagAll => {
                self.list.tagged.clear();
                Vec::new()
            }
            Command::ToggleFollow => {
                self.list.follow = !self.list.follow;
                self.say(
                    if self.list.follow {
                        "follow on: the selection stays on its process"
                    } else {
                        "follow off: the cursor keeps its row as the list changes"
                    },
                    false,
                );
                Vec::new()
            }
            Command::Pause => {
                self.paused = !self.paused;
                vec![Effect::Pause(self.paused)]
            }
            Command::UserMenu if self.view == View::Processes => {
                let mut users: Vec<String> = self
                    .snapshot
                    .processes
                    .iter()
                    .filter(|p| !p.kernel_thread || self.list.show_kernel)
                    .map(|p| p.user.to_string())
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                users.sort();
                users.insert(0, String::new());
                let cursor = self.list.user.as_ref().and_then(|u| users.iter().position(|x| x == u)).unwrap_or(0);
                self.overlay = Some(Overlay::UserMenu(Menu::at(cursor), users));
                Vec::new()
            }
            Command::Environment | Command::OpenFiles => {
                let pid = match self.view {
                    View::Threads => self.threads.as_ref().map(|t| t.pid),
                    _ => self.selected_pid(),
                };
                let what = if cmd == Command::Environment { Inspect::Environment } else { Inspect::OpenFiles };
                pid.map(|pid| vec![Effect::Inspect { what, pid }]).unwrap_or_default()
            }
            Command::FullCommand => {
                let pid = match self.view {
                    View::Threads => self.threads.as_ref().map(|t| t.pid),
                    _ => self.selected_pid(),
                };
                if let Some(p) = pid.and_then(|pid| self.snapshot.processes.iter().find(|p| p.pid == pid)) {
                    let lines = if p.cmdline.is_empty() {
                        vec![format!("[{}] (a kernel thread or a zombie: no command line)", p.name)]
                    } else {
                        vec![p.cmdline.to_string()]
                    };
                    let text = TextView { title: format!("Command line of PID {}", p.pid), lines };
                    self.overlay = Some(Overlay::Text { scroll: 0, text });
                }
                Vec::new()
            }
            _ => return None,
        };
        Some(effects)
    }

    /// `pid` and everything below it in the process tree.
    fn descendants(&self, pid: Pid) -> Vec<Pid> {
        let mut out = vec![pid];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(self.snapshot.processes.iter().filter(|p| p.ppid == parent && p.pid != parent).map(|p| p.pid));
            i += 1;
            if out.len() > self.snapshot.processes.len() {
                break;
            }
        }
        out
    }

    /// A mouse click: a column title sorts by it (again inverts), a row selects it.
    pub(crate) fn on_click(&mut self, x: u16, y: u16) {
        if self.overlay.is_some() {
            return;
        }
        let hit = self.hit.borrow().clone();
        if Some(y) == hit.header_y {
            let Some(&(_, _, i)) = hit.columns.iter().find(|(x0, x1, _)| (*x0..*x1).contains(&x)) else {
                return;
            };
            match self.view {
                View::Processes => {
                    if let Some(&c) = Column::ALL.get(i) {
                        if self.list.sort.column == c {
                            self.list.sort.descending = !self.list.sort.descending;
                            self.rebuild_rows();
                        } else {
                            self.set_sort(c);
                        }
                    }
                }
                View::Threads => {
                    if let (Some(t), Some(&c)) = (self.threads.as_mut(), ThreadColumn::ALL.get(i)) {
                        if t.sort.column == c {
                            t.sort.descending = !t.sort.descending;
                            t.rebuild();
                        } else {
                            t.set_sort(c);
                        }
                    }
                }
                View::Lab(_) => {}
            }
            return;
        }
        if y < hit.body_y || y >= hit.body_y.saturating_add(hit.body_h) {
            return;
        }
        let r = (y - hit.body_y) as usize;
        match self.view {
            View::Processes => {
                let i = self.list.scroll.offset.get() + r;
                if i < self.list.rows.len() {
                    self.select_row(i);
                }
            }
            View::Threads => {
                if let Some(t) = self.threads.as_mut() {
                    let i = t.scroll.offset.get() + r;
                    t.select(i);
                }
            }
            View::Lab(_) => {
                let i = self.lab.list_top.get() + r;
                if i < self.lab.catalog.len() {
                    self.lab.cursor = i;
                }
            }
        }
    }

    /// Whether a row is tagged (thread rows follow their process).
    pub fn is_tagged(&self, id: RowId) -> bool {
        self.list.tagged.contains_key(&id.pid)
    }
}
