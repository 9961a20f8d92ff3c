//! The `stat` line parser (`/proc/PID/stat`, `/proc/PID/task/TID/stat`): the hottest code of the
//! sampler, run once per task per sample. Pure: bytes in, fields out, never a panic. Imports
//! nothing of threadtop but `collect::model` and the integer parsers next door; no `app`, `ui`,
//! `lab`, the lab's data (`crate::model::{demo, experiment}`), ratatui or crossterm.

use super::parse::{Fields, parse_i64, parse_u64};
use crate::collect::model::Pid;

/// `flags` bit of a kernel thread (include/linux/sched.h).
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// The fields threadtop uses from `/proc/PID/stat` or `/proc/PID/task/TID/stat`.
///
/// `comm` borrows the buffer it was parsed from: raw bytes, possibly not UTF-8 and possibly
/// holding control characters (the UI escapes them; the data stays true).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat<'a> {
    pub pid: Pid,
    pub comm: &'a [u8],
    pub state: u8,
    pub ppid: Pid,
    pub flags: u32,
    /// Clock ticks in user and kernel mode.
    pub utime: u64,
    pub stime: u64,
    pub priority: i64,
    pub nice: i64,
    pub num_threads: i64,
    /// Clock ticks after boot when the task started.
    pub starttime: u64,
    pub vsize: u64,
    /// Resident set in pages.
    pub rss_pages: u64,
    /// The CPU the task last ran on.
    pub processor: i32,
}

impl Stat<'_> {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }

    pub fn cpu_ticks(&self) -> u64 {
        self.utime.saturating_add(self.stime)
    }

    pub fn comm_lossy(&self) -> String {
        String::from_utf8_lossy(self.comm).into_owned()
    }
}

/// Parses a `stat` line. comm runs from the FIRST `(` to the LAST `)`, because a process may
/// name itself `a) (b` or put a newline in its name; everything after is space-separated numbers.
///
/// This runs once per task per sample. The kernel's own format (one space between fields)
/// takes a single pass that converts only the dozen fields used and skips the rest eight bytes
/// at a time (callgrind: ~3,700 instructions a line, was ~5,100); anything else goes through
/// the general parser, which accepts what the old split-into-an-array parser accepted (a test
/// checks they agree).
pub fn parse_stat(buf: &[u8]) -> Option<Stat<'_>> {
    let open = buf.iter().position(|&b| b == b'(')?;
    let close = rfind_byte(buf, b')')?;
    if close < open {
        return None;
    }
    let pid = i32::try_from(parse_i64(buf[..open].trim_ascii())?).ok()?;
    let comm = &buf[open + 1..close];
    let rest = &buf[close + 1..];
    let f = match kernel_fields(rest) {
        Some(f) => f,
        None => general_fields(rest)?,
    };
    Some(Stat {
        pid,
        comm,
        state: f.state,
        ppid: i32::try_from(f.ppid).ok()?,
        flags: u32::try_from(f.flags).ok()?,
        utime: f.utime,
        stime: f.stime,
        priority: f.priority,
        nice: f.nice,
        num_threads: f.num_threads,
        starttime: f.starttime,
        vsize: f.vsize,
        rss_pages: f.rss_pages,
        processor: i32::try_from(f.processor).ok()?,
    })
}

/// The fields of `stat` after comm that threadtop uses, before range checks.
struct StatFields {
    state: u8,
    ppid: i64,
    flags: u64,
    utime: u64,
    stime: u64,
    priority: i64,
    nice: i64,
    num_threads: i64,
    starttime: u64,
    vsize: u64,
    rss_pages: u64,
    processor: i64,
}

/// The index of the last `needle` in `b`, eight bytes at a time from the end: the `)` closing
/// comm is near the start of a ~300-byte line.
fn rfind_byte(b: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut end = b.len();
    while end >= 8 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[end - 8..end]);
        let x = u64::from_le_bytes(word) ^ pattern;
        // Non-zero exactly when one of the eight bytes is `needle` (which one: see below).
        if x.wrapping_sub(LO) & !x & HI != 0 {
            return (end - 8..end).rev().find(|&i| b[i] == needle);
        }
        end -= 8;
    }
    b[..end].iter().rposition(|&c| c == needle)
}

