//! Process table columns, sort orders and text matching, and the process list itself: its rows,
//! filter, search and selection (by PID, not by row index). Pure functions over samples.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::cmp::Ordering;

use crate::collect::model::{ProcessSample, ThreadDetail, ThreadSample};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::app::{App, tree};
use crate::collect::model::Pid;

/// The process table's columns, in htop's default order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Pid,
    User,
    Priority,
    Nice,
    Virt,
    Res,
    /// Resident memory shared with other processes (statm shared: file-backed and shmem).
    Shr,
    State,
    Cpu,
    Mem,
    Threads,
    Time,
    Command,
    /// Bytes per second read from storage (/proc/PID/io read_bytes), as htop's IO_READ_RATE.
    IoRead,
    /// Bytes per second written (/proc/PID/io write_bytes), as htop's IO_WRITE_RATE.
    IoWrite,
}

impl Column {
    /// The columns shown unless the config says otherwise: the IO columns cost a read of
    /// /proc/PID/io per process per refresh, so they are off until asked for.
    pub const DEFAULT: [Column; 13] = [
        Column::Pid,
        Column::User,
        Column::Priority,
        Column::Nice,
        Column::Virt,
        Column::Res,
        Column::Shr,
        Column::State,
        Column::Cpu,
        Column::Mem,
        Column::Threads,
        Column::Time,
        Column::Command,
    ];

    /// Whether `columns` needs /proc/PID/io.
    pub fn need_io(columns: &[Column]) -> bool {
        columns.iter().any(|c| matches!(c, Column::IoRead | Column::IoWrite))
    }

    pub const ALL: [Column; 15] = [
        Column::Pid,
        Column::User,
        Column::Priority,
        Column::Nice,
        Column::Virt,
        Column::Res,
        Column::Shr,
        Column::State,
        Column::Cpu,
        Column::Mem,
        Column::Threads,
        Column::Time,
        Column::Command,
        Column::IoRead,
        Column::IoWrite,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Pid => "PID",
            Column::User => "USER",
            Column::Priority => "PRI",
            Column::Nice => "NI",
            Column::Virt => "VIRT",
            Column::Res => "RES",
            Column::Shr => "SHR",
            Column::State => "S",
            Column::Cpu => "CPU%",
            Column::Mem => "MEM%",
            Column::Threads => "THR",
            Column::Time => "TIME+",
            Column::Command => "COMMAND",
            Column::IoRead => "IO_R/s",
            Column::IoWrite => "IO_W/s",
        }
    }

    /// Width on screen (COMMAND takes the rest).
    pub fn width(self) -> u16 {
        match self {
            Column::Pid => 7,
            Column::User => 9,
            Column::Priority => 3,
            Column::Nice => 3,
            Column::Virt => 6,
            Column::Res => 6,
            Column::Shr => 6,
            Column::State => 1,
            Column::Cpu => 5,
            Column::Mem => 5,
            Column::Threads => 4,
            Column::Time => 9,
            Column::Command => 0,
            Column::IoRead | Column::IoWrite => 6,
        }
    }

    /// Which columns go first when the terminal is narrow (higher = dropped earlier).
    pub fn drop_rank(self) -> u8 {
        match self {
            Column::Pid | Column::Command => 0,
            Column::Cpu => 1,
            Column::State => 2,
            Column::Mem => 3,
            Column::User => 4,
            Column::Res => 5,
            Column::Time => 6,
            Column::Threads => 7,
            Column::Virt => 8,
            Column::Nice => 9,
            Column::Priority => 10,
            Column::Shr => 11,
            Column::IoWrite => 12,
            Column::IoRead => 13,
        }
    }

    pub fn right_aligned(self) -> bool {
        !matches!(self, Column::User | Column::State | Column::Command)
    }

    /// Numbers sort biggest first, names A→Z first, as in htop.
    pub fn descending_by_default(self) -> bool {
        !matches!(self, Column::Pid | Column::User | Column::Command | Column::State)
    }

    /// Accepts the titles and htop's field names, case-insensitive (`CPU`, `PERCENT_CPU`, `M_RESIDENT`).
    pub fn parse(name: &str) -> Option<Column> {
        let n = name.trim().to_ascii_uppercase();
        let col = match n.as_str() {
            "PID" => Column::Pid,
            "USER" => Column::User,
            "PRI" | "PRIORITY" => Column::Priority,
            "NI" | "NICE" => Column::Nice,
            "VIRT" | "M_VIRT" | "M_SIZE" => Column::Virt,
            "RES" | "RSS" | "M_RESIDENT" => Column::Res,
            "SHR" | "M_SHARE" => Column::Shr,
            "S" | "STATE" => Column::State,
            "CPU" | "CPU%" | "PERCENT_CPU" => Column::Cpu,
            "MEM" | "MEM%" | "PERCENT_MEM" => Column::Mem,
            "THR" | "THREADS" | "NLWP" => Column::Threads,
            "TIME" | "TIME+" => Column::Time,
            "COMMAND" | "COMM" | "CMD" | "NAME" => Column::Command,
            "IO_R/S" | "IO_R" | "IO_READ_RATE" => Column::IoRead,
            "IO_W/S" | "IO_W" | "IO_WRITE_RATE" => Column::IoWrite,
            _ => return None,
        };
        Some(col)
    }
}

