//! The app's start-up choices, from the command line and the config file.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::collections::HashSet;
use std::time::Duration;

use crate::app::table::{Column, SortSpec};
use crate::collect::model::Pid;

/// Start-up choices from the command line and config.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub interval: Duration,
    pub tree: bool,
    /// Every thread as a row (`H`) from the start.
    pub show_threads: bool,
    pub sort: SortSpec,
    pub filter: String,
    pub pids: Option<HashSet<Pid>>,
    pub user: Option<String>,
    pub threads_of: Option<Pid>,
    pub readonly: bool,
    /// threadtop's own PID, which it refuses to signal.
    pub self_pid: Pid,
    /// The process list's columns, in order.
    pub columns: Vec<Column>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            interval: Duration::from_secs(1),
            tree: false,
            show_threads: false,
            sort: SortSpec::default(),
            filter: String::new(),
            pids: None,
            user: None,
            threads_of: None,
            readonly: false,
            self_pid: -1,
            columns: Column::DEFAULT.to_vec(),
        }
    }
}
