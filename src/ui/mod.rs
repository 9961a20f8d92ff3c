//! Drawing: a pure function of `&App` into a ratatui `Frame`. This file holds the layout and the
//! overlay order only; each pane has its own file. Widgets never sort, filter or read /proc.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

pub mod dialogs;
pub mod experiment;
pub mod footer;
pub mod format;
pub mod graph;
pub mod header;
pub mod help;
pub mod lab;
pub mod processes;
pub mod theme;
pub mod threads;

use ratatui::Frame;
use ratatui::buffer::{Buffer, CellWidth};
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use unicode_segmentation::UnicodeSegmentation;

use crate::app::{App, Overlay, View};
pub use theme::Theme;

/// Draws the whole screen. Never panics, whatever the size (down to 0x0).
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let buf = frame.buffer_mut();
    // Footer: function bar at the bottom, status line above it, when there is room.
    let (mut body, status, bar) = split_footer(area);
    // The lesson walked keeps its step in sight over the footer, on every screen but its own.
    let strip_h = lab::lessons::strip_height(app, body.width).min(body.height / 3);
    if strip_h > 0 {
        body.height -= strip_h;
        lab::lessons::render_strip(buf, Rect { y: body.bottom(), height: strip_h, ..body }, app, theme);
    }
    match app.view {
        View::Processes => {
            let mut rest = header::render(buf, body, app, theme, body.height.saturating_sub(header::MIN_TABLE_ROWS));
            if app.show_graph {
                let h = graph::chart_height(rest.height);
                graph::render_cpu_history(buf, Rect { height: h, ..rest }, app, theme);
                rest = Rect { y: rest.y + h, height: rest.height - h, ..rest };
            }
            processes::render(buf, rest, app, theme);
        }
        View::Threads => threads::render(buf, body, app, theme),
        View::Lab(_) => lab::render(buf, body, app, theme),
    }
    if let Some(r) = status {
        footer::render_status(buf, r, app, theme);
    }
    if let Some(r) = bar {
        footer::render_bar(buf, r, app, theme);
    }
    match &app.overlay {
        Some(Overlay::Help { scroll }) => help::render(buf, area, app, theme, *scroll),
        Some(Overlay::SortMenu(m)) => help::render_sort_menu(buf, area, app, theme, m.cursor),
        Some(Overlay::SignalMenu(m, p)) => dialogs::render_signal_menu(buf, area, app, theme, m.cursor, p),
        Some(Overlay::Confirm(p)) => dialogs::render_confirm(buf, area, theme, p),
        Some(Overlay::Affinity(m, a)) => dialogs::render_affinity(buf, area, app, theme, m.cursor, a),
        Some(Overlay::UserMenu(m, users)) => dialogs::render_user_menu(buf, area, theme, m.cursor, users),
        Some(Overlay::Text { scroll, text }) => dialogs::render_text(buf, area, theme, *scroll, text),
        None => {}
    }
}

fn split_footer(area: Rect) -> (Rect, Option<Rect>, Option<Rect>) {
    match area.height {
        0..=2 => (area, None, None),
        3..=4 => {
            let body = Rect { height: area.height - 1, ..area };
            (body, None, Some(Rect { y: area.bottom() - 1, height: 1, ..area }))
        }
        _ => {
            let body = Rect { height: area.height - 2, ..area };
            let status = Rect { y: area.bottom() - 2, height: 1, ..area };
            let bar = Rect { y: area.bottom() - 1, height: 1, ..area };
            (body, Some(status), Some(bar))
        }
    }
}

