//! switch-cost: two tasks ping-pong a byte over two pipes, as two threads of this process and
//! as two forked processes, both pinned to one core and then each to its own core. Each side
//! counts its round trips and its own context switches (getrusage(RUSAGE_THREAD), the counts
//! /proc/PID/task/TID/status shows); µs per round trip and switches per second follow. Each of
//! the four runs gets a quarter of the duration; the tasks linger a moment after their loop so
//! that /proc still shows their final counts to whoever watches.
//!
//! The processes are forked while the worker has one thread; they make only system calls
//! (sched_setaffinity, read, write, getrusage, clock_gettime, nanosleep) after the fork.

use std::io::{PipeReader, PipeWriter, Read};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::Duration;

use super::{Slots, allowed_cpus, ended, fork_child, kill_and_reap, pin_to, reap, thread_switches};
use crate::lab::protocol::EndCause;
use crate::lab::worker::Run;
use crate::model::figures::{DemoFigures, SwitchFigures, SwitchRun};

/// How long each task stays after its loop, so that a watcher's last look sees its counts.
const LINGER: Duration = Duration::from_millis(400);

/// What one side measured.
#[derive(Clone, Copy, Debug, Default)]
struct Side {
    rounds: u64,
    voluntary: u64,
    involuntary: u64,
    nanos: u64,
}

impl Side {
    fn to_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, v) in [self.rounds, self.voluntary, self.involuntary, self.nanos].into_iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    fn from_bytes(b: &[u8; 32]) -> Side {
        let at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        Side { rounds: at(0), voluntary: at(1), involuntary: at(2), nanos: at(3) }
    }
}

fn now_ns() -> u64 {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64)
}

fn write1(fd: i32, b: u8) -> bool {
    // SAFETY: a one-byte write from a valid buffer.
    unsafe { libc::write(fd, [b].as_ptr().cast(), 1) == 1 }
}

fn read1(fd: i32) -> Option<u8> {
    let mut b = 0u8;
    loop {
        // SAFETY: a one-byte read into a valid buffer.
        let r = unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) };
        if r == 1 {
            return Some(b);
        }
        if r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
}

/// One side of the ping-pong, pinned to `cpu`. The ping side sends 1s for `for_ns`, then a 0;
/// the pong side echoes until the 0 (or EOF).
fn side(ping: bool, rx: i32, tx: i32, cpu: usize, for_ns: u64) -> Side {
    let _ = pin_to(&[cpu]);
    let (v0, i0) = thread_switches();
    let t0 = now_ns();
    let until = t0.saturating_add(for_ns);
    let mut rounds = 0u64;
    if ping {
        loop {
            if !write1(tx, 1) || read1(rx).is_none() {
                break;
            }
            rounds += 1;
            if rounds.is_multiple_of(256) && now_ns() >= until {
                break;
            }
        }
        write1(tx, 0);
    } else {
        while let Some(b) = read1(rx) {
            if b == 0 || !write1(tx, b) {
                break;
            }
            rounds += 1;
        }
    }
    let nanos = now_ns().saturating_sub(t0);
    let (v1, i1) = thread_switches();
    Side { rounds, voluntary: v1.saturating_sub(v0), involuntary: i1.saturating_sub(i0), nanos }
}

#[allow(clippy::incompatible_msrv)]
fn pipe() -> Result<(PipeReader, PipeWriter), String> {
    std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))
}

/// Two threads; `(ping, pong)`.
fn with_threads(names: [String; 2], cpus: [usize; 2], for_ns: u64) -> Result<(Side, Side), String> {
    let (a_r, a_w) = pipe()?;
    let (b_r, b_w) = pipe()?;
    let [ping_name, pong_name] = names;
    let pong = thread::Builder::new()
        .name(pong_name)
        .stack_size(128 << 10)
        .spawn(move || {
            let s = side(false, a_r.as_raw_fd(), b_w.as_raw_fd(), cpus[1], 0);
            thread::sleep(LINGER);
            s
        })
        .map_err(|e| format!("cannot start the pong thread: {e}"))?;
    let ping = thread::Builder::new()
        .name(ping_name)
        .stack_size(128 << 10)
        .spawn(move || {
            let s = side(true, b_r.as_raw_fd(), a_w.as_raw_fd(), cpus[0], for_ns);
            thread::sleep(LINGER);
            s
        })
        .map_err(|e| format!("cannot start the ping thread: {e}"))?;
    let ping = ping.join().map_err(|_| "the ping thread panicked".to_owned())?;
    let pong = pong.join().map_err(|_| "the pong thread panicked".to_owned())?;
    Ok((ping, pong))
}

