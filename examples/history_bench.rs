//! Figures for the recording format (BENCHMARKS.md, "History"): writes a synthetic recording
//! with the history writer, then times opening it (the header-only index scan) and seeking to
//! random moments; and fills a rewind ring of 10 minutes at 4,000 tasks and reports its bytes.
//!
//! cargo run --release --example history_bench -- [DIR] [HOURS] [PROCS] [THREADS]
//! (default: /tmp 24 300 2000). Synthetic: the sizes it prints are not the size targets'
//! figures, which come from `threadtop record --stats` on the real machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use threadtop::history::record::{FrameState, IdentityRec, ProcDyn, ProcRec, ProcStatic, SystemRec, ThreadRec};
use threadtop::history::rewind::Ring;
use threadtop::history::{Recording, Writer, WriterConfig};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A machine of `procs` processes and `threads` threads; each tick a few percent of them change.
struct Machine {
    state: FrameState,
    rng: Rng,
}

impl Machine {
    fn new(procs: i32, threads: usize) -> Machine {
        let per = threads / procs.max(1) as usize;
        let procs = (1..=procs)
            .map(|pid| ProcRec {
                stat: ProcStatic {
                    pid: pid * 7,
                    start_ticks: pid as u64 * 11,
                    name: format!("svc{pid}"),
                    cmdline: format!("/usr/lib/svc{pid}/bin/svc{pid} --config /etc/svc{pid}.conf"),
                    user: if pid % 3 == 0 { "root".into() } else { "www-data".into() },
                    uid: Some(33),
                    ..ProcStatic::default()
                },
                dynamic: ProcDyn { state: 'S', rss_bytes: 50 << 20, num_threads: per as u32, ..ProcDyn::default() },
                threads: Some(
                    (0..per)
                        .map(|k| ThreadRec {
                            tid: pid * 7 * 1000 + k as i32,
                            name: format!("worker-{k}"),
                            state: 'S',
                            ..ThreadRec::default()
                        })
                        .collect(),
                ),
            })
            .collect();
        let cpus = (0..8).map(|_| Default::default()).collect();
        Machine {
            state: FrameState { system: SystemRec { cpus, ..SystemRec::default() }, procs },
            rng: Rng(0x9e37_79b9_7f4a_7c15),
        }
    }

    fn tick(&mut self, t: u64) -> FrameState {
        let rng = &mut self.rng;
        self.state.system.uptime_ms = t * 1000;
        for c in &mut self.state.system.cpus {
            c.user = (rng.next() % 1000) as f32 / 10.0;
        }
        for p in &mut self.state.procs {
            // ~5% of processes and ~3% of threads do something in a given second.
            if rng.next().is_multiple_of(20) {
                let d = rng.next() % 50;
                p.dynamic.cpu_time_ms += d * 10;
                p.dynamic.cpu_percent = d as f32;
                p.dynamic.rss_bytes += (rng.next() % 8) << 12;
            } else {
                p.dynamic.cpu_percent = 0.0;
            }
            if let Some(ts) = &mut p.threads {
                for th in ts.iter_mut() {
                    if rng.next().is_multiple_of(33) {
                        let d = rng.next() % 50;
                        th.cpu_time_ms += d * 10;
                        th.cpu_percent = d as f32;
                        th.last_cpu = (rng.next() % 8) as i32;
                    } else {
                        th.cpu_percent = 0.0;
                    }
                }
            }
        }
        self.state.clone()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(args.get(1).map_or("/tmp", String::as_str));
    let hours: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(24.0);
    let procs: i32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(300);
    let threads: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let frames = (hours * 3600.0) as u64;
    let file = dir.join(format!("synthetic-{hours}h.ttrec"));
    let _ = std::fs::remove_file(&file);
    let t0 = 1_796_100_000_000u64;
    let cfg = WriterConfig {
        output: Some(file.clone()),
        dir: dir.clone(),
        max_size: None,
        rotate_daily: false,
        interval: Duration::from_secs(1),
        threads: "all".into(),
        keyframe_every: threadtop::history::writer::DEFAULT_KEYFRAME_EVERY,
        identity: IdentityRec::default(),
        utc_offset_s: Some(0),
    };
    let mut w = Writer::create(cfg, t0).unwrap();
    let mut m = Machine::new(procs, threads);
    let started = Instant::now();
    for t in 0..frames {
        w.append(t0 + t * 1000, m.tick(t)).unwrap();
    }
    w.finish().unwrap();
    let write_s = started.elapsed().as_secs_f64();
    let size = std::fs::metadata(&file).unwrap().len();
    println!(
        "wrote {frames} frames ({procs} procs, {threads} threads) in {write_s:.1} s ({:.2} ms/frame): {:.1} MiB, {:.2} bytes per process-or-thread sample",
        write_s * 1000.0 / frames as f64,
        size as f64 / (1 << 20) as f64,
        size as f64 / (w.stats.process_samples + w.stats.thread_samples) as f64
    );
    // Cold-ish open: the page cache holds the file (it was just written), as after any first read.
    let t = Instant::now();
    let mut r = Recording::open(std::slice::from_ref(&file)).unwrap();
    let open_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "open ({} frames; a finished file is opened from its index, a killed one by a scan): {open_ms:.1} ms",
        r.len()
    );
    let mut rng = Rng(12345);
    let mut times: Vec<f64> = (0..100)
        .map(|_| {
            let at = t0 + rng.next() % (frames * 1000);
            let t = Instant::now();
            let i = r.index_at(at);
            r.state_at(i).unwrap();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("seek to 100 random moments: median {:.1} ms, max {:.1} ms", times[50], times[99]);
    let t = Instant::now();
    let n = r.len().saturating_sub(1);
    for i in n.saturating_sub(600)..=n {
        r.state_at(i).unwrap();
    }
    println!(
        "step forward frame by frame: {:.3} ms per frame (x60 needs < 16 ms)",
        t.elapsed().as_secs_f64() * 1000.0 / 601.0
    );

    // The rewind ring: 10 minutes of 4,000 tasks (500 processes of 8 threads), all kept.
    let mut ring = Ring::new(Duration::from_secs(600));
    let mut m = Machine::new(500, 4000);
    let t = Instant::now();
    for s in 0..660u64 {
        ring.push(t0 + s * 1000, s, m.tick(s));
    }
    println!(
        "rewind ring, 10 min at 4,000 tasks (500 procs x 8 threads): {} frames, {:.2} MiB of frames, {:.2} ms per push",
        ring.len(),
        ring.bytes() as f64 / (1 << 20) as f64,
        t.elapsed().as_secs_f64() * 1000.0 / 660.0
    );
    let _ = std::fs::remove_file(&file);
}
