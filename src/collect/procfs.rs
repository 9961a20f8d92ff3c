//! Lean /proc readers and hand parsers (`stat`, `statm`, `status`, `schedstat`, `cmdline`): one reused
//! path and buffer, no allocation per task, never a panic on any input. Part of `collect`: it
//! imports neither `app` nor `ui`, and no ratatui or crossterm.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

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
    let pid = i32::try_from(parse_i64(trim(&buf[..open]))?).ok()?;
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
    let mut f = Fields { buf: rest, at: 0 };
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

/// Space- or newline-separated fields; runs of separators count as one.
struct Fields<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
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

    fn skip(&mut self, n: usize) -> Option<()> {
        for _ in 0..n {
            self.next()?;
        }
        Some(())
    }
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
    let mut f = Fields { buf, at: 0 };
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

/// USER_HZ: the unit of the tick counts in `stat`. From libc's sysconf, not rustix's auxv parser:
/// that one reads the vDSO image, which crashes under valgrind (rustix#1559), and callgrind is
/// how the sampler is profiled.
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(v).ok().filter(|&v| v > 0).unwrap_or(100)
}

/// The page size: the unit of `rss` in `stat` and of every field of `statm`.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(v).ok().filter(|&v| v > 0).unwrap_or(4096)
}

/// Why a read failed, as the sampler counts it.
pub fn is_gone(e: &io::Error) -> bool {
    // ESRCH: the task exited after open but before read.
    e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH)
}

/// `statfs` magic of procfs (include/uapi/linux/magic.h).
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// Raises this process's soft limit on open files to its hard limit (once) and returns the soft
/// limit now in force. Kept-open /proc files need one descriptor per task; nothing in threadtop
/// uses select(), which is the usual reason to keep the soft limit low.
pub fn raise_fd_limit() -> u64 {
    static LIMIT: OnceLock<u64> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        use rustix::process::{Resource, getrlimit, setrlimit};
        let lim = getrlimit(Resource::Nofile);
        let soft = lim.current.unwrap_or(u64::MAX);
        match lim.maximum {
            Some(hard) if hard > soft => {
                let raised = rustix::process::Rlimit { current: Some(hard), maximum: Some(hard) };
                if setrlimit(Resource::Nofile, raised).is_ok() { hard } else { soft }
            }
            // Unlimited hard limit: raise to what the kernel allows per process (nr_open) is not
            // worth a file read; the soft limit stays and bounds the budget.
            _ => soft,
        }
    })
}

/// Most /proc files kept open at once. Each costs ~4.3 KiB of kernel memory once read (the
/// seq_file page buffer plus the struct file; measured in BENCHMARKS.md), so the cap bounds that
/// cost; past it, files are opened, read and closed as before.
pub const MAX_KEPT_FILES: usize = 16_384;

/// Descriptors left for everything else (terminal, lab pipes, transient opens).
fn fd_reserve(soft: u64) -> u64 {
    512 + soft / 8
}

/// How many /proc files may stay open, shared by every kept file (which gives its slot back on
/// drop). Shrinks when an open fails with EMFILE/ENFILE: kept files over the limit are then
/// closed as they are next read.
#[derive(Clone, Debug)]
pub struct FdBudget {
    open: Arc<AtomicUsize>,
    limit: Arc<AtomicUsize>,
}

impl FdBudget {
    pub fn new(limit: usize) -> Self {
        Self { open: Arc::new(AtomicUsize::new(0)), limit: Arc::new(AtomicUsize::new(limit)) }
    }

