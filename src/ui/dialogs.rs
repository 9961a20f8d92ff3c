//! Dialogs over the current view: the signal menu and its confirmation, the core checklist,
//! the user picker and the text viewer (environment, open files, command line).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use crate::app::act::SIGNALS;
use crate::app::{App, View};
use crate::ui::Theme;
use crate::ui::format::sanitize;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

fn boxed(buf: &mut Buffer, r: Rect, title: &str, lines: Vec<Line>, theme: &Theme, scroll: u16) {
    if r.width < 3 || r.height < 3 {
        return;
    }
    Clear.render(r, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .block(Block::bordered().title(title.to_string()).border_style(theme.border))
        .render(r, buf);
}

fn targets_text(app: &App) -> String {
    let Some(p) = app.pending_signal.as_ref() else {
        return String::new();
    };
    let mut s: Vec<String> =
        p.targets.iter().take(5).map(|t| format!("PID {} {}", t.pid, sanitize(&t.command))).collect();
    if p.targets.len() > 5 {
        s.push(format!("and {} more", p.targets.len() - 5));
    }
    s.join("; ")
}

pub fn render_signal_menu(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize) {
    let mut lines: Vec<Line> = Vec::new();
    if app.view == View::Threads {
        lines.push(Line::styled("signals are process-wide: all its threads get it", theme.dim));
    }
    for (i, (name, num)) in SIGNALS.iter().enumerate() {
        let style = if i == cursor { theme.selected } else { theme.text };
        lines.push(Line::styled(format!(" {num:>2} SIG{name:<24}"), style));
    }
    let n = app.pending_signal.as_ref().map(|p| p.targets.len()).unwrap_or(0);
    let title = format!(" Send signal to {n} process(es) · Enter pick · Esc cancel ");
    let h = lines.len() as u16 + 2;
    boxed(buf, centered(area, 56, h), &title, lines, theme, 0);
}

pub fn render_confirm(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let Some(p) = app.pending_signal.as_ref() else {
        return;
    };
    let (name, num) = SIGNALS.get(p.signal).copied().unwrap_or(("?", 0));
    let mut lines = vec![
        Line::styled(format!("Send SIG{name} ({num}) to:"), theme.value),
        Line::styled(targets_text(app), theme.text),
    ];
    if let Some(tid) = p.from_thread {
        lines.push(Line::styled(format!("(chosen from thread {tid}: the whole process receives it)"), theme.dim));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("y or Enter: send · n or Esc: cancel", theme.title));
    boxed(buf, centered(area, 70, 8), " Confirm ", lines, theme, 0);
}

pub fn render_affinity(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize) {
    let Some(a) = app.affinity_edit.as_ref() else {
        return;
    };
    let who = match a.tid {
        Some(t) => format!("thread {t} of PID {}", a.pid),
        None => format!("PID {} (all its threads)", a.pid),
    };
    let mut lines: Vec<Line> = vec![Line::styled(format!("Cores {who} may run on:"), theme.value)];
    let first = cursor.saturating_sub(12);
    for (i, &on) in a.allowed.iter().enumerate().skip(first).take(14) {
        let style = if i == cursor { theme.selected } else { theme.text };
        lines.push(Line::styled(format!(" [{}] CPU {i}", if on { 'x' } else { ' ' }), style));
    }
    lines.push(Line::styled("Space toggle · Enter apply · Esc cancel", theme.dim));
    lines.push(Line::styled("One core for 4 busy threads: they take turns instead of running in parallel.", theme.dim));
    let h = lines.len() as u16 + 2;
    boxed(buf, centered(area, 60, h), " Affinity ", lines, theme, 0);
}

pub fn render_user_menu(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize) {
    let first = cursor.saturating_sub(15);
    let lines: Vec<Line> = app
        .user_choices
        .iter()
        .enumerate()
        .skip(first)
        .take(18)
        .map(|(i, u)| {
            let style = if i == cursor { theme.selected } else { theme.text };
            let name = if u.is_empty() { "(all users)".to_string() } else { sanitize(u).into_owned() };
            Line::styled(format!(" {name:<28}"), style)
        })
        .collect();
    let h = lines.len() as u16 + 2;
    boxed(buf, centered(area, 34, h), " Show user ", lines, theme, 0);
}

pub fn render_text(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, scroll: u16) {
    let Some(t) = app.text_view.as_ref() else {
        return;
    };
    let lines: Vec<Line> = if t.lines.is_empty() {
        vec![Line::styled("(empty)", theme.dim)]
    } else {
        t.lines.iter().map(|l| Line::styled(sanitize(l).into_owned(), theme.text)).collect()
    };
    let r = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(2));
    let max_scroll = (lines.len() as u16).saturating_sub(r.height.saturating_sub(2));
    let title = format!(" {} · Up/Down scroll · Esc close ", sanitize(&t.title));
    boxed(buf, r, &title, lines, theme, scroll.min(max_scroll));
}
