//! The one support module of the integration tests: the real binary in a pseudo-terminal
//! (`tui`), /proc readings and the demo processes a test started (`procs`), running the binary
//! with a timeout while watching its descendants (`run`), and helper processes made of this test
//! binary (`helper`). Nothing here is duplicated elsewhere in tests/.
#![allow(dead_code)]

pub mod helper;
pub mod procs;
pub mod run;
pub mod tui;

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

pub use helper::{HelperProc, churn_stats};
pub use procs::*;
pub use run::*;
pub use tui::Tui;

pub const BIN: &str = env!("CARGO_BIN_EXE_threadtop");

/// One lock for every test of this binary that must not overlap with another heavy one: demos
/// that use cores, CPU measurements, torture scenarios. Each was once its own binary and cargo
/// ran binaries one at a time; now they share a process, so they take this. Taken exclusively.
static HEAVY: RwLock<()> = RwLock::new(());

/// For a heavy test: no other test holding `serial()` or `shared()` runs meanwhile.
/// The lab's demo kinds that need nothing but threadtop (`DemoKind::ALL`) in catalogue order,
/// each with the process name it shows once started, from the catalogue itself (so a renamed
/// demo cannot leave a test looking for the old name).
pub fn lab_kinds() -> Vec<(String, String)> {
    use threadtop::model::{catalog, demo::DemoKind};
    DemoKind::EVERY
        .iter()
        .filter(|k| DemoKind::ALL.contains(k))
        .map(|&k| (k.to_string(), catalog::process_name(k, 0)))
        .collect()
}

/// Where the lab's catalogue lists `kind` (Down presses from the top): the Python kinds sit
/// between `ALL`'s, so this is not the kind's place in `lab_kinds`.
pub fn catalogue_row(kind: &str) -> usize {
    use threadtop::model::demo::DemoKind;
    DemoKind::EVERY.iter().position(|k| k.name() == kind).unwrap_or_else(|| panic!("{kind} is not in the catalogue"))
}

pub fn serial() -> RwLockWriteGuard<'static, ()> {
    HEAVY.write().unwrap_or_else(|e| e.into_inner())
}

/// For a light test in a real terminal (a TUI at its default refresh, no demo): it may run
/// beside other light ones, as the tests of one binary did, but never during a heavy one.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    HEAVY.read().unwrap_or_else(|e| e.into_inner())
}

/// A duration in seconds from the environment, or `default`.
pub fn env_secs(name: &str, default: f64) -> Duration {
    let secs = std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok()).filter(|s| s.is_finite() && *s > 0.0);
    Duration::from_secs_f64(secs.unwrap_or(default))
}

/// A count from the environment, or `default`.
pub fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// True when `name` is set to 1: an explicit opt-out of a test that needs what is missing here.
/// The test says so on stderr, which libtest shows only on failure, so the opt-out is the user's
/// word, never a silent skip.
pub fn opted_out(name: &str) -> bool {
    let out = std::env::var(name).is_ok_and(|v| v == "1");
    if out {
        eprintln!("{name}=1: not tested");
    }
    out
}

/// A small deterministic PRNG (xorshift64*), so a failing run can be repeated from its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// A seed from the environment (`TORTURE_SEED`) or the clock; printed by the caller.
pub fn seed() -> u64 {
    match std::env::var("TORTURE_SEED").ok().and_then(|v| v.parse().ok()) {
        Some(s) => s,
        None => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64),
    }
}

/// A scratch directory of this test, removed on drop.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("threadtop-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
    pub fn path(&self, rel: &str) -> std::path::PathBuf {
        self.0.join(rel)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// True if the screen shows a Rust panic message (`thread 'x' panicked at src/...`). Specific,
/// because other processes' command lines on screen may contain any word.
pub fn has_panic_text(screen: &str) -> bool {
    screen.contains("' panicked at ") || screen.contains("RUST_BACKTRACE=1")
}

/// The lines of the process table under its header row (`PID ... COMMAND`), up to the status
/// line above the function-key bar.
pub fn table_rows(screen: &str) -> Vec<String> {
    let mut lines = screen.lines().skip_while(|l| !(l.contains("PID") && l.contains("COMMAND")));
    lines.next();
    let mut rows: Vec<String> = lines.take_while(|l| !l.contains("F10Quit")).map(str::to_string).collect();
    if screen.contains("F10Quit") {
        rows.pop();
    }
    rows
}

/// Run as a child process by `HelperProc::spawn` (`--exact support::helper --ignored`): does
/// nothing unless started so, which `helper::run` checks.
#[test]
#[ignore = "a helper process the other tests start; does nothing on its own"]
fn helper() {
    helper::run();
}
