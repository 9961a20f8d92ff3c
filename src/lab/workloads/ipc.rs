//! ipc: a stream of messages of 64 B, then of 64 KiB, sent three ways: a channel between two
//! threads of this process, a pipe to a forked child, a ring in an anonymous shared mapping
//! made before the fork. The receiver checks each message's sequence number, length and last
//! byte, and counts the bytes; MB/s and µs per message are measured over the transfer. Each of
//! the six transfers gets a sixth of the duration.
//!
//! The children are forked while the worker has one thread; they only read from the pipe or
//! the ring into a buffer allocated before the fork, and write their totals to a pipe.

use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::{Slots, ended, fork_child, kill_and_reap, reap};
use crate::lab::protocol::EndCause;
use crate::lab::worker::Run;
use crate::model::figures::{DemoFigures, IpcFigures, IpcRun};

pub(crate) const SMALL: usize = 64;
pub(crate) const LARGE: usize = 64 << 10;
/// The ring's data area: 16384 small messages or 16 large ones.
const RING_BYTES: usize = 1 << 20;
/// How long a receiving child stays after its totals.
const LINGER: Duration = Duration::from_millis(300);
/// A channel holds this many messages before its sender waits.
const CHANNEL_DEPTH: usize = 64;

/// Makes message `seq` of `len` bytes in `buf`: the sequence number first, its low byte last.
fn stamp(buf: &mut [u8], seq: u64) {
    buf[..8].copy_from_slice(&seq.to_le_bytes());
    if let Some(last) = buf.last_mut() {
        *last = seq as u8;
    }
}

/// Whether `buf` is message `seq` as `stamp` made it.
fn intact(buf: &[u8], seq: u64) -> bool {
    buf.len() >= 8 && buf[..8] == seq.to_le_bytes() && buf.last() == Some(&(seq as u8))
}

/// What a receiver counted.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Received {
    messages: u64,
    bytes: u64,
    corrupt: u64,
}

impl Received {
    fn take(&mut self, buf: &[u8], len: usize) {
        if buf.len() != len || !intact(buf, self.messages) {
            self.corrupt += 1;
        }
        self.messages += 1;
        self.bytes += buf.len() as u64;
    }

    fn to_bytes(self) -> [u8; 24] {
        let mut out = [0u8; 24];
        for (i, v) in [self.messages, self.bytes, self.corrupt].into_iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    fn from_bytes(b: &[u8; 24]) -> Received {
        let at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        Received { messages: at(0), bytes: at(1), corrupt: at(2) }
    }
}

#[allow(clippy::incompatible_msrv)]
fn pipe() -> Result<(PipeReader, PipeWriter), String> {
    std::io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))
}

/// One transfer's outcome: (messages sent, bytes sent, what arrived, seconds, receiver pid).
type Transfer = (u64, u64, Received, f64, Option<i32>);

fn by_channel(len: usize, for_time: Duration) -> Result<Transfer, String> {
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(CHANNEL_DEPTH);
    let began = Instant::now();
    let receiver = thread::Builder::new()
        .name("ipc-recv".to_owned())
        .stack_size(128 << 10)
        .spawn(move || {
            let mut got = Received::default();
            for msg in rx {
                got.take(&msg, len);
            }
            got
        })
        .map_err(|e| format!("cannot start ipc-recv: {e}"))?;
    let sender = thread::Builder::new()
        .name("ipc-send".to_owned())
        .stack_size(128 << 10)
        .spawn(move || {
            let until = Instant::now() + for_time;
            let mut seq = 0u64;
            while !seq.is_multiple_of(64) || Instant::now() < until {
                let mut msg = vec![0xa5u8; len];
                stamp(&mut msg, seq);
                if tx.send(msg).is_err() {
                    break;
                }
                seq += 1;
            }
            seq
        })
        .map_err(|e| format!("cannot start ipc-send: {e}"))?;
    let sent = sender.join().map_err(|_| "ipc-send panicked".to_owned())?;
    let got = receiver.join().map_err(|_| "ipc-recv panicked".to_owned())?;
    Ok((sent, sent * len as u64, got, began.elapsed().as_secs_f64(), None))
}

/// Reads the receiver's 24-byte totals and reaps it.
fn totals(mut from: PipeReader, pid: i32) -> Result<Received, String> {
    let mut b = [0u8; 24];
    let read = from.read_exact(&mut b);
    let code = reap(pid);
    read.map_err(|_| format!("the receiver ended without its totals (exit {code:?})"))?;
    Ok(Received::from_bytes(&b))
}

