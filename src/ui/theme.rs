//! One Theme passed by reference to every pane. `NO_COLOR` gives a theme with no colour at
//! all, where structure is carried by bold, reverse and dim.
//! Part of `ui`: draws `&App`; imports `app`, `model`, `collect::model`; no lab, runtime, control, crossterm or tokio.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub label: Style,
    pub text: Style,
    pub dim: Style,
    pub value: Style,
    pub bar_bracket: Style,
    pub bar_user: Style,
    pub bar_nice: Style,
    pub bar_system: Style,
    pub bar_irq: Style,
    pub bar_steal: Style,
    pub bar_mem: Style,
    pub bar_swap: Style,
    pub table_header: Style,
    pub sorted_header: Style,
    pub selected: Style,
    pub tagged: Style,
    pub thread_row: Style,
    pub kernel_row: Style,
    pub exited_row: Style,
    pub main_thread: Style,
    pub status: Style,
    pub error: Style,
    pub bar_key: Style,
    pub bar_label: Style,
    pub title: Style,
    pub state_run: Style,
    pub state_sleep: Style,
    pub state_disk: Style,
    pub state_stop: Style,
    pub state_zombie: Style,
    pub state_idle: Style,
    pub border: Style,
}

impl Theme {
    pub fn colored() -> Theme {
        let fg = |c: Color| Style::new().fg(c);
        Theme {
            label: fg(Color::Cyan),
            text: Style::new(),
            dim: fg(Color::DarkGray),
            value: Style::new().add_modifier(Modifier::BOLD),
            bar_bracket: Style::new().add_modifier(Modifier::BOLD),
            bar_user: fg(Color::Green),
            bar_nice: fg(Color::Blue),
            bar_system: fg(Color::Red),
            bar_irq: fg(Color::Yellow),
            bar_steal: fg(Color::Magenta),
            bar_mem: fg(Color::Green),
            bar_swap: fg(Color::Red),
            table_header: Style::new().fg(Color::Black).bg(Color::Green),
            sorted_header: Style::new().fg(Color::Black).bg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new().fg(Color::Black).bg(Color::Cyan),
            tagged: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            thread_row: fg(Color::Green),
            kernel_row: fg(Color::Blue),
            exited_row: fg(Color::DarkGray).add_modifier(Modifier::CROSSED_OUT),
            main_thread: Style::new().add_modifier(Modifier::BOLD),
            status: fg(Color::Cyan),
            error: fg(Color::Red).add_modifier(Modifier::BOLD),
            bar_key: Style::new(),
            bar_label: Style::new().fg(Color::Black).bg(Color::Cyan),
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            state_run: fg(Color::Green).add_modifier(Modifier::BOLD),
            state_sleep: fg(Color::DarkGray),
            state_disk: fg(Color::Red).add_modifier(Modifier::BOLD),
            state_stop: fg(Color::Yellow),
            state_zombie: fg(Color::Magenta).add_modifier(Modifier::BOLD),
            state_idle: fg(Color::DarkGray),
            border: fg(Color::DarkGray),
        }
    }

    /// No colour: bold, reverse, dim and underline only.
    pub fn mono() -> Theme {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let rev = Style::new().add_modifier(Modifier::REVERSED);
        let dim = Style::new().add_modifier(Modifier::DIM);
        Theme {
            label: bold,
            text: Style::new(),
            dim,
            value: bold,
            bar_bracket: bold,
            bar_user: Style::new(),
            bar_nice: Style::new(),
            bar_system: bold,
            bar_irq: Style::new(),
            bar_steal: dim,
            bar_mem: Style::new(),
            bar_swap: Style::new(),
            table_header: rev,
            sorted_header: rev.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selected: rev,
            tagged: bold.add_modifier(Modifier::UNDERLINED),
            thread_row: Style::new(),
            kernel_row: dim,
            exited_row: dim.add_modifier(Modifier::CROSSED_OUT),
            main_thread: bold,
            status: Style::new(),
            error: bold,
            bar_key: bold,
            bar_label: rev,
            title: bold,
            state_run: bold,
            state_sleep: dim,
            state_disk: bold.add_modifier(Modifier::UNDERLINED),
            state_stop: Style::new().add_modifier(Modifier::UNDERLINED),
            state_zombie: bold.add_modifier(Modifier::REVERSED),
            state_idle: dim,
            border: Style::new(),
        }
    }