/// The valid names for `-s`, for error messages.
pub fn column_names() -> String {
    Column::ALL.iter().map(|c| c.title().trim_end_matches(['%', '+'])).collect::<Vec<_>>().join(", ")
}

/// Identifies a row of the process list across refreshes: a process, or one of its threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RowId {
    pub pid: Pid,
    pub tid: Option<Pid>,
}
/// One visible row of the process list (indices into the current snapshot).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: RowId,
    pub process: usize,
    /// Set for a thread row (all-threads mode): index into that process's `threads`.
    pub thread: Option<usize>,
    /// Tree guides (or the indent of a thread row) drawn before the command.
    pub prefix: String,
    pub collapsed: bool,
}
/// Scroll position of a table; the UI writes back what it drew (interior mutability keeps
/// drawing a function of `&App`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scroll {
    pub offset: Cell<usize>,
    /// Rows of the table body at the last draw: the page size for PgUp/PgDn.
    pub height: Cell<usize>,
}
impl Scroll {
    /// The first row to draw so that `selected` is visible, remembered for the next draw.
    pub fn offset_for(&self, selected: usize, len: usize, height: usize) -> usize {
        self.height.set(height);
        let mut off = self.offset.get();
        if height == 0 {
            return off.min(selected);
        }
        if selected < off {
            off = selected;
        } else if selected >= off + height {
            off = selected + 1 - height;
        }
        off = off.min(len.saturating_sub(height));
        self.offset.set(off);
        off
    }

    pub(crate) fn page(&self) -> usize {
        self.height.get().max(1)
    }
}
/// The process list's settings and derived rows.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessList {
    pub sort: SortSpec,
    pub tree: bool,
    pub collapsed: HashSet<Pid>,
    pub show_kernel: bool,
    pub show_threads: bool,
    pub filter: String,
    pub search: String,
    pub pids: Option<HashSet<Pid>>,
    pub user: Option<String>,
    pub rows: Vec<Row>,
    pub selected: usize,
    pub selected_id: Option<RowId>,
    /// A PID to select as soon as it appears (a demo just launched).
    pub pending_select: Option<Pid>,
    pub scroll: Scroll,
    /// Tagged processes: PID -> start time (clock ticks), so a tag never passes to a later
    /// process that reuses the PID. A tag is dropped when its process exits.
    pub tagged: HashMap<Pid, u64>,
    /// The selected process exited and the cursor moved to another row by itself: acting keys
    /// refuse (naming this PID) until the user moves the cursor.
    pub vanished: Option<Pid>,
    /// Columns the COMMAND column is scrolled sideways (Left/Right), as in htop.
    pub command_scroll: usize,
    /// htop's follow: the selection stays on its PID (true) or on its row position (false).
    pub follow: bool,
}
/// Columns one Left/Right moves the COMMAND column.
pub const COMMAND_SCROLL_STEP: usize = 8;