fn by_pipe(len: usize, for_time: Duration) -> Result<Transfer, String> {
    let (data_r, mut data_w) = pipe()?;
    let (res_r, res_w) = pipe()?;
    let (rfd, wfd, res) = (data_r.as_raw_fd(), data_w.as_raw_fd(), res_w.as_raw_fd());
    let mut buf = vec![0u8; len];
    let mut body = || {
        // SAFETY: closes the child's copy of the write end, so the worker's close is EOF.
        unsafe { libc::close(wfd) };
        let mut got = Received::default();
        'messages: loop {
            let mut filled = 0;
            while filled < len {
                // SAFETY: reads into the unfilled tail of a buffer allocated before the fork.
                let r = unsafe { libc::read(rfd, buf[filled..].as_mut_ptr().cast(), len - filled) };
                if r > 0 {
                    filled += r as usize;
                } else if r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                    break 'messages;
                }
            }
            got.take(&buf, len);
        }
        let out = got.to_bytes();
        // SAFETY: one write under PIPE_BUF from a valid buffer.
        unsafe { libc::write(res, out.as_ptr().cast(), out.len()) };
        // A watcher's last look at /proc/PID/io then sees every byte it read.
        thread::sleep(LINGER);
        0
    };
    let began = Instant::now();
    let pid = fork_child("tt-ipc-pipe", &mut body)?;
    drop((data_r, res_w));
    let until = began + for_time;
    let mut msg = vec![0xa5u8; len];
    let mut seq = 0u64;
    while !seq.is_multiple_of(64) || Instant::now() < until {
        stamp(&mut msg, seq);
        if let Err(e) = data_w.write_all(&msg) {
            kill_and_reap(&[pid]);
            return Err(format!("cannot write to tt-ipc-pipe: {e}"));
        }
        seq += 1;
    }
    drop(data_w);
    let got = totals(res_r, pid)?;
    Ok((seq, seq * len as u64, got, began.elapsed().as_secs_f64(), Some(pid)))
}

/// The ring's header, one cache line per field so that producer and consumer do not share one.
#[repr(C, align(64))]
struct Line(AtomicU64);

#[repr(C)]
struct Header {
    /// Messages written (producer only).
    head: Line,
    /// Messages read (consumer only).
    tail: Line,
    /// 1 once the producer has written its last message.
    done: Line,
}

/// An anonymous shared mapping: the same pages in this process and the children forked after.
struct Shared {
    ptr: *mut u8,
    len: usize,
}

impl Shared {
    fn new(len: usize) -> Result<Shared, String> {
        // SAFETY: a fresh anonymous shared mapping, zero-filled; checked below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!("cannot map the ring: {}", std::io::Error::last_os_error()));
        }
        Ok(Shared { ptr: ptr.cast(), len })
    }

    fn header(&self) -> &Header {
        // SAFETY: the mapping starts page-aligned and zeroed, a valid Header (atomics of 0).
        unsafe { &*self.ptr.cast::<Header>() }
    }

    /// Slot `i` of `len` bytes after the header.
    #[allow(clippy::mut_from_ref)]
    fn slot(&self, i: usize, len: usize) -> &mut [u8] {
        let at = std::mem::size_of::<Header>() + i * len;
        debug_assert!(at + len <= self.len);
        // SAFETY: inside the mapping; the ring's head/tail protocol gives each slot to one side
        // at a time (Release on publish, Acquire before use).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(at), len) }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: unmaps what new() mapped.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

/// Waits politely: a few spins, then gives the core away (2 cores shared by many).
fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 64 {
        std::hint::spin_loop();
    } else {
        thread::yield_now();
    }
}

