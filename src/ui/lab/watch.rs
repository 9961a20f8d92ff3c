//! Watching in the lab: the live rows of the running demos' processes, then the threads of the
//! watched demo (the newest of the kind under the cursor) with its core map, so that launching
//! and watching happen on one screen. Rows that do not fit are counted ("+3 more"), never cut.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::app::App;
use crate::app::lab::watch::processes_of;
use crate::collect::model::ProcessSample;
use crate::model::demo::DemoId;
use crate::ui::format::{elide, fmt_bytes, fmt_percent, fmt_rate, sanitize};
use crate::ui::{Theme, cell, fill_line, put};

/// The running demos' processes, with the demo each belongs to.
fn live_rows(app: &App) -> Vec<(DemoId, &ProcessSample)> {
    let mut rows = Vec::new();
    for d in app.lab.demos.iter().filter(|d| d.running()) {
        for p in processes_of(&d.pids, &app.snapshot) {
            rows.push((d.id, p));
        }
    }
    rows
}

/// Lines the watch would like: the live rows and the watched demo's threads with its core map.
pub fn wanted_height(app: &App) -> u16 {
    if app.lab.running_count() == 0 {
        return 0;
    }
    let live = live_rows(app).len().max(1) as u16 + 1;
    let threads = app.lab.watch.as_ref().map_or(0, |t| t.row_count() as u16 + 1);
    let map = app.logical_cores().min(8) as u16 + 1;
    live + 1 + 1 + map + threads
}

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 || area.width == 0 || app.lab.running_count() == 0 {
        return;
    }
    let w = usize::from(area.width);
    let rows = live_rows(app);
    // The live rows get up to half, the threads and core map the rest.
    let live_h = (rows.len().max(1) as u16 + 1).min((area.height / 2).max(2)).min(area.height);
    render_live(buf, Rect { height: live_h, ..area }, &rows, theme, w);
    let rest = Rect { y: area.y + live_h, height: area.height - live_h, ..area };
    if rest.height >= 3 {
        render_threads(buf, Rect { y: rest.y + 1, height: rest.height - 1, ..rest }, app, theme);
    }
}

fn render_live(buf: &mut Buffer, area: Rect, rows: &[(DemoId, &ProcessSample)], theme: &Theme, w: usize) {
    let head = format!(
        "{} {} {} {} {} {} {} {}",
        cell("PID", 7, true),
        cell("#", 3, true),
        cell("PROCESS", 15, false),
        "S",
        cell("CPU%", 5, true),
        cell("THR", 4, true),
        cell("RES", 6, true),
        cell("P", 3, true)
    );
    fill_line(buf, area, area.y, theme.table_header);
    let long = format!("{head}  the demos' processes, live");
    let head = if long.chars().count() <= w { long } else { head };
    put(buf, area, area.x, area.y, &elide(&head, w), theme.table_header);
    let room = usize::from(area.height.saturating_sub(1));
    let shown = if rows.len() > room { room.saturating_sub(1) } else { rows.len() };
    for (k, (id, p)) in rows.iter().take(shown).enumerate() {
        let y = area.y + 1 + k as u16;
        let x = put(
            buf,
            area,
            area.x,
            y,
            &format!("{} {} ", cell(&p.pid.to_string(), 7, true), cell(&id.to_string(), 3, true)),
            theme.text,
        );
        let x = put(buf, area, x, y, &format!("{} ", cell(&sanitize(&p.name), 15, false)), theme.title);
        let x = put(buf, area, x, y, &p.state.to_string(), theme.state(p.state));
        let text = format!(
            " {} {} {} {}",
            cell(&fmt_percent(p.cpu_percent), 5, true),
            cell(&p.num_threads.to_string(), 4, true),
            cell(&fmt_bytes(p.rss_bytes), 6, true),
            cell(&p.last_cpu.to_string(), 3, true)
        );
        put(buf, area, x, y, &text, theme.text);
    }
    if shown < rows.len() && room > 0 {
        let y = area.y + room as u16;
        put(
            buf,
            area,
            area.x,
            y,
            &format!("  +{} more: d, then the process list shows them all", rows.len() - shown),
            theme.dim,
        );
    }
    if rows.is_empty() && area.height > 1 {
        put(buf, area, area.x + 1, area.y + 1, "waiting for the next sample to list its processes…", theme.dim);
    }
}

