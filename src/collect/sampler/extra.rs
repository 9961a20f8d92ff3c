//! What is read per process only when something needs it: `/proc/PID/io` (the IO columns,
//! metrics), the main thread's `status` and `schedstat`, and for the processes a `ThreadPick`
//! chooses every thread's `stat`, `status` and `schedstat` (per-thread-name metrics). Kept open
//! under the same fd budget as stat and statm. Imports only `collect`'s own modules; no `app`,
//! `ui`, `lab`, the lab's data (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::cache::{ExtraTask, ProcEntry, TaskScratch};
use super::tasks::refresh_tasks;
use crate::collect::model::{Pid, ProcessExtra, ProcessSample, ThreadExtra};
use crate::collect::procfs::{ProcReader, parse_io, parse_schedstat, parse_stat, parse_status};
use crate::collect::rates;

/// Which processes get every thread read with its counters; called once per listed userland
/// process per tick with its name, cmdline and user filled.
#[derive(Clone)]
pub struct ThreadPick(pub Arc<dyn Fn(&ProcessSample) -> bool + Send + Sync>);

impl fmt::Debug for ThreadPick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ThreadPick(..)")
    }
}

impl PartialEq for ThreadPick {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The per-process files read beyond stat and statm. All off by default: the process list's cost
/// does not move unless a column or the metrics server asks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extras {
    /// `/proc/PID/io` (IO_R/s, IO_W/s, io_bytes_total).
    pub io: bool,
    /// utime/stime split, the main thread's `status` (context switches) and `schedstat`.
    pub sched: bool,
    /// Every thread's counters for the processes it picks.
    pub threads: Option<ThreadPick>,
}

impl Extras {
    pub fn any(&self) -> bool {
        self.io || self.sched || self.threads.is_some()
    }
}

/// What `read_extra` needs from stat, already parsed.
pub(super) struct StatTimes {
    pub(super) utime: u64,
    pub(super) stime: u64,
}

/// Reads what `extras` asks for of one userland process.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_extra(
    reader: &mut ProcReader,
    scratch: &mut TaskScratch,
    e: &mut ProcEntry,
    p: &ProcessSample,
    times: &StatTimes,
    extras: &Extras,
    hz: u64,
    elapsed: Duration,
    vanished: &mut u32,
) -> ProcessExtra {
    let pid = p.pid;
    let mut x = ProcessExtra {
        user_ms: rates::ticks_to_ms(times.utime, hz),
        system_ms: rates::ticks_to_ms(times.stime, hz),
        ..ProcessExtra::default()
    };
    if extras.io && !e.io_denied {
        match reader.read_kept(&mut e.io, Some(pid), None, "io") {
            Ok(buf) => x.io = parse_io(buf),
            // Another user's process: io needs ptrace rights. Asked once per process, not
            // every tick (its row shows `-`).
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => e.io_denied = true,
            Err(_) => {}
        }
        if let (Some(prev), Some(cur)) = (e.prev_io, x.io) {
            x.io_read_per_sec = rates::per_sec(prev.read_bytes, cur.read_bytes, elapsed);
            x.io_write_per_sec = rates::per_sec(prev.write_bytes, cur.write_bytes, elapsed);
        }
        e.prev_io = x.io;
    } else if !extras.io {
        e.io = None;
        e.prev_io = None;
    }
    let picked = extras.threads.as_ref().is_some_and(|pick| (pick.0)(p));
    if picked {
        let expected = reader.is_live().then_some(p.num_threads as usize);
        let read = |reader: &mut ProcReader, t: &mut ExtraTask| read_thread_extra(reader, pid, t, hz);
        x.threads = refresh_tasks(reader, scratch, pid, expected, &mut e.xtasks, vanished, read).unwrap_or_default();
        x.run_delay_ns = x.threads.iter().map(|t| t.run_delay_ns).sum::<Option<u64>>();
    } else if !e.xtasks.is_empty() {
        e.xtasks = Vec::new();
    }
    if extras.sched || picked {
        let status =
            reader.read_kept(&mut e.status, Some(pid), None, "status").ok().and_then(parse_status).unwrap_or_default();
        (x.voluntary, x.nonvoluntary) = (status.voluntary_ctxt_switches, status.nonvoluntary_ctxt_switches);
        if !picked {
            x.run_delay_ns = reader
                .read_kept(&mut e.schedstat, Some(pid), None, "schedstat")
                .ok()
                .and_then(parse_schedstat)
                .map(|s| s.wait_ns);
        }
    } else {
        (e.status, e.schedstat) = (None, None);
    }
    x
}

/// One thread's stat, status and schedstat; None when the thread is gone.
fn read_thread_extra(reader: &mut ProcReader, pid: Pid, t: &mut ExtraTask, hz: u64) -> Option<ThreadExtra> {
    let tid = t.tid;
    let (name, utime, stime) = {
        let st =
            parse_stat(reader.read_kept(&mut t.stat, Some(pid), Some(tid), "stat").ok()?).filter(|st| st.pid == tid)?;
        (st.comm_lossy(), st.utime, st.stime)
    };
    // status or schedstat may be gone by now (the thread exited between reads) or absent (no
    // CONFIG_SCHEDSTATS): the thread stays, with those counters unknown.
    let status =
        reader.read_kept(&mut t.status, Some(pid), Some(tid), "status").ok().and_then(parse_status).unwrap_or_default();
    let run_delay_ns = reader
        .read_kept(&mut t.schedstat, Some(pid), Some(tid), "schedstat")
        .ok()
        .and_then(parse_schedstat)
        .map(|s| s.wait_ns);
    Some(ThreadExtra {
        tid,
        name,
        user_ms: rates::ticks_to_ms(utime, hz),
        system_ms: rates::ticks_to_ms(stime, hz),
        voluntary: status.voluntary_ctxt_switches,
        nonvoluntary: status.nonvoluntary_ctxt_switches,
        run_delay_ns,
    })
}