impl App {
    pub fn selected_row(&self) -> Option<&Row> {
        self.list.rows.get(self.list.selected)
    }

    /// The PID of the selected process-list row (a thread row gives its process).
    pub fn selected_pid(&self) -> Option<Pid> {
        self.selected_row().map(|r| r.id.pid)
    }

    /// The process of the selected row, as in the current snapshot.
    pub fn selected_process(&self) -> Option<&crate::collect::model::ProcessSample> {
        self.selected_row().and_then(|r| self.snapshot.processes.get(r.process))
    }

    /// Tags whose process exited (or whose PID now names a later process) go.
    pub(crate) fn drop_gone_tags(&mut self) {
        if self.list.tagged.is_empty() {
            return;
        }
        let alive: HashMap<Pid, u64> = self.snapshot.processes.iter().map(|p| (p.pid, p.start_ticks)).collect();
        self.list.tagged.retain(|pid, start| alive.get(pid) == Some(start));
    }

    /// Recomputes the visible rows and puts the selection back on the same PID (follow mode);
    /// if that process is gone, on the row that took its place.
    pub fn rebuild_rows(&mut self) {
        let snap = Arc::clone(&self.snapshot);
        let list = &mut self.list;
        let filter = list.filter.to_lowercase();
        let include: Vec<usize> = snap
            .processes
            .iter()
            .enumerate()
            .filter(|(_, p)| list.show_kernel || !p.kernel_thread)
            .filter(|(_, p)| list.pids.as_ref().is_none_or(|set| set.contains(&p.pid)))
            .filter(|(_, p)| list.user.as_ref().is_none_or(|u| *p.user == **u))
            .filter(|(_, p)| matches_process(p, &filter))
            .map(|(i, _)| i)
            .collect();

        let mut rows = Vec::with_capacity(include.len());
        let push_threads = |rows: &mut Vec<Row>, i: usize, indent: &str| {
            let p = &snap.processes[i];
            if !list.show_threads {
                return;
            }
            // Grouped under their process (a thread row never loses its process), in the
            // list's sort order within it.
            let mut order: Vec<usize> = (0..p.threads.len()).filter(|&k| p.threads[k].tid != p.pid).collect();
            order.sort_by(|&a, &b| compare_thread_rows(&p.threads[a], &p.threads[b], list.sort));
            for k in order {
                let t = &p.threads[k];
                rows.push(Row {
                    id: RowId { pid: p.pid, tid: Some(t.tid) },
                    process: i,
                    thread: Some(k),
                    prefix: format!("{indent}· "),
                    collapsed: false,
                });
            }
        };
        if list.tree {
            for line in tree::build(&snap.processes, &include, |a, b| compare(a, b, list.sort), &list.collapsed) {
                let p = &snap.processes[line.index];
                rows.push(Row {
                    id: RowId { pid: p.pid, tid: None },
                    process: line.index,
                    thread: None,
                    prefix: line.prefix.clone(),
                    collapsed: line.collapsed,
                });
                // Under a `├─` the branch goes on (│); under a `└─` it has ended (space).
                let indent: String = line.prefix.replace('├', "│").replace('└', " ").replace(['─', '+'], " ");
                push_threads(&mut rows, line.index, &indent);
            }
        } else {
            let mut order = include;
            order.sort_by(|&a, &b| compare(&snap.processes[a], &snap.processes[b], list.sort));
            for i in order {
                let p = &snap.processes[i];
                rows.push(Row {
                    id: RowId { pid: p.pid, tid: None },
                    process: i,
                    thread: None,
                    prefix: String::new(),
                    collapsed: false,
                });
                push_threads(&mut rows, i, "");
            }
        }

        let previous = list.selected;
        list.rows = rows;
        if let Some(pid) = list.pending_select
            && let Some(i) = list.rows.iter().position(|r| r.id.pid == pid && r.id.tid.is_none())
        {
            list.pending_select = None;
            list.vanished = None;
            list.selected = i;
        } else if !list.follow {
            list.selected = previous.min(list.rows.len().saturating_sub(1));
        } else if let Some(i) = list.selected_id.and_then(|id| list.rows.iter().position(|r| r.id == id)) {
            list.selected = i;
        } else if let Some(i) =
            list.selected_id.and_then(|id| list.rows.iter().position(|r| r.id.pid == id.pid && r.id.tid.is_none()))
        {
            // A thread row went away (all-threads mode off, or the thread exited): its process.
            list.selected = i;
        } else {
            list.selected = previous.min(list.rows.len().saturating_sub(1));
        }
        list.selected_id = list.rows.get(list.selected).map(|r| r.id);
    }

