//! The status line (prompt, messages, the monitor's own cost) and htop's function-key bar.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::app::{App, LabScreen, Prompt, View};
use crate::ui::format::sanitize;
use crate::ui::{Theme, fill_line, put};

pub fn render_status(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let stats = &app.snapshot.stats;
    let right = format!(
        "sample {:.1}ms · own CPU {:.1}% · every {}",
        stats.sample_duration.as_secs_f64() * 1000.0,
        stats.own_cpu_percent,
        humantime::format_duration(app.options.interval)
    );
    let right_w = right.chars().count() as u16;
    // A message (a demo's measurement, an error) comes first: the monitor's own cost only takes
    // the room the message leaves.
    // The modes in force, when there is no prompt or message: made once, measured and drawn.
    let idle = (app.prompt.is_none() && app.status.is_none() && !app.paused).then(|| idle_parts(app).join(" · "));
    let message_w = match (app.prompt, &app.status, &idle) {
        (None, Some(s), _) if !app.paused => s.text.chars().count() as u16,
        (_, _, Some(text)) => text.chars().count() as u16,
        _ => 30,
    };
    // Two spaces at least between the two, so they never read as one.
    let show_right = area.width >= right_w + 2 + message_w.max(30);
    let left_area = if show_right { Rect { width: area.width - right_w - 2, ..area } } else { area };
    let y = area.y;
    let list = &app.list;
    let search = match app.view {
        View::Threads => app.threads.as_ref().map(|t| t.search.as_str()).unwrap_or(""),
        _ => list.search.as_str(),
    };
    match app.prompt {
        Some(Prompt::Search) => {
            let x = put(buf, left_area, area.x, y, "Search: ", theme.label);
            let x = put(buf, left_area, x, y, &sanitize(search), theme.value);
            put(buf, left_area, x, y, "_  (Enter keep · Esc close · F3 next)", theme.dim);
        }
        Some(Prompt::Filter) => {
            let x = put(buf, left_area, area.x, y, "Filter: ", theme.label);
            let x = put(buf, left_area, x, y, &sanitize(&list.filter), theme.value);
            put(buf, left_area, x, y, "_  (Enter keep · Esc clear)", theme.dim);
        }
        None => {
            if app.paused {
                put(buf, left_area, area.x, y, "PAUSED: the display is frozen (Z resumes)", theme.error);
            } else if let Some(s) = &app.status {
                put(buf, left_area, area.x, y, &sanitize(&s.text), if s.error { theme.error } else { theme.status });
            } else if let Some(text) = &idle {
                put(buf, left_area, area.x, y, text, theme.status);
            }
        }
    }
    if show_right {
        put(buf, area, area.right() - right_w, y, &right, theme.dim);
    }
}

/// What the status line says when there is no message: the modes in force.
fn idle_parts(app: &App) -> Vec<String> {
    let list = &app.list;
    let in_list = app.view == View::Processes;
    let mut parts: Vec<String> = Vec::new();
    if !list.filter.is_empty() && in_list {
        parts.push(format!("filter '{}'", sanitize(&list.filter)));
    }
    if list.tree && in_list {
        parts.push("tree".into());
    }
    if list.show_threads && in_list {
        parts.push("all threads".into());
    }
    if list.pids.is_some() {
        parts.push("only -p PIDs".into());
    }
    if let Some(u) = &list.user {
        parts.push(format!("user {}", sanitize(u)));
    }
    let running = app.lab.running_count();
    if running > 0 {
        parts.push(format!("{running} demo(s) running: d lab · x stop · X stop all"));
    }
    if app.options.readonly {
        parts.push("read-only".into());
    }
    if !list.tagged.is_empty() {
        parts.push(format!("{} tagged (U untags)", list.tagged.len()));
    }
    if !list.follow {
        parts.push("follow off".into());
    }
    parts
}

pub fn render_bar(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let entries = match app.view {
        View::Processes => &app.help.bar_processes,
        View::Threads => &app.help.bar_threads,
        View::Lab(_) => &app.help.bar_lab,
    };
    fill_line(buf, area, area.y, theme.bar_label);
    let mut x = area.x;
    // The lab's screens share one view: show each only the keys that do something there.
    let wanted: &[&str] = match (app.view, app.lab_screen()) {
        (View::Lab(_), LabScreen::Catalog) => &[
            "Help",
            "Launch",
            "Back",
            "More",
            "Fewer",
            "Shorter",
            "Longer",
            "Stop",
            "Experiments",
            "Compare",
            "Lessons",
            "Quit",
        ],
        (View::Lab(_), LabScreen::Compare) => &["Help", "Launch", "Back", "More", "Fewer", "Shorter", "Longer", "Quit"],
        (View::Lab(_), LabScreen::Lessons | LabScreen::Lesson) => &["Help", "Launch", "Back", "Lessons", "Quit"],
        (View::Lab(_), LabScreen::Picker { .. }) => &["Help", "Launch", "Back", "Quit"],
        (View::Lab(_), LabScreen::Experiment) => &["Help", "Back", "Save", "Experiments", "Quit"],
        _ => &[],
    };
    let mut shown: Vec<(String, String)> = entries
        .iter()
        .filter(|e| wanted.is_empty() || wanted.contains(&e.label.as_str()))
        .map(|e| {
            let label = match (e.label.as_str(), app.lab_screen()) {
                ("Launch", LabScreen::Picker { .. } | LabScreen::Compare) => "Run",
                ("Launch", LabScreen::Lessons) => "Walk",
                ("Launch", LabScreen::Lesson) => "Next",
                ("Back", LabScreen::Experiment) if app.experiment.as_ref().is_some_and(|x| x.running()) => "Cancel",
                (l, _) => l,
            };
            (e.key.clone(), format!("{label:<6} "))
        })
        .collect();
    // Too narrow for every key: the least needed go first, whole, so that no label is cut and
    // Quit and Help always show.
    let width =
        |v: &[(String, String)]| v.iter().map(|(k, l)| (k.chars().count() + l.chars().count()) as u16).sum::<u16>();
    // The last label's padding may fall off the edge.
    while width(&shown) > area.width + 1 {
        let Some(i) = shown
            .iter()
            .enumerate()
            .filter_map(|(i, (_, l))| bar_rank(l.trim_end()).map(|r| (i, r)))
            .max_by_key(|&(_, r)| r)
            .map(|(i, _)| i)
        else {
            break;
        };
        shown.remove(i);
    }
    for (key, label) in &shown {
        x = put(buf, area, x, area.y, key, theme.bar_key);
        x = put(buf, area, x, area.y, label, theme.bar_label);
        if x >= area.right() {
            break;
        }
    }
}

/// The order in which function-bar labels go when the bar is too narrow (higher goes first);
/// None: never dropped.
fn bar_rank(label: &str) -> Option<u8> {
    Some(match label {
        "Help" | "Quit" => return None,
        "Threads" | "Back" | "Launch" | "Run" | "Cancel" | "Walk" | "Next" => 1,
        "Kill" | "Search" | "Stop" => 2,
        "SortBy" | "Lab" | "Save" | "Experiments" | "Compare" | "Lessons" => 3,
        "Filter" | "More" | "Fewer" => 4,
        "Tree" | "Longer" | "Shorter" => 5,
        "Nice-" | "Nice+" => 6,
        _ => 7,
    })
}
