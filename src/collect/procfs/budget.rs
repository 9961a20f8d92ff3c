//! The fd budget: how many /proc files may stay open at once, and the `KeptFile`s it pays for
//! (each gives its slot back when dropped). Imports nothing of threadtop; no `app`, `ui`, `lab`,
//! `model`, ratatui or crossterm.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Raises this process's soft limit on open files to its hard limit (once) and returns the soft
/// limit now in force. Kept-open /proc files need one descriptor per task; nothing in threadtop
/// uses select(), which is the usual reason to keep the soft limit low.
pub fn raise_fd_limit() -> u64 {
    static LIMIT: OnceLock<u64> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let lim = getrlimit(Resource::Nofile);
        let soft = lim.current.unwrap_or(u64::MAX);
        match lim.maximum {
            Some(hard) if hard > soft => {
                let raised = rustix::process::Rlimit { current: Some(hard), maximum: Some(hard) };
                if setrlimit(Resource::Nofile, raised).is_ok() { hard } else { soft }
            }
            // Unlimited hard limit: raise to what the kernel allows per process (nr_open) is not
            // worth a file read; the soft limit stays and bounds the budget.
            _ => soft,
        }
    })
}

/// Most /proc files kept open at once. Each costs ~4.3 KiB of kernel memory once read (the
/// seq_file page buffer plus the struct file; measured in BENCHMARKS.md), so the cap bounds that
/// cost; past it, files are opened, read and closed as before.
pub const MAX_KEPT_FILES: usize = 16_384;

/// Descriptors left for everything else (terminal, lab pipes, transient opens).
fn fd_reserve(soft: u64) -> u64 {
    512 + soft / 8
}

/// How many /proc files may stay open, shared by every kept file (which gives its slot back on
/// drop). Shrinks when an open fails with EMFILE/ENFILE: kept files over the limit are then
/// closed as they are next read.
#[derive(Clone, Debug)]
pub struct FdBudget {
    open: Arc<AtomicUsize>,
    limit: Arc<AtomicUsize>,
}

impl FdBudget {
    pub fn new(limit: usize) -> Self {
        Self { open: Arc::new(AtomicUsize::new(0)), limit: Arc::new(AtomicUsize::new(limit)) }
    }

    /// The budget for this process: the raised soft limit minus a reserve, at most
    /// MAX_KEPT_FILES, or at most `THREADTOP_KEPT_FILES` when set (0 keeps none: every read is
    /// open-read-close, for a machine where the kernel memory matters more than the CPU).
    pub fn for_this_process() -> Self {
        let cap = std::env::var("THREADTOP_KEPT_FILES").ok().and_then(|v| v.trim().parse::<u64>().ok());
        let cap = cap.unwrap_or(MAX_KEPT_FILES as u64);
        if cap == 0 {
            return Self::new(0);
        }
        let soft = raise_fd_limit();
        let limit = soft.saturating_sub(fd_reserve(soft)).min(cap);
        Self::new(usize::try_from(limit).unwrap_or(MAX_KEPT_FILES))
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    pub(super) fn over(&self) -> bool {
        self.open() > self.limit()
    }

    pub(super) fn keep(&self, fd: OwnedFd) -> Option<KeptFile> {
        if self.open() >= self.limit() {
            return None;
        }
        self.open.fetch_add(1, Ordering::Relaxed);
        Some(KeptFile { fd, open: self.open.clone() })
    }

    /// The process ran out of descriptors: keep fewer from now on, and free some for the rest.
    pub(super) fn shed(&self) {
        const FREE: usize = 64;
        self.limit.store(self.open().saturating_sub(FREE), Ordering::Relaxed);
    }
}

/// A /proc file kept open and re-read from offset 0 with pread: no path walk, no open, no close,
/// and the kernel keeps its seq_file buffer. The fd belongs to the task it was opened for, not
/// to its number: once that task is gone, reads fail with ESRCH, even if the PID was reused.
#[derive(Debug)]
pub struct KeptFile {
    pub(super) fd: OwnedFd,
    open: Arc<AtomicUsize>,
}

impl Drop for KeptFile {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}