    /// For terminals with 256 colours or more: softer tones from the 256-colour cube, picked to
    /// read on dark and light backgrounds alike.
    pub fn rich() -> Theme {
        let fg = |c: u8| Style::new().fg(Color::Indexed(c));
        Theme {
            label: fg(38),
            dim: fg(244),
            bar_user: fg(70),
            bar_nice: fg(33),
            bar_system: fg(160),
            bar_irq: fg(178),
            bar_steal: fg(170),
            bar_mem: fg(70),
            bar_swap: fg(160),
            table_header: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(71)),
            sorted_header: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(80)).add_modifier(Modifier::BOLD),
            selected: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(80)),
            tagged: fg(172).add_modifier(Modifier::BOLD),
            thread_row: fg(71),
            kernel_row: fg(67),
            exited_row: fg(244).add_modifier(Modifier::CROSSED_OUT),
            status: fg(38),
            error: fg(160).add_modifier(Modifier::BOLD),
            bar_label: Style::new().fg(Color::Indexed(16)).bg(Color::Indexed(80)),
            title: fg(38).add_modifier(Modifier::BOLD),
            state_run: fg(70).add_modifier(Modifier::BOLD),
            state_sleep: fg(244),
            state_disk: fg(160).add_modifier(Modifier::BOLD),
            state_stop: fg(178),
            state_zombie: fg(170).add_modifier(Modifier::BOLD),
            state_idle: fg(244),
            border: fg(244),
            ..Theme::colored()
        }
    }

    /// Colour unless `NO_COLOR` is set (to anything non-empty), as no-color.org asks; the
    /// 256-colour palette where TERM or COLORTERM say the terminal has it, else the 16 ANSI colours.
    pub fn from_env() -> Theme {
        let var = |k: &str| std::env::var(k).unwrap_or_default();
        Theme::choose(std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()), &var("TERM"), &var("COLORTERM"))
    }

    /// The theme for these environment values (pure, for tests).
    pub fn choose(no_color: bool, term: &str, colorterm: &str) -> Theme {
        if no_color || term == "dumb" {
            Theme::mono()
        } else if matches!(colorterm, "truecolor" | "24bit") || term.contains("256color") || term.contains("direct") {
            Theme::rich()
        } else {
            Theme::colored()
        }
    }

    /// Every colour this theme uses (for tests of what a terminal can show).
    pub fn colors(&self) -> Vec<Color> {
        [
            self.label,
            self.text,
            self.dim,
            self.value,
            self.bar_bracket,
            self.bar_user,
            self.bar_nice,
            self.bar_system,
            self.bar_irq,
            self.bar_steal,
            self.bar_mem,
            self.bar_swap,
            self.table_header,
            self.sorted_header,
            self.selected,
            self.tagged,
            self.thread_row,
            self.kernel_row,
            self.exited_row,
            self.main_thread,
            self.status,
            self.error,
            self.bar_key,
            self.bar_label,
            self.title,
            self.state_run,
            self.state_sleep,
            self.state_disk,
            self.state_stop,
            self.state_zombie,
            self.state_idle,
            self.border,
        ]
        .iter()
        .flat_map(|s| [s.fg, s.bg])
        .flatten()
        .collect()
    }

    /// The style and letter of a thread or process state in history strips.
    pub fn state(&self, state: char) -> Style {
        match state {
            'R' => self.state_run,
            'S' => self.state_sleep,
            'D' => self.state_disk,
            'T' | 't' => self.state_stop,
            'Z' | 'X' => self.state_zombie,
            'I' => self.state_idle,
            _ => self.text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_decides_the_palette() {
        let is16 = |c: &Color| !matches!(c, Color::Indexed(_) | Color::Rgb(..));
        assert!(Theme::choose(false, "xterm", "").colors().iter().all(is16), "16-colour terminals get 16 colours");
        assert!(Theme::choose(false, "screen", "").colors().iter().all(is16));
        assert!(Theme::choose(false, "xterm-256color", "").colors().iter().any(|c| matches!(c, Color::Indexed(_))));
        assert!(Theme::choose(false, "xterm", "truecolor").colors().iter().any(|c| matches!(c, Color::Indexed(_))));
        assert!(Theme::choose(true, "xterm-256color", "truecolor").colors().is_empty(), "NO_COLOR: none at all");
        assert!(Theme::choose(false, "dumb", "").colors().is_empty());
    }
}
