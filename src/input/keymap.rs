//! Key → Command per view. One table drives input, the help screen and the function bar, so
//! what the help says is what the keys do.
//! Part of `input`: imports `app` (and crossterm); no lab, ui, runtime or control.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{Action, App, BarEntry, Command, HelpEntry, KeyHelp, Overlay, TextInput, View};

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    Processes,
    Threads,
    Lab,
    /// While a recording or the rewound live view is shown; wins over the others then.
    Replay,
}

impl Scope {
    /// The scope's name in the config file (`[keys.list]`) and the command table.
    pub fn from_name(name: &str) -> Option<Scope> {
        Some(match name {
            "all" => Scope::All,
            "list" => Scope::Processes,
            "threads" => Scope::Threads,
            "lab" => Scope::Lab,
            "replay" => Scope::Replay,
            _ => return None,
        })
    }

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
            Scope::Replay => "replay",
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

impl Binding {
    /// A default key as the command table writes it: "scope:key" ("list:F3", "all:Ctrl-c").
    fn parse(spec: &str, command: Command) -> Option<Binding> {
        let (scope, key) = spec.split_once(':')?;
        Some(Binding { key: Key::parse(key)?, scope: Scope::from_name(scope)?, command })
    }
}

/// The short label of a command in the function bar of a view, if it has one there (from the
/// command table in app::action).
fn bar_label(cmd: Command, view: View) -> Option<&'static str> {
    let (_, labels) = cmd.bar()?;
    labels.iter().find_map(|l| {
        let (scope, label) = l.split_once(':')?;
        Scope::from_name(scope).filter(|s| s.covers(view)).map(|_| label)
    })
}

/// The function bar's commands in their order.
fn bar_order() -> Vec<Command> {
    let mut cmds: Vec<(u8, Command)> = Command::ALL.iter().filter_map(|&c| c.bar().map(|(pos, _)| (pos, c))).collect();
    cmds.sort_by_key(|&(pos, _)| pos);
    cmds.into_iter().map(|(_, c)| c).collect()
}

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
    /// The default keys of every command, from the command table in app::action. A default that
    /// does not parse is left out (a unit test holds that none is).
    pub fn defaults() -> Keymap {
        let bindings = Command::ALL
            .iter()
            .flat_map(|&command| command.default_keys().iter().filter_map(move |spec| Binding::parse(spec, command)))
            .collect();
        Keymap { bindings }
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
            if let Some(e) = entries.iter_mut().find(|e| e.keys == keys && e.what == b.command.describe()) {
                e.views = format!("{}, {}", e.views, b.scope.label());
                continue;
            }
            entries.push(HelpEntry {
                keys,
                what: b.command.describe().to_string(),
                views: b.scope.label().to_string(),
            });
        }
        KeyHelp {
            entries,
            bar_processes: self.bar(View::Processes),
            bar_threads: self.bar(View::Threads),
            bar_lab: self.bar(View::LAB),
        }
    }

    fn bar(&self, view: View) -> Vec<BarEntry> {
        bar_order()
            .into_iter()
            .filter_map(|cmd| {
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
        "# Default keys\n\nGenerated from the command table in `src/app/action.rs` (a test keeps this file in step).\n\n\
         | action | what it does | all views | process list | threads view | lab | replay and rewind |\n|---|---|---|---|---|---|---|\n",
    );
    for &cmd in Command::ALL {
        let keys = |scope: Scope| {
            let k: Vec<String> = keymap
                .bindings
                .iter()
                .filter(|b| b.command == cmd && b.scope == scope)
                .map(|b| format!("`{}`", b.key.label().replace('|', "\\|").replace('`', "``")))
                .collect();
            if k.is_empty() { "-".to_string() } else { k.join(" ") }
        };
        let cells =
            [keys(Scope::All), keys(Scope::Processes), keys(Scope::Threads), keys(Scope::Lab), keys(Scope::Replay)];
        if cells.iter().all(|c| c == "-") {
            continue;
        }
        out.push_str(&format!("| {} | {} | {} |\n", cmd.as_str(), cmd.describe(), cells.join(" | ")));
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
    if app.replay_keys_active()
        && let Some(b) = keymap.bindings.iter().find(|b| b.key == key && b.scope == Scope::Replay)
    {
        return Some(Action::Cmd(b.command));
    }
    keymap.lookup(app.view, key).map(Action::Cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_default_key_of_the_command_table_parses() {
        let specs: usize = Command::ALL.iter().map(|c| c.default_keys().len()).sum();
        assert_eq!(Keymap::defaults().bindings.len(), specs, "a \"scope:key\" in app::action does not parse");
        for &c in Command::ALL {
            if let Some((_, labels)) = c.bar() {
                for l in labels {
                    let scope = l.split_once(':').and_then(|(s, _)| Scope::from_name(s));
                    assert!(scope.is_some(), "{c:?}: bar label {l}");
                }
            }
        }
    }

    #[test]
    fn the_config_file_lists_every_action_name() {
        let text = include_str!("../../assets/config.toml");
        let start = text.find("# Actions: ").expect("an Actions list in assets/config.toml");
        let listed: Vec<&str> = text[start + "# Actions: ".len()..]
            .lines()
            .take_while(|l| !l.starts_with("# The help screen"))
            .flat_map(|l| l.trim_start_matches('#').split_whitespace())
            .collect();
        let names: Vec<&str> = Command::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(listed, names, "assets/config.toml's list of actions is not the command table's");
    }

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
            assert!(help.entries.iter().any(|e| e.what == b.command.describe()), "{:?}", b.command);
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
        let quit = help.entries.iter().find(|e| e.what == Command::Quit.describe()).unwrap();
        assert!(quit.keys.contains('Q') && !quit.keys.starts_with('q'), "{}", quit.keys);
    }
}
