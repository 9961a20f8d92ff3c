//! What the sampler remembers between ticks: per process (start time, cmdline, user, previous
//! ticks, kept files, its threads), per thread of the focused process, and the scratch reused by
//! `tasks::refresh_tasks`; all keyed by PID with a one-multiply hash. Imports only `collect`'s own
//! modules; no `app`, `ui`, `lab`, the lab's data (`crate::model::{demo, experiment}`), ratatui or
//! crossterm.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::why::{TaskWhy, WhyState};
use crate::collect::model::{FocusSample, IoCounters, Pid};
use crate::collect::procfs::KeptFile;

/// from the kernel, and distinct PIDs never collide in the low bits a table indexes by.
#[derive(Clone, Copy, Default)]
pub(super) struct PidHasher(u64);

impl Hasher for PidHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_i32(&mut self, v: i32) {
        self.0 = u64::from(v as u32).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(super) type PidMap<V> = HashMap<Pid, V, BuildHasherDefault<PidHasher>>;

/// Cached per process, keyed by PID and checked against starttime.
pub(super) struct ProcEntry {
    pub(super) start_ticks: u64,
    /// cmdline and user have been read (only for listed or focused processes).
    pub(super) meta: bool,
    /// The comm the cmdline was read under: a new comm means exec (or a rename), so re-read.
    pub(super) name: Arc<str>,
    pub(super) cmdline: Arc<str>,
    pub(super) uid: Option<u32>,
    pub(super) user: Arc<str>,
    pub(super) ticks: u64,
    pub(super) seen: u64,
    /// Its `stat`, kept open.
    pub(super) stat: Option<KeptFile>,
    /// Its `statm`, kept open (userland processes that are listed or focused).
    pub(super) statm: Option<KeptFile>,
    /// Its threads as of the last all-threads sample, in listing order; empty otherwise.
    pub(super) tasks: Vec<TaskEntry>,
    /// Its `io`, main `status` and `schedstat`, kept open while `Extras` asks for them.
    pub(super) io: Option<KeptFile>,
    pub(super) status: Option<KeptFile>,
    pub(super) schedstat: Option<KeptFile>,
    /// io was refused (another user's process): not asked again.
    pub(super) io_denied: bool,
    pub(super) prev_io: Option<IoCounters>,
    /// Its threads with counters, while a `ThreadPick` picks it.
    pub(super) xtasks: Vec<ExtraTask>,
}

impl ProcEntry {
    pub(super) fn new(start_ticks: u64, empty: &Arc<str>) -> Self {
        Self {
            start_ticks,
            meta: false,
            name: empty.clone(),
            cmdline: empty.clone(),
            uid: None,
            user: empty.clone(),
            ticks: 0,
            seen: 0,
            stat: None,
            statm: None,
            tasks: Vec::new(),
            io: None,
            status: None,
            schedstat: None,
            io_denied: false,
            prev_io: None,
            xtasks: Vec::new(),
        }
    }
}

/// One thread of a process in all-threads mode: its previous counters and its kept `stat`.
#[derive(Default)]
pub(super) struct TaskEntry {
    pub(super) tid: Pid,
    /// None until read once.
    pub(super) start_ticks: Option<u64>,
    pub(super) ticks: u64,
    pub(super) stat: Option<KeptFile>,
}

/// One thread of a process whose threads' counters are read (`extra`): its kept files.
#[derive(Default)]
pub(super) struct ExtraTask {
    pub(super) tid: Pid,
    pub(super) stat: Option<KeptFile>,
    pub(super) status: Option<KeptFile>,
    pub(super) schedstat: Option<KeptFile>,
}

impl TaskSlot for ExtraTask {
    fn tid(&self) -> Pid {
        self.tid
    }
    fn with_tid(tid: Pid) -> Self {
        Self { tid, ..Self::default() }
    }
}

/// One thread of the focused process: previous counters for rates, and its kept files.
#[derive(Default)]
pub(super) struct FocusTask {
    pub(super) tid: Pid,
    pub(super) start_ticks: Option<u64>,
    pub(super) ticks: u64,
    pub(super) voluntary: Option<u64>,
    pub(super) nonvoluntary: Option<u64>,
    pub(super) wait_ns: Option<u64>,
    pub(super) stat: Option<KeptFile>,
    pub(super) status: Option<KeptFile>,
    pub(super) schedstat: Option<KeptFile>,
    /// Counters and kept files for the time split, migrations, I/O and WAITING.
    pub(super) why: TaskWhy,
}

pub(super) trait TaskSlot: Default {
    fn tid(&self) -> Pid;
    fn with_tid(tid: Pid) -> Self;
}

impl TaskSlot for TaskEntry {
    fn tid(&self) -> Pid {
        self.tid
    }
    fn with_tid(tid: Pid) -> Self {
        Self { tid, ..Self::default() }
    }
}

impl TaskSlot for FocusTask {
    fn tid(&self) -> Pid {
        self.tid
    }
    fn with_tid(tid: Pid) -> Self {
        Self { tid, ..Self::default() }
    }
}

#[derive(Default)]
pub(super) struct FocusState {
    pub(super) tasks: Vec<FocusTask>,
    pub(super) last: Option<std::sync::Arc<FocusSample>>,
    pub(super) why: WhyState,
}

/// Reused between calls of `refresh_tasks`.
#[derive(Default)]
pub(super) struct TaskScratch {
    pub(super) tids: Vec<Pid>,
    pub(super) index: PidMap<usize>,
}
