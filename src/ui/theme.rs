//! One Theme passed by reference to every pane. `NO_COLOR` gives a theme with no colour at
//! all, where structure is carried by bold, reverse and dim.

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

    /// Colour unless `NO_COLOR` is set (to anything non-empty), as no-color.org asks.
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::mono(),
            _ => Theme::colored(),
        }
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
