//! Acting on processes the user chose: signals through pidfds after a start-time check (a
//! reused PID is never hit), nice per thread, CPU affinity, and reading `environ` and `fd/` for
//! the inspect views. Nothing here panics on a vanished process or EPERM: every call returns
//! what happened in words for the status line. Imports only `collect` (its `stat` parser); no
//! `app`, `ui`, `lab`, `crate::model`, ratatui or crossterm.
//!
//! The inspect views are cold paths (one read per key press), so the open files and the socket
//! tables come from the procfs crate's typed parsers rather than hand parsers of our own.

use std::fmt;
use std::fs;
use std::io;
use std::os::fd::AsFd;
use std::path::Path;

use procfs::ProcError;
use procfs::process::{FDTarget, Process};
use rustix::process::{Pid as RPid, PidfdFlags, Signal};

use crate::collect::model::Pid;
use crate::collect::procfs::parse_stat;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignalOutcome {
    Sent,
    /// The process exited before the signal: nothing was sent.
    Gone,
    /// The PID now belongs to another process (different start time): nothing was sent.
    Reused,
    Failed(String),
}

impl fmt::Display for SignalOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalOutcome::Sent => f.write_str("sent"),
            SignalOutcome::Gone => f.write_str("the process has gone; nothing sent"),
            SignalOutcome::Reused => f.write_str("the PID now belongs to another process; nothing sent"),
            SignalOutcome::Failed(e) => f.write_str(e),
        }
    }
}

/// Reads starttime (field 22) of /proc/PID/stat; None when the process is gone or unreadable,
/// or its stat is not a whole line naming this PID.
pub fn start_ticks(proc_root: &Path, pid: Pid) -> Option<u64> {
    let stat = fs::read(proc_root.join(pid.to_string()).join("stat")).ok()?;
    parse_stat(&stat).filter(|st| st.pid == pid).map(|st| st.starttime)
}

fn errno_text(e: &io::Error, what: &str) -> String {
    match e.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => {
            format!("permission denied: {what} needs more privilege")
        }
        Some(libc::ESRCH) => "the process has gone".into(),
        _ => format!("{what} failed: {e}"),
    }
}

fn rpid(pid: Pid) -> Option<RPid> {
    RPid::from_raw(pid)
}

/// Sends `sig` to `target` only if it is still the same process. The pidfd is opened first and
/// the start time checked after, so the check and the send are about one and the same process.
pub fn send_signal(proc_root: &Path, pid: Pid, expected_start: u64, sig: i32) -> SignalOutcome {
    let Some(signal) = Signal::from_named_raw(sig) else {
        return SignalOutcome::Failed(format!("unknown signal {sig}"));
    };
    let raw = pid;
    let Some(pid) = rpid(raw) else {
        return SignalOutcome::Failed(format!("invalid PID {raw}"));
    };
    let check = || match start_ticks(proc_root, raw) {
        None => Err(SignalOutcome::Gone),
        Some(t) if t != expected_start => Err(SignalOutcome::Reused),
        Some(_) => Ok(()),
    };
    match rustix::process::pidfd_open(pid, PidfdFlags::empty()) {
        Ok(fd) => {
            if let Err(o) = check() {
                return o;
            }
            match rustix::process::pidfd_send_signal(fd.as_fd(), signal) {
                Ok(()) => SignalOutcome::Sent,
                Err(rustix::io::Errno::SRCH) => SignalOutcome::Gone,
                Err(e) => SignalOutcome::Failed(errno_text(&e.into(), "sending a signal")),
            }
        }
        Err(rustix::io::Errno::SRCH) => SignalOutcome::Gone,
        // Kernels before 5.3 have no pidfds: the same check, then kill(), a narrow race.
        Err(rustix::io::Errno::NOSYS) => {
            if let Err(o) = check() {
                return o;
            }
            match rustix::process::kill_process(pid, signal) {
                Ok(()) => SignalOutcome::Sent,
                Err(rustix::io::Errno::SRCH) => SignalOutcome::Gone,
                Err(e) => SignalOutcome::Failed(errno_text(&e.into(), "sending a signal")),
            }
        }
        Err(e) => SignalOutcome::Failed(errno_text(&e.into(), "opening the process")),
    }
}

