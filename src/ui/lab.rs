//! The lab: the catalogue of demos with their lessons and knobs, and the demos launched, live
//! and finished, with what they measured.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::app::App;
use crate::app::LabScreen;
use crate::app::lab::DemoStatus;
use crate::lab::experiment::model::ExperimentKind;
use crate::ui::{Theme, cell, fill_line, put};

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    match (app.lab_screen, app.experiment.as_ref()) {
        (LabScreen::Picker { cursor }, _) => return render_picker(buf, area, app, theme, cursor),
        (LabScreen::Experiment, Some(state)) => {
            crate::ui::experiment::render(buf, area, state, theme);
            return;
        }
        _ => {}
    }
    let lab = &app.lab;
    let cat_h = (lab.catalog.len() as u16 + 2).min(area.height);
    let top = Rect { height: cat_h, ..area };
    put(
        buf,
        top,
        top.x,
        top.y,
        "Lab: launch a demo and watch it in the process list (Enter launches it · e experiments)",
        theme.title,
    );
    let list_w = if area.width >= 70 { 40 } else { area.width };
    let list = Rect { y: top.y + 1, height: top.height.saturating_sub(1), width: list_w, ..top };
    {
        let mut hit = app.hit.borrow_mut();
        hit.header_y = None;
        hit.body_y = list.y;
        hit.body_h = list.height;
        hit.columns.clear();
    }
    for (i, e) in lab.catalog.iter().enumerate() {
        let y = list.y + i as u16;
        let selected = i == lab.cursor;
        let style = if selected { theme.selected } else { theme.text };
        if selected {
            fill_line(buf, list, y, theme.selected);
        }
        let knobs =
            if e.timed { format!("N={:<3} {:>3}s", e.workers, e.seconds) } else { format!("K={:<3} once", e.workers) };
        let text = format!("{} {:<13} {}", if selected { '>' } else { ' ' }, e.kind.name(), knobs);
        put(buf, list, list.x, y, &text, style);
    }
    // The lesson of the entry under the cursor, beside the list (or under it when narrow).
    let lesson_area = if area.width >= 70 {
        Rect {
            x: area.x + list_w + 2,
            y: top.y + 1,
            width: area.width - list_w - 2,
            height: area.height.saturating_sub(1).min(8),
        }
    } else {
        Rect { y: top.bottom(), height: area.bottom().saturating_sub(top.bottom()).min(5), ..area }
    };
    if let Some(e) = lab.selected_entry() {
        let lines = vec![
            Line::styled(e.summary.clone(), theme.value),
            Line::styled(e.lesson.clone(), theme.text),
            Line::styled(format!("+/- {} · Left/Right duration · Enter launch · x stop", e.unit), theme.dim),
        ];
        Paragraph::new(lines).wrap(Wrap { trim: true }).render(lesson_area, buf);
    }
    let demos_y = top.bottom().max(lesson_area.bottom()) + 1;
    let demos = Rect { y: demos_y, height: area.bottom().saturating_sub(demos_y), ..area };
    render_demos(buf, demos, app, theme);
}

/// `e`: the experiments, each with the question it answers.
fn render_picker(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize) {
    put(buf, area, area.x, area.y, "Lab experiments: a question answered with a curve, measured here", theme.title);
    for (i, kind) in ExperimentKind::ALL.iter().enumerate() {
        let y = area.y + 2 + 2 * i as u16;
        let selected = i == cursor;
        if selected {
            fill_line(buf, area, y, theme.selected);
        }
        let style = if selected { theme.selected } else { theme.value };
        put(buf, area, area.x, y, &format!("{} {:<8}", if selected { '>' } else { ' ' }, kind.name()), style);
        put(buf, area, area.x + 11, y, kind.question(), if selected { theme.selected } else { theme.text });
    }
    let y = area.y + 3 + 2 * ExperimentKind::ALL.len() as u16;
    let mut help = "Enter runs it (it launches demos for a few seconds per step) · Esc back".to_string();
    if app.experiment.is_some() {
        help.push_str(" · the last result is kept until the next run");
    }
    put(buf, area, area.x, y, &help, theme.dim);
    if app.lab.running_count() > 0 {
        put(
            buf,
            area,
            area.x,
            y + 1,
            "demos are running now: they share the cores and will lower the figures",
            theme.error,
        );
    }
}

fn render_demos(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let lab = &app.lab;
    let head = format!(
        "{} {} {} {} {} {} {} {}",
        cell("#", 3, true),
        cell("KIND", 12, false),
        cell("N", 4, true),
        cell("PIDS", 16, false),
        cell("PROGRESS", 16, false),
        cell("CORES", 5, true),
        cell("OPS/S", 9, true),
        "RESULT"
    );
    fill_line(buf, area, area.y, theme.table_header);
    put(buf, area, area.x, area.y, &head, theme.table_header);
    if lab.demos.is_empty() {
        put(buf, area, area.x + 1, area.y + 1, "no demo launched yet", theme.dim);
        return;
    }
    let cores = app.logical_cores();
    for (k, d) in lab.demos.iter().rev().take(area.height.saturating_sub(1) as usize).enumerate() {
        let y = area.y + 1 + k as u16;
        let pids = match d.pids.len() {
            0 => "-".to_string(),
            1 => d.pids[0].to_string(),
            n => format!("{}+{}", d.pids[0], n - 1),
        };
        let total = d.spec.duration.as_secs_f64().max(0.001);
        let done = d.elapsed.as_secs_f64();
        let width = 10usize;
        let filled = ((done / total).clamp(0.0, 1.0) * width as f64).round() as usize;
        let gauge = format!("{}{} {:>3.0}s", "█".repeat(filled), "░".repeat(width - filled), done);
        let (cores_txt, rate, result, style) = match &d.status {
            DemoStatus::Running => (
                format!("{:.2}", d.cores_now),
                format!("{:.0}", d.ops_rate),
                format!("running · cores in use {:.2} of {cores}", d.cores_now),
                theme.text,
            ),
            DemoStatus::Finished(r) => {
                let mut s = format!(
                    "{}wall {:.1}s · CPU {:.1}s · {:.2} cores",
                    if r.stopped_early { "stopped · " } else { "" },
                    r.wall_seconds,
                    r.cpu_seconds,
                    r.cores_used
                );
                if let Some(sc) = &r.spawn {
                    s = format!(
                        "thread {:.1}µs · process {:.1}µs · process/thread ×{:.1}",
                        sc.thread_spawn_us, sc.process_spawn_us, sc.ratio
                    );
                }
                (format!("{:.2}", r.cores_used), format!("{:.0}", r.ops_per_sec), s, theme.dim)
            }
            DemoStatus::Failed(why) => ("-".into(), "-".into(), format!("failed: {why}"), theme.error),
        };
        let line = format!(
            "{} {} {} {} {} {} {} {}",
            cell(&d.id.to_string(), 3, true),
            cell(d.spec.kind.name(), 12, false),
            cell(&d.spec.workers.to_string(), 4, true),
            cell(&pids, 16, false),
            cell(&gauge, 16, false),
            cell(&cores_txt, 5, true),
            cell(&rate, 9, true),
            result
        );
        put(buf, area, area.x, y, &line, style);
    }
}
