//! Dialogs over the current view: the signal menu and its confirmation, the core checklist,
//! the user picker and the text viewer (environment, open files, command line).
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use crate::app::act::SIGNALS;
use crate::app::{AffinityEdit, App, PendingSignal, StackLine, StackView, TextView, View};
use crate::collect::model::Pid;
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

fn targets_text(p: &PendingSignal) -> String {
    let mut s: Vec<String> =
        p.targets.iter().take(5).map(|t| format!("PID {} {}", t.pid, sanitize(&t.command))).collect();
    if p.targets.len() > 5 {
        s.push(format!("and {} more", p.targets.len() - 5));
    }
    s.join("; ")
}

pub fn render_signal_menu(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize, p: &PendingSignal) {
    let mut lines: Vec<Line> = Vec::new();
    if app.view == View::Threads {
        lines.push(Line::styled("signals are process-wide: all its threads get it", theme.dim));
    }
    for (i, (name, num)) in SIGNALS.iter().enumerate() {
        let style = if i == cursor { theme.selected } else { theme.text };
        lines.push(Line::styled(format!(" {num:>2} SIG{name:<24}"), style));
    }
    let n = p.targets.len();
    let (w, title) = signal_menu_title(n, area.width);
    let h = lines.len() as u16 + 2;
    boxed(buf, centered(area, w, h), &title, lines, theme, 0);
}

/// The signal menu's width and title: the box grows to hold the whole title, and where the
/// screen is too narrow for it the title is the short one, so that neither key is cut.
fn signal_menu_title(targets: usize, screen_w: u16) -> (u16, String) {
    let what = if targets == 1 { "1 process".to_owned() } else { format!("{targets} processes") };
    let long = format!(" Send signal to {what} · Enter pick · Esc cancel ");
    let short = format!(" Signal {what} · Enter · Esc ");
    // The list itself needs 30 columns; the border takes 2.
    let fits = |t: &str| (t.chars().count() as u16 + 2).max(32);
    if fits(&long) <= screen_w {
        (fits(&long).max(56).min(screen_w), long)
    } else {
        (fits(&short).min(screen_w), short)
    }
}

pub fn render_confirm(buf: &mut Buffer, area: Rect, theme: &Theme, p: &PendingSignal) {
    let (name, num) = SIGNALS.get(p.signal).copied().unwrap_or(("?", 0));
    let mut lines = vec![
        Line::styled(format!("Send SIG{name} ({num}) to:"), theme.value),
        Line::styled(targets_text(p), theme.text),
    ];
    if let Some(tid) = p.from_thread {
        lines.push(Line::styled(format!("(chosen from thread {tid}: the whole process receives it)"), theme.dim));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("y or Enter: send · n or Esc: cancel", theme.title));
    boxed(buf, centered(area, 70, 8), " Confirm ", lines, theme, 0);
}

