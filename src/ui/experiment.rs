//! An experiment on screen: its progress while it runs (step, gauge, time left), then what it
//! measured: the scaling chart (throughput vs workers, one line per kind, the ideal linear line
//! and the core count marked) with its table, or the I/O and Python bars. A pure function of
//! `&ExperimentState`.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{Axis, Block, Chart, Clear, Dataset, GraphType, LegendPosition, Widget};

use crate::app::experiment::{ExperimentState, ExperimentStatus};
use crate::model::experiment::{ExperimentResult, IoResult, PythonResult, ScalingResult};
use crate::ui::format::{elide, wrap};
use crate::ui::format::{fmt_rate, sanitize};
use crate::ui::{Theme, cell, put};

/// Draws `state` into `area`, which it clears first. Safe at any size. `running` names the lab's
/// demos running now ("cpu-threads #1"): when the figures show other work took cores, they are
/// the likely culprit, and the user is told how to stop them.
pub fn render(buf: &mut Buffer, area: Rect, state: &ExperimentState, theme: &Theme, running: &[String]) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    Clear.render(area, buf);
    let title = format!("Experiment: {} · {}", state.kind.name(), state.kind.question());
    put(buf, area, area.x, area.y, &elide(&title, usize::from(area.width)), theme.title);
    let (status, style) = status_line(state, theme, running);
    // The status carries the figures and what to do about a busy machine: wrapped, not cut,
    // on at most two lines.
    let mut y = area.y + 1;
    for line in wrap(&status, usize::from(area.width)).into_iter().take(2) {
        put(buf, area, area.x, y, &line, style);
        y += 1;
    }
    if state.running() && y < area.bottom() {
        render_gauge(buf, Rect { y, height: 1, ..area }, state, theme);
        y += 1;
    }
    let body = Rect { y, height: area.bottom().saturating_sub(y), ..area };
    if body.height == 0 {
        return;
    }
    match &state.result {
        Some(ExperimentResult::Scaling(r)) => render_scaling(buf, body, r, theme),
        Some(ExperimentResult::Io(r)) => render_io(buf, body, r, theme),
        Some(ExperimentResult::Python(r)) => render_python(buf, body, r, theme, running),
        Some(ExperimentResult::Compare(r)) => crate::ui::lab::compare::render_result(buf, body, r, theme),
        None if state.running() => {
            put(buf, body, body.x, body.y + 1, "waiting for the first step to finish…", theme.dim);
        }
        None => {}
    }
}

fn fmt_left(d: Duration) -> String {
    let s = d.as_secs_f64().ceil() as u64;
    if s >= 60 { format!("{}m {:02}s", s / 60, s % 60) } else { format!("{s}s") }
}

fn status_line(state: &ExperimentState, theme: &Theme, running: &[String]) -> (String, Style) {
    let total = state.total_steps();
    match &state.status {
        ExperimentStatus::Running if state.cancelling => {
            ("cancelling: stopping the step running…".to_owned(), theme.status)
        }
        ExperimentStatus::Running => {
            let mut s = match state.current_label() {
                Some(label) => format!("step {}/{total}: {label}", state.steps_done + 1),
                None if total == 0 => "starting…".to_owned(),
                None => format!("{}/{total} steps done", state.steps_done),
            };
            if let Some(r) = state.live_ops_per_sec {
                s.push_str(&format!(" · {} ops/s", fmt_rate(Some(r))));
            }
            if let Some(c) = state.live_cores {
                s.push_str(&format!(" · {c:.2} cores"));
            }
            if let Some(left) = state.time_left() {
                s.push_str(&format!(" · about {} left", fmt_left(left)));
            }
            (s, theme.status)
        }
        ExperimentStatus::Finished => {
            let mut s = format!("finished: {total} steps in {}", fmt_left(state.took));
            if let Some(ExperimentResult::Scaling(r)) = &state.result {
                s.push_str(&format!(
                    " · each run {:.2} s, {} per point (median, min–max)",
                    r.step_seconds,
                    plural(r.repeats, "run")
                ));
            }
            if let Some(note) = others_note(state, running) {
                s.push_str(" · ");
                s.push_str(&note);
            }
            (s, theme.status)
        }
        ExperimentStatus::Cancelled => {
            (format!("cancelled after {} of {total} steps: what was measured is shown", state.steps_done), theme.status)
        }
        ExperimentStatus::Failed(reason) => (format!("failed: {}", sanitize(reason)), theme.error),
    }
}

