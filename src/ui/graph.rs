//! `v`: CPU history as a chart (total and per core) above the process list, and the focused
//! process's cores in use as a sparkline in the threads view.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Sparkline, Widget};

use crate::app::App;
use crate::ui::{Theme, put};

const CORE_COLORS: [Color; 6] =
    [Color::Blue, Color::Magenta, Color::Yellow, Color::Cyan, Color::LightRed, Color::LightGreen];

/// Lines the CPU history chart takes out of `available`.
pub fn chart_height(available: u16) -> u16 {
    if available < 14 { 0 } else { (available / 3).clamp(6, 14) }
}

pub fn render_cpu_history(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    app.hit.borrow_mut().graph = None;
    if area.height < 3 || area.width < 20 || app.cpu_history.is_empty() {
        return;
    }
    let hist = &app.cpu_history;
    let n = hist.len();
    let start = n.saturating_sub(area.width.saturating_sub(8) as usize * 2);
    let cores = hist.back().map(|p| p.cores.len()).unwrap_or(0);
    // Per-core lines only while they stay readable; the total always.
    let show_cores = cores <= 8;
    let core_series: Vec<Vec<(f64, f64)>> = if show_cores {
        (0..cores)
            .map(|c| {
                hist.iter()
                    .enumerate()
                    .skip(start)
                    .map(|(i, p)| (i as f64, f64::from(p.cores.get(c).copied().unwrap_or(0.0))))
                    .collect()
            })
            .collect()
    } else {
        Vec::new()
    };
    let total: Vec<(f64, f64)> =
        hist.iter().enumerate().skip(start).map(|(i, p)| (i as f64, f64::from(p.total))).collect();
    let mono = theme.bar_user.fg.is_none();
    let mut datasets: Vec<Dataset> = core_series
        .iter()
        .enumerate()
        .map(|(c, data)| {
            let style = if mono { theme.dim } else { Style::new().fg(CORE_COLORS[c % CORE_COLORS.len()]) };
            Dataset::default()
                .name(format!("cpu{c}"))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(style)
                .data(data)
        })
        .collect();
    datasets.push(
        Dataset::default()
            .name("total")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.value.patch(theme.bar_user))
            .data(&total),
    );
    let secs = app.options.interval.as_secs_f64() * (n - start) as f64;
    let title = format!(" CPU % over the last {:.0}s · total and per core · v hides ", secs);
    let x_max = (n.max(2) - 1) as f64;
    let chart = Chart::new(datasets)
        .block(Block::bordered().title(Span::styled(title, theme.title)).border_style(theme.border))
        .x_axis(Axis::default().bounds([start as f64, x_max.max(start as f64 + 1.0)]))
        .y_axis(Axis::default().bounds([0.0, 100.0]).labels([
            Span::styled("0", theme.dim),
            Span::styled("50", theme.dim),
            Span::styled("100", theme.dim),
        ]));
    chart.render(area, buf);
    // The plot, inside the border and right of the y labels ("100" and the axis line), for clicks.
    let plot_x = area.x + 1 + 4;
    if area.right() > plot_x + 2 {
        app.hit.borrow_mut().graph = Some((plot_x, area.right() - 1, area.y + 1, area.bottom() - 1, n - 1 - start));
    }
    // The legend on the bottom border: which colour is which core (ratatui's own legend box
    // hides itself on a short chart, and covers the lines when it shows).
    let y = area.bottom() - 1;
    let mut x = area.x + 2;
    let total_style = theme.value.patch(theme.bar_user);
    x = put(buf, area, x, y, " ━ total", total_style);
    for c in 0..core_series.len() {
        let style = if mono { theme.dim } else { Style::new().fg(CORE_COLORS[c % CORE_COLORS.len()]) };
        x = put(buf, area, x, y, &format!(" ━ cpu{c}"), style);
    }
    if !show_cores && cores > 0 {
        x = put(buf, area, x, y, &format!(" ({cores} cores: total only)"), theme.dim);
    }
    put(buf, area, x, y, " ", theme.dim);
    if n < 2 {
        put(buf, area, area.x + 8, area.y + area.height / 2, "collecting samples…", theme.dim);
    }
}

/// One line: "cores in use" over the last samples, scaled to the machine's cores.
pub fn render_cores_sparkline(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = app.threads.as_ref() else { return };
    if area.height == 0 || area.width < 30 {
        return;
    }
    let cores = app.logical_cores() as f64;
    let label = format!("cores in use, last {} samples (0..{cores}): ", t.cores_history.len());
    let x = put(buf, area, area.x, area.y, &label, theme.label);
    let width = area.right().saturating_sub(x) as usize;
    let data: Vec<u64> = t
        .cores_history
        .iter()
        .skip(t.cores_history.len().saturating_sub(width))
        .map(|c| (c * 100.0).round() as u64)
        .collect();
    let spark_area = Rect { x, y: area.y, width: area.right().saturating_sub(x), height: 1 };
    Sparkline::default().data(&data).max((cores * 100.0) as u64).style(theme.bar_user).render(spark_area, buf);
}
