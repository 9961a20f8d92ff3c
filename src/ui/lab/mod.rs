//! The lab: the catalogue of demos with their lessons and knobs, and the demos launched, live
//! and finished, with what they measured. Text that does not fit is wrapped, then scrolled
//! (PgDn/PgUp) with a line that says there is more, or elided with "…": never cut silently.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

pub mod compare;
pub mod lessons;
pub mod watch;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::app::App;
use crate::app::LabScreen;
use crate::app::lab::{CatalogEntry, DemoEntry, DemoStatus, LabState, LessonView};
use crate::model::catalog;
use crate::model::experiment::ExperimentKind;
use crate::ui::format::{elide, wrap};
use crate::ui::{Theme, cell, fill_line, put};

/// The catalogue list's width when the lesson sits beside it.
const LIST_W: u16 = 40;
/// Below this width the lesson goes under the list instead of beside it.
const SIDE_BY_SIDE: u16 = 70;

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    match (app.lab_screen(), app.experiment.as_ref()) {
        (LabScreen::Picker { cursor }, _) => return render_picker(buf, area, app, theme, cursor),
        (LabScreen::Experiment, Some(state)) => {
            crate::ui::experiment::render(buf, area, state, theme, &app.lab.running_names());
            return;
        }
        (LabScreen::Compare, _) => return compare::render_setup(buf, area, app, theme),
        (LabScreen::Lessons, _) => return lessons::render_index(buf, area, app, theme),
        (LabScreen::Lesson, _) => return lessons::render_lesson(buf, area, app, theme),
        _ => {}
    }
    let lab = &app.lab;
    let title = first_fitting(
        &[
            "Lab: launch a demo and watch it below (Enter launches it · c compare · l lessons · e experiments)",
            "Lab: launch a demo, watch it below (Enter · c compare · l lessons · e experiments)",
            "Lab (Enter launches · c compare · l lessons)",
        ],
        area.width,
    );
    put(buf, area, area.x, area.y, &title, theme.title);

    let side = area.width >= SIDE_BY_SIDE;
    let list_w = if side { LIST_W } else { area.width };
    let below_title = area.height - 1;
    // The demos table keeps its header and a few rows; the lesson gets the rest.
    let demos_h = if lab.demos.is_empty() { 2 } else { (lab.demos.len() as u16 + 1).clamp(2, 6) };
    let mut list_h = (lab.catalog.len() as u16).min(below_title);
    if !side {
        // Under the list the lesson needs some lines too: the list then shows a window of the
        // catalogue that follows the cursor.
        list_h = list_h.min(below_title.saturating_sub(demos_h + 1 + 6).max(3));
    } else if below_title < 28 {
        // Beside the lesson, on a short screen, the watch (live rows, threads) below needs the
        // rows a long catalogue would take: eight entries show, the window follows the cursor.
        list_h = list_h.min(8);
    }
    let shown = usize::from(list_h);
    let mut top = lab.list_top.get();
    if lab.cursor < top {
        top = lab.cursor;
    } else if shown > 0 && lab.cursor >= top + shown {
        top = lab.cursor + 1 - shown;
    }
    let top = top.min(lab.catalog.len().saturating_sub(shown));
    lab.list_top.set(top);
    let list = Rect { x: area.x, y: area.y + 1, width: list_w, height: list_h };
    {
        let mut hit = app.hit.borrow_mut();
        hit.header_y = None;
        hit.body_y = list.y;
        hit.body_h = list.height;
        hit.columns.clear();
    }
    for (i, e) in lab.catalog.iter().enumerate().skip(top).take(list_h as usize) {
        let y = list.y + (i - top) as u16;
        let selected = i == lab.cursor;
        let style = if selected { theme.selected } else { theme.text };
        if selected {
            fill_line(buf, list, y, theme.selected);
        }
        // K: spawn-cost's count of each; the other demos that run once (py-asyncio, lifecycle) have an N.
        let n = if e.kind == crate::model::demo::DemoKind::SpawnCost { 'K' } else { 'N' };
        let knobs = if e.timed {
            format!("N={:<3} {:>3}s", e.workers, e.seconds)
        } else {
            format!("{n}={:<3} once", e.workers)
        };
        // 15: the longest kind name, py-hash-threads.
        let text = format!("{} {:<15} {}", if selected { '>' } else { ' ' }, e.kind.name(), knobs);
        put(buf, list, list.x, y, &text, style);
    }

    // The demos table keeps its header and a few rows, the watch (live rows, threads, core
    // map) what it needs up to half the screen; the lesson gets the rest, at least the list's
    // height, and scrolls.
    let cores = app.logical_cores();
    let overlap = lab.overlap(cores);
    let demos_h =
        if lab.demos.is_empty() { 2 } else { (lab.demos.len() as u16 + 1).clamp(2, 6) } + u16::from(overlap.is_some());
    // The watch gets what it wants up to half the lab, once the list (and, narrow, three lines
    // of the lesson) and the demos table have theirs; below 4 lines it is left out.
    let top_min = if side { list_h } else { list_h + 3 };
    let spare = below_title.saturating_sub(top_min + demos_h + 2);
    let watch_h = watch::wanted_height(app).min(below_title / 2).min(spare);
    let watch_h = if watch_h >= 4 { watch_h } else { 0 };
    let room = below_title.saturating_sub(demos_h + 1 + if watch_h > 0 { watch_h + 1 } else { 0 });
    let lesson_w = if side { area.width - list_w - 2 } else { area.width };
    let lesson = lab.selected_entry().map(|e| lesson_lines(e, usize::from(lesson_w), theme));
    // As tall as the lesson needs, within the room there is.
    let needed = lesson.as_ref().map_or(0, |l| l.text.len() + l.hint.len());
    let needed = u16::try_from(needed).unwrap_or(u16::MAX);
    let lesson_area = if side {
        Rect { x: area.x + list_w + 2, y: list.y, width: lesson_w, height: needed.min(room).max(list_h) }
    } else {
        Rect { x: area.x, y: list.bottom(), width: lesson_w, height: needed.min(room.saturating_sub(list_h)) }
    };
    match &lesson {
        Some(lines) => render_lesson(buf, lesson_area, lines, lab, theme),
        None => lab.lesson_view.set(LessonView::default()),
    }
    let mut demos_y = list.bottom().max(lesson_area.bottom()) + 1;
    if let Some((n, wanted)) = overlap
        && demos_y < area.bottom()
    {
        let warning =
            format!("{n} demos share {cores} cores: figures are lower (together they want {wanted:.1}) · X stops all");
        put(buf, area, area.x, demos_y, &elide(&warning, usize::from(area.width)), theme.error);
        demos_y += 1;
    }
    let demos_bottom = if watch_h > 0 { (demos_y + demos_h).min(area.bottom()) } else { area.bottom() };
    let demos = Rect { y: demos_y, height: demos_bottom.saturating_sub(demos_y), ..area };
    render_demos(buf, demos, app, theme);
    if watch_h > 0 {
        let y = demos.bottom() + 1;
        let watch_area = Rect { y, height: area.bottom().saturating_sub(y), ..area };
        watch::render(buf, watch_area, app, theme);
    }
}

