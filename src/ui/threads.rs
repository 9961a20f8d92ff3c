//! The threads view: a summary of the process, the core map, the thread table with each
//! thread's state history, and a legend for the columns a learner won't know.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget};

use crate::app::App;
use crate::app::table::ThreadColumn;
use crate::app::threads::ThreadsState;
use crate::collect::model::{FocusSample, PythonSample, TimeSplit};
use crate::ui::format::{elide, fmt_bytes, fmt_percent, fmt_rate, fmt_time_plus, sanitize, wrap};
use crate::ui::{Theme, cell, fill_line, fit_columns, put, render_meter};

/// What a learner won't know, per column; the legend line holds those of the columns shown.
const LEGEND_PARTS: &[(ThreadColumn, &str)] = &[
    (ThreadColumn::Cpu, "CPU% of one core"),
    (ThreadColumn::Split, "WHERE 10s: █ on CPU ▓ waiting for a core ▒ I/O · sleeping"),
    (ThreadColumn::Wait, "WAIT%: runnable but waiting for a core"),
    (ThreadColumn::Waiting, "WAITING: the system call it is blocked in"),
    (ThreadColumn::Wchan, "WCHAN: the kernel function it sleeps in"),
    (ThreadColumn::Processor, "P: core it last ran on"),
    (ThreadColumn::Migrations, "MIG/s: moves to another core"),
    (ThreadColumn::Vcsw, "VCSW/s: voluntary switches/s, a thread that waits (I/O, sleep, a lock)"),
    (ThreadColumn::Nvcsw, "NVCSW/s: involuntary, a CPU hog preempted"),
    (ThreadColumn::IoRead, "RD/s WR/s: bytes read and written through system calls"),
    (ThreadColumn::IoCalls, "SYSC/s: read and write calls"),
];

/// The legend for these columns, ending with the main-thread mark.
pub fn legend(cols: &[ThreadColumn]) -> String {
    let mut parts: Vec<&str> = LEGEND_PARTS.iter().filter(|(c, _)| cols.contains(c)).map(|(_, text)| *text).collect();
    parts.push("* main thread");
    parts.join(" · ")
}

/// WAITING's width when there is room: a socket's address fits ("accept4 fd 5 socket TCP
/// 127.0.0.1:33093"); `ThreadColumn::width` is its least.
const WAITING_WIDE: u16 = 40;

/// Columns that fit, dropping the least important first; the history strip takes what is left.
pub fn visible_columns(width: u16) -> Vec<ThreadColumn> {
    layout_columns(width).0
}

