//! Key → Command per view. One table drives input, the help screen and the function bar, so
//! what the help says is what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{Action, App, BarEntry, Command, HelpEntry, KeyHelp, Overlay, TextInput, View};

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    Processes,
    Threads,
    Lab,
}

impl Scope {
    fn covers(self, view: View) -> bool {
        matches!(
            (self, view),
            (Scope::All, _)
                | (Scope::Processes, View::Processes)
                | (Scope::Threads, View::Threads)
                | (Scope::Lab, View::Lab(_))
        )
    }

    fn label(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Processes => "list",
            Scope::Threads => "threads",
            Scope::Lab => "lab",
        }
    }
}

/// A key with its modifiers (Shift is folded into the character for printable keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }

    pub const fn ch(c: char) -> Key {
        Key { code: KeyCode::Char(c), ctrl: false }
    }

    pub const fn ctrl(c: char) -> Key {
        Key { code: KeyCode::Char(c), ctrl: true }
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        let code = match ev.code {
            // Some terminals send Shift+letter as lowercase with SHIFT: fold it into the letter.
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::SHIFT) => KeyCode::Char(c.to_ascii_uppercase()),
            KeyCode::BackTab => KeyCode::BackTab,
            other => other,
        };
        Key { code, ctrl: ev.modifiers.contains(KeyModifiers::CONTROL) }
    }

    /// Reads a key as written in config files: `q`, `Space`, `F5`, `Ctrl-c` (also `C-c`), `Enter`.
    pub fn parse(s: &str) -> Option<Key> {
        let (ctrl, rest) =
            match s.strip_prefix("Ctrl-").or_else(|| s.strip_prefix("C-")).or_else(|| s.strip_prefix("ctrl-")) {
                Some(r) => (true, r),
                None => (false, s),
            };
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCode::Char(' '),
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "backspace" => KeyCode::Backspace,
                "tab" => KeyCode::Tab,
                "shift-tab" | "backtab" => KeyCode::BackTab,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "del" | "delete" => KeyCode::Delete,
                "ins" | "insert" => KeyCode::Insert,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return None,
                },
                _ => return None,
            },
        };
        if ctrl && !matches!(code, KeyCode::Char(c) if c.is_ascii_alphabetic()) {
            return None;
        }
        Some(Key { code, ctrl })
    }

    /// How the key is written in help, the bar and config files: `q`, `F10`, `Ctrl-c`, `Enter`.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Up => "Up".into(),
            KeyCode::Down => "Down".into(),
            KeyCode::Left => "Left".into(),
            KeyCode::Right => "Right".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Insert => "Ins".into(),
            other => format!("{other:?}"),
        };
        if self.ctrl { format!("Ctrl-{base}") } else { base }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    pub scope: Scope,
    pub command: Command,
}

/// What each command does, for the help screen.
pub fn describe(cmd: Command) -> &'static str {
    match cmd {
        Command::Up => "move up",
        Command::Down => "move down",
        Command::PageUp => "page up",
        Command::PageDown => "page down",
        Command::Home => "first row",
        Command::End => "last row",
        Command::Enter => "list: open the process's threads · lab: launch the selected demo",
        Command::Back => "back / close / clear the filter",
        Command::Search => "incremental search, started afresh (name and command; n repeats the last)",
        Command::SearchNext => "next search match",
        Command::Filter => "filter: show only matching rows (Esc clears)",
        Command::ToggleTree => "tree view on/off",
        Command::Collapse => "tree: collapse the selected branch",
        Command::Expand => "tree: expand the selected branch",
        Command::SortMenu => "choose the sort column",
        Command::SortNext => "sort by the next column",
        Command::SortPrev => "sort by the previous column",
        Command::SortCpu => "sort by CPU%",
        Command::SortMem => "sort by memory",
        Command::SortTime => "sort by CPU time",
        Command::SortPid => "sort by PID / TID",
        Command::InvertSort => "invert the sort order",
        Command::ToggleThreads => "show every userland thread as a row, under its process (sorted within it)",
        Command::ToggleKernel => "show kernel threads",
        Command::OpenLab => "open / close the lab (demo workloads)",
        Command::StopDemo => "stop the demo that owns the selected row",
        Command::StopAllDemos => "stop every running demo",
        Command::Increase => "lab: more workers",
        Command::Decrease => "lab: fewer workers",
        Command::Left => "list: scroll COMMAND back left (then clear the filter) · lab: shorter duration",
        Command::Right => "list: scroll a long COMMAND sideways, as htop · lab: longer duration",
        Command::Help => "this help",
        Command::Quit => "quit (stops every demo)",
        Command::Kill => "send a signal (tagged processes, else the selected one)",
        Command::NiceDown => "raise priority: nice - 1 (list: every thread; threads view: this thread)",
        Command::NiceUp => "lower priority: nice + 1",
        Command::Tag => "tag / untag the process and move down (affinity: toggle the core)",
        Command::TagChildren => "tag the process and all its descendants",
        Command::UntagAll => "untag all",
        Command::ToggleFollow => {
            "follow the selected process (default; htop keeps the row) / keep the cursor's row as htop"
        }
        Command::Pause => "pause / resume the display",
        Command::UserMenu => "show only one user's processes",
        Command::Affinity => {
            "CPU affinity of the whole process (threads view: a again in the dialog: this thread only)"
        }
        Command::Environment => "the process's environment",
        Command::OpenFiles => "open files and sockets",
        Command::FullCommand => "the whole command line",
        Command::CpuGraph => "CPU history graph (list) / CPU sparkline (threads view)",
        Command::Experiments => "lab: experiments (scaling, I/O, Python's GIL) measured as curves",
        Command::Save => "lab: save the experiment's result as JSON",
        Command::Yes => "confirm",
        Command::No => "cancel",
    }
}

