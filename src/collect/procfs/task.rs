//! Parsers of the per-thread files read only for the focused process to say why a thread is not
//! running: `syscall`, `wchan`, `sched` (se.nr_migrations), `io`, and `stat` field 42
//! (delayacct_blkio_ticks). Pure: bytes in, fields out, never a panic. Imports nothing of
//! threadtop but the integer parsers next door; no `app`, `ui`, `lab`, the lab's data
//! (`crate::model::{demo, experiment}`), ratatui or crossterm.

use super::parse::{Fields, parse_u64};

/// `task/TID/syscall` as the kernel writes it (fs/proc/base.c, proc_pid_syscall).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallLine {
    /// "running": the thread was on a CPU when the file was read.
    Running,
    /// "-1 SP PC": blocked in the kernel but not in a system call (a page fault, a stop).
    NotInSyscall,
    /// "NR ARG1 .. ARG6 SP PC": blocked in system call NR with these arguments.
    In { nr: u64, args: [u64; 6] },
}

/// The number and six hex arguments must all be there; SP and PC are not used, so a line cut
/// after the sixth argument still reads.
pub fn parse_syscall(buf: &[u8]) -> Option<SyscallLine> {
    let mut f = Fields::new(buf);
    let first = f.next()?;
    if first == b"running" {
        return Some(SyscallLine::Running);
    }
    if first == b"-1" {
        return Some(SyscallLine::NotInSyscall);
    }
    let nr = parse_u64(first)?;
    let mut args = [0u64; 6];
    for a in &mut args {
        *a = parse_hex(f.next()?)?;
    }
    Some(SyscallLine::In { nr, args })
}

/// `0x` and hex digits, as the kernel's `%llx` with `0x` prefix.
fn parse_hex(s: &[u8]) -> Option<u64> {
    let digits = s.strip_prefix(b"0x")?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut v = 0u64;
    for &b in digits {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u64::from(d);
    }
    Some(v)
}

/// `task/TID/wchan`: the kernel function the thread sleeps in, or None for "0" (running, just
/// started, or hidden from this reader) and for anything that is not a symbol name.
pub fn parse_wchan(buf: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(buf).ok()?.trim();
    let symbol =
        !s.is_empty() && s != "0" && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$'));
    symbol.then_some(s)
}

/// `se.nr_migrations` of `task/TID/sched` (CONFIG_SCHED_DEBUG): times the thread moved to another
/// CPU. The line is `se.nr_migrations` padded with spaces, `:`, spaces, the number.
pub fn parse_sched_migrations(buf: &[u8]) -> Option<u64> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(b"se.nr_migrations")?;
        let (name_pad, value) = rest.split_at(rest.iter().position(|&b| b == b':')?);
        if !name_pad.iter().all(|&b| b == b' ') {
            return None;
        }
        parse_u64(value[1..].trim_ascii())
    })
}

