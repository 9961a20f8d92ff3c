//! The help overlay (generated from the keymap, plus what each column means) and the F6 sort
//! menu.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::app::table::{Column, ThreadColumn};
use crate::app::{App, View};
use crate::ui::Theme;
use crate::ui::format::wrap;

/// One line per column: what it means and where it comes from.
pub const COLUMN_HELP: &[(&str, &str)] = &[
    ("PID", "process id (TID for a thread row)"),
    ("USER", "owner (real uid of /proc/PID)"),
    ("PRI / NI", "kernel priority and nice (stat fields 18, 19)"),
    ("VIRT / RES", "virtual size and resident memory (stat vsize, statm resident)"),
    ("SHR", "resident memory that is shared: file-backed pages and shmem (statm shared)"),
    (
        "S",
        "state: R running, S sleeping, D disk wait, T stopped, Z zombie, I idle. A process row shows its main thread's state (stat), as ps and htop do: a process whose workers run while its main thread waits shows S with a high CPU%; Enter shows each thread's",
    ),
    ("CPU%", "share of ONE core over the last interval (4 busy threads ≈ 400%)"),
    ("MEM%", "resident memory / total memory"),
    ("THR", "threads in the process (stat num_threads)"),
    ("TIME+", "CPU time used since start (utime + stime)"),
    ("IO_R/s / IO_W/s", "optional (O): bytes/s read from / written to storage (/proc/PID/io); - where unreadable"),
    ("P", "the core a thread last ran on (stat field 39)"),
    ("VCSW/s", "voluntary context switches per second (task/TID/status): it waited"),
    ("NVCSW/s", "involuntary switches per second: it was preempted while wanting to run"),
    ("WAIT%", "share of the interval runnable but waiting for a core (task/TID/schedstat)"),
    (
        "WHERE 10s",
        "threads view: where the thread's wall time went over the last 10 s, as a bar: █ on a CPU (schedstat run time), ▓ runnable but waiting for a core (schedstat run delay), ▒ blocked on I/O (stat field 42 with sysctl kernel.task_delayacct=1; otherwise the intervals whose sample found it in state D, and the view says so), · sleeping (the rest). The parts sum to the wall time (measured parts that overshoot it by clock noise are scaled down together to fit); the line above the table sums them over all threads",
    ),
    (
        "WAITING",
        "threads view: the system call a thread that is not running is blocked in (task/TID/syscall), with its file descriptor and what that is: \"read fd 3 pipe:[81234]\", \"accept fd 4 socket TCP 127.0.0.1:8080\"; \"running\" when it is on a CPU. Needs ptrace rights (root, or your own processes); read only for the rows on screen",
    ),
    (
        "WCHAN",
        "threads view: the kernel function a blocked thread sleeps in (task/TID/wchan), e.g. futex_do_wait, anon_pipe_read",
    ),
    (
        "MIG/s",
        "threads view: moves to another core per second (se.nr_migrations of task/TID/sched; else changes of P seen)",
    ),
    (
        "RD/s / WR/s",
        "threads view: bytes per second through read and write calls, pipes and sockets included (rchar, wchar of task/TID/io); - where unreadable",
    ),
    ("SYSC/s", "threads view: read and write calls per second (syscr + syscw of task/TID/io)"),
    (
        "GIL%",
        "Python processes: share of py-spy's samples (100/s, config python_sample_hz) in which the thread held the GIL; only one thread holds it at a time, so the column sums to 100% or less",
    ),
    ("PYFUNC", "Python processes: the thread's current Python function, \"function (file:line)\" (py-spy)"),
];

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Said once at the top of help: the one habit where threadtop differs from htop on purpose.
pub const FOLLOW_NOTE: &str = "The cursor follows its process as the list re-sorts (htop keeps the row, and its users ask for this: htop#142, #237, #1143). F switches to htop's fixed row. When the selected process exits, acting keys wait until you move the cursor.";

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, scroll: u16) {
    // The width there is (a margin of 2 each side), up to what the longest line needs.
    let r = centered(area, area.width.saturating_sub(4).min(160), area.height.saturating_sub(2).max(3));
    if r.width < 3 || r.height < 3 {
        return;
    }
    Clear.render(r, buf);
    let inner = r.width.saturating_sub(2) as usize;
    let key_w = if inner >= 70 { 22 } else { (inner / 3).max(1) };
    let text_w = inner.saturating_sub(key_w + 1).max(10);
    let mut lines: Vec<Line> = Vec::new();
    for l in wrap(FOLLOW_NOTE, inner) {
        lines.push(Line::styled(l, theme.dim));
    }
    lines.push(Line::styled("Keys (from the live keymap)", theme.title));
    let entry = |lines: &mut Vec<Line>, key: &str, text: &str, views: Option<&str>| {
        let full = match views {
            Some(v) => format!("{text}  [{v}]"),
            None => text.to_string(),
        };
        for (i, l) in wrap(&full, text_w).into_iter().enumerate() {
            let k = if i == 0 { key } else { "" };
            let k: String = k.chars().take(key_w).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("{k:>key_w$} "), theme.value),
                Span::styled(l, theme.text),
            ]));
        }
    };
    for e in &app.help.entries {
        entry(&mut lines, &e.keys, &e.what, Some(&e.views));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Columns", theme.title));
    for (c, what) in COLUMN_HELP {
        entry(&mut lines, c, what, None);
    }
    let max_scroll = (lines.len() as u16).saturating_sub(r.height.saturating_sub(2));
    Paragraph::new(lines)
        .scroll((scroll.min(max_scroll), 0))
        .block(Block::bordered().title(" Help · Up/Down scroll · any other key closes ").border_style(theme.border))
        .render(r, buf);
}

pub fn render_sort_menu(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize) {
    let titles: Vec<&str> = match app.view {
        View::Threads => ThreadColumn::ALL.iter().map(|c| c.title()).collect(),
        _ => Column::ALL.iter().map(|c| c.title()).collect(),
    };
    let current = match app.view {
        View::Threads => app.threads.as_ref().map(|t| t.sort.column.title()),
        _ => Some(app.list.sort.column.title()),
    };
    let r = centered(area, 24, titles.len() as u16 + 2);
    if r.width < 3 || r.height < 3 {
        return;
    }
    Clear.render(r, buf);
    let lines: Vec<Line> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mark = if Some(*t) == current { "•" } else { " " };
            let style = if i == cursor { theme.selected } else { theme.text };
            Line::styled(format!("{mark} {t:<18}"), style)
        })
        .collect();
    Paragraph::new(lines).block(Block::bordered().title(" Sort by ").border_style(theme.border)).render(r, buf);
}
