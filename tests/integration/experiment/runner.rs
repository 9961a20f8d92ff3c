//! The experiment runner as the TUI uses it: `lab::experiment::start` on a current-thread
//! runtime, events in order into `ExperimentState`, cancel through the handle (or by dropping
//! it), and no child left when the last event arrives.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::{Observer, identities, serial, survivors_after};
use threadtop::app::experiment::{ExperimentState, ExperimentStatus};
use threadtop::lab::experiment::{
    self, ExperimentConfig, ExperimentEvent, ExperimentKind, ExperimentResult, IoConfig, ScalingConfig,
};
use threadtop::model::demo::DemoKind;
use tokio::sync::mpsc;

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_threadtop"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Receives events into a state until the last one, polling /proc for our children meanwhile.
async fn follow(
    events: &mut mpsc::UnboundedReceiver<ExperimentEvent>,
    state: &mut ExperimentState,
    obs: &mut Observer,
    mut on_event: impl FnMut(&ExperimentEvent) -> bool,
) -> Vec<ExperimentEvent> {
    let mut seen = Vec::new();
    loop {
        let event = tokio::select! {
            e = events.recv() => e,
            () = tokio::time::sleep(Duration::from_millis(30)) => {
                obs.poll();
                continue;
            }
        };
        let Some(event) = event else { break };
        let last = matches!(
            event,
            ExperimentEvent::Finished { .. } | ExperimentEvent::Cancelled { .. } | ExperimentEvent::Failed { .. }
        );
        let go_on = on_event(&event);
        state.apply(event.clone());
        seen.push(event);
        if last || !go_on {
            break;
        }
    }
    seen
}

#[test]
fn scaling_runs_in_the_tui_runtime_and_cancels_cleanly() {
    let _serial = serial();
    let rt = runtime();
    rt.block_on(async {
        let config = ScalingConfig {
            step: Duration::from_millis(400),
            repeats: 1,
            max_workers: 2,
            kinds: vec![DemoKind::CpuThreads, DemoKind::LockThreads],
        };
        let (tx, mut events) = mpsc::unbounded_channel();
        let handle = experiment::start(ExperimentConfig::Scaling(config), exe(), tx);
        let mut state = ExperimentState::new(ExperimentKind::Scaling);
        let mut obs = Observer::new(std::process::id() as i32);
        // Cancel as soon as the second step has started.
        let mut seen =
            follow(&mut events, &mut state, &mut obs, |e| !matches!(e, ExperimentEvent::StepStarted { index: 1 }))
                .await;
        assert_eq!(state.steps_done, 1);
        assert_eq!(state.current_label(), Some("cpu-threads × 2 (run 1/1)"));
        assert!(state.time_left().is_some());
        handle.cancel();
        state.request_cancel();
        seen.extend(follow(&mut events, &mut state, &mut obs, |_| true).await);
        handle.wait().await;

        assert!(matches!(seen.first(), Some(ExperimentEvent::Planned { steps, .. }) if steps.len() == 4), "{seen:?}");
        assert!(matches!(seen.last(), Some(ExperimentEvent::Cancelled { .. })), "{seen:?}");
        assert!(
            seen.iter().any(|e| matches!(e, ExperimentEvent::StepProgress { index: 0, .. })),
            "no progress: {seen:?}"
        );
        assert_eq!(state.status, ExperimentStatus::Cancelled);
        let Some(ExperimentResult::Scaling(r)) = state.result() else { panic!("{:?}", state.result) };
        assert!(r.cancelled);
        assert_eq!(r.steps.len(), 1, "only the step that ran its time: {r:?}");
        assert_eq!((r.steps[0].kind.as_str(), r.steps[0].workers), ("cpu-threads", 1));
        // The demos ran as our children (the second, cancelled at once, may have come and gone
        // between two looks), and none is left now that the last event came.
        assert!(!obs.named("tt-cpu-threads").is_empty(), "{:?}", obs.seen);
        let left = survivors_after(&identities(&obs), Duration::ZERO);
        assert!(left.is_empty(), "left when Cancelled arrived: {left:?}");
    });
}

#[test]
fn dropping_the_handle_cancels() {
    let _serial = serial();
    let rt = runtime();
    rt.block_on(async {
        let config = IoConfig { tasks: 2, wait: Duration::from_secs(5) };
        let (tx, mut events) = mpsc::unbounded_channel();
        let handle = experiment::start(ExperimentConfig::Io(config), exe(), tx);
        let mut state = ExperimentState::new(ExperimentKind::Io);
        let mut obs = Observer::new(std::process::id() as i32);
        let _ = follow(&mut events, &mut state, &mut obs, |e| !matches!(e, ExperimentEvent::StepStarted { .. })).await;
        let started = std::time::Instant::now();
        drop(handle);
        let seen = follow(&mut events, &mut state, &mut obs, |_| true).await;
        assert!(matches!(seen.last(), Some(ExperimentEvent::Cancelled { .. })), "{seen:?}");
        // The waits are cut short, not sat out (sequential would take 10 s).
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert_eq!(state.status, ExperimentStatus::Cancelled);
    });
}

#[test]
fn io_runs_to_its_end() {
    // Every test here watches this process's children: one at a time, so they see only theirs.
    let _serial = serial();
    let rt = runtime();
    rt.block_on(async {
        let config = IoConfig { tasks: 3, wait: Duration::from_millis(100) };
        let (tx, mut events) = mpsc::unbounded_channel();
        let handle = experiment::start(ExperimentConfig::Io(config), exe(), tx);
        let mut state = ExperimentState::new(ExperimentKind::Io);
        let mut obs = Observer::new(std::process::id() as i32);
        let seen = follow(&mut events, &mut state, &mut obs, |_| true).await;
        handle.wait().await;
        assert!(matches!(seen.last(), Some(ExperimentEvent::Finished { .. })), "{seen:?}");
        assert_eq!(state.status, ExperimentStatus::Finished);
        assert_eq!(state.fraction_done(), 1.0);
        let Some(ExperimentResult::Io(r)) = state.result() else { panic!("{:?}", state.result) };
        // 3 × 0.1 s: sequential takes all three waits, the parallel modes overlap them.
        let (seq, threads, procs) = (r.sequential_s.unwrap(), r.threads_s.unwrap(), r.processes_s.unwrap());
        assert!(seq >= 0.3 - 0.01, "{r:?}");
        assert!(seq >= 1.5 * threads && seq >= 1.5 * procs, "sequential ≫ threads ≈ processes: {r:?}");
        let left = survivors_after(&identities(&obs), Duration::ZERO);
        assert!(left.is_empty(), "left: {left:?}");
    });
}

#[test]
fn a_bad_config_fails_at_once() {
    let rt = runtime();
    rt.block_on(async {
        let (tx, mut events) = mpsc::unbounded_channel();
        let handle =
            experiment::start(ExperimentConfig::Io(IoConfig { tasks: 0, wait: Duration::from_secs(1) }), exe(), tx);
        match events.recv().await {
            Some(ExperimentEvent::Failed { reason, result: None }) => assert!(reason.contains("-n 0"), "{reason}"),
            other => panic!("{other:?}"),
        }
        handle.wait().await;
    });
}
