//! The replay in the real event loop: a recording written by the history writer, read by a
//! `ReplaySource`, driven by scripted keys on a TestBackend.

use super::ReplaySource;
use crate::app::lab::LabState;
use crate::app::{Action, App, Options};
use crate::history::record::{CpuRec, FrameState};
use crate::history::tests::{config, synthetic, tmpdir};
use crate::history::{Recording, Writer};
use crate::input::keymap::Keymap;
use crate::runtime::sources::SampleSource as _;
use crate::runtime::testing::Harness;

/// 23:40:12 UTC on 2026-12-01.
const T0: u64 = 1_796_168_412_000;

fn state(t: u64) -> FrameState {
    let mut s = synthetic(t, 30, 3);
    let cpu = |u: f32| CpuRec { user: u, system: 5.0, ..CpuRec::default() };
    s.system.cpus = vec![cpu(20.0 + (t % 50) as f32), cpu(60.0)];
    s.system.total = cpu(40.0);
    s.system.mem_total = 8 << 30;
    s.system.mem_used = 3 << 30;
    s.system.processes = s.procs.len() as u32;
    s
}

fn harness(w: u16, h: u16, frames: u64) -> Harness<ReplaySource> {
    let d = tmpdir(&format!("tui-{w}x{h}"));
    let f = d.join("r.ttrec");
    let mut wr = Writer::create(config(&d, Some(f.clone())), T0).unwrap();
    for t in 0..frames {
        wr.append(T0 + t * 1000, state(t)).unwrap();
    }
    let rec = Recording::open(&[f]).unwrap();
    let options = Options { readonly: true, ..Options::default() };
    let mut app = App::new(options, Keymap::defaults().help(), LabState::new(crate::runtime::catalog()));
    let source = ReplaySource::new(rec, 0);
    app.update(Action::ReplayAt(source.position().unwrap()));
    let mut h = Harness::with_source(app, source, Keymap::defaults(), w, h);
    h.proc_root = std::env::temp_dir().join(format!("threadtop-empty-proc-{}", std::process::id()));
    h.start();
    h.idle();
    h
}

fn timeline(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("frame ") || l.contains("PAUSED") || l.contains("PLAY"))
        .unwrap_or("")
        .to_string()
}

#[test]
fn the_replay_keys_step_jump_go_to_and_play() {
    let mut h = harness(120, 40, 130);
    let s = h.screen();
    assert!(timeline(&s).contains("|| PAUSED x1 2026-12-01 23:40:12"), "{s}");
    assert!(timeline(&s).contains("23:40:12-23:42:21 (2m 9s)  frame 1/130"), "{s}");
    assert!(s.contains("/usr/bin/proc10"), "{s}");
    h.keys(".");
    assert!(timeline(&h.screen()).contains("frame 2/130"), "{}", h.screen());
    h.keys(",,");
    assert!(timeline(&h.screen()).contains("frame 1/130"));
    h.keys("]");
    assert!(timeline(&h.screen()).contains("23:41:12"), "{}", h.screen());
    assert!(timeline(&h.screen()).contains("frame 61/130"));
    // After the seek the CPU graph holds the frames before it (60) and this one.
    assert_eq!(h.app.cpu_history.len(), 61);
    assert_eq!(h.app.cpu_history[0].cores[0], 25.0, "frame 0's cpu0: 20% user + 5% system");
    h.keys("[");
    assert!(timeline(&h.screen()).contains("frame 1/130"));
    h.keys("g");
    assert!(h.screen().contains("Go to: "), "{}", h.screen());
    h.keys("23:42:00<Enter>");
    assert!(timeline(&h.screen()).contains("frame 109/130"), "{}", h.screen());
    h.keys("g+10s<Enter>");
    assert!(timeline(&h.screen()).contains("frame 11/130"), "{}", h.screen());
    h.keys("gsoon<Enter>");
    assert!(h.screen().contains("'soon' is not a time"), "{}", h.screen());
    h.keys("xx");
    assert!(timeline(&h.screen()).contains("PAUSED x60"), "{}", h.screen());
    h.keys(" ");
    assert!(timeline(&h.screen()).contains("> PLAY x60"), "{}", h.screen());
    // Playing at x60 over 1 s frames: a frame about every 17 ms.
    let before = h.samples.position().unwrap().index;
    for _ in 0..5 {
        // Each frame is due 1000 ms / 60 after the last: by then the idle loop takes it.
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.idle();
    }
    let after = h.samples.position().unwrap().index;
    assert!(after > before, "playing moved from frame {before} to {after}");
    assert!(timeline(&h.screen()).contains(&format!("frame {}/130", after + 1)), "{}", h.screen());
    h.keys(" ");
    assert!(timeline(&h.screen()).contains("PAUSED"), "{}", h.screen());
}

#[test]
fn actions_on_live_processes_are_refused_read_only() {
    let mut h = harness(120, 40, 5);
    for key in ["k", "]", "a", "e", "l", "d", "F9"] {
        let script = if key.len() > 1 { format!("<{key}>") } else { key.to_string() };
        // `]` is the replay's minute: no refusal, no nice either. The status line is cleared
        // first: a paused replay gets no samples to clear it, so one refusal would pass them all.
        h.app.status = None;
        h.keys(&script);
        if key != "]" {
            assert!(h.screen().contains("replay: read-only"), "{key}: {}", h.screen());
        }
        assert!(h.app.overlay.is_none(), "{key}");
        h.keys("<Esc>");
    }
    assert!(h.lab.launched.is_empty());
}

#[test]
fn the_threads_view_shows_the_recorded_threads() {
    let mut h = harness(120, 40, 5);
    // proc10 is busy: first by CPU. Enter opens its recorded threads.
    h.keys("<Enter>");
    let s = h.screen();
    assert!(s.contains("worker-0") && s.contains("worker-2"), "{s}");
    assert!(timeline(&s).contains("frame 1/5"), "{s}");
    h.keys(".");
    assert!(h.screen().contains("worker-0"), "{}", h.screen());
}

#[test]
fn timeline_snapshots() {
    let mut h = harness(120, 40, 130);
    h.keys("]");
    insta::assert_snapshot!("replay_120x40", h.screen());
    let mut h = harness(80, 24, 130);
    h.keys("]x");
    insta::assert_snapshot!("replay_80x24", h.screen());
}
