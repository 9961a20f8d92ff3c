//! The timeline bar of a replay (or of the rewound live view): play state and speed, the moment
//! shown, a bar of the recording's span with the position and its holes, the span, the frame.
//! Part of `ui`: draws `&App`; imports `app`, `collect::model`, and `history::time` (formatting).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::{Theme, put};
use crate::app::App;
use crate::app::replay::ReplayPosition;
use crate::history::time::{fmt_datetime, fmt_time};

/// `5m 0s`, `1h 02m`, `42s`.
fn span_words(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s / 60 % 60),
    }
}

/// The bar's cells: `=` recorded, `·` a hole, `|` where the replay stands.
pub fn bar_cells(pos: &ReplayPosition, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let span = pos.end_ms.saturating_sub(pos.start_ms).max(1);
    let cell_of = |t: u64| -> usize {
        let off = t.saturating_sub(pos.start_ms).min(span);
        ((off as u128 * (width as u128 - 1)) / span as u128) as usize
    };
    let mut cells = vec!['='; width];
    for g in &pos.gaps {
        let (a, b) = (cell_of(g.from_ms), cell_of(g.to_ms));
        for c in cells.iter_mut().take(b).skip(a + 1) {
            *c = '·';
        }
    }
    if pos.count > 0 {
        cells[cell_of(pos.at_ms)] = '|';
    }
    cells.into_iter().collect()
}

pub fn render(buf: &mut Buffer, area: Rect, app: &App, theme: &Theme) {
    let Some(r) = &app.replay else { return };
    let pos = &r.pos;
    let y = area.y;
    let wide = area.width >= 110;
    let state = if pos.live {
        "REWIND".to_string()
    } else if pos.playing {
        format!("> PLAY x{}", pos.speed)
    } else {
        format!("|| PAUSED x{}", pos.speed)
    };
    let at = if pos.count == 0 {
        "no frame yet".to_string()
    } else if wide {
        fmt_datetime(pos.at_ms, pos.utc_offset_s)
    } else {
        fmt_time(pos.at_ms, pos.utc_offset_s)
    };
    let span = format!(
        "{}-{} ({})",
        fmt_time(pos.start_ms, pos.utc_offset_s),
        fmt_time(pos.end_ms, pos.utc_offset_s),
        span_words(pos.end_ms.saturating_sub(pos.start_ms))
    );
    let frame = format!("{}/{}", if pos.count == 0 { 0 } else { pos.index + 1 }, pos.count);
    let right = if wide { format!(" {span}  frame {frame}") } else { format!(" {span} {frame}") };
    let left_w = state.chars().count() + 1 + at.chars().count() + 2;
    let right_w = right.chars().count();
    let x = put(buf, area, area.x, y, &state, if pos.live { theme.error } else { theme.label });
    let x = put(buf, area, x + 1, y, &at, theme.value);
    let room = (area.width as usize).saturating_sub(left_w + right_w + 2);
    if room >= 8 {
        let x = put(buf, area, x + 1, y, "[", theme.bar_bracket);
        let x = put(buf, area, x, y, &bar_cells(pos, room), theme.dim);
        let x = put(buf, area, x, y, "]", theme.bar_bracket);
        put(buf, area, x, y, &right, theme.dim);
    } else {
        put(buf, area, x, y, &right, theme.dim);
    }
    if let Some(note) = &pos.note
        && area.height > 1
    {
        put(buf, area, area.x, y + 1, &super::format::sanitize(note), theme.error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::replay::TimelineGap;

    #[test]
    fn the_bar_marks_the_position_and_the_holes() {
        let pos = ReplayPosition {
            index: 5,
            count: 11,
            start_ms: 0,
            end_ms: 10_000,
            at_ms: 5_000,
            gaps: vec![TimelineGap { from_ms: 7_000, to_ms: 10_000, why: "missing part 1".into() }],
            ..ReplayPosition::default()
        };
        assert_eq!(bar_cells(&pos, 11), "=====|==··=");
        assert_eq!(bar_cells(&ReplayPosition { at_ms: 0, ..pos.clone() }, 11), "|=======··=");
        assert_eq!(bar_cells(&pos, 0), "");
        assert_eq!(span_words(300_000), "5m 0s");
        assert_eq!(span_words(3_720_000), "1h 02m");
    }
}
