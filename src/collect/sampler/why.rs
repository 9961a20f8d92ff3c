//! Why a thread of the focused process is not running: where its time went (on CPU, waiting for
//! a core, blocked on I/O, sleeping) over the last interval and the last ~10 s, its migrations,
//! its I/O rates, and the system call and kernel function it waits in. Read only for the focused
//! process; `syscall` and `wchan` only for threads not in R and, in the monitor, only for the rows
//! on screen (`Control::Visible`). Imports only `collect`'s own modules and the `syscalls` crate;
//! no `app`, `ui`, `lab`, the lab's data (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsString;
use std::io;
use std::time::{Duration, Instant};

use crate::collect::model::{IoCounters, Pid, ThreadIo, TimeSplit, WINDOW, Waiting};
use crate::collect::net::{SocketInfo, socket_table};
use crate::collect::procfs::{
    KeptFile, ProcReader, SchedStat, SyscallLine, parse_io, parse_sched_migrations, parse_syscall, parse_wchan,
};

/// How often `kernel.task_delayacct` is read again: it is a sysctl a user flips by hand.
const DELAYACCT_EVERY: Duration = Duration::from_secs(10);

/// Intervals kept per thread for the window, at most (a short `--interval` would keep more).
const MAX_INTERVALS: usize = 64;

/// What the focus remembers across its threads: the delay-accounting flag, the rows on screen,
/// and fd targets resolved this sample and before.
#[derive(Default)]
pub(super) struct WhyState {
    delayacct: bool,
    delayacct_read: Option<Instant>,
    /// task/TID/sched was found missing (no CONFIG_SCHED_DEBUG): not tried again.
    sched_absent: bool,
    /// The TIDs on screen (and a page either side); None: every thread (the JSON command).
    pub(super) visible: Option<HashSet<Pid>>,
    /// fd -> (its link, what it resolved to, the sample that last saw it).
    fds: HashMap<u64, (OsString, String, u64)>,
    /// This sample's socket tables, read when a socket not resolved before is waited on.
    sockets: Option<Vec<(u64, SocketInfo)>>,
    seq: u64,
    pub(super) denied: bool,
}

impl WhyState {
    /// Once per sample, before the threads: reads the sysctl when due, forgets last sample's
    /// socket tables and fds no longer seen. Returns whether delay accounting is on.
    pub(super) fn begin(&mut self, reader: &mut ProcReader, seq: u64, now: Instant) -> bool {
        if self.delayacct_read.is_none_or(|t| now.saturating_duration_since(t) >= DELAYACCT_EVERY) {
            self.delayacct = reader.read_root_file("sys/kernel/task_delayacct").is_ok_and(|b| b.trim_ascii() == b"1");
            self.delayacct_read = Some(now);
        }
        let last = self.seq;
        self.fds.retain(|_, (_, _, seen)| *seen >= last);
        self.sockets = None;
        self.seq = seq;
        self.denied = false;
        self.delayacct
    }

    pub(super) fn migrations_exact(&self) -> bool {
        !self.sched_absent
    }
}

/// One thread's counters from the last sample, its recent intervals and its kept files.
#[derive(Default)]
pub(super) struct TaskWhy {
    at: Option<Instant>,
    sched: Option<SchedStat>,
    blkio: Option<u64>,
    migrations: Option<u64>,
    last_cpu: Option<i32>,
    io: Option<IoCounters>,
    /// The last intervals' splits, oldest first, as [wall, on CPU, wait, I/O] ns: back to back,
    /// each ending where the next begins and the newest at `at`, so their ends need not be kept
    /// (a focus of thousands of threads keeps ~10 of these each).
    intervals: VecDeque<[u64; 4]>,
    sched_file: Option<KeptFile>,
    io_file: Option<KeptFile>,
    syscall_file: Option<KeptFile>,
    wchan_file: Option<KeptFile>,
}

/// What `read_why` gives a thread's row.
#[derive(Default)]
pub(super) struct Why {
    pub(super) split: Option<TimeSplit>,
    pub(super) split_window: Option<TimeSplit>,
    pub(super) migrations: Option<u64>,
    pub(super) migrations_per_sec: Option<f64>,
    pub(super) waiting: Option<Waiting>,
    pub(super) io: Option<ThreadIo>,
}

