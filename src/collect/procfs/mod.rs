//! Lean /proc reading for the sampler: the hand parsers of the hot files (`stat` in `stat`;
//! `status`, `schedstat`, `statm`, `cmdline` in `parse`), the reader of the proc root with its
//! kept-open files (`reader`) and the budget of descriptors they may use (`budget`). Part of
//! `collect`: imports neither `app` nor `ui` nor `lab` nor the lab's data (`crate::model::{demo,
//! experiment}`), and no ratatui or crossterm.
//!
//! Hand parsers, not the procfs crate, for these files: they are read once per task per sample,
//! and ours allocate nothing and convert only the fields used. The crate serves the cold paths
//! (`control`'s inspect views, read once per key press).

use std::io;

mod budget;
mod parse;
mod reader;
mod stat;

pub use budget::{FdBudget, KEPT_FILES_ENV, KeptFile, MAX_KEPT_FILES, raise_fd_limit};
pub use parse::{
    SchedStat, Statm, Status, cmdline_to_string, parse_i64, parse_schedstat, parse_statm, parse_status, parse_u64,
};
pub use reader::ProcReader;
pub use stat::{PF_KTHREAD, Stat, parse_stat};

/// USER_HZ: the unit of the tick counts in `stat`. From libc's sysconf, not rustix's auxv parser:
/// that one reads the vDSO image, which crashes under valgrind (rustix#1559), and callgrind is
/// how the sampler is profiled.
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(v).ok().filter(|&v| v > 0).unwrap_or(100)
}

/// The page size: the unit of `rss` in `stat` and of every field of `statm`.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(v).ok().filter(|&v| v > 0).unwrap_or(4096)
}

/// Why a read failed, as the sampler counts it.
pub fn is_gone(e: &io::Error) -> bool {
    // ESRCH: the task exited after open but before read.
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}