/// A catalogue entry's lesson wrapped to a width: the text that may scroll (its summary, the
/// lesson, what one operation is) and the key hint that may not.
struct LessonLines {
    text: Vec<(String, Style)>,
    hint: Vec<String>,
}

fn lesson_lines(e: &CatalogEntry, w: usize, theme: &Theme) -> LessonLines {
    let op = catalog::info(e.kind).op;
    let mut text: Vec<(String, Style)> = Vec::new();
    for (part, style) in [
        (e.summary.as_str(), theme.value),
        (e.lesson.as_str(), theme.text),
        (&format!("OPS/S counts operations; one is {op}."), theme.dim),
    ] {
        text.extend(wrap(part, w).into_iter().map(|l| (l, style)));
    }
    let hint = if e.timed {
        format!("+/- {} · Left/Right duration · Enter launch · x stop", e.unit)
    } else {
        format!("+/- {} · Enter launch · x stop", e.unit)
    };
    LessonLines { text, hint: wrap(&hint, w) }
}

/// The lesson of the entry under the cursor in `area`; what does not fit scrolls with
/// PgDn/PgUp, and a line says so. The key hint stays on the area's last lines whatever the
/// scroll.
fn render_lesson(buf: &mut Buffer, area: Rect, lines: &LessonLines, lab: &LabState, theme: &Theme) {
    if area.width == 0 || area.height == 0 {
        lab.lesson_view.set(LessonView::default());
        return;
    }
    let (text, hint) = (&lines.text, &lines.hint);
    let hint_h = (hint.len() as u16).min(area.height);
    let mut body_h = area.height - hint_h;
    let overflows = text.len() > usize::from(body_h);
    if overflows {
        // One line of the body says there is more.
        body_h = body_h.saturating_sub(1);
    }
    let max_scroll = u16::try_from(text.len()).unwrap_or(u16::MAX).saturating_sub(body_h);
    lab.lesson_view.set(LessonView { max_scroll, page: body_h });
    let scroll = lab.lesson_scroll().min(max_scroll);
    let mut y = area.y;
    for (line, style) in text.iter().skip(usize::from(scroll)).take(usize::from(body_h)) {
        put(buf, area, area.x, y, line, *style);
        y += 1;
    }
    if overflows && body_h + hint_h < area.height {
        let last = (scroll + body_h).min(text.len() as u16);
        let at = format!("lines {}–{last} of {}", scroll + 1, text.len());
        let more = match (scroll > 0, scroll < max_scroll) {
            (false, _) => format!("↓ more: PgDn · {at}"),
            (true, true) => format!("↓ more: PgDn · ↑ PgUp · {at}"),
            (true, false) => format!("↑ PgUp · {at}"),
        };
        let short = format!("PgDn/PgUp · {}–{last} of {}", scroll + 1, text.len());
        put(buf, area, area.x, y, &first_fitting(&[&more, &short], area.width), theme.status);
    }
    for (i, line) in hint.iter().rev().take(usize::from(hint_h)).enumerate() {
        put(buf, area, area.x, area.bottom() - 1 - i as u16, line, theme.dim);
    }
}

