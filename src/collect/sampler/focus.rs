//! The focused process: stat, status and schedstat of each of its threads, with rates, what `why`
//! adds (time split, migrations, I/O, WAITING), and what was last seen of it once it is gone. Imports only `collect`'s own modules; no `app`, `ui`, `lab`,
//! the lab's data (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::io;
use std::time::{Duration, Instant};

use super::Sampler;
use super::cache::{FocusState, FocusTask};
use super::tasks::thread_from_stat;
use super::tasks::{refresh_tasks, thread_cpu};
use super::why::{Seen, TaskWhy, read_why};
use crate::collect::model::{FocusSample, Pid, ProcessSample, ThreadDetail};
use crate::collect::procfs::{ProcReader, is_gone, parse_schedstat, parse_stat, parse_stat_blkio_ticks, parse_status};
use crate::collect::rates;

impl Sampler {
    /// stat + status + schedstat of every thread of the focused process.
    pub(super) fn sample_focus(
        &mut self,
        pid: Pid,
        current: Option<(ProcessSample, f64)>,
        elapsed: Duration,
        (now, started): (Instant, Instant),
        vanished: &mut u32,
    ) -> FocusSample {
        let Some((process, cores_in_use)) = current else {
            return self.focus_gone(pid);
        };
        let hz = self.hz;
        let expected = self.reader.is_live().then_some(process.num_threads as usize);
        let FocusState { tasks, why, .. } = &mut self.focus;
        let delayacct = why.begin(&mut self.reader, self.seq, now);
        let read = |reader: &mut ProcReader, t: &mut FocusTask| {
            let tid = t.tid;
            let buf = reader.read_kept(&mut t.stat, Some(pid), Some(tid), "stat").ok()?;
            let blkio = if delayacct { parse_stat_blkio_ticks(buf) } else { None };
            let st = parse_stat(buf).filter(|st| st.pid == tid)?;
            let (ticks, start_ticks) = (st.cpu_ticks(), st.starttime);
            let same = t.start_ticks == Some(start_ticks);
            let cpu = if same { thread_cpu(t.ticks, ticks, hz, elapsed) } else { 0.0 };
            let thread = thread_from_stat(&st, hz, cpu);
            // A new thread (or a reused TID) has no history.
            let prev = |v: Option<u64>| if same { v } else { None };
            let (prev_vol, prev_nonvol, prev_wait) = (prev(t.voluntary), prev(t.nonvoluntary), prev(t.wait_ns));
            if !same {
                t.why = TaskWhy::default();
            }

            // status and schedstat may be gone by now, or schedstat absent (no CONFIG_SCHEDSTATS):
            // the thread stays, with those columns unknown.
            let status = reader
                .read_kept(&mut t.status, Some(pid), Some(tid), "status")
                .ok()
                .and_then(parse_status)
                .unwrap_or_default();
            let sched =
                reader.read_kept(&mut t.schedstat, Some(pid), Some(tid), "schedstat").ok().and_then(parse_schedstat);
            // The thread's own clock for its time split: its files are read up to tens of ms
            // after the sample's start in a process of thousands of threads. On the sample's
            // clock (which tests choose), moved on by the time this sample has taken so far.
            let at = now + started.elapsed();
            let wait_ns = sched.map(|s| s.wait_ns);
            let voluntary = status.voluntary_ctxt_switches;
            let nonvoluntary = status.nonvoluntary_ctxt_switches;
            let rate = |p: Option<u64>, c: Option<u64>| rates::per_sec(p?, c?, elapsed);
            (t.start_ticks, t.ticks, t.voluntary, t.nonvoluntary, t.wait_ns) =
                (Some(start_ticks), ticks, voluntary, nonvoluntary, wait_ns);
            let seen = Seen { pid, tid, state: thread.state, last_cpu: thread.last_cpu, sched, blkio, at, hz };
            let w = read_why(reader, why, &mut t.why, &seen);
            Some(ThreadDetail {
                is_main: tid == pid,
                voluntary,
                nonvoluntary,
                voluntary_per_sec: rate(prev_vol, voluntary),
                nonvoluntary_per_sec: rate(prev_nonvol, nonvoluntary),
                wait_percent: prev_wait.zip(wait_ns).and_then(|(p, c)| rates::wait_percent(p, c, elapsed)),
                split: w.split,
                split_window: w.split_window,
                migrations: w.migrations,
                migrations_per_sec: w.migrations_per_sec,
                waiting: w.waiting,
                io: w.io,
                thread,
            })
        };
        let threads = match refresh_tasks(&mut self.reader, &mut self.scratch, pid, expected, tasks, vanished, read) {
            Ok(threads) => threads,
            Err(e) => {
                if is_gone(&e) {
                    return self.focus_gone(pid);
                }
                let path = self.reader.root().join(pid.to_string()).join("task");
                let error = if e.kind() == io::ErrorKind::PermissionDenied {
                    format!("permission denied reading {}", path.display())
                } else {
                    format!("cannot read {}: {e}", path.display())
                };
                return FocusSample {
                    pid,
                    process: Some(process),
                    alive: true,
                    error: Some(error),
                    threads: Vec::new(),
                    cores_in_use,
                    ..FocusSample::default()
                };
            }
        };
        let why = &self.focus.why;
        FocusSample {
            pid,
            process: Some(process),
            alive: true,
            error: None,
            threads,
            cores_in_use,
            delay_accounting: delayacct,
            waiting_denied: why.denied,
            migrations_exact: why.migrations_exact(),
            python: None,
        }
    }

    /// The focused process is not there (any more): keep what was last seen of it.
    fn focus_gone(&mut self, pid: Pid) -> FocusSample {
        self.focus.tasks.clear();
        match &self.focus.last {
            Some(last) if last.process.is_some() => {
                FocusSample { alive: false, error: None, cores_in_use: 0.0, python: None, ..FocusSample::clone(last) }
            }
            _ => FocusSample {
                pid,
                process: None,
                alive: false,
                error: Some(format!("no such process: {pid}")),
                threads: Vec::new(),
                cores_in_use: 0.0,
                ..FocusSample::default()
            },
        }
    }
}
