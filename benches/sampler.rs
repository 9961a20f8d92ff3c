//! Cost of one `Sampler::sample()` at task populations this bench creates itself: child
//! processes (this binary re-executed) each holding parked threads. Reports, for the process
//! view, the all-threads view (`H`), and the extra cost of a focused threads view of the largest
//! child: the median CPU time of one sample (this thread's CPU clock: what the machine pays,
//! and far less noisy than wall time on a shared machine), its kernel share, the median wall
//! time, and CPU µs per task (per thread of the focused child for the focused view).
//!
//! ```text
//! cargo bench --bench sampler                      # 10x10, 200x20 and 1x5000 (processes x threads)
//! cargo bench --bench sampler -- 1000x20 1x5000    # chosen populations
//! cargo bench --bench sampler -- 200x20 --view all --runs 50   # one view (for a profiler)
//! ```
//! Every figure includes the rest of the machine's tasks, which are counted too.

// A bench's set-up that fails is the bench failing: it may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use threadtop::collect::model::{Pid, Snapshot};
use threadtop::collect::{Sampler, SamplerConfig};

#[path = "common/population.rs"]
mod population;
use population::{Population, parse_pop};

const DEFAULT_RUNS: usize = 11;

#[derive(Clone, Copy, PartialEq)]
enum View {
    Processes,
    AllThreads,
    Focused,
}

fn main() {
    if population::is_child() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes --bench; `cargo test --benches` does not: then only a quick smoke run.
    let full = args.iter().any(|a| a == "--bench");
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let runs = value("--runs").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_RUNS).max(1);
    let views: Vec<View> = match value("--view").map(String::as_str) {
        Some("processes") => vec![View::Processes],
        Some("all") => vec![View::AllThreads],
        // The focused view's extra cost is measured against the process view.
        Some("focus") => vec![View::Processes, View::Focused],
        _ => vec![View::Processes, View::AllThreads, View::Focused],
    };
    let mut pops: Vec<(usize, usize)> = args.iter().filter_map(|a| parse_pop(a)).collect();
    if pops.is_empty() {
        pops = if full { vec![(10, 10), (200, 20), (1, 5000)] } else { vec![(2, 3)] };
    }
    println!(
        "{:>10} {:>7} {:>13} {:>9} {:>5} {:>9} {:>9} {:>9}",
        "population", "tasks", "view", "cpu µs", "sys%", "wall µs", "cpu µs/t", "per"
    );
    for (procs, threads) in pops {
        let children = Population::start(procs, threads);
        let focus = children.largest();
        let mut base = Cost::default();
        for &view in &views {
            let (all_threads, focus) = match view {
                View::Processes => (false, None),
                View::AllThreads => (true, None),
                View::Focused => (false, Some(focus)),
            };
            let (cost, snap) = measure(all_threads, focus, runs);
            let tasks = task_count(&snap);
            let (shown, per, per_what) = match &snap.focus {
                // The focused view: its cost over the process view, per thread of that process.
                Some(f) => (cost.minus(&base), f.threads.len(), "thread"),
                None => (cost, tasks, "task"),
            };
            if view == View::Processes {
                base = cost;
            }
            println!(
                "{:>10} {:>7} {:>13} {:>9.0} {:>5.0} {:>9.0} {:>9.2} {:>9}",
                format!("{procs}x{threads}"),
                tasks,
                match view {
                    View::Processes => "processes",
                    View::AllThreads => "all threads",
                    View::Focused => "focused extra",
                },
                shown.cpu_us,
                shown.sys_share * 100.0,
                shown.wall_us,
                shown.cpu_us / per.max(1) as f64,
                per_what,
            );
        }
        drop(children);
    }
}

/// Medians of one sample's cost.
#[derive(Clone, Copy, Default)]
struct Cost {
    cpu_us: f64,
    wall_us: f64,
    /// Kernel share of the CPU time, from getrusage (tick-sampled, so only a rough split).
    sys_share: f64,
}

impl Cost {
    fn minus(&self, o: &Cost) -> Cost {
        Cost { cpu_us: self.cpu_us - o.cpu_us, wall_us: self.wall_us - o.wall_us, sys_share: self.sys_share }
    }
}

fn measure(all_threads: bool, focus: Option<Pid>, runs: usize) -> (Cost, Snapshot) {
    let mut s = Sampler::new(SamplerConfig { all_threads, focus, ..SamplerConfig::default() });
    let mut snap = s.sample();
    let mut wall = Vec::with_capacity(runs);
    let mut cpu = Vec::with_capacity(runs);
    let (u0, s0) = thread_rusage();
    for _ in 0..runs {
        let (t, c) = (Instant::now(), thread_cpu());
        snap = s.sample();
        cpu.push(thread_cpu().saturating_sub(c));
        wall.push(t.elapsed());
    }
    let (u1, s1) = thread_rusage();
    let (user, sys) = (u1.saturating_sub(u0).as_secs_f64(), s1.saturating_sub(s0).as_secs_f64());
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e6
    };
    let sys_share = if user + sys > 0.0 { sys / (user + sys) } else { 0.0 };
    (Cost { cpu_us: median(&mut cpu), wall_us: median(&mut wall), sys_share }, snap)
}

/// This thread's CPU time (user + kernel), ns precision: the sampler runs on this thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid, writable timespec and a constant clock id.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// This thread's user and kernel time.
fn thread_rusage() -> (Duration, Duration) {
    // SAFETY: rusage is plain data; zeroed is a valid value and getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid, writable rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } != 0 {
        return (Duration::ZERO, Duration::ZERO);
    }
    let tv = |t: libc::timeval| Duration::from_micros(t.tv_sec.max(0) as u64 * 1_000_000 + t.tv_usec.max(0) as u64);
    (tv(ru.ru_utime), tv(ru.ru_stime))
}

fn task_count(s: &Snapshot) -> usize {
    s.processes.iter().map(|p| if p.kernel_thread { 1 } else { p.num_threads as usize }).sum()
}
