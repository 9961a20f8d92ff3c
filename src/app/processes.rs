//! The process list's keys: moving, opening a process's threads, search and filter prompts, tree,
//! sort, all threads, kernel threads, the lab, stopping a demo.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use crate::app::table::{self, COMMAND_SCROLL_STEP, Column};
use crate::app::threads::ThreadsState;
use crate::app::{App, Command, Effect, Overlay, Prompt, View, cursor};
use crate::collect::model::Pid;

impl App {
    pub(crate) fn on_processes(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.list.scroll.page();
        if let Some(i) = cursor::step(self.list.selected, self.list.rows.len(), page, cmd) {
            self.select_row(i);
            return Vec::new();
        }
        match cmd {
            Command::Enter => {
                if let Some(row) = self.selected_row().cloned() {
                    let mut t = ThreadsState::new(row.id.pid);
                    t.selected_tid = row.id.tid;
                    if let Some(p) = self.snapshot.processes.get(row.process) {
                        t.seed(p);
                    }
                    self.threads = Some(t);
                    self.view = View::Threads;
                    return vec![Effect::Focus(Some(row.id.pid))];
                }
                self.say("no process selected", true);
            }
            Command::Right => {
                let longest = self
                    .list
                    .rows
                    .iter()
                    .filter_map(|r| self.snapshot.processes.get(r.process))
                    .map(|p| table::display_command(p).chars().count())
                    .max()
                    .unwrap_or(0);
                self.list.command_scroll =
                    (self.list.command_scroll + COMMAND_SCROLL_STEP).min(longest.saturating_sub(1));
            }
            Command::Left if self.list.command_scroll > 0 => {
                self.list.command_scroll = self.list.command_scroll.saturating_sub(COMMAND_SCROLL_STEP);
            }
            Command::Back | Command::Left if !self.list.filter.is_empty() || !self.list.search.is_empty() => {
                self.list.filter.clear();
                self.list.search.clear();
                self.rebuild_rows();
                self.say("filter cleared", false);
            }
            Command::Search => {
                // As in htop, `/` starts a new search; F3/n repeat the last one.
                self.list.search.clear();
                self.prompt = Some(Prompt::Search);
            }
            Command::Filter => self.prompt = Some(Prompt::Filter),
            Command::SearchNext => {
                if self.list.search.is_empty() {
                    self.prompt = Some(Prompt::Search);
                } else {
                    self.search_from(self.list.selected + 1);
                }
            }
            Command::ToggleTree => {
                self.list.tree = !self.list.tree;
                self.rebuild_rows();
            }
            Command::Collapse | Command::Expand => {
                if !self.list.tree {
                    self.say("+/- fold branches in tree view (t)", false);
                } else if let Some(pid) = self.selected_pid() {
                    if cmd == Command::Collapse {
                        self.list.collapsed.insert(pid);
                    } else {
                        self.list.collapsed.remove(&pid);
                    }
                    self.rebuild_rows();
                }
            }
            Command::SortMenu => {
                let cursor = Column::ALL.iter().position(|&c| c == self.list.sort.column).unwrap_or(0);
                self.overlay = Some(Overlay::SortMenu(crate::app::cursor::Menu::at(cursor)));
            }
            Command::SortNext | Command::SortPrev => {
                let n = Column::ALL.len();
                let i = Column::ALL.iter().position(|&c| c == self.list.sort.column).unwrap_or(0);
                let j = if cmd == Command::SortNext { (i + 1) % n } else { (i + n - 1) % n };
                self.set_sort(Column::ALL[j]);
            }
            Command::SortCpu => self.set_sort(Column::Cpu),
            Command::SortMem => self.set_sort(Column::Mem),
            Command::SortTime => self.set_sort(Column::Time),
            Command::SortPid => self.set_sort(Column::Pid),
            Command::InvertSort => {
                self.list.sort.descending = !self.list.sort.descending;
                self.rebuild_rows();
            }
            Command::ToggleThreads => {
                self.list.show_threads = !self.list.show_threads;
                self.say(
                    if self.list.show_threads { "showing every thread as a row" } else { "threads hidden" },
                    false,
                );
                self.rebuild_rows();
                return vec![Effect::AllThreads(self.list.show_threads)];
            }
            Command::ToggleIo => {
                let cols = &mut self.options.columns;
                let on = !Column::need_io(cols);
                if on {
                    let at = cols.iter().position(|&c| c == Column::Time || c == Column::Command).unwrap_or(cols.len());
                    cols.splice(at..at, [Column::IoRead, Column::IoWrite]);
                } else {
                    cols.retain(|c| !matches!(c, Column::IoRead | Column::IoWrite));
                    if matches!(self.list.sort.column, Column::IoRead | Column::IoWrite) {
                        self.set_sort(Column::Cpu);
                    }
                }
                self.say(
                    if on { "IO_R/s and IO_W/s shown (from the next refresh)" } else { "IO columns hidden" },
                    false,
                );
                return vec![Effect::IoColumns(on)];
            }
            Command::ToggleKernel => {
                self.list.show_kernel = !self.list.show_kernel;
                self.say(if self.list.show_kernel { "kernel threads shown" } else { "kernel threads hidden" }, false);
                self.rebuild_rows();
            }
            Command::OpenLab => self.view = View::Lab(self.lab_opens_on()),
            Command::StopDemo => return self.stop_demo_of(self.selected_pid()),
            _ => {}
        }
        Vec::new()
    }

    pub(crate) fn stop_demo_of(&mut self, pid: Option<Pid>) -> Vec<Effect> {
        // A demo's own children (the zombie demo's child) belong to it too.
        let parent = pid.and_then(|p| self.snapshot.processes.iter().find(|q| q.pid == p)).map(|q| q.ppid);
        match pid.and_then(|p| self.lab.owner_of(p)).or_else(|| parent.and_then(|pp| self.lab.owner_of(pp))) {
            Some(id) => {
                self.say(format!("stopping demo #{id}"), false);
                vec![Effect::StopDemo(id)]
            }
            None => {
                self.say("the selected row is not a demo started by threadtop", true);
                Vec::new()
            }
        }
    }
}
