//! The lessons: the index (each lesson, the claim it checks, how far it was walked), the lesson
//! walked step by step (each step's text, keys, and what its check saw), and the strip over the
//! footer that keeps the current step in sight on the other screens. Text wraps and scrolls
//! (PgDn/PgUp) with a line that says there is more: nothing is cut.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::app::App;
use crate::app::lab::LessonView;
use crate::model::lessons::{Check, LESSONS};
use crate::ui::format::{elide, wrap};
use crate::ui::{Theme, fill_line, put};

/// `l`: every lesson with its claim; Enter walks the one under the cursor.
pub fn render_index(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let w = usize::from(area.width);
    let l = &app.lab.lessons;
    put(
        buf,
        area,
        area.x,
        area.y,
        &elide("Lessons: each claim of the seeds, checked step by step on this machine", w),
        theme.title,
    );
    let mut y = area.y + 2;
    let claim_lines: usize =
        LESSONS.iter().map(|l| wrap(&format!("\"{}\"", l.claim), w.saturating_sub(5)).len() + 1).sum();
    let all_fit = claim_lines + 3 <= usize::from(area.height);
    for (i, lesson) in LESSONS.iter().enumerate() {
        if y >= area.bottom() {
            break;
        }
        let selected = i == l.cursor;
        let walked = l.walk.as_ref().filter(|wk| wk.lesson == i);
        let progress = match walked {
            Some(wk) if wk.finished() => "done".to_owned(),
            Some(wk) => format!("step {}/{}", wk.step + 1, lesson.steps.len()),
            None => format!("{} steps", lesson.steps.len()),
        };
        let head = format!("{} {}. {} · {progress}", if selected { '>' } else { ' ' }, i + 1, lesson.title);
        if selected {
            fill_line(buf, area, y, theme.selected);
        }
        put(buf, area, area.x, y, &elide(&head, w), if selected { theme.selected } else { theme.value });
        y += 1;
        // Every claim whole when they all fit, else the one under the cursor whole and the
        // others elided on one line.
        let claim = format!("\"{}\"", lesson.claim);
        let lines = wrap(&claim, w.saturating_sub(5));
        let lines: Vec<String> = if selected || all_fit { lines } else { vec![elide(&claim, w.saturating_sub(5))] };
        for line in lines {
            if y >= area.bottom() {
                break;
            }
            put(buf, area, area.x + 5, y, &line, theme.dim);
            y += 1;
        }
    }
    let hint = "Up/Down choose · Enter walks it · Esc back to the catalogue";
    if y < area.bottom() {
        put(buf, area, area.x, area.bottom() - 1, &elide(hint, w), theme.dim);
    }
}

/// The lesson walked: its claim, every step (done ones with what showed it, the current one with
/// its keys and what its check sees now), then the moral once done.
pub fn render_lesson(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let lessons = &app.lab.lessons;
    let Some(walk) = lessons.walk.as_ref() else {
        lessons.view.set(LessonView::default());
        return;
    };
    let w = usize::from(area.width);
    let lesson = walk.lesson();
    let n = lesson.steps.len();
    let title = format!("Lesson {}: {}", walk.lesson + 1, lesson.title);
    put(buf, area, area.x, area.y, &elide(&title, w), theme.title);
    let mut lines: Vec<(String, Style)> = Vec::new();
    // `first` starts the first line; the text wraps under itself, `indent` in.
    let add = |first: &str, text: &str, indent: usize, style: Style, lines: &mut Vec<(String, Style)>| {
        for (k, l) in wrap(text, w.saturating_sub(indent)).into_iter().enumerate() {
            let pad = if k == 0 { format!("{first:<indent$}") } else { " ".repeat(indent) };
            lines.push((format!("{pad}{l}"), style));
        }
    };
    add("", &format!("The claim: \"{}\"", lesson.claim), 0, theme.dim, &mut lines);
    lines.push((String::new(), theme.text));
    for (i, step) in lesson.steps.iter().enumerate() {
        let current = i == walk.step;
        let (mark, style) = match &walk.results[i] {
            Some(_) => ("✓", theme.dim),
            None if current => ("▶", theme.value),
            None => (" ", theme.text),
        };
        add(&format!("{mark} {}/{n}", i + 1), step.text, 7, style, &mut lines);
        if walk.results[i].is_none() {
            add("", &format!("keys: {}", step.keys), 7, if current { theme.label } else { theme.dim }, &mut lines);
        }
        if let Some(r) = &walk.results[i] {
            add("", &format!("seen: {r}"), 7, theme.value, &mut lines);
        } else if current {
            let status = if step.check == Check::Read { "Enter when read" } else { walk.status.as_str() };
            add("", &format!("now: {status}"), 7, theme.status, &mut lines);
        }
    }
    if walk.finished() {
        lines.push((String::new(), theme.text));
        add("", &format!("Done. {}", lesson.moral), 0, theme.value, &mut lines);
    }
    let hint = if walk.finished() {
        "Enter: the lessons · PgDn/PgUp scroll · Esc: the catalogue"
    } else {
        "checked as you go · Right skips a step · Left goes back · l: the lessons · Esc: the catalogue to act"
    };
    let hint = wrap(hint, w);
    let body = Rect { y: area.y + 1, height: area.height.saturating_sub(1 + hint.len() as u16), ..area };
    scrolled(buf, body, &lines, lessons.scroll, &lessons.view, theme);
    for (i, line) in hint.iter().enumerate() {
        let y = area.bottom().saturating_sub(hint.len() as u16) + i as u16;
        if y > area.y {
            put(buf, area, area.x, y, line, theme.dim);
        }
    }
}

