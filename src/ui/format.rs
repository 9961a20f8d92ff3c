//! Number, size, time and text formatting for the screen. Pure.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use std::borrow::Cow;
use std::time::Duration;

/// Bytes in a short human form that fits 6 columns: `0`, `512K`, `12.3M`, `123M`, `1.20G`.
pub fn fmt_bytes(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if bytes == 0 {
        return "0".into();
    }
    if b < K * K {
        return format!("{}K", (b / K).ceil() as u64);
    }
    let mut v = b / (K * K);
    let mut unit = 'M';
    for u in ['G', 'T', 'P', 'E'] {
        if v < K {
            break;
        }
        v /= K;
        unit = u;
    }
    if v < 10.0 {
        format!("{v:.2}{unit}")
    } else if v < 100.0 {
        format!("{v:.1}{unit}")
    } else {
        format!("{v:.0}{unit}")
    }
}

/// The kernel's priority; -100 (the top real-time priority) shown as `RT`, as htop does.
pub fn fmt_priority(priority: i64) -> String {
    if priority <= -100 { "RT".to_string() } else { priority.to_string() }
}

/// A percentage that fits 5 columns: `0.0`, `45.2`, `100`, `395`, `1600`.
pub fn fmt_percent(p: f32) -> String {
    if !p.is_finite() || p < 0.0 {
        return "-".into();
    }
    if p < 99.95 { format!("{p:.1}") } else { format!("{p:.0}") }
}

/// htop's TIME+: `M:SS.CC` below an hour, then `HhMM:SS`, then `Hh`.
pub fn fmt_time_plus(ms: u64) -> String {
    let centis = ms / 10;
    let secs = ms / 1000;
    let h = secs / 3600;
    let m = (secs % 3600) / 60;
    let s = secs % 60;
    if h == 0 {
        format!("{m}:{s:02}.{:02}", centis % 100)
    } else if h < 100 {
        format!("{h}h{m:02}:{s:02}")
    } else {
        format!("{h}h")
    }
}

/// `3 days, 04:05:06` / `04:05:06`.
pub fn fmt_uptime(d: Duration) -> String {
    let secs = d.as_secs();
    let days = secs / 86400;
    let hms = format!("{:02}:{:02}:{:02}", (secs % 86400) / 3600, (secs % 3600) / 60, secs % 60);
    match days {
        0 => hms,
        1 => format!("1 day, {hms}"),
        n => format!("{n} days, {hms}"),
    }
}

/// A rate that fits 7 columns: `0`, `12.5`, `980`, `12.3k`, `1.2M`.
pub fn fmt_rate(r: Option<f64>) -> String {
    match r {
        None => "-".into(),
        Some(r) if !r.is_finite() || r < 0.0 => "-".into(),
        Some(r) if r < 0.05 => "0".into(),
        Some(r) if r < 100.0 => format!("{r:.1}"),
        Some(r) if r < 10_000.0 => format!("{r:.0}"),
        Some(r) if r < 10_000_000.0 => format!("{:.1}k", r / 1000.0),
        Some(r) => format!("{:.1}M", r / 1_000_000.0),
    }
}

/// Makes text safe to put on a terminal: control characters become visible (`^[` for ESC,
/// `^J` for a newline, `^?` for DEL), C1 controls become `?`. Names come from processes, and a
/// process may name itself anything: its bytes must never reach the terminal as commands.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        match c {
            '\u{0}'..='\u{1f}' => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7f}' => out.push_str("^?"),
            c if is_unsafe(c) => out.push('?'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` in at most `width` characters: cut with "…" at its end when it is longer.
pub fn elide(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// `text` as lines of at most `width` characters, broken between words; a word longer than a
/// line is broken inside. Empty for a width of 0.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    if width == 0 {
        return lines;
    }
    let mut line = String::new();
    let mut len = 0usize;
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while !word.is_empty() {
            let room = if len == 0 { width } else { width.saturating_sub(len + 1) };
            if word.len() <= room {
                if len > 0 {
                    line.push(' ');
                    len += 1;
                }
                line.extend(word.iter());
                len += word.len();
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                len = 0;
                continue;
            }
            // Longer than a whole line: as much as fits, the rest on the next.
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if len > 0 {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(fmt_bytes(0), "0");
        assert_eq!(fmt_bytes(1), "1K");
        assert_eq!(fmt_bytes(512 * 1024), "512K");
        assert_eq!(fmt_bytes(12_900_000), "12.3M");
        assert_eq!(fmt_bytes(123 << 20), "123M");
        assert_eq!(fmt_bytes(24 << 30), "24.0G");
        assert_eq!(fmt_bytes(1 << 30), "1.00G");
        assert!(fmt_bytes(u64::MAX).len() <= 8);
    }

    #[test]
    fn percents_fit() {
        assert_eq!(fmt_percent(0.0), "0.0");
        assert_eq!(fmt_percent(45.24), "45.2");
        assert_eq!(fmt_percent(99.96), "100");
        assert_eq!(fmt_percent(395.3), "395");
        assert_eq!(fmt_percent(f32::NAN), "-");
    }

    #[test]
    fn times() {
        assert_eq!(fmt_time_plus(1230), "0:01.23");
        assert_eq!(fmt_time_plus(61_000), "1:01.00");
        assert_eq!(fmt_time_plus(3_600_000 + 2 * 60_000 + 3000), "1h02:03");
        assert_eq!(fmt_time_plus(400 * 3_600_000), "400h");
        assert_eq!(fmt_uptime(Duration::from_secs(3 * 86400 + 4 * 3600 + 5 * 60 + 6)), "3 days, 04:05:06");
        assert_eq!(fmt_uptime(Duration::from_secs(59)), "00:00:59");
    }

    #[test]
    fn priorities() {
        assert_eq!(fmt_priority(20), "20");
        assert_eq!(fmt_priority(-100), "RT");
        assert_eq!(fmt_priority(-51), "-51");
    }

    #[test]
    fn rates() {
        assert_eq!(fmt_rate(None), "-");
        assert_eq!(fmt_rate(Some(0.0)), "0");
        assert_eq!(fmt_rate(Some(12.49)), "12.5");
        assert_eq!(fmt_rate(Some(980.2)), "980");
        assert_eq!(fmt_rate(Some(12_345.0)), "12.3k");
    }

    #[test]
    fn hostile_text_is_made_visible() {
        assert_eq!(sanitize("plain name"), "plain name");
        assert_eq!(sanitize("evil\x1b[2Jname"), "evil^[[2Jname");
        assert_eq!(sanitize("a\nb\tc"), "a^Jb^Ic");
        assert_eq!(sanitize("del\x7f"), "del^?");
        assert_eq!(sanitize("c1\u{9b}x"), "c1?x");
        assert_eq!(sanitize("rtl\u{202e}x"), "rtl?x");
        assert_eq!(sanitize("bad \u{fffd} utf8"), "bad \u{fffd} utf8");
    }
}
