//! Cost on the UI thread of one refresh, by number of rows: the app taking a snapshot (filter,
//! sort, rows: grows with the rows, as it must) and one frame drawn into a 200x50 test terminal
//! (should not grow: only visible rows are drawn). Synthetic snapshots built in code: P
//! processes of T threads each, all threads as rows (`H`).
//!
//! ```text
//! cargo bench --bench draw                         # 300, 4,000, 20,000 and 100,000 rows
//! cargo bench --bench draw -- 1000x20              # chosen populations (processes x threads)
//! ```

// A bench's set-up that fails is the bench failing: it may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use threadtop::app::lab::LabState;
use threadtop::app::{Action, App, Command, Options};
use threadtop::collect::model::{ProcessSample, Snapshot, SystemSample, ThreadSample};
use threadtop::input::keymap::Keymap;
use threadtop::ui::{self, Theme};

const RUNS: usize = 21;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let mut pops: Vec<(usize, usize)> = args.iter().filter_map(|a| parse_pop(a)).collect();
    if pops.is_empty() {
        pops = if full { vec![(300, 1), (200, 20), (1000, 20), (5000, 20)] } else { vec![(3, 2)] };
    }
    println!("{:>10} {:>8} {:>16} {:>14}", "population", "rows", "app update µs", "draw µs");
    let theme = Theme::mono();
    for (procs, threads) in pops {
        let mut app = App::new(Options::default(), Keymap::default().help(), LabState::new(Vec::new()));
        app.update(Action::Cmd(Command::ToggleThreads));
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test terminal");
        let mut update = Vec::with_capacity(RUNS);
        let mut draw = Vec::with_capacity(RUNS);
        for seq in 1..=RUNS as u64 {
            // Each sample differs (CPU% and times move), as real ones do.
            let snap = Arc::new(snapshot(seq, procs, threads));
            let c = thread_cpu();
            app.update(Action::Sample(snap));
            update.push(thread_cpu() - c);
            let c = thread_cpu();
            terminal.draw(|f| ui::draw(f, &app, &theme)).expect("draw");
            draw.push(thread_cpu() - c);
        }
        let rows = procs * threads.max(1);
        println!(
            "{:>10} {:>8} {:>16.0} {:>14.0}",
            format!("{procs}x{threads}"),
            rows,
            median(&mut update),
            median(&mut draw)
        );
    }
}

fn parse_pop(s: &str) -> Option<(usize, usize)> {
    let (p, t) = s.split_once('x')?;
    Some((p.parse().ok()?, t.parse().ok()?))
}

fn median(v: &mut [Duration]) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

fn snapshot(seq: u64, procs: usize, threads: usize) -> Snapshot {
    let processes = (0..procs)
        .map(|i| {
            let pid = 1000 + (i * (threads + 1)) as i32;
            let cpu = ((i as u64 * 7 + seq * 13) % 1000) as f32 / 10.0;
            ProcessSample {
                pid,
                ppid: 1,
                start_ticks: 1000,
                start_time: 1_700_000_000,
                name: format!("proc-{i}").into(),
                cmdline: format!("/usr/bin/proc-{i} --serve --port {}", 8000 + i).into(),
                uid: Some(1000),
                user: "bench".into(),
                state: 'S',
                priority: 20,
                nice: 0,
                virt_bytes: 100 << 20,
                rss_bytes: 10 << 20,
                shared_bytes: 0,
                num_threads: threads as u32,
                cpu_time_ms: seq * 1000 + i as u64,
                cpu_percent: cpu,
                mem_percent: 0.1,
                last_cpu: (i % 2) as i32,
                kernel_thread: false,
                threads: (0..threads)
                    .map(|k| ThreadSample {
                        tid: pid + k as i32,
                        name: format!("worker-{k}"),
                        state: 'S',
                        cpu_percent: cpu / threads as f32,
                        cpu_time_ms: seq * 100 + k as u64,
                        last_cpu: (k % 2) as i32,
                        nice: 0,
                        priority: 20,
                    })
                    .collect(),
                extra: None,
            }
        })
        .collect();
    Snapshot {
        seq,
        elapsed: Duration::from_secs(1),
        system: SystemSample { mem_total: 8 << 30, ..SystemSample::default() },
        processes,
        all_threads: true,
        focus: None,
        stats: Default::default(),
    }
}

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid, writable timespec and a constant clock id.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}