/// "other work took 1.0 cores meanwhile (OTHERS)" when the rest of the machine used enough CPU
/// during the runs to lower the figures, else nothing; when lab demos are running, it names
/// them and says how to stop them.
fn others_note(state: &ExperimentState, running: &[String]) -> Option<String> {
    let others: Vec<f64> = match &state.result {
        Some(ExperimentResult::Scaling(r)) => r.steps.iter().map(|s| s.other_cores).collect(),
        Some(ExperimentResult::Python(r)) => {
            [r.threads.as_ref(), r.processes.as_ref()].into_iter().flatten().map(|p| p.other_cores).collect()
        }
        _ => Vec::new(),
    };
    let median = crate::model::experiment::Stats::of(&others).median;
    (median >= 0.3).then(|| match running {
        [] => format!("other work took {median:.1} cores meanwhile (OTHERS)"),
        names => format!("OTHERS {median:.1} cores: {} · X stops all demos", running_demos(names)),
    })
}

/// "cpu-threads #1 is running and takes the cores", for one demo or several.
fn running_demos(names: &[String]) -> String {
    match names {
        [one] => format!("{one} is running and takes the cores"),
        _ => format!("{} are running and take the cores", names.join(", ")),
    }
}

fn plural(n: u32, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn render_gauge(buf: &mut Buffer, area: Rect, state: &ExperimentState, theme: &Theme) {
    let done = state.fraction_done();
    let label = format!(" {:>3.0}%", done * 100.0);
    let width = (area.width as usize).saturating_sub(label.len() + 2).min(60);
    if width == 0 {
        return;
    }
    let filled = ((done * width as f64).round() as usize).min(width);
    let x = put(buf, area, area.x, area.y, "[", theme.bar_bracket);
    let x = put(buf, area, x, area.y, &"█".repeat(filled), theme.bar_user);
    let x = put(buf, area, x, area.y, &"░".repeat(width - filled), theme.dim);
    let x = put(buf, area, x, area.y, "]", theme.bar_bracket);
    put(buf, area, x, area.y, &label, theme.value);
}

/// Line styles of the kinds, in the order they are measured.
fn kind_styles(theme: &Theme) -> [Style; 4] {
    [theme.bar_user, theme.bar_system, theme.bar_nice, theme.bar_steal]
}

/// Rounds `v` up to 1, 2 or 5 times a power of ten, for an axis that ends on a round number.
fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|c| *c >= v).unwrap_or(10.0 * p)
}

