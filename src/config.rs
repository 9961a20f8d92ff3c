//! The config file: `$XDG_CONFIG_HOME/threadtop/config.toml` (else `~/.config/...`), `--config`,
//! `--no-config`. The defaults live in `assets/config.toml`, embedded and printed by
//! `--print-config`. A bad file is refused with `file:line:column: what is wrong`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::app::Command;
use crate::app::table::{Column, SortSpec, column_names};
use crate::cli::{MIN_INTERVAL, parse_any_duration};
use crate::collect::procfs::MAX_KEPT_FILES;
use crate::input::keymap::{Key, Keymap, Scope};

/// The defaults, fully commented: what `--print-config` prints.
pub const DEFAULT_TOML: &str = include_str!("../assets/config.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeName {
    Default,
    Mono,
}

/// The settings, after validation, with the defaults filled in.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub interval: Duration,
    pub sort: SortSpec,
    pub tree: bool,
    pub show_threads: bool,
    pub theme: ThemeName,
    pub mouse: bool,
    pub columns: Vec<Column>,
    pub keymap: Keymap,
    /// Most /proc files kept open between samples; 0 keeps none (`THREADTOP_KEPT_FILES` wins).
    pub kept_files: usize,
    /// py-spy samples per second of a Python process in the threads view (GIL%); 0: off.
    pub python_sample_hz: u32,
    /// Minutes of the live view kept in memory for the rewind (`Z`, then , . [ ]); 0 keeps none.
    pub rewind_minutes: u32,
    /// The `[metrics]` table: groups for `serve`, `--textfile` and `--metrics`.
    pub metrics: crate::metrics::MetricsConfig,
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    /// Something the user should know that did not stop threadtop (an unreadable default file).
    pub warning: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            interval: crate::cli::DEFAULT_INTERVAL,
            sort: SortSpec::default(),
            tree: false,
            show_threads: false,
            theme: ThemeName::Default,
            mouse: true,
            columns: Column::DEFAULT.to_vec(),
            keymap: Keymap::defaults(),
            kept_files: MAX_KEPT_FILES,
            python_sample_hz: crate::inspect::python::DEFAULT_RATE_HZ,
            rewind_minutes: 10,
            metrics: crate::metrics::MetricsConfig::default(),
            source: None,
            warning: None,
        }
    }
}

/// A config file that could not be used, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    interval: Option<Spanned<String>>,
    sort: Option<Spanned<String>>,
    sort_inverted: Option<bool>,
    tree: Option<bool>,
    show_threads: Option<bool>,
    theme: Option<Spanned<String>>,
    mouse: Option<bool>,
    columns: Option<Spanned<Vec<Spanned<String>>>>,
    keys_preset: Option<Spanned<String>>,
    keys: Option<RawKeys>,
    kept_files: Option<Spanned<toml::Value>>,
    python_sample_hz: Option<Spanned<toml::Value>>,
    rewind_minutes: Option<Spanned<u32>>,
    metrics: Option<Spanned<toml::Value>>,
}

type RawBindings = BTreeMap<Spanned<String>, Spanned<String>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    all: Option<RawBindings>,
    list: Option<RawBindings>,
    threads: Option<RawBindings>,
    lab: Option<RawBindings>,
    replay: Option<RawBindings>,
}

/// Where the config file is looked for when no `--config` is given.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("threadtop").join("config.toml"))
}

