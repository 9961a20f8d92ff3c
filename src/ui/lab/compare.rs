//! Compare: the screen that picks two or three kinds, N and the duration; and the result, one
//! table and one chart of cores used and ops/s (drawn by the experiment screen, which shows a
//! compare as it runs and once it has finished).
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::app::App;
use crate::app::lab::compare::CompareSetup;
use crate::model::catalog;
use crate::model::experiment::CompareResult;
use crate::ui::format::{elide, wrap};
use crate::ui::{Theme, cell, fill_line, put};

/// `c` in the lab.
pub fn render_setup(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let w = usize::from(area.width);
    let Some(setup) = app.lab.compare.as_ref() else { return };
    let titles = [
        "Compare: run two or three demos with the same N and duration, one after the other",
        "Compare: two or three demos, same N and duration, one after the other",
        "Compare: two or three demos, one after the other",
    ];
    let title = titles.iter().find(|t| t.chars().count() <= w).map_or_else(|| elide(titles[2], w), |t| (*t).to_owned());
    put(buf, area, area.x, area.y, &title, theme.title);
    let knobs = format!("N = {} · {} s each · ticked: {}", setup.workers, setup.seconds, names(setup));
    put(buf, area, area.x, area.y + 1, &elide(&knobs, w), theme.value);
    let kinds = CompareSetup::kinds(&app.lab.catalog);
    let mut y = area.y + 3;
    for (i, kind) in kinds.iter().enumerate() {
        if y >= area.bottom() {
            break;
        }
        let selected = i == setup.cursor;
        if selected {
            fill_line(buf, area, y, theme.selected);
        }
        let order = setup.picked.iter().position(|k| k == kind);
        let tick = order.map_or("[ ]".to_owned(), |o| format!("[{}]", o + 1));
        let text =
            format!("{} {tick} {:<14} {}", if selected { '>' } else { ' ' }, kind.name(), catalog::info(*kind).summary);
        put(buf, area, area.x, y, &elide(&text, w), if selected { theme.selected } else { theme.text });
        y += 1;
    }
    y += 1;
    let mut help =
        "Space ticks (the number is the order they run) · +/- N · Left/Right seconds · Enter runs them · Esc back"
            .to_owned();
    if app.lab.running_count() > 0 {
        help.push_str(" · running demos take cores from the compare: X stops them");
    }
    for line in wrap(&help, w) {
        if y >= area.bottom() {
            break;
        }
        put(buf, area, area.x, y, &line, theme.dim);
        y += 1;
    }
}

fn names(setup: &CompareSetup) -> String {
    if setup.picked.is_empty() {
        return "none".to_owned();
    }
    setup.picked.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

/// The table (one row per kind) and the chart (a bar of cores used and one of ops/s per kind).
pub fn render_result(buf: &mut Buffer, area: Rect, r: &CompareResult, theme: &Theme) {
    let w = usize::from(area.width);
    let mut y = area.y;
    fn line(buf: &mut Buffer, area: Rect, y: &mut u16, text: &str, style: ratatui::style::Style) {
        if *y < area.bottom() {
            put(buf, area, area.x, *y, text, style);
            *y += 1;
        }
    }
    let about = format!("N = {} · {:.0} s each · on {} logical cores", r.workers, r.step_seconds, r.logical_cores);
    line(buf, area, &mut y, &elide(&about, w), theme.dim);
    // KIND N CORES OPS/S ×FIRST WALL CPU OTHERS
    let cols: [(&str, usize, bool); 8] = [
        ("KIND", 15, false),
        ("N", 3, true),
        ("CORES", 5, true),
        ("OPS/S", 9, true),
        ("×FIRST", 7, true),
        ("WALL s", 6, true),
        ("CPU s", 6, true),
        ("OTHERS", 6, true),
    ];
    // Narrow: WALL and CPU go first; the figures compared stay.
    let keep = |i: usize| w >= 70 || !(5..=6).contains(&i);
    let head: String = cols
        .iter()
        .enumerate()
        .filter(|(i, _)| keep(*i))
        .map(|(_, (h, cw, right))| cell(h, *cw, *right) + " ")
        .collect();
    if y < area.bottom() {
        fill_line(buf, area, y, theme.table_header);
    }
    line(buf, area, &mut y, head.trim_end(), theme.table_header);
    for run in &r.runs {
        let ratio = r.ratio_to_first(run).map_or_else(|| "-".to_owned(), |x| format!("×{x:.2}"));
        let values = [
            run.kind.clone(),
            run.workers.to_string(),
            format!("{:.2}", run.cores_used),
            format!("{:.0}", run.ops_per_sec),
            ratio,
            format!("{:.2}", run.wall_seconds),
            format!("{:.2}", run.cpu_seconds),
            format!("{:.2}", run.other_cores),
        ];
        let text: String = cols
            .iter()
            .zip(values.iter())
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, ((_, cw, right), v))| cell(v, *cw, *right) + " ")
            .collect();
        line(buf, area, &mut y, text.trim_end(), theme.text);
    }
    let waiting: Vec<&String> = r.kinds.iter().filter(|k| !r.runs.iter().any(|x| &x.kind == *k)).collect();
    if !waiting.is_empty() {
        let what = if r.cancelled { "not measured (cancelled)" } else { "still to run" };
        let names: Vec<&str> = waiting.iter().map(|s| s.as_str()).collect();
        line(buf, area, &mut y, &elide(&format!("{}: {what}", names.join(", ")), w), theme.dim);
    }
    y += 1;
    // The chart: one bar per kind for each figure, each figure on its own scale.
    let label_w = 15usize;
    let bar_w = w.saturating_sub(label_w + 12).clamp(1, 60);
    let cores = f64::from(r.logical_cores.max(1));
    let max_ops = r.runs.iter().map(|x| x.ops_per_sec).fold(0.0, f64::max);
    for (title, scale, pick) in [
        (format!("cores used (full bar = {} cores)", r.logical_cores), cores, 0usize),
        (format!("ops/s (full bar = {max_ops:.0})"), max_ops, 1),
    ] {
        line(buf, area, &mut y, &elide(&title, w), theme.label);
        for (k, run) in r.runs.iter().enumerate() {
            let (v, text) = if pick == 0 {
                (run.cores_used, format!("{:.2}", run.cores_used))
            } else {
                (run.ops_per_sec, format!("{:.0}", run.ops_per_sec))
            };
            let filled = if scale > 0.0 { ((v / scale).clamp(0.0, 1.0) * bar_w as f64).round() as usize } else { 0 };
            let bar = format!("{}{}", "█".repeat(filled), "░".repeat(bar_w - filled));
            let styles = [theme.bar_user, theme.bar_system, theme.bar_nice];
            if y < area.bottom() {
                let x = put(buf, area, area.x, y, &cell(&run.kind, label_w, false), theme.text);
                let x = put(buf, area, x + 1, y, &bar, styles[k % styles.len()]);
                put(buf, area, x + 1, y, &text, theme.value);
                y += 1;
            }
        }
    }
    if let Some(note) = r.busy_note() {
        y += 1;
        for l in wrap(&note, w) {
            line(buf, area, &mut y, &l, theme.error);
        }
    }
}
