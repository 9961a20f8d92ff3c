//! The threads view: a summary of the process, the core map, the thread table with each
//! thread's state history, and a legend for the columns a learner won't know.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::app::App;
use crate::app::table::ThreadColumn;
use crate::app::threads::ThreadsState;
use crate::collect::model::PythonSample;
use crate::ui::format::{fmt_bytes, fmt_percent, fmt_rate, fmt_time_plus, sanitize};
use crate::ui::{Theme, cell, fill_line, fit_columns, put, render_meter};

pub const LEGEND: &str = "CPU% of one core · P: core it last ran on · VCSW/s: voluntary switches/s, a thread that waits (I/O, sleep, a lock) · NVCSW/s: involuntary, a CPU hog preempted · WAIT%: runnable but waiting for a core · * main thread";

/// Columns that fit, dropping the least important first; the history strip takes what is left.
pub fn visible_columns(width: u16) -> Vec<ThreadColumn> {
    fit_columns(&ThreadColumn::ALL, width, |c| c.width() + 1, |c| c.drop_rank())
}

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = app.threads.as_ref() else {
        return;
    };
    if area.height == 0 {
        return;
    }
    let cores = app.logical_cores();
    // Budget: summary 3, core map (one row per CPU, up to 8 per column), legend 1, table the rest.
    let summary_h: u16 = if area.height >= 12 { 3 } else { 1 };
    let map_cols = cores.div_ceil(8).max(1);
    let map_rows = cores.div_ceil(map_cols) as u16;
    let map_h = if area.height >= summary_h + map_rows + 1 + 6 { map_rows + 1 } else { 0 };
    let legend = match t.focus.as_ref().and_then(|f| f.python.as_ref()) {
        Some(py) => format!("{} · {LEGEND}", python_legend(py)),
        None => LEGEND.to_owned(),
    };
    let legend_lines = (legend.chars().count() as u16).div_ceil(area.width.max(1));
    let legend_h: u16 = if area.height >= summary_h + map_h + 5 + legend_lines { legend_lines.min(3) } else { 0 };

    let mut y = area.y;
    render_summary(buf, Rect { y, height: summary_h, ..area }, app, t, theme);
    y += summary_h;
    if app.show_sparkline && area.height >= summary_h + 8 {
        crate::ui::graph::render_cores_sparkline(buf, Rect { y, height: 1, ..area }, app, theme);
        y += 1;
    }
    if map_h > 0 {
        render_core_map(buf, Rect { y, height: map_h, ..area }, app, t, theme, map_cols);
        y += map_h;
    }
    let table_h = area.bottom().saturating_sub(y + legend_h);
    render_table(buf, Rect { y, height: table_h, ..area }, app, t, theme);
    if legend_h > 0 {
        let r = Rect { y: area.bottom() - legend_h, height: legend_h, ..area };
        Paragraph::new(legend).style(theme.dim).wrap(Wrap { trim: true }).render(r, buf);
    }
}

/// What the GIL% and PYFUNC columns are, and what py-spy managed, for a Python process.
fn python_legend(py: &PythonSample) -> String {
    let version = py.version.as_deref().map(|v| format!("Python {v}: ")).unwrap_or_default();
    match &py.error {
        Some(e) => format!("{version}{}", sanitize(e)),
        None => format!(
            "{version}GIL%: share of py-spy's samples ({}/s) in which it held the GIL (≤ 100 in all) · PYFUNC: its Python function",
            py.rate_hz
        ),
    }
}

/// Width of GIL%; PYFUNC takes up to `PYFUNC_W` of what the other columns leave, at least
/// `PYFUNC_MIN` (the other columns shrink for it).
const GIL_W: u16 = 5;
const PYFUNC_MIN: u16 = 20;
const PYFUNC_W: u16 = 40;

