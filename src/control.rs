//! Acting on processes the user chose: signals through pidfds after a start-time check (a
//! reused PID is never hit), nice per thread, CPU affinity, and reading `environ` and `fd/` for
//! the inspect views. Nothing here panics on a vanished process or EPERM: every call returns
//! what happened in words for the status line.

use std::fmt;
use std::fs;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::process::{Pid as RPid, PidfdFlags, Signal};

use crate::collect::model::Pid;

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

/// Reads starttime (field 22) of /proc/PID/stat; None when the process is gone or unreadable.
pub fn start_ticks(proc_root: &Path, pid: Pid) -> Option<u64> {
    let stat = fs::read(proc_root.join(pid.to_string()).join("stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(stat.get(close + 1..)?).ok()?;
    // After the comm: state is field 3, so starttime (22) is the 20th token.
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
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

/// The environment of a process, one `NAME=value` per line.
pub fn environ(proc_root: &Path, pid: Pid) -> Result<Vec<String>, String> {
    let path = proc_root.join(pid.to_string()).join("environ");
    let bytes = fs::read(&path).map_err(|e| read_err(&e, &path))?;
    Ok(bytes.split(|&b| b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect())
}

/// Open files and sockets of a process from /proc/PID/fd, sockets named from /proc/PID/net.
pub fn open_files(proc_root: &Path, pid: Pid) -> Result<Vec<String>, String> {
    let base: PathBuf = proc_root.join(pid.to_string());
    let fd_dir = base.join("fd");
    let dir = fs::read_dir(&fd_dir).map_err(|e| read_err(&e, &fd_dir))?;
    let mut fds: Vec<(i32, String)> = dir
        .flatten()
        .filter_map(|e| {
            let n: i32 = e.file_name().to_str()?.parse().ok()?;
            let target = fs::read_link(e.path()).ok()?;
            Some((n, target.to_string_lossy().into_owned()))
        })
        .collect();
    fds.sort_unstable_by_key(|(n, _)| *n);
    let sockets = socket_table(&base);
    Ok(fds
        .into_iter()
        .map(|(n, target)| {
            let desc = target
                .strip_prefix("socket:[")
                .and_then(|s| s.strip_suffix(']'))
                .and_then(|ino| sockets.iter().find(|(i, _)| i == ino))
                .map(|(_, d)| format!("{target}  {d}"))
                .unwrap_or(target);
            format!("{n:>5}  {desc}")
        })
        .collect())
}

/// Socket inode → description, from the process's network namespace.
fn socket_table(base: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (file, proto) in [("tcp", "TCP"), ("tcp6", "TCP6"), ("udp", "UDP"), ("udp6", "UDP6")] {
        let Ok(text) = fs::read_to_string(base.join("net").join(file)) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                continue;
            }
            let state = if proto.starts_with("TCP") { tcp_state(f[3]) } else { "" };
            out.push((
                f[9].to_string(),
                format!("{proto} {} -> {} {state}", addr(f[1]), addr(f[2])).trim_end().to_string(),
            ));
        }
    }
    if let Ok(text) = fs::read_to_string(base.join("net").join("unix")) {
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 7 {
                let path = f.get(7).copied().unwrap_or("(unnamed)");
                out.push((f[6].to_string(), format!("UNIX {path}")));
            }
        }
    }
    out
}

fn tcp_state(hex: &str) -> &'static str {
    match hex {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "03" => "SYN_RECV",
        "04" => "FIN_WAIT1",
        "05" => "FIN_WAIT2",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "09" => "LAST_ACK",
        "0A" => "LISTEN",
        "0B" => "CLOSING",
        _ => "",
    }
}

/// `0100007F:1F90` → `127.0.0.1:8080`; IPv6 shown as hex groups.
fn addr(s: &str) -> String {
    let Some((ip, port)) = s.split_once(':') else {
        return s.to_string();
    };
    let port = u16::from_str_radix(port, 16).map(|p| p.to_string()).unwrap_or_else(|_| port.to_string());
    if ip.len() == 8 {
        if let Ok(v) = u32::from_str_radix(ip, 16) {
            let b = v.to_le_bytes();
            return format!("{}.{}.{}.{}:{port}", b[0], b[1], b[2], b[3]);
        }
    } else if ip.len() == 32 {
        let mut bytes = [0u8; 16];
        for (i, chunk) in ip.as_bytes().chunks(8).enumerate() {
            if let Some(v) = std::str::from_utf8(chunk).ok().and_then(|c| u32::from_str_radix(c, 16).ok()) {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
            }
        }
        return format!("[{}]:{port}", std::net::Ipv6Addr::from(bytes));
    }
    format!("{ip}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_decode() {
        assert_eq!(addr("0100007F:1F90"), "127.0.0.1:8080");
        assert_eq!(addr("00000000:0000"), "0.0.0.0:0");
        assert_eq!(addr("00000000000000000000000001000000:0016"), "[::1]:22");
    }

    #[test]
    fn own_start_time_reads() {
        let me = std::process::id() as Pid;
        assert!(start_ticks(Path::new("/proc"), me).is_some());
        assert_eq!(start_ticks(Path::new("/proc"), -5), None);
    }
}
