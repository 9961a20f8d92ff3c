//! Parsers of the small /proc files the sampler reads besides `stat` (`status`, `schedstat`,
//! `statm`, `cmdline`, `io`) and the integer parsers they share. Pure: bytes in, fields out, never a
//! panic. Imports only `collect::model`; no `app`, `ui`, `lab`, the lab's data
//! (`crate::model::{demo, experiment}`), ratatui or crossterm.

/// The few lines of `status` threadtop needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Real uid (first number of the `Uid:` line).
    pub uid: Option<u32>,
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
}

/// Hand-parses `status`: scanning three line prefixes is 23-29x cheaper than the procfs crate's
/// parse, a HashMap of every line (see `procfs`'s first lines). `Name:` can't forge a line start:
/// the kernel escapes `\n` in it. None when none of the three lines is there.
pub fn parse_status(buf: &[u8]) -> Option<Status> {
    let mut st = Status::default();
    for line in buf.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"Uid:") {
            st.uid = first_token(rest).and_then(parse_u64).and_then(|v| u32::try_from(v).ok());
        } else if let Some(rest) = line.strip_prefix(b"voluntary_ctxt_switches:") {
            st.voluntary_ctxt_switches = first_token(rest).and_then(parse_u64);
        } else if let Some(rest) = line.strip_prefix(b"nonvoluntary_ctxt_switches:") {
            st.nonvoluntary_ctxt_switches = first_token(rest).and_then(parse_u64);
            // The last line of interest: stop early.
            break;
        }
    }
    (st != Status::default()).then_some(st)
}

/// Hand-parses `/proc/PID/io` or `task/TID/io`. All six counters must be there, each line
/// ending in a newline: a missing one would read as a rate of 0, a line cut short as a smaller
/// number, and a kernel without CONFIG_TASK_IO_ACCOUNTING (char counts only) has an unknown
/// IO_R/s, not 0.
pub fn parse_io(buf: &[u8]) -> Option<crate::collect::model::IoCounters> {
    let (mut rchar, mut wchar, mut syscr, mut syscw, mut rb, mut wb) = (None, None, None, None, None, None);
    let whole = &buf[..buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)];
    for line in whole.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let value = parse_u64(line[colon + 1..].trim_ascii());
        let slot = match &line[..colon] {
            b"rchar" => &mut rchar,
            b"wchar" => &mut wchar,
            b"syscr" => &mut syscr,
            b"syscw" => &mut syscw,
            b"read_bytes" => &mut rb,
            b"write_bytes" => &mut wb,
            _ => continue,
        };
        *slot = Some(value?);
    }
    Some(crate::collect::model::IoCounters {
        rchar: rchar?,
        wchar: wchar?,
        syscr: syscr?,
        syscw: syscw?,
        read_bytes: rb?,
        write_bytes: wb?,
    })
}

/// `schedstat`: time on a CPU, time runnable but waiting for one, and timeslices run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchedStat {
    pub run_ns: u64,
    pub wait_ns: u64,
    pub timeslices: u64,
}

pub fn parse_schedstat(buf: &[u8]) -> Option<SchedStat> {
    let mut it = buf.split(|&b| b == b' ' || b == b'\n').filter(|t| !t.is_empty());
    Some(SchedStat {
        run_ns: parse_u64(it.next()?)?,
        wait_ns: parse_u64(it.next()?)?,
        timeslices: parse_u64(it.next()?)?,
    })
}

/// The fields threadtop uses from `/proc/PID/statm`, in pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statm {
    /// Virtual size (stat's vsize / page size).
    pub size: u64,
    /// Resident set: what htop and ps call RES/RSS.
    pub resident: u64,
    /// Resident pages backed by a file or shared memory (htop's SHR).
    pub shared: u64,
}

/// Fields the kernel writes in `statm`: size resident shared text lib data dt.
const STATM_FIELDS: usize = 7;

/// Parses `statm`: seven space-separated numbers (the kernel writes "%lu %lu %lu %lu 0 %lu 0\n").
/// All seven must be there and be numbers, so a line cut short, even inside one of the three
/// fields used, is refused rather than read as a smaller number; anything after the seventh is
/// ignored (room for a field a later kernel might add).
pub fn parse_statm(buf: &[u8]) -> Option<Statm> {
    let mut f = Fields::new(buf);
    let size = parse_u64(f.next()?)?;
    let resident = parse_u64(f.next()?)?;
    let shared = parse_u64(f.next()?)?;
    for _ in 3..STATM_FIELDS {
        parse_u64(f.next()?)?;
    }
    Some(Statm { size, resident, shared })
}