/// What the stat and schedstat already read for this thread say.
pub(super) struct Seen {
    pub(super) pid: Pid,
    pub(super) tid: Pid,
    pub(super) state: char,
    pub(super) last_cpu: i32,
    pub(super) sched: Option<SchedStat>,
    /// stat field 42, only with delay accounting on.
    pub(super) blkio: Option<u64>,
    /// When schedstat was read: the thread's own clock for its wall time.
    pub(super) at: Instant,
    pub(super) hz: u64,
}

pub(super) fn read_why(reader: &mut ProcReader, why: &mut WhyState, w: &mut TaskWhy, s: &Seen) -> Why {
    let wall = w.at.map(|prev| s.at.saturating_duration_since(prev));
    let mut out = Why::default();

    // The split of the last interval: it needs schedstat now and before.
    if let (Some(wall), Some(prev), Some(cur)) = (wall, w.sched, s.sched) {
        let wall_ns = u64::try_from(wall.as_nanos()).unwrap_or(u64::MAX);
        let cpu = cur.run_ns.saturating_sub(prev.run_ns);
        let wait = cur.wait_ns.saturating_sub(prev.wait_ns);
        let io = match (w.blkio, s.blkio) {
            (Some(p), Some(c)) => c.saturating_sub(p).saturating_mul(1_000_000_000 / s.hz.max(1)),
            // Sampled: the sample found it blocked in D, so the unmeasured rest was I/O.
            _ if s.state == 'D' => wall_ns.saturating_sub(cpu.saturating_add(wait)),
            _ => 0,
        };
        let split = TimeSplit::new(wall_ns, cpu, wait, io);
        if w.intervals.capacity() == 0 {
            // As many as the window holds at this interval, and no doubling past it.
            let fits = WINDOW.as_nanos() / wall.as_nanos().max(1) + 2;
            w.intervals.reserve_exact(usize::try_from(fits).unwrap_or(MAX_INTERVALS).min(MAX_INTERVALS));
        }
        if w.intervals.len() == MAX_INTERVALS {
            w.intervals.pop_front();
        }
        w.intervals.push_back([split.wall_ns, split.on_cpu_ns, split.wait_ns, split.io_ns]);
        out.split = Some(split);
    } else if wall.is_some() {
        // An interval with no split (schedstat unreadable this once): the window starts again
        // rather than span the hole.
        w.intervals.clear();
    }
    // Intervals that ended more than a window ago leave it: the front one ended as long ago as
    // the ones after it lasted.
    let window_ns = u64::try_from(WINDOW.as_nanos()).unwrap_or(u64::MAX);
    let mut after_front: u64 = w.intervals.iter().skip(1).map(|i| i[0]).fold(0, u64::saturating_add);
    while after_front >= window_ns {
        w.intervals.pop_front();
        after_front = after_front.saturating_sub(w.intervals.front().map_or(0, |i| i[0]));
    }
    if !w.intervals.is_empty() {
        let mut sum = TimeSplit::default();
        for &[wall_ns, on_cpu_ns, wait_ns, io_ns] in &w.intervals {
            let sleep_ns = wall_ns.saturating_sub(on_cpu_ns.saturating_add(wait_ns).saturating_add(io_ns));
            sum.add(&TimeSplit { wall_ns, on_cpu_ns, wait_ns, io_ns, sleep_ns });
        }
        out.split_window = Some(sum);
    }

    // Migrations: se.nr_migrations, else the last-core changes this sampler saw (a lower bound).
    let exact = if why.sched_absent {
        None
    } else {
        match reader.read_kept(&mut w.sched_file, Some(s.pid), Some(s.tid), "sched") {
            Ok(buf) => parse_sched_migrations(buf),
            Err(e) => {
                if e.kind() == io::ErrorKind::NotFound && !is_task_gone(reader, s) {
                    why.sched_absent = true;
                }
                None
            }
        }
    };
    let migrations = match exact {
        Some(m) => Some(m),
        None if why.sched_absent => {
            let moved = w.last_cpu.is_some_and(|c| c != s.last_cpu);
            Some(w.migrations.unwrap_or(0) + u64::from(moved))
        }
        None => None,
    };
    out.migrations = migrations;
    if let (Some(wall), Some(p), Some(c)) = (wall, w.migrations, migrations) {
        out.migrations_per_sec = per_sec(p, c, wall);
    }

    let io = reader.read_kept(&mut w.io_file, Some(s.pid), Some(s.tid), "io").ok().and_then(parse_io);
    if let (Some(wall), Some(p), Some(c)) = (wall, w.io, io) {
        let rate = |a: u64, b: u64| per_sec(a, b, wall).unwrap_or(0.0);
        out.io = Some(ThreadIo {
            read_bytes_per_sec: rate(p.rchar, c.rchar),
            write_bytes_per_sec: rate(p.wchar, c.wchar),
            syscalls_per_sec: rate(p.syscr.saturating_add(p.syscw), c.syscr.saturating_add(c.syscw)),
            disk_read_bytes_per_sec: rate(p.read_bytes, c.read_bytes),
            disk_write_bytes_per_sec: rate(p.write_bytes, c.write_bytes),
        });
    }

    out.waiting = if s.state == 'R' {
        // On a CPU or about to be: nothing to wait in, and two reads saved.
        w.syscall_file = None;
        w.wchan_file = None;
        Some(Waiting { text: "running".into(), ..Waiting::default() })
    } else if why.visible.as_ref().is_some_and(|v| !v.contains(&s.tid)) {
        w.syscall_file = None;
        w.wchan_file = None;
        None
    } else {
        read_waiting(reader, why, w, s)
    };

    (w.at, w.sched, w.blkio, w.migrations, w.last_cpu, w.io) =
        (Some(s.at), s.sched, s.blkio, migrations, Some(s.last_cpu), io);
    out
}

