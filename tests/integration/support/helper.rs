//! Helper processes made of this test binary: it runs again as `--exact support::helper
//! --ignored` with `THREADTOP_TORTURE_HELPER` saying what to be (churn, park, bigmem, or a
//! scenario that needs a process of its own, such as a child subreaper).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::procs::status_number;
use super::{Rng, env_count, env_secs};

/// Processes this test started as helpers. Each dies with the test thread that started it
/// (PR_SET_PDEATHSIG) and is killed and reaped on drop.
pub struct HelperProc(pub std::process::Child);

pub const HELPER_ENV: &str = "THREADTOP_TORTURE_HELPER";

/// The helper's command: this binary, running only `support::helper`.
pub fn command(kind: &str, tag: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("current exe"));
    cmd.args(["--skip", tag, "--exact", "support::helper", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(HELPER_ENV, kind)
        .stdin(std::process::Stdio::null());
    cmd
}

impl HelperProc {
    /// `tag` goes on the command line (a harmless `--skip` filter) so searches can find it.
    pub fn spawn(kind: &str, tag: &str, envs: &[(&str, &str)]) -> HelperProc {
        let mut cmd = command(kind, tag);
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        HelperProc(cmd.spawn().expect("spawn helper"))
    }

    /// A helper holding 256 MiB resident and asleep, once that memory is resident.
    pub fn bigmem(tag: &str) -> HelperProc {
        let h = HelperProc::spawn("bigmem", tag, &[]);
        for _ in 0..400 {
            if status_number(h.pid(), "VmRSS").is_some_and(|kib| kib > 200 << 10) {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        h
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }

    /// Waits until the helper has at least `n` threads; false on timeout or exit.
    pub fn wait_threads(&mut self, n: u64, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return false;
            }
            if status_number(self.pid(), "Threads").is_some_and(|t| t >= n) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for HelperProc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The body of `support::helper`: does nothing unless this process was started by `command`.
pub fn run() {
    match std::env::var(HELPER_ENV).as_deref() {
        Ok("churn") => churn_main(),
        Ok("park") => park_main(),
        Ok("bigmem") => bigmem_main(),
        Ok("metrics") => metrics_main(),
        Ok("pdeathsig") => crate::lab::pdeathsig::in_a_subreaper(),
        Ok("why") => crate::why::helper_main(),
        _ => {}
    }
}

/// Bigmem: 256 MiB resident and asleep, so it sorts first by memory and last by CPU.
fn bigmem_main() {
    die_with_parent();
    let mut v = vec![0u8; 256 << 20];
    for i in (0..v.len()).step_by(4096) {
        v[i] = 1;
    }
    std::hint::black_box(&v);
    std::thread::sleep(Duration::from_secs(120));
}

/// The metrics tests' process: its thread renamed `tmx-helper`, a thread `tmx-spin` that spins
/// about a third of the time (so its CPU grows every second) and two parked `tmx-idle` threads.
fn metrics_main() {
    die_with_parent();
    // SAFETY: PR_SET_NAME with a NUL-terminated name of at most 16 bytes renames this thread.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"tmx-helper".as_ptr()) };
    let _spin = std::thread::Builder::new().name("tmx-spin".into()).spawn(|| {
        loop {
            let t = std::time::Instant::now();
            while t.elapsed() < Duration::from_millis(10) {
                std::hint::spin_loop();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    for _ in 0..2 {
        let _ = std::thread::Builder::new().name("tmx-idle".into()).spawn(|| {
            loop {
                std::thread::park();
            }
        });
    }
    std::thread::sleep(Duration::from_secs(600));
}

/// Dies with the parent (the test thread that spawned us), and at once if it is already gone.
fn die_with_parent() {
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number; getppid has no preconditions.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            libc::_exit(0);
        }
    }
}

/// Churn: forks short-lived children at `TORTURE_CHURN_RATE` per second (default 500), each
/// living 0-15 ms, reaps them, and keeps two threads creating and joining batches of short-lived
/// named threads (`churn-N`). Writes `spawned reaped threads elapsed_ms` to
/// `THREADTOP_TORTURE_OUT` four times a second. Stops after `TORTURE_CHURN_LIMIT` seconds.
fn churn_main() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    die_with_parent();
    let rate = env_count("TORTURE_CHURN_RATE", 500) as f64;
    let limit = env_secs("TORTURE_CHURN_LIMIT", 3600.0);
    let out = std::env::var("THREADTOP_TORTURE_OUT").ok();
    let stop = Arc::new(AtomicBool::new(false));
    let threads_made = Arc::new(AtomicU64::new(0));
    let mut churners = Vec::new();
    for w in 0..2u64 {
        let (stop, made) = (stop.clone(), threads_made.clone());
        churners.push(
            std::thread::Builder::new()
                .name(format!("churner-{w}"))
                .spawn(move || {
                    let mut rng = Rng::new(0x5eed + w);
                    while !stop.load(Ordering::Relaxed) {
                        let batch: Vec<_> = (0..8)
                            .filter_map(|_| {
                                let ms = rng.range(1, 20);
                                let n = made.fetch_add(1, Ordering::Relaxed);
                                std::thread::Builder::new()
                                    .name(format!("churn-{n}"))
                                    .stack_size(64 << 10)
                                    .spawn(move || std::thread::sleep(Duration::from_millis(ms)))
                                    .ok()
                            })
                            .collect();
                        for t in batch {
                            let _ = t.join();
                        }
                    }
                })
                .expect("churner thread"),
        );
    }
    let mut rng = Rng::new(0xc0ffee);
    let start = Instant::now();
    let (mut spawned, mut reaped) = (0u64, 0u64);
    let mut last_report = Instant::now();
    while start.elapsed() < limit {
        let due = (start.elapsed().as_secs_f64() * rate) as u64;
        while spawned < due {
            let ns = rng.range(0, 15_000_000) as libc::c_long;
            // SAFETY: the child only makes async-signal-safe syscalls (prctl, nanosleep, _exit).
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                unsafe {
                    libc::prctl(libc::PR_SET_NAME, c"churn-kid".as_ptr());
                    let ts = libc::timespec { tv_sec: 0, tv_nsec: ns };
                    libc::nanosleep(&ts, std::ptr::null_mut());
                    libc::_exit(0);
                }
            }
            if pid > 0 {
                spawned += 1;
            } else {
                break;
            }
        }
        loop {
            let mut status = 0;
            // SAFETY: waitpid on our own children with a valid status pointer.
            let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if r <= 0 {
                break;
            }
            reaped += 1;
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            last_report = Instant::now();
            if let Some(out) = &out {
                let tmp = format!("{out}.tmp");
                let text = format!(
                    "{spawned} {reaped} {} {}\n",
                    threads_made.load(Ordering::Relaxed),
                    start.elapsed().as_millis()
                );
                if std::fs::write(&tmp, text).is_ok() {
                    let _ = std::fs::rename(&tmp, out);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::Relaxed);
    for c in churners {
        let _ = c.join();
    }
}

/// What the churn helper reported last: (processes spawned, reaped, threads made, elapsed).
pub fn churn_stats(out: &std::path::Path) -> Option<(u64, u64, u64, Duration)> {
    let text = std::fs::read_to_string(out).ok()?;
    let v: Vec<u64> = text.split_whitespace().filter_map(|t| t.parse().ok()).collect();
    Some((*v.first()?, *v.get(1)?, *v.get(2)?, Duration::from_millis(*v.get(3)?)))
}

/// Park: `TORTURE_PARK_THREADS` (default 199) extra threads named `park-N` with 64 KiB stacks,
/// all parked, and the main thread asleep: a process of 200 sleeping tasks.
fn park_main() {
    die_with_parent();
    let n = env_count("TORTURE_PARK_THREADS", 199);
    for i in 0..n {
        let spawned = std::thread::Builder::new().name(format!("park-{i}")).stack_size(64 << 10).spawn(|| {
            loop {
                std::thread::park();
            }
        });
        if spawned.is_err() {
            break;
        }
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