    /// The budget for this process: the raised soft limit minus a reserve, at most
    /// MAX_KEPT_FILES, or at most `THREADTOP_KEPT_FILES` when set (0 keeps none: every read is
    /// open-read-close, for a machine where the kernel memory matters more than the CPU).
    pub fn for_this_process() -> Self {
        let cap = std::env::var("THREADTOP_KEPT_FILES").ok().and_then(|v| v.trim().parse::<u64>().ok());
        let cap = cap.unwrap_or(MAX_KEPT_FILES as u64);
        if cap == 0 {
            return Self::new(0);
        }
        let soft = raise_fd_limit();
        let limit = soft.saturating_sub(fd_reserve(soft)).min(cap);
        Self::new(usize::try_from(limit).unwrap_or(MAX_KEPT_FILES))
    }

    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit.load(Ordering::Relaxed)
    }

    fn over(&self) -> bool {
        self.open() > self.limit()
    }

    fn keep(&self, fd: OwnedFd) -> Option<KeptFile> {
        if self.open() >= self.limit() {
            return None;
        }
        self.open.fetch_add(1, Ordering::Relaxed);
        Some(KeptFile { fd, open: self.open.clone() })
    }

    /// The process ran out of descriptors: keep fewer from now on, and free some for the rest.
    fn shed(&self) {
        const FREE: usize = 64;
        self.limit.store(self.open().saturating_sub(FREE), Ordering::Relaxed);
    }
}

/// A /proc file kept open and re-read from offset 0 with pread: no path walk, no open, no close,
/// and the kernel keeps its seq_file buffer. The fd belongs to the task it was opened for, not
/// to its number: once that task is gone, reads fail with ESRCH, even if the PID was reused.
#[derive(Debug)]
pub struct KeptFile {
    fd: OwnedFd,
    open: Arc<AtomicUsize>,
}

impl Drop for KeptFile {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Reads files under a proc root (normally `/proc`) through one reused path and buffer. Paths
/// are opened relative to a kept fd of the root (`1234/task/1240/stat`): two to four path
/// components for the kernel to walk instead of three to five.
pub struct ProcReader {
    root: PathBuf,
    root_fd: Option<OwnedFd>,
    /// The root is a real procfs, so a kept file fails once its task is gone (a plain file in a
    /// test tree would go on reading what it held): only then are files kept open.
    live: bool,
    budget: FdBudget,
    /// A descriptor held in reserve: when an open fails with EMFILE, closing it lets that open
    /// (and each later open-read-close of the same sample) go through while the kept files over
    /// the shrunk budget are being closed. Re-taken at the next `replenish_spare`.
    spare: Option<OwnedFd>,
    rel: Vec<u8>,
    buf: Vec<u8>,
    dirbuf: Vec<u8>,
}

const READ_CHUNK: usize = 4096;
const DIR_CHUNK: usize = 32 * 1024;

impl ProcReader {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let mut r = Self {
            root: root.into(),
            root_fd: None,
            live: false,
            budget: FdBudget::new(0),
            spare: None,
            rel: Vec::with_capacity(64),
            buf: vec![0; READ_CHUNK],
            dirbuf: Vec::with_capacity(DIR_CHUNK),
        };
        let _ = r.root_fd();
        r.replenish_spare();
        r
    }

    /// Takes the reserve descriptor back if it was used (call once per sample).
    pub fn replenish_spare(&mut self) {
        if self.spare.is_none()
            && let Some(root) = &self.root_fd
        {
            self.spare = rustix::io::fcntl_dupfd_cloexec(root, 0).ok();
        }
    }

    /// Keep files open up to this budget (only under a live procfs).
    pub fn set_budget(&mut self, budget: FdBudget) {
        self.budget = budget;
    }

    pub fn budget(&self) -> &FdBudget {
        &self.budget
    }