/// Lines from `scroll` in `area`; when they do not all fit, the last row says where we are and
/// how to see more. Writes what it could show back to `view`, for PgDn.
fn scrolled(
    buf: &mut Buffer,
    area: Rect,
    lines: &[(String, Style)],
    scroll: u16,
    view: &std::cell::Cell<LessonView>,
    theme: &Theme,
) {
    if area.height == 0 {
        view.set(LessonView::default());
        return;
    }
    let overflows = lines.len() > usize::from(area.height);
    let body_h = if overflows { area.height - 1 } else { area.height };
    let max_scroll = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_sub(body_h);
    view.set(LessonView { max_scroll, page: body_h });
    let scroll = scroll.min(max_scroll);
    for (k, (line, style)) in lines.iter().skip(usize::from(scroll)).take(usize::from(body_h)).enumerate() {
        put(buf, area, area.x, area.y + k as u16, line, *style);
    }
    if overflows {
        let last = (scroll + body_h).min(lines.len() as u16);
        let at = format!("lines {}–{last} of {}", scroll + 1, lines.len());
        let more = match (scroll > 0, scroll < max_scroll) {
            (false, _) => format!("↓ more: PgDn · {at}"),
            (true, true) => format!("↓ more: PgDn · ↑ PgUp · {at}"),
            (true, false) => format!("↑ PgUp · {at}"),
        };
        put(buf, area, area.x, area.bottom() - 1, &elide(&more, usize::from(area.width)), theme.status);
    }
}

/// Lines the strip takes at this width: the step and its keys on one or two lines, its text on
/// one or two, what its check sees on one.
pub fn strip_height(app: &App, width: u16) -> u16 {
    match app.lesson_strip() {
        Some([head, text, _]) => {
            let w = usize::from(width);
            (wrap(&head, w).len().min(2) + wrap(&text, w).len().min(2) + 1) as u16
        }
        None => 0,
    }
}

/// Up to `n` wrapped lines of `text`; beyond them the rest is elided on the last, visibly.
fn at_most(text: &str, w: usize, n: usize) -> Vec<String> {
    let mut lines = wrap(text, w);
    if lines.len() > n {
        let rest = lines[n - 1..].join(" ");
        lines.truncate(n - 1);
        lines.push(elide(&rest, w));
    }
    lines
}

/// The current step over the footer, on the screens where the lesson itself is not shown; the
/// lesson screen (d then l) has the whole text.
pub fn render_strip(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let Some([head, text, status]) = app.lesson_strip() else { return };
    let w = usize::from(area.width);
    let lines = at_most(&head, w, 2).into_iter().map(|l| (l, theme.table_header, true));
    let lines = lines.chain(at_most(&text, w, 2).into_iter().map(|l| (l, theme.text, false)));
    let lines = lines.chain(std::iter::once((elide(&status, w), theme.status, false)));
    // The status (what the check sees) is kept when the strip is short: it goes last but is
    // drawn on the strip's last line.
    let mut lines: Vec<(String, Style, bool)> = lines.collect();
    if lines.len() > usize::from(area.height) {
        let status = lines.pop();
        lines.truncate(usize::from(area.height).saturating_sub(1));
        lines.extend(status);
    }
    for (y, (line, style, filled)) in (area.y..area.bottom()).zip(lines) {
        if filled {
            fill_line(buf, area, y, style);
        }
        put(buf, area, area.x, y, &line, style);
    }
}
