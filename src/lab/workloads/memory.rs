//! memory: one buffer of B MiB written by N threads of one process, vs N processes writing
//! their own, vs N children forked from a parent holding one buffer that first only read it,
//! then write it (copy-on-write). After each step every process holding a buffer is measured
//! from /proc/PID/smaps_rollup (RSS, PSS, USS) and the figures are sent; the step stays on
//! screen until its quarter of the duration ends.
//!
//! Children are forked while the worker has a single thread (its threads of step 1 are joined
//! by then), and do only system calls and plain memory accesses on memory prepared before the
//! fork: mmap, a fill, reads, read/write on pipes, prctl.

use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::{Slots, ended, fork_child, kill_and_reap};
use crate::lab::protocol::EndCause;
use crate::lab::worker::Run;
use crate::model::catalog;
use crate::model::demo::{DemoKind, DemoSpec};
use crate::model::figures::{DemoFigures, MemPhase, MemUse, MemoryFigures};

const PAGE: usize = 4096;
/// How long the worker waits for its children to have touched their buffers.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// MemAvailable of /proc/meminfo, in bytes.
pub(crate) fn mem_available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_kib_field(&text, "MemAvailable:").map(|kib| kib.saturating_mul(1024))
}

/// The value of a `Name:   1234 kB` line, in KiB.
fn parse_kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    line[name.len()..].split_whitespace().next()?.parse().ok()
}

/// RSS, PSS and USS of `pid` from the text of its smaps_rollup. `None` when a field is missing
/// (a kernel without smaps_rollup, a process gone meanwhile).
pub(crate) fn parse_smaps_rollup(pid: i32, text: &str) -> Option<MemUse> {
    let kib = |name| parse_kib_field_anywhere(text, name);
    let clean = kib("Private_Clean:")?;
    let dirty = kib("Private_Dirty:")?;
    Some(MemUse {
        pid,
        rss_bytes: kib("Rss:")?.saturating_mul(1024),
        pss_bytes: kib("Pss:")?.saturating_mul(1024),
        uss_bytes: clean.saturating_add(dirty).saturating_mul(1024),
    })
}

/// smaps_rollup's first line is the address range, so fields are found by name on any line.
fn parse_kib_field_anywhere(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(name)).and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

fn measure(pid: i32) -> Result<MemUse, String> {
    let path = format!("/proc/{pid}/smaps_rollup");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    parse_smaps_rollup(pid, &text).ok_or_else(|| format!("{path} lacks Rss, Pss or Private_*"))
}

/// An anonymous private mapping, without transparent huge pages so that copy-on-write and the
/// counts go page by page as the lesson says.
struct Buffer {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this struct; threads write disjoint slices.
unsafe impl Send for Buffer {}
unsafe impl Sync for Buffer {}

impl Buffer {
    fn new(len: usize) -> Result<Buffer, String> {
        // SAFETY: a fresh anonymous mapping; checked for MAP_FAILED below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!("cannot map {} MiB: {}", len >> 20, std::io::Error::last_os_error()));
        }
        // SAFETY: advice on the mapping just made; failure only leaves huge pages possible.
        unsafe { libc::madvise(ptr, len, libc::MADV_NOHUGEPAGE) };
        Ok(Buffer { ptr: ptr.cast(), len })
    }

    /// Writes `value` over bytes `from..to` (clamped to the buffer).
    fn fill(&self, from: usize, to: usize, value: u8) {
        let to = to.min(self.len);
        if from < to {
            // SAFETY: the range lies inside the mapping; callers write disjoint ranges.
            unsafe { std::ptr::write_bytes(self.ptr.add(from), value, to - from) };
        }
    }

    /// Reads one byte of every page, so each is mapped (shared with the parent) but not copied.
    fn touch(&self) -> u64 {
        let mut sum = 0u64;
        for at in (0..self.len).step_by(PAGE) {
            // SAFETY: inside the mapping; volatile so the reads are not optimised away.
            sum = sum.wrapping_add(u64::from(unsafe { std::ptr::read_volatile(self.ptr.add(at)) }));
        }
        sum
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what new() mapped.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// Waits until `n` bytes came on `ready` (one per child that has done its part), checking for
/// a stop meanwhile. `Ok(Some(cause))` when the demo must end instead.
fn wait_ready(run: &mut Run, ready: &mut PipeReader, n: usize, ops: u64) -> Result<Option<EndCause>, String> {
    let give_up = Instant::now() + READY_WITHIN;
    let mut got = 0;
    let mut next_report = Instant::now();
    while got < n {
        if let Some(cause) = run.end_cause() {
            return Ok(Some(cause));
        }
        if Instant::now() >= give_up {
            return Err(format!("only {got} of {n} children were ready within {} s", READY_WITHIN.as_secs()));
        }
        if Instant::now() >= next_report {
            run.progress(ops);
            next_report = Instant::now() + Duration::from_millis(250);
        }
        let mut fds = [rustix::event::PollFd::new(&*ready, rustix::event::PollFlags::IN)];
        let timeout = rustix::event::Timespec { tv_sec: 0, tv_nsec: 25_000_000 };
        if rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0) == 0 {
            continue;
        }
        let mut byte = [0u8; 64];
        match ready.read(&mut byte) {
            Ok(0) => return Err("the children's ready pipe closed".to_owned()),
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read the ready pipe: {e}")),
        }
    }
    Ok(None)
}

#[allow(clippy::incompatible_msrv)]
fn pipe() -> Result<(PipeReader, PipeWriter), String> {
    std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))
}

