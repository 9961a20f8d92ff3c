//! What serving metrics costs at a task population this bench creates itself (child processes of
//! this binary, each holding parked threads; 200 x 20 = the 4,000-task setup of BENCHMARKS.md),
//! against a process-list refresh's sample: the median CPU time (this thread's clock) of
//!
//! - `list sample`: `Sampler::sample()` as the process list reads (stat + statm);
//! - `list + IO columns`: the same with IO_R/s and IO_W/s shown (plus /proc/PID/io);
//! - `serve sample`: the sample `threadtop serve` takes (plus io, status, schedstat per process);
//! - `serve sample, threads`: the same with per-thread-name series on for every group;
//! - `fold`: one snapshot folded into the metrics' counters (once per sample);
//! - `scrape`: one `/metrics` body encoded from the last view (once per request, no /proc).
//!
//! ```text
//! cargo bench --bench metrics                 # 200x20
//! cargo bench --bench metrics -- 1000x20      # another population
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use threadtop::collect::{Sampler, SamplerConfig};
use threadtop::metrics::{Format, MetricsConfig, Slot};

#[path = "common/population.rs"]
mod population;
use population::{Population, parse_pop};

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid, writable timespec and a constant clock id.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn median_us(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs {
        let c = thread_cpu();
        std::hint::black_box(f());
        v.push(thread_cpu().saturating_sub(c));
    }
    median_us(v)
}

fn main() {
    if population::is_child() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench");
    let runs = if full { 21 } else { 3 };
    let mut pops: Vec<(usize, usize)> = args.iter().filter_map(|a| parse_pop(a)).collect();
    if pops.is_empty() {
        pops = if full { vec![(200, 20)] } else { vec![(2, 3)] };
    }
    for (procs, threads) in pops {
        let children = Population::start(procs, threads);
        let mut list = Sampler::new(SamplerConfig::default());
        list.sample();
        let list_us = time(runs, || list.sample());
        let tasks: usize = list.sample().processes.iter().map(|p| p.num_threads as usize).sum();

        let mut io = Sampler::new(SamplerConfig { io_columns: true, ..SamplerConfig::default() });
        io.sample();
        let io_us = time(runs, || io.sample());

        let plain = Slot::new(MetricsConfig::default());
        let mut serve = Sampler::new(SamplerConfig { extras: plain.extras(), ..SamplerConfig::default() });
        serve.sample();
        let serve_us = time(runs, || serve.sample());
        let snaps: Vec<_> = (0..runs).map(|_| serve.sample()).collect();
        let mut it = snaps.iter();
        let fold_us = time(runs, || plain.publish(it.next().unwrap()));
        let scrape_us = time(runs, || plain.scrape(Format::Prometheus));
        let body = plain.scrape(Format::Prometheus);

        let with_threads = Slot::new(MetricsConfig { threads: true, ..MetricsConfig::default() });
        let mut serve_t = Sampler::new(SamplerConfig { extras: with_threads.extras(), ..SamplerConfig::default() });
        serve_t.sample();
        let serve_t_us = time(runs, || serve_t.sample());
        with_threads.publish(&serve_t.sample());
        let scrape_t_us = time(runs, || with_threads.scrape(Format::Prometheus));
        let body_t = with_threads.scrape(Format::Prometheus);

        println!("population {procs}x{threads}: {tasks} userland tasks, median CPU µs of {runs} runs");
        println!("  list sample            {list_us:>9.0}");
        println!("  list + IO columns      {io_us:>9.0}  ({:.2} x list)", io_us / list_us);
        println!("  serve sample           {serve_us:>9.0}  ({:.2} x list)", serve_us / list_us);
        println!("  serve sample, threads  {serve_t_us:>9.0}  ({:.2} x list)", serve_t_us / list_us);
        println!("  fold                   {fold_us:>9.0}");
        println!(
            "  scrape                 {scrape_us:>9.0}  ({:.2} x list; {} lines)",
            scrape_us / list_us,
            body.lines().count()
        );
        println!(
            "  scrape, threads        {scrape_t_us:>9.0}  ({:.2} x list; {} lines)",
            scrape_t_us / list_us,
            body_t.lines().count()
        );
        println!(
            "  fold + scrape          {:>9.0}  ({:.2} x list)",
            fold_us + scrape_us,
            (fold_us + scrape_us) / list_us
        );
        drop(children);
    }
}