/// How many ASCII digits `b` starts with, eight bytes at a time: a byte is a digit when neither
/// `b + 0x46` nor `b - 0x30` sets its top bit. Carries and borrows only come from non-digits, so
/// the lowest flagged byte is exactly the first non-digit.
fn count_digits(b: &[u8]) -> usize {
    let mut n = 0;
    while b.len() - n >= 8 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[n..n + 8]);
        let x = u64::from_le_bytes(word);
        let flagged =
            (x.wrapping_add(0x4646_4646_4646_4646) | x.wrapping_sub(0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080;
        if flagged != 0 {
            return n + (flagged.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + b[n..].iter().take_while(|c| c.is_ascii_digit()).count()
}

/// The fields after comm in the kernel's exact format: ` S ` then numbers separated by single
/// spaces. Fields that are not used are skipped eight bytes at a time by counting spaces. None
/// for anything else: a newline or a double space before processor, a field used that is not a
/// number (the general parser then decides, and agrees where this one answers).
fn kernel_fields(rest: &[u8]) -> Option<StatFields> {
    let [b' ', state, b' ', ..] = *rest else { return None };
    if !state.is_ascii_alphabetic() {
        return None;
    }
    let mut at = 3;
    let ppid = parse_i64(number(rest, &mut at, false)?)?;
    at = skip_fields(rest, at, 4)?; // pgrp, session, tty_nr, tpgid
    let flags = parse_u64(number(rest, &mut at, false)?)?;
    at = skip_fields(rest, at, 4)?; // minflt, cminflt, majflt, cmajflt
    let utime = parse_u64(number(rest, &mut at, false)?)?;
    let stime = parse_u64(number(rest, &mut at, false)?)?;
    at = skip_fields(rest, at, 2)?; // cutime, cstime
    let priority = parse_i64(number(rest, &mut at, false)?)?;
    let nice = parse_i64(number(rest, &mut at, false)?)?;
    let num_threads = parse_i64(number(rest, &mut at, false)?)?;
    at = skip_fields(rest, at, 1)?; // itrealvalue
    let starttime = parse_u64(number(rest, &mut at, false)?)?;
    let vsize = parse_u64(number(rest, &mut at, false)?)?;
    let rss_pages = parse_u64(number(rest, &mut at, false)?)?;
    at = skip_fields(rest, at, 14)?; // rsslim .. exit_signal
    let processor = parse_i64(number(rest, &mut at, true)?)?;
    Some(StatFields {
        state,
        ppid,
        flags,
        utime,
        stime,
        priority,
        nice,
        num_threads,
        starttime,
        vsize,
        rss_pages,
        processor,
    })
}

/// The number (`-`? digits) at `at`, which must be followed by one space (or, for the `last`
/// field, also a newline or the end); `at` moves past the space.
fn number<'a>(b: &'a [u8], at: &mut usize, last: bool) -> Option<&'a [u8]> {
    let start = *at;
    let digits = if b.get(start) == Some(&b'-') { start + 1 } else { start };
    let end = digits + count_digits(b.get(digits..)?);
    if end == digits {
        return None;
    }
    match b.get(end) {
        Some(b' ') => *at = end + 1,
        Some(b'\n') | None if last => *at = end,
        _ => return None,
    }
    Some(&b[start..end])
}

/// High bit of each byte of `x` equal to `c`; exact (no carry crosses a byte).
fn bytes_equal(x: u64, c: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let y = x ^ (0x0101_0101_0101_0101 * u64::from(c));
    !(((y & LOW7) + LOW7) | y) & !LOW7
}

/// Skips `n` space-terminated fields starting at `at` (the start of one) and returns the start
/// of the next. None when a newline comes first or a field is empty (two spaces in a row).
fn skip_fields(b: &[u8], mut at: usize, mut n: usize) -> Option<usize> {
    if matches!(b.get(at), None | Some(b' ' | b'\n')) {
        return None;
    }
    // Whether the byte before `at` was a space (it never is at the start: checked above).
    let mut after_space = false;
    while n > 0 && b.len() - at >= 8 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[at..at + 8]);
        let x = u64::from_le_bytes(word);
        let mut spaces = bytes_equal(x, b' ');
        let count = spaces.count_ones() as usize;
        // Only the bytes up to the n-th space of this word count.
        let upto = if count >= n {
            for _ in 1..n {
                spaces &= spaces - 1;
            }
            let bit = spaces.trailing_zeros();
            if bit == 63 { u64::MAX } else { (1u64 << (bit + 1)) - 1 }
        } else {
            u64::MAX
        };
        let spaces = bytes_equal(x, b' ') & upto;
        if bytes_equal(x, b'\n') & upto != 0 || spaces & (spaces << 8) != 0 || (after_space && spaces & 0x80 != 0) {
            return None;
        }
        if count >= n {
            return Some(at + (upto.count_ones() / 8) as usize);
        }
        n -= count;
        after_space = spaces >> 63 != 0;
        at += 8;
    }
    while n > 0 {
        match b.get(at) {
            Some(b' ') if !after_space => {
                n -= 1;
                after_space = true;
            }
            Some(b' ' | b'\n') | None => return None,
            Some(_) => after_space = false,
        }
        at += 1;
    }
    Some(at)
}