/// Loads the file `--config` names, or the default one if it exists, or nothing.
pub fn load(explicit: Option<&Path>, disabled: bool) -> Result<Config, ConfigError> {
    if disabled {
        return Ok(Config::default());
    }
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => match default_path() {
            Some(p) => (p, false),
            None => return Ok(Config::default()),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Ok(Config::default()),
        // Run as another user (sudo -u, setpriv) with HOME still pointing at the first one's:
        // the default file is not ours to read, which must not stop the monitor.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && !required => Ok(Config {
            warning: Some(format!("config file {} not read: {e}; using the defaults", path.display())),
            ..Config::default()
        }),
        Err(e) => Err(ConfigError {
            path: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read the config file: {e}"),
        }),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// Parses and validates a config file's text.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let err = |offset: usize, message: String| {
        let (line, column) = line_col(text, offset);
        ConfigError { path: path.display().to_string(), line, column, message }
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        err(offset, e.message().trim().to_string())
    })?;
    let mut cfg = Config { source: Some(path.to_path_buf()), ..Config::default() };
    if let Some(v) = raw.interval {
        let d = parse_any_duration(v.get_ref()).map_err(|e| err(v.span().start, e))?;
        if d < MIN_INTERVAL {
            return Err(err(v.span().start, format!("interval {} is below the minimum of 100ms", v.get_ref())));
        }
        cfg.interval = d;
    }
    if let Some(v) = raw.sort {
        let c = Column::parse(v.get_ref()).ok_or_else(|| {
            err(v.span().start, format!("unknown sort column '{}'; use one of {}", v.get_ref(), column_names()))
        })?;
        cfg.sort = SortSpec::by(c);
    }
    if raw.sort_inverted == Some(true) {
        cfg.sort.descending = !cfg.sort.descending;
    }
    if let Some(v) = raw.rewind_minutes {
        if *v.get_ref() > 24 * 60 {
            return Err(err(v.span().start, format!("rewind_minutes {} is over a day (1440)", v.get_ref())));
        }
        cfg.rewind_minutes = *v.get_ref();
    }
    cfg.tree = raw.tree.unwrap_or(false);
    cfg.show_threads = raw.show_threads.unwrap_or(false);
    cfg.mouse = raw.mouse.unwrap_or(true);
    if let Some(v) = raw.theme {
        cfg.theme = match v.get_ref().as_str() {
            "default" => ThemeName::Default,
            "mono" => ThemeName::Mono,
            other => return Err(err(v.span().start, format!("unknown theme '{other}'; use \"default\" or \"mono\""))),
        };
    }
    if let Some(list) = raw.columns {
        let mut cols = Vec::new();
        for name in list.get_ref() {
            let c = Column::parse(name.get_ref()).ok_or_else(|| {
                err(name.span().start, format!("unknown column '{}'; use {}", name.get_ref(), column_names()))
            })?;
            if cols.contains(&c) {
                return Err(err(name.span().start, format!("column '{}' is listed twice", name.get_ref())));
            }
            cols.push(c);
        }
        if cols.is_empty() {
            return Err(err(list.span().start, "columns: list at least one column".into()));
        }
        cfg.columns = cols;
    }
    if let Some(v) = raw.kept_files {
        let n = v.get_ref().as_integer().and_then(|n| usize::try_from(n).ok());
        cfg.kept_files = n.ok_or_else(|| {
            err(
                v.span().start,
                format!("kept_files {} is not a count of files; use 0 or more (0 keeps none)", v.get_ref()),
            )
        })?;
    }
    if let Some(v) = raw.python_sample_hz {
        let max = crate::inspect::python::MAX_RATE_HZ;
        let n = v.get_ref().as_integer().and_then(|n| u32::try_from(n).ok()).filter(|&n| n <= max);
        cfg.python_sample_hz = n.ok_or_else(|| {
            err(
                v.span().start,
                format!("python_sample_hz {} is not a rate; use 0 (off) to {max} samples per second", v.get_ref()),
            )
        })?;
    }
    if let Some(v) = raw.metrics {
        cfg.metrics = crate::metrics::config::from_value(v.get_ref()).map_err(|e| err(v.span().start, e))?;
    }
    if let Some(v) = raw.keys_preset {
        match v.get_ref().as_str() {
            "default" => {}
            "vim" => apply_vim_preset(&mut cfg.keymap),
            other => {
                return Err(err(v.span().start, format!("unknown keys_preset '{other}'; use \"default\" or \"vim\"")));
            }
        }
    }
    if let Some(keys) = raw.keys {
        for (scope, table) in [
            (Scope::All, keys.all),
            (Scope::Processes, keys.list),
            (Scope::Threads, keys.threads),
            (Scope::Lab, keys.lab),
            (Scope::Replay, keys.replay),
        ] {
            let Some(table) = table else { continue };
            let mut seen: Vec<Key> = Vec::new();
            for (k, action) in &table {
                let key = Key::parse(k.get_ref()).ok_or_else(|| {
                    err(
                        k.span().start,
                        format!("unknown key '{}' (e.g. \"q\", \"F5\", \"Ctrl-c\", \"Enter\")", k.get_ref()),
                    )
                })?;
                if seen.contains(&key) {
                    return Err(err(
                        k.span().start,
                        format!("duplicate binding: '{}' is bound twice in [keys.{}]", k.get_ref(), scope_name(scope)),
                    ));
                }
                seen.push(key);
                let command = match action.get_ref().as_str() {
                    "none" => None,
                    name => Some(Command::from_name(name).ok_or_else(|| {
                        err(
                            action.span().start,
                            format!("unknown action '{name}'; `threadtop --print-config` lists the actions"),
                        )
                    })?),
                };
                cfg.keymap.bind(scope, key, command);
            }
        }
    }
    Ok(cfg)
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::All => "all",
        Scope::Processes => "list",
        Scope::Threads => "threads",
        Scope::Lab => "lab",
        Scope::Replay => "replay",
    }
}