/// The TIDs of a process (just `pid` itself when its task list can't be read).
pub fn tids(proc_root: &Path, pid: Pid) -> Vec<Pid> {
    let mut out: Vec<Pid> = fs::read_dir(proc_root.join(pid.to_string()).join("task"))
        .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default();
    if out.is_empty() {
        out.push(pid);
    }
    out.sort_unstable();
    out
}

/// Changes the nice value of one thread (`tid`) or of every thread of `pid` by `delta`.
/// Nice is per thread on Linux: renicing only the main thread would leave the others as they were.
/// Returns the new nice value (of the main or given thread).
pub fn renice(proc_root: &Path, pid: Pid, tid: Option<Pid>, delta: i32) -> Result<i32, String> {
    let tasks = match tid {
        Some(t) => vec![t],
        None => tids(proc_root, pid),
    };
    let mut result = None;
    for t in tasks {
        let Some(rp) = rpid(t) else { continue };
        let now = match rustix::process::getpriority_process(Some(rp)) {
            Ok(n) => n,
            Err(rustix::io::Errno::SRCH) => continue,
            Err(e) => return Err(errno_text(&e.into(), "reading the nice value")),
        };
        let new = (now + delta).clamp(-20, 19);
        match rustix::process::setpriority_process(Some(rp), new) {
            Ok(()) => {}
            Err(rustix::io::Errno::SRCH) => continue,
            Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => {
                return Err(if delta < 0 {
                    "permission denied: raising priority (lower nice) needs root or CAP_SYS_NICE".into()
                } else {
                    "permission denied: not your process".into()
                });
            }
            Err(e) => return Err(errno_text(&e.into(), "setting the nice value")),
        }
        if result.is_none() || Some(t) == tid || t == pid {
            result = Some(new);
        }
    }
    result.ok_or_else(|| "the process has gone".to_string())
}

/// The CPUs a thread may run on, as a flag per logical CPU.
pub fn get_affinity(tid: Pid, cpus: usize) -> Result<Vec<bool>, String> {
    let rp = rpid(tid).ok_or("invalid PID")?;
    let set = rustix::thread::sched_getaffinity(Some(rp)).map_err(|e| errno_text(&e.into(), "reading the affinity"))?;
    Ok((0..cpus).map(|c| set.is_set(c)).collect())
}

/// Restricts one thread, or every thread of `pid`, to the CPUs flagged true.
pub fn set_affinity(proc_root: &Path, pid: Pid, tid: Option<Pid>, allowed: &[bool]) -> Result<usize, String> {
    if !allowed.iter().any(|&b| b) {
        return Err("choose at least one core".into());
    }
    let mut set = rustix::thread::CpuSet::new();
    for (c, _) in allowed.iter().enumerate().filter(|(_, b)| **b) {
        set.set(c);
    }
    let tasks = match tid {
        Some(t) => vec![t],
        None => tids(proc_root, pid),
    };
    let mut done = 0;
    for t in tasks {
        let Some(rp) = rpid(t) else { continue };
        match rustix::thread::sched_setaffinity(Some(rp), &set) {
            Ok(()) => done += 1,
            Err(rustix::io::Errno::SRCH) => {}
            Err(e) => return Err(errno_text(&e.into(), "setting the affinity")),
        }
    }
    if done == 0 { Err("the process has gone".into()) } else { Ok(done) }
}

fn read_err(e: &io::Error, what: &Path) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => format!("permission denied reading {}", what.display()),
        io::ErrorKind::NotFound => "the process has gone".into(),
        _ => format!("cannot read {}: {e}", what.display()),
    }
}

