//! The supervisor: starts demos as child processes of threadtop, follows what they report,
//! enforces their deadlines, stops and reaps them, and tells the app through `LabEvent`s.
//! Knows nothing of the UI.
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
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::process::Signal;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::measure::{Tally, build_result};
use super::protocol::{REPORT_FD, Report};
use super::worker::WorkloadArgs;
use crate::collect::model::Pid;
use crate::model::catalog;
use crate::model::demo::{DemoId, DemoKind, DemoSpec, LabEvent};

/// How long after its duration a demo may take to end by itself before it is sent SIGTERM.
/// Covers exec and start-up on a loaded machine: the worker counts its duration from its own
/// start.
pub(crate) const DEADLINE_SLACK: Duration = Duration::from_secs(2);
/// How long a demo has to end cleanly after SIGTERM before SIGKILL.
pub(crate) const KILL_AFTER: Duration = Duration::from_millis(500);
/// How long to wait for the report pipe to close after SIGKILL before giving up on it.
pub(crate) const GIVE_UP_AFTER: Duration = Duration::from_secs(2);
/// The beat of progress events and of the check for processes that died early.
const TICK: Duration = Duration::from_millis(250);
/// The most `shutdown` waits for demos to stop before it kills what is left.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(3);

/// Demo processes get these file descriptors at least, so that the move to `REPORT_FD` in the
/// child never has the pipe sitting on stdio or on fd 3 itself.
const PIPE_FD_MIN: i32 = 10;

/// Where a demo is in its ending, from the supervisor's side. Pure: the clock is passed in.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ending {
    phase: Phase,
    stopped_early: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Left alone until `term_at` (its deadline plus slack, or now if stopped).
    Running {
        term_at: Instant,
    },
    /// SIGTERM sent; SIGKILL at `kill_at`.
    Terminating {
        kill_at: Instant,
    },
    /// SIGKILL sent; stop waiting for its report pipe at `give_up_at`.
    Killed {
        give_up_at: Instant,
    },
    GivenUp,
}

/// What the supervisor must do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Term,
    Kill,
    GiveUp,
}

impl Ending {
    pub fn new(started: Instant, duration: Duration) -> Ending {
        Ending { phase: Phase::Running { term_at: started + duration + DEADLINE_SLACK }, stopped_early: false }
    }

    /// A stop before the deadline: SIGTERM at once. Later stops change nothing.
    pub fn stop(&mut self, now: Instant) {
        if let Phase::Running { term_at } = self.phase
            && now < term_at
        {
            self.phase = Phase::Running { term_at: now };
            self.stopped_early = true;
        }
    }

    /// The step due at `now`, if any; each step is returned once.
    pub fn due(&mut self, now: Instant) -> Option<Step> {
        match self.phase {
            Phase::Running { term_at } if now >= term_at => {
                self.phase = Phase::Terminating { kill_at: now + KILL_AFTER };
                Some(Step::Term)
            }
            Phase::Terminating { kill_at } if now >= kill_at => {
                self.phase = Phase::Killed { give_up_at: now + GIVE_UP_AFTER };
                Some(Step::Kill)
            }
            Phase::Killed { give_up_at } if now >= give_up_at => {
                self.phase = Phase::GivenUp;
                Some(Step::GiveUp)
            }
            _ => None,
        }
    }

    /// When `due` has something next.
    pub fn next_wake(&self) -> Option<Instant> {
        match self.phase {
            Phase::Running { term_at } => Some(term_at),
            Phase::Terminating { kill_at } => Some(kill_at),
            Phase::Killed { give_up_at } => Some(give_up_at),
            Phase::GivenUp => None,
        }
    }

    /// Whether the supervisor has signalled the demo: deaths by signal are expected then.
    pub fn signalled(&self) -> bool {
        !matches!(self.phase, Phase::Running { .. })
    }

    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }
}

/// What the supervisor and its tasks share: the live demos' processes.
#[derive(Debug, Default)]
struct Registry {
    demos: HashMap<DemoId, Tracked>,
}

#[derive(Debug, Default)]
struct Tracked {
    /// Direct children, and whether each has been reaped.
    children: Vec<(Pid, bool)>,
    /// Processes the children started (zombie children): for `owner_of` only.
    others: Vec<Pid>,
}