/// A child's half: write one byte to `fd` (raw write: no allocation, no lock).
fn say_ready(fd: i32) {
    // SAFETY: a one-byte write from a valid buffer to an fd the child inherited.
    unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
}

/// A child's half: block until a byte (or EOF) comes on `fd`.
fn wait_for_word(fd: i32) -> bool {
    let mut b = 0u8;
    loop {
        // SAFETY: a one-byte read into a valid buffer.
        let r = unsafe { libc::read(fd, (&mut b as *mut u8).cast(), 1) };
        if r == 1 {
            return true;
        }
        if r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return false;
        }
    }
}

pub(in crate::lab) fn run(run: &mut Run, n: u32) -> Result<(u64, EndCause), String> {
    let spec = DemoSpec { kind: DemoKind::Memory, workers: n, duration: Duration::ZERO };
    catalog::memory_check(&spec, mem_available_bytes())?;
    let b = usize::try_from(catalog::MEMORY_BUFFER_MIB << 20).map_err(|e| e.to_string())?;
    let slots = Slots::new(run, 4);
    let mut figures =
        MemoryFigures { buffer_bytes: b as u64, base: measure(std::process::id() as i32)?, phases: Vec::new() };
    let mut ops = 0u64;

    // 1: N threads, one buffer.
    let me = std::process::id() as i32;
    {
        let buffer = Arc::new(Buffer::new(b)?);
        let written = Arc::new(Barrier::new(n as usize + 1));
        let step_over = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        for i in 0..n {
            let (buffer, written, step_over) = (Arc::clone(&buffer), Arc::clone(&written), Arc::clone(&step_over));
            let share = b / n as usize;
            let handle = thread::Builder::new()
                .name(format!("mem-{i}"))
                .stack_size(128 << 10)
                .spawn(move || {
                    let from = share * i as usize;
                    let to = if i + 1 == n { buffer.len } else { from + share };
                    buffer.fill(from, to, 0x5a);
                    written.wait();
                    // Stay, so the threads view shows N threads holding one buffer.
                    while !step_over.load(Ordering::Relaxed) && !super::super::worker::STOP.load(Ordering::Relaxed) {
                        thread::sleep(Duration::from_millis(25));
                    }
                })
                .map_err(|e| format!("cannot start thread mem-{i}: {e}"));
            match handle {
                Ok(h) => handles.push(h),
                Err(e) => {
                    // The barrier would wait for the missing thread forever: leave at once.
                    return Err(e);
                }
            }
        }
        written.wait();
        figures.phases.push(MemPhase::new("threads", vec![measure(me)?]));
        ops += 1;
        run.figures(DemoFigures::Memory(figures.clone()), ops);
        let cause = run.hold(slots.end_of(0), ops);
        step_over.store(true, Ordering::Relaxed);
        for h in handles {
            let _ = h.join();
        }
        if cause.is_some() {
            return ended(ops, cause);
        }
    }

    // 2: N processes, each its own buffer.
    let (mut ready_r, ready_w) = pipe()?;
    let ready_fd = ready_w.as_raw_fd();
    let mut children = Vec::new();
    for i in 0..n {
        let name = format!("tt-mem-own-{i}");
        let mut body = || {
            let Ok(own) = Buffer::new(b) else { return 3 };
            own.fill(0, b, 0x33);
            say_ready(ready_fd);
            // Hold the buffer until the worker ends the step (SIGKILL) or dies (PDEATHSIG).
            loop {
                // SAFETY: pause only waits for a signal.
                unsafe { libc::pause() };
            }
        };
        match fork_child(&name, &mut body) {
            Ok(pid) => children.push(pid),
            Err(e) => {
                kill_and_reap(&children);
                return Err(e);
            }
        }
    }
    let step = step_own(run, &mut ready_r, &children, &mut figures, &mut ops, slots.end_of(1));
    kill_and_reap(&children);
    if let Some(cause) = step? {
        return ended(ops, Some(cause));
    }

    // 3 and 4: N children inherit one buffer, read it, then write it.
    let shared = Buffer::new(b)?;
    shared.fill(0, b, 0x77);
    let mut controls: Vec<PipeWriter> = Vec::new();
    let mut children = Vec::new();
    for i in 0..n {
        let (control_r, control_w) = pipe()?;
        let control_fd = control_r.as_raw_fd();
        let written_name = std::ffi::CString::new(format!("tt-mem-cow-{i}")).map_err(|e| e.to_string())?;
        let shared = &shared;
        let mut body = || {
            std::hint::black_box(shared.touch());
            say_ready(ready_fd);
            if !wait_for_word(control_fd) {
                return 0;
            }
            shared.fill(0, b, 0x11 + i as u8);
            let _ = rustix::thread::set_name(&written_name);
            say_ready(ready_fd);
            loop {
                // SAFETY: pause only waits for a signal.
                unsafe { libc::pause() };
            }
        };
        match fork_child(&format!("tt-mem-shr-{i}"), &mut body) {
            Ok(pid) => children.push(pid),
            Err(e) => {
                kill_and_reap(&children);
                return Err(e);
            }
        }
        drop(control_r);
        controls.push(control_w);
    }
    // The children alone hold the pages now: each one's PSS is B/N.
    drop(shared);
    let step = step_shared(run, &mut ready_r, &children, &mut controls, &mut figures, &mut ops, &slots);
    kill_and_reap(&children);
    ended(ops, step?)
}

