//! The threads view's state: the focused process's threads, sorted, with exited threads kept
//! one interval and a short state history per thread. Pure.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crate::app::Scroll;
use crate::app::table::{ThreadColumn, ThreadSort, compare_threads, contains_ci};
use crate::app::{App, Command, Effect, Overlay, Prompt, View, cursor};
use crate::collect::model::{FocusSample, Pid, ProcessSample, Snapshot, ThreadDetail};

/// Samples of state history kept per thread.
pub const HISTORY_LEN: usize = 60;

/// One row of the thread table, borrowed from the focus sample it shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThreadRow<'a> {
    pub detail: &'a ThreadDetail,
    /// Gone since the last sample: drawn dimmed, for one interval.
    pub exited: bool,
}

/// A row as the sorted order keeps it: an index into the focus's threads (or into the threads
/// that just exited), not a copy. A focus of 5,000 threads would otherwise hold its ~450-byte
/// details twice more (the rows, and the sort's scratch copy of them).
#[derive(Clone, Copy, Debug, PartialEq)]
struct RowRef {
    index: u32,
    exited: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThreadsState {
    pub pid: Pid,
    /// The process as last seen (summary line); kept after it exits.
    pub process: Option<ProcessSample>,
    /// The sample's own focus, shared with the snapshot it came in.
    pub focus: Option<Arc<FocusSample>>,
    /// The process has exited: the data is the last seen.
    pub process_exited: bool,
    pub error: Option<String>,
    rows: Vec<RowRef>,
    exited: Vec<ThreadDetail>,
    pub sort: ThreadSort,
    pub selected: usize,
    pub selected_tid: Option<Pid>,
    pub search: String,
    /// Per thread, its state letter at each of the last samples (oldest first).
    pub history: HashMap<Pid, VecDeque<char>>,
    /// Cores in use by the whole process at each of the last samples.
    pub cores_history: VecDeque<f64>,
    pub scroll: Scroll,
    last_seq: Option<u64>,
    /// The TIDs last told to the sampler as on screen.
    sent_visible: Option<Vec<Pid>>,
}

impl ThreadsState {
    pub fn new(pid: Pid) -> ThreadsState {
        ThreadsState {
            pid,
            process: None,
            focus: None,
            process_exited: false,
            error: None,
            rows: Vec::new(),
            exited: Vec::new(),
            sort: ThreadSort::default(),
            selected: 0,
            selected_tid: None,
            search: String::new(),
            history: HashMap::new(),
            cores_history: VecDeque::new(),
            scroll: Scroll::default(),
            last_seq: None,
            sent_visible: None,
        }
    }

    /// Shows what the process list already knows until the first detailed sample arrives.
    pub fn seed(&mut self, p: &ProcessSample) {
        self.process = Some(p.clone());
    }

    pub fn apply_sample(&mut self, snap: &Snapshot) {
        if self.last_seq == Some(snap.seq) {
            return;
        }
        self.last_seq = Some(snap.seq);
        if let Some(p) = snap.processes.iter().find(|p| p.pid == self.pid) {
            self.process = Some(p.clone());
        }
        let Some(focus) = snap.focus.as_ref().filter(|f| f.pid == self.pid) else {
            // The sampler has not caught up with the new focus yet; keep what we have.
            return;
        };
        self.error = focus.error.clone();
        if !focus.alive {
            self.process_exited = true;
            self.exited.clear();
            self.rebuild();
            return;
        }
        if let Some(p) = &focus.process {
            self.process = Some(p.clone());
        }
        let now: HashSet<Pid> = focus.threads.iter().map(|t| t.thread.tid).collect();
        self.exited = match &self.focus {
            Some(prev) => prev.threads.iter().filter(|t| !now.contains(&t.thread.tid)).cloned().collect(),
            None => Vec::new(),
        };
        for t in &focus.threads {
            let h = self.history.entry(t.thread.tid).or_default();
            if h.len() == HISTORY_LEN {
                h.pop_front();
            }
            h.push_back(t.thread.state);
        }
        self.history.retain(|tid, _| now.contains(tid));
        if self.cores_history.len() == HISTORY_LEN {
            self.cores_history.pop_front();
        }
        self.cores_history.push_back(focus.cores_in_use);
        self.focus = Some(Arc::clone(focus));
        self.rebuild();
    }

    pub fn set_sort(&mut self, column: ThreadColumn) {
        self.sort = ThreadSort::by(column);
        self.rebuild();
    }

