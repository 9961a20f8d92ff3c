//! Cost of one `Sampler::sample()` at task populations this bench creates itself: child
//! processes (this binary re-executed) each holding parked threads. Reports the median wall
//! time and µs per task for the process view, the all-threads view (`H`), and the extra cost of
//! a focused threads view of the largest child (per thread of that child).
//!
//! ```text
//! cargo bench --bench sampler                    # 10x10, 200x20 and 1x5000 (processes x threads)
//! cargo bench --bench sampler -- 1000x20 1x5000  # chosen populations
//! ```
//! Every figure includes the rest of the machine's tasks, which are counted too.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use threadtop::collect::model::{Pid, Snapshot};
use threadtop::collect::{Sampler, SamplerConfig};

const CHILD_ENV: &str = "THREADTOP_BENCH_CHILD_THREADS";
const RUNS: usize = 11;

fn main() {
    if let Ok(n) = std::env::var(CHILD_ENV) {
        child(n.parse().unwrap_or(1));
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes --bench; `cargo test --benches` does not: then only a quick smoke run.
    let full = args.iter().any(|a| a == "--bench");
    let mut pops: Vec<(usize, usize)> = args.iter().filter_map(|a| parse_pop(a)).collect();
    if pops.is_empty() {
        pops = if full { vec![(10, 10), (200, 20), (1, 5000)] } else { vec![(2, 3)] };
    }
    println!(
        "{:>12} {:>7} {:>14} {:>11} {:>9} {:>9}",
        "population", "tasks", "view", "median µs", "µs/task", "µs/proc"
    );
    for (procs, threads) in pops {
        let children = Population::start(procs, threads);
        let focus = children.largest();
        let mut base_us = 0.0;
        for (view, all_threads, focus) in
            [("processes", false, None), ("all threads", true, None), ("focused extra", false, Some(focus))]
        {
            let (median, snap) = measure(all_threads, focus);
            let us = median.as_secs_f64() * 1e6;
            let tasks = task_count(&snap);
            let (shown, per) = match &snap.focus {
                // The focused view: its cost over the process view, per thread of that process.
                Some(f) => (us - base_us, f.threads.len()),
                None => (us, tasks),
            };
            if !all_threads && focus.is_none() {
                base_us = us;
            }
            println!(
                "{:>12} {:>7} {:>14} {:>11.0} {:>9.2} {:>9.2}",
                format!("{procs}x{threads}"),
                tasks,
                view,
                shown,
                shown / per.max(1) as f64,
                shown / snap.processes.len().max(1) as f64,
            );
        }
        drop(children);
    }
}

fn parse_pop(s: &str) -> Option<(usize, usize)> {
    let (p, t) = s.split_once('x')?;
    Some((p.parse().ok()?, t.parse().ok()?))
}

fn measure(all_threads: bool, focus: Option<Pid>) -> (Duration, Snapshot) {
    let mut s = Sampler::new(SamplerConfig { all_threads, focus, ..SamplerConfig::default() });
    let mut snap = s.sample();
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        snap = s.sample();
        times.push(t.elapsed());
    }
    times.sort();
    (times[RUNS / 2], snap)
}

fn task_count(s: &Snapshot) -> usize {
    s.processes.iter().map(|p| if p.kernel_thread { 1 } else { p.num_threads as usize }).sum()
}

/// Child processes that live until dropped.
struct Population {
    children: Vec<(Child, usize)>,
}

impl Population {
    fn start(procs: usize, threads: usize) -> Self {
        let exe = std::env::current_exe().expect("current_exe");
        let mut children = Vec::with_capacity(procs);
        for _ in 0..procs {
            let mut c = Command::new(&exe)
                .env(CHILD_ENV, threads.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn a bench child");
            // Wait until its threads exist.
            let mut ready = [0u8; 1];
            let _ = c.stdout.as_mut().map(|o| o.read_exact(&mut ready));
            children.push((c, threads));
        }
        Self { children }
    }

    fn largest(&self) -> Pid {
        self.children.iter().max_by_key(|(_, t)| *t).map_or(std::process::id() as Pid, |(c, _)| c.id() as Pid)
    }
}

impl Drop for Population {
    fn drop(&mut self) {
        for (c, _) in &mut self.children {
            // Closing stdin tells the child to exit; kill is the backstop.
            drop(c.stdin.take());
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// In a child: hold `threads` tasks (main included) until stdin closes.
fn child(threads: usize) {
    let parked: Vec<_> = (1..threads)
        .filter_map(|i| {
            std::thread::Builder::new()
                .name(format!("bench-{i}"))
                .stack_size(64 << 10)
                .spawn(|| {
                    loop {
                        std::thread::park();
                    }
                })
                .ok()
        })
        .collect();
    let _ = std::io::stdout().write_all(b"r");
    let _ = std::io::stdout().flush();
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(parked);
    std::process::exit(0);
}