impl Registry {
    fn owner_of(&self, pid: Pid) -> Option<DemoId> {
        self.demos.iter().find_map(|(id, t)| {
            let own = t.children.iter().any(|(p, _)| *p == pid) || t.others.contains(&pid);
            own.then_some(*id)
        })
    }

    fn mark_reaped(&mut self, id: DemoId, pid: Pid) {
        if let Some(t) = self.demos.get_mut(&id) {
            for (p, reaped) in &mut t.children {
                if *p == pid {
                    *reaped = true;
                }
            }
        }
    }

    fn kill_everything(&self) {
        for t in self.demos.values() {
            for (pid, reaped) in &t.children {
                if !reaped {
                    signal_group(*pid, Signal::KILL);
                }
            }
        }
    }
}

/// Sends `signal` to the process group led by our child `pid`, which also reaches anything it
/// forked. Never to PID 0 or 1 or ourselves: `kill(-1)` would address every process.
fn signal_group(pid: Pid, signal: Signal) {
    if pid <= 1 {
        return;
    }
    let Some(target) = rustix::process::Pid::from_raw(pid) else {
        return;
    };
    if target == rustix::process::getpid() {
        return;
    }
    if rustix::process::kill_process_group(target, signal).is_err() {
        let _ = rustix::process::kill_process(target, signal);
    }
}