    /// The rows in their sorted order.
    pub fn rows(&self) -> impl Iterator<Item = ThreadRow<'_>> + Clone {
        self.rows.iter().filter_map(|r| self.view(*r))
    }

    pub fn row(&self, i: usize) -> Option<ThreadRow<'_>> {
        self.rows.get(i).and_then(|r| self.view(*r))
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// None never happens: every RowRef is made by `rebuild` from the lists it indexes, which
    /// change only together with it.
    fn view(&self, r: RowRef) -> Option<ThreadRow<'_>> {
        Some(ThreadRow { detail: self.detail_of(r)?, exited: r.exited })
    }

    fn detail_of(&self, r: RowRef) -> Option<&ThreadDetail> {
        let i = r.index as usize;
        if r.exited { self.exited.get(i) } else { self.focus.as_ref()?.threads.get(i) }
    }

    /// Re-sorts and puts the selection back on the same TID (or its neighbour if it exited).
    pub fn rebuild(&mut self) {
        let live = self.focus.as_ref().map_or(0, |f| f.threads.len());
        let refs =
            |n: usize, exited: bool| (0..n).filter_map(move |i| Some(RowRef { index: u32::try_from(i).ok()?, exited }));
        let mut rows: Vec<RowRef> = refs(live, false).chain(refs(self.exited.len(), true)).collect();
        let sort = self.sort;
        rows.sort_by(|a, b| {
            a.exited.cmp(&b.exited).then_with(|| match (self.detail_of(*a), self.detail_of(*b)) {
                (Some(x), Some(y)) => compare_threads(x, y, sort),
                _ => std::cmp::Ordering::Equal,
            })
        });
        let previous = self.selected;
        self.rows = rows;
        self.selected = match self.selected_tid.and_then(|tid| self.rows().position(|r| r.detail.thread.tid == tid)) {
            Some(i) => i,
            None => previous.min(self.rows.len().saturating_sub(1)),
        };
        self.selected_tid = self.row(self.selected).map(|r| r.detail.thread.tid);
    }

    pub fn select(&mut self, i: usize) {
        if self.rows.is_empty() {
            return;
        }
        self.selected = i.min(self.rows.len() - 1);
        self.selected_tid = self.row(self.selected).map(|r| r.detail.thread.tid);
    }

    /// Moves to the first thread at or after `from` (wrapping) whose name matches; false if none.
    pub fn search_from(&mut self, from: usize) -> bool {
        let needle = self.search.to_lowercase();
        let n = self.rows.len();
        if needle.is_empty() || n == 0 {
            return false;
        }
        let hit = (0..n).map(|k| (from + k) % n).find(|&i| {
            let Some(row) = self.row(i) else { return false };
            let t = &row.detail.thread;
            contains_ci(&t.name, &needle) || t.tid.to_string().contains(&needle)
        });
        match hit {
            Some(i) => {
                self.select(i);
                true
            }
            None => false,
        }
    }

    /// The TIDs of the rows the next draw shows and a page either side, sorted, when they
    /// differ from those last returned: the sampler reads WAITING only for them. None before the
    /// first draw (the sampler then reads every thread).
    pub fn visible_changed(&mut self) -> Option<Vec<Pid>> {
        let h = self.scroll.height.get();
        if h == 0 {
            return None;
        }
        // Where the next draw will start, from the selection as it is now: after a PgDn the
        // offset of the last draw is a page behind.
        let off = self.scroll.offset_for(self.selected, self.rows.len(), h);
        let from = off.saturating_sub(h);
        let to = off.saturating_add(2 * h).min(self.rows.len());
        let mut tids: Vec<Pid> = (from..to).filter_map(|i| self.row(i)).map(|r| r.detail.thread.tid).collect();
        tids.sort_unstable();
        if self.sent_visible.as_ref() == Some(&tids) {
            return None;
        }
        self.sent_visible = Some(tids.clone());
        Some(tids)
    }

    /// Threads of this process running now, grouped by the core they last ran on.
    pub fn running_on_cores(&self, cores: usize) -> Vec<Vec<&str>> {
        let mut map: Vec<Vec<&str>> = vec![Vec::new(); cores];
        for r in self.rows().filter(|r| !r.exited && r.detail.thread.state == 'R') {
            let t = &r.detail.thread;
            if let Some(slot) = usize::try_from(t.last_cpu).ok().and_then(|c| map.get_mut(c)) {
                slot.push(&t.name);
            }
        }
        map
    }
}

