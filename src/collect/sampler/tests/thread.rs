//! The `tt-sampler` thread: its cadence, pause, focus and `Now` messages, stopping on drop, and
//! the test panic hook.

use super::super::hook::TestPanic;
use super::super::thread::{QUICK_FOLLOW_UP, spawn_inner};
use super::*;

fn wait_for(rx: &mut SnapshotReceiver, what: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = rx.borrow_and_update().clone()
            && what(&s)
        {
            return s;
        }
        assert!(Instant::now() < deadline, "timed out waiting for a snapshot");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn thread_samples_at_once_then_quickly_and_on_focus() {
    let h = spawn(SamplerConfig { interval: Duration::from_secs(60), ..SamplerConfig::default() }).unwrap();
    let mut rx = h.snapshots();
    wait_for(&mut rx, |s| s.seq >= 1);
    // The 60 s interval is far beyond `wait_for`'s 10 s, so a second sample that comes at all is
    // the quick follow-up; and it comes no sooner than QUICK_FOLLOW_UP after the first.
    let second = wait_for(&mut rx, |s| s.seq >= 2);
    assert_eq!(second.seq, 2);
    assert!(second.elapsed >= QUICK_FOLLOW_UP, "{:?}", second.elapsed);
    let me = std::process::id() as Pid;
    h.send(Control::Focus(Some(me)));
    let f = wait_for(&mut rx, |s| s.focus.is_some());
    assert_eq!(f.focus.as_ref().unwrap().pid, me);
    h.send(Control::Now);
    wait_for(&mut rx, |s| s.seq > f.seq);
    assert!(h.is_running());
    // Dropping stops it at once, mid-interval.
    let t = Instant::now();
    drop(h);
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn paused_thread_does_not_sample() {
    let h = spawn(SamplerConfig { interval: Duration::from_millis(100), ..SamplerConfig::default() }).unwrap();
    let mut rx = h.snapshots();
    wait_for(&mut rx, |s| s.seq >= 1);
    h.send(Control::Pause(true));
    // Let any sample already under way land.
    std::thread::sleep(Duration::from_millis(300));
    let seq = rx.borrow_and_update().as_ref().unwrap().seq;
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(rx.borrow().as_ref().unwrap().seq, seq);
    h.send(Control::Pause(false));
    wait_for(&mut rx, |s| s.seq > seq);
}

#[test]
fn test_panic_hook_kills_the_thread_after_one_sample() {
    let h = spawn_inner(SamplerConfig::default(), Some(TestPanic::AfterFirst)).unwrap();
    let mut rx = h.snapshots();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.is_running() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(rx.borrow_and_update().as_ref().unwrap().seq, 1);
    // The sender is gone with the thread: the runtime sees it through `changed()`.
    assert!(rx.has_changed().is_err());
    h.send(Control::Now);
}

#[test]
fn test_panic_hook_waits_for_its_file() {
    let path = std::env::temp_dir().join(format!("threadtop-panic-when-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let config = SamplerConfig { interval: Duration::from_millis(100), ..SamplerConfig::default() };
    let h = spawn_inner(config, Some(TestPanic::WhenExists(path.clone()))).unwrap();
    let mut rx = h.snapshots();
    wait_for(&mut rx, |s| s.seq >= 3);
    assert!(h.is_running(), "no panic before the file exists");
    std::fs::write(&path, b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.is_running() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::fs::remove_file(&path);
}