fn render_scaling(buf: &mut Buffer, area: Rect, r: &ScalingResult, theme: &Theme) {
    let kinds = r.kinds();
    let table_rows = r.steps.len() as u16 + 1;
    // The chart gets most of the room; the table what is left, at least its header.
    let chart_h = if area.height >= table_rows + 12 { area.height - table_rows - 1 } else { area.height * 2 / 3 };
    let chart_area = Rect { height: chart_h, ..area };
    let table_area = Rect { y: area.y + chart_h + 1, height: area.height.saturating_sub(chart_h + 1), ..area };

    let cores = f64::from(r.logical_cores.max(1));
    // The planned range, so the axis does not move while the points arrive.
    let max_workers = r.steps.iter().map(|s| s.workers).chain([r.max_workers, r.logical_cores, 2]).max().unwrap_or(2);
    let max_w = f64::from(max_workers);
    let series: Vec<Vec<(f64, f64)>> = kinds
        .iter()
        .map(|k| {
            r.steps.iter().filter(|s| s.kind == *k).map(|s| (f64::from(s.workers), s.ops_per_sec_median)).collect()
        })
        .collect();
    // Ideal linear scaling, from the first kind's 1-worker figure (cpu-threads by default).
    let base = kinds.first().and_then(|k| r.step(k, 1)).map(|s| s.ops_per_sec_median);
    let ideal: Vec<(f64, f64)> = base.map(|b| vec![(1.0, b), (max_w, b * max_w)]).unwrap_or_default();
    let data_max = r.steps.iter().map(|s| s.ops_per_sec_max).fold(0.0, f64::max);
    let y_max = nice_ceiling(data_max.max(ideal.last().map_or(0.0, |p| p.1)) * 1.05);
    let core_line = [(cores, 0.0), (cores, y_max)];

    let styles = kind_styles(theme);
    // Drawn in order, later over earlier: the guides first, the measured lines on top.
    let mut datasets: Vec<Dataset> = Vec::new();
    datasets.push(
        Dataset::default()
            .name(format!("{} cores", r.logical_cores))
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.bar_irq)
            .data(&core_line),
    );
    if !ideal.is_empty() {
        datasets.push(
            Dataset::default()
                .name("ideal (linear)")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.dim)
                .data(&ideal),
        );
    }
    for (i, (points, kind)) in series.iter().zip(&kinds).enumerate() {
        datasets.push(
            Dataset::default()
                .name(kind.to_string())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(styles[i % styles.len()])
                .data(points),
        );
    }
    let x_labels: Vec<Span> =
        x_ticks(max_workers).into_iter().map(|v| Span::styled(v.to_string(), theme.label)).collect();
    let y_labels: Vec<Span> =
        [0.0, y_max / 2.0, y_max].iter().map(|v| Span::styled(fmt_rate(Some(*v)), theme.label)).collect();
    let chart = Chart::new(datasets)
        .block(
            Block::bordered()
                .title(Span::styled(" throughput (ops/s) vs workers ", theme.title))
                .border_style(theme.border),
        )
        .x_axis(Axis::default().title(Span::styled("workers", theme.dim)).bounds([0.0, max_w]).labels(x_labels))
        .y_axis(Axis::default().title(Span::styled("ops/s", theme.dim)).bounds([0.0, y_max]).labels(y_labels))
        .legend_position(Some(LegendPosition::TopLeft))
        .hidden_legend_constraints((
            ratatui::layout::Constraint::Ratio(1, 2),
            ratatui::layout::Constraint::Ratio(1, 2),
        ));
    chart.render(chart_area, buf);

    if table_area.height == 0 {
        return;
    }
    let head = format!(
        "{} {} {} {} {} {} {} {}",
        cell("KIND", 13, false),
        cell("N", 3, true),
        cell("OPS/S", 7, true),
        cell("MIN–MAX", 15, true),
        cell("SPEEDUP", 7, true),
        cell("CORES", 5, true),
        cell("WALL s", 6, true),
        cell("OTHERS", 6, true),
    );
    put(buf, table_area, table_area.x, table_area.y, &head, theme.table_header);
    for (i, s) in r.steps.iter().enumerate() {
        let y = table_area.y + 1 + i as u16;
        if y >= table_area.bottom() {
            break;
        }
        let speedup = r.speedup(&s.kind, s.workers).map_or_else(|| "-".to_owned(), |x| format!("×{x:.2}"));
        let range = format!("{}–{}", fmt_rate(Some(s.ops_per_sec_min)), fmt_rate(Some(s.ops_per_sec_max)));
        let row = format!(
            "{} {} {} {} {} {} {} {}",
            cell(&s.kind, 13, false),
            cell(&s.workers.to_string(), 3, true),
            cell(&fmt_rate(Some(s.ops_per_sec_median)), 7, true),
            cell(&range, 15, true),
            cell(&speedup, 7, true),
            cell(&format!("{:.2}", s.cores_used), 5, true),
            cell(&format!("{:.2}", s.wall_seconds), 6, true),
            cell(&format!("{:.2}", s.other_cores), 6, true),
        );
        let style = kinds.iter().position(|k| *k == s.kind).map_or(theme.text, |i| styles[i % styles.len()]);
        put(buf, table_area, table_area.x, y, &row, style);
    }
}