fn measure_all(pids: &[libc::pid_t]) -> Result<Vec<MemUse>, String> {
    pids.iter().map(|&p| measure(p)).collect()
}

fn step_own(
    run: &mut Run,
    ready: &mut PipeReader,
    children: &[libc::pid_t],
    figures: &mut MemoryFigures,
    ops: &mut u64,
    until: Instant,
) -> Result<Option<EndCause>, String> {
    if let Some(cause) = wait_ready(run, ready, children.len(), *ops)? {
        return Ok(Some(cause));
    }
    figures.phases.push(MemPhase::new("own", measure_all(children)?));
    *ops += 1;
    run.figures(DemoFigures::Memory(figures.clone()), *ops);
    Ok(run.hold(until, *ops))
}

fn step_shared(
    run: &mut Run,
    ready: &mut PipeReader,
    children: &[libc::pid_t],
    controls: &mut [PipeWriter],
    figures: &mut MemoryFigures,
    ops: &mut u64,
    slots: &Slots,
) -> Result<Option<EndCause>, String> {
    if let Some(cause) = wait_ready(run, ready, children.len(), *ops)? {
        return Ok(Some(cause));
    }
    figures.phases.push(MemPhase::new("shared-read", measure_all(children)?));
    *ops += 1;
    run.figures(DemoFigures::Memory(figures.clone()), *ops);
    if let Some(cause) = run.hold(slots.end_of(2), *ops) {
        return Ok(Some(cause));
    }
    for c in controls.iter_mut() {
        c.write_all(&[1]).map_err(|e| format!("cannot tell a child to write: {e}"))?;
    }
    if let Some(cause) = wait_ready(run, ready, children.len(), *ops)? {
        return Ok(Some(cause));
    }
    figures.phases.push(MemPhase::new("shared-written", measure_all(children)?));
    *ops += 1;
    run.figures(DemoFigures::Memory(figures.clone()), *ops);
    Ok(run.hold(slots.end_of(3), *ops))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smaps_rollup_fields_are_read_by_name() {
        let text = "55d0c0a00000-7ffc3c9f2000 ---p 00000000 00:00 0                          [rollup]\n\
                    Rss:               70512 kB\nPss:               17760 kB\nPss_Dirty:         16600 kB\n\
                    Shared_Clean:       1000 kB\nShared_Dirty:      65536 kB\nPrivate_Clean:       12 kB\n\
                    Private_Dirty:      3964 kB\nReferenced:        70512 kB\n";
        let m = parse_smaps_rollup(7, text).unwrap();
        assert_eq!(m, MemUse { pid: 7, rss_bytes: 70512 * 1024, pss_bytes: 17760 * 1024, uss_bytes: 3976 * 1024 });
        assert_eq!(parse_smaps_rollup(7, "Rss: 1 kB\nPss: x kB\n"), None);
        assert_eq!(parse_smaps_rollup(7, ""), None);
        assert_eq!(parse_kib_field("MemTotal: 10 kB\nMemAvailable:   2048 kB\n", "MemAvailable:"), Some(2048));
    }

    #[test]
    fn this_process_reads_its_own_rollup() {
        let m = measure(std::process::id() as i32).unwrap();
        assert!(m.rss_bytes > 0 && m.pss_bytes > 0 && m.uss_bytes > 0 && m.pss_bytes <= m.rss_bytes, "{m:?}");
        assert!(mem_available_bytes().unwrap() > 0);
    }
}
