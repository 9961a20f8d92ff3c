//! The sampler: what to read per tick (`tick`), what it remembers between ticks (`cache`), the
//! thread sets of a process (`tasks`), the focused process (`focus`), and the long-lived
//! `tt-sampler` thread that publishes snapshots over a `watch` channel (`thread`). Part of
//! `collect`: imports neither `app` nor `ui` nor `lab` nor the lab's data (`crate::model::{demo,
//! experiment}`), and no ratatui or crossterm.
//!
//! Per tick: one `stat` read per process, and one `statm` per listed userland process (RES and
//! SHR; kernel threads have no memory of their own); one `task/TID/stat` per thread only in
//! all-threads mode; `task/TID/{stat,status,schedstat}` only for the focused process. cmdline and
//! user are read once per process, keyed by (PID, starttime) so a reused PID is a new process.
//!
//! Under a live procfs those files stay open between ticks and are re-read with pread (see
//! `KeptFile`): most of the cost of a read was the open and close around it. A process's task
//! directory is listed again only when its thread set may have changed: when its thread count
//! differs from the threads known, or one of them is gone (see `tasks::refresh_tasks`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::model::{Pid, PythonSample, Snapshot};
use super::procfs::{FdBudget, KeptFile, MAX_KEPT_FILES, ProcReader, clock_ticks_per_second, page_size};
use super::system::SystemReader;
use super::users::UserNames;
use crate::inspect::python::{self, GilSampler};
use cache::{FocusState, PidMap, ProcEntry, TaskScratch};

mod cache;
mod extra;
mod focus;
mod hook;
mod tasks;
mod thread;
mod tick;
mod why;

pub use extra::{Extras, ThreadPick};
pub use thread::{Control, SamplerHandle, SnapshotReceiver, spawn};

/// What the sampler reads and how often.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplerConfig {
    pub interval: Duration,
    /// Fill `ProcessSample::threads` for every process (htop's `H`).
    pub all_threads: bool,
    /// The process whose threads are read in detail.
    pub focus: Option<Pid>,
    /// Normally `/proc`; tests point it at a fake tree.
    pub proc_root: PathBuf,
    /// Only these processes in `Snapshot::processes` (`-p`). Every process's stat is still read,
    /// so the header's counts stay true; `Some(empty)` is taken as no filter.
    pub pids: Option<Vec<Pid>>,
    /// Most /proc files kept open between samples (the config file's `kept_files`; 0 keeps
    /// none). `THREADTOP_KEPT_FILES` wins over it, and the open-file limit bounds it.
    pub kept_files: usize,
    /// py-spy samples per second of a focused Python process (GIL%, Python function); 0: none.
    pub python_hz: u32,
    /// Per-process files read beyond stat and statm (metrics); none by default.
    pub extras: Extras,
    /// The list's IO_R/s and IO_W/s columns are shown: `/proc/PID/io` of every listed process.
    pub io_columns: bool,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            all_threads: false,
            focus: None,
            proc_root: PathBuf::from("/proc"),
            pids: None,
            kept_files: MAX_KEPT_FILES,
            python_hz: crate::inspect::python::DEFAULT_RATE_HZ,
            extras: Extras::default(),
            io_columns: false,
        }
    }
}

/// Samples /proc synchronously. Keep one alive between samples: rates come from the previous one.
pub struct Sampler {
    config: SamplerConfig,
    reader: ProcReader,
    system: SystemReader,
    users: UserNames,
    hz: u64,
    page_size: u64,
    seq: u64,
    last_at: Option<Instant>,
    last_own_cpu: Option<Duration>,
    procs: PidMap<ProcEntry>,
    focus: FocusState,
    pid_list: Vec<Pid>,
    scratch: TaskScratch,
    /// `/proc/stat`, kept open.
    proc_stat: Option<KeptFile>,
    /// Placeholder for a row's cmdline and user until the cache fills them: no allocation per row.
    empty: Arc<str>,
    /// py-spy's sampling thread, while the focused process is Python (`inspect::python`).
    python: Option<GilSampler>,
}