/// `e`: the experiments, each with the question it answers.
fn render_picker(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize) {
    let w = usize::from(area.width);
    put(
        buf,
        area,
        area.x,
        area.y,
        &elide("Lab experiments: a question answered with a curve, measured here", w),
        theme.title,
    );
    for (i, kind) in ExperimentKind::ALL.iter().enumerate() {
        let y = area.y + 2 + 2 * i as u16;
        let selected = i == cursor;
        if selected {
            fill_line(buf, area, y, theme.selected);
        }
        let style = if selected { theme.selected } else { theme.value };
        put(buf, area, area.x, y, &format!("{} {:<8}", if selected { '>' } else { ' ' }, kind.name()), style);
        let question = elide(kind.question(), w.saturating_sub(11));
        put(buf, area, area.x + 11, y, &question, if selected { theme.selected } else { theme.text });
    }
    let mut y = area.y + 3 + 2 * ExperimentKind::ALL.len() as u16;
    let mut help = "Enter runs it (it launches demos for a few seconds per step) · Esc back".to_string();
    if app.experiment.is_some() {
        help.push_str(" · the last result is kept until the next run");
    }
    for line in wrap(&help, w) {
        put(buf, area, area.x, y, &line, theme.dim);
        y += 1;
    }
    let running = app.lab.running_names();
    if !running.is_empty() {
        let verb = if running.len() == 1 { "is running: it shares" } else { "are running: they share" };
        let warning = format!("{} {verb} the cores and will lower the figures · X stops all demos", running.join(", "));
        for line in wrap(&warning, w) {
            put(buf, area, area.x, y, &line, theme.error);
            y += 1;
        }
    }
}

/// The columns of the demos table, in order, and their widths; PIDS goes first when the width
/// is short, then PROGRESS, so that RESULT keeps room for its figures.
#[derive(Clone, Copy, PartialEq)]
enum Col {
    Id,
    Kind,
    N,
    Pids,
    Progress,
    Cores,
    Rate,
    /// Cores the rest of the machine took while it ran.
    Others,
}

impl Col {
    const ALL: [Col; 8] = [Col::Id, Col::Kind, Col::N, Col::Pids, Col::Progress, Col::Cores, Col::Rate, Col::Others];

    fn width(self) -> usize {
        match self {
            Col::Id => 3,
            Col::Kind => 12,
            // spawn-cost's K goes to 10000.
            Col::N => 5,
            Col::Pids => 11,
            Col::Progress => 12,
            Col::Cores => 5,
            Col::Rate => 7,
            Col::Others => 6,
        }
    }

    fn head(self) -> (&'static str, bool) {
        match self {
            Col::Id => ("#", true),
            Col::Kind => ("KIND", false),
            Col::N => ("N", true),
            Col::Pids => ("PIDS", false),
            Col::Progress => ("PROGRESS", false),
            Col::Cores => ("CORES", true),
            Col::Rate => ("OPS/S", true),
            Col::Others => ("OTHERS", true),
        }
    }
}

/// The least RESULT keeps before a column is dropped for it.
const RESULT_MIN: usize = 28;

fn columns(width: usize) -> Vec<Col> {
    let mut cols = Col::ALL.to_vec();
    for drop in [Col::Pids, Col::Progress] {
        let used: usize = cols.iter().map(|c| c.width() + 1).sum();
        if used + RESULT_MIN > width {
            cols.retain(|c| *c != drop);
        }
    }
    cols
}

