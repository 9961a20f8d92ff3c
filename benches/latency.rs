//! Responsiveness of the real binary in a pseudo-terminal (200x50), at a task population this
//! bench creates itself:
//!
//! - first frame: from spawning threadtop to its first frame showing the table, and to the first frame
//!   that shows the first sample (the header's `Tasks:` count is no longer 0);
//! - keys while sampling: all-threads mode (`H`) is turned on, so each sample reads every
//!   thread; then `?` (help on, help off) is sent at moments when the `tt-sampler` thread is busy
//!   sampling (its run time, from schedstat, advanced in the last 2 ms and again right after the
//!   key), and the time until the screen shows the answer is measured. The UI loop never waits
//!   for the sampler, so this should be a few milliseconds however long a sample takes.
//!
//! ```text
//! cargo bench --bench latency                          # 1000x20 (20,000 tasks), 40 keys
//! cargo bench --bench latency -- 200x20 --keys 60      # another population
//! ```

// A bench's set-up that fails is the bench failing: it may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

#[path = "common/population.rs"]
mod population;
use population::{Population, parse_pop};

const BIN: &str = env!("CARGO_BIN_EXE_threadtop");
const HELP_TITLE: &str = " Help · Up/Down scroll";

/// What the screen showed after one chunk of output, and when.
#[derive(Clone, Copy)]
struct Seen {
    at: Instant,
    tasks: u64,
    help: bool,
    /// The process table is drawn (its header row): a frame a user can read, not a first byte.
    table: bool,
}

fn main() {
    if population::is_child() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let keys: usize = value("--keys").and_then(|v| v.parse().ok()).unwrap_or(40);
    let (procs, threads) = args.iter().find_map(|a| parse_pop(a)).unwrap_or((1000, 20));
    // `cargo test --benches` runs this without --bench: a small smoke run only.
    let (procs, threads, keys) = if args.iter().any(|a| a == "--bench") { (procs, threads, keys) } else { (2, 3, 2) };

    let children = Population::start(procs, threads);
    let tasks = system_tasks();
    println!("population {procs}x{threads}: {tasks} tasks on the machine");

    let pair =
        native_pty_system().openpty(PtySize { rows: 50, cols: 200, pixel_width: 0, pixel_height: 0 }).expect("openpty");
    let mut cmd = CommandBuilder::new(BIN);
    cmd.args(["--no-config", "--interval", "1000ms"]);
    cmd.env("TERM", "xterm-256color");
    let t0 = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).expect("spawn threadtop");
    drop(pair.slave);
    let pid = child.process_id().expect("pid") as i32;
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let mut writer = pair.master.take_writer().expect("pty writer");

    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        let mut parser = vt100::Parser::new(NonZeroU16::new(50).unwrap(), NonZeroU16::new(200).unwrap(), 0);
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let at = Instant::now();
            parser.process(&buf[..n]);
            let screen = parser.screen().contents();
            let tasks = screen
                .split("Tasks: ")
                .nth(1)
                .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            let help = screen.contains(HELP_TITLE);
            let table = screen.contains("PID") && screen.contains("COMMAND");
            log.lock().unwrap().push(Seen { at, tasks, help, table });
        }
    });

    let first = wait_seen(&seen, t0, Duration::from_secs(10), |s| s.table).expect("no table within 10 s");
    let data = wait_seen(&seen, t0, Duration::from_secs(10), |s| s.tasks > 0).expect("no sample within 10 s");
    println!(
        "first frame: {:.1} ms after spawn; first frame with the first sample: {:.1} ms",
        ms(first.at - t0),
        ms(data.at - t0)
    );

    // All threads as rows: every sample now reads every thread's stat.
    if !args.iter().any(|a| a == "--processes") {
        writer.write_all(b"H").expect("write H");
        writer.flush().ok();
    }
    std::thread::sleep(Duration::from_millis(2500));
    let sampler = sampler_tid(pid).expect("tt-sampler thread");
    let mut busy = Vec::new();
    let mut idle = Vec::new();
    let mut help = false;
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    while busy.len() < keys {
        // Wait for the sampler to be in the middle of a sample.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = run_ns(pid, sampler);
        loop {
            std::thread::sleep(Duration::from_millis(2));
            let now = run_ns(pid, sampler);
            if now > last || Instant::now() > deadline {
                break;
            }
            last = now;
        }
        let before = run_ns(pid, sampler);
        let sent = Instant::now();
        writer.write_all(b"?").expect("write ?");
        writer.flush().ok();
        help = !help;
        let want = help;
        let Some(answer) = wait_seen(&seen, sent, Duration::from_secs(2), |s| s.help == want) else {
            panic!("no answer to a key within 2 s");
        };
        // Still sampling after the answer: the key was handled during a sample.
        let during = run_ns(pid, sampler) > before;
        let latency = ms(answer.at - sent);
        if during {
            busy.push(latency)
        } else {
            idle.push(latency)
        }
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(20 + rng % 200));
    }
    report("keys sent while a sample was running", &mut busy);
    report("keys sent while idle (sampler at rest by the time of the answer)", &mut idle);

    writer.write_all(b"q").ok();
    writer.flush().ok();
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    drop(children);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, v: &mut [f64]) {
    if v.is_empty() {
        println!("{what}: none");
        return;
    }
    v.sort_by(f64::total_cmp);
    let pct = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    println!(
        "{what}: {} keys, key to screen median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        v.len(),
        pct(0.5),
        pct(0.9),
        v[v.len() - 1]
    );
}

/// The first screen state after `after` that satisfies `ok`, waiting up to `timeout`.
fn wait_seen(seen: &Mutex<Vec<Seen>>, after: Instant, timeout: Duration, ok: impl Fn(&Seen) -> bool) -> Option<Seen> {
    let end = Instant::now() + timeout;
    loop {
        if let Some(s) = seen.lock().unwrap().iter().find(|s| s.at >= after && ok(s)) {
            return Some(*s);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn sampler_tid(pid: i32) -> Option<i32> {
    std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten().find_map(|e| {
        let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
        (comm.trim() == "tt-sampler").then(|| e.file_name().to_str()?.parse().ok())?
    })
}

/// Nanoseconds the thread has run (schedstat's first field).
fn run_ns(pid: i32, tid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn system_tasks() -> u64 {
    // /proc/loadavg's fourth field: runnable/total tasks.
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().nth(3)?.split('/').nth(1)?.parse().ok())
        .unwrap_or(0)
}