impl App {
    pub(crate) fn on_threads(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(t) = self.threads.as_mut() else {
            self.view = View::Processes;
            return vec![Effect::Focus(None)];
        };
        let page = t.scroll.page();
        if let Some(i) = cursor::step(t.selected, t.row_count(), page, cmd) {
            t.select(i);
            return Vec::new();
        }
        match cmd {
            Command::Back | Command::Left => {
                self.view = View::Processes;
                self.threads = None;
                return vec![Effect::Focus(None)];
            }
            Command::Search => {
                t.search.clear();
                self.prompt = Some(Prompt::Search);
            }
            Command::SearchNext => {
                if t.search.is_empty() {
                    self.prompt = Some(Prompt::Search);
                } else {
                    let from = t.selected + 1;
                    if !t.search_from(from) {
                        let s = t.search.clone();
                        self.say(format!("no thread matches '{s}'"), true);
                    }
                }
            }
            Command::SortMenu => {
                let cursor = ThreadColumn::ALL.iter().position(|&c| c == t.sort.column).unwrap_or(0);
                self.overlay = Some(Overlay::SortMenu(crate::app::cursor::Menu::at(cursor)));
            }
            Command::SortNext | Command::SortPrev => {
                let n = ThreadColumn::ALL.len();
                let i = ThreadColumn::ALL.iter().position(|&c| c == t.sort.column).unwrap_or(0);
                let j = if cmd == Command::SortNext { (i + 1) % n } else { (i + n - 1) % n };
                t.set_sort(ThreadColumn::ALL[j]);
            }
            Command::SortCpu => t.set_sort(ThreadColumn::Cpu),
            Command::SortTime => t.set_sort(ThreadColumn::Time),
            Command::SortPid => t.set_sort(ThreadColumn::Tid),
            Command::SortMem => self.say("threads share one address space: no per-thread memory", false),
            Command::InvertSort => {
                t.sort.descending = !t.sort.descending;
                t.rebuild();
            }
            Command::Stack => return self.open_stack(),
            Command::OpenLab => self.view = View::Lab(self.lab_opens_on()),
            Command::StopDemo => {
                let pid = t.pid;
                return self.stop_demo_of(Some(pid));
            }
            _ => {}
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::app::fixtures::{focus_worker, snapshot};
    use crate::app::lab::LabState;
    use crate::app::{Action, App, Command, Effect, KeyHelp, Options, View};

    fn visible(fx: &[Effect]) -> Option<Vec<i32>> {
        fx.iter().find_map(|e| if let Effect::Visible(t) = e { Some(t.clone()) } else { None })
    }

    /// The sampler hears which threads are on screen (a page either side) once they are drawn,
    /// and again only when that set changes: WAITING is read for those alone.
    #[test]
    fn the_rows_on_screen_are_told_to_the_sampler_when_they_change() {
        let mut app = App::new(Options::default(), KeyHelp::default(), LabState::new(Vec::new()));
        app.update(Action::Sample(Arc::new(snapshot(1))));
        let fx = app.update(Action::Cmd(Command::Enter));
        assert_eq!(app.view, View::Threads);
        assert_eq!(visible(&fx), None, "nothing drawn yet: the sampler reads every thread");
        let mut s = snapshot(2);
        s.focus = Some(std::sync::Arc::new(focus_worker()));
        assert_eq!(visible(&app.update(Action::Sample(Arc::new(s)))), None);

        // A draw of one row at the top: that row and the next page.
        let t = app.threads.as_ref().unwrap();
        t.scroll.height.set(1);
        t.scroll.offset.set(0);
        let mut s = snapshot(3);
        s.focus = Some(std::sync::Arc::new(focus_worker()));
        assert_eq!(visible(&app.update(Action::Sample(Arc::new(s.clone())))), Some(vec![300, 301]));
        assert_eq!(visible(&app.update(Action::Sample(Arc::new(snapshot(4))))), None, "unchanged: not sent again");
        // Moved down: the rows the next draw will show are sent with the key that moved there,
        // not one key late: a page before it, it, a page after.
        assert_eq!(visible(&app.update(Action::Cmd(Command::Down))), Some(vec![300, 301, 302]));
        assert_eq!(visible(&app.update(Action::Cmd(Command::Down))), Some(vec![301, 302, 303]));
    }
}