/// The short label of a command in the function bar, if it has one there.
fn bar_label(cmd: Command, view: View) -> Option<&'static str> {
    Some(match (cmd, view) {
        (Command::Help, _) => "Help",
        (Command::Search, View::Processes | View::Threads) => "Search",
        (Command::Filter, View::Processes) => "Filter",
        (Command::ToggleTree, View::Processes) => "Tree",
        (Command::SortMenu, View::Processes | View::Threads) => "SortBy",
        (Command::Enter, View::Processes) => "Threads",
        (Command::Enter, View::Lab(_)) => "Launch",
        (Command::Back, View::Threads | View::Lab(_)) => "Back",
        (Command::Increase, View::Lab(_)) => "More",
        (Command::Decrease, View::Lab(_)) => "Fewer",
        (Command::Left, View::Lab(_)) => "Shorter",
        (Command::Right, View::Lab(_)) => "Longer",
        (Command::StopDemo, View::Lab(_)) => "Stop",
        (Command::Experiments, View::Lab(_)) => "Experiments",
        (Command::Save, View::Lab(_)) => "Save",
        (Command::OpenLab, View::Processes | View::Threads) => "Lab",
        (Command::Kill, View::Processes | View::Threads) => "Kill",
        (Command::NiceDown, View::Processes | View::Threads) => "Nice-",
        (Command::NiceUp, View::Processes | View::Threads) => "Nice+",
        (Command::Quit, _) => "Quit",
        _ => return None,
    })
}

/// The order of the function bar, per view.
const BAR: [Command; 19] = [
    Command::Help,
    Command::Search,
    Command::Filter,
    Command::ToggleTree,
    Command::SortMenu,
    Command::NiceDown,
    Command::NiceUp,
    Command::Kill,
    Command::Enter,
    Command::Back,
    Command::Increase,
    Command::Decrease,
    Command::Left,
    Command::Right,
    Command::StopDemo,
    Command::Experiments,
    Command::Save,
    Command::OpenLab,
    Command::Quit,
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::defaults()
    }
}

