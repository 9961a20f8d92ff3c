//! `lab::Supervisor` as the TUI uses it, on a current-thread runtime: events in order, the
//! concurrent-demo cap, stop and shutdown, a worker killed behind its back, Drop, and the
//! thread rule. Every process it starts is checked gone afterwards in /proc.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::*;
use threadtop::lab::Supervisor;
use threadtop::model::demo::{DemoId, DemoKind, DemoResult, DemoSpec, LabEvent};
use tokio::sync::mpsc::UnboundedReceiver;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn lab() -> (Supervisor, UnboundedReceiver<LabEvent>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (Supervisor::new(PathBuf::from(env!("CARGO_BIN_EXE_threadtop")), tx), rx)
}

fn spec(kind: DemoKind, workers: u32, secs: f64) -> DemoSpec {
    DemoSpec { kind, workers, duration: Duration::from_secs_f64(secs) }
}

async fn next_event(rx: &mut UnboundedReceiver<LabEvent>) -> LabEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("the channel is open")
}

/// Skips progress events until the `Finished` of `id`; also returns a `Failed` reason.
async fn finished(rx: &mut UnboundedReceiver<LabEvent>, id: DemoId) -> (DemoResult, Option<String>) {
    let mut failed = None;
    loop {
        match next_event(rx).await {
            LabEvent::Finished { id: done, result } if done == id => return (result, failed),
            LabEvent::Failed { id: f, reason } if f == id => failed = Some(reason),
            _ => {}
        }
    }
}

fn identity(pid: i32) -> (i32, u64, String) {
    let s = stat(pid).expect("the demo process exists");
    (pid, s.starttime, s.comm)
}

#[test]
fn a_demo_reports_progress_and_ends_at_its_deadline() {
    let _serial = serial();
    runtime().block_on(async {
        let (mut lab, mut rx) = lab();
        let asked = spec(DemoKind::IoThreads, 2, 2.0);
        let id = lab.launch(asked.clone()).expect("launch");
        assert_eq!(lab.running(), 1);
        let pids = match next_event(&mut rx).await {
            LabEvent::Started { id: s, spec, pids } => {
                assert_eq!((s, spec), (id, asked));
                pids
            }
            other => panic!("expected Started, got {other:?}"),
        };
        assert_eq!(pids.len(), 1);
        let me = std::process::id() as i32;
        let s = stat(pids[0]).unwrap();
        assert_eq!(s.ppid, me, "a child of the supervisor's process");
        assert_eq!(lab.owner_of(pids[0]), Some(id));
        assert_eq!(lab.owner_of(me), None);
        let seen = vec![identity(pids[0])];

        let mut progress = Vec::new();
        let mut rates = Vec::new();
        let result = loop {
            match next_event(&mut rx).await {
                LabEvent::Progress { id: p, ops, cpu, elapsed, ops_per_sec, .. } => {
                    assert_eq!(p, id);
                    progress.push((ops, cpu, elapsed));
                    rates.extend(ops_per_sec);
                }
                LabEvent::Finished { id: f, result } => {
                    assert_eq!(f, id);
                    break result;
                }
                other => panic!("unexpected {other:?}"),
            }
        };
        assert!(progress.len() >= 2, "{progress:?}");
        assert!(
            progress.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].2 < w[1].2),
            "progress goes forward: {progress:?}"
        );
        // Two threads waking every ~20 ms: a steady rate, so the live readings agree with one
        // another (rates stamped with the forwarding tick read half or double at times).
        let mut sorted = rates.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        assert!(rates.len() >= 3 && median > 0.0, "live rates {rates:?}");
        assert!(rates.iter().all(|r| (r / median - 1.0).abs() < 0.3), "live rates jump: {rates:?}");
        assert!(!result.stopped_early);
        // At least what was asked (2 s), and it ended by itself, not at the test's timeout.
        assert!(result.wall_seconds >= 1.9 && result.wall_seconds < 2.0 * 2.0, "{result:?}");
        assert!(result.ops >= progress.last().unwrap().0);
        assert_eq!(result.pids, pids);
        assert_eq!(lab.running(), 0);
        assert_eq!(lab.owner_of(pids[0]), None);
        assert!(survivors_after(&seen, Duration::from_secs(1)).is_empty());
    });
}