/// vim's movement keys in every list; kill moves from `k` to `D` (F9 still kills).
pub fn apply_vim_preset(keymap: &mut Keymap) {
    use crossterm::event::KeyCode;
    for scope in [Scope::Processes, Scope::Threads, Scope::Lab] {
        keymap.bind(scope, Key::ch('j'), Some(Command::Down));
        keymap.bind(scope, Key::ch('k'), Some(Command::Up));
        keymap.bind(scope, Key::ch('g'), Some(Command::Home));
        keymap.bind(scope, Key::ch('G'), Some(Command::End));
        keymap.bind(scope, Key::ctrl('d'), Some(Command::PageDown));
        keymap.bind(scope, Key::ctrl('u'), Some(Command::PageUp));
    }
    for scope in [Scope::Processes, Scope::Threads] {
        keymap.bind(scope, Key::ch('h'), Some(Command::Back));
        keymap.bind(scope, Key::ch('D'), Some(Command::Kill));
    }
    // Keep F9 on kill in both views.
    keymap.bind(Scope::Processes, Key::plain(KeyCode::F(9)), Some(Command::Kill));
    keymap.bind(Scope::Threads, Key::plain(KeyCode::F(9)), Some(Command::Kill));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::View;

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("cfg.toml"))
    }

    #[test]
    fn the_shipped_defaults_are_the_built_in_defaults() {
        let cfg = parse_str(DEFAULT_TOML).unwrap();
        assert_eq!(Config { source: None, ..cfg }, Config::default());
        assert!(Config::default().warning.is_none());
    }

    #[test]
    fn missing_file_is_fine_and_an_explicit_missing_one_is_not() {
        let dir = std::env::temp_dir().join(format!("tt-cfg-{}", std::process::id()));
        let missing = dir.join("nope.toml");
        assert!(load(Some(&missing), false).unwrap_err().message.contains("cannot read"));
        assert_eq!(load(None, true).unwrap(), Config::default());
    }

    #[test]
    fn valid_settings_apply() {
        let cfg = parse_str(
            "interval = \"250ms\"\nsort = \"MEM\"\nsort_inverted = true\ntree = true\nshow_threads = true\ntheme = \"mono\"\n\
             mouse = false\ncolumns = [\"PID\", \"CPU\", \"COMMAND\"]\n",
        )
        .unwrap();
        assert_eq!(cfg.interval, Duration::from_millis(250));
        assert_eq!(cfg.sort, SortSpec { column: Column::Mem, descending: false });
        assert!(cfg.tree && cfg.show_threads && !cfg.mouse);
        assert_eq!(cfg.theme, ThemeName::Mono);
        assert_eq!(cfg.columns, vec![Column::Pid, Column::Cpu, Column::Command]);
    }

    #[test]
    fn python_sample_rate_is_read_and_zero_turns_it_off() {
        assert_eq!(parse_str("python_sample_hz = 50\n").unwrap().python_sample_hz, 50);
        assert_eq!(parse_str("python_sample_hz = 0\n").unwrap().python_sample_hz, 0);
        assert_eq!(parse_str("").unwrap().python_sample_hz, 100);
    }

    #[test]
    fn bad_files_say_where_and_what() {
        let cases: &[(&str, &str)] = &[
            ("intervall = \"1s\"\n", "cfg.toml:1:1: unknown field `intervall`"),
            ("tree = \"yes\"\n", "cfg.toml:1:8: invalid type: string \"yes\", expected a boolean"),
            ("interval = \"50ms\"\n", "cfg.toml:1:12: interval 50ms is below the minimum of 100ms"),
            ("\nsort = \"FOO\"\n", "cfg.toml:2:8: unknown sort column 'FOO'"),
            ("theme = \"neon\"\n", "cfg.toml:1:9: unknown theme 'neon'"),
            ("columns = [\"PID\", \"BOGUS\"]\n", "cfg.toml:1:19: unknown column 'BOGUS'"),
            ("columns = [\"PID\", \"PID\"]\n", "cfg.toml:1:19: column 'PID' is listed twice"),
            ("[keys.list]\n\"q\" = \"explode\"\n", "cfg.toml:2:7: unknown action 'explode'"),
            ("[keys.list]\n\"Hyper-q\" = \"quit\"\n", "cfg.toml:2:1: unknown key 'Hyper-q'"),
            ("[keys.list]\n\"Ctrl-c\" = \"quit\"\n\"C-c\" = \"help\"\n", "duplicate binding: 'Ctrl-c' is bound twice"),
            ("[keys.nowhere]\n", "cfg.toml:1:7: unknown field `nowhere`"),
            ("keys_preset = \"emacs\"\n", "cfg.toml:1:15: unknown keys_preset 'emacs'"),
            ("tree = \n", "cfg.toml:1:8:"),
            (
                "\nkept_files = -1\n",
                "cfg.toml:2:14: kept_files -1 is not a count of files; use 0 or more (0 keeps none)",
            ),
            ("kept_files = \"lots\"\n", "cfg.toml:1:14: kept_files \"lots\" is not a count of files"),
            ("kept_files = 1.5\n", "cfg.toml:1:14: kept_files 1.5 is not a count of files"),
            ("python_sample_hz = 5000\n", "cfg.toml:1:20: python_sample_hz 5000 is not a rate; use 0 (off) to 1000"),
            ("python_sample_hz = -1\n", "cfg.toml:1:20: python_sample_hz -1 is not a rate"),
        ];
        for (text, want) in cases {
            let got = parse_str(text).unwrap_err().to_string();
            assert!(got.contains(want), "for {text:?}\n got: {got}\nwant: {want}");
        }
    }

    #[test]
    fn kept_files_is_a_number_and_zero_keeps_none() {
        assert_eq!(Config::default().kept_files, MAX_KEPT_FILES);
        assert_eq!(parse_str("kept_files = 0\n").unwrap().kept_files, 0);
        assert_eq!(parse_str("kept_files = 2048\n").unwrap().kept_files, 2048);
        assert_eq!(parse_str("kept_files = 100_000\n").unwrap().kept_files, 100_000);
    }

    #[test]
    fn user_bindings_override_single_defaults() {
        let cfg =
            parse_str("[keys.list]\n\"x\" = \"kill\"\n\"k\" = \"none\"\n[keys.all]\n\"Ctrl-q\" = \"quit\"\n").unwrap();
        let km = &cfg.keymap;
        assert_eq!(km.lookup(View::Processes, Key::ch('x')), Some(Command::Kill));
        assert_eq!(km.lookup(View::Processes, Key::ch('k')), None);
        assert_eq!(km.lookup(View::Processes, Key::ctrl('q')), Some(Command::Quit));
        // Untouched defaults stay.
        assert_eq!(km.lookup(View::Processes, Key::ch('q')), Some(Command::Quit));
        assert_eq!(km.lookup(View::Threads, Key::ch('k')), Some(Command::Kill));
        // x still stops demos in the lab and threads view.
        assert_eq!(km.lookup(View::Threads, Key::ch('x')), Some(Command::StopDemo));
        // The help shows the remap.
        let help = km.help();
        let kill =
            help.entries.iter().find(|e| e.what.starts_with("send a signal") && e.views.contains("list")).unwrap();
        assert!(kill.keys.contains('x') && !kill.keys.split(' ').any(|k| k == "k"), "{kill:?}");
    }

    #[test]
    fn vim_preset_is_one_line() {
        let cfg = parse_str("keys_preset = \"vim\"\n").unwrap();
        let km = &cfg.keymap;
        for view in [View::Processes, View::Threads] {
            assert_eq!(km.lookup(view, Key::ch('j')), Some(Command::Down));
            assert_eq!(km.lookup(view, Key::ch('k')), Some(Command::Up));
            assert_eq!(km.lookup(view, Key::ch('g')), Some(Command::Home));
            assert_eq!(km.lookup(view, Key::ch('G')), Some(Command::End));
            assert_eq!(km.lookup(view, Key::ch('D')), Some(Command::Kill));
            assert_eq!(km.lookup(view, Key::plain(crossterm::event::KeyCode::F(9))), Some(Command::Kill));
        }
        assert!(km.help().bar_processes.iter().any(|b| b.key == "F9" && b.label == "Kill"));
    }

    #[test]
    fn line_and_column() {
        assert_eq!(line_col("ab\ncd\n", 0), (1, 1));
        assert_eq!(line_col("ab\ncd\n", 4), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