impl Keymap {
    /// htop's keys first, our own where htop has none. Keep ../shared/design/KEYS.md in step.
    pub fn defaults() -> Keymap {
        use Command as C;
        use KeyCode as K;
        use Scope::*;
        let table: &[(Key, Scope, Command)] = &[
            (Key::plain(K::Up), All, C::Up),
            (Key::plain(K::Down), All, C::Down),
            (Key::ch('j'), Processes, C::Down),
            (Key::ch('j'), Threads, C::Down),
            (Key::plain(K::PageUp), All, C::PageUp),
            (Key::plain(K::PageDown), All, C::PageDown),
            (Key::plain(K::Home), All, C::Home),
            (Key::plain(K::End), All, C::End),
            (Key::plain(K::Enter), All, C::Enter),
            (Key::plain(K::Esc), All, C::Back),
            (Key::plain(K::Backspace), All, C::Back),
            (Key::plain(K::Left), Processes, C::Left),
            (Key::plain(K::Right), Processes, C::Right),
            (Key::plain(K::Left), Threads, C::Back),
            (Key::ch('/'), Processes, C::Search),
            (Key::plain(K::F(3)), Processes, C::Search),
            (Key::ch('n'), Processes, C::SearchNext),
            (Key::ch('/'), Threads, C::Search),
            (Key::plain(K::F(3)), Threads, C::Search),
            (Key::ch('n'), Threads, C::SearchNext),
            (Key::ch('\\'), Processes, C::Filter),
            (Key::plain(K::F(4)), Processes, C::Filter),
            (Key::ch('t'), Processes, C::ToggleTree),
            (Key::plain(K::F(5)), Processes, C::ToggleTree),
            (Key::ch('-'), Processes, C::Collapse),
            (Key::ch('+'), Processes, C::Expand),
            (Key::ch('='), Processes, C::Expand),
            (Key::plain(K::F(6)), Processes, C::SortMenu),
            (Key::plain(K::F(6)), Threads, C::SortMenu),
            (Key::ch('>'), Processes, C::SortNext),
            (Key::ch('.'), Processes, C::SortNext),
            (Key::ch('<'), Processes, C::SortPrev),
            (Key::ch(','), Processes, C::SortPrev),
            (Key::ch('>'), Threads, C::SortNext),
            (Key::ch('.'), Threads, C::SortNext),
            (Key::ch('<'), Threads, C::SortPrev),
            (Key::ch(','), Threads, C::SortPrev),
            (Key::ch('P'), Processes, C::SortCpu),
            (Key::ch('M'), Processes, C::SortMem),
            (Key::ch('T'), Processes, C::SortTime),
            (Key::ch('N'), Processes, C::SortPid),
            (Key::ch('I'), Processes, C::InvertSort),
            (Key::ch('P'), Threads, C::SortCpu),
            (Key::ch('M'), Threads, C::SortMem),
            (Key::ch('T'), Threads, C::SortTime),
            (Key::ch('N'), Threads, C::SortPid),
            (Key::ch('I'), Threads, C::InvertSort),
            (Key::ch('H'), Processes, C::ToggleThreads),
            (Key::ch('K'), Processes, C::ToggleKernel),
            (Key::ch('d'), All, C::OpenLab),
            (Key::ch('x'), All, C::StopDemo),
            (Key::ch('X'), All, C::StopAllDemos),
            (Key::ch('+'), Lab, C::Increase),
            (Key::ch('='), Lab, C::Increase),
            (Key::ch('-'), Lab, C::Decrease),
            (Key::plain(K::Right), Lab, C::Right),
            (Key::plain(K::Left), Lab, C::Left),
            (Key::ch('?'), All, C::Help),
            (Key::plain(K::F(1)), All, C::Help),
            (Key::ch('k'), Processes, C::Kill),
            (Key::plain(K::F(9)), Processes, C::Kill),
            (Key::ch('k'), Threads, C::Kill),
            (Key::plain(K::F(9)), Threads, C::Kill),
            (Key::ch(']'), Processes, C::NiceDown),
            (Key::plain(K::F(7)), Processes, C::NiceDown),
            (Key::ch('['), Processes, C::NiceUp),
            (Key::plain(K::F(8)), Processes, C::NiceUp),
            (Key::ch(']'), Threads, C::NiceDown),
            (Key::plain(K::F(7)), Threads, C::NiceDown),
            (Key::ch('['), Threads, C::NiceUp),
            (Key::plain(K::F(8)), Threads, C::NiceUp),
            (Key::ch(' '), All, C::Tag),
            (Key::ch('c'), Processes, C::TagChildren),
            (Key::ch('U'), Processes, C::UntagAll),
            (Key::ch('F'), Processes, C::ToggleFollow),
            (Key::ch('Z'), Processes, C::Pause),
            (Key::ch('z'), Processes, C::Pause),
            (Key::ch('Z'), Threads, C::Pause),
            (Key::ch('z'), Threads, C::Pause),
            (Key::ch('u'), Processes, C::UserMenu),
            (Key::ch('a'), Processes, C::Affinity),
            (Key::ch('a'), Threads, C::Affinity),
            (Key::ch('e'), Processes, C::Environment),
            (Key::ch('e'), Threads, C::Environment),
            (Key::ch('l'), Processes, C::OpenFiles),
            (Key::ch('l'), Threads, C::OpenFiles),
            (Key::ch('w'), Processes, C::FullCommand),
            (Key::ch('w'), Threads, C::FullCommand),
            (Key::ch('e'), Lab, C::Experiments),
            (Key::ch('s'), Lab, C::Save),
            (Key::ch('v'), Processes, C::CpuGraph),
            (Key::ch('v'), Threads, C::CpuGraph),
            (Key::ch('q'), All, C::Quit),
            (Key::plain(K::F(10)), All, C::Quit),
            (Key::ctrl('c'), All, C::Quit),
        ];
        Keymap { bindings: table.iter().map(|&(key, scope, command)| Binding { key, scope, command }).collect() }
    }