pub fn render_affinity(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme, cursor: usize, a: &AffinityEdit) {
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
    // Opened from the threads view: say what `a` switches to.
    if a.thread.is_some() {
        let other = if a.tid.is_some() { "the whole process" } else { "only the thread under the cursor" };
        lines.push(Line::styled(format!("a: {other}"), theme.dim));
    }
    let ticked = a.allowed.iter().filter(|on| **on).count();
    let hint = affinity_hint(app, a.pid, a.tid, ticked);
    let w = 60u16.min(area.width);
    if let Some(hint) = &hint {
        lines.push(Line::styled(hint.clone(), theme.dim));
    }
    // Wrapped lines take more rows than lines: the box must hold them all.
    let inner = usize::from(w.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let h = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    boxed(buf, centered(area, w, h), " Affinity ", lines, theme, 0);
}

/// Threads of `pid` that were busy in the last sample (running, or above half a core), from
/// the threads view's sample or the all-threads list; None when neither has its threads.
fn busy_threads(app: &App, pid: Pid) -> Option<usize> {
    let busy = |state: char, cpu: f32| state == 'R' || cpu > 50.0;
    let snap = &app.snapshot;
    if let Some(f) = snap.focus.as_ref().filter(|f| f.pid == pid && f.alive && !f.threads.is_empty()) {
        return Some(f.threads.iter().filter(|t| busy(t.thread.state, t.thread.cpu_percent)).count());
    }
    let p = snap.processes.iter().find(|p| p.pid == pid)?;
    (!p.threads.is_empty()).then(|| p.threads.iter().filter(|t| busy(t.state, t.cpu_percent)).count())
}

/// What the checklist will do to this process, from what it was doing: a hint only when more
/// of its threads were busy than cores are ticked, so that they will take turns. Nothing for
/// one thread (it cannot take turns with itself), an idle process, or when it is not known.
fn affinity_hint(app: &App, pid: Pid, tid: Option<Pid>, ticked: usize) -> Option<String> {
    if tid.is_some() || ticked == 0 {
        return None;
    }
    let cores = if ticked == 1 { "1 core".to_owned() } else { format!("{ticked} cores") };
    match busy_threads(app, pid) {
        Some(n) if n > ticked => {
            Some(format!("{n} threads of this process were busy; with {cores} ticked they take turns."))
        }
        Some(_) => None,
        // Without its threads, the process's CPU% says how many cores' worth it kept busy.
        None => {
            let p = app.snapshot.processes.iter().find(|p| p.pid == pid)?;
            let used = f64::from(p.cpu_percent) / 100.0;
            (p.num_threads > 1 && used > ticked as f64 + 0.5)
                .then(|| format!("This process kept {used:.1} cores busy; with {cores} ticked its threads take turns."))
        }
    }
}

pub fn render_user_menu(buf: &mut Buffer, area: Rect, theme: &Theme, cursor: usize, users: &[String]) {
    let first = cursor.saturating_sub(15);
    let lines: Vec<Line> = users
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

pub fn render_text(buf: &mut Buffer, area: Rect, theme: &Theme, scroll: u16, t: &TextView) {
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

/// The stack overlay: headings, frames, and notes on what could not be read, each styled so.
pub fn render_stack(buf: &mut Buffer, area: Rect, theme: &Theme, v: &StackView) {
    let lines: Vec<Line> = v
        .lines()
        .into_iter()
        .map(|(kind, text)| {
            let style = match kind {
                StackLine::Heading => theme.title,
                StackLine::Frame => theme.text,
                StackLine::Note => theme.dim,
                StackLine::Error => theme.error,
            };
            Line::styled(sanitize(&text).into_owned(), style)
        })
        .collect();
    let r = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(2));
    let max_scroll = (lines.len() as u16).saturating_sub(r.height.saturating_sub(2));
    let title = format!(" {} · s re-read · Esc close ", sanitize(&v.title()));
    boxed(buf, r, &title, lines, theme, v.scroll.min(max_scroll));
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::app::AffinityEdit;
    use crate::app::fixtures::{focus_worker, snapshot};
    use crate::app::lab::LabState;
    use crate::app::{Action, Command, Options, Overlay};
    use crate::input::keymap::Keymap;

    fn app() -> App {
        let mut app = App::new(Options::default(), Keymap::defaults().help(), LabState::new(Vec::new()));
        app.update(Action::Sample(Arc::new(snapshot(1))));
        app
    }

    /// The open dialog alone, on an empty screen: what is under it is other panes' business.
    fn screen(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let theme = Theme::colored();
        term.draw(|f| {
            let area = f.area();
            match &app.overlay {
                Some(Overlay::Affinity(m, a)) => render_affinity(f.buffer_mut(), area, app, &theme, m.cursor, a),
                Some(Overlay::SignalMenu(m, p)) => render_signal_menu(f.buffer_mut(), area, app, &theme, m.cursor, p),
                _ => {}
            }
        })
        .unwrap();
        term
    }

    /// The dialog's text: what is between its side borders, its wrapped lines joined again.
    fn text(app: &App, w: u16, h: u16) -> String {
        let term = screen(app, w, h);
        let buf = term.backend().buffer();
        let mut out = Vec::new();
        for y in 0..buf.area.height {
            let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            if let (Some(a), Some(b)) = (row.find('│'), row.rfind('│'))
                && a < b
            {
                out.push(row[a + '│'.len_utf8()..b].trim().to_owned());
            }
            if let Some(t) = row.find('┌').map(|a| &row[a..]) {
                out.push(t.trim_matches(|c| c == '┌' || c == '┐' || c == '─' || c == ' ').to_owned());
            }
        }
        out.join(" ")
    }

    /// The checklist for `pid` (`tid` for one thread) with `ticked` of the 2 cores ticked.
    fn affinity(app: &mut App, pid: Pid, tid: Option<Pid>, ticked: &[bool]) {
        let edit = AffinityEdit { pid, tid, allowed: ticked.to_vec(), thread: None };
        app.overlay = Some(Overlay::Affinity(Default::default(), edit));
    }

    #[test]
    fn affinity_busy_process_80x24() {
        // PID 300 ran two threads near a core each (cpu-0, cpu-1): one core ticked, they take turns.
        let mut app = app();
        affinity(&mut app, 300, None, &[true, false]);
        insta::assert_snapshot!(screen(&app, 80, 24).backend());
        let t = text(&app, 80, 24);
        assert!(t.contains("2 threads of this process were busy; with 1 core ticked they take turns."), "{t}");
    }

    #[test]
    fn no_affinity_hint_where_nothing_will_take_turns() {
        let mut app = app();
        // bash: idle, so whatever is ticked, nothing takes turns.
        affinity(&mut app, 200, None, &[true, false]);
        let t = text(&app, 80, 24);
        assert!(t.contains("Cores PID 200") && !t.contains("turns"), "{t}");
        // Both cores for the two busy threads: room for both.
        affinity(&mut app, 300, None, &[true, true]);
        assert!(!text(&app, 80, 24).contains("turns"));
        // One thread alone cannot take turns with itself.
        affinity(&mut app, 300, Some(301), &[true, false]);
        let t = text(&app, 80, 24);
        assert!(t.contains("thread 301 of PID 300") && !t.contains("turns"), "{t}");
    }

    #[test]
    fn the_affinity_hint_counts_the_threads_view_sample_first() {
        let mut app = app();
        let mut s = snapshot(2);
        let mut f = focus_worker();
        // Three threads busy in the threads view's sample: cpu-0, cpu-1 and now io-0 (R).
        f.threads[3].thread.state = 'R';
        s.focus = Some(std::sync::Arc::new(f));
        app.update(Action::Sample(Arc::new(s)));
        affinity(&mut app, 300, None, &[true, true]);
        let t = text(&app, 100, 30);
        assert!(t.contains("3 threads of this process were busy; with 2 cores ticked they take turns."), "{t}");
    }

    #[test]
    fn without_its_threads_the_hint_goes_by_the_process_cpu() {
        let mut app = app();
        let mut s = snapshot(2);
        s.all_threads = false;
        for p in &mut s.processes {
            p.threads.clear();
        }
        app.update(Action::Sample(Arc::new(s)));
        affinity(&mut app, 300, None, &[true, false]);
        let t = text(&app, 100, 30);
        assert!(t.contains("This process kept 1.8 cores busy; with 1 core ticked its threads take turns."), "{t}");
        affinity(&mut app, 200, None, &[true, false]);
        assert!(!text(&app, 100, 30).contains("turns"));
    }

    #[test]
    fn signal_menu_80x24() {
        let mut app = app();
        app.update(Action::Cmd(Command::Kill));
        assert!(matches!(app.overlay, Some(Overlay::SignalMenu { .. })));
        insta::assert_snapshot!(screen(&app, 80, 24).backend());
        let t = text(&app, 80, 24);
        assert!(t.contains("Send signal to 1 process · Enter pick · Esc cancel"), "{t}");
    }

    #[test]
    fn the_signal_menu_title_is_never_cut() {
        for w in [30u16, 40, 56, 59, 60, 80, 200] {
            for n in [1, 12, 1000] {
                let (box_w, title) = signal_menu_title(n, w);
                assert!(box_w <= w, "{w}: {box_w}");
                assert!(title.chars().count() as u16 + 2 <= box_w || box_w == w, "{w} {n}: {title}");
                assert!(title.contains("Esc"), "{title}");
            }
        }
        assert_eq!(signal_menu_title(3, 40).1, " Signal 3 processes · Enter · Esc ");
    }
}
