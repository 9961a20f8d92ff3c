//! The key help the UI shows (help screen, function bar), made from the live keymap by `input`.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

/// One line of the help screen, made from the keymap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub what: String,
    /// Where it applies, e.g. "list", "threads", "lab", "all".
    pub views: String,
}

/// One label of the function-key bar, made from the keymap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarEntry {
    pub key: String,
    pub label: String,
}

/// Key help built from the live keymap, so remapped keys show as remapped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyHelp {
    pub entries: Vec<HelpEntry>,
    pub bar_processes: Vec<BarEntry>,
    pub bar_threads: Vec<BarEntry>,
    pub bar_lab: Vec<BarEntry>,
}