    /// Binds `key` in `scope` to `command`, replacing what it did there; None unbinds it.
    pub fn bind(&mut self, scope: Scope, key: Key, command: Option<Command>) {
        self.bindings.retain(|b| !(b.key == key && b.scope == scope));
        if let Some(command) = command {
            self.bindings.push(Binding { key, scope, command });
        }
    }

    /// The command a key means in a view: a binding for that view wins over one for all views.
    pub fn lookup(&self, view: View, key: Key) -> Option<Command> {
        let specific = self.bindings.iter().find(|b| b.key == key && b.scope != Scope::All && b.scope.covers(view));
        specific.or_else(|| self.bindings.iter().find(|b| b.key == key && b.scope == Scope::All)).map(|b| b.command)
    }

    /// Help lines and function bars generated from the bindings.
    pub fn help(&self) -> KeyHelp {
        let mut entries: Vec<HelpEntry> = Vec::new();
        let mut seen: Vec<(Command, Scope)> = Vec::new();
        for b in &self.bindings {
            if seen.contains(&(b.command, b.scope)) {
                continue;
            }
            seen.push((b.command, b.scope));
            let keys: Vec<String> = self
                .bindings
                .iter()
                .filter(|o| o.command == b.command && o.scope == b.scope)
                .map(|o| o.key.label())
                .collect();
            let keys = keys.join(" ");
            // Merge the same keys doing the same thing in several views into one line.
            if let Some(e) = entries.iter_mut().find(|e| e.keys == keys && e.what == describe(b.command)) {
                e.views = format!("{}, {}", e.views, b.scope.label());
                continue;
            }
            entries.push(HelpEntry { keys, what: describe(b.command).to_string(), views: b.scope.label().to_string() });
        }
        KeyHelp {
            entries,
            bar_processes: self.bar(View::Processes),
            bar_threads: self.bar(View::Threads),
            bar_lab: self.bar(View::LAB),
        }
    }

    fn bar(&self, view: View) -> Vec<BarEntry> {
        BAR.iter()
            .filter_map(|&cmd| {
                let label = bar_label(cmd, view)?;
                let keys: Vec<Key> = self
                    .bindings
                    .iter()
                    .filter(|b| b.command == cmd && b.scope.covers(view) && self.lookup(view, b.key) == Some(cmd))
                    .map(|b| b.key)
                    .collect();
                // htop's bar shows F-keys; a command without one shows its first key.
                let key = keys.iter().find(|k| matches!(k.code, KeyCode::F(_))).or(keys.first())?;
                Some(BarEntry { key: key.label(), label: label.to_string() })
            })
            .collect()
    }
}

/// The default keys as a markdown table, one row per action, one column per view: the
/// repository's docs/KEYS.md, checked by a test so it never drifts from the code.
pub fn markdown_table(keymap: &Keymap) -> String {
    let mut out = String::from(
        "# Default keys\n\nGenerated from the keymap in `src/input/keymap.rs` (a test keeps this file in step).\n\n\
         | action | what it does | all views | process list | threads view | lab |\n|---|---|---|---|---|---|\n",
    );
    for cmd in Command::ALL {
        let keys = |scope: Scope| {
            let k: Vec<String> = keymap
                .bindings
                .iter()
                .filter(|b| b.command == cmd && b.scope == scope)
                .map(|b| format!("`{}`", b.key.label().replace('|', "\\|").replace('`', "``")))
                .collect();
            if k.is_empty() { "-".to_string() } else { k.join(" ") }
        };
        let cells = [keys(Scope::All), keys(Scope::Processes), keys(Scope::Threads), keys(Scope::Lab)];
        if cells.iter().all(|c| c == "-") {
            continue;
        }
        out.push_str(&format!("| {} | {} | {} |\n", cmd.as_str(), describe(cmd), cells.join(" | ")));
    }
    out
}