fn render_summary(buf: &mut Buffer, area: Rect, app: &App, t: &ThreadsState, theme: &Theme) {
    let cores = app.logical_cores();
    let mut x = area.x;
    let y = area.y;
    x = put(buf, area, x, y, "PID ", theme.label);
    x = put(buf, area, x, y, &t.pid.to_string(), theme.value);
    let Some(p) = t.process.as_ref() else {
        if t.process_exited {
            put(buf, area, x, y, "  no such process (it does not exist or has exited) · Esc to go back", theme.error);
        } else {
            put(buf, area, x, y, "  reading its threads…", theme.dim);
        }
        return;
    };
    x = put(buf, area, x, y, &format!(" {} ", sanitize(&p.name)), theme.title);
    let cores_in_use = t.focus.as_ref().map(|f| f.cores_in_use);
    let state = if t.process_exited { 'X' } else { p.state };
    x = put(buf, area, x, y, &format!(" {state} "), theme.state(state));
    let nthreads = t.focus.as_ref().map(|f| f.threads.len()).filter(|&n| n > 0).unwrap_or(p.num_threads as usize);
    let ciu = cores_in_use.map(|c| format!("{c:.2} of {cores}")).unwrap_or_else(|| "-".into());
    let cpu = format!("{}%", fmt_percent(p.cpu_percent));
    // The key figure first and never cut: the words around it shrink on a narrow screen.
    let long = [(" · cores in use ", &ciu), (" · CPU ", &cpu), (" of one core · ", &format!("{nthreads} threads"))];
    let short = [(" · cores ", &ciu), (" · CPU ", &cpu), (" · thr ", &nthreads.to_string())];
    let len =
        |parts: &[(&str, &String)]| parts.iter().map(|(a, b)| a.chars().count() + b.chars().count()).sum::<usize>();
    let room = area.right().saturating_sub(x) as usize;
    let parts: &[(&str, &String)] = if len(&long) <= room {
        &long
    } else if len(&short) <= room {
        &short
    } else {
        &short[..1]
    };
    for (words, figure) in parts {
        x = put(buf, area, x, y, words, theme.text);
        x = put(buf, area, x, y, figure, theme.value);
    }
    if area.height < 2 {
        return;
    }
    let y = y + 1;
    if t.process_exited {
        fill_line(buf, area, y, theme.error);
        put(
            buf,
            area,
            area.x,
            y,
            &format!("process {} exited: showing its last data · Esc to go back", t.pid),
            theme.error,
        );
    } else if let Some(err) = &t.error {
        put(buf, area, area.x, y, &sanitize(err), theme.error);
    } else if p.state == 'Z' {
        // A zombie has freed its memory; what keeps its entry is a parent that has not waited.
        let parent = app.snapshot.processes.iter().find(|q| q.pid == p.ppid).map(|q| sanitize(&q.name).into_owned());
        let x = put(buf, area, area.x, y, "zombie: ", theme.error);
        let text = format!(
            "it has exited and holds no memory; its parent PPID {} ({}) has not reaped it (wait)",
            p.ppid,
            parent.as_deref().unwrap_or("gone")
        );
        put(buf, area, x, y, &text, theme.text);
    } else {
        let mut x = put(buf, area, area.x, y, "RES ", theme.label);
        x = put(buf, area, x, y, &fmt_bytes(p.rss_bytes), theme.value);
        x = put(buf, area, x, y, "  VIRT ", theme.label);
        x = put(buf, area, x, y, &fmt_bytes(p.virt_bytes), theme.value);
        x = put(buf, area, x, y, "  one address space, shared by all its threads · user ", theme.dim);
        put(buf, area, x, y, &sanitize(&p.user), theme.text);
    }
    let x = put(buf, area, area.x, y + 1, "cmd: ", theme.label);
    let cmd = if p.cmdline.is_empty() { format!("[{}]", p.name) } else { p.cmdline.to_string() };
    put(buf, area, x, y + 1, &sanitize(&cmd), theme.text);
}

fn render_core_map(buf: &mut Buffer, area: Rect, app: &App, t: &ThreadsState, theme: &Theme, cols: usize) {
    let title = [
        "Core map: this process's threads in state R (running or ready to run), by the core they last ran on",
        "Core map: its threads in state R (running or runnable), by the core they last ran on",
        "Core map: threads in state R, by the core they last ran on",
        "Core map: R threads by core",
    ]
    .into_iter()
    .find(|t| t.chars().count() <= area.width as usize)
    .unwrap_or("Core map");
    put(buf, area, area.x, area.y, title, theme.title);
    let cpus = &app.snapshot.system.cpus;
    let cores = app.logical_cores();
    let on_core = t.running_on_cores(cores);
    let rows = cores.div_ceil(cols).max(1);
    let col_w = area.width / cols as u16;
    let digits = cores.saturating_sub(1).to_string().len().max(2);
    let bar_w = (col_w / 3).clamp(8, 24);
    for i in 0..cores {
        let (r, k) = ((i % rows) as u16, (i / rows) as u16);
        let y = area.y + 1 + r;
        if y >= area.bottom() {
            break;
        }
        let x0 = area.x + k * col_w;
        let busy = cpus.get(i).map(|c| c.busy()).unwrap_or(0.0);
        let meter = Rect { x: x0, y, width: bar_w.min(col_w), height: 1 };
        let seg = [(f64::from(busy) / 100.0, theme.bar_user)];
        render_meter(buf, meter, y, &format!("{i:>digits$}"), &seg, &format!("{busy:.0}%"), theme);
        let names = on_core.get(i).map(|v| v.iter().map(|n| sanitize(n).into_owned()).collect::<Vec<_>>().join(" "));
        let names = names.filter(|n| !n.is_empty()).unwrap_or_else(|| "·".into());
        let cell_area = Rect { x: x0, width: col_w.saturating_sub(1), ..area };
        put(buf, cell_area, meter.right() + 1, y, &names, theme.thread_row);
    }
}

