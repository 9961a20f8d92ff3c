//! race: N threads add 1 to one shared counter M times each, four ways: an unsynchronised
//! read-modify-write (a relaxed atomic load, then a store of the value + 1: no undefined
//! behaviour, but a real race), the same pinned to one core, an atomic fetch_add, and a mutex.
//! Expected vs final count, lost updates and ns per increment, measured here. Each way gets a
//! quarter of the duration on screen.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use super::{Slots, allowed_cpus, ended, pin_to};
use crate::lab::protocol::EndCause;
use crate::lab::worker::{Run, STOP};
use crate::model::catalog;
use crate::model::figures::{DemoFigures, RaceFigures, RaceRun};

/// How often a counting thread looks for a stop.
const CHECK_EVERY: u64 = 1 << 16;

#[derive(Clone, Copy, PartialEq)]
enum Way {
    Unsynchronised,
    Atomic,
    Mutex,
}

/// The shared counter, padded so nothing else sits on its cache line.
#[repr(align(64))]
struct Shared {
    count: AtomicU64,
    locked: parking_lot::Mutex<u64>,
}

/// Adds `times` (fewer if stopped); `(done, interleavings)`, an interleaving being a load that
/// found another value than this thread's own last store: another thread got in between.
fn add(shared: &Shared, way: Way, times: u64) -> (u64, u64) {
    let mut done = 0;
    let mut mine = 0u64;
    let mut interleavings = 0u64;
    while done < times {
        let burst = CHECK_EVERY.min(times - done);
        for _ in 0..burst {
            match way {
                Way::Unsynchronised => {
                    // Two separate accesses: another thread may store between them. black_box
                    // keeps the compiler from reusing this thread's own last store instead of
                    // loading (legal for relaxed atomics, and it would hide the race).
                    let v = std::hint::black_box(&shared.count).load(Ordering::Relaxed);
                    interleavings += u64::from(v != mine);
                    mine = v + 1;
                    shared.count.store(mine, Ordering::Relaxed);
                }
                Way::Atomic => {
                    shared.count.fetch_add(1, Ordering::Relaxed);
                }
                Way::Mutex => *shared.locked.lock() += 1,
            }
        }
        done += burst;
        if STOP.load(Ordering::Relaxed) {
            break;
        }
    }
    (done, interleavings)
}

/// What one way of counting came to.
#[derive(Debug)]
struct Counted {
    final_count: u64,
    attempted: u64,
    interleavings: u64,
    seconds: f64,
}

/// One way of counting with `n` threads.
fn count(n: u32, way: Way, m: u64) -> Result<Counted, String> {
    let shared = Arc::new(Shared { count: AtomicU64::new(0), locked: parking_lot::Mutex::new(0) });
    let start = Arc::new(Barrier::new(n as usize + 1));
    // A barrier's waiters wake one by one, tens of µs apart: enough for the first thread to do
    // a million increments alone. Spinning on `go` once past it makes them start together.
    let go = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for i in 0..n {
        let (shared, start, go) = (Arc::clone(&shared), Arc::clone(&start), Arc::clone(&go));
        let spawned = thread::Builder::new().name(format!("race-{i}")).stack_size(128 << 10).spawn(move || {
            start.wait();
            while !go.load(Ordering::Acquire) && !STOP.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
            add(&shared, way, m)
        });
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                // The others wait at the barrier for the missing one: the worker must leave.
                return Err(format!("cannot start thread race-{i}: {e}"));
            }
        }
    }
    start.wait();
    let began = Instant::now();
    go.store(true, Ordering::Release);
    let (mut attempted, mut interleavings) = (0, 0);
    for h in handles {
        let (done, between) = h.join().unwrap_or((0, 0));
        attempted += done;
        interleavings += between;
    }
    let seconds = began.elapsed().as_secs_f64();
    let final_count = if way == Way::Mutex { *shared.locked.lock() } else { shared.count.load(Ordering::Relaxed) };
    Ok(Counted { final_count, attempted, interleavings, seconds })
}

pub(in crate::lab) fn run(run: &mut Run, n: u32) -> Result<(u64, EndCause), String> {
    let m = catalog::RACE_INCREMENTS;
    let all = allowed_cpus();
    let one = all.first().copied().into_iter().collect::<Vec<_>>();
    let slots = Slots::new(run, 4);
    let mut figures = RaceFigures { threads: n, increments_per_thread: m, runs: Vec::new() };
    let ways = [
        ("unsynchronised", Way::Unsynchronised, &all),
        ("unsynchronised-one-core", Way::Unsynchronised, &one),
        ("atomic", Way::Atomic, &all),
        ("mutex", Way::Mutex, &all),
    ];
    let mut ops = 0;
    for (step, (method, way, cpus)) in ways.into_iter().enumerate() {
        // The threads inherit the main thread's affinity.
        pin_to(cpus)?;
        let counted = count(n, way, m);
        pin_to(&all)?;
        let Counted { final_count, attempted: expected, interleavings, seconds } = counted?;
        let ns_per_increment = if expected == 0 { 0.0 } else { seconds * 1e9 / expected as f64 };
        figures.runs.push(RaceRun {
            method: method.to_owned(),
            cores: cpus.len() as u32,
            expected,
            final_count,
            lost: expected.saturating_sub(final_count),
            interleavings,
            seconds,
            ns_per_increment,
        });
        ops += 1;
        run.figures(DemoFigures::Race(figures.clone()), ops);
        if let Some(cause) = run.hold(slots.end_of(step as u32), ops) {
            return ended(ops, Some(cause));
        }
    }
    ended(ops, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchronised_ways_never_lose_an_update() {
        for way in [Way::Atomic, Way::Mutex] {
            let c = count(3, way, 20_000).unwrap();
            assert_eq!((c.final_count, c.attempted, c.interleavings), (60_000, 60_000, 0), "{c:?}");
            assert!(c.seconds > 0.0);
        }
        // One thread cannot race with itself.
        let c = count(1, Way::Unsynchronised, 20_000).unwrap();
        assert_eq!((c.final_count, c.interleavings), (20_000, 0), "{c:?}");
    }
}
