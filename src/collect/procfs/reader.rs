//! `ProcReader`: reads files under the proc root through one kept fd of the root, one reused path
//! and one reused buffer, and re-reads kept-open files with pread (`read_kept`). No parsing here
//! (see `stat` and `parse`). Imports only `collect::model` and the budget next door; no `app`,
//! `ui`, `lab`, the lab's data (`crate::model::{demo, experiment}`), ratatui or crossterm.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, RawDir};

use super::budget::{FdBudget, KeptFile};
use super::parse::parse_u64;
use crate::collect::model::Pid;

/// `statfs` magic of procfs (include/uapi/linux/magic.h).
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

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

    /// The target of the symbolic link `{root}/{pid}/{rel}` (e.g. `fd/3` -> `pipe:[81234]`).
    pub fn read_link(&mut self, pid: Pid, rel: &str) -> io::Result<std::ffi::OsString> {
        self.set_rel(Some(pid), None, rel);
        self.root_fd()?;
        let target = rustix::fs::readlinkat(root_of(&self.root_fd)?, self.rel.as_slice(), Vec::new())?;
        Ok(std::os::unix::ffi::OsStringExt::from_vec(target.into_bytes()))
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
mod tests {
    use super::super::is_gone;
    use super::super::stat::parse_stat;
    use super::*;

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

    #[test]
    fn decimals_for_paths() {
        let mut v = Vec::new();
        push_decimal(&mut v, 0);
        v.push(b' ');
        push_decimal(&mut v, i32::MAX);
        v.push(b' ');
        push_decimal(&mut v, -12);
        assert_eq!(v, b"0 2147483647 -12");
    }

    /// A kept file reads the task it was opened for, not whatever has its number now; once that
    /// task is gone, `read_kept` goes by path, which is how a reused PID is picked up. The new
    /// process stands in for the PID's new owner (the path is what the number resolves to).
    #[test]
    fn kept_file_is_tied_to_its_task_and_reopens_by_path() {
        let mut a = std::process::Command::new("sleep").arg("100").spawn().unwrap();
        let mut b = std::process::Command::new("sleep").arg("100").spawn().unwrap();
        let (pa, pb) = (a.id() as Pid, b.id() as Pid);
        let mut r = ProcReader::new("/proc");
        r.set_budget(FdBudget::new(8));
        let mut kept = None;
        assert_eq!(parse_stat(r.read_kept(&mut kept, Some(pa), None, "stat").unwrap()).unwrap().pid, pa);
        assert!(kept.is_some());
        // Asked for B's number, the kept file still reads A: it is A's.
        assert_eq!(parse_stat(r.read_kept(&mut kept, Some(pb), None, "stat").unwrap()).unwrap().pid, pa);
        a.kill().unwrap();
        a.wait().unwrap();
        // A is gone: its file fails (ESRCH), and the path now leads to the number's owner.
        assert_eq!(parse_stat(r.read_kept(&mut kept, Some(pb), None, "stat").unwrap()).unwrap().pid, pb);
        assert!(kept.is_some());
        assert_eq!(r.budget().open(), 1);
        b.kill().unwrap();
        b.wait().unwrap();
        assert!(r.read_kept(&mut kept, Some(pb), None, "stat").is_err());
        assert!(kept.is_none());
        assert_eq!(r.budget().open(), 0);
    }
}