#[test]
fn the_most_demos_at_once_then_a_refusal_then_stop_and_shutdown() {
    // As many as the catalogue allows (every kind at once: the SIGKILL torture test needs it).
    let most = threadtop::model::catalog::MAX_CONCURRENT;
    let _serial = serial();
    runtime().block_on(async {
        let (mut lab, mut rx) = lab();
        let one = spec(DemoKind::IoThreads, 1, 30.0);
        let mut ids = Vec::new();
        let mut seen = Vec::new();
        for _ in 0..most {
            let id = lab.launch(one.clone()).expect("up to the most demos");
            match next_event(&mut rx).await {
                LabEvent::Started { id: s, pids, .. } => {
                    assert_eq!(s, id);
                    assert_eq!(lab.owner_of(pids[0]), Some(id));
                    seen.push(identity(pids[0]));
                }
                other => panic!("expected Started, got {other:?}"),
            }
            ids.push(id);
        }
        assert_eq!(lab.running(), most);
        let reason = lab.launch(one.clone()).expect_err("one more demo is refused");
        assert!(reason.contains("already running"), "{reason}");
        match next_event(&mut rx).await {
            LabEvent::Refused { spec, reason: r } => {
                assert_eq!(spec, one);
                assert_eq!(r, reason);
            }
            other => panic!("expected Refused, got {other:?}"),
        }
        assert_eq!(lab.running(), most, "the refusal started nothing");

        let t = Instant::now();
        lab.stop(ids[0]);
        let (result, failed) = finished(&mut rx, ids[0]).await;
        assert_eq!(failed, None);
        assert!(result.stopped_early);
        // Stopped, not run out: far sooner than the 30 s it was launched for.
        assert!(t.elapsed() < Duration::from_secs(30) / 4, "{:?}", t.elapsed());
        assert_eq!(lab.running(), most - 1);
        assert!(survivors_after(&seen[..1], Duration::from_secs(1)).is_empty());

        let t = Instant::now();
        lab.shutdown().await;
        assert!(t.elapsed() < Duration::from_secs(30) / 4, "the other demos of 30 s stopped: {:?}", t.elapsed());
        assert_eq!(lab.running(), 0);
        let mut finished_ids = Vec::new();
        while let Ok(event) = rx.try_recv() {
            if let LabEvent::Finished { id, result } = event {
                assert!(result.stopped_early);
                finished_ids.push(id);
            }
        }
        finished_ids.sort();
        assert_eq!(finished_ids, ids[1..]);
        let left = survivors_after(&seen, Duration::from_secs(1));
        assert!(left.is_empty(), "left {left:?}");
    });
}

#[test]
fn a_worker_killed_behind_the_lab_fails_its_demo() {
    let _serial = serial();
    runtime().block_on(async {
        let (mut lab, mut rx) = lab();
        let id = lab.launch(spec(DemoKind::CpuProcs, 2, 30.0)).unwrap();
        let pids = match next_event(&mut rx).await {
            LabEvent::Started { pids, .. } => pids,
            other => panic!("expected Started, got {other:?}"),
        };
        assert_eq!(pids.len(), 2);
        let seen: Vec<_> = pids.iter().map(|p| identity(*p)).collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Our own child, by PID: as a user's SIGKILL from the process list would.
        let victim = rustix::process::Pid::from_raw(pids[1]).unwrap();
        rustix::process::kill_process(victim, rustix::process::Signal::KILL).unwrap();
        let (result, failed) = finished(&mut rx, id).await;
        let reason = failed.expect("a Failed event before Finished");
        assert!(reason.contains("tt-cpu-proc-1"), "{reason}");
        assert!(reason.contains("signal 9"), "{reason}");
        assert!(result.stopped_early);
        assert_eq!(lab.running(), 0);
        let left = survivors_after(&seen, Duration::from_secs(1));
        assert!(left.is_empty(), "left {left:?}");
    });
}

#[test]
fn dropping_the_supervisor_kills_its_demos() {
    let _serial = serial();
    runtime().block_on(async {
        let (mut lab, mut rx) = lab();
        lab.launch(spec(DemoKind::CpuThreads, 1, 30.0)).unwrap();
        let pids = match next_event(&mut rx).await {
            LabEvent::Started { pids, .. } => pids,
            other => panic!("expected Started, got {other:?}"),
        };
        let seen = vec![identity(pids[0])];
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(lab);
        let left = survivors_after(&seen, Duration::from_secs(2));
        assert!(left.is_empty(), "left after drop: {left:?}");
    });
}

#[test]
fn launch_is_refused_off_the_supervisors_thread() {
    let (mut lab, mut rx) = lab();
    let err = std::thread::spawn(move || {
        let rt = runtime();
        let _guard = rt.enter();
        lab.launch(spec(DemoKind::Zombie, 1, 1.0))
    })
    .join()
    .unwrap()
    .expect_err("refused");
    assert!(err.contains("thread"), "{err}");
    assert!(matches!(rx.try_recv(), Ok(LabEvent::Refused { .. })));
}

#[test]
fn caps_are_refused_before_anything_starts() {
    runtime().block_on(async {
        let (mut lab, mut rx) = lab();
        for bad in [
            spec(DemoKind::CpuThreads, 257, 1.0),
            spec(DemoKind::CpuProcs, 65, 1.0),
            spec(DemoKind::IoThreads, 1, 601.0),
        ] {
            assert!(lab.launch(bad).is_err());
            assert!(matches!(rx.try_recv(), Ok(LabEvent::Refused { .. })));
        }
        assert_eq!(lab.running(), 0);
    });
}