/// Labels for a workers axis from 0 to `max`. ratatui puts the first label at the left end,
/// the last at the right end and spreads the others over the space left, which matches the
/// data's positions only for a single middle label: so 0, max / 2 (the core count, with the
/// default 2 × cores) when it is whole, and max.
fn x_ticks(max: u32) -> Vec<u32> {
    let max = max.max(1);
    if max.is_multiple_of(2) { vec![0, max / 2, max] } else { vec![0, max] }
}

/// A bar of `value` out of `max` in `width` cells.
fn bar(value: f64, max: f64, width: usize) -> String {
    if !(max.is_finite() && max > 0.0 && value.is_finite() && value > 0.0) || width == 0 {
        return String::new();
    }
    let n = ((value / max).min(1.0) * width as f64).round() as usize;
    "█".repeat(n.max(1))
}

fn render_io(buf: &mut Buffer, area: Rect, r: &IoResult, theme: &Theme) {
    let mut y = area.y + 1;
    let intro = format!("{} tasks that each wait {:.2} s; wall time of each way to run them:", r.n, r.wait_seconds);
    put(buf, area, area.x, y, &intro, theme.text);
    y += 2;
    let head = format!("{} {} {}", cell("MODE", 11, false), cell("WALL s", 7, true), cell("EXPECTED", 9, false));
    put(buf, area, area.x, y, &head, theme.table_header);
    y += 1;
    let max = r.modes().iter().filter_map(|(_, v)| *v).fold(0.0, f64::max);
    let bar_w = (area.width as usize).saturating_sub(31);
    let styles = kind_styles(theme);
    let expected = r.expected();
    for (i, (mode, wall)) in r.modes().into_iter().enumerate() {
        let text = format!(
            "{} {} {} ",
            cell(mode, 11, false),
            cell(&wall.map_or_else(|| "-".to_owned(), |w| format!("{w:.3}")), 7, true),
            cell(&format!("≈ {:.2}", expected[i]), 9, false)
        );
        let x = put(buf, area, area.x, y, &text, theme.text);
        put(buf, area, x, y, &wall.map_or_else(String::new, |w| bar(w, max, bar_w)), styles[i % styles.len()]);
        y += 1;
    }
    y += 1;
    if let (Some(seq), Some(th)) = (r.sequential_s, r.threads_s) {
        let line = format!(
            "Waiting needs concurrency, not cores: {} threads waited at once, {:.1}× faster than in a row.",
            r.n,
            seq / th.max(1e-9)
        );
        // Wrapped, never cut: the figure is the point of the line.
        y = put_wrapped(buf, area, y, &line, theme.dim);
    }
    if let (Some(th), Some(pr)) = (r.threads_s, r.processes_s) {
        let line = format!(
            "Processes too; starting and reaping {} of them added {:.0} ms.",
            r.n,
            ((pr - th) * 1000.0).max(0.0)
        );
        put_wrapped(buf, area, y, &line, theme.dim);
    }
}