    pub(crate) fn select_row(&mut self, i: usize) {
        let list = &mut self.list;
        if list.rows.is_empty() {
            list.selected = 0;
            list.selected_id = None;
            return;
        }
        list.selected = i.min(list.rows.len() - 1);
        list.selected_id = Some(list.rows[list.selected].id);
        list.pending_select = None;
        list.vanished = None;
    }

    pub(crate) fn set_sort(&mut self, column: Column) {
        self.list.sort = SortSpec::by(column);
        self.rebuild_rows();
    }

    /// Moves to the first row at or after `from` (wrapping) whose name or command matches.
    pub(crate) fn search_from(&mut self, from: usize) {
        let needle = self.list.search.to_lowercase();
        if needle.is_empty() || self.list.rows.is_empty() {
            return;
        }
        let n = self.list.rows.len();
        let snap = &self.snapshot;
        let hit = (0..n).map(|k| (from + k) % n).find(|&i| {
            let row = &self.list.rows[i];
            let Some(p) = snap.processes.get(row.process) else {
                return false;
            };
            match row.thread.and_then(|k| p.threads.get(k)) {
                Some(t) => contains_ci(&t.name, &needle),
                None => matches_process(p, &needle),
            }
        });
        match hit {
            Some(i) => self.select_row(i),
            None => self.say(format!("no process matches '{}'", self.list.search), true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_processes_show_their_name_first() {
        let p = |name: &str, cmd: &str| ProcessSample { name: name.into(), cmdline: cmd.into(), ..Default::default() };
        assert_eq!(display_command(&p("bash", "/bin/bash -l")), "/bin/bash -l");
        assert_eq!(display_command(&p("sshd", "sshd: root@pts/0")), "sshd: root@pts/0");
        assert_eq!(display_command(&p("kworker/0:1", "")), "[kworker/0:1]");
        assert_eq!(
            display_command(&p("tt-cpu-threads", "threadtop __workload cpu-threads")),
            "tt-cpu-threads ▸ threadtop __workload cpu-threads"
        );
        // A 15-byte comm cut from a longer program name is not a rename.
        assert_eq!(display_command(&p("a-very-long-pro", "/x/a-very-long-program")), "/x/a-very-long-program");
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortSpec {
    pub column: Column,
    pub descending: bool,
}

impl SortSpec {
    pub fn by(column: Column) -> SortSpec {
        SortSpec { column, descending: column.descending_by_default() }
    }
}

impl Default for SortSpec {
    fn default() -> Self {
        SortSpec::by(Column::Cpu)
    }
}

fn cmp_f32(a: f32, b: f32) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// The text a process is shown and sorted by: its command line, or `[name]` when it has none.
/// A process that renamed itself (its name is not the start of its program's file name, as the
/// lab's `tt-` demos do) shows that name first, since that is how the user knows it.
pub fn display_command(p: &ProcessSample) -> std::borrow::Cow<'_, str> {
    if p.cmdline.is_empty() {
        return std::borrow::Cow::Owned(format!("[{}]", p.name));
    }
    let argv0 = p.cmdline.split(' ').next().unwrap_or("");
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    if p.name.is_empty() || base.starts_with(&*p.name) || p.cmdline.contains(&*p.name) {
        std::borrow::Cow::Borrowed(&p.cmdline)
    } else {
        std::borrow::Cow::Owned(format!("{} ▸ {}", p.name, p.cmdline))
    }
}

/// Compares two processes by a column, PID breaking ties so the order is stable between refreshes.
pub fn compare(a: &ProcessSample, b: &ProcessSample, sort: SortSpec) -> Ordering {
    let ord = match sort.column {
        Column::Pid => Ordering::Equal,
        Column::User => a.user.cmp(&b.user),
        Column::Priority => a.priority.cmp(&b.priority),
        Column::Nice => a.nice.cmp(&b.nice),
        Column::Virt => a.virt_bytes.cmp(&b.virt_bytes),
        Column::Res => a.rss_bytes.cmp(&b.rss_bytes),
        Column::Shr => a.shared_bytes.cmp(&b.shared_bytes),
        Column::State => a.state.cmp(&b.state),
        Column::Cpu => cmp_f32(a.cpu_percent, b.cpu_percent),
        Column::Mem => a.rss_bytes.cmp(&b.rss_bytes),
        Column::Threads => a.num_threads.cmp(&b.num_threads),
        Column::Time => a.cpu_time_ms.cmp(&b.cpu_time_ms),
        Column::Command => display_command(a).cmp(&display_command(b)),
        // Unreadable io (`-`) sorts below every number.
        Column::IoRead => cmp_rate(io_rate(a, false), io_rate(b, false)),
        Column::IoWrite => cmp_rate(io_rate(a, true), io_rate(b, true)),
    };
    let ord = if sort.descending { ord.reverse() } else { ord };
    // The tie-break is always ascending PID, unless PID itself is the column being inverted.
    ord.then_with(|| {
        let t = a.pid.cmp(&b.pid);
        if sort.column == Column::Pid && sort.descending { t.reverse() } else { t }
    })
}

/// Compares two threads of one process (all-threads rows) by the list's column; a column that
/// is the process's only (memory, user, thread count) keeps TID order.
pub fn compare_thread_rows(a: &ThreadSample, b: &ThreadSample, sort: SortSpec) -> Ordering {
    let ord = match sort.column {
        Column::Priority => a.priority.cmp(&b.priority),
        Column::Nice => a.nice.cmp(&b.nice),
        Column::State => a.state.cmp(&b.state),
        Column::Cpu => cmp_f32(a.cpu_percent, b.cpu_percent),
        Column::Time => a.cpu_time_ms.cmp(&b.cpu_time_ms),
        Column::Command => a.name.cmp(&b.name),
        Column::Pid
        | Column::User
        | Column::Virt
        | Column::Res
        | Column::Shr
        | Column::Mem
        | Column::Threads
        | Column::IoRead
        | Column::IoWrite => Ordering::Equal,
    };
    let ord = if sort.descending { ord.reverse() } else { ord };
    ord.then_with(|| {
        let t = a.tid.cmp(&b.tid);
        if sort.column == Column::Pid && sort.descending { t.reverse() } else { t }
    })
}

/// A process's read (or write) rate in bytes/s; None where its io is unreadable or not read yet.
pub fn io_rate(p: &ProcessSample, write: bool) -> Option<f64> {
    let x = p.extra.as_deref()?;
    if write { x.io_write_per_sec } else { x.io_read_per_sec }
}

fn cmp_rate(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// Case-insensitive match of a needle (already lower-cased) against name and command line.
pub fn matches_process(p: &ProcessSample, needle_lower: &str) -> bool {
    needle_lower.is_empty() || contains_ci(&p.name, needle_lower) || contains_ci(&p.cmdline, needle_lower)
}

pub fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if hay.is_ascii() && needle_lower.is_ascii() {
        let n = needle_lower.as_bytes();
        return hay.as_bytes().windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle_lower)
}

/// The thread table's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadColumn {
    Tid,
    Name,
    State,
    Cpu,
    /// Where its time went over the last ~10 s: a stacked bar.
    Split,
    Wait,
    /// The system call it is blocked in, with the fd it names.
    Waiting,
    /// The kernel function it sleeps in.
    Wchan,
    Processor,
    Migrations,
    Vcsw,
    Nvcsw,
    IoRead,
    IoWrite,
    IoCalls,
    Time,
    Nice,
}

impl ThreadColumn {
    pub const ALL: [ThreadColumn; 17] = [
        ThreadColumn::Tid,
        ThreadColumn::Name,
        ThreadColumn::State,
        ThreadColumn::Cpu,
        ThreadColumn::Split,
        ThreadColumn::Wait,
        ThreadColumn::Waiting,
        ThreadColumn::Wchan,
        ThreadColumn::Processor,
        ThreadColumn::Migrations,
        ThreadColumn::Vcsw,
        ThreadColumn::Nvcsw,
        ThreadColumn::IoRead,
        ThreadColumn::IoWrite,
        ThreadColumn::IoCalls,
        ThreadColumn::Time,
        ThreadColumn::Nice,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ThreadColumn::Tid => "TID",
            ThreadColumn::Name => "NAME",
            ThreadColumn::State => "S",
            ThreadColumn::Cpu => "CPU%",
            ThreadColumn::Split => "WHERE 10s",
            ThreadColumn::Wait => "WAIT%",
            ThreadColumn::Waiting => "WAITING",
            ThreadColumn::Wchan => "WCHAN",
            ThreadColumn::Processor => "P",
            ThreadColumn::Migrations => "MIG/s",
            ThreadColumn::Vcsw => "VCSW/s",
            ThreadColumn::Nvcsw => "NVCSW/s",
            ThreadColumn::IoRead => "RD/s",
            ThreadColumn::IoWrite => "WR/s",
            ThreadColumn::IoCalls => "SYSC/s",
            ThreadColumn::Time => "TIME+",
            ThreadColumn::Nice => "NI",
        }
    }

    pub fn width(self) -> u16 {
        match self {
            ThreadColumn::Tid => 8,
            ThreadColumn::Name => 16,
            ThreadColumn::State => 1,
            ThreadColumn::Cpu => 5,
            ThreadColumn::Split => 10,
            ThreadColumn::Wait => 5,
            ThreadColumn::Waiting => 26,
            ThreadColumn::Wchan => 18,
            ThreadColumn::Processor => 3,
            ThreadColumn::Migrations => 5,
            ThreadColumn::Vcsw => 7,
            ThreadColumn::Nvcsw => 7,
            ThreadColumn::IoRead | ThreadColumn::IoWrite | ThreadColumn::IoCalls => 6,
            ThreadColumn::Time => 9,
            ThreadColumn::Nice => 3,
        }
    }

    /// The first to go on a narrow screen has the highest rank; the "why" columns (WAITING, the
    /// time split) stay longest after the thread's identity, CPU% and state.
    pub fn drop_rank(self) -> u8 {
        match self {
            ThreadColumn::Tid | ThreadColumn::Name => 0,
            ThreadColumn::Cpu => 1,
            ThreadColumn::State => 2,
            ThreadColumn::Waiting => 3,
            ThreadColumn::Split => 4,
            ThreadColumn::Wait => 5,
            ThreadColumn::Processor => 6,
            ThreadColumn::Wchan => 7,
            ThreadColumn::Migrations => 8,
            ThreadColumn::Vcsw => 9,
            ThreadColumn::Nvcsw => 10,
            ThreadColumn::IoRead => 11,
            ThreadColumn::IoWrite => 12,
            ThreadColumn::Time => 13,
            ThreadColumn::IoCalls => 14,
            ThreadColumn::Nice => 15,
        }
    }

    pub fn right_aligned(self) -> bool {
        !matches!(
            self,
            ThreadColumn::Name
                | ThreadColumn::State
                | ThreadColumn::Split
                | ThreadColumn::Waiting
                | ThreadColumn::Wchan
        )
    }

    pub fn descending_by_default(self) -> bool {
        !matches!(
            self,
            ThreadColumn::Tid | ThreadColumn::Name | ThreadColumn::State | ThreadColumn::Waiting | ThreadColumn::Wchan
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadSort {
    pub column: ThreadColumn,
    pub descending: bool,
}

impl ThreadSort {
    pub fn by(column: ThreadColumn) -> ThreadSort {
        ThreadSort { column, descending: column.descending_by_default() }
    }
}

impl Default for ThreadSort {
    fn default() -> Self {
        ThreadSort::by(ThreadColumn::Tid)
    }
}

fn cmp_opt<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// Compares two threads by a column, TID breaking ties.
pub fn compare_threads(a: &ThreadDetail, b: &ThreadDetail, sort: ThreadSort) -> Ordering {
    let (x, y) = (&a.thread, &b.thread);
    let ord = match sort.column {
        ThreadColumn::Tid => Ordering::Equal,
        ThreadColumn::Name => x.name.cmp(&y.name),
        ThreadColumn::State => x.state.cmp(&y.state),
        ThreadColumn::Cpu => cmp_f32(x.cpu_percent, y.cpu_percent),
        ThreadColumn::Time => x.cpu_time_ms.cmp(&y.cpu_time_ms),
        ThreadColumn::Processor => x.last_cpu.cmp(&y.last_cpu),
        ThreadColumn::Vcsw => cmp_opt(a.voluntary_per_sec, b.voluntary_per_sec),
        ThreadColumn::Nvcsw => cmp_opt(a.nonvoluntary_per_sec, b.nonvoluntary_per_sec),
        ThreadColumn::Wait => cmp_opt(a.wait_percent, b.wait_percent),
        // By the window's share on a CPU, then waiting for one: the busiest first.
        ThreadColumn::Split => {
            let key = |d: &ThreadDetail| d.split_window.map(|s| (s.percent(s.on_cpu_ns), s.percent(s.wait_ns)));
            cmp_opt(key(a), key(b))
        }
        ThreadColumn::Waiting => a.waiting.as_ref().map(|w| &w.text).cmp(&b.waiting.as_ref().map(|w| &w.text)),
        ThreadColumn::Wchan => {
            let key = |d: &'_ ThreadDetail| d.waiting.as_ref().and_then(|w| w.wchan.clone());
            key(a).cmp(&key(b))
        }
        ThreadColumn::Migrations => cmp_opt(a.migrations_per_sec, b.migrations_per_sec),
        ThreadColumn::IoRead => cmp_opt(a.io.map(|i| i.read_bytes_per_sec), b.io.map(|i| i.read_bytes_per_sec)),
        ThreadColumn::IoWrite => cmp_opt(a.io.map(|i| i.write_bytes_per_sec), b.io.map(|i| i.write_bytes_per_sec)),
        ThreadColumn::IoCalls => cmp_opt(a.io.map(|i| i.syscalls_per_sec), b.io.map(|i| i.syscalls_per_sec)),
        ThreadColumn::Nice => x.nice.cmp(&y.nice),
    };
    let ord = if sort.descending { ord.reverse() } else { ord };
    ord.then_with(|| {
        let t = x.tid.cmp(&y.tid);
        if sort.column == ThreadColumn::Tid && sort.descending { t.reverse() } else { t }
    })
}
