//! The supervisor: starts demos as child processes of threadtop (the spawn side: the report
//! pipe, the worker's command line, PDEATHSIG), hands each to a `demo_task` that follows, stops
//! and reaps it, and tells the app through `LabEvent`s. Imports only `collect` and `model`
//! of ours: never app, ui, input, runtime, cli or commands.
//!
//! Safety rules it keeps: children are re-executions of threadtop's own binary with stdio on
//! /dev/null, in their own process group, armed with `PR_SET_PDEATHSIG(SIGKILL)` (checked
//! against the parent PID) before exec, and spawned from the thread that created the
//! supervisor, which must live as long as threadtop (PDEATHSIG fires when the *thread* that
//! forked exits). Signals go to a child's process group only while that child is unreaped, so
//! its PID, and with it the group's, cannot have been reused.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, PipeReader};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::process::Signal;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::demo_task::{DemoTask, Exit, Worker};
use super::ending::GIVE_UP_AFTER;
use super::measure::Tally;
use super::protocol::{REPORT_FD, Report};
use super::registry::{Kill, Registry, Tracked};
use super::worker::WorkloadArgs;
use crate::collect::model::Pid;
use crate::model::catalog;
use crate::model::demo::{DemoId, DemoKind, DemoSpec, LabEvent};

/// The most `shutdown` waits for demos to stop before it kills what is left.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(3);

/// Demo processes get these file descriptors at least, so that the move to `REPORT_FD` in the
/// child never has the pipe sitting on stdio or on fd 3 itself.
const PIPE_FD_MIN: i32 = 10;