/// The columns and WAITING's width. WAITING is wide when that costs no column as needed as
/// WCHAN or more (it then pushes out the rates and TIME+); otherwise it has its least width plus
/// whatever is left over, up to the wide one.
pub fn layout_columns(width: u16) -> (Vec<ThreadColumn>, u16) {
    let fit = |waiting: u16| {
        let need = move |c: &ThreadColumn| if *c == ThreadColumn::Waiting { waiting + 1 } else { c.width() + 1 };
        fit_columns(&ThreadColumn::ALL, width, need, |c| c.drop_rank())
    };
    let wide = fit(WAITING_WIDE);
    let keeps_the_needed =
        ThreadColumn::ALL.iter().filter(|c| c.drop_rank() <= ThreadColumn::Wchan.drop_rank()).all(|c| wide.contains(c));
    if keeps_the_needed {
        return (wide, WAITING_WIDE);
    }
    let cols = fit(ThreadColumn::Waiting.width());
    let used: u16 = cols.iter().map(|c| c.width() + 1).sum();
    let extra = width.saturating_sub(used).min(WAITING_WIDE - ThreadColumn::Waiting.width());
    (cols, ThreadColumn::Waiting.width() + extra)
}

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = app.threads.as_ref() else {
        return;
    };
    if area.height == 0 {
        return;
    }
    let cores = app.logical_cores();
    // Budget: summary 3, the time split 1, its notices 0-2, core map (one row per CPU, up to 8 per
    // column), legend up to 3, table the rest.
    let summary_h: u16 = if area.height >= 12 { 3 } else { 1 };
    let notes = notices(t.focus.as_deref(), area.width as usize);
    let split_h: u16 = if area.height >= 14 { 1 + notes.len().min(2) as u16 } else { 0 };
    let summary_h = summary_h + split_h;
    let map_cols = cores.div_ceil(8).max(1);
    let map_rows = cores.div_ceil(map_cols) as u16;
    let map_h = if area.height >= summary_h + map_rows + 1 + 6 { map_rows + 1 } else { 0 };
    // The legend explains the columns the table shows: with GIL% and PYFUNC, fewer of the rest.
    let py = t.focus.as_ref().and_then(|f| f.python.as_ref());
    let shown = layout_columns(area.width.saturating_sub(python_reserve(py))).0;
    let legend_text = match py {
        Some(py) => format!("{} · {}", python_legend(py), legend(&shown)),
        None => legend(&shown),
    };
    let legend = wrap(&legend_text, area.width as usize);
    let legend_lines = legend.len() as u16;
    let legend_h: u16 = if area.height >= summary_h + map_h + 5 + legend_lines { legend_lines.min(3) } else { 0 };

    let mut y = area.y;
    render_summary(buf, Rect { y, height: summary_h - split_h, ..area }, app, t, theme);
    y += summary_h - split_h;
    if split_h > 0 {
        render_split_line(buf, Rect { y, height: 1, ..area }, t, theme);
        for (k, line) in notes.iter().take(2).enumerate() {
            put(buf, area, area.x, y + 1 + k as u16, line, theme.dim);
        }
        y += split_h;
    }
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
        let mut lines: Vec<String> = legend.into_iter().take(legend_h as usize).collect();
        if legend_lines > legend_h
            && let Some(last) = lines.last_mut()
        {
            // More than fits: the last line ends in "…" at a word, never mid-word.
            *last = elide(&format!("{last} …"), area.width as usize);
        }
        Paragraph::new(lines.join("\n")).style(theme.dim).render(r, buf);
    }
}

/// What the view must say once, not per row: I/O time is sampled, WAITING is denied.
fn notices(f: Option<&FocusSample>, width: usize) -> Vec<String> {
    let Some(f) = f.filter(|f| f.alive && !f.threads.is_empty()) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    if !f.delay_accounting {
        parts.push("I/O delay: off (sysctl kernel.task_delayacct=1): I/O is sampled from state D");
    }
    if f.waiting_denied {
        parts.push("WAITING needs ptrace rights: run as root or on your own processes");
    }
    if parts.is_empty() { Vec::new() } else { wrap(&parts.join(" · "), width) }
}

fn pct(s: &TimeSplit, part: u64) -> String {
    format!("{:.0}%", s.percent(part))
}

/// "4 threads, last 10 s: 31% on CPU, 19% waiting for a core, 0% I/O, 50% sleeping", the words
/// shrinking on a narrow screen; the last interval's figures follow when there is room.
fn render_split_line(buf: &mut Buffer, area: Rect, t: &ThreadsState, theme: &Theme) {
    let Some(f) = t.focus.as_ref().filter(|f| f.alive) else {
        return;
    };
    let Some((n, w)) = f.split_total(true) else {
        put(buf, area, area.x, area.y, "where the time went: from the next sample on", theme.dim);
        return;
    };
    let secs = w.wall_ns as f64 / n as f64 / 1e9;
    let span = if secs >= 9.5 { format!("{secs:.0} s") } else { format!("{secs:.1} s") };
    let threads = if n == 1 { "1 thread".to_string() } else { format!("{n} threads") };
    let io = if f.delay_accounting { "I/O" } else { "I/O (sampled)" };
    let [c, q, i, z] = w.parts().map(|p| pct(&w, p));
    let now = f.split_total(false).map(|(_, s)| {
        let [c, q, i, z] = s.parts().map(|p| pct(&s, p));
        format!(" · last interval {c} / {q} / {i} / {z}")
    });
    let long = format!("{threads}, last {span}: {c} on CPU, {q} waiting for a core, {i} {io}, {z} sleeping");
    let texts = [
        now.as_ref().map(|now| format!("{long}{now}")),
        Some(long),
        Some(format!("{threads}, {span}: {c} CPU, {q} wait core, {i} I/O, {z} sleep")),
        Some(format!("{n} thr: {c} CPU {q} wait {i} I/O {z} sleep")),
    ];
    let width = area.width as usize;
    let text = texts.into_iter().flatten().find(|s| s.chars().count() <= width);
    put(buf, area, area.x, area.y, &text.unwrap_or_default(), theme.text);
}

