//! Counter deltas to rates: CPU%, switches/s, WAIT%, cores in use. Pure functions, no I/O. Imports
//! nothing of threadtop: no `app`, `ui`, `lab`, the lab's data (`crate::model::{demo,
//! experiment}`), ratatui or crossterm.
//!
//! Every function treats a counter that went down (a reused PID or TID, a reset) as "no rate"
//! rather than a negative one, and a zero elapsed time as "no rate" rather than a division by 0.

use std::time::Duration;

/// Share of ONE core used over `elapsed`, in percent: Δ(utime+stime) / hz / Δwall × 100.
/// A process with 4 spinning threads gives ~400.
pub fn cpu_percent(prev_ticks: u64, cur_ticks: u64, hz: u64, elapsed: Duration) -> f32 {
    (cores_in_use(prev_ticks, cur_ticks, hz, elapsed) * 100.0) as f32
}

/// Δ CPU time / Δ wall time: how many cores' worth of work the task did (1.96 of 2 cores).
pub fn cores_in_use(prev_ticks: u64, cur_ticks: u64, hz: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if hz == 0 || secs <= 0.0 || cur_ticks < prev_ticks {
        return 0.0;
    }
    (cur_ticks - prev_ticks) as f64 / hz as f64 / secs
}

/// Events per second of a monotonic counter (context switches); None when unknown.
pub fn per_sec(prev: u64, cur: u64, elapsed: Duration) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 || cur < prev {
        return None;
    }
    Some((cur - prev) as f64 / secs)
}

/// Share of the interval spent runnable but waiting for a core, from schedstat's wait_ns.
/// Capped at 100: one thread can't wait longer than the wall clock ran.
pub fn wait_percent(prev_wait_ns: u64, cur_wait_ns: u64, elapsed: Duration) -> Option<f32> {
    let ns = elapsed.as_nanos();
    if ns == 0 || cur_wait_ns < prev_wait_ns {
        return None;
    }
    Some(((cur_wait_ns - prev_wait_ns) as f64 / ns as f64 * 100.0).min(100.0) as f32)
}

/// Clock ticks to milliseconds.
pub fn ticks_to_ms(ticks: u64, hz: u64) -> u64 {
    if hz == 0 {
        return 0;
    }
    u64::try_from(u128::from(ticks) * 1000 / u128::from(hz)).unwrap_or(u64::MAX)
}

/// Share of `part` in `total`, in percent (0 when total is 0).
pub fn share_percent(part: u64, total: u64) -> f32 {
    if total == 0 {
        return 0.0;
    }
    (part as f64 / total as f64 * 100.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn cpu_percent_of_one_core() {
        // 50 ticks at 100 Hz in 1 s: half a core.
        assert!(close(cpu_percent(100, 150, 100, SEC).into(), 50.0));
        // 4 threads spinning for 0.5 s: 200 ticks in 0.5 s = 400 %.
        assert!(close(cpu_percent(0, 200, 100, Duration::from_millis(500)).into(), 400.0));
        assert_eq!(cpu_percent(10, 10, 100, SEC), 0.0);
    }

    #[test]
    fn cores_in_use_from_ticks() {
        assert!(close(cores_in_use(1000, 1196, 100, SEC), 1.96));
        assert!(close(cores_in_use(0, 25, 100, Duration::from_millis(250)), 1.0));
    }

    #[test]
    fn resets_and_zero_elapsed_give_no_rate() {
        // A reused PID: the new process has fewer ticks than the old one had.
        assert_eq!(cpu_percent(5000, 10, 100, SEC), 0.0);
        assert_eq!(cores_in_use(5000, 10, 100, SEC), 0.0);
        assert_eq!(per_sec(900, 3, SEC), None);
        assert_eq!(wait_percent(900, 3, SEC), None);
        assert_eq!(cpu_percent(0, 10, 100, Duration::ZERO), 0.0);
        assert_eq!(per_sec(0, 10, Duration::ZERO), None);
        assert_eq!(wait_percent(0, 10, Duration::ZERO), None);
        assert_eq!(cpu_percent(0, 10, 0, SEC), 0.0);
    }

    #[test]
    fn switches_per_second() {
        assert_eq!(per_sec(100, 150, Duration::from_millis(500)), Some(100.0));
        assert_eq!(per_sec(7, 7, SEC), Some(0.0));
    }

    #[test]
    fn wait_percent_from_schedstat() {
        // 250 ms of waiting in a 1 s interval.
        let w = wait_percent(1_000_000, 251_000_000, SEC).unwrap();
        assert!((w - 25.0).abs() < 1e-4);
        // Clock skew can't make it exceed 100.
        assert_eq!(wait_percent(0, 3_000_000_000, SEC), Some(100.0));
    }

    #[test]
    fn ticks_and_shares() {
        assert_eq!(ticks_to_ms(123, 100), 1230);
        assert_eq!(ticks_to_ms(u64::MAX, 100), u64::MAX);
        assert_eq!(ticks_to_ms(5, 0), 0);
        assert_eq!(share_percent(1, 4), 25.0);
        assert_eq!(share_percent(1, 0), 0.0);
    }
}