fn render_python(buf: &mut Buffer, area: Rect, r: &PythonResult, theme: &Theme, running: &[String]) {
    let mut y = area.y + 1;
    let gil = if r.gil_enabled { "GIL on" } else { "free-threaded: GIL off" };
    let intro = format!(
        "CPython {} ({}), {gil} · {} per kind, {:.2} s each",
        sanitize(&r.python_version),
        sanitize(&r.python_executable),
        plural(r.workers, "worker"),
        r.step_seconds
    );
    put(buf, area, area.x, y, &intro, theme.text);
    y += 2;
    let head = format!(
        "{} {} {} {} {} {}",
        cell("KIND", 11, false),
        cell("N", 3, true),
        cell("OPS/S", 7, true),
        cell("CORES", 5, true),
        cell("OTHERS", 6, true),
        "CORES IN USE (0 to N)"
    );
    put(buf, area, area.x, y, &head, theme.table_header);
    y += 1;
    let scale = f64::from(r.workers.min(r.logical_cores).max(1));
    let bar_w = (area.width as usize).saturating_sub(38).min(40);
    let styles = kind_styles(theme);
    for (i, run) in [r.threads.as_ref(), r.processes.as_ref()].into_iter().enumerate() {
        let Some(run) = run else { continue };
        let text = format!(
            "{} {} {} {} {} ",
            cell(&run.kind, 11, false),
            cell(&run.workers.to_string(), 3, true),
            cell(&fmt_rate(Some(run.ops_per_sec)), 7, true),
            cell(&format!("{:.2}", run.cores_used), 5, true),
            cell(&format!("{:.2}", run.other_cores), 6, true)
        );
        let x = put(buf, area, area.x, y, &text, theme.text);
        put(buf, area, x, y, &bar(run.cores_used, scale, bar_w), styles[i % styles.len()]);
        y += 1;
    }
    y += 1;
    if let Some(line) = r.speedup_line() {
        y = put_wrapped(buf, area, y, &line, theme.value);
    }
    if let Some(note) = r.busy_note() {
        let note = match running {
            [] => note,
            names => format!("{note} {}: X stops all demos.", capitalized(&running_demos(names))),
        };
        y = put_wrapped(buf, area, y, &note, theme.status);
    }
    let lesson = if r.gil_enabled {
        "One GIL: one thread runs Python code at a time, so threads use about 1 core; each process has its own GIL."
    } else {
        "This interpreter runs without its GIL: Python threads run in parallel, like the processes."
    };
    put_wrapped(buf, area, y, lesson, theme.dim);
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Writes `text` from line `y`, wrapped at word boundaries to the width of `area`; returns the
/// line after it. What does not fit below is left out.
fn put_wrapped(buf: &mut Buffer, area: Rect, mut y: u16, text: &str, style: Style) -> u16 {
    for line in wrap(text, usize::from(area.width)) {
        if y >= area.bottom() {
            break;
        }
        put(buf, area, area.x, y, &line, style);
        y += 1;
    }
    y
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::model::experiment::{ExperimentEvent, ExperimentKind, PythonRun, ScalingStep, StepPlan};

    fn step(kind: &str, workers: u32, rate: f64, cores: f64) -> ScalingStep {
        ScalingStep {
            kind: kind.into(),
            workers,
            ops_per_sec: rate,
            ops_per_sec_min: (rate * 0.96).round(),
            ops_per_sec_median: rate,
            ops_per_sec_max: (rate * 1.03).round(),
            cores_used: cores,
            wall_seconds: 2.02,
            runs: 3,
            other_cores: 0.03,
            ops_per_sec_runs: vec![rate * 0.96, rate, rate * 1.03],
        }
    }

    /// Figures shaped like a real run on a 2-core machine: threads and processes double, then
    /// flatten; the lock stays flat.
    fn scaling_fixture() -> ScalingResult {
        ScalingResult {
            logical_cores: 2,
            step_seconds: 2.0,
            repeats: 3,
            steps: vec![
                step("cpu-threads", 1, 4100.0, 1.0),
                step("cpu-threads", 2, 8050.0, 1.97),
                step("cpu-threads", 4, 8000.0, 1.98),
                step("lock-threads", 1, 4050.0, 1.0),
                step("lock-threads", 2, 3900.0, 1.0),
                step("lock-threads", 4, 3850.0, 1.01),
                step("cpu-procs", 1, 4150.0, 1.0),
                step("cpu-procs", 2, 8100.0, 1.98),
                step("cpu-procs", 4, 8020.0, 1.99),
            ],
            cancelled: false,
            started_at: "2026-05-09T04:30:00Z".into(),
            machine: None,
            total_seconds: 58.0,
            max_workers: 4,
        }
    }

    fn plan(n: usize) -> Vec<StepPlan> {
        (0..n).map(|i| StepPlan { label: format!("step {i}"), expected: Duration::from_secs(2) }).collect()
    }

    fn draw(state: &ExperimentState, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| {
            let area = f.area();
            render(f.buffer_mut(), area, state, &Theme::colored(), &[]);
        })
        .unwrap();
        term
    }

    fn finished_scaling() -> ExperimentState {
        let mut s = ExperimentState::new(ExperimentKind::Scaling);
        s.apply(ExperimentEvent::Planned { kind: ExperimentKind::Scaling, steps: plan(27) });
        s.took = Duration::from_secs(58);
        s.steps_done = 27;
        s.apply(ExperimentEvent::Finished { result: ExperimentResult::Scaling(scaling_fixture()) });
        s
    }

    #[test]
    fn scaling_chart_100x32() {
        insta::assert_snapshot!(draw(&finished_scaling(), 100, 32).backend());
    }

    #[test]
    fn scaling_running_80x24() {
        let mut s = ExperimentState::new(ExperimentKind::Scaling);
        s.apply(ExperimentEvent::Planned {
            kind: ExperimentKind::Scaling,
            steps: vec![
                StepPlan { label: "cpu-threads × 1 (run 1/1)".into(), expected: Duration::from_secs(2) },
                StepPlan { label: "cpu-threads × 2 (run 1/1)".into(), expected: Duration::from_secs(2) },
                StepPlan { label: "cpu-threads × 4 (run 1/1)".into(), expected: Duration::from_secs(2) },
            ],
        });
        let mut partial = scaling_fixture();
        partial.steps.truncate(2);
        for i in 0..2 {
            s.apply(ExperimentEvent::StepStarted { index: i });
            s.apply(ExperimentEvent::StepDone {
                index: i,
                took: Duration::from_secs(2),
                summary: "8050 ops/s, 1.97 cores".into(),
                result: ExperimentResult::Scaling(partial.clone()),
            });
        }
        s.apply(ExperimentEvent::StepStarted { index: 2 });
        s.apply(ExperimentEvent::StepProgress {
            index: 2,
            elapsed: Duration::from_secs(1),
            ops_per_sec: Some(7990.0),
            cores: Some(1.99),
        });
        insta::assert_snapshot!(draw(&s, 80, 24).backend());
    }

    #[test]
    fn io_bars_80x14() {
        let mut s = ExperimentState::new(ExperimentKind::Io);
        s.apply(ExperimentEvent::Planned { kind: ExperimentKind::Io, steps: plan(3) });
        s.steps_done = 3;
        s.took = Duration::from_millis(6100);
        s.apply(ExperimentEvent::Finished {
            result: ExperimentResult::Io(IoResult {
                n: 4,
                wait_seconds: 1.0,
                sequential_s: Some(4.004),
                threads_s: Some(1.001),
                processes_s: Some(1.012),
                logical_cores: 2,
                cancelled: false,
                started_at: String::new(),
                machine: None,
            }),
        });
        insta::assert_snapshot!(draw(&s, 80, 14).backend());
    }

    #[test]
    fn python_gil_80x14() {
        let run = |kind: &str, cores: f64, rate: f64| PythonRun {
            kind: kind.into(),
            workers: 2,
            wall_seconds: 3.1,
            cpu_seconds: cores * 3.1,
            cores_used: cores,
            ops: (rate * 3.1) as u64,
            ops_per_sec: rate,
            other_cores: 0.02,
        };
        let mut s = ExperimentState::new(ExperimentKind::Python);
        s.apply(ExperimentEvent::Planned { kind: ExperimentKind::Python, steps: plan(2) });
        s.steps_done = 2;
        s.took = Duration::from_millis(6400);
        s.apply(ExperimentEvent::Finished {
            result: ExperimentResult::Python(PythonResult {
                python_version: "3.11.7".into(),
                python_executable: "/usr/bin/python3.11".into(),
                gil_enabled: true,
                logical_cores: 2,
                workers: 2,
                step_seconds: 3.0,
                threads: Some(run("py-threads", 1.01, 1000.0)),
                processes: Some(run("py-procs", 1.97, 1950.0)),
                cancelled: false,
                started_at: String::new(),
                machine: None,
            }),
        });
        insta::assert_snapshot!(draw(&s, 80, 14).backend());
    }

    fn python_state(threads_rate: f64, procs_cores: f64, procs_others: f64) -> ExperimentState {
        let run = |kind: &str, cores: f64, rate: f64, others: f64| PythonRun {
            kind: kind.into(),
            workers: 2,
            wall_seconds: 3.1,
            cpu_seconds: cores * 3.1,
            cores_used: cores,
            ops: (rate * 3.1) as u64,
            ops_per_sec: rate,
            other_cores: others,
        };
        let mut s = ExperimentState::new(ExperimentKind::Python);
        s.apply(ExperimentEvent::Planned { kind: ExperimentKind::Python, steps: plan(2) });
        s.steps_done = 2;
        s.apply(ExperimentEvent::Finished {
            result: ExperimentResult::Python(PythonResult {
                python_version: "3.11.7".into(),
                python_executable: "/usr/bin/python3.11".into(),
                gil_enabled: true,
                logical_cores: 2,
                workers: 2,
                step_seconds: 3.0,
                threads: Some(run("py-threads", 1.0, threads_rate, procs_others)),
                processes: Some(run("py-procs", procs_cores, 1950.0, procs_others)),
                cancelled: false,
                started_at: String::new(),
                machine: None,
            }),
        });
        s
    }

    fn screen_text(state: &ExperimentState, w: u16, h: u16, running: &[String]) -> String {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| {
            let area = f.area();
            render(f.buffer_mut(), area, state, &Theme::colored(), running);
        })
        .unwrap();
        let buf = term.backend().buffer();
        (0..buf.area.height)
            .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_owned())
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_busy_python_run_shows_others_names_the_running_demo_and_how_to_stop_it() {
        let state = python_state(1000.0, 0.8, 1.2);
        let running = vec!["cpu-threads #1".to_owned()];
        let text = screen_text(&state, 100, 24, &running);
        for needle in [
            "OTHERS",
            "1.20",
            "OTHERS 1.2 cores: cpu-threads #1 is running and takes the cores · X stops all demos",
            "Cpu-threads #1 is running and takes the cores: X stops all demos.",
        ] {
            assert!(text.contains(needle), "{needle:?} missing in {text}");
        }
        // Nobody of ours running: the rest of the machine is blamed, and no X is offered.
        let text = screen_text(&state, 100, 24, &[]);
        assert!(text.contains("other work took 1.2 cores meanwhile (OTHERS)"), "{text}");
        assert!(!text.contains("X stops"), "{text}");
    }

    #[test]
    fn more_than_the_cores_explain_says_why() {
        let text = screen_text(&python_state(1950.0 / 2.34, 1.98, 0.02), 80, 24, &[]);
        assert!(
            text.contains(
                "py-procs did ×2.34 the work of py-threads in the same time: more than 2 processes explain, \
                 because py-threads' one busy core also went on handing the GIL from thread to thread."
            ),
            "{text}"
        );
    }

    #[test]
    fn failures_and_tiny_sizes_draw_without_panic() {
        let mut failed = ExperimentState::new(ExperimentKind::Python);
        failed.apply(ExperimentEvent::Failed { reason: "python3 is not on PATH\x1b[2J".into(), result: None });
        let term = draw(&failed, 60, 4);
        let text = term.backend().to_string();
        assert!(text.contains("failed: python3 is not on PATH^[[2J"), "{text}");
        for state in [finished_scaling(), failed, ExperimentState::new(ExperimentKind::Io)] {
            for (w, h) in [(0, 0), (1, 1), (10, 3), (30, 8), (45, 12), (200, 60)] {
                draw(&state, w, h);
            }
        }
    }

    #[test]
    fn worker_ticks_are_whole_numbers() {
        assert_eq!(x_ticks(4), vec![0, 2, 4]);
        assert_eq!(x_ticks(1), vec![0, 1]);
        assert_eq!(x_ticks(64), vec![0, 32, 64]);
        assert_eq!(x_ticks(11), vec![0, 11]);
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(8400.0), 10_000.0);
        assert_eq!(nice_ceiling(1900.0), 2000.0);
        assert_eq!(nice_ceiling(420.0), 500.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }
}
