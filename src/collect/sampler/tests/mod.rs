//! Sampler tests: against a fake proc tree written into a temp dir (`fake_tree`, with the tree
//! in `fake`), on the real /proc with files kept open (`live`), and of the `tt-sampler` thread
//! (`thread`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::collect::model::ProcessSample;

mod extra;
mod fake;
mod fake_tree;
mod live;
mod thread;
mod why;

fn hz() -> f64 {
    crate::collect::procfs::clock_ticks_per_second() as f64
}

fn find(s: &Snapshot, pid: Pid) -> &ProcessSample {
    s.processes.iter().find(|p| p.pid == pid).unwrap_or_else(|| panic!("pid {pid} not in snapshot"))
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3 * b.abs().max(1.0)
}