/// `cmdline` as one line: NUL-separated arguments joined by spaces, lossily decoded. Empty for
/// kernel threads and zombies.
pub fn cmdline_to_string(buf: &[u8]) -> String {
    let end = buf.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let joined: Vec<u8> = buf[..end].iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
    match String::from_utf8(joined) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn first_token(s: &[u8]) -> Option<&[u8]> {
    s.split(|b| b.is_ascii_whitespace()).find(|t| !t.is_empty())
}

/// Decimal digits only (no sign, no spaces); None on overflow.
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

pub fn parse_i64(s: &[u8]) -> Option<i64> {
    match s.split_first() {
        Some((b'-', digits)) => {
            let v = parse_u64(digits)?;
            if v == 1 << 63 { Some(i64::MIN) } else { i64::try_from(v).ok().map(|v| -v) }
        }
        _ => i64::try_from(parse_u64(s)?).ok(),
    }
}

/// Space- or newline-separated fields; runs of separators count as one.
pub(super) struct Fields<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Self { buf, at: 0 }
    }

    pub(super) fn next(&mut self) -> Option<&'a [u8]> {
        let b = self.buf;
        let mut i = self.at;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\n') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i] != b' ' && b[i] != b'\n' {
            i += 1;
        }
        self.at = i;
        (i > start).then(|| &b[start..i])
    }

    pub(super) fn skip(&mut self, n: usize) -> Option<()> {
        for _ in 0..n {
            self.next()?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::stat::parse_stat;
    use super::super::stat::tests::stat_line;
    use super::*;

    #[test]
    fn io_file_parses_and_partial_or_garbage_is_none() {
        let buf = b"rchar: 4292\nwchar: 12\nsyscr: 9\nsyscw: 1\nread_bytes: 8192\nwrite_bytes: 4096\ncancelled_write_bytes: 0\n";
        let io = parse_io(buf).unwrap();
        assert_eq!((io.rchar, io.wchar, io.syscr, io.syscw), (4292, 12, 9, 1));
        assert_eq!((io.read_bytes, io.write_bytes), (8192, 4096));
        assert_eq!(parse_io(b"rchar: 1\nwchar: 2\n"), None);
        assert_eq!(parse_io(b"read_bytes: x\nwrite_bytes: \xff\n:::\n"), None);
        assert_eq!(parse_io(b""), None);
    }

    const STATUS: &[u8] = b"Name:\tvoluntary_ctxt_switches:\\n9\nUmask:\t0022\nState:\tS (sleeping)\n\
Tgid:\t1234\nPid:\t1234\nPPid:\t1\nUid:\t1000\t1001\t1002\t1003\nGid:\t100\t100\t100\t100\n\
Threads:\t4\nvoluntary_ctxt_switches:\t150\nnonvoluntary_ctxt_switches:\t7\n";

    #[test]
    fn status_ctxt_and_uid() {
        let st = parse_status(STATUS).unwrap();
        assert_eq!(st.uid, Some(1000));
        assert_eq!(st.voluntary_ctxt_switches, Some(150));
        assert_eq!(st.nonvoluntary_ctxt_switches, Some(7));
    }

    #[test]
    fn status_truncated_empty_garbage() {
        assert_eq!(parse_status(b""), None);
        assert_eq!(parse_status(b"garbage\n\n"), None);
        assert_eq!(parse_status(b"Uid:\n"), None);
        // Cut inside the ctxt lines: what was read stays, the rest is None.
        let cut = STATUS.len() - 35;
        let st = parse_status(&STATUS[..cut]).unwrap();
        assert_eq!(st.uid, Some(1000));
        assert_eq!(st.nonvoluntary_ctxt_switches, None);
        for cut in 0..STATUS.len() {
            let _ = parse_status(&STATUS[..cut]);
        }
    }

    #[test]
    fn schedstat() {
        assert_eq!(
            parse_schedstat(b"123456789 5000 42\n"),
            Some(SchedStat { run_ns: 123456789, wait_ns: 5000, timeslices: 42 })
        );
        assert_eq!(parse_schedstat(b""), None);
        assert_eq!(parse_schedstat(b"1 2\n"), None);
        assert_eq!(parse_schedstat(b"1 x 3\n"), None);
        assert_eq!(parse_schedstat(b"-1 2 3\n"), None);
    }

    #[test]
    fn statm_normal() {
        assert_eq!(parse_statm(b"730 455 428 5 0 89 0\n"), Some(Statm { size: 730, resident: 455, shared: 428 }));
        // No newline (a hand-written fake tree), and a zombie's or kernel thread's all-zero line.
        assert_eq!(parse_statm(b"730 455 428 5 0 89 0"), Some(Statm { size: 730, resident: 455, shared: 428 }));
        assert_eq!(parse_statm(b"0 0 0 0 0 0 0\n"), Some(Statm::default()));
        let max = u64::MAX;
        assert_eq!(
            parse_statm(format!("{max} {max} {max} 1 0 1 0\n").as_bytes()),
            Some(Statm { size: max, resident: max, shared: max })
        );
        // A field a later kernel might add after the seven.
        assert_eq!(parse_statm(b"1 2 3 4 0 6 0 8\n"), Some(Statm { size: 1, resident: 2, shared: 3 }));
    }

    #[test]
    fn statm_truncated() {
        let line = b"730 455 428 5 0 89 0\n";
        // Every cut that loses a field is refused (the last byte is the newline, the one before
        // it the seventh field's only digit).
        for cut in 0..line.len() - 2 {
            assert_eq!(parse_statm(&line[..cut]), None, "cut at {cut}");
        }
        assert_eq!(parse_statm(b"730 455 428\n"), None);
    }

    #[test]
    fn statm_garbage_and_empty() {
        assert_eq!(parse_statm(b""), None);
        assert_eq!(parse_statm(b"\n"), None);
        assert_eq!(parse_statm(b"   \n"), None);
        assert_eq!(parse_statm(b"garbage"), None);
        assert_eq!(parse_statm(b"730 x 428 5 0 89 0\n"), None);
        assert_eq!(parse_statm(b"730 455 428 5 0 89 -1\n"), None);
        assert_eq!(parse_statm(b"730 -455 428 5 0 89 0\n"), None);
        assert_eq!(parse_statm(b"730 455 99999999999999999999 5 0 89 0\n"), None);
        assert_eq!(parse_statm(b"\xff\xfe\x00 1 2 3 4 5 6\n"), None);
        assert_eq!(parse_statm(b"1\t2 3 4 5 6 7\n"), None);
    }

    #[test]
    fn statm_of_this_process_is_plausible() {
        let read = |file: &str| std::fs::read(format!("/proc/self/{file}")).unwrap();
        let m = parse_statm(&read("statm")).unwrap();
        assert!(m.resident > 0 && m.resident <= m.size, "{m:?}");
        assert!(m.shared <= m.resident, "{m:?}");
        // Its size is stat's vsize in pages (both come from the same mm; this test's process
        // might map or unmap between the two reads, hence the retry).
        let same = (0..20).any(|_| {
            let vsize = parse_stat(&read("stat")).unwrap().vsize;
            let m = parse_statm(&read("statm")).unwrap();
            m.size * super::super::page_size() == vsize
        });
        assert!(same, "statm size never matched stat vsize");
    }

    #[test]
    fn cmdline_joins_and_decodes() {
        assert_eq!(cmdline_to_string(b"/bin/sh\0-c\0echo hi\0"), "/bin/sh -c echo hi");
        assert_eq!(cmdline_to_string(b""), "");
        assert_eq!(cmdline_to_string(b"\0\0"), "");
        assert_eq!(cmdline_to_string(b"a\xff\0b"), "a\u{fffd} b");
        // A process that rewrote its argv with spaces.
        assert_eq!(cmdline_to_string(b"postgres: writer   "), "postgres: writer   ");
    }

    #[test]
    fn integers() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"+1"), None);
        assert_eq!(parse_i64(b"-5"), Some(-5));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-"), None);
    }

    /// Fuzz-ish: thousands of random and mutated inputs into every parser; none may panic.
    #[test]
    fn parsers_never_panic() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet: &[u8] = b"0123456789 ()-\n\t:SRabcUidvoluntary_ctxt_switches\xff\x00";
        let seeds = [
            stat_line(1, b"x) (y", 'S', 1, 2),
            STATUS.to_vec(),
            b"1 2 3\n".to_vec(),
            b"730 455 428 5 0 89 0\n".to_vec(),
        ];
        for i in 0..6000 {
            let len = (next() % 400) as usize;
            let mut input: Vec<u8> = if i % 2 == 0 {
                (0..len)
                    .map(|_| {
                        let r = next();
                        if r % 4 == 0 { r as u8 } else { alphabet[(r >> 8) as usize % alphabet.len()] }
                    })
                    .collect()
            } else {
                let mut v = seeds[i % seeds.len()].clone();
                for _ in 0..(next() % 6) {
                    if v.is_empty() {
                        break;
                    }
                    let at = next() as usize % v.len();
                    match next() % 3 {
                        0 => v[at] = next() as u8,
                        1 => {
                            v.remove(at);
                        }
                        _ => v.truncate(at),
                    }
                }
                v
            };
            let _ = parse_stat(&input);
            let _ = parse_status(&input);
            let _ = parse_schedstat(&input);
            let _ = parse_statm(&input);
            let _ = cmdline_to_string(&input);
            input.reverse();
            let _ = parse_stat(&input);
        }
    }
}