/// The environment of a process, one `NAME=value` per line, in the process's own order. Not the
/// procfs crate's `environ`: it returns a map, which loses that order, a name set twice and an
/// entry without `=`.
pub fn environ(proc_root: &Path, pid: Pid) -> Result<Vec<String>, String> {
    let path = proc_root.join(pid.to_string()).join("environ");
    let bytes = fs::read(&path).map_err(|e| read_err(&e, &path))?;
    Ok(bytes.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect())
}

/// Open files and sockets of a process from /proc/PID/fd, sockets named from /proc/PID/net.
pub fn open_files(proc_root: &Path, pid: Pid) -> Result<Vec<String>, String> {
    let fd_dir = proc_root.join(pid.to_string()).join("fd");
    let fail = |e: ProcError| proc_err(e, &fd_dir);
    let process = Process::new_with_root(proc_root.join(pid.to_string())).map_err(fail)?;
    // An fd closed while the directory is read is skipped by the iterator, as `ls` would.
    let mut fds: Vec<(i32, FDTarget)> =
        process.fd().map_err(fail)?.flatten().map(|info| (info.fd, info.target)).collect();
    fds.sort_unstable_by_key(|(n, _)| *n);
    let sockets = socket_table(&process);
    Ok(fds
        .into_iter()
        .map(|(n, target)| {
            let text = link_text(&target);
            match target {
                FDTarget::Socket(inode) => match sockets.iter().find(|(i, _)| *i == inode) {
                    Some((_, desc)) => format!("{n:>5}  {text}  {desc}"),
                    None => format!("{n:>5}  {text}"),
                },
                _ => format!("{n:>5}  {text}"),
            }
        })
        .collect())
}

/// The fd's link as the kernel wrote it (`socket:[123]`, `/dev/null`): what `ls -l` shows.
fn link_text(target: &FDTarget) -> String {
    match target {
        FDTarget::Path(p) => p.to_string_lossy().into_owned(),
        FDTarget::Socket(inode) => format!("socket:[{inode}]"),
        FDTarget::Net(inode) => format!("net:[{inode}]"),
        FDTarget::Pipe(inode) => format!("pipe:[{inode}]"),
        FDTarget::AnonInode(what) => format!("anon_inode:{what}"),
        FDTarget::MemFD(name) => format!("/memfd:{name}"),
        FDTarget::Other(kind, inode) => format!("{kind}:[{inode}]"),
        FDTarget::Unknown(kind, rest) => format!("{kind}:{rest}"),
    }
}

fn proc_err(e: ProcError, what: &Path) -> String {
    match e {
        ProcError::PermissionDenied(_) => format!("permission denied reading {}", what.display()),
        ProcError::NotFound(_) => "the process has gone".into(),
        ProcError::Io(e, _) => read_err(&e, what),
        other => format!("cannot read {}: {other}", what.display()),
    }
}

