//! The I/O concurrency experiment, seed 003's timing generalised: N tasks that each wait,
//! run one after another, in N threads at once, and in N processes at once. Waiting needs
//! concurrency, not cores: sequential takes about N × wait, threads about wait, processes about
//! wait plus what starting N processes costs.
//!
//! Each mode's wall time runs from just before its first task is started to the end of its last
//! task (the thread's own clock after its wait; for a process, when it was reaped).
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{Ctx, STEP_OVERHEAD, machine_here, now_rfc3339};
use crate::lab::worker::{IO_TASK, WorkloadArgs};
use crate::model::catalog;
use crate::model::experiment::{ExperimentEvent, ExperimentKind, ExperimentResult, IoConfig, IoResult, StepPlan};

/// How often the gauge of a running mode moves.
const TICK: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Sequential,
    Threads,
    Processes,
}

const MODES: [Mode; 3] = [Mode::Sequential, Mode::Threads, Mode::Processes];

pub(super) async fn run(config: &IoConfig, ctx: &mut Ctx) -> ExperimentEvent {
    let (n, wait) = (config.tasks, config.wait);
    let secs = wait.as_secs_f64();
    let plan = vec![
        StepPlan { label: format!("sequential: {n} waits of {secs:.2} s, one after another"), expected: wait * n },
        StepPlan { label: format!("threads: {n} threads waiting {secs:.2} s at once"), expected: wait },
        StepPlan {
            label: format!("processes: {n} processes waiting {secs:.2} s at once"),
            expected: wait + STEP_OVERHEAD,
        },
    ];
    ctx.send(ExperimentEvent::Planned { kind: ExperimentKind::Io, steps: plan });
    let mut result = IoResult {
        n,
        wait_seconds: secs,
        sequential_s: None,
        threads_s: None,
        processes_s: None,
        logical_cores: catalog::logical_cores(),
        cancelled: false,
        started_at: now_rfc3339(),
        machine: Some(Box::new(machine_here())),
    };
    let mut failure = None;
    for (index, mode) in MODES.into_iter().enumerate() {
        if ctx.cancel.is_set() {
            result.cancelled = true;
            break;
        }
        ctx.send(ExperimentEvent::StepStarted { index });
        let started = Instant::now();
        let outcome = match mode {
            Mode::Sequential | Mode::Threads => in_threads(mode, n, wait, index, ctx).await,
            Mode::Processes => in_processes(n, wait, index, ctx).await,
        };
        let wall = match outcome {
            Ok(Some(wall)) => wall.as_secs_f64(),
            Ok(None) => {
                result.cancelled = true;
                break;
            }
            Err(reason) => {
                failure = Some(reason);
                break;
            }
        };
        match mode {
            Mode::Sequential => result.sequential_s = Some(wall),
            Mode::Threads => result.threads_s = Some(wall),
            Mode::Processes => result.processes_s = Some(wall),
        }
        ctx.send(ExperimentEvent::StepDone {
            index,
            took: started.elapsed(),
            summary: format!("{wall:.3} s"),
            result: ExperimentResult::Io(result.clone()),
        });
    }
    let measured = result.sequential_s.is_some();
    match failure {
        Some(reason) => ExperimentEvent::Failed { reason, result: measured.then_some(ExperimentResult::Io(result)) },
        None if result.cancelled => ExperimentEvent::Cancelled { result: ExperimentResult::Io(result) },
        None => ExperimentEvent::Finished { result: ExperimentResult::Io(result) },
    }
}

