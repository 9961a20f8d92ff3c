//! Lean /proc readers and hand parsers (`stat`, `status`, `schedstat`, `cmdline`): one reused
//! path and buffer, no allocation per task, never a panic on any input. Part of `collect`: it
//! imports neither `app` nor `ui`, and no ratatui or crossterm.

use std::ffi::OsStr;
use std::io;
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, RawDir};

use super::model::Pid;

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

/// Fields counted after the closing `)` of comm: state is 0, processor (field 39) is 36.
const STAT_FIELDS: usize = 37;

/// Parses a `stat` line. comm runs from the FIRST `(` to the LAST `)`, because a process may
/// name itself `a) (b` or put a newline in its name; everything after is space-separated numbers.
pub fn parse_stat(buf: &[u8]) -> Option<Stat<'_>> {
    let open = buf.iter().position(|&b| b == b'(')?;
    let close = buf.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let pid = parse_i64(trim(&buf[..open]))?;
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

/// The few lines of `status` threadtop needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Real uid (first number of the `Uid:` line).
    pub uid: Option<u32>,
    pub voluntary_ctxt_switches: Option<u64>,
    pub nonvoluntary_ctxt_switches: Option<u64>,
}

/// Hand-parses `status`: scanning three line prefixes is ~3x cheaper than procfs's HashMap of
/// every line. `Name:` can't forge a line start: the kernel escapes `\n` in it. None when none of
/// the three lines is there.
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

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
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

/// Why a read failed, as the sampler counts it.
pub fn is_gone(e: &io::Error) -> bool {
    // ESRCH: the task exited after open but before read.
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}

/// Reads files under a proc root (normally `/proc`) through one reused path and buffer.
pub struct ProcReader {
    root: PathBuf,
    root_bytes: Vec<u8>,
    path: Vec<u8>,
    buf: Vec<u8>,
    dirbuf: Vec<u8>,
}

const READ_CHUNK: usize = 4096;
const DIR_CHUNK: usize = 32 * 1024;

