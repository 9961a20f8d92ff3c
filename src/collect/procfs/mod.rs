//! Lean /proc reading for the sampler: the hand parsers of the hot files (`stat` in `stat`;
//! `status`, `schedstat`, `statm`, `cmdline` in `parse`; the focused threads' `syscall`, `wchan`,
//! `sched`, `io` in `task`), the reader of the proc root with its
//! kept-open files (`reader`) and the budget of descriptors they may use (`budget`). Part of
//! `collect`: imports neither `app` nor `ui` nor `lab` nor the lab's data (`crate::model::{demo,
//! experiment}`), and no ratatui or crossterm.
//!
//! Hand parsers, not the procfs crate, for these files: they are read once per task per sample, and
//! ours allocate nothing and convert only the fields used. Measured on the same bytes
//! (`hand_parsers_against_the_procfs_crate` below, in release; raw output in
//! benches/results/2026-12-01-8508c6d-procfs-parsers.txt): a `stat` line takes ours 220-300 ns and
//! the crate 770-1,740 ns (3.5-7.4x), a `status` file 450-630 ns against 12,200-14,300 ns (23-29x).
//! The crate serves the cold paths (`control`'s inspect views, read once per key press).

use std::io;

mod budget;
mod parse;
mod reader;
mod stat;
mod task;

pub use budget::{FdBudget, KEPT_FILES_ENV, KeptFile, MAX_KEPT_FILES, raise_fd_limit};
pub use parse::{
    SchedStat, Statm, Status, cmdline_to_string, parse_i64, parse_io, parse_schedstat, parse_statm, parse_status,
    parse_u64,
};
pub use reader::ProcReader;
pub use stat::{PF_KTHREAD, Stat, parse_stat};
pub use task::{SyscallLine, parse_sched_migrations, parse_stat_blkio_ticks, parse_syscall, parse_wchan};

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

#[cfg(test)]
mod tests {
    use std::hint::black_box;
    use std::time::Instant;

    use ::procfs::FromRead;

    use super::*;

    /// Why the hot files keep hand parsers, measured: the procfs crate's parse of this machine's
    /// `stat` and `status` files against ours, on the same bytes (no reads timed). Run with
    /// `cargo test --release --lib hand_parsers_against_the_procfs_crate -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement; run it in release"]
    fn hand_parsers_against_the_procfs_crate() {
        struct Files {
            stat: Vec<u8>,
            status: Vec<u8>,
        }
        let mut files: Vec<Files> = Vec::new();
        for e in std::fs::read_dir("/proc").unwrap().flatten() {
            if !e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())) {
                continue;
            }
            if let (Ok(stat), Ok(status)) =
                (std::fs::read(e.path().join("stat")), std::fs::read(e.path().join("status")))
            {
                files.push(Files { stat, status });
            }
        }
        assert!(!files.is_empty());
        let rounds = 50;
        let time = |f: &dyn Fn(&[u8]) -> bool, pick: fn(&Files) -> &[u8]| {
            let start = Instant::now();
            for _ in 0..rounds {
                for file in &files {
                    assert!(black_box(f(black_box(pick(file)))));
                }
            }
            start.elapsed().as_secs_f64() * 1e9 / (rounds * files.len()) as f64
        };
        fn stat(f: &Files) -> &[u8] {
            &f.stat
        }
        fn status(f: &Files) -> &[u8] {
            &f.status
        }
        let ours_stat = time(&|b| parse_stat(b).is_some(), stat);
        let crate_stat = time(&|b| ::procfs::process::Stat::from_read(b).is_ok(), stat);
        let ours_status = time(&|b| parse_status(b).is_some(), status);
        let crate_status = time(&|b| ::procfs::process::Status::from_read(b).is_ok(), status);
        println!(
            "{} processes x {rounds} rounds, ns per file: stat ours {ours_stat:.0}, procfs crate {crate_stat:.0} \
             ({:.1}x); status ours {ours_status:.0}, procfs crate {crate_status:.0} ({:.1}x)",
            files.len(),
            crate_stat / ours_stat,
            crate_status / ours_status,
        );
    }
}