/// What a task waits on: a timed wait on a condition variable, the way a thread blocks on a
/// reply that has not come. Like a sleep, but the experiment can end it early when cancelled,
/// so that no thread of threadtop lingers for minutes.
#[derive(Default)]
struct Waiter {
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Waiter {
    /// Waits `d`; false when stopped early.
    fn wait(&self, d: Duration) -> bool {
        let guard = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self.wake.wait_timeout_while(guard, d, |stop| !*stop).unwrap_or_else(|e| e.into_inner());
        !*guard
    }

    fn stop(&self) {
        *self.stop.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.wake.notify_all();
    }
}

/// Stops the waits when dropped: if the runner's task is dropped mid-wait (its runtime shut
/// down), the threads end at once instead of sitting out N × wait.
struct StopOnDrop(Arc<Waiter>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Sequential: one thread does the N waits in a row. Threads: N threads wait at once. The wall
/// time, or None when cancelled.
async fn in_threads(
    mode: Mode,
    n: u32,
    wait: Duration,
    index: usize,
    ctx: &mut Ctx,
) -> Result<Option<Duration>, String> {
    let waiter = Arc::new(Waiter::default());
    let _stop_on_drop = StopOnDrop(Arc::clone(&waiter));
    let (tx, mut done) = mpsc::unbounded_channel::<(Instant, bool)>();
    let (threads, waits) = if mode == Mode::Sequential { (1, n) } else { (n, 1) };
    let started = Instant::now();
    let mut spawned = 0;
    let mut failure = None;
    for i in 0..threads {
        let (task_waiter, tx) = (Arc::clone(&waiter), tx.clone());
        let name = if mode == Mode::Sequential { "io-seq".to_owned() } else { format!("io-task-{i}") };
        let spawn = thread::Builder::new().name(name).stack_size(64 << 10).spawn(move || {
            let completed = (0..waits).all(|_| task_waiter.wait(wait));
            let _ = tx.send((Instant::now(), completed));
        });
        match spawn {
            Ok(_) => spawned += 1,
            Err(e) => {
                failure = Some(format!("cannot start thread {i}: {e}"));
                waiter.stop();
                break;
            }
        }
    }
    drop(tx);
    let mut last_end = started;
    let mut cancelled = false;
    let mut tick = tokio::time::interval(TICK);
    let mut finished = 0;
    while finished < spawned {
        tokio::select! {
            msg = done.recv() => match msg {
                Some((end, completed)) => {
                    finished += 1;
                    last_end = last_end.max(end);
                    if !completed && !cancelled && failure.is_none() {
                        failure = Some("a waiting thread was stopped".to_owned());
                    }
                }
                None => break,
            },
            () = ctx.cancel.wait(), if !cancelled => {
                cancelled = true;
                waiter.stop();
            }
            _ = tick.tick() => progress(ctx, index, started),
        }
    }
    if let Some(reason) = failure {
        return Err(reason);
    }
    Ok((!cancelled).then(|| last_end.duration_since(started)))
}

/// N processes of threadtop's own binary (`__workload io-task`), each waiting, all at once;
/// the wall time includes starting and reaping them. None when cancelled.
async fn in_processes(n: u32, wait: Duration, index: usize, ctx: &mut Ctx) -> Result<Option<Duration>, String> {
    let started = Instant::now();
    let mut children = Vec::with_capacity(n as usize);
    let mut failure = None;
    for i in 0..n {
        match spawn_task(&ctx.exe, wait, i) {
            Ok(child) => children.push(child),
            Err(e) => {
                failure = Some(format!("cannot start tt-io-task-{i}: {e}"));
                break;
            }
        }
    }
    let mut tick = tokio::time::interval(TICK);
    let mut next = 0;
    let mut cancelled = false;
    while failure.is_none() && !cancelled && next < children.len() {
        enum Woke {
            Reaped(std::io::Result<std::process::ExitStatus>),
            Cancel,
            Tick,
        }
        let woke = tokio::select! {
            status = children[next].wait() => Woke::Reaped(status),
            () = ctx.cancel.wait() => Woke::Cancel,
            _ = tick.tick() => Woke::Tick,
        };
        match woke {
            Woke::Reaped(Ok(status)) if status.success() => next += 1,
            Woke::Reaped(Ok(status)) => failure = Some(format!("tt-io-task-{next} ended with {status}")),
            Woke::Reaped(Err(e)) => failure = Some(format!("cannot wait for tt-io-task-{next}: {e}")),
            Woke::Cancel => cancelled = true,
            Woke::Tick => progress(ctx, index, started),
        }
    }
    let wall = started.elapsed();
    // On a failure or a cancel, the rest are killed; every one is reaped before returning.
    for child in &mut children[next..] {
        let _ = child.start_kill();
        let _ = child.wait().await;
    }
    if let Some(reason) = failure {
        return Err(reason);
    }
    Ok((!cancelled).then_some(wall))
}

fn spawn_task(exe: &std::path::Path, wait: Duration, index: u32) -> std::io::Result<tokio::process::Child> {
    let task =
        WorkloadArgs { kind: IO_TASK.to_owned(), workers: None, seconds: wait.as_secs_f64(), index, report_fd: None };
    let mut cmd = tokio::process::Command::new(exe);
    cmd.arg0("threadtop")
        .arg("__workload")
        .args(task.to_args())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        // Out of the terminal's foreground group: a Ctrl-C reaches threadtop only.
        .process_group(0)
        .kill_on_drop(true);
    crate::lab::child::arm_pdeathsig(&mut cmd);
    cmd.spawn()
}

fn progress(ctx: &Ctx, index: usize, started: Instant) {
    ctx.send(ExperimentEvent::StepProgress { index, elapsed: started.elapsed(), ops_per_sec: None, cores: None });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_waits_its_time_unless_stopped() {
        let w = Waiter::default();
        let t = Instant::now();
        assert!(w.wait(Duration::from_millis(30)));
        assert!(t.elapsed() >= Duration::from_millis(30));
        let w = Arc::new(Waiter::default());
        let w2 = Arc::clone(&w);
        let h = thread::spawn(move || w2.wait(Duration::from_secs(30)));
        thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        w.stop();
        assert!(!h.join().unwrap());
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