    /// Whether the root is a live procfs (files are then kept open and threads counted).
    pub fn is_live(&self) -> bool {
        self.live
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root directory, opened on first use (and retried while it fails).
    fn root_fd(&mut self) -> io::Result<BorrowedFd<'_>> {
        if self.root_fd.is_none() {
            let fd = rustix::fs::open(&self.root, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
            // f_type is i64 on x86_64 but narrower elsewhere.
            #[allow(clippy::useless_conversion)]
            let is_proc = |s: rustix::fs::StatFs| i64::from(s.f_type) == PROC_SUPER_MAGIC;
            self.live = rustix::fs::fstatfs(&fd).is_ok_and(is_proc);
            self.root_fd = Some(fd);
        }
        root_of(&self.root_fd)
    }

    /// `{pid}`, `/task/{tid}`, `/{file}` for each part given, relative to the root (`.` if none).
    fn set_rel(&mut self, pid: Option<Pid>, tid: Option<Pid>, file: &str) {
        self.rel.clear();
        if let Some(pid) = pid {
            push_decimal(&mut self.rel, pid);
        }
        if let Some(tid) = tid {
            self.rel.extend_from_slice(b"/task/");
            push_decimal(&mut self.rel, tid);
        }
        if !file.is_empty() {
            if !self.rel.is_empty() {
                self.rel.push(b'/');
            }
            self.rel.extend_from_slice(file.as_bytes());
        }
        if self.rel.is_empty() {
            self.rel.push(b'.');
        }
    }

    /// Opens the path set by `set_rel`. Running out of descriptors shrinks the kept-file budget
    /// and spends the spare descriptor on a second try.
    fn open_rel(&mut self, flags: OFlags) -> io::Result<OwnedFd> {
        self.root_fd()?;
        let open = |root: &Option<OwnedFd>, rel: &[u8]| {
            rustix::fs::openat(root_of(root)?, rel, flags | OFlags::CLOEXEC, Mode::empty()).map_err(io::Error::from)
        };
        match open(&self.root_fd, &self.rel) {
            Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                self.budget.shed();
                match self.spare.take() {
                    Some(spare) => {
                        drop(spare);
                        open(&self.root_fd, &self.rel)
                    }
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    /// Reads `{root}/{file}` (e.g. `stat`).
    pub fn read_root_file(&mut self, file: &str) -> io::Result<&[u8]> {
        self.set_rel(None, None, file);
        self.read_rel()
    }

    /// Reads `{root}/{pid}/{file}`.
    pub fn read_pid_file(&mut self, pid: Pid, file: &str) -> io::Result<&[u8]> {
        self.set_rel(Some(pid), None, file);
        self.read_rel()
    }

    /// Reads `{root}/{pid}/task/{tid}/{file}`.
    pub fn read_task_file(&mut self, pid: Pid, tid: Pid, file: &str) -> io::Result<&[u8]> {
        self.set_rel(Some(pid), Some(tid), file);
        self.read_rel()
    }

    /// Reads `{root}/{pid}[/task/{tid}]/{file}` (or `{root}/{file}` with no pid) through `kept`:
    /// re-read with pread while it holds a file; otherwise, or when its task is gone (the number
    /// may name a new task by now), opened by path, read, and kept if the budget allows. A kept
    /// file over the budget (after EMFILE) is closed after this read.
    pub fn read_kept(
        &mut self,
        kept: &mut Option<KeptFile>,
        pid: Option<Pid>,
        tid: Option<Pid>,
        file: &str,
    ) -> io::Result<&[u8]> {
        if let Some(k) = kept.as_ref() {
            match read_record(&k.fd, &mut self.buf) {
                Ok(n) if n > 0 => {
                    if self.budget.over() {
                        *kept = None;
                    }
                    return Ok(&self.buf[..n]);
                }
                // ESRCH (gone), or anything unexpected: forget it and go by path.
                _ => *kept = None,
            }
        }
        self.set_rel(pid, tid, file);
        let fd = self.open_rel(OFlags::RDONLY)?;
        let n = read_record(&fd, &mut self.buf)?;
        if self.live {
            *kept = self.budget.keep(fd);
        }
        Ok(&self.buf[..n])
    }

    /// Reads `{root}/{pid}/cmdline` to its end (it may be longer than a page and has no newline).
    pub fn read_cmdline(&mut self, pid: Pid) -> io::Result<&[u8]> {
        self.set_rel(Some(pid), None, "cmdline");
        let fd = self.open_rel(OFlags::RDONLY)?;
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

    fn read_rel(&mut self) -> io::Result<&[u8]> {
        let fd = self.open_rel(OFlags::RDONLY)?;
        let n = read_record(&fd, &mut self.buf)?;
        Ok(&self.buf[..n])
    }

    /// The owner uid of `{root}/{pid}`: the process's effective uid, as htop and ps show it.
    pub fn owner_uid(&mut self, pid: Pid) -> io::Result<u32> {
        self.set_rel(Some(pid), None, "");
        self.root_fd()?;
        Ok(rustix::fs::statat(root_of(&self.root_fd)?, self.rel.as_slice(), rustix::fs::AtFlags::empty())?.st_uid)
    }

    /// The numeric entries of `{root}` (processes) into `out`. The root's fd is kept and
    /// rewound rather than opened again each time.
    pub fn list_pids(&mut self, out: &mut Vec<Pid>) -> io::Result<()> {
        out.clear();
        self.root_fd()?;
        let Some(fd) = self.root_fd.take() else { return Err(io::ErrorKind::NotFound.into()) };
        let listed = rustix::fs::seek(&fd, rustix::fs::SeekFrom::Start(0))
            .map_err(io::Error::from)
            .and_then(|_| list_numeric(&fd, &mut self.dirbuf, out));
        self.root_fd = Some(fd);
        listed
    }

    /// The numeric entries of `{root}/{pid}/task` (threads) into `out`.
    pub fn list_tasks(&mut self, pid: Pid, out: &mut Vec<Pid>) -> io::Result<()> {
        out.clear();
        self.set_rel(Some(pid), None, "task");
        let fd = self.open_rel(OFlags::RDONLY | OFlags::DIRECTORY)?;
        list_numeric(&fd, &mut self.dirbuf, out)
    }
}

fn root_of(fd: &Option<OwnedFd>) -> io::Result<BorrowedFd<'_>> {
    fd.as_ref().map(AsFd::as_fd).ok_or_else(|| io::ErrorKind::NotFound.into())
}

/// Reads a single-record file from offset 0 into `buf` (grown as needed) and returns its length.
/// The files read here (stat, status, schedstat, /proc/stat) are single-record seq_files: a read
/// with room to spare returns the whole record, so a short read ending in `\n` is the end and
/// saves a second syscall. pread, so a kept file is re-read from the start.
fn read_record(fd: &OwnedFd, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len().max(READ_CHUNK) * 2, 0);
        }
        let room = buf.len() - filled;
        let n = rustix::io::pread(fd, &mut buf[filled..], filled as u64)?;
        filled += n;
        if n == 0 || (n < room && buf[filled - 1] == b'\n') {
            return Ok(filled);
        }
    }
}

/// getdents64 into a reused buffer: std's read_dir allocates a name per entry.
fn list_numeric(fd: &OwnedFd, dirbuf: &mut Vec<u8>, out: &mut Vec<Pid>) -> io::Result<()> {
    loop {
        let mut too_small = false;
        {
            let spare: &mut [MaybeUninit<u8>] = dirbuf.spare_capacity_mut();
            let mut dir = RawDir::new(fd, spare);
            while let Some(entry) = dir.next() {
                match entry {
                    Ok(entry) => {
                        if let Some(id) = parse_u64(entry.file_name().to_bytes()).and_then(|v| Pid::try_from(v).ok()) {
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
        let cap = dirbuf.capacity();
        dirbuf.reserve(cap.max(DIR_CHUNK) * 2);
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
        let mut r = ProcReader::new("/proc");
        let me = std::process::id() as Pid;
        let m = parse_statm(r.read_pid_file(me, "statm").unwrap()).unwrap();
        assert!(m.resident > 0 && m.resident <= m.size, "{m:?}");
        assert!(m.shared <= m.resident, "{m:?}");
        // Its size is stat's vsize in pages (both come from the same mm; this test's process
        // might map or unmap between the two reads, hence the retry).
        let same = (0..20).any(|_| {
            let vsize = parse_stat(r.read_pid_file(me, "stat").unwrap()).unwrap().vsize;
            let m = parse_statm(r.read_pid_file(me, "statm").unwrap()).unwrap();
            m.size * page_size() == vsize
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

    /// The cursor parser gives exactly what the old one gave: on every real stat line of this
    /// machine and on thousands of mutated ones.
    #[test]
    fn stat_parser_matches_the_reference() {
        let mut r = ProcReader::new("/proc");
        let mut pids = Vec::new();
        r.list_pids(&mut pids).unwrap();
        let mut lines: Vec<Vec<u8>> = Vec::new();
        for &pid in &pids {
            if let Ok(b) = r.read_pid_file(pid, "stat") {
                lines.push(b.to_vec());
            }
        }
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