/// Field 42 of a `stat` line (delayacct_blkio_ticks: clock ticks spent waiting for block I/O,
/// counted only while `kernel.task_delayacct` is 1). Apart from the hot `parse_stat`, which stops
/// at field 39: only the focused process's threads need it, and only with delay accounting on.
pub fn parse_stat_blkio_ticks(buf: &[u8]) -> Option<u64> {
    let close = buf.iter().rposition(|&b| b == b')')?;
    let mut f = Fields::new(&buf[close + 1..]);
    // Fields 3..=41 come first: 39 of them.
    f.skip(39)?;
    parse_u64(f.next()?)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::parse::parse_io;
    use super::*;
    use crate::collect::model::IoCounters;

    #[test]
    fn syscall_forms() {
        assert_eq!(parse_syscall(b"running\n"), Some(SyscallLine::Running));
        assert_eq!(parse_syscall(b"-1 0x7ffc1b2a3c40 0x7f01e2d3c4b5\n"), Some(SyscallLine::NotInSyscall));
        // clock_nanosleep on x86_64, as read on this machine (TECH-NOTES section 9).
        let line = b"230 0x0 0x0 0x7ffd5a9e1e30 0x7ffd5a9e1e30 0x0 0x0 0x7ffd5a9e1df8 0x7f3c9b2e57fa\n";
        assert_eq!(
            parse_syscall(line),
            Some(SyscallLine::In { nr: 230, args: [0, 0, 0x7ffd5a9e1e30, 0x7ffd5a9e1e30, 0, 0] })
        );
        assert_eq!(
            parse_syscall(b"0 0x3 0xFFFF 0x1 0x0 0x0 0x0"),
            Some(SyscallLine::In { nr: 0, args: [3, 0xffff, 1, 0, 0, 0] })
        );
        assert_eq!(parse_syscall(b""), None);
        assert_eq!(parse_syscall(b"0 0x3 0x1\n"), None);
        assert_eq!(parse_syscall(b"0 3 0x1 0x0 0x0 0x0 0x0\n"), None);
        assert_eq!(parse_syscall(b"0 0x 0x1 0x0 0x0 0x0 0x0\n"), None);
        assert_eq!(parse_syscall(b"0 0x10000000000000000 0x1 0x0 0x0 0x0 0x0\n"), None);
        assert_eq!(parse_syscall(b"-2 0x0\n"), None);
        assert_eq!(parse_syscall(b"runnin\n"), None);
    }

    #[test]
    fn wchan_forms() {
        assert_eq!(parse_wchan(b"0"), None);
        assert_eq!(parse_wchan(b"0\n"), None);
        assert_eq!(parse_wchan(b""), None);
        assert_eq!(parse_wchan(b"hrtimer_nanosleep"), Some("hrtimer_nanosleep"));
        assert_eq!(parse_wchan(b"futex_do_wait\n"), Some("futex_do_wait"));
        assert_eq!(parse_wchan(b"do_epoll_wait.isra.0"), Some("do_epoll_wait.isra.0"));
        assert_eq!(parse_wchan(b"a b"), None);
        assert_eq!(parse_wchan(b"\xff\xfe"), None);
        assert_eq!(parse_wchan(b"\x1b[31m"), None);
    }

    const SCHED: &[u8] = b"sleeper (4242, #threads: 3)\n\
-------------------------------------------------------------------\n\
se.exec_start                                :       8517484.125566\n\
se.vruntime                                  :           768.273473\n\
se.sum_exec_runtime                          :             0.000000\n\
se.nr_migrations                             :                   17\n\
nr_switches                                  :                    0\n";

    #[test]
    fn sched_migrations() {
        assert_eq!(parse_sched_migrations(SCHED), Some(17));
        assert_eq!(parse_sched_migrations(b""), None);
        assert_eq!(parse_sched_migrations(b"se.nr_migrations : x\n"), None);
        assert_eq!(parse_sched_migrations(b"se.nr_migrations_cold : 5\n"), None);
        assert_eq!(parse_sched_migrations(b"se.nr_migrations:3"), Some(3));
        // A name that holds the prefix can't forge the line: it is the first line's start only
        // when the comm itself starts the file, and then the ':' test fails on "(".
        assert_eq!(parse_sched_migrations(b"se.nr_migrations (1, #threads: 1)\n"), None);
        for cut in 0..SCHED.len() {
            let _ = parse_sched_migrations(&SCHED[..cut]);
        }
    }

    const IO: &[u8] = b"rchar: 6976\nwchar: 12\nsyscr: 10\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\n\
cancelled_write_bytes: 0\n";

    #[test]
    fn task_io() {
        assert_eq!(
            parse_io(IO),
            Some(IoCounters { rchar: 6976, wchar: 12, syscr: 10, syscw: 2, read_bytes: 4096, write_bytes: 8192 })
        );
        assert_eq!(parse_io(b""), None);
        assert_eq!(parse_io(b"rchar: 1\nwchar: 2\n"), None);
        assert_eq!(parse_io(b"rchar: x\nwchar: 2\nsyscr: 1\nsyscw: 1\nread_bytes: 0\nwrite_bytes: 0\n"), None);
        // Cut inside the last needed line: refused, not a smaller number.
        let at = IO.windows(4).position(|w| w == b"8192").unwrap();
        assert_eq!(parse_io(&IO[..at + 2]), None);
        assert!(parse_io(&IO[..at + 5]).is_some());
    }

    #[test]
    fn stat_field_42() {
        let mut line = b"4242 (a) (b) S 1".to_vec();
        // Fields 5..=41, then 42 = 7, then 43..=52.
        for f in 5..=52u32 {
            line.extend_from_slice(format!(" {}", if f == 42 { 7 } else { f }).as_bytes());
        }
        line.push(b'\n');
        assert_eq!(parse_stat_blkio_ticks(&line), Some(7));
        assert_eq!(parse_stat_blkio_ticks(b"1 (x) S 1 2 3\n"), None);
        assert_eq!(parse_stat_blkio_ticks(b""), None);
        // This process's own line, as the kernel writes it.
        let own = std::fs::read("/proc/thread-self/stat").unwrap();
        assert!(parse_stat_blkio_ticks(&own).is_some());
    }

    #[test]
    fn this_threads_own_files_parse() {
        let read = |f: &str| std::fs::read(format!("/proc/thread-self/{f}")).unwrap();
        assert!(parse_io(&read("io")).is_some());
        if let Ok(sched) = std::fs::read("/proc/thread-self/sched") {
            assert!(parse_sched_migrations(&sched).is_some());
        }
        // Reading its own syscall file, the thread is in the read: never "running".
        if let Ok(sc) = std::fs::read("/proc/thread-self/syscall") {
            assert!(matches!(parse_syscall(&sc), Some(SyscallLine::In { .. })), "{sc:?}");
        }
    }

    proptest! {
        /// What the kernel would write round-trips, and any bytes at all never panic.
        #[test]
        fn syscall_round_trip(nr in 0u64..1000, args in proptest::array::uniform6(any::<u64>()), sp: u64, pc: u64) {
            let mut line = nr.to_string();
            for a in args.iter().chain([&sp, &pc]) {
                line.push_str(&format!(" 0x{a:x}"));
            }
            line.push('\n');
            prop_assert_eq!(parse_syscall(line.as_bytes()), Some(SyscallLine::In { nr, args }));
        }

        #[test]
        fn io_round_trip(v in proptest::array::uniform7(any::<u64>())) {
            let text = format!(
                "rchar: {}\nwchar: {}\nsyscr: {}\nsyscw: {}\nread_bytes: {}\nwrite_bytes: {}\ncancelled_write_bytes: {}\n",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6]
            );
            let io = IoCounters { rchar: v[0], wchar: v[1], syscr: v[2], syscw: v[3], read_bytes: v[4], write_bytes: v[5] };
            prop_assert_eq!(parse_io(text.as_bytes()), Some(io));
        }

        #[test]
        fn sched_round_trip(n: u64, pad in 1usize..40) {
            let text = format!("x (1, #threads: 1)\nse.vruntime : 1.0\nse.nr_migrations{}: {n:>20}\n", " ".repeat(pad));
            prop_assert_eq!(parse_sched_migrations(text.as_bytes()), Some(n));
        }

        #[test]
        fn never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse_syscall(&bytes);
            let _ = parse_wchan(&bytes);
            let _ = parse_sched_migrations(&bytes);
            let _ = parse_io(&bytes);
            let _ = parse_stat_blkio_ticks(&bytes);
        }
    }
}
