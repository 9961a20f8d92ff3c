//! What runs inside the lifecycle demo's process (`threadtop __workload lifecycle`): one
//! process that walks slowly through the states /proc shows, reporting the step it is on as its
//! progress (`ops` = the step's index in `catalog::LIFECYCLE_STEPS`):
//! created, running (spins: R), sleeping (a timer: S), disk (fsyncs of big writes to a file
//! already unlinked, so nothing is left on any way out, SIGKILL included: D while the disk
//! works), stopped (asks its supervisor for SIGSTOP, then SIGCONT: T), then it exits and its
//! supervisor leaves it a zombie (Z) for a step before reaping it. A plain std process; its
//! supervisor armed PDEATHSIG and gave it its own process group. Imports only `model` of ours.

use std::fs::{File, OpenOptions};
use std::hint::black_box;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::FromRawFd;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::protocol::{EndCause, Report};
use crate::model::catalog;

/// How often waits look for a stop signal, a lost parent or SIGCONT: each look is a moment in R
/// that the sleeping step's readings may catch, so not too often.
const POLL: Duration = Duration::from_millis(50);
/// One round of the disk step: this much written, then fsync'd.
const DISK_ROUND: usize = 32 << 20;
const DISK_CHUNK: usize = 1 << 20;

struct Walk {
    out: Option<File>,
    index: u32,
    deadline: Instant,
    parent: Option<rustix::process::Pid>,
    /// The supervisor's end of the report pipe is gone.
    lost: bool,
    signalled: Arc<AtomicBool>,
    continued: Arc<AtomicBool>,
    step: u64,
}

impl Walk {
    fn send(&mut self, report: &Report) {
        if let Some(out) = self.out.as_mut()
            && out.write_all(format!("{report}\n").as_bytes()).is_err()
        {
            self.out = None;
            self.lost = true;
        }
    }

    fn cpu_ns() -> u64 {
        let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
        let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(u64::try_from(ts.tv_nsec).unwrap_or(0))
    }

    fn end_cause(&self) -> Option<EndCause> {
        if self.signalled.load(Ordering::Relaxed) {
            return Some(EndCause::Signal);
        }
        if rustix::process::getppid() != self.parent || self.lost {
            return Some(EndCause::Orphan);
        }
        (Instant::now() >= self.deadline).then_some(EndCause::Deadline)
    }

    /// Starts step `i` and says so.
    fn enter(&mut self, i: u64) -> Result<(), EndCause> {
        if let Some(cause) = self.end_cause() {
            return Err(cause);
        }
        self.step = i;
        self.send(&Report::Progress { index: self.index, ops: i, cpu_ns: Self::cpu_ns() });
        Ok(())
    }

    /// Sleeps until `until` or an end; `wake` may end the wait early.
    fn sleep_until(&self, until: Instant, wake: impl Fn() -> bool) -> Result<(), EndCause> {
        loop {
            if let Some(cause) = self.end_cause() {
                return Err(cause);
            }
            let now = Instant::now();
            if now >= until || wake() {
                return Ok(());
            }
            thread::sleep(POLL.min(until - now));
        }
    }

    fn walk(&mut self) -> Result<(), EndCause> {
        let step = Duration::from_millis(catalog::LIFECYCLE_STEP_MS);
        self.enter(0)?;
        self.sleep_until(Instant::now() + step / 2, || false)?;

        self.enter(1)?;
        let until = Instant::now() + step;
        let mut x = 1u64;
        while Instant::now() < until {
            if let Some(cause) = self.end_cause() {
                return Err(cause);
            }
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x = black_box(x);
            }
        }

        self.enter(2)?;
        self.sleep_until(Instant::now() + step, || false)?;

        self.enter(3)?;
        self.disk(Instant::now() + step)?;

        self.enter(4)?;
        self.continued.store(false, Ordering::SeqCst);
        self.send(&Report::StopMe { index: self.index, ms: catalog::LIFECYCLE_STEP_MS });
        // SIGSTOP comes, then SIGCONT; if neither does (run by hand), the walk goes on.
        let continued = Arc::clone(&self.continued);
        self.sleep_until(Instant::now() + step * 3, || continued.load(Ordering::SeqCst))?;

        // Its exit is the zombie step: the supervisor reaps it one step later.
        self.step = 5;
        Ok(())
    }

    /// Writes and fsyncs rounds of DISK_ROUND bytes until `until`, to a file removed right
    /// after it was created (its blocks go when the file is closed, by whatever exit).
    fn disk(&self, until: Instant) -> Result<(), EndCause> {
        let path = std::env::temp_dir().join(format!("threadtop-lifecycle-{}", std::process::id()));
        let file = OpenOptions::new().write(true).create_new(true).open(&path);
        let _ = std::fs::remove_file(&path);
        let Ok(mut file) = file else {
            // No temp dir to write to: the step shows S instead of D, which the result reports.
            return self.sleep_until(until, || false);
        };
        let chunk = vec![0xa5u8; DISK_CHUNK];
        while Instant::now() < until {
            for _ in 0..DISK_ROUND / DISK_CHUNK {
                if let Some(cause) = self.end_cause() {
                    return Err(cause);
                }
                if file.write_all(&chunk).is_err() {
                    return self.sleep_until(until, || false);
                }
            }
            let _ = file.sync_all();
            let _ = file.seek(SeekFrom::Start(0));
        }
        Ok(())
    }
}

/// The lifecycle process's main: named `tt-lifecycle` already by the worker.
pub(super) fn run(duration: Duration, index: u32, report_fd: Option<i32>) -> ExitCode {
    let signalled = Arc::new(AtomicBool::new(false));
    let continued = Arc::new(AtomicBool::new(false));
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let _ = signal_hook::flag::register(signal, Arc::clone(&signalled));
    }
    let _ = signal_hook::flag::register(libc::SIGCONT, Arc::clone(&continued));
    let mut walk = Walk {
        // SAFETY: the supervisor passes --report-fd only after moving its pipe's write end to
        // that fd in pre_exec, and nothing else in this process uses or closes it.
        out: report_fd.map(|fd| unsafe { File::from_raw_fd(fd) }),
        index,
        deadline: Instant::now() + duration,
        parent: rustix::process::getppid(),
        lost: false,
        signalled,
        continued,
        step: 0,
    };
    let cause = match walk.walk() {
        Ok(()) => EndCause::Deadline,
        Err(cause) => cause,
    };
    let report = Report::Done { index, ops: walk.step, cpu_ns: Walk::cpu_ns(), cause };
    walk.send(&report);
    ExitCode::SUCCESS
}