/// Launches, tracks, stops and reaps demos. Create it, and call `launch`, on the thread that
/// lives as long as threadtop (the main thread), inside a tokio runtime (current-thread: its
/// tasks then run on that same thread). Dropping it SIGKILLs every demo process still running.
pub struct Supervisor {
    exe: PathBuf,
    events: mpsc::UnboundedSender<LabEvent>,
    next_id: DemoId,
    home: ThreadId,
    registry: Arc<Mutex<Registry>>,
    kill: Kill,
    stops: HashMap<DemoId, oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Supervisor {
    /// `exe` is threadtop's own binary (see `lab::self_exe`); events go to `events`.
    pub fn new(exe: PathBuf, events: mpsc::UnboundedSender<LabEvent>) -> Supervisor {
        Supervisor::with_kill(exe, events, Kill::SYSTEM)
    }

    fn with_kill(exe: PathBuf, events: mpsc::UnboundedSender<LabEvent>, kill: Kill) -> Supervisor {
        Supervisor {
            exe,
            events,
            next_id: 1,
            home: thread::current().id(),
            registry: Arc::new(Mutex::new(Registry::default())),
            kill,
            stops: HashMap::new(),
            tasks: Vec::new(),
        }
    }

    /// Starts a demo now: its processes exist when this returns, and `LabEvent::Started` has
    /// been sent. A refusal (a cap, or a failure to start) returns the reason and also sends
    /// `LabEvent::Refused`; nothing is left running then.
    pub fn launch(&mut self, spec: DemoSpec) -> Result<DemoId, String> {
        match self.try_launch(&spec) {
            Ok(id) => Ok(id),
            Err(reason) => {
                let _ = self.events.send(LabEvent::Refused { spec, reason: reason.clone() });
                Err(reason)
            }
        }
    }

    fn try_launch(&mut self, spec: &DemoSpec) -> Result<DemoId, String> {
        if thread::current().id() != self.home {
            return Err("demos must be launched from the thread that created the lab, \
                        which lives as long as threadtop"
                .to_owned());
        }
        catalog::check(spec, self.running())?;
        // Before anything starts: the memory demo refuses rather than push the machine to swap.
        catalog::memory_check(spec, super::workloads::memory::mem_available_bytes())?;
        if spec.kind.needs_python() {
            // Refused here, with how to get python3, rather than failing after the launch.
            super::python::interpreter()?;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err("the lab needs a tokio runtime to follow its demos".to_owned());
        }
        let (pipe_read, pipe_write) = report_pipe().map_err(|e| format!("cannot create the report pipe: {e}"))?;
        let (report_tx, report_rx) = mpsc::unbounded_channel();
        spawn_report_reader(pipe_read, report_tx).map_err(|e| format!("cannot start the report reader: {e}"))?;

        let parent = rustix::process::getpid();
        let count = match spec.kind {
            DemoKind::CpuProcs => spec.workers,
            // The GIL half, then the free-threaded half (see `python::nogil_half`).
            DemoKind::PyNogil => 2,
            _ => 1,
        };
        let mut workers: Vec<Worker> = Vec::with_capacity(count as usize);
        for index in 0..count {
            match spawn_worker(&self.exe, spec, index, &pipe_write, parent) {
                Ok(w) => workers.push(w),
                Err(e) => {
                    for w in &workers {
                        self.kill.group_of(w.pid, Signal::KILL);
                    }
                    // Dropping the children lets tokio reap them in the background.
                    return Err(format!("cannot start {}: {e}", catalog::process_name(spec.kind, index)));
                }
            }
        }
        // The children hold their copies; with ours closed, the pipe ends when they do.
        drop(pipe_write);
        let started = Instant::now();

        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let pids: Vec<Pid> = workers.iter().map(|w| w.pid).collect();
        self.registry
            .lock()
            .demos
            .insert(id, Tracked { children: pids.iter().map(|p| (*p, false)).collect(), others: Vec::new() });
        let (stop_tx, stop_rx) = oneshot::channel();
        self.stops.insert(id, stop_tx);
        let _ = self.events.send(LabEvent::Started { id, spec: spec.clone(), pids });
        let task = DemoTask {
            id,
            spec: spec.clone(),
            started,
            workers,
            reports: report_rx,
            stop: stop_rx,
            events: self.events.clone(),
            registry: Arc::clone(&self.registry),
            kill: self.kill,
            tally: Tally::default(),
            failure: None,
        };
        self.tasks.retain(|t| !t.is_finished());
        self.tasks.push(tokio::spawn(task.run()));
        let live = &self.registry.lock().demos;
        self.stops.retain(|id, _| live.contains_key(id));
        Ok(id)
    }

    /// Stops a demo early (SIGTERM, then SIGKILL after half a second). Its `Finished` result
    /// still reports what was measured, with `stopped_early`. Unknown or ended ids are ignored.
    pub fn stop(&mut self, id: DemoId) {
        if let Some(tx) = self.stops.remove(&id) {
            let _ = tx.send(());
        }
    }

    /// Stops every running demo.
    pub fn stop_all(&mut self) {
        for (_, tx) in self.stops.drain() {
            let _ = tx.send(());
        }
    }

    /// Stops every demo and waits until all are reaped and their events sent; kills what is
    /// left after a few seconds. Call it before leaving the runtime.
    pub async fn shutdown(&mut self) {
        self.stop_all();
        let mut tasks = std::mem::take(&mut self.tasks);
        let all = async {
            for t in &mut tasks {
                let _ = t.await;
            }
        };
        if tokio::time::timeout(SHUTDOWN_WAIT, all).await.is_err() {
            self.registry.lock().kill_everything(self.kill);
            let rest = async {
                for t in &mut tasks {
                    if !t.is_finished() {
                        let _ = t.await;
                    }
                }
            };
            let _ = tokio::time::timeout(GIVE_UP_AFTER, rest).await;
        }
    }

    /// The running demo that started `pid` (one of its processes, or a zombie child).
    pub fn owner_of(&self, pid: Pid) -> Option<DemoId> {
        self.registry.lock().owner_of(pid)
    }

    /// How many demos are running (launched and not yet reaped).
    pub fn running(&self) -> usize {
        self.registry.lock().demos.len()
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // By process group of each unreaped child, never by name. The tasks' children also
        // have kill_on_drop, for when the runtime drops the tasks.
        self.registry.lock().kill_everything(self.kill);
    }
}

/// A pipe whose write end sits at fd >= PIPE_FD_MIN; both ends close on exec.
// std::io::pipe is stable since 1.87; the crate needs 1.88 already (let chains in cli.rs).
#[allow(clippy::incompatible_msrv)]
fn report_pipe() -> io::Result<(PipeReader, OwnedFd)> {
    let (read, write) = io::pipe()?;
    let write = rustix::io::fcntl_dupfd_cloexec(&write, PIPE_FD_MIN)?;
    Ok((read, write))
}

/// Reads report lines on a plain thread (it only reads: it never spawns, so its lifetime does
/// not matter to PDEATHSIG) until every writer is gone, then drops `tx`, which the demo's task
/// sees as the end of its processes. Each report is stamped here, as it arrives: the live rates
/// divide by the gaps between a process's own reports, and the demo's task, which shares its
/// thread with drawing and sampling in the TUI, may only see them some milliseconds later.
// std::io::PipeReader: see report_pipe.
#[allow(clippy::incompatible_msrv)]
fn spawn_report_reader(read: PipeReader, tx: mpsc::UnboundedSender<(Instant, Report)>) -> io::Result<()> {
    thread::Builder::new().name("lab-reports".to_owned()).stack_size(64 << 10).spawn(move || {
        let mut reader = BufReader::new(read);
        let mut line = Vec::with_capacity(128);
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if let Some(report) = Report::parse(&String::from_utf8_lossy(&line))
                && tx.send((Instant::now(), report)).is_err()
            {
                break;
            }
        }
    })?;
    Ok(())
}