/// Turns a key press into an Action, given what is on screen.
pub fn key_to_action(app: &App, keymap: &Keymap, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    let key = Key::from_event(ev);
    if app.prompt.is_some() {
        if key == Key::ctrl('c') {
            return Some(Action::Cmd(Command::Quit));
        }
        return match key.code {
            KeyCode::Enter => Some(Action::Text(TextInput::Confirm)),
            KeyCode::Esc => Some(Action::Text(TextInput::Cancel)),
            KeyCode::Backspace => Some(Action::Text(TextInput::Backspace)),
            KeyCode::F(3) => Some(Action::Text(TextInput::Next)),
            KeyCode::Char('n') if key.ctrl => Some(Action::Text(TextInput::Next)),
            KeyCode::Char(c) if !key.ctrl && !c.is_control() => Some(Action::Text(TextInput::Char(c))),
            _ => None,
        };
    }
    if matches!(app.overlay, Some(Overlay::Confirm(_))) {
        match key.code {
            KeyCode::Char('y' | 'Y') => return Some(Action::Cmd(Command::Yes)),
            KeyCode::Char('n' | 'N') => return Some(Action::Cmd(Command::No)),
            _ => {}
        }
    }
    keymap.lookup(app.view, key).map(Action::Cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_key_is_bound_twice_in_one_view() {
        let km = Keymap::defaults();
        let mut seen = HashSet::new();
        for b in &km.bindings {
            assert!(seen.insert((b.key, b.scope)), "{:?} bound twice in {:?}", b.key, b.scope);
        }
    }

    #[test]
    fn htop_keys() {
        let km = Keymap::defaults();
        assert_eq!(km.lookup(View::Processes, Key::ch('P')), Some(Command::SortCpu));
        assert_eq!(km.lookup(View::Processes, Key::plain(KeyCode::F(5))), Some(Command::ToggleTree));
        assert_eq!(km.lookup(View::Processes, Key::ch('\\')), Some(Command::Filter));
        assert_eq!(km.lookup(View::Processes, Key::ctrl('c')), Some(Command::Quit));
        assert_eq!(km.lookup(View::LAB, Key::ch('+')), Some(Command::Increase));
        assert_eq!(km.lookup(View::Processes, Key::ch('+')), Some(Command::Expand));
        assert_eq!(km.lookup(View::Threads, Key::plain(KeyCode::Left)), Some(Command::Back));
        assert_eq!(km.lookup(View::LAB, Key::plain(KeyCode::Left)), Some(Command::Left));
        // `k` is htop's kill: not a movement key.
        assert_ne!(km.lookup(View::Processes, Key::ch('k')), Some(Command::Up));
    }

    #[test]
    fn keys_parse_as_written_in_config_files() {
        assert_eq!(Key::parse("q"), Some(Key::ch('q')));
        assert_eq!(Key::parse("Q"), Some(Key::ch('Q')));
        assert_eq!(Key::parse("Space"), Some(Key::ch(' ')));
        assert_eq!(Key::parse("F10"), Some(Key::plain(KeyCode::F(10))));
        assert_eq!(Key::parse("Ctrl-c"), Some(Key::ctrl('c')));
        assert_eq!(Key::parse("C-C"), Some(Key::ctrl('c')));
        assert_eq!(Key::parse("PgDn"), Some(Key::plain(KeyCode::PageDown)));
        assert_eq!(Key::parse("F13"), None);
        assert_eq!(Key::parse("Ctrl-F1"), None);
        assert_eq!(Key::parse("Hyper-q"), None);
        assert_eq!(Key::parse(""), None);
        // Every label the help prints parses back to the same key.
        for b in Keymap::defaults().bindings {
            assert_eq!(Key::parse(&b.key.label()), Some(b.key), "{}", b.key.label());
        }
    }

    #[test]
    fn docs_keys_md_is_in_step_with_the_keymap() {
        let want = markdown_table(&Keymap::defaults());
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/KEYS.md");
        if std::env::var_os("THREADTOP_WRITE_KEYS_MD").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(have == want, "docs/KEYS.md is out of date: run THREADTOP_WRITE_KEYS_MD=1 cargo test --lib docs_keys");
    }

    #[test]
    fn shift_letters_fold() {
        let ev = KeyEvent::new(KeyCode::Char('p'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), Key::ch('P'));
    }

    #[test]
    fn help_lists_every_bound_command_and_remaps_show() {
        let mut km = Keymap::defaults();
        let help = km.help();
        for b in &km.bindings {
            assert!(help.entries.iter().any(|e| e.what == describe(b.command)), "{:?}", b.command);
        }
        assert!(help.bar_processes.iter().any(|b| b.key == "F5" && b.label == "Tree"));
        assert!(help.bar_processes.iter().any(|b| b.key == "F10" && b.label == "Quit"));
        // Remap quit from q to Q: help and input both follow.
        for b in km.bindings.iter_mut().filter(|b| b.key == Key::ch('q')) {
            b.key = Key::ch('Q');
        }
        assert_eq!(km.lookup(View::Processes, Key::ch('Q')), Some(Command::Quit));
        assert_eq!(km.lookup(View::Processes, Key::ch('q')), None);
        let help = km.help();
        let quit = help.entries.iter().find(|e| e.what == describe(Command::Quit)).unwrap();
        assert!(quit.keys.contains('Q') && !quit.keys.starts_with('q'), "{}", quit.keys);
    }
}
