//! The threads of one process, kept from tick to tick: `task/` is listed again only when the thread
//! set may have changed. Imports only `collect`'s own modules; no `app`, `ui`, `lab`, the lab's
//! data (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::io;
use std::time::Duration;

use super::cache::{TaskEntry, TaskScratch, TaskSlot};
use super::tick::thread_from_stat;
use crate::collect::model::{Pid, ThreadSample};
use crate::collect::procfs::{ProcReader, parse_stat};
use crate::collect::rates;

/// Reads every thread of `pid` into `tasks` (its threads from the last call, in listing order,
/// updated in place) with `read`, which returns None for a thread that is gone or unreadable.
/// Returns the rows in listing order, or the error of listing `task/`.
///
/// With `expected` (the process's thread count from its stat, given only under a live procfs):
/// when it equals the number of threads known and every one of them reads, the set is exactly
/// those threads (none left, so none came either) and `task/` is not listed at all. A thread read
/// by a kept file can't be mistaken for another: the file fails once its thread is gone. Any
/// doubt (a count that differs, a thread gone) lists `task/` and carries over the rows already
/// read.
pub(super) fn refresh_tasks<E: TaskSlot, O>(
    reader: &mut ProcReader,
    scratch: &mut TaskScratch,
    pid: Pid,
    expected: Option<usize>,
    tasks: &mut Vec<E>,
    vanished: &mut u32,
    mut read: impl FnMut(&mut ProcReader, &mut E) -> Option<O>,
) -> io::Result<Vec<O>> {
    let mut early: Vec<O> = Vec::with_capacity(expected.unwrap_or(tasks.len()));
    if expected.is_some_and(|n| n > 0 && n == tasks.len()) {
        for e in tasks.iter_mut() {
            match read(reader, e) {
                Some(o) => early.push(o),
                None => break,
            }
        }
        if early.len() == tasks.len() {
            return Ok(early);
        }
    }

    let listed = reader.list_tasks(pid, &mut scratch.tids);
    if let Err(e) = listed {
        tasks.clear();
        return Err(e);
    }
    let read_before = early.len();
    let mut early: Vec<Option<O>> = early.into_iter().map(Some).collect();
    let mut old = std::mem::take(tasks);
    scratch.index.clear();
    scratch.index.extend(old.iter().enumerate().map(|(i, e)| (e.tid(), i)));
    let mut out = Vec::with_capacity(scratch.tids.len());
    tasks.reserve(scratch.tids.len());
    for &tid in &scratch.tids {
        let (mut e, row) = match scratch.index.remove(&tid) {
            Some(i) => {
                let row = if i < read_before { early[i].take() } else { None };
                (std::mem::take(&mut old[i]), row)
            }
            None => (E::with_tid(tid), None),
        };
        match row.or_else(|| read(reader, &mut e)) {
            Some(o) => {
                out.push(o);
                tasks.push(e);
            }
            None => *vanished += 1,
        }
    }
    Ok(out)
}

/// One `task/TID/stat` per thread, for all-threads mode. A thread that can't be listed (the
/// process exited after its stat was read) gives no rows.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_threads(
    reader: &mut ProcReader,
    scratch: &mut TaskScratch,
    pid: Pid,
    expected: Option<usize>,
    tasks: &mut Vec<TaskEntry>,
    hz: u64,
    elapsed: Duration,
    vanished: &mut u32,
) -> Vec<ThreadSample> {
    let read = |reader: &mut ProcReader, e: &mut TaskEntry| {
        let st = parse_stat(reader.read_kept(&mut e.stat, Some(pid), Some(e.tid), "stat").ok()?)
            .filter(|st| st.pid == e.tid)?;
        let ticks = st.cpu_ticks();
        let cpu = if e.start_ticks == Some(st.starttime) { thread_cpu(e.ticks, ticks, hz, elapsed) } else { 0.0 };
        (e.start_ticks, e.ticks) = (Some(st.starttime), ticks);
        Some(thread_from_stat(&st, hz, cpu))
    };
    refresh_tasks(reader, scratch, pid, expected, tasks, vanished, read).unwrap_or_default()
}

/// One thread can't use more than one core; tick rounding can make it look like it did.
pub(super) fn thread_cpu(prev: u64, cur: u64, hz: u64, elapsed: Duration) -> f32 {
    rates::cpu_percent(prev, cur, hz, elapsed).min(100.0)
}