fn render_table(buf: &mut Buffer, area: Rect, app: &App, t: &ThreadsState, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    // GIL% and PYFUNC only for a Python process (py-spy's figures present).
    let py = t.focus.as_ref().and_then(|f| f.python.as_ref());
    let reserve = if py.is_some() { GIL_W + 1 + PYFUNC_MIN + 1 } else { 0 };
    let cols = visible_columns(area.width.saturating_sub(reserve));
    fill_line(buf, area, area.y, theme.table_header);
    let mut x = area.x;
    let mut hit = app.hit.borrow_mut();
    hit.header_y = Some(area.y);
    hit.body_y = area.y + 1;
    hit.body_h = area.height - 1;
    hit.columns.clear();
    for &c in &cols {
        if let Some(i) = ThreadColumn::ALL.iter().position(|&k| k == c) {
            hit.columns.push((x, x + c.width() + 1, i));
        }
        let style = if c == t.sort.column { theme.sorted_header } else { theme.table_header };
        x = put(buf, area, x, area.y, &cell(c.title(), c.width() as usize, c.right_aligned()), style);
        x = put(buf, area, x, area.y, " ", theme.table_header);
    }
    drop(hit);
    let mut pyfunc_w = 0;
    if py.is_some() {
        x = put(buf, area, x, area.y, &cell("GIL%", GIL_W as usize, true), theme.table_header);
        x = put(buf, area, x, area.y, " ", theme.table_header);
        let rest = area.right().saturating_sub(x + 1);
        // Room for a useful history strip too, or PYFUNC takes it all.
        pyfunc_w = if rest >= PYFUNC_W + 1 + 16 { PYFUNC_W } else { rest };
        x = put(buf, area, x, area.y, &cell("PYFUNC", pyfunc_w as usize, false), theme.table_header);
        x = put(buf, area, x, area.y, " ", theme.table_header);
    }
    let hist_w = area.right().saturating_sub(x) as usize;
    if hist_w >= 8 {
        put(buf, area, x, area.y, &cell("STATE HISTORY (newest right)", hist_w, false), theme.table_header);
    }
    let body = Rect { y: area.y + 1, height: area.height - 1, ..area };
    if body.height == 0 {
        return;
    }
    if t.rows.is_empty() {
        let msg = match (&t.error, t.process_exited) {
            (_, true) => "no threads: the process is gone",
            (Some(_), false) => "threads unreadable (see above)",
            (None, false) => "reading threads…",
        };
        put(buf, body, body.x + 1, body.y, msg, theme.dim);
        return;
    }
    let offset = t.scroll.offset_for(t.selected, t.rows.len(), body.height as usize);
    for (k, row) in t.rows.iter().skip(offset).take(body.height as usize).enumerate() {
        let y = body.y + k as u16;
        let d = &row.detail;
        let th = &d.thread;
        let selected = offset + k == t.selected;
        let base = if row.exited {
            theme.exited_row
        } else if d.is_main {
            theme.main_thread
        } else {
            theme.text
        };
        let style = if selected { theme.selected } else { base };
        if selected {
            fill_line(buf, body, y, theme.selected);
        }
        let mut x = body.x;
        for &c in &cols {
            let text = match c {
                ThreadColumn::Tid => th.tid.to_string(),
                ThreadColumn::Name => {
                    let mark = if d.is_main {
                        "*"
                    } else if row.exited {
                        "✝"
                    } else {
                        ""
                    };
                    format!("{}{mark}", sanitize(&th.name))
                }
                ThreadColumn::State => th.state.to_string(),
                ThreadColumn::Cpu => fmt_percent(th.cpu_percent),
                ThreadColumn::Time => fmt_time_plus(th.cpu_time_ms),
                ThreadColumn::Processor => th.last_cpu.to_string(),
                ThreadColumn::Vcsw => fmt_rate(d.voluntary_per_sec),
                ThreadColumn::Nvcsw => fmt_rate(d.nonvoluntary_per_sec),
                ThreadColumn::Wait => d.wait_percent.map(fmt_percent).unwrap_or_else(|| "-".into()),
                ThreadColumn::Nice => th.nice.to_string(),
            };
            let cell_style = if c == ThreadColumn::State && !selected && !row.exited {
                base.patch(theme.state(th.state))
            } else {
                style
            };
            x = put(buf, body, x, y, &cell(&text, c.width() as usize, c.right_aligned()), cell_style);
            x = put(buf, body, x, y, " ", style);
        }
        if let Some(py) = py {
            let p = py.thread(th.tid).filter(|_| !row.exited);
            let gil = p.map(|p| fmt_percent(p.gil_percent)).unwrap_or_else(|| "-".into());
            x = put(buf, body, x, y, &cell(&gil, GIL_W as usize, true), style);
            x = put(buf, body, x, y, " ", style);
            let func = p.and_then(|p| p.function.as_deref()).map(sanitize).unwrap_or_else(|| "-".into());
            x = put(buf, body, x, y, &cell(&func, pyfunc_w as usize, false), style);
            x = put(buf, body, x, y, " ", style);
        }
        if hist_w >= 8
            && let Some(h) = t.history.get(&th.tid)
        {
            // Oldest at the left, newest at the right end: the strip grows, then scrolls.
            let n = h.len().min(hist_w);
            let start = x;
            let mut tmp = [0u8; 4];
            for (j, &s) in h.iter().skip(h.len() - n).enumerate() {
                let st = if selected { theme.selected } else { theme.state(s) };
                put(buf, body, start + j as u16, y, s.encode_utf8(&mut tmp), st);
            }
        }
    }
}