fn render_threads(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let w = usize::from(area.width);
    let (Some(t), Some(d)) = (app.lab.watch.as_ref(), app.lab.watched()) else { return };
    let cores = app.logical_cores();
    let ciu = t.focus.as_ref().map_or_else(|| "-".to_owned(), |f| format!("{:.2}", f.cores_in_use));
    let name = t.process.as_ref().map_or_else(String::new, |p| sanitize(&p.name).into_owned());
    let (pid, kind, id) = (t.pid, d.spec.kind, d.id);
    // The figure is never cut: the words around it shrink first.
    let titles = [
        format!(
            "Threads of {name} (PID {pid}, {kind} #{id}): cores in use {ciu} of {cores} · the newest demo of the kind under the cursor"
        ),
        format!("Threads of {name} (PID {pid}, {kind} #{id}): cores in use {ciu} of {cores}"),
        format!("{name} #{id}: cores in use {ciu} of {cores}"),
        format!("cores {ciu} of {cores}"),
    ];
    let title = titles.iter().find(|t| t.chars().count() <= w).unwrap_or(&titles[3]).clone();
    put(buf, area, area.x, area.y, &elide(&title, w), theme.title);
    // The core map: each core's load and the threads in state R that last ran on it.
    let on_core = t.running_on_cores(cores);
    let cpus = &app.snapshot.system.cpus;
    let map_rows = cores.min(usize::from(area.height.saturating_sub(3)).max(1)).min(8);
    let per_row = cores.div_ceil(map_rows).max(1);
    let col_w = (w / per_row).max(1);
    for i in 0..cores {
        let (r, k) = (i % map_rows, i / map_rows);
        let y = area.y + 1 + r as u16;
        if y >= area.bottom() {
            break;
        }
        let busy = cpus.get(i).map_or(0.0, |c| c.busy());
        let filled = ((f64::from(busy) / 100.0).clamp(0.0, 1.0) * 8.0).round() as usize;
        let names: Vec<String> =
            on_core.get(i).map(|v| v.iter().map(|n| sanitize(n).into_owned()).collect()).unwrap_or_default();
        let names = if names.is_empty() { "·".to_owned() } else { names.join(" ") };
        let x0 = area.x + (k * col_w) as u16;
        let cell_area =
            Rect { x: x0, width: (col_w as u16).saturating_sub(1).min(area.right().saturating_sub(x0)), ..area };
        let x = put(buf, cell_area, x0, y, &format!("{i:>2} "), theme.label);
        let x = put(buf, cell_area, x, y, &"█".repeat(filled), theme.bar_user);
        let x = put(buf, cell_area, x, y, &"░".repeat(8 - filled), theme.dim);
        let x = put(buf, cell_area, x, y, &format!(" {:>3.0}% ", busy), theme.value);
        put(buf, cell_area, x, y, &elide(&names, usize::from(cell_area.right().saturating_sub(x))), theme.thread_row);
    }
    let y = area.y + 1 + map_rows as u16;
    if y >= area.bottom() {
        return;
    }
    let head = format!(
        "{} {} {} {} {} {} {} {}",
        cell("TID", 7, true),
        cell("THREAD", 15, false),
        "S",
        cell("CPU%", 5, true),
        cell("P", 3, true),
        cell("WAIT%", 5, true),
        cell("VCSW/s", 7, true),
        cell("NVCSW/s", 7, true)
    );
    let table = Rect { y, height: area.bottom() - y, ..area };
    fill_line(buf, table, y, theme.table_header);
    put(buf, table, table.x, y, &elide(&head, w), theme.table_header);
    let room = usize::from(table.height.saturating_sub(1));
    let rows: Vec<_> = t.rows().filter(|r| !r.exited).collect();
    let shown = if rows.len() > room { room.saturating_sub(1) } else { rows.len() };
    for (k, r) in rows.iter().take(shown).enumerate() {
        let th = &r.detail.thread;
        let y = y + 1 + k as u16;
        let x = put(buf, table, table.x, y, &format!("{} ", cell(&th.tid.to_string(), 7, true)), theme.text);
        let x = put(buf, table, x, y, &format!("{} ", cell(&sanitize(&th.name), 15, false)), theme.thread_row);
        let x = put(buf, table, x, y, &th.state.to_string(), theme.state(th.state));
        let wait = r.detail.wait_percent.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}"));
        let text = format!(
            " {} {} {} {} {}",
            cell(&fmt_percent(th.cpu_percent), 5, true),
            cell(&th.last_cpu.to_string(), 3, true),
            cell(&wait, 5, true),
            cell(&fmt_rate(r.detail.voluntary_per_sec), 7, true),
            cell(&fmt_rate(r.detail.nonvoluntary_per_sec), 7, true)
        );
        put(buf, table, x, y, &text, theme.text);
    }
    if shown < rows.len() && room > 0 {
        let y = y + room as u16;
        put(
            buf,
            table,
            table.x,
            y,
            &format!("  +{} more threads: Enter on it in the process list opens them all", rows.len() - shown),
            theme.dim,
        );
    }
    if rows.is_empty() && room > 0 {
        put(buf, table, table.x + 1, y + 1, "reading its threads…", theme.dim);
    }
}