fn render_demos(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let lab = &app.lab;
    let cols = columns(usize::from(area.width));
    let mut head: String = cols.iter().map(|c| cell(c.head().0, c.width(), c.head().1) + " ").collect();
    head.push_str("RESULT");
    fill_line(buf, area, area.y, theme.table_header);
    put(buf, area, area.x, area.y, &head, theme.table_header);
    if lab.demos.is_empty() {
        put(buf, area, area.x + 1, area.y + 1, "no demo launched yet", theme.dim);
        return;
    }
    let fixed: usize = cols.iter().map(|c| c.width() + 1).sum();
    let result_w = usize::from(area.width).saturating_sub(fixed);
    for (k, d) in lab.demos.iter().rev().take(area.height.saturating_sub(1) as usize).enumerate() {
        let y = area.y + 1 + k as u16;
        let (cores_txt, rate, results, style) = demo_figures(d, app.logical_cores(), theme);
        let mut line: String = cols
            .iter()
            .map(|c| {
                let text = match c {
                    Col::Id => d.id.to_string(),
                    Col::Kind => d.spec.kind.name().to_owned(),
                    Col::N => d.spec.workers.to_string(),
                    Col::Pids => pids_text(&d.pids, c.width()),
                    Col::Progress => progress_text(d),
                    Col::Cores => cores_txt.clone(),
                    Col::Rate => rate.clone(),
                    Col::Others => d.sampled.others().map_or_else(|| "-".to_owned(), |o| format!("{o:.2}")),
                };
                cell(&text, c.width(), c.head().1) + " "
            })
            .collect();
        let results: Vec<&str> = results.iter().map(String::as_str).collect();
        line.push_str(&first_fitting(&results, u16::try_from(result_w).unwrap_or(u16::MAX)));
        put(buf, area, area.x, y, &line, style);
    }
}

/// "4242", or "4242+3" for a demo of several processes, within `width`.
fn pids_text(pids: &[crate::collect::model::Pid], width: usize) -> String {
    match pids {
        [] => "-".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => elide(&format!("{first}+{}", rest.len()), width),
    }
}

/// A gauge of the time used for a demo that runs for its duration; for one that runs once
/// (spawn-cost), whose duration is only a limit, how long it has run or "done".
fn progress_text(d: &DemoEntry) -> String {
    let done = d.elapsed.as_secs_f64();
    if catalog::info(d.spec.kind).runs_once {
        return match &d.status {
            DemoStatus::Running => format!("running {done:.0}s"),
            DemoStatus::Finished(r) => format!("done in {:.1}s", r.wall_seconds),
            DemoStatus::Failed(_) => "failed".to_owned(),
        };
    }
    let total = d.spec.duration.as_secs_f64().max(0.001);
    let width = 7usize;
    let filled = ((done / total).clamp(0.0, 1.0) * width as f64).round() as usize;
    format!("{}{} {:>3.0}s", "█".repeat(filled), "░".repeat(width - filled), done)
}

/// CORES, OPS/S, RESULT (the longest first, then shorter ways to say it: the table shows the
/// first that fits, the last elided) and the row's style.
fn demo_figures(d: &DemoEntry, cores: usize, theme: &Theme) -> (String, String, Vec<String>, Style) {
    // memory, race, switch-cost, ipc, real-io: their measured steps say more than ops/s, live
    // and at the end (their words: `model::figures`).
    let steps = match (&d.status, &d.figures) {
        (DemoStatus::Finished(r), _) if r.figures.is_some() => r.figures.as_deref(),
        (DemoStatus::Running, f) => f.as_ref(),
        _ => None,
    };
    if let Some(f) = steps {
        let running = d.running();
        let (c, style) = if running { (d.cores_now, theme.text) } else { (0.0, theme.dim) };
        let c = match &d.status {
            DemoStatus::Finished(r) => r.cores_used,
            _ => c,
        };
        return (format!("{c:.2}"), format!("{:.0}", d.ops_rate), f.summary(), style);
    }
    match &d.status {
        DemoStatus::Running => {
            let left = d.spec.duration.saturating_sub(d.elapsed).as_secs_f64();
            let results = if d.spec.kind == crate::model::demo::DemoKind::Lifecycle {
                catalog::lifecycle_texts(d.ops)
            } else if catalog::info(d.spec.kind).runs_once {
                vec![format!("running · cores in use {:.2} of {cores}", d.cores_now), "running".to_owned()]
            } else {
                vec![
                    format!("running · cores in use {:.2} of {cores} · {left:.0}s left", d.cores_now),
                    format!("running · {left:.0}s left"),
                ]
            };
            (format!("{:.2}", d.cores_now), format!("{:.0}", d.ops_rate), results, theme.text)
        }
        DemoStatus::Finished(r) => {
            // py-asyncio, py-hash-threads, py-nogil, lifecycle (lab-python) have their own.
            let results = match (&r.spawn, catalog::result_texts(r)) {
                (None, Some(texts)) => texts,
                (Some(sc), _) => {
                    let (t, p) = (fmt_us(sc.thread_spawn_us), fmt_us(sc.process_spawn_us));
                    vec![
                        format!("thread {t} · process {p} · process/thread ×{:.1}", sc.ratio),
                        format!("thread {t} · process {p} · ×{:.1}", sc.ratio),
                        format!("thr {t} · proc {p} · ×{:.1}", sc.ratio),
                    ]
                }
                (None, None) => {
                    let stopped = if r.stopped_early { "stopped · " } else { "" };
                    let times = format!("wall {:.1}s · CPU {:.1}s", r.wall_seconds, r.cpu_seconds);
                    vec![format!("{stopped}{times} · {:.2} cores", r.cores_used), format!("{stopped}{times}")]
                }
            };
            (format!("{:.2}", r.cores_used), format!("{:.0}", r.ops_per_sec), results, theme.dim)
        }
        DemoStatus::Failed(why) => ("-".into(), "-".into(), vec![format!("failed: {why}")], theme.error),
    }
}

