//! The process table: htop's columns, the sorted one marked, only the visible rows drawn.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::app::App;
use crate::app::table::{Column, display_command};
use crate::ui::format::{fmt_bytes, fmt_percent, fmt_priority, fmt_time_plus, sanitize};
use crate::ui::{Theme, cell, fill_line, fit_columns, put};

/// The chosen columns that fit in `width`, dropping the least important first; COMMAND keeps
/// at least 10 columns.
pub fn visible_columns(chosen: &[Column], width: u16) -> Vec<Column> {
    let fixed = |c: &Column| if *c == Column::Command { 10 } else { c.width() + 1 };
    fit_columns(chosen, width, fixed, |c| c.drop_rank())
}

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let cols = visible_columns(&app.options.columns, area.width);
    // COMMAND takes what the columns after it leave.
    let command_w = |x: u16, after: &[Column]| {
        let rest: u16 = after.iter().map(|c| c.width() + 1).sum();
        area.right().saturating_sub(x).saturating_sub(rest)
    };
    let list = &app.list;
    // Header row.
    fill_line(buf, area, area.y, theme.table_header);
    let mut x = area.x;
    let mut hit = app.hit.borrow_mut();
    hit.header_y = Some(area.y);
    hit.body_y = area.y + 1;
    hit.body_h = area.height - 1;
    hit.columns.clear();
    for (n, &c) in cols.iter().enumerate() {
        let w = if c == Column::Command { command_w(x, &cols[n + 1..]) } else { c.width() };
        if let Some(i) = Column::ALL.iter().position(|&k| k == c) {
            hit.columns.push((x, x + w + 1, i));
        }
        let style = if c == list.sort.column { theme.sorted_header } else { theme.table_header };
        let mut title = if c == list.sort.column && c == Column::Command {
            format!("{}{}", c.title(), if list.sort.descending { "▼" } else { "▲" })
        } else {
            c.title().to_string()
        };
        if c == Column::Command && list.command_scroll > 0 {
            // Say that the text is scrolled, and how to bring it back; shorter where narrow.
            let long = format!(" ◀ {} columns scrolled (Left)", list.command_scroll);
            let short = format!(" ◀{}", list.command_scroll);
            let fits = title.chars().count() + long.chars().count() <= w as usize;
            title.push_str(if fits { &long } else { &short });
        }
        x = put(buf, area, x, area.y, &cell(&title, w as usize, c.right_aligned()), style);
        x = put(buf, area, x, area.y, " ", theme.table_header);
    }
    drop(hit);

    let body = Rect { y: area.y + 1, height: area.height - 1, ..area };
    if body.height == 0 {
        return;
    }
    if list.rows.is_empty() {
        let msg = if app.snapshot.seq == 0 {
            "reading /proc…".to_string()
        } else if !list.filter.is_empty() {
            format!("no process matches the filter '{}' (Esc clears it)", sanitize(&list.filter))
        } else {
            "no process to show".to_string()
        };
        put(buf, body, body.x + 1, body.y, &msg, theme.dim);
        return;
    }
    let offset = list.scroll.offset_for(list.selected, list.rows.len(), body.height as usize);
    let snap = &app.snapshot;
    for (k, row) in list.rows.iter().skip(offset).take(body.height as usize).enumerate() {
        let y = body.y + k as u16;
        let Some(p) = snap.processes.get(row.process) else {
            continue;
        };
        let thread = row.thread.and_then(|t| p.threads.get(t));
        let selected = offset + k == list.selected;
        let base = if app.is_tagged(row.id) {
            theme.tagged
        } else if thread.is_some() {
            theme.thread_row
        } else if p.kernel_thread {
            theme.kernel_row
        } else {
            theme.text
        };
        let style = if selected { theme.selected } else { base };
        if selected {
            fill_line(buf, body, y, theme.selected);
        }
        let mut x = body.x;
        for (n, &c) in cols.iter().enumerate() {
            let w = if c == Column::Command { command_w(x, &cols[n + 1..]) } else { c.width() };
            let text: String = match (c, thread) {
                (Column::Pid, Some(t)) => t.tid.to_string(),
                (Column::Pid, None) => p.pid.to_string(),
                (Column::User, _) => sanitize(&p.user).into_owned(),
                (Column::Priority, Some(t)) => fmt_priority(t.priority),
                (Column::Priority, None) => fmt_priority(p.priority),
                (Column::Nice, Some(t)) => t.nice.to_string(),
                (Column::Nice, None) => p.nice.to_string(),
                (Column::Virt, _) => fmt_bytes(p.virt_bytes),
                (Column::Res, _) => fmt_bytes(p.rss_bytes),
                (Column::Shr, _) => fmt_bytes(p.shared_bytes),
                (Column::State, Some(t)) => t.state.to_string(),
                (Column::State, None) => p.state.to_string(),
                (Column::Cpu, Some(t)) => fmt_percent(t.cpu_percent),
                (Column::Cpu, None) => fmt_percent(p.cpu_percent),
                (Column::Mem, _) => fmt_percent(p.mem_percent),
                (Column::Threads, Some(_)) => String::new(),
                (Column::Threads, None) => p.num_threads.to_string(),
                (Column::Time, Some(t)) => fmt_time_plus(t.cpu_time_ms),
                (Column::Time, None) => fmt_time_plus(p.cpu_time_ms),
                (Column::Command, Some(t)) => {
                    scrolled(format!("{}{}", row.prefix, sanitize(&t.name)), list.command_scroll)
                }
                (Column::Command, None) => {
                    scrolled(format!("{}{}", row.prefix, sanitize(&display_command(p))), list.command_scroll)
                }
                (Column::IoRead | Column::IoWrite, Some(_)) => String::new(),
                (Column::IoRead | Column::IoWrite, None) => fmt_io_rate(p, c == Column::IoWrite),
            };
            let cell_style = match c {
                Column::State if !selected => base.patch(theme.state(thread.map(|t| t.state).unwrap_or(p.state))),
                _ => style,
            };
            x = put(buf, body, x, y, &cell(&text, w as usize, c.right_aligned()), cell_style);
            x = put(buf, body, x, y, " ", style);
        }
    }
}

/// The command text from column `skip` on (Left/Right scroll it sideways, as in htop).
/// `-` where io is unreadable (another user's process), blank until a second sample gives a rate.
fn fmt_io_rate(p: &crate::collect::model::ProcessSample, write: bool) -> String {
    match (p.extra.as_deref().and_then(|x| x.io), crate::app::table::io_rate(p, write)) {
        (None, _) => "-".into(),
        (Some(_), None) => String::new(),
        (Some(_), Some(r)) => fmt_bytes(r.round() as u64),
    }
}

fn scrolled(text: String, skip: usize) -> String {
    if skip == 0 { text } else { text.chars().skip(skip).collect() }
}