fn spawn_worker(
    exe: &std::path::Path,
    spec: &DemoSpec,
    index: u32,
    pipe_write: &OwnedFd,
    parent: rustix::process::Pid,
) -> io::Result<Worker> {
    let args = WorkloadArgs {
        kind: spec.kind.name().to_owned(),
        workers: Some(if spec.kind == DemoKind::CpuProcs { 1 } else { spec.workers }),
        seconds: spec.duration.as_secs_f64(),
        index,
        report_fd: Some(REPORT_FD),
    };
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg0("threadtop")
        .arg("__workload")
        .args(args.to_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Out of the terminal's foreground group: a Ctrl-C reaches threadtop only.
        .process_group(0)
        .kill_on_drop(true);
    let pipe_fd = pipe_write.as_raw_fd();
    // SAFETY: the closure runs in the forked child before exec and makes only raw system calls
    // (prctl, getppid, dup2), which are async-signal-safe; it allocates nothing (errors are
    // raw OS codes) and touches no lock.
    unsafe {
        cmd.pre_exec(move || {
            rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
            // If threadtop died before the prctl above, the signal will never come.
            if rustix::process::getppid() != Some(parent) {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            // dup2 leaves the copy without close-on-exec: the worker inherits fd 3 only.
            if libc::dup2(pipe_fd, REPORT_FD) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    let pid = child.id().and_then(|p| Pid::try_from(p).ok()).ok_or_else(|| io::Error::other("the child has no PID"))?;
    Ok(Worker { pid, name: catalog::process_name(spec.kind, index), child, exit: Exit::Running })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::registry::tests::{RECORD, recorded};

    #[test]
    fn a_dropped_supervisor_kills_its_unreaped_children_by_group_only() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let lab = Supervisor::with_kill(PathBuf::from("/nonexistent"), tx, RECORD);
        lab.registry
            .lock()
            .demos
            .insert(1, Tracked { children: vec![(4242, false), (4243, true)], others: vec![4244] });
        drop(lab);
        assert_eq!(recorded(), [("group", 4242, Signal::KILL)]);
    }

    #[test]
    fn a_supervisor_with_nothing_running_signals_nothing() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut lab = Supervisor::with_kill(PathBuf::from("/nonexistent"), tx, RECORD);
        lab.stop(1);
        lab.stop_all();
        drop(lab);
        assert_eq!(recorded(), []);
    }
}