/// "20.0µs", "180µs": three figures are enough.
fn fmt_us(us: f64) -> String {
    if us >= 100.0 { format!("{us:.0}µs") } else { format!("{us:.1}µs") }
}

/// The first of `texts` that fits in `width`, else the last one elided.
fn first_fitting(texts: &[&str], width: u16) -> String {
    let w = usize::from(width);
    texts
        .iter()
        .find(|t| t.chars().count() <= w)
        .map(|t| (*t).to_owned())
        .unwrap_or_else(|| elide(texts.last().copied().unwrap_or(""), w))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::app::fixtures::snapshot;
    use crate::app::{Action, Command, Options, View};
    use crate::input::keymap::Keymap;
    use crate::model::demo::{DemoKind, DemoResult, DemoSpec, LabEvent, SpawnCost};

    /// The real catalogue, with sizes that do not depend on this machine's cores.
    fn real_catalog() -> Vec<CatalogEntry> {
        DemoKind::EVERY
            .iter()
            .map(|&kind| {
                let info = catalog::info(kind);
                CatalogEntry {
                    kind,
                    workers: if kind == DemoKind::SpawnCost { 200 } else { 2 },
                    seconds: 60,
                    max_workers: catalog::max_workers(kind),
                    timed: !info.runs_once,
                    unit: info.unit.noun(),
                    summary: info.summary.to_owned(),
                    lesson: info.lesson.to_owned(),
                }
            })
            .collect()
    }

    fn lab_app() -> App {
        let mut app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(real_catalog()));
        app.update(Action::Sample(Arc::new(snapshot(1))));
        app.update(Action::Cmd(Command::OpenLab));
        assert!(matches!(app.view, View::Lab(_)));
        app
    }

    /// The lab with two demos: lock-threads running, spawn-cost finished.
    fn lab_with_demos() -> App {
        let ms = Duration::from_millis;
        let mut app = lab_app();
        let spec = DemoSpec { kind: DemoKind::LockThreads, workers: 4, duration: Duration::from_secs(60) };
        app.update(Action::Lab(LabEvent::Started { id: 1, spec, pids: vec![300] }));
        app.update(Action::Lab(LabEvent::Progress {
            id: 1,
            ops: 2000,
            elapsed: ms(11_000),
            cpu: ms(10_990),
            ops_per_sec: Some(1000.0),
            cores: Some(0.99),
        }));
        let spec = DemoSpec { kind: DemoKind::SpawnCost, workers: 200, duration: Duration::from_secs(60) };
        app.update(Action::Lab(LabEvent::Started { id: 2, spec, pids: vec![500] }));
        app.update(Action::Lab(LabEvent::Finished {
            id: 2,
            result: DemoResult {
                kind: "spawn-cost".into(),
                workers: 200,
                wall_seconds: 0.4,
                cpu_seconds: 0.3,
                cores_used: 0.75,
                ops: 400,
                ops_per_sec: 1000.0,
                pids: vec![500],
                stopped_early: false,
                spawn: Some(SpawnCost { thread_spawn_us: 20.0, process_spawn_us: 180.0, ratio: 9.0 }),
                figures: None,
                extra: None,
            },
        }));
        // A sample while the demos run: lock-threads' OTHERS is measured (the spawn-cost ended
        // before any), and its threads are read for the lab's watch.
        let mut snap = snapshot(2);
        snap.system.total.user = 85.0;
        snap.focus = Some(std::sync::Arc::new(crate::app::fixtures::focus_worker()));
        app.view = View::LAB;
        app.update(Action::Sample(Arc::new(snap.clone())));
        snap.seq = 3;
        app.update(Action::Sample(Arc::new(snap)));
        app
    }

    /// The lab panel alone (the status line and key bar are the footer's).
    fn panel(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| {
            let area = f.area();
            render(f.buffer_mut(), area, app, &Theme::colored());
        })
        .unwrap();
        term
    }

    fn rows(term: &Terminal<TestBackend>) -> Vec<String> {
        let buf = term.backend().buffer();
        (0..buf.area.height).map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>()).collect()
    }

    /// The lesson's column of the panel: what is right of the catalogue list (or all of it,
    /// narrow), from line 1 to the demos table.
    fn lesson_text(term: &Terminal<TestBackend>, w: u16) -> Vec<String> {
        let from = if w >= SIDE_BY_SIDE { usize::from(LIST_W + 2) } else { 0 };
        rows(term)
            .iter()
            .skip(1)
            .take_while(|r| !r.contains("KIND "))
            .map(|r| r.chars().skip(from).collect::<String>().trim_end().to_owned())
            .collect()
    }

    /// Pages through the cpu-threads lesson with PgDn at `w`×`h`: every word of the lesson
    /// shows on some page, the key hint on every page, and "more" until the last.
    fn whole_lesson_reachable(w: u16, h: u16) -> Vec<Vec<String>> {
        let mut app = lab_with_demos();
        let lesson = catalog::info(DemoKind::CpuThreads).lesson;
        let mut pages: Vec<Vec<String>> = Vec::new();
        for _ in 0..20 {
            let term = panel(&app, w, h);
            let page = lesson_text(&term, w);
            let hint = "+/- threads · Left/Right duration · Enter launch · x stop";
            let joined = page.join(" ");
            assert!(
                joined.split_whitespace().collect::<Vec<_>>().join(" ").contains(hint),
                "the key hint is missing at {w}x{h}: {page:#?}"
            );
            let last = pages.last() == Some(&page);
            if last {
                assert!(!joined.contains("↓ more"), "says more at the end: {page:#?}");
                break;
            }
            pages.push(page);
            app.update(Action::Cmd(Command::PageDown));
        }
        let seen: String = pages.iter().flatten().cloned().collect::<Vec<_>>().join(" ");
        for word in lesson.split_whitespace() {
            assert!(seen.contains(word), "{word:?} never shows at {w}x{h}: {pages:#?}");
        }
        let all: Vec<&str> = lesson.split_whitespace().collect();
        let tail = all[all.len() - 6..].join(" ");
        assert!(seen.split_whitespace().collect::<Vec<_>>().join(" ").contains(&tail), "{tail}");
        pages
    }

    #[test]
    fn lab_80x24() {
        // The panel gets 80x22 on an 80x24 screen: the footer takes two lines.
        let app = lab_with_demos();
        let term = panel(&app, 80, 22);
        insta::assert_snapshot!(term.backend());
        let pages = whole_lesson_reachable(80, 22);
        assert!(pages.len() > 1, "the lesson does not fit at 80x24: it must scroll");
        assert!(pages[0].iter().any(|l| l.contains("↓ more: PgDn")), "{:#?}", pages[0]);
    }

    #[test]
    fn lab_120x40() {
        let app = lab_with_demos();
        insta::assert_snapshot!(panel(&app, 120, 38).backend());
        whole_lesson_reachable(120, 38);
    }

    #[test]
    fn lab_60x20_puts_the_lesson_under_the_list() {
        let app = lab_with_demos();
        insta::assert_snapshot!(panel(&app, 60, 20).backend());
        whole_lesson_reachable(60, 20);
    }

    #[test]
    fn a_short_list_follows_the_cursor_and_leaves_the_lesson_room() {
        let mut app = lab_with_demos();
        let last = app.lab.catalog.len() - 1;
        for _ in 0..last {
            app.update(Action::Cmd(Command::Down));
        }
        let term = panel(&app, 60, 20);
        let rows = rows(&term);
        let name = app.lab.catalog[last].kind.name();
        assert!(rows.iter().any(|r| r.starts_with(&format!("> {name}"))), "{rows:#?}");
        assert!(app.lab.list_top.get() > 0);
        // Back up to the top: the window follows.
        for _ in 0..last {
            app.update(Action::Cmd(Command::Up));
        }
        panel(&app, 60, 20);
        assert_eq!(app.lab.list_top.get(), 0);
    }

    #[test]
    fn the_lesson_after_pgdn_80x24() {
        let mut app = lab_with_demos();
        // The key comes after a frame has been drawn, as on a terminal.
        panel(&app, 80, 22);
        app.update(Action::Cmd(Command::PageDown));
        insta::assert_snapshot!(panel(&app, 80, 22).backend());
        // Another entry's lesson starts at its top.
        app.update(Action::Cmd(Command::Down));
        let term = panel(&app, 80, 22);
        assert!(lesson_text(&term, 80)[0].starts_with("N threads that mostly wait"), "{:#?}", rows(&term));
    }

    #[test]
    fn results_are_elided_not_cut_and_a_finished_spawn_cost_says_done() {
        let app = lab_with_demos();
        for w in [80u16, 100, 120] {
            let term = panel(&app, w, 30);
            let spawn = rows(&term).into_iter().find(|r| r.starts_with("  2 spawn-cost")).unwrap();
            // At 80 columns PROGRESS gives way to OTHERS and RESULT.
            assert!(w < 100 || spawn.contains("done in 0.4s"), "{w}: {spawn}");
            assert!(!spawn.contains('░'), "an empty gauge for a demo that ran once: {spawn}");
            let result = spawn.trim_end();
            assert!(result.ends_with("×9.0"), "{w}: the result is cut: {result}");
        }
    }

    #[test]
    fn one_op_is_defined_in_the_lab() {
        let app = lab_with_demos();
        let text = lesson_text(&panel(&app, 120, 38), 120).join(" ");
        assert!(text.contains("OPS/S counts operations; one is a fixed block of arithmetic."), "{text}");
    }

    #[test]
    fn the_picker_names_the_running_demos_and_how_to_stop_them() {
        let mut app = lab_with_demos();
        app.update(Action::Cmd(Command::Experiments));
        let text = rows(&panel(&app, 100, 20)).join("\n");
        assert!(text.contains("lock-threads #1 is running: it shares the cores"), "{text}");
        assert!(text.contains("X stops all demos"), "{text}");
    }

    #[test]
    fn wrap_breaks_between_words_and_inside_long_ones() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij k", 4), vec!["abcd", "efgh", "ij k"]);
        assert_eq!(wrap("  ", 5), Vec::<String>::new());
        assert_eq!(wrap("x", 0), Vec::<String>::new());
        assert_eq!(wrap("×2 · µs", 4), vec!["×2 ·", "µs"]);
        assert_eq!(elide("thread 20.0µs", 9), "thread 2…");
        assert_eq!(elide("short", 9), "short");
        assert_eq!(elide("ab cd", 4), "ab…");
        assert_eq!(elide("abc", 0), "");
    }

    /// The whole screen (header-less lab, strip, status line, key bar), as a user sees it.
    fn screen(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| crate::ui::draw(f, app, &Theme::mono())).unwrap();
        term
    }

    #[test]
    fn lab_160x45_shows_the_demos_their_processes_and_threads_on_one_screen() {
        let app = lab_with_demos();
        let term = screen(&app, 160, 45);
        insta::assert_snapshot!(term.backend());
        let text = rows(&term).join("\n");
        for needle in [
            "OTHERS",
            "0.14",
            "the demos' processes, live",
            "Threads of worker (PID 300",
            "cores in use 1.81 of 2",
            "cpu-1",
        ] {
            assert!(text.contains(needle), "{needle:?} missing:\n{text}");
        }
        // Every thread of the watched demo shows: no "+N more" at this size.
        assert!(!text.contains("more threads: Enter"), "{text}");
    }

    #[test]
    fn demos_that_overlap_on_too_few_cores_are_warned_about() {
        let mut app = lab_with_demos();
        let spec = DemoSpec { kind: DemoKind::CpuProcs, workers: 2, duration: Duration::from_secs(60) };
        app.update(Action::Lab(LabEvent::Started { id: 3, spec, pids: vec![401] }));
        let mut snap = snapshot(4);
        snap.system.total.user = 98.0;
        for p in snap.processes.iter_mut().filter(|p| p.pid == 401) {
            p.cpu_percent = 60.0;
        }
        app.update(Action::Sample(Arc::new(snap)));
        let text = rows(&panel(&app, 120, 38)).join("\n");
        assert!(text.contains("2 demos share 2 cores: figures are lower"), "{text}");
    }

    /// Every line the lesson screen shows for lesson `i` at `w`×`h`, paged through with PgDn.
    fn lesson_pages(app: &mut App, w: u16, h: u16) -> String {
        let mut seen: Vec<String> = Vec::new();
        for _ in 0..30 {
            let term = screen(app, w, h);
            let page: Vec<String> = rows(&term);
            let joined = page.join("\n");
            let last = seen.last() == Some(&joined);
            seen.push(joined);
            if last || !page.iter().any(|l| l.contains("↓ more") || l.contains("PgDn/PgUp ·")) {
                break;
            }
            app.update(Action::Cmd(Command::PageDown));
        }
        seen.join("\n")
    }

    #[test]
    fn every_lesson_reads_whole_at_80x24_120x40_and_160x45() {
        use crate::model::lessons::LESSONS;
        for (w, h) in [(80u16, 24u16), (120, 40), (160, 45)] {
            for (i, lesson) in LESSONS.iter().enumerate() {
                let mut app = lab_app();
                app.update(Action::Cmd(Command::Lessons));
                for _ in 0..i {
                    app.update(Action::Cmd(Command::Down));
                }
                app.update(Action::Cmd(Command::Enter));
                let seen = lesson_pages(&mut app, w, h);
                let words: String = seen.split_whitespace().collect::<Vec<_>>().join(" ");
                for step in lesson.steps {
                    for text in [step.text, step.keys] {
                        // Whole words, in order, across the wrapped lines.
                        let want = text.split_whitespace().collect::<Vec<_>>().join(" ");
                        let found = want.split(' ').all(|word| words.contains(word));
                        assert!(found, "{w}x{h} {}: {want:?} not all shown:\n{seen}", lesson.id);
                    }
                }
                for word in lesson.claim.split_whitespace() {
                    assert!(words.contains(word), "{w}x{h} {}: claim word {word:?} missing", lesson.id);
                }
            }
        }
    }

    #[test]
    fn the_lessons_index_and_a_lesson_walked_80x24() {
        let mut app = lab_app();
        app.update(Action::Cmd(Command::Lessons));
        insta::assert_snapshot!("lessons_index_80x24", screen(&app, 80, 24).backend());
        app.update(Action::Cmd(Command::Enter));
        insta::assert_snapshot!("lesson_walked_80x24", screen(&app, 80, 24).backend());
    }

    #[test]
    fn a_lesson_walked_120x40_and_160x45_with_its_first_step_done() {
        let mut app = lab_app();
        app.update(Action::Cmd(Command::Lessons));
        app.update(Action::Cmd(Command::Enter));
        // The cursor already rests on cpu-threads: Esc to the catalogue passes step 1.
        app.update(Action::Cmd(Command::Back));
        app.update(Action::Cmd(Command::Lessons));
        insta::assert_snapshot!("lesson_walked_120x40", screen(&app, 120, 40).backend());
        insta::assert_snapshot!("lesson_walked_160x45", screen(&app, 160, 45).backend());
        let text = rows(&screen(&app, 120, 40)).join("\n");
        assert!(text.contains("✓ 1/6") && text.contains("the cursor is on cpu-threads"), "{text}");
    }

    #[test]
    fn the_step_stays_in_sight_over_the_footer_on_other_screens() {
        let mut app = lab_app();
        app.update(Action::Cmd(Command::Lessons));
        app.update(Action::Cmd(Command::Enter));
        app.update(Action::Cmd(Command::Back));
        app.update(Action::Cmd(Command::OpenLab));
        let term = screen(&app, 80, 24);
        insta::assert_snapshot!("lesson_strip_processes_80x24", term.backend());
        let text = rows(&term).join("\n");
        assert!(text.contains("Lesson Processes and threads, step 2/6"), "{text}");
        assert!(text.contains("no cpu-threads running yet"), "{text}");
    }

    fn compare_result() -> crate::model::experiment::CompareResult {
        use crate::model::experiment::{CompareResult, CompareRun};
        let run = |kind: &str, cores: f64, ops: f64, others: f64| CompareRun {
            kind: kind.into(),
            workers: 2,
            wall_seconds: 3.02,
            cpu_seconds: cores * 3.0,
            cores_used: cores,
            ops: (ops * 3.0) as u64,
            ops_per_sec: ops,
            other_cores: others,
        };
        CompareResult {
            logical_cores: 2,
            workers: 2,
            step_seconds: 3.0,
            kinds: vec!["cpu-threads".into(), "lock-threads".into(), "cpu-procs".into()],
            runs: vec![
                run("cpu-threads", 1.97, 4100.0, 0.04),
                run("lock-threads", 0.99, 2000.0, 0.05),
                run("cpu-procs", 1.96, 4050.0, 0.7),
            ],
            cancelled: false,
            started_at: "2026-12-01T23:50:00Z".into(),
            machine: None,
        }
    }

    #[test]
    fn compare_setup_and_result_80x24_and_160x45() {
        use crate::model::experiment::{ExperimentEvent, ExperimentKind, ExperimentResult};
        let mut app = lab_app();
        app.update(Action::Cmd(Command::Compare));
        insta::assert_snapshot!("compare_setup_80x24", screen(&app, 80, 24).backend());
        app.experiment = Some(crate::app::experiment::ExperimentState::new(ExperimentKind::Compare));
        if let Some(e) = app.experiment.as_mut() {
            use crate::model::experiment::StepPlan;
            let steps = ["cpu-threads × 2", "lock-threads × 2", "cpu-procs × 2"]
                .map(|l| StepPlan { label: l.into(), expected: Duration::from_millis(3150) })
                .to_vec();
            e.apply(ExperimentEvent::Planned { kind: ExperimentKind::Compare, steps });
            for index in 0..3 {
                let (took, summary) = (Duration::from_millis(3300), String::new());
                let result = ExperimentResult::Compare(compare_result());
                e.apply(ExperimentEvent::StepDone { index, took, summary, result });
            }
            e.apply(ExperimentEvent::Finished { result: ExperimentResult::Compare(compare_result()) });
        }
        app.view = View::Lab(crate::app::LabScreen::Experiment);
        let small = screen(&app, 80, 24);
        insta::assert_snapshot!("compare_result_80x24", small.backend());
        insta::assert_snapshot!("compare_result_160x45", screen(&app, 160, 45).backend());
        let text = rows(&small).join("\n");
        for needle in [
            "lock-threads",
            "×0.49",
            "cores used (full bar = 2 cores)",
            "ops/s (full bar = 4100)",
            "0.7 cores during cpu-procs",
        ] {
            assert!(text.contains(needle), "{needle:?} missing:\n{text}");
        }
    }

    #[test]
    fn every_size_draws_without_panic() {
        let app = lab_with_demos();
        for w in [0u16, 1, 2, 5, 10, 30, 41, 42, 43, 69, 70, 71, 80, 200] {
            for h in [0u16, 1, 2, 3, 5, 8, 9, 10, 12, 22, 38, 60] {
                panel(&app, w, h);
            }
        }
    }
}