/// A missing file of a thread that is itself gone says nothing about the kernel.
fn is_task_gone(reader: &mut ProcReader, s: &Seen) -> bool {
    reader.read_task_file(s.pid, s.tid, "stat").is_err()
}

fn per_sec(prev: u64, cur: u64, wall: Duration) -> Option<f64> {
    let secs = wall.as_secs_f64();
    (secs > 0.0).then(|| cur.saturating_sub(prev) as f64 / secs)
}

fn read_waiting(reader: &mut ProcReader, why: &mut WhyState, w: &mut TaskWhy, s: &Seen) -> Option<Waiting> {
    let line = match reader.read_kept(&mut w.syscall_file, Some(s.pid), Some(s.tid), "syscall") {
        Ok(buf) => parse_syscall(buf),
        Err(e) => {
            if matches!(e.raw_os_error(), Some(libc::EACCES | libc::EPERM))
                || e.kind() == io::ErrorKind::PermissionDenied
            {
                why.denied = true;
            }
            return None;
        }
    };
    let wchan = reader
        .read_kept(&mut w.wchan_file, Some(s.pid), Some(s.tid), "wchan")
        .ok()
        .and_then(|b| parse_wchan(b).map(str::to_owned));
    let mut waiting = Waiting { wchan, ..Waiting::default() };
    match line? {
        SyscallLine::Running => waiting.text = "running".into(),
        SyscallLine::NotInSyscall => waiting.text = "not in a system call".into(),
        SyscallLine::In { nr, args } => {
            waiting.syscall_nr = Some(nr);
            let name = syscall_name(nr);
            waiting.syscall = name;
            let Some(name) = name else {
                waiting.text = format!("syscall {nr}");
                return Some(waiting);
            };
            if takes_fd_first(name) && i32::try_from(args[0]).is_ok() {
                let fd = args[0];
                waiting.fd = Some(fd);
                waiting.fd_target = resolve_fd(reader, why, s.pid, fd);
                waiting.text = match &waiting.fd_target {
                    Some(t) => format!("{name} fd {fd} {t}"),
                    None => format!("{name} fd {fd}"),
                };
            } else {
                waiting.text = name.to_owned();
            }
        }
    }
    Some(waiting)
}

/// What fd `fd` of `pid` is: its link, and for a socket what the net tables say. The link is read
/// once per fd per sample; a socket's description is kept while the fd links the same inode.
fn resolve_fd(reader: &mut ProcReader, why: &mut WhyState, pid: Pid, fd: u64) -> Option<String> {
    let seq = why.seq;
    if let Some((_, text, seen)) = why.fds.get(&fd)
        && *seen == seq
    {
        return Some(text.clone());
    }
    let link = reader.read_link(pid, &format!("fd/{fd}")).ok()?;
    if let Some((old, text, seen)) = why.fds.get_mut(&fd)
        && *old == link
    {
        *seen = seq;
        return Some(text.clone());
    }
    let shown = link.to_string_lossy().into_owned();
    let text = match socket_inode(&shown) {
        Some(inode) => {
            if why.sockets.is_none() {
                let root = reader.root().join(pid.to_string());
                why.sockets =
                    Some(::procfs::process::Process::new_with_root(root).map(|p| socket_table(&p)).unwrap_or_default());
            }
            match why.sockets.iter().flatten().find(|(i, _)| *i == inode) {
                Some((_, info)) => format!("socket {}", info.short()),
                None => shown,
            }
        }
        None => shown,
    };
    why.fds.insert(fd, (link, text.clone(), seq));
    Some(text)
}

fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// The system call's name in this machine's table (x86_64 or aarch64).
pub(super) fn syscall_name(nr: u64) -> Option<&'static str> {
    let nr = usize::try_from(nr).ok()?;
    #[cfg(target_arch = "x86_64")]
    return syscalls::x86_64::Sysno::new(nr).map(|s| s.name());
    #[cfg(target_arch = "aarch64")]
    return syscalls::aarch64::Sysno::new(nr).map(|s| s.name());
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let _ = nr;
        None
    }
}

/// Calls whose first argument is a file descriptor the thread waits on or works through.
const FD_FIRST: &[&str] = &[
    "read",
    "write",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "fsync",
    "fdatasync",
    "sync_file_range",
    "syncfs",
    "fallocate",
    "ftruncate",
    "flock",
    "fcntl",
    "ioctl",
    "accept",
    "accept4",
    "connect",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "shutdown",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_ctl",
    "getdents64",
    "lseek",
    "splice",
    "tee",
    "copy_file_range",
    "io_uring_enter",
    "close",
    "fstat",
    "fadvise64",
    "readahead",
];

fn takes_fd_first(name: &str) -> bool {
    FD_FIRST.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tables_name_the_calls() {
        use syscalls::{aarch64, x86_64};
        let x = |n: usize| x86_64::Sysno::new(n).map(|s| s.name());
        let a = |n: usize| aarch64::Sysno::new(n).map(|s| s.name());
        assert_eq!(
            (x(0), x(202), x(230), x(43), x(74)),
            (Some("read"), Some("futex"), Some("clock_nanosleep"), Some("accept"), Some("fsync"))
        );
        assert_eq!(
            (a(63), a(98), a(115), a(202), a(82)),
            (Some("read"), Some("futex"), Some("clock_nanosleep"), Some("accept"), Some("fsync"))
        );
        assert_eq!(x(100_000), None);
        assert_eq!(syscall_name(u64::MAX), None);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(syscall_name(0), Some("read"));
        #[cfg(target_arch = "aarch64")]
        assert_eq!(syscall_name(63), Some("read"));
    }

    #[test]
    fn fd_calls_are_real_names() {
        // A misspelt entry would never match: every name must be in one of the two tables.
        for name in FD_FIRST {
            let known = syscalls::x86_64::Sysno::iter().any(|s| s.name() == *name)
                || syscalls::aarch64::Sysno::iter().any(|s| s.name() == *name);
            assert!(known, "{name} is no system call");
        }
        assert!(takes_fd_first("read") && takes_fd_first("accept4") && !takes_fd_first("futex"));
        assert!(!takes_fd_first("clock_nanosleep"));
    }

    #[test]
    fn socket_links() {
        assert_eq!(socket_inode("socket:[81234]"), Some(81234));
        assert_eq!(socket_inode("pipe:[81234]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
    }

    #[test]
    fn split_sums_to_wall_and_clamps_noise() {
        let s = TimeSplit::new(1_000, 600, 300, 0);
        assert_eq!(s.parts(), [600, 300, 0, 100]);
        // More measured than wall: scaled down together, nothing left to sleep.
        let s = TimeSplit::new(1_000, 900, 300, 0);
        assert_eq!(s.parts().iter().sum::<u64>(), 1_000);
        assert_eq!(s.sleep_ns, 0);
        assert_eq!(s.on_cpu_ns, 750);
        let s = TimeSplit::new(0, 5, 5, 5);
        assert_eq!(s.parts(), [0, 0, 0, 0]);
        let s = TimeSplit::new(u64::MAX, u64::MAX, u64::MAX, 7);
        assert_eq!(s.parts().iter().map(|&v| u128::from(v)).sum::<u128>(), u128::from(u64::MAX));
    }

    proptest::proptest! {
        #[test]
        fn split_always_sums(wall: u64, c: u64, w: u64, i: u64) {
            let s = TimeSplit::new(wall, c, w, i);
            proptest::prop_assert_eq!(s.parts().iter().map(|&v| u128::from(v)).sum::<u128>(), u128::from(wall));
        }
    }
}