/// Two forked processes; `(ping, pong)`.
fn with_processes(names: [String; 2], cpus: [usize; 2], for_ns: u64) -> Result<(Side, Side), String> {
    let (pa_r, pa_w) = pipe()?;
    let (pb_r, pb_w) = pipe()?;
    let (mut res_r, res_w) = pipe()?;
    let (a_r, a_w, b_r, b_w, res) =
        (pa_r.as_raw_fd(), pa_w.as_raw_fd(), pb_r.as_raw_fd(), pb_w.as_raw_fd(), res_w.as_raw_fd());
    let mut pids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let ping = i == 0;
        let mut body = || {
            let s = if ping { side(true, b_r, a_w, cpus[0], for_ns) } else { side(false, a_r, b_w, cpus[1], 0) };
            let mut msg = [0u8; 33];
            msg[0] = i as u8;
            msg[1..].copy_from_slice(&s.to_bytes());
            // SAFETY: one write under PIPE_BUF from a valid buffer: it arrives whole.
            unsafe { libc::write(res, msg.as_ptr().cast(), msg.len()) };
            thread::sleep(LINGER);
            0
        };
        match fork_child(name, &mut body) {
            Ok(pid) => pids.push(pid),
            Err(e) => {
                kill_and_reap(&pids);
                return Err(e);
            }
        }
    }
    // Only the two sides hold the pipes now: one dying gives the other EOF, and both dying
    // gives this read EOF, instead of a wait for ever.
    drop((pa_r, pa_w, pb_r, pb_w, res_w));
    let mut sides = [Side::default(); 2];
    let mut buf = [0u8; 33];
    for _ in 0..2 {
        if res_r.read_exact(&mut buf).is_err() {
            kill_and_reap(&pids);
            return Err("a ping-pong process ended without its figures".to_owned());
        }
        let mut b = [0u8; 32];
        b.copy_from_slice(&buf[1..]);
        sides[usize::from(buf[0] & 1)] = Side::from_bytes(&b);
    }
    for pid in pids {
        let _ = reap(pid);
    }
    Ok((sides[0], sides[1]))
}

pub(in crate::lab) fn run(run: &mut Run) -> Result<(u64, EndCause), String> {
    let cpus = allowed_cpus();
    let first = *cpus.first().ok_or("no CPU to run on")?;
    let second = cpus.get(1).copied();
    let slots = Slots::new(run, 4);
    // Leave the linger and some room inside each slot.
    let for_ns = u64::try_from(slots.each().saturating_sub(LINGER * 2).max(Duration::from_millis(100)).as_nanos())
        .unwrap_or(u64::MAX);
    let mut figures = SwitchFigures::default();
    let mut ops = 0;
    let mut plan: Vec<(&str, u32, [usize; 2])> = vec![("threads", 1, [first, first]), ("processes", 1, [first, first])];
    if let Some(second) = second {
        plan.push(("threads", 2, [first, second]));
        plan.push(("processes", 2, [first, second]));
    }
    for (step, (mode, cores, pinned)) in plan.into_iter().enumerate() {
        if let Some(cause) = run.end_cause() {
            return ended(ops, Some(cause));
        }
        let names = if mode == "threads" {
            [format!("sw{cores}-ping"), format!("sw{cores}-pong")]
        } else {
            [format!("tt-sw-p{cores}-ping"), format!("tt-sw-p{cores}-pong")]
        };
        // The worker's own beat goes quiet meanwhile; the loop is short.
        run.progress(ops);
        let (ping, pong) = if mode == "threads" {
            with_threads(names.clone(), pinned, for_ns)?
        } else {
            with_processes(names.clone(), pinned, for_ns)?
        };
        let seconds = ping.nanos as f64 / 1e9;
        let voluntary = ping.voluntary + pong.voluntary;
        figures.runs.push(SwitchRun {
            mode: mode.to_owned(),
            cores,
            names: names.to_vec(),
            round_trips: ping.rounds,
            seconds,
            us_per_round_trip: if ping.rounds == 0 { 0.0 } else { seconds * 1e6 / ping.rounds as f64 },
            voluntary_switches: voluntary,
            involuntary_switches: ping.involuntary + pong.involuntary,
            switches_per_sec: if seconds > 0.0 { voluntary as f64 / seconds } else { 0.0 },
        });
        ops += 1;
        run.figures(DemoFigures::SwitchCost(figures.clone()), ops);
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
    fn two_threads_ping_pong_and_count_their_switches() {
        let cpu = allowed_cpus()[0];
        let (ping, pong) = with_threads(["t-ping".into(), "t-pong".into()], [cpu, cpu], 20_000_000).unwrap();
        assert!(ping.rounds > 10, "{ping:?}");
        assert_eq!(ping.rounds, pong.rounds);
        // On one core, each read that waits is a voluntary switch: about one per round trip.
        assert!(pong.voluntary as f64 >= 0.5 * pong.rounds as f64, "{pong:?}");
        let s = Side { rounds: 1, voluntary: 2, involuntary: 3, nanos: u64::MAX };
        let back = Side::from_bytes(&s.to_bytes());
        assert_eq!((back.rounds, back.voluntary, back.involuntary, back.nanos), (1, 2, 3, u64::MAX));
    }
}
