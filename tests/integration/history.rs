//! Record → replay against the real machine: a known workload (a cpu-threads demo: a worker
//! process with named spinning threads) recorded by the binary and found again by
//! `replay --json --at`; live snapshots written and read back exactly through the library; a
//! recorder killed with SIGKILL mid-run leaves a file that replays; TERM stops it cleanly.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use threadtop::collect::{Sampler, SamplerConfig};
use threadtop::history::{FrameState, Recording, Writer, WriterConfig};

use crate::support::procs::{self, stat};
use crate::support::run::{spawn_demo, wait_with_timeout};
use crate::support::{Scratch, serial};

const BIN: &str = env!("CARGO_BIN_EXE_threadtop");

fn children_of(ppid: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| stat(pid).is_some_and(|s| s.ppid == ppid))
        .collect()
}

fn replay_json(args: &[&str]) -> Value {
    let out = Command::new(BIN).arg("replay").args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "replay {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_recorded_workload_is_found_in_the_replay_with_its_threads_and_figures() {
    let _g = serial();
    let dir = Scratch::new("hist-workload");
    let file = dir.path("w.ttrec");
    let mut demo = spawn_demo(&["cpu-threads", "-n", "2", "--seconds", "12"]);
    // The demo's worker process, once it runs its two named threads.
    let end = Instant::now() + Duration::from_secs(8);
    let worker = loop {
        let w = children_of(demo.id() as i32).into_iter().find(|&p| procs::threads(p).len() >= 3);
        if let Some(w) = w {
            break w;
        }
        assert!(Instant::now() < end, "the demo's worker did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    let names_live: Vec<String> = {
        let mut n: Vec<String> = procs::threads(worker).into_iter().map(|(name, _)| name).collect();
        n.sort();
        n
    };
    let rec = Command::new(BIN)
        .args(["record", "--threads", "all", "--duration", "4s", "--stats", "-o"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(rec.status.success(), "{}", String::from_utf8_lossy(&rec.stderr));
    let stats = String::from_utf8_lossy(&rec.stdout);
    assert!(stats.contains("bytes per (process or thread) sample"), "{stats}");
    let ticks_after = procs::cpu_ticks(worker).unwrap();
    let _ = demo.kill();
    let _ = demo.wait();

    let at_end = replay_json(&[file.to_str().unwrap(), "--at", "end"]);
    let row = at_end.as_array().unwrap().iter().find(|p| p["pid"] == worker).expect("the worker is in the replay");
    let cpu = row["cpu_percent"].as_f64().unwrap();
    // Two spinning threads on a shared 2-core machine (other builds may take most of it): busy,
    // at most two cores. The rate checks below hold the figure to /proc's.
    assert!(cpu > 5.0 && cpu <= 205.0, "worker CPU% {cpu}");
    // The recorded CPU time is what /proc said, up to the time since the last frame.
    let hz = procs::clock_ticks_per_sec();
    let live_ms = ticks_after * 1000 / hz;
    let rec_ms = row["cpu_time_ms"].as_u64().unwrap();
    assert!(rec_ms <= live_ms && live_ms - rec_ms < 2500, "recorded {rec_ms} ms, /proc {live_ms} ms");

    // CPU% is the rate of CPU time: the last two frames agree with it, over the interval the
    // sampler measured (recorded with the frame; a loaded machine makes ticks late).
    let before = replay_json(&[file.to_str().unwrap(), "--at", "-1s"]);
    assert!(before.as_array().unwrap().iter().any(|p| p["pid"] == worker));
    let mut r = Recording::open(std::slice::from_ref(&file)).unwrap();
    let n = r.len();
    let cpu_time = |s: &FrameState| s.procs.iter().find(|p| p.stat.pid == worker).unwrap().dynamic.cpu_time_ms;
    let prev = cpu_time(r.state_at(n - 2).unwrap());
    let last = r.state_at(n - 1).unwrap();
    let (now, elapsed_ms) = (cpu_time(last), last.system.elapsed_us as f64 / 1000.0);
    assert_eq!(now, rec_ms);
    let rate = (now - prev) as f64 * 100.0 / elapsed_ms;
    // Ticks are 10 ms: the rate is known to 10 ms over the interval, plus rounding.
    assert!((rate - cpu).abs() <= 1000.0 / elapsed_ms + 2.0, "{} ms of CPU in {elapsed_ms} ms vs {cpu}%", now - prev);

    let threads = replay_json(&[file.to_str().unwrap(), "--at", "end", "--threads", &worker.to_string()]);
    let mut names: Vec<String> =
        threads["threads"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, names_live);
    let spinning = threads["threads"].as_array().unwrap().iter().filter(|t| t["cpu_percent"].as_f64().unwrap() > 10.0);
    assert!(spinning.count() >= 1, "{threads}");
}

#[test]
fn live_snapshots_read_back_exactly() {
    let dir = Scratch::new("hist-exact");
    let file = dir.path("x.ttrec");
    let mut sampler = Sampler::new(SamplerConfig { all_threads: true, ..SamplerConfig::default() });
    sampler.sample();
    let mut w = Writer::create(
        WriterConfig {
            output: Some(file.clone()),
            dir: dir.0.clone(),
            max_size: None,
            rotate_daily: false,
            interval: Duration::from_millis(200),
            threads: "all".into(),
            keyframe_every: 3,
            identity: Default::default(),
            utc_offset_s: None,
        },
        1_000,
    )
    .unwrap();
    let mut snaps = Vec::new();
    for t in 0..7u64 {
        std::thread::sleep(Duration::from_millis(200));
        let s = sampler.sample();
        w.append(1_000 + t * 200, FrameState::from_snapshot(&s, |_| true)).unwrap();
        snaps.push(s);
    }
    let mut r = Recording::open(&[file]).unwrap();
    assert_eq!(r.len(), 7);
    for (i, s) in snaps.iter().enumerate().rev() {
        let back = r.snapshot_at(i).unwrap();
        let mut want: Vec<_> = s.processes.iter().collect();
        want.sort_by_key(|p| p.pid);
        assert_eq!(back.processes.len(), want.len());
        for (a, b) in back.processes.iter().zip(want) {
            let mut b_threads = b.threads.clone();
            b_threads.sort_by_key(|t| t.tid);
            assert_eq!(
                (a.pid, &a.name, &a.cmdline, a.cpu_percent, a.rss_bytes),
                (b.pid, &b.name, &b.cmdline, b.cpu_percent, b.rss_bytes)
            );
            assert_eq!(a.threads, b_threads, "threads of {}", a.pid);
        }
        assert_eq!(back.system.cpus, s.system.cpus);
        assert_eq!(back.system.mem_used, s.system.mem_used);
    }
}

fn frames_in(path: &std::path::Path) -> usize {
    Recording::open(&[path.to_path_buf()]).map_or(0, |r| r.len())
}

#[test]
fn a_recorder_killed_with_sigkill_leaves_a_readable_file_and_term_stops_it_cleanly() {
    let dir = Scratch::new("hist-kill");
    for (sig, name) in [(libc::SIGKILL, "kill.ttrec"), (libc::SIGTERM, "term.ttrec")] {
        let file = dir.path(name);
        let mut child = Command::new(BIN)
            .args(["record", "--interval", "100ms", "--threads", "all", "-o"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let end = Instant::now() + Duration::from_secs(20);
        while frames_in(&file) < 8 {
            assert!(Instant::now() < end, "the recorder wrote no frames");
            std::thread::sleep(Duration::from_millis(50));
        }
        // SAFETY: signalling the child this test started, by its PID.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = wait_with_timeout(&mut child, Duration::from_secs(10));
        if sig == libc::SIGTERM {
            assert!(status.success(), "{status:?}");
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            assert!(err.contains("recorded "), "{err}");
        }
        let n = frames_in(&file);
        assert!(n >= 8, "{n} frames");
        let v = replay_json(&[file.to_str().unwrap(), "--at", "end"]);
        assert!(!v.as_array().unwrap().is_empty());
        let mut r = Recording::open(std::slice::from_ref(&file)).unwrap();
        for i in 0..r.len() {
            r.state_at(i).unwrap();
        }
    }
}

#[test]
fn bad_recordings_are_one_line_errors() {
    let dir = Scratch::new("hist-bad");
    let cases: [(&str, &[u8], &str); 3] = [
        ("empty.ttrec", b"", "empty file"),
        ("garbage.ttrec", b"GIF89a not a recording", "not a threadtop recording"),
        ("newer.ttrec", b"TTREC\0\r\n\x09\0\0\0\0\0\0\0\0\0\0\0\0\0", "format version 9"),
    ];
    for (name, bytes, want) in cases {
        let f = dir.path(name);
        std::fs::write(&f, bytes).unwrap();
        for json in [true, false] {
            let mut cmd = Command::new(BIN);
            cmd.arg("replay").arg(&f).stdin(Stdio::null());
            if json {
                cmd.arg("--json");
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{name}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(want) && !err.contains("panicked"), "{err}");
        }
    }
}