/// Launches, tracks, stops and reaps demos. Create it, and call `launch`, on the thread that
/// lives as long as threadtop (the main thread), inside a tokio runtime (current-thread: its
/// tasks then run on that same thread). Dropping it SIGKILLs every demo process still running.
pub struct Supervisor {
    exe: PathBuf,
    events: mpsc::UnboundedSender<LabEvent>,
    next_id: DemoId,
    home: ThreadId,
    registry: Arc<Mutex<Registry>>,
    stops: HashMap<DemoId, oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Supervisor {
    /// `exe` is threadtop's own binary (see `lab::self_exe`); events go to `events`.
    pub fn new(exe: PathBuf, events: mpsc::UnboundedSender<LabEvent>) -> Supervisor {
        Supervisor {
            exe,
            events,
            next_id: 1,
            home: thread::current().id(),
            registry: Arc::new(Mutex::new(Registry::default())),
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
        let count = if spec.kind == DemoKind::CpuProcs { spec.workers } else { 1 };
        let mut workers: Vec<Worker> = Vec::with_capacity(count as usize);
        for index in 0..count {
            match spawn_worker(&self.exe, spec, index, &pipe_write, parent) {
                Ok(w) => workers.push(w),
                Err(e) => {
                    for w in &workers {
                        signal_group(w.pid, Signal::KILL);
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
            self.registry.lock().kill_everything();
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
        self.registry.lock().kill_everything();
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

/// One direct child of threadtop running `__workload`.
struct Worker {
    pid: Pid,
    name: String,
    child: tokio::process::Child,
    exit: Exit,
}

#[derive(Clone, Copy, Debug)]
enum Exit {
    Running,
    Exited(ExitStatus),
    /// Reaped, but its status could not be read.
    Lost,
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

fn describe_exit(name: &str, status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("{name} exited with status {code}"),
        (None, Some(sig)) => format!("{name} was killed by signal {sig}"),
        _ => format!("{name} ended: {status}"),
    }
}

/// The tokio task that follows one demo from launch to `Finished`.
struct DemoTask {
    id: DemoId,
    spec: DemoSpec,
    started: Instant,
    workers: Vec<Worker>,
    reports: mpsc::UnboundedReceiver<(Instant, Report)>,
    stop: oneshot::Receiver<()>,
    events: mpsc::UnboundedSender<LabEvent>,
    registry: Arc<Mutex<Registry>>,
    tally: Tally,
    failure: Option<String>,
}

impl DemoTask {
    async fn run(mut self) {
        let mut ending = Ending::new(self.started, self.spec.duration);
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut stop_pending = true;
        let mut last_sent = None;
        let mut pipe_closed_at = None;

        while pipe_closed_at.is_none() {
            let wake = ending.next_wake();
            tokio::select! {
                report = self.reports.recv() => match report {
                    Some((at, report)) => self.apply(report, at, &mut ending),
                    None => pipe_closed_at = Some(Instant::now()),
                },
                // A dropped sender (the supervisor is gone) stops the demo as well.
                _ = &mut self.stop, if stop_pending => {
                    stop_pending = false;
                    ending.stop(Instant::now());
                }
                () = sleep_until(wake) => {}
                _ = tick.tick() => {
                    self.check_exits(&mut ending);
                    self.send_progress(&mut last_sent);
                }
            }
            match ending.due(Instant::now()) {
                Some(Step::Term) => self.signal(Signal::TERM),
                Some(Step::Kill) => self.signal(Signal::KILL),
                Some(Step::GiveUp) => break,
                None => {}
            }
        }
        let ended = pipe_closed_at.unwrap_or_else(Instant::now);
        // Whatever is still queued was written before the pipe closed.
        while let Ok((at, report)) = self.reports.try_recv() {
            self.apply(report, at, &mut ending);
        }
        self.reap_all(&ending).await;

        let tracked = self.registry.lock().demos.remove(&self.id);
        let mut pids: Vec<Pid> = self.workers.iter().map(|w| w.pid).collect();
        pids.extend(tracked.map(|t| t.others).unwrap_or_default());
        for pid in &self.tally.others {
            if !pids.contains(pid) {
                pids.push(*pid);
            }
        }
        let stopped_early = ending.stopped_early() || self.tally.ended_early();
        let result =
            build_result(&self.spec, ended.saturating_duration_since(self.started), &self.tally, pids, stopped_early);
        if let Some(reason) = self.failure.take() {
            let _ = self.events.send(LabEvent::Failed { id: self.id, reason });
        }
        let _ = self.events.send(LabEvent::Finished { id: self.id, result });
    }

    fn apply(&mut self, report: Report, at: Instant, ending: &mut Ending) {
        if let Report::Child { pid, .. } = &report
            && let Some(t) = self.registry.lock().demos.get_mut(&self.id)
            && !t.others.contains(pid)
        {
            t.others.push(*pid);
        }
        let had_error = self.tally.error.is_some();
        self.tally.apply(report, at.saturating_duration_since(self.started));
        if !had_error && let Some(e) = &self.tally.error {
            self.failure.get_or_insert_with(|| e.clone());
            ending.stop(Instant::now());
        }
    }

    /// Reaps children that have exited; one dying unasked fails the demo and stops the rest.
    fn check_exits(&mut self, ending: &mut Ending) {
        for w in &mut self.workers {
            if !matches!(w.exit, Exit::Running) {
                continue;
            }
            let exit = match w.child.try_wait() {
                Ok(None) => continue,
                Ok(Some(status)) => Exit::Exited(status),
                Err(_) => Exit::Lost,
            };
            // No await between the reaping above and this mark: on a current-thread runtime
            // nothing can signal the reaped PID in between.
            self.registry.lock().mark_reaped(self.id, w.pid);
            w.exit = exit;
            if !ending.signalled()
                && let Exit::Exited(status) = exit
                && !status.success()
            {
                self.failure.get_or_insert_with(|| describe_exit(&w.name, status));
                ending.stop(Instant::now());
            }
        }
    }

    fn send_progress(&self, last_sent: &mut Option<(u64, Duration)>) {
        let now = (self.tally.ops(), self.tally.cpu());
        if *last_sent == Some(now) {
            return;
        }
        *last_sent = Some(now);
        let _ = self.events.send(self.tally.progress_event(self.id, self.started.elapsed()));
    }

    fn signal(&self, signal: Signal) {
        for w in &self.workers {
            if matches!(w.exit, Exit::Running) {
                signal_group(w.pid, signal);
            }
        }
    }

    /// Waits for every child; the pipe has closed, so they are exiting or gone.
    async fn reap_all(&mut self, ending: &Ending) {
        for w in &mut self.workers {
            if !matches!(w.exit, Exit::Running) {
                continue;
            }
            let status = match tokio::time::timeout(GIVE_UP_AFTER, w.child.wait()).await {
                Ok(status) => status,
                Err(_) => {
                    signal_group(w.pid, Signal::KILL);
                    w.child.wait().await
                }
            };
            self.registry.lock().mark_reaped(self.id, w.pid);
            w.exit = match status {
                Ok(s) => Exit::Exited(s),
                Err(_) => Exit::Lost,
            };
            if !ending.signalled()
                && let Ok(s) = status
                && !s.success()
            {
                self.failure.get_or_insert_with(|| describe_exit(&w.name, s));
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_demo_is_left_alone_until_its_deadline_and_slack() {
        let t0 = Instant::now();
        let mut e = Ending::new(t0, ms(2000));
        assert_eq!(e.next_wake(), Some(t0 + ms(2000) + DEADLINE_SLACK));
        assert_eq!(e.due(t0 + ms(1999)), None);
        assert_eq!(e.due(t0 + ms(2000) + DEADLINE_SLACK - ms(1)), None);
        assert!(!e.signalled());
        let t = t0 + ms(2000) + DEADLINE_SLACK;
        assert_eq!(e.due(t), Some(Step::Term));
        assert!(e.signalled());
        // Reaching the deadline is not stopping early.
        assert!(!e.stopped_early());
        assert_eq!(e.due(t), None);
        assert_eq!(e.due(t + KILL_AFTER - ms(1)), None);
        assert_eq!(e.due(t + KILL_AFTER), Some(Step::Kill));
        assert_eq!(e.due(t + KILL_AFTER), None);
        assert_eq!(e.due(t + KILL_AFTER + GIVE_UP_AFTER), Some(Step::GiveUp));
        assert_eq!(e.next_wake(), None);
        assert_eq!(e.due(t + Duration::from_secs(3600)), None);
    }

    #[test]
    fn a_stop_terms_at_once_then_kills() {
        let t0 = Instant::now();
        let mut e = Ending::new(t0, ms(60_000));
        let t = t0 + ms(1500);
        e.stop(t);
        assert!(e.stopped_early());
        assert_eq!(e.next_wake(), Some(t));
        assert_eq!(e.due(t), Some(Step::Term));
        // A second stop neither restarts the ending nor delays the kill.
        e.stop(t + ms(100));
        assert_eq!(e.due(t + KILL_AFTER), Some(Step::Kill));
    }

    #[test]
    fn a_stop_after_the_deadline_is_not_early() {
        let t0 = Instant::now();
        let mut e = Ending::new(t0, ms(1000));
        let late = t0 + ms(1000) + DEADLINE_SLACK + ms(1);
        e.stop(late);
        assert!(!e.stopped_early());
        assert_eq!(e.due(late), Some(Step::Term));
    }

    #[test]
    fn registry_owner_and_kill_targets() {
        let mut r = Registry::default();
        r.demos.insert(1, Tracked { children: vec![(100, false), (101, false)], others: vec![] });
        r.demos.insert(2, Tracked { children: vec![(200, false)], others: vec![201] });
        assert_eq!(r.owner_of(101), Some(1));
        assert_eq!(r.owner_of(201), Some(2));
        assert_eq!(r.owner_of(300), None);
        r.mark_reaped(1, 101);
        assert_eq!(r.demos[&1].children, vec![(100, false), (101, true)]);
        // A reaped child still belongs to its demo until the demo ends.
        assert_eq!(r.owner_of(101), Some(1));
    }

    #[test]
    fn signal_group_never_addresses_everyone() {
        // These would be kill(0)/kill(-1)/our own group: each must be a no-op, and the test
        // surviving proves it.
        signal_group(0, Signal::TERM);
        signal_group(1, Signal::CONT);
        signal_group(-1, Signal::CONT);
        signal_group(rustix::process::getpid().as_raw_pid(), Signal::CONT);
    }

    #[test]
    fn exits_are_described() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(describe_exit("tt-cpu-proc-1", ExitStatus::from_raw(9)), "tt-cpu-proc-1 was killed by signal 9");
        assert_eq!(describe_exit("tt-zombie-par", ExitStatus::from_raw(1 << 8)), "tt-zombie-par exited with status 1");
    }
}
