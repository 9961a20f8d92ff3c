//! The demos of issue 16 that `worker` dispatches to, one file each: `memory`, `race`, `switch`
//! (switch-cost), `ipc`, `real_io`; and what they share: forking a named child that dies with
//! the worker, pinning to cores, a thread's own context-switch counts, a step's time slot.
//! Each runs in the worker process (`__workload KIND`), measures its figures itself and sends
//! them as `Report::Figures`. Outside the lab, imports only `collect` and `model`.

pub(super) mod ipc;
pub(super) mod memory;
pub(super) mod race;
pub(super) mod real_io;
pub(super) mod switch;

use std::ffi::CString;
use std::time::{Duration, Instant};

use super::protocol::EndCause;
use super::worker::Run;

/// Runs in a forked child. Forking is only safe here because the worker has one thread when it
/// forks (`fork_child` checks): the child may then allocate and lock as any process may.
pub(super) type ChildBody<'a> = &'a mut dyn FnMut() -> i32;

/// How many threads this process has now (`Threads:` of /proc/self/status).
fn thread_count() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Threads:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Forks a child named `name` that runs `body` and exits with what it returns. The child dies
/// with the worker (PDEATHSIG, armed here and checked against the parent PID), takes the stop
/// signals' default action (the supervisor's TERM to the group ends it at once), and never
/// returns into the worker's code. Refused unless the worker has a single thread, since a fork
/// of a multi-threaded process may copy a lock another thread held.
pub(super) fn fork_child(name: &str, body: ChildBody<'_>) -> Result<libc::pid_t, String> {
    match thread_count() {
        Some(1) => {}
        Some(n) => return Err(format!("will not fork {name}: the worker has {n} threads, not 1")),
        None => return Err(format!("will not fork {name}: cannot read this process's thread count")),
    }
    let cname = CString::new(name).map_err(|e| e.to_string())?;
    let parent = rustix::process::getpid();
    // SAFETY: the process has one thread (checked above), so the child is a full copy with no
    // lock held by a thread that does not exist in it; it leaves through _exit only.
    match unsafe { libc::fork() } {
        -1 => Err(format!("cannot fork {name}: {}", std::io::Error::last_os_error())),
        0 => {
            for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
                // SAFETY: restores a default disposition; no handler of ours runs in the child.
                unsafe { libc::signal(signal, libc::SIG_DFL) };
            }
            let _ = rustix::thread::set_name(&cname);
            let armed = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
            let code = if armed.is_err() || rustix::process::getppid() != Some(parent) { 1 } else { body() };
            // SAFETY: leaves the child without running the worker's destructors or atexit
            // handlers, which belong to the worker.
            unsafe { libc::_exit(code) }
        }
        pid => Ok(pid),
    }
}

/// Waits for a child; its exit code, or `None` if it died by a signal or was not ours.
pub(super) fn reap(pid: libc::pid_t) -> Option<i32> {
    let pid = rustix::process::Pid::from_raw(pid)?;
    let status = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty()).ok()??;
    status.1.exit_status()
}

/// SIGKILLs and reaps children the worker is giving up on (a stop in the middle of a step).
pub(super) fn kill_and_reap(pids: &[libc::pid_t]) {
    for &pid in pids {
        // SAFETY: a plain kill of our own unreaped child: its PID cannot have been reused.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    for &pid in pids {
        let _ = reap(pid);
    }
}

/// The CPUs this thread may run on, lowest first.
pub(super) fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain bits; sched_getaffinity fills it for the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
    }
}

/// Restricts the calling thread to `cpus` (threads it starts afterwards inherit them).
pub(super) fn pin_to(cpus: &[usize]) -> Result<(), String> {
    // SAFETY: as allowed_cpus; sched_setaffinity(0) applies to the calling thread only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(format!("cannot pin to CPUs {cpus:?}: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// The calling thread's voluntary and involuntary context switches so far: the counts
/// /proc/PID/task/TID/status shows as `voluntary_ctxt_switches` and `nonvoluntary_...`.
pub(super) fn thread_switches() -> (u64, u64) {
    // SAFETY: getrusage fills the struct for the calling thread.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut usage) != 0 {
            return (0, 0);
        }
        (u64::try_from(usage.ru_nvcsw).unwrap_or(0), u64::try_from(usage.ru_nivcsw).unwrap_or(0))
    }
}

/// The time slots of a demo made of `steps` steps over its duration: step `i` may start at
/// `slot(i)` and the next at `slot(i + 1)`, so each is on screen for about as long.
pub(super) struct Slots {
    start: Instant,
    each: Duration,
}

impl Slots {
    pub(super) fn new(run: &Run, steps: u32) -> Slots {
        let start = Instant::now();
        let total = run.deadline.saturating_duration_since(start);
        Slots { start, each: total / steps.max(1) }
    }

    pub(super) fn end_of(&self, step: u32) -> Instant {
        self.start + self.each * (step + 1)
    }

    pub(super) fn each(&self) -> Duration {
        self.each
    }
}

/// The result of a step-by-step demo that stopped (or finished) with `ops` steps done.
pub(super) fn ended(ops: u64, cause: Option<EndCause>) -> Result<(u64, EndCause), String> {
    Ok((ops, cause.unwrap_or(EndCause::Deadline)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_thread_can_be_pinned_and_counts_its_switches() {
        let cpus = allowed_cpus();
        assert!(!cpus.is_empty());
        let (v0, _) = thread_switches();
        // Pinning is tried on a thread of its own, so the test thread keeps its cores.
        let first = cpus[0];
        let seen = std::thread::spawn(move || {
            pin_to(&[first]).unwrap();
            let pinned = allowed_cpus();
            std::thread::sleep(Duration::from_millis(2));
            (pinned, thread_switches().0)
        })
        .join()
        .unwrap();
        assert_eq!(seen.0, vec![first]);
        // A sleep gives up the CPU: a voluntary switch.
        assert!(seen.1 >= 1, "{seen:?}");
        std::thread::sleep(Duration::from_millis(2));
        assert!(thread_switches().0 > v0);
    }
}
