//! The fd budget: how many /proc files may stay open at once, and the `KeptFile`s it pays for (each
//! gives its slot back when dropped). Imports nothing of threadtop; no `app`, `ui`, `lab`, the
//! lab's data (`crate::model::{demo, experiment}`), ratatui or crossterm.

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

/// Overrides the `kept_files` setting when set to a number.
pub const KEPT_FILES_ENV: &str = "THREADTOP_KEPT_FILES";

/// The cap in force: the environment's number when it is one, else the setting.
fn kept_cap(setting: usize, env: Option<&str>) -> usize {
    env.and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(setting)
}

/// `cap`, or fewer when the open-file limit `soft` leaves less room after the reserve.
fn limit_under(cap: usize, soft: u64) -> usize {
    let room = soft.saturating_sub(fd_reserve(soft));
    usize::try_from(room).map_or(cap, |room| room.min(cap))
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

    /// The budget for this process: at most `kept_files` (the config file's `kept_files`, or
    /// `THREADTOP_KEPT_FILES` when that is set to a number: the environment wins), and at most the
    /// raised soft limit minus a reserve. 0 keeps none: every read is open-read-close, for a
    /// machine where the kernel memory matters more than the CPU.
    pub fn for_this_process(kept_files: usize) -> Self {
        let cap = kept_cap(kept_files, std::env::var(KEPT_FILES_ENV).ok().as_deref());
        if cap == 0 {
            // Nothing kept: no reason to raise the open-file limit either.
            return Self::new(0);
        }
        Self::new(limit_under(cap, raise_fd_limit()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_over_the_setting_when_it_is_a_number() {
        assert_eq!(kept_cap(MAX_KEPT_FILES, None), MAX_KEPT_FILES);
        assert_eq!(kept_cap(100, None), 100);
        assert_eq!(kept_cap(0, None), 0);
        assert_eq!(kept_cap(100, Some("0")), 0);
        assert_eq!(kept_cap(0, Some(" 250\n")), 250);
        // Not a number: the setting stands.
        for bad in ["", "lots", "-1", "1e3"] {
            assert_eq!(kept_cap(100, Some(bad)), 100, "{bad:?}");
        }
    }

    #[test]
    fn the_open_file_limit_bounds_the_cap() {
        // 1,024 descriptors: 512 + 128 are kept in reserve, 384 left for /proc files.
        assert_eq!(limit_under(MAX_KEPT_FILES, 1024), 384);
        assert_eq!(limit_under(100, 1024), 100);
        // 600: 512 + 75 in reserve, 13 left; 580: the reserve (584) is more than the limit.
        assert_eq!(limit_under(100, 600), 13);
        assert_eq!(limit_under(100, 580), 0);
        assert_eq!(limit_under(MAX_KEPT_FILES, u64::MAX), MAX_KEPT_FILES);
    }
}