/// The split as `width` cells: each part gets its share, rounded by largest remainder so the cells
/// add up to the width; sleeping is drawn as dots.
pub fn split_cells(s: &TimeSplit, width: usize) -> [usize; 4] {
    let parts = s.parts();
    let mut cells = [0usize; 4];
    if s.wall_ns == 0 || width == 0 {
        return cells;
    }
    let exact: Vec<f64> = parts.iter().map(|&p| p as f64 / s.wall_ns as f64 * width as f64).collect();
    for (c, e) in cells.iter_mut().zip(&exact) {
        *c = e.floor() as usize;
    }
    let mut left = width.saturating_sub(cells.iter().sum());
    let mut order: Vec<usize> = (0..4).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for k in order {
        if left == 0 {
            break;
        }
        cells[k] += 1;
        left -= 1;
    }
    cells
}

const SPLIT_CHARS: [&str; 4] = ["█", "▓", "▒", "·"];

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
const PYFUNC_MIN: u16 = 24;
const PYFUNC_W: u16 = 40;

/// The width GIL% and PYFUNC take from the other columns: none outside a Python process.
fn python_reserve(py: Option<&PythonSample>) -> u16 {
    if py.is_some() { GIL_W + 1 + PYFUNC_MIN + 1 } else { 0 }
}

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
    let (cols, waiting_w) = layout_columns(area.width.saturating_sub(python_reserve(py)));
    let width = |c: ThreadColumn| if c == ThreadColumn::Waiting { waiting_w } else { c.width() };
    fill_line(buf, area, area.y, theme.table_header);
    let mut x = area.x;
    let mut hit = app.hit.borrow_mut();
    hit.header_y = Some(area.y);
    hit.body_y = area.y + 1;
    hit.body_h = area.height - 1;
    hit.columns.clear();
    for &c in &cols {
        if let Some(i) = ThreadColumn::ALL.iter().position(|&k| k == c) {
            hit.columns.push((x, x + width(c) + 1, i));
        }
        let style = if c == t.sort.column { theme.sorted_header } else { theme.table_header };
        x = put(buf, area, x, area.y, &cell(c.title(), width(c) as usize, c.right_aligned()), style);
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
    // The longest title that fits whole: a word is never cut.
    let title = ["STATE HISTORY (newest right)", "STATE HISTORY", "HISTORY"].into_iter().find(|t| t.len() <= hist_w);
    if hist_w >= 8
        && let Some(title) = title
    {
        put(buf, area, x, area.y, &cell(title, hist_w, false), theme.table_header);
    }
    let body = Rect { y: area.y + 1, height: area.height - 1, ..area };
    if body.height == 0 {
        return;
    }
    if t.row_count() == 0 {
        let msg = match (&t.error, t.process_exited) {
            (_, true) => "no threads: the process is gone",
            (Some(_), false) => "threads unreadable (see above)",
            (None, false) => "reading threads…",
        };
        put(buf, body, body.x + 1, body.y, msg, theme.dim);
        return;
    }
    let offset = t.scroll.offset_for(t.selected, t.row_count(), body.height as usize);
    for (k, row) in t.rows().skip(offset).take(body.height as usize).enumerate() {
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
            if c == ThreadColumn::Split {
                let w = c.width() as usize;
                match d.split_window {
                    Some(split) => {
                        let styles = [theme.bar_user, theme.bar_system, theme.state_disk, theme.dim];
                        let mut cx = x;
                        for (k, n) in split_cells(&split, w).into_iter().enumerate() {
                            let st = if selected { theme.selected } else { base.patch(styles[k]) };
                            for _ in 0..n {
                                cx = put(buf, body, cx, y, SPLIT_CHARS[k], st);
                            }
                        }
                    }
                    None => {
                        put(buf, body, x, y, &cell("-", w, false), style);
                    }
                }
                x = put(buf, body, x + w as u16, y, " ", style);
                continue;
            }
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
                ThreadColumn::Split => String::new(),
                ThreadColumn::Waiting => match &d.waiting {
                    Some(w) => elide(&sanitize(&w.text), waiting_w as usize),
                    None => "-".into(),
                },
                ThreadColumn::Wchan => {
                    let w = d.waiting.as_ref().and_then(|w| w.wchan.as_deref());
                    w.map_or_else(|| "-".into(), |w| elide(&sanitize(w), c.width() as usize))
                }
                ThreadColumn::Migrations => fmt_rate(d.migrations_per_sec),
                ThreadColumn::IoRead => d.io.map_or_else(|| "-".into(), |i| fmt_bytes(i.read_bytes_per_sec as u64)),
                ThreadColumn::IoWrite => d.io.map_or_else(|| "-".into(), |i| fmt_bytes(i.write_bytes_per_sec as u64)),
                ThreadColumn::IoCalls => fmt_rate(d.io.map(|i| i.syscalls_per_sec)),
            };
            let cell_style = if c == ThreadColumn::State && !selected && !row.exited {
                base.patch(theme.state(th.state))
            } else {
                style
            };
            x = put(buf, body, x, y, &cell(&text, width(c) as usize, c.right_aligned()), cell_style);
            x = put(buf, body, x, y, " ", style);
        }
        if let Some(py) = py {
            let p = py.thread(th.tid).filter(|_| !row.exited);
            let gil = p.map(|p| fmt_percent(p.gil_percent)).unwrap_or_else(|| "-".into());
            x = put(buf, body, x, y, &cell(&gil, GIL_W as usize, true), style);
            x = put(buf, body, x, y, " ", style);
            let func = p.and_then(|p| p.function.as_deref()).map(sanitize).unwrap_or_else(|| "-".into());
            // A function too long for the column ends in "…", never cut without a mark.
            let func = elide(&func, pyfunc_w as usize);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use proptest::prelude::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::app::fixtures::{focus_worker, snapshot};
    use crate::app::lab::LabState;
    use crate::app::{Action, Command, Options};
    use crate::collect::model::FocusSample;
    use crate::input::keymap::Keymap;
    use crate::ui::{Theme, draw};

    fn threads_app(focus: FocusSample) -> App {
        let mut app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(Vec::new()));
        app.update(Action::Sample(Arc::new(snapshot(1))));
        app.update(Action::Cmd(Command::Enter));
        let mut s = snapshot(2);
        s.focus = Some(std::sync::Arc::new(focus));
        app.update(Action::Sample(Arc::new(s)));
        app
    }

    fn screen(app: &App, w: u16, h: u16) -> String {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| draw(f, app, &Theme::colored())).unwrap();
        let buf = term.backend().buffer();
        (0..h).map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n").collect()
    }

    /// Denied WAITING and delay accounting on: one line says so for the whole view, the rows show
    /// `-`, and the I/O figure is no longer called sampled.
    #[test]
    fn why_denied_with_delay_accounting_80x24() {
        let mut f = focus_worker();
        f.delay_accounting = true;
        f.waiting_denied = true;
        for t in &mut f.threads {
            if t.thread.state != 'R' {
                t.waiting = None;
            }
        }
        let app = threads_app(f);
        let s = screen(&app, 80, 24);
        assert_eq!(s.matches("WAITING needs ptrace rights").count(), 1, "{s}");
        assert!(!s.contains("I/O delay: off"), "{s}");
        insta::assert_snapshot!(s);
        let wide = screen(&app, 120, 40);
        assert!(wide.contains("0% I/O, 51% sleeping"), "{wide}");
        assert!(!wide.contains("(sampled)"), "{wide}");
    }

    #[test]
    fn delay_accounting_off_is_said_once_and_io_is_labelled_sampled() {
        let s = screen(&threads_app(focus_worker()), 120, 40);
        assert_eq!(s.matches("I/O delay: off (sysctl kernel.task_delayacct=1)").count(), 1, "{s}");
        assert!(s.contains("0% I/O (sampled)"), "{s}");
        assert!(!s.contains("ptrace"), "{s}");
    }

    #[test]
    fn narrow_screens_drop_the_least_needed_columns_first() {
        let at = |w| visible_columns(w);
        assert!(at(80).contains(&ThreadColumn::Waiting) && at(80).contains(&ThreadColumn::Split));
        assert!(!at(80).contains(&ThreadColumn::Wchan) && !at(80).contains(&ThreadColumn::Nice));
        assert!(at(120).contains(&ThreadColumn::Wchan));
        assert!(at(160).contains(&ThreadColumn::Migrations) && at(160).contains(&ThreadColumn::IoRead));
        // A socket's address fits in WAITING from 120 columns on; at 80 it has what is left.
        assert_eq!(layout_columns(120).1, WAITING_WIDE);
        assert_eq!(layout_columns(160).1, WAITING_WIDE);
        assert!((ThreadColumn::Waiting.width()..WAITING_WIDE).contains(&layout_columns(80).1));
        for w in 20..300 {
            let (cols, ww) = layout_columns(w);
            let used: u16 = cols.iter().map(|c| if *c == ThreadColumn::Waiting { ww } else { c.width() } + 1).sum();
            // Never wider than the screen once TID and NAME (never dropped) fit.
            if w > ThreadColumn::Tid.width() + ThreadColumn::Name.width() + 2 {
                assert!(used <= w, "width {w}: {used}");
            }
        }
        let all = at(200);
        assert_eq!(all.len(), ThreadColumn::ALL.len());
        // Past the width where WAITING turns wide, growing never loses a column.
        for w in 120..200 {
            assert!(at(w).iter().all(|c| at(w + 1).contains(c)), "width {w}");
        }
    }

    #[test]
    fn legend_lines_are_whole_words() {
        for w in 30..=200u16 {
            let text = legend(&visible_columns(w));
            let words: Vec<&str> = text.split_whitespace().collect();
            for line in wrap(&text, w as usize) {
                assert!(line.chars().count() <= w as usize);
                assert!(line.split_whitespace().all(|word| words.contains(&word)), "width {w}: {line}");
            }
        }
    }

    /// Help's column section explains every column of this table (NAME aside; TID is PID's row).
    #[test]
    fn help_explains_every_thread_column() {
        use crate::ui::help::COLUMN_HELP;
        for c in ThreadColumn::ALL {
            let title = match c {
                ThreadColumn::Name => continue,
                ThreadColumn::Tid => "PID",
                c => c.title(),
            };
            let found = COLUMN_HELP.iter().any(|(k, what)| k.split(" / ").any(|p| p == title) && !what.is_empty());
            assert!(found, "help has no line for {title}");
        }
    }

    proptest! {
        #[test]
        fn split_cells_fill_the_width(c: u32, q: u32, i: u32, extra: u32, width in 0usize..40) {
            let (c, q, i) = (u64::from(c), u64::from(q), u64::from(i));
            let s = TimeSplit::new(c + q + i + u64::from(extra), c, q, i);
            let cells = split_cells(&s, width);
            let want = if s.wall_ns == 0 { 0 } else { width };
            prop_assert_eq!(cells.iter().sum::<usize>(), want);
            // A part never gets more than a cell over its exact share.
            for (k, p) in s.parts().iter().enumerate() {
                let exact = if s.wall_ns == 0 { 0.0 } else { *p as f64 / s.wall_ns as f64 * width as f64 };
                prop_assert!((cells[k] as f64) < exact + 1.0);
            }
        }
    }
}