impl Sampler {
    pub fn new(config: SamplerConfig) -> Self {
        let mut reader = ProcReader::new(config.proc_root.clone());
        reader.set_budget(FdBudget::for_this_process(config.kept_files));
        let mut s = Self {
            reader,
            config,
            system: SystemReader::new(),
            users: UserNames::new(),
            hz: clock_ticks_per_second(),
            page_size: page_size(),
            seq: 0,
            last_at: None,
            last_own_cpu: None,
            procs: PidMap::default(),
            focus: FocusState::default(),
            pid_list: Vec::new(),
            scratch: TaskScratch::default(),
            proc_stat: None,
            empty: Arc::from(""),
            python: None,
        };
        s.python = s.python_sampler_for(s.config.focus);
        s
    }

    pub fn config(&self) -> &SamplerConfig {
        &self.config
    }

    /// Returns whether it changed.
    pub fn set_all_threads(&mut self, on: bool) -> bool {
        let changed = self.config.all_threads != on;
        self.config.all_threads = on;
        if !on {
            // Nothing kept for thread rows that are no longer shown (their files close).
            for e in self.procs.values_mut() {
                e.tasks = Vec::new();
            }
        }
        changed
    }

    /// Returns whether it changed. Files no longer needed close on the next sample.
    pub fn set_extras(&mut self, extras: Extras) -> bool {
        let changed = self.config.extras != extras;
        self.config.extras = extras;
        changed
    }

    /// Returns whether it changed.
    pub fn set_io_columns(&mut self, on: bool) -> bool {
        let changed = self.config.io_columns != on;
        self.config.io_columns = on;
        changed
    }

    /// Keep at most `limit` /proc files open (tests; normally from the open-file limit).
    #[cfg(test)]
    fn set_fd_budget(&mut self, limit: usize) {
        self.reader.set_budget(FdBudget::new(limit));
        self.procs.clear();
        self.focus.tasks.clear();
        self.proc_stat = None;
    }

    /// /proc files open now, and the most that may be.
    pub fn kept_files(&self) -> (usize, usize) {
        (self.reader.budget().open(), self.reader.budget().limit())
    }

    /// Returns whether it changed. A new focus starts with no history.
    pub fn set_focus(&mut self, pid: Option<Pid>) -> bool {
        if self.config.focus == pid {
            return false;
        }
        self.config.focus = pid;
        self.focus = FocusState::default();
        // The old process's sampler stops (joined) before the new one starts.
        self.python = None;
        self.python = self.python_sampler_for(pid);
        true
    }

    /// Limits WAITING (task/TID/syscall, wchan) to these threads of the focus; None: all of them.
    pub fn set_visible(&mut self, tids: Option<Vec<Pid>>) {
        self.focus.why.visible = tids.map(|v| v.into_iter().collect());
    }

    /// A py-spy sampler for `pid` if it is a Python process on the live /proc (py-spy reads the
    /// real one), else None: a process that is not Python costs a readlink and a maps read, once.
    fn python_sampler_for(&self, pid: Option<Pid>) -> Option<GilSampler> {
        let pid = pid?;
        if self.config.python_hz == 0 || !self.reader.is_live() || !python::detect(self.reader.root(), pid) {
            return None;
        }
        // Paused (no sample taken for three intervals), it stops reading the process.
        let idle_after = self.config.interval * 3 + Duration::from_secs(1);
        Some(GilSampler::spawn(pid, self.config.python_hz, idle_after))
    }

    /// What py-spy saw since the last call, when the focus is a Python process.
    pub(super) fn take_python(&self) -> Option<PythonSample> {
        self.python.as_ref().map(GilSampler::take)
    }

    /// Waits until py-spy has found the focused interpreter (or given up); false if there is none.
    pub fn wait_python_ready(&self, timeout: Duration) -> bool {
        self.python.as_ref().is_some_and(|p| p.wait_ready(timeout))
    }

    /// Reads everything once. Rates compare with the previous call; on the first they are 0/None.
    pub fn sample(&mut self) -> Snapshot {
        self.sample_at(Instant::now())
    }
}

#[cfg(test)]
mod tests;
