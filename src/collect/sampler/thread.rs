//! The `tt-sampler` thread: samples on a fixed cadence, obeys `Control` messages, and publishes
//! each snapshot over a `watch` channel (a stale one is replaced, never queued). Imports only
//! `collect`'s own modules and tokio's `watch`; no `app`, `ui`, `lab`, the lab's data
//! (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::hook::{TestPanic, panic_if_due};
use super::{Extras, Sampler, SamplerConfig};
use crate::collect::model::{Pid, Snapshot};

/// Messages to the sampler thread.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    /// Fill every process's threads (htop's `H`). Samples at once when it changes.
    AllThreads(bool),
    /// Read this process's threads in detail. Samples at once when it changes.
    Focus(Option<Pid>),
    /// No sampling while paused; resuming samples at once.
    Pause(bool),
    /// Sample now.
    Now,
    /// The focused threads on screen (and a page either side): only they get task/TID/syscall and
    /// wchan read. None: every thread (the default after a focus change).
    Visible(Option<Vec<Pid>>),
    /// Read these per-process extras from now on (metrics served). Samples at once when it
    /// changes.
    Extras(Extras),
    /// The list's IO columns are shown (read `/proc/PID/io`) or not. Samples at once when it
    /// changes.
    IoColumns(bool),
}

/// The latest snapshot, or None before the first. A stale one is replaced, never queued.
pub type SnapshotReceiver = watch::Receiver<Option<Arc<Snapshot>>>;

/// Owns the sampler thread. Dropping it stops and joins the thread at once, mid-interval.
pub struct SamplerHandle {
    tx: Option<mpsc::Sender<Control>>,
    rx: SnapshotReceiver,
    thread: Option<JoinHandle<()>>,
}

impl SamplerHandle {
    /// A receiver of the latest snapshot. If the sampler thread dies (a panic), `changed()`
    /// returns an error.
    pub fn snapshots(&self) -> SnapshotReceiver {
        self.rx.clone()
    }

    /// Ignored once the thread has stopped.
    pub fn send(&self, control: Control) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(control);
        }
    }

    /// False once the thread has ended (it only ends on drop, or by panicking).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for SamplerHandle {
    fn drop(&mut self) {
        // Closing the channel wakes the thread's recv_timeout at once.
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The second sample comes this soon after the first (and after a focus change), so CPU%
/// becomes real quickly instead of after a whole interval.
pub(super) const QUICK_FOLLOW_UP: Duration = Duration::from_millis(250);

/// Starts the `tt-sampler` thread. It samples at once, again ~250 ms later, then every interval.
pub fn spawn(config: SamplerConfig) -> io::Result<SamplerHandle> {
    spawn_inner(config, TestPanic::from_env())
}

pub(super) fn spawn_inner(config: SamplerConfig, test_panic: Option<TestPanic>) -> io::Result<SamplerHandle> {
    let (tx, ctl) = mpsc::channel();
    let (out, rx) = watch::channel(None);
    let thread = std::thread::Builder::new()
        .name("tt-sampler".into())
        .spawn(move || run(Sampler::new(config), &ctl, &out, test_panic))?;
    Ok(SamplerHandle { tx: Some(tx), rx, thread: Some(thread) })
}

fn run(
    mut sampler: Sampler,
    ctl: &mpsc::Receiver<Control>,
    out: &watch::Sender<Option<Arc<Snapshot>>>,
    test_panic: Option<TestPanic>,
) {
    let mut paused = false;
    let mut quick = true;
    let mut next = Instant::now();
    loop {
        let now = Instant::now();
        if !paused && now >= next {
            // The loop's own clock: a snapshot's `elapsed` is then exactly the gap kept here.
            out.send_replace(Some(Arc::new(sampler.sample_at(now))));
            panic_if_due(test_panic.as_ref());
            let interval = sampler.config().interval;
            let gap = if std::mem::take(&mut quick) { QUICK_FOLLOW_UP.min(interval) } else { interval };
            // On the fixed cadence, but when a sample takes longer than the interval (a huge
            // machine), rest as long as it took: the sampler never holds more than half a core.
            let done = Instant::now();
            next = (now + gap).max(done + (done - now));
            continue;
        }
        let wait = if paused { Duration::from_secs(3600) } else { next.saturating_duration_since(now) };
        match ctl.recv_timeout(wait) {
            Ok(Control::AllThreads(on)) => {
                if sampler.set_all_threads(on) {
                    (next, quick) = (now, true);
                }
            }
            Ok(Control::Focus(pid)) => {
                if sampler.set_focus(pid) {
                    (next, quick) = (now, true);
                }
            }
            Ok(Control::Pause(p)) => {
                if paused && !p {
                    (next, quick) = (now, true);
                }
                paused = p;
            }
            Ok(Control::Now) => next = now,
            Ok(Control::Visible(tids)) => sampler.set_visible(tids),
            Ok(Control::Extras(x)) => {
                if sampler.set_extras(x) {
                    (next, quick) = (now, true);
                }
            }
            Ok(Control::IoColumns(on)) => {
                if sampler.set_io_columns(on) {
                    (next, quick) = (now, true);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}
