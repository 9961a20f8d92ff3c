//! Process table columns, sort orders and text matching. Pure functions over samples.

use std::cmp::Ordering;

use crate::collect::model::{ProcessSample, ThreadDetail, ThreadSample};

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
}

impl Column {
    pub const ALL: [Column; 13] = [
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
            _ => return None,
        };
        Some(col)
    }
}

/// The valid names for `-s`, for error messages.
pub fn column_names() -> String {
    Column::ALL.iter().map(|c| c.title().trim_end_matches(['%', '+'])).collect::<Vec<_>>().join(", ")
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
    if p.name.is_empty() || base.starts_with(p.name.as_str()) || p.cmdline.contains(p.name.as_str()) {
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
        Column::Pid | Column::User | Column::Virt | Column::Res | Column::Shr | Column::Mem | Column::Threads => {
            Ordering::Equal
        }
    };
    let ord = if sort.descending { ord.reverse() } else { ord };
    ord.then_with(|| {
        let t = a.tid.cmp(&b.tid);
        if sort.column == Column::Pid && sort.descending { t.reverse() } else { t }
    })
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
    Time,
    Processor,
    Vcsw,
    Nvcsw,
    Wait,
    Nice,
}

impl ThreadColumn {
    pub const ALL: [ThreadColumn; 10] = [
        ThreadColumn::Tid,
        ThreadColumn::Name,
        ThreadColumn::State,
        ThreadColumn::Cpu,
        ThreadColumn::Time,
        ThreadColumn::Processor,
        ThreadColumn::Vcsw,
        ThreadColumn::Nvcsw,
        ThreadColumn::Wait,
        ThreadColumn::Nice,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ThreadColumn::Tid => "TID",
            ThreadColumn::Name => "NAME",
            ThreadColumn::State => "S",
            ThreadColumn::Cpu => "CPU%",
            ThreadColumn::Time => "TIME+",
            ThreadColumn::Processor => "P",
            ThreadColumn::Vcsw => "VCSW/s",
            ThreadColumn::Nvcsw => "NVCSW/s",
            ThreadColumn::Wait => "WAIT%",
            ThreadColumn::Nice => "NI",
        }
    }

    pub fn width(self) -> u16 {
        match self {
            ThreadColumn::Tid => 8,
            ThreadColumn::Name => 16,
            ThreadColumn::State => 1,
            ThreadColumn::Cpu => 5,
            ThreadColumn::Time => 9,
            ThreadColumn::Processor => 3,
            ThreadColumn::Vcsw => 7,
            ThreadColumn::Nvcsw => 7,
            ThreadColumn::Wait => 5,
            ThreadColumn::Nice => 3,
        }
    }

    pub fn drop_rank(self) -> u8 {
        match self {
            ThreadColumn::Tid | ThreadColumn::Name => 0,
            ThreadColumn::Cpu => 1,
            ThreadColumn::State => 2,
            ThreadColumn::Processor => 3,
            ThreadColumn::Vcsw => 4,
            ThreadColumn::Nvcsw => 5,
            ThreadColumn::Wait => 6,
            ThreadColumn::Time => 7,
            ThreadColumn::Nice => 8,
        }
    }

    pub fn right_aligned(self) -> bool {
        !matches!(self, ThreadColumn::Name | ThreadColumn::State)
    }

    pub fn descending_by_default(self) -> bool {
        !matches!(self, ThreadColumn::Tid | ThreadColumn::Name | ThreadColumn::State)
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
        ThreadColumn::Nice => x.nice.cmp(&y.nice),
    };
    let ord = if sort.descending { ord.reverse() } else { ord };
    ord.then_with(|| {
        let t = x.tid.cmp(&y.tid);
        if sort.column == ThreadColumn::Tid && sort.descending { t.reverse() } else { t }
    })
}