/// Socket inode -> description (`TCP 127.0.0.1:8080 -> 0.0.0.0:0 LISTEN`): the tables are read
/// by `collect::net`, which the threads view's WAITING column shares.
fn socket_table(process: &Process) -> Vec<(u64, String)> {
    crate::collect::net::socket_table(process).into_iter().map(|(inode, s)| (inode, s.long())).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A proc tree in a temp dir, removed on drop.
    struct FakeProc(PathBuf);

    impl FakeProc {
        fn new(name: &str) -> Self {
            let root = std::env::temp_dir().join(format!("threadtop-control-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            fs::create_dir_all(&root).unwrap();
            Self(root)
        }

        fn write(&self, rel: &str, text: &str) {
            let p = self.0.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }

        fn link(&self, rel: &str, target: &str) {
            let p = self.0.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, p).unwrap();
        }
    }

    impl Drop for FakeProc {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// A stat line as the kernel writes it, with `starttime` (field 22) set.
    fn stat_line(pid: Pid, comm: &str, starttime: u64) -> String {
        format!(
            "{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194304 100 0 0 0 7 3 0 0 20 0 1 0 {starttime} 10485760 256 \
             18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
        )
    }

    #[test]
    fn start_time_is_field_22_of_the_pids_own_stat() {
        let fake = FakeProc::new("start");
        fake.write("10/stat", &stat_line(10, "a) (b c", 4242));
        assert_eq!(start_ticks(&fake.0, 10), Some(4242));
        // A stat naming another PID is not this process's (a corrupt or fake tree).
        fake.write("11/stat", &stat_line(12, "liar", 77));
        assert_eq!(start_ticks(&fake.0, 11), None);
        // Cut short or garbage: unknown, never a wrong number.
        fake.write("13/stat", &stat_line(13, "cut", 99)[..60]);
        assert_eq!(start_ticks(&fake.0, 13), None);
        fake.write("14/stat", "garbage");
        assert_eq!(start_ticks(&fake.0, 14), None);
        assert_eq!(start_ticks(&fake.0, 15), None);
    }

    /// The `l` view's lines: fd number, link target, and for a socket what the net tables say.
    #[test]
    fn open_files_name_sockets_from_the_net_tables() {
        let fake = FakeProc::new("fds");
        let links = [
            ("0", "/dev/pts/3"),
            ("1", "pipe:[901]"),
            ("2", "anon_inode:[eventfd]"),
            ("3", "socket:[111]"),
            ("4", "socket:[222]"),
            ("5", "socket:[333]"),
            ("6", "socket:[444]"),
            ("7", "socket:[555]"),
            ("12", "/memfd:buf (deleted)"),
            ("10", "socket:[999]"),
            ("11", "/home/u/file with spaces"),
        ];
        for (fd, target) in links {
            fake.link(&format!("20/fd/{fd}"), target);
        }
        let head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
        fake.write(
            "20/net/tcp",
            &format!(
                "{head}   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0\n\
                 \x20  1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1\n"
            ),
        );
        fake.write(
            "20/net/tcp6",
            &format!(
                "{head}   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0\n"
            ),
        );
        fake.write(
            "20/net/udp",
            &format!(
                "{head}  7: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 444 2 0000000000000000 0\n"
            ),
        );
        fake.write(
            "20/net/unix",
            "Num       RefCount Protocol Flags    Type St Inode Path\n\
             0000000000000000: 00000002 00000000 00010000 0001 01 555 /run/user/1000/bus\n\
             0000000000000000: 00000003 00000000 00000000 0001 03 556\n",
        );
        let lines = open_files(&fake.0, 20).unwrap();
        let want = [
            "    0  /dev/pts/3",
            "    1  pipe:[901]",
            "    2  anon_inode:[eventfd]",
            "    3  socket:[111]  TCP 127.0.0.1:8080 -> 0.0.0.0:0 LISTEN",
            "    4  socket:[222]  TCP 127.0.0.1:8080 -> 127.0.0.1:54321 ESTABLISHED",
            "    5  socket:[333]  TCP6 [::1]:22 -> [::]:0 LISTEN",
            "    6  socket:[444]  UDP 0.0.0.0:5353 -> 0.0.0.0:0",
            "    7  socket:[555]  UNIX /run/user/1000/bus",
            "   10  socket:[999]",
            "   11  /home/u/file with spaces",
            "   12  /memfd:buf (deleted)",
        ];
        assert_eq!(lines, want);
        assert_eq!(open_files(&fake.0, 21).unwrap_err(), "the process has gone");
    }

    #[test]
    fn own_start_time_reads() {
        let me = std::process::id() as Pid;
        assert!(start_ticks(Path::new("/proc"), me).is_some());
        assert_eq!(start_ticks(Path::new("/proc"), -5), None);
    }
}