/// Writes `text` at (x, y) clipped to `area`; returns the x after the text. Safe at any size.
pub fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, text: &str, style: Style) -> u16 {
    if y < area.y || y >= area.bottom() || x >= area.right() || !buf.area.contains(Position::new(x, y)) {
        return x;
    }
    // The cells ratatui's Buffer::set_stringn would set (a test holds them equal), with a fast
    // path for printable ASCII: set_stringn segments every grapheme and looks up its width, about
    // half of a frame's instructions on a full process list (callgrind; BENCHMARKS.md).
    let mut remaining = buf.area.right().saturating_sub(x).min(area.right() - x);
    let bytes = text.as_bytes();
    let mut x = x;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // A printable ASCII byte followed by ASCII (or nothing) is a grapheme of its own, one
        // cell wide: nothing ASCII extends a grapheme, and `i` is always a grapheme boundary.
        if (0x20..0x7f).contains(&b) && bytes.get(i + 1).is_none_or(u8::is_ascii) {
            if remaining == 0 {
                break;
            }
            buf[(x, y)].set_char(b as char).set_style(style);
            remaining -= 1;
            x += 1;
            i += 1;
            continue;
        }
        let Some(g) = text[i..].graphemes(true).next() else {
            break;
        };
        i += g.len();
        if g.contains(char::is_control) {
            continue;
        }
        let w = g.cell_width();
        if w == 0 {
            continue;
        }
        let Some(r) = remaining.checked_sub(w) else {
            break;
        };
        remaining = r;
        buf[(x, y)].set_symbol(g).set_style(style);
        let next = x + w;
        x += 1;
        // The cells a wide grapheme covers, as set_stringn leaves them.
        while x < next {
            buf[(x, y)].reset();
            x += 1;
        }
    }
    x
}

/// Fills a line of `area` with a style (for selected rows and headers).
pub fn fill_line(buf: &mut Buffer, area: Rect, y: u16, style: Style) {
    if y < area.y || y >= area.bottom() {
        return;
    }
    buf.set_style(Rect { x: area.x, y, width: area.width, height: 1 }, style);
}

/// The columns that fit in `width`: while they don't, the one with the highest drop rank goes
/// (rank 0 never goes).
pub fn fit_columns<C: Copy>(chosen: &[C], width: u16, needs: impl Fn(&C) -> u16, rank: impl Fn(&C) -> u8) -> Vec<C> {
    let mut cols: Vec<C> = chosen.to_vec();
    while cols.iter().map(&needs).sum::<u16>() > width {
        let Some((i, _)) = cols.iter().enumerate().filter(|(_, c)| rank(c) > 0).max_by_key(|(_, c)| rank(c)) else {
            break;
        };
        cols.remove(i);
    }
    cols
}

/// Right-aligns or left-aligns `s` in `width` columns, cutting it if it is longer.
pub fn cell(s: &str, width: usize, right: bool) -> String {
    let n = s.chars().count();
    if n > width {
        s.chars().take(width).collect()
    } else if right {
        format!("{s:>width$}")
    } else {
        format!("{s:<width$}")
    }
}

/// A meter like htop's: `label[|||||      text]`, its segments coloured by kind.
pub fn render_meter(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    label: &str,
    segments: &[(f64, Style)],
    text: &str,
    theme: &Theme,
) {
    if area.width == 0 || y < area.y || y >= area.bottom() {
        return;
    }
    let x = put(buf, area, area.x, y, label, theme.label);
    let x = put(buf, area, x, y, "[", theme.bar_bracket);
    let end = area.right();
    if x + 1 >= end {
        return;
    }
    let inner = (end - x - 1) as usize;
    // The text sits at the right end of the bar, over it, as in htop.
    let text: String = if text.chars().count() <= inner { text.to_string() } else { String::new() };
    let text_start = inner - text.chars().count();
    let mut filled = 0usize;
    let mut cells: Vec<(char, Style)> = Vec::with_capacity(inner);
    for &(fraction, style) in segments {
        let n = ((fraction.clamp(0.0, 1.0)) * inner as f64).round() as usize;
        let n = n.min(inner - filled);
        cells.extend(std::iter::repeat_n(('|', style), n));
        filled += n;
    }
    cells.resize(inner, (' ', theme.text));
    for (i, ch) in text.chars().enumerate() {
        cells[text_start + i] = (ch, theme.dim.patch(theme.value));
    }
    let mut cx = x;
    let mut tmp = [0u8; 4];
    for (ch, style) in cells {
        put(buf, area, cx, y, ch.encode_utf8(&mut tmp), style);
        cx += 1;
    }
    put(buf, area, cx, y, "]", theme.bar_bracket);
}

#[cfg(test)]
mod tests;