fn by_ring(len: usize, for_time: Duration) -> Result<Transfer, String> {
    let slots = RING_BYTES / len;
    let ring = Shared::new(std::mem::size_of::<Header>() + RING_BYTES)?;
    let (res_r, res_w) = pipe()?;
    let res = res_w.as_raw_fd();
    let mut buf = vec![0u8; len];
    let ring_ref = &ring;
    let mut body = || {
        let h = ring_ref.header();
        let mut got = Received::default();
        let mut tail = 0u64;
        loop {
            let mut spins = 0;
            let head = loop {
                let head = h.head.0.load(Ordering::Acquire);
                if head != tail {
                    break Some(head);
                }
                if h.done.0.load(Ordering::Acquire) == 1 && h.head.0.load(Ordering::Acquire) == tail {
                    break None;
                }
                backoff(&mut spins);
            };
            if head.is_none() {
                break;
            }
            buf.copy_from_slice(ring_ref.slot((tail % slots as u64) as usize, len));
            tail += 1;
            h.tail.0.store(tail, Ordering::Release);
            got.take(&buf, len);
        }
        let out = got.to_bytes();
        // SAFETY: one write under PIPE_BUF from a valid buffer.
        unsafe { libc::write(res, out.as_ptr().cast(), out.len()) };
        // A watcher's last look at /proc/PID/io then sees every byte it read.
        thread::sleep(LINGER);
        0
    };
    let began = Instant::now();
    let pid = fork_child("tt-ipc-ring", &mut body)?;
    drop(res_w);
    let h = ring.header();
    let until = began + for_time;
    let mut head = 0u64;
    while !head.is_multiple_of(64) || Instant::now() < until {
        let mut spins = 0;
        while head - h.tail.0.load(Ordering::Acquire) >= slots as u64 {
            backoff(&mut spins);
            if spins > 1_000_000 {
                kill_and_reap(&[pid]);
                return Err("tt-ipc-ring stopped reading the ring".to_owned());
            }
        }
        stamp(ring.slot((head % slots as u64) as usize, len), head);
        head += 1;
        h.head.0.store(head, Ordering::Release);
    }
    h.done.0.store(1, Ordering::Release);
    let got = totals(res_r, pid)?;
    Ok((head, head * len as u64, got, began.elapsed().as_secs_f64(), Some(pid)))
}

pub(in crate::lab) fn run(run: &mut Run) -> Result<(u64, EndCause), String> {
    let slots = Slots::new(run, 6);
    let for_time = slots.each().mul_f64(0.6).max(Duration::from_millis(50));
    let mut figures = IpcFigures::default();
    let mut ops = 0;
    let plan: [(&str, usize); 6] = [
        ("thread-channel", SMALL),
        ("pipe", SMALL),
        ("shared-ring", SMALL),
        ("thread-channel", LARGE),
        ("pipe", LARGE),
        ("shared-ring", LARGE),
    ];
    for (step, (channel, len)) in plan.into_iter().enumerate() {
        if let Some(cause) = run.end_cause() {
            return ended(ops, Some(cause));
        }
        run.progress(ops);
        let (messages, bytes_sent, got, seconds, receiver_pid) = match channel {
            "thread-channel" => by_channel(len, for_time)?,
            "pipe" => by_pipe(len, for_time)?,
            _ => by_ring(len, for_time)?,
        };
        figures.runs.push(IpcRun {
            channel: channel.to_owned(),
            message_bytes: len as u64,
            messages,
            bytes_sent,
            bytes_received: got.bytes,
            corrupt: got.corrupt + messages.abs_diff(got.messages),
            seconds,
            mb_per_sec: if seconds > 0.0 { got.bytes as f64 / seconds / 1e6 } else { 0.0 },
            us_per_message: if got.messages == 0 { 0.0 } else { seconds * 1e6 / got.messages as f64 },
            receiver_pid,
        });
        ops += 1;
        run.figures(DemoFigures::Ipc(figures.clone()), ops);
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
    fn a_channel_delivers_every_message_intact() {
        for len in [SMALL, LARGE] {
            let (sent, bytes, got, seconds, pid) = by_channel(len, Duration::from_millis(20)).unwrap();
            assert!(sent > 0 && sent % 64 == 0);
            assert_eq!(got, Received { messages: sent, bytes, corrupt: 0 });
            assert!(seconds > 0.0 && pid.is_none());
        }
    }

    #[test]
    fn a_damaged_message_is_counted() {
        let mut got = Received::default();
        let mut msg = vec![0u8; SMALL];
        stamp(&mut msg, 0);
        got.take(&msg, SMALL);
        stamp(&mut msg, 5);
        got.take(&msg, SMALL);
        got.take(&msg[..10], SMALL);
        assert_eq!(got, Received { messages: 3, bytes: 138, corrupt: 2 });
        assert_eq!(Received::from_bytes(&got.to_bytes()), got);
    }
}