impl ProcReader {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let mut root_bytes = root.as_os_str().as_bytes().to_vec();
        while root_bytes.len() > 1 && root_bytes.ends_with(b"/") {
            root_bytes.pop();
        }
        Self {
            root,
            root_bytes,
            path: Vec::with_capacity(128),
            buf: vec![0; READ_CHUNK],
            dirbuf: Vec::with_capacity(DIR_CHUNK),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `{root}`, then `/{pid}`, `/task/{tid}`, `/{file}` for each part given.
    fn set_path(&mut self, pid: Option<Pid>, tid: Option<Pid>, file: &str) {
        self.path.clear();
        self.path.extend_from_slice(&self.root_bytes);
        if let Some(pid) = pid {
            self.path.push(b'/');
            push_decimal(&mut self.path, pid);
        }
        if let Some(tid) = tid {
            self.path.extend_from_slice(b"/task/");
            push_decimal(&mut self.path, tid);
        }
        if !file.is_empty() {
            self.path.push(b'/');
            self.path.extend_from_slice(file.as_bytes());
        }
    }

    fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.path))
    }

    /// Reads `{root}/{file}` (e.g. `stat`).
    pub fn read_root_file(&mut self, file: &str) -> io::Result<&[u8]> {
        self.set_path(None, None, file);
        self.read_record()
    }

    /// Reads `{root}/{pid}/{file}`.
    pub fn read_pid_file(&mut self, pid: Pid, file: &str) -> io::Result<&[u8]> {
        self.set_path(Some(pid), None, file);
        self.read_record()
    }

    /// Reads `{root}/{pid}/task/{tid}/{file}`.
    pub fn read_task_file(&mut self, pid: Pid, tid: Pid, file: &str) -> io::Result<&[u8]> {
        self.set_path(Some(pid), Some(tid), file);
        self.read_record()
    }

    /// Reads `{root}/{pid}/cmdline` to its end (it may be longer than a page and has no newline).
    pub fn read_cmdline(&mut self, pid: Pid) -> io::Result<&[u8]> {
        self.set_path(Some(pid), None, "cmdline");
        let fd = rustix::fs::open(self.path(), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        let mut filled = 0;
        loop {
            if filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = rustix::io::read(&fd, &mut self.buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok(&self.buf[..filled])
    }

    /// Opens, reads and closes one file. The files read here (stat, status, schedstat,
    /// /proc/stat) are single-record seq_files: a read with room to spare returns the whole
    /// record, so a short read ending in `\n` is the end and saves a second read() per task.
    fn read_record(&mut self) -> io::Result<&[u8]> {
        let fd = rustix::fs::open(self.path(), OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        let mut filled = 0;
        loop {
            if filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let room = self.buf.len() - filled;
            let n = rustix::io::read(&fd, &mut self.buf[filled..])?;
            filled += n;
            if n == 0 || (n < room && self.buf[filled - 1] == b'\n') {
                break;
            }
        }
        Ok(&self.buf[..filled])
    }

    /// The owner uid of `{root}/{pid}`: the process's effective uid, as htop and ps show it.
    pub fn owner_uid(&mut self, pid: Pid) -> io::Result<u32> {
        self.set_path(Some(pid), None, "");
        Ok(rustix::fs::stat(self.path())?.st_uid)
    }

    /// The numeric entries of `{root}` (processes) into `out`.
    pub fn list_pids(&mut self, out: &mut Vec<Pid>) -> io::Result<()> {
        self.set_path(None, None, "");
        self.list_numeric(out)
    }

    /// The numeric entries of `{root}/{pid}/task` (threads) into `out`.
    pub fn list_tasks(&mut self, pid: Pid, out: &mut Vec<Pid>) -> io::Result<()> {
        self.set_path(Some(pid), None, "task");
        self.list_numeric(out)
    }

    /// getdents64 into a reused buffer: std's read_dir allocates a name per entry.
    fn list_numeric(&mut self, out: &mut Vec<Pid>) -> io::Result<()> {
        out.clear();
        let fd = rustix::fs::open(self.path(), OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        loop {
            let mut too_small = false;
            {
                let spare: &mut [MaybeUninit<u8>] = self.dirbuf.spare_capacity_mut();
                let mut dir = RawDir::new(&fd, spare);
                while let Some(entry) = dir.next() {
                    match entry {
                        Ok(entry) => {
                            if let Some(id) =
                                parse_u64(entry.file_name().to_bytes()).and_then(|v| Pid::try_from(v).ok())
                            {
                                out.push(id);
                            }
                        }
                        // The buffer can't hold one entry: grow and go on from where we are.
                        Err(rustix::io::Errno::INVAL) => {
                            too_small = true;
                            break;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            if !too_small {
                return Ok(());
            }
            let cap = self.dirbuf.capacity();
            self.dirbuf.reserve(cap.max(DIR_CHUNK) * 2);
        }
    }
}

fn push_decimal(out: &mut Vec<u8>, v: Pid) {
    let mut v = i64::from(v);
    if v < 0 {
        out.push(b'-');
        v = -v;
    }
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
pub(crate) mod tests {
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
        let mut v = Vec::new();
        push_decimal(&mut v, 0);
        v.push(b' ');
        push_decimal(&mut v, i32::MAX);
        v.push(b' ');
        push_decimal(&mut v, -12);
        assert_eq!(v, b"0 2147483647 -12");
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
        let seeds = [stat_line(1, b"x) (y", 'S', 1, 2), STATUS.to_vec(), b"1 2 3\n".to_vec()];
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
            let _ = cmdline_to_string(&input);
            input.reverse();
            let _ = parse_stat(&input);
        }
    }

    #[test]
    fn reader_reads_real_proc_self() {
        let mut r = ProcReader::new("/proc");
        let me = std::process::id() as Pid;
        let stat = parse_stat(r.read_pid_file(me, "stat").unwrap()).unwrap();
        assert_eq!(stat.pid, me);
        let mut tids = Vec::new();
        r.list_tasks(me, &mut tids).unwrap();
        assert!(tids.contains(&me));
        let mut pids = Vec::new();
        r.list_pids(&mut pids).unwrap();
        assert!(pids.contains(&me));
        assert!(!r.read_cmdline(me).unwrap().is_empty());
        let e = r.read_pid_file(i32::MAX, "stat").unwrap_err();
        assert!(is_gone(&e));
    }
}