/// The fields after comm, split on runs of spaces and newlines, as the old parser did.
fn general_fields(rest: &[u8]) -> Option<StatFields> {
    let mut f = Fields::new(rest);
    let state = match f.next()? {
        [s] if s.is_ascii_alphabetic() => *s,
        _ => return None,
    };
    let ppid = parse_i64(f.next()?)?;
    f.skip(4)?; // pgrp, session, tty_nr, tpgid
    let flags = parse_u64(f.next()?)?;
    f.skip(4)?; // minflt, cminflt, majflt, cmajflt
    let utime = parse_u64(f.next()?)?;
    let stime = parse_u64(f.next()?)?;
    f.skip(2)?; // cutime, cstime
    let priority = parse_i64(f.next()?)?;
    let nice = parse_i64(f.next()?)?;
    let num_threads = parse_i64(f.next()?)?;
    f.skip(1)?; // itrealvalue
    let starttime = parse_u64(f.next()?)?;
    let vsize = parse_u64(f.next()?)?;
    let rss_pages = parse_u64(f.next()?)?;
    f.skip(14)?; // rsslim .. exit_signal
    let processor = parse_i64(f.next()?)?;
    Some(StatFields {
        state,
        ppid,
        flags,
        utime,
        stime,
        priority,
        nice,
        num_threads,
        starttime,
        vsize,
        rss_pages,
        processor,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A full stat line as the kernel writes it, with the fields threadtop reads set.
    pub(crate) fn stat_line(pid: i32, comm: &[u8], state: char, utime: u64, stime: u64) -> Vec<u8> {
        let mut v = format!("{pid} (").into_bytes();
        v.extend_from_slice(comm);
        v.extend_from_slice(
            format!(
                ") {state} 1 {pid} {pid} 34816 {pid} 4194304 100 0 0 0 {utime} {stime} 0 0 20 0 3 0 \
                 12345 10485760 256 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 \
                 0 0 0 0 0 0 0 0\n"
            )
            .as_bytes(),
        );
        v
    }

    #[test]
    fn stat_plain() {
        let line = stat_line(42, b"bash", 'S', 7, 3);
        let s = parse_stat(&line).unwrap();
        assert_eq!(s.pid, 42);
        assert_eq!(s.comm, b"bash");
        assert_eq!(s.state, b'S');
        assert_eq!(s.ppid, 1);
        assert_eq!(s.flags, 4194304);
        assert!(!s.is_kernel_thread());
        assert_eq!((s.utime, s.stime, s.cpu_ticks()), (7, 3, 10));
        assert_eq!((s.priority, s.nice, s.num_threads), (20, 0, 3));
        assert_eq!(s.starttime, 12345);
        assert_eq!(s.vsize, 10485760);
        assert_eq!(s.rss_pages, 256);
        assert_eq!(s.processor, 1);
    }

    #[test]
    fn stat_comm_with_spaces_parens_newline_and_non_utf8() {
        let comm: &[u8] = b"a) (b c)\n\xff\xfe)";
        let line = stat_line(7, comm, 'R', 1, 2);
        let s = parse_stat(&line).unwrap();
        assert_eq!(s.comm, comm);
        assert_eq!(s.state, b'R');
        assert_eq!(s.utime, 1);
        assert_eq!(s.processor, 1);
        assert_eq!(s.comm_lossy(), "a) (b c)\n\u{fffd}\u{fffd})");
        // Control bytes are kept: escaping is the display's job.
        let line = stat_line(8, b"\x1b[31mred", 'S', 0, 0);
        assert_eq!(parse_stat(&line).unwrap().comm, b"\x1b[31mred");
        // Empty comm.
        let line = stat_line(9, b"", 'S', 0, 0);
        assert_eq!(parse_stat(&line).unwrap().comm, b"");
    }

    #[test]
    fn stat_kernel_thread_and_negative_priority() {
        let line = b"15 (migration/0) S 2 0 0 0 -1 69238848 0 0 0 0 0 3 0 0 -100 0 1 0 3 0 0 \
                     18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 99 1 0 0 0 0 0 0 0 0 0 0 0\n";
        let s = parse_stat(line).unwrap();
        assert!(s.is_kernel_thread());
        assert_eq!(s.priority, -100);
        assert_eq!(s.ppid, 2);
        assert_eq!(s.processor, 0);
    }

    #[test]
    fn stat_truncated_empty_garbage() {
        let line = stat_line(42, b"bash", 'S', 7, 3);
        for cut in 0..line.len() - 30 {
            // Every cut before the processor field must fail, never panic.
            assert!(parse_stat(&line[..cut]).is_none(), "cut at {cut}");
        }
        assert!(parse_stat(b"").is_none());
        assert!(parse_stat(b"garbage").is_none());
        assert!(parse_stat(b")(").is_none());
        assert!(parse_stat(b"1 (x) S").is_none());
        assert!(parse_stat(b"x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37").is_none());
        // A non-numeric field.
        let bad = String::from_utf8(line.clone()).unwrap().replace(" 7 3 ", " 7 x ");
        assert!(parse_stat(bad.as_bytes()).is_none());
        // Overflow.
        let big = String::from_utf8(line).unwrap().replace(" 7 3 ", " 99999999999999999999999 3 ");
        assert!(parse_stat(big.as_bytes()).is_none());
    }

    // The split-into-an-array parser that the cursor one replaced: the reference for equality.
    /// Fields counted after the closing `)` of comm: state is 0, processor (field 39) is 36.
    const STAT_FIELDS: usize = 37;

    /// Parses a `stat` line. comm runs from the FIRST `(` to the LAST `)`, because a process may
    /// name itself `a) (b` or put a newline in its name; everything after is space-separated numbers.
    fn reference_parse_stat(buf: &[u8]) -> Option<Stat<'_>> {
        let open = buf.iter().position(|&b| b == b'(')?;
        let close = buf.iter().rposition(|&b| b == b')')?;
        if close < open {
            return None;
        }
        let pid = parse_i64(buf[..open].trim_ascii())?;
        let comm = &buf[open + 1..close];

        let mut f: [&[u8]; STAT_FIELDS] = [&[]; STAT_FIELDS];
        let mut n = 0;
        for tok in buf[close + 1..].split(|&b| b == b' ' || b == b'\n').filter(|t| !t.is_empty()) {
            f[n] = tok;
            n += 1;
            if n == STAT_FIELDS {
                break;
            }
        }
        if n < STAT_FIELDS {
            return None;
        }
        let state = match f[0] {
            [s] if s.is_ascii_alphabetic() => *s,
            _ => return None,
        };
        Some(Stat {
            pid: i32::try_from(pid).ok()?,
            comm,
            state,
            ppid: i32::try_from(parse_i64(f[1])?).ok()?,
            flags: u32::try_from(parse_u64(f[6])?).ok()?,
            utime: parse_u64(f[11])?,
            stime: parse_u64(f[12])?,
            priority: parse_i64(f[15])?,
            nice: parse_i64(f[16])?,
            num_threads: parse_i64(f[17])?,
            starttime: parse_u64(f[19])?,
            vsize: parse_u64(f[20])?,
            rss_pages: parse_u64(f[21])?,
            processor: i32::try_from(parse_i64(f[36])?).ok()?,
        })
    }

    /// The cursor parser gives exactly what the old one gave: on every real stat line of this
    /// machine and on thousands of mutated ones.
    #[test]
    fn stat_parser_matches_the_reference() {
        // Every process's stat (one may exit between the listing and its read: skipped).
        let mut lines: Vec<Vec<u8>> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
            .filter_map(|e| std::fs::read(e.path().join("stat")).ok())
            .collect();
        assert!(!lines.is_empty());
        // Real lines take the fast path.
        for line in &lines {
            let close = line.iter().rposition(|&b| b == b')').unwrap();
            assert!(kernel_fields(&line[close + 1..]).is_some(), "{}", String::from_utf8_lossy(line));
            assert_eq!(rfind_byte(line, b')'), Some(close));
        }
        lines.push(stat_line(7, b"a) (b c)\n\xff\xfe)", 'R', 1, 2));
        lines.push(
            b"1 (x) S  2   3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 \
                     32 33 34 35 36 37 38 39\n"
                .to_vec(),
        );
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for line in &lines {
            assert_eq!(parse_stat(line), reference_parse_stat(line));
            for _ in 0..200 {
                let mut v = line.clone();
                for _ in 0..(next() % 4) {
                    if v.is_empty() {
                        break;
                    }
                    let at = next() as usize % v.len();
                    match next() % 4 {
                        0 => v[at] = b" \n()-0123456789x"[next() as usize % 16],
                        1 => {
                            v.remove(at);
                        }
                        2 => v.insert(at, b" \n"[next() as usize % 2]),
                        _ => v.truncate(at),
                    }
                }
                assert_eq!(parse_stat(&v), reference_parse_stat(&v), "{:?}", String::from_utf8_lossy(&v));
            }
        }
    }

    #[test]
    fn count_digits_eight_at_a_time() {
        for b in 0..=255u8 {
            for at in 0..12 {
                let mut v = vec![b'7'; 12];
                v[at] = b;
                let want = v.iter().take_while(|c| c.is_ascii_digit()).count();
                assert_eq!(count_digits(&v), want, "byte {b:#x} at {at}");
                let tail = v[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                assert_eq!(count_digits(&v[1..]), tail, "byte {b:#x} at {at}, from 1");
            }
        }
        assert_eq!(count_digits(b""), 0);
        assert_eq!(count_digits(b"18446744073709551615 "), 20);
    }

    #[test]
    fn rfind_byte_is_rposition() {
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        for len in 0..80 {
            for _ in 0..50 {
                let v: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        // Mostly bytes next to ')' (0x29) and high bytes, where a word-at-a-time
                        // test could be fooled.
                        [b')', b'(', 0x28, 0x2a, 0xa9, 0xff, 0x00, b'1'][(seed % 8) as usize]
                    })
                    .collect();
                assert_eq!(rfind_byte(&v, b')'), v.iter().rposition(|&b| b == b')'), "{v:?}");
            }
        }
    }
}
