//! threadtop's side of CPython: is a process Python (`detect`), and the two things it asks of
//! `threadtop-pyspy`, the helper executable that holds py-spy (`inspect::pyspy`): one thread's
//! Python stack (`stack_of`, one run of the helper) and the GIL sampler of the threads view
//! (`GilSampler`, one helper per focused Python process, for as long as the focus lasts).
//!
//! Why a helper: py-spy and what it pulls in (an ELF and DWARF reader, a demangler) were ~0.7 MB
//! of the monitor's code, and the kernel maps code in 64 KiB blocks around what runs, so an idle
//! process list paid for a Python reader it never ran (~0.4 MiB of its peak RSS, BENCHMARKS.md).
//! In its own process py-spy costs nothing until a Python process is focused, and its memory
//! goes when the focus does.
//!
//! The gil protocol, over the helper's stdin and stdout: threadtop writes `take SEQ` (the figures
//! since the last take) or `ready SEQ MS` (wait up to MS for py-spy to find the interpreter);
//! the helper answers each with one line, `SEQ JSON`. A reply that comes after its request timed
//! out is recognised by its SEQ and dropped.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::collect::model::PythonSample;
use crate::model::Pid;
use crate::model::stack::PythonStack;

/// Samples per second unless the config says otherwise.
pub const DEFAULT_RATE_HZ: u32 = 100;
/// The most the config may ask for: py-spy's own default, and already far more than GIL% needs.
pub const MAX_RATE_HZ: u32 = 1000;
/// The helper's file name, looked for beside threadtop's own executable.
pub const HELPER: &str = "threadtop-pyspy";
/// Overrides where the helper is (a test's build, an unusual install).
pub const HELPER_ENV: &str = "THREADTOP_PYSPY";
/// How long one take may wait for its reply: the helper answers from memory at once; a slower
/// answer means it is stuck or starved, and the view says so rather than wait.
const TAKE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a stack read may take: py-spy reads the interpreter's symbols first (~0.1-0.5 s).
const STACK_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the helper gets to leave after its stdin closed, before it is killed.
const EXIT_GRACE: Duration = Duration::from_millis(300);

/// Whether `pid` runs CPython: its executable is named python* (python3, python3.12,
/// python3.13t), or a libpython is mapped (an embedding program, `python` through a shared
/// library). Read once per focus: a readlink, and the maps only when the name says no.
pub fn detect(proc_root: &Path, pid: Pid) -> bool {
    let dir = proc_root.join(pid.to_string());
    let named_python = std::fs::read_link(dir.join("exe"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().starts_with("python")))
        .unwrap_or(false);
    if named_python {
        return true;
    }
    let Ok(maps) = std::fs::File::open(dir.join("maps")) else {
        return false;
    };
    // Line by line: a big process's maps run to megabytes, and the first hit ends the read.
    let mut line = Vec::new();
    let mut r = BufReader::new(maps);
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {
                if line.windows(9).any(|w| w == b"libpython") {
                    return true;
                }
            }
        }
    }
}

/// Where the helper is: `$THREADTOP_PYSPY`, else beside threadtop's executable (an install, or
/// target/release), else one directory up (a test binary runs from target/debug/deps).
pub fn helper_path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(HELPER_ENV) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find threadtop's own executable: {e}"))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates = [Some(dir), dir.parent()];
    candidates.into_iter().flatten().map(|d| d.join(HELPER)).find(|p| p.is_file()).ok_or_else(|| {
        format!("{HELPER}, which reads Python for threadtop, is not beside {}: install both", exe.display())
    })
}

/// One request to a `gil` helper.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Request {
    Take(u64),
    Ready(u64, Duration),
}

impl Request {
    fn line(self) -> String {
        match self {
            Request::Take(seq) => format!("take {seq}\n"),
            Request::Ready(seq, t) => format!("ready {seq} {}\n", t.as_millis()),
        }
    }
}

/// The helper's reading of one request line; None for anything else.
pub fn helper_request(line: &str) -> Option<Request> {
    let mut words = line.split_ascii_whitespace();
    let req = match (words.next()?, words.next()?.parse().ok()?) {
        ("take", seq) => Request::Take(seq),
        ("ready", seq) => Request::Ready(seq, Duration::from_millis(words.next()?.parse().ok()?)),
        _ => return None,
    };
    words.next().is_none().then_some(req)
}

/// The reply to request `seq` out of a reply line: Some(json) when it answers it, None for an
/// older one (its request timed out), Err for a line that is no reply.
fn reply_to(line: &str, seq: u64) -> Result<Option<&str>, String> {
    let (n, json) = line.trim_end().split_once(' ').ok_or_else(|| format!("unreadable reply {line:?}"))?;
    let n: u64 = n.parse().map_err(|_| format!("unreadable reply {line:?}"))?;
    Ok((n == seq).then_some(json))
}

/// Waits until `fd` has input (or its writer closed it): false when `deadline` came first.
fn readable(fd: &impl AsFd, deadline: Instant) -> Result<bool, String> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout =
            Timespec { tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX), tv_nsec: left.subsec_nanos().into() };
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(format!("py-spy's helper: {e}")),
        }
    }
}

struct Link {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    seq: u64,
}

impl Link {
    /// Sends `req` and reads its reply, waiting until `deadline`.
    fn ask(&mut self, req: Request, deadline: Instant) -> Result<String, String> {
        let seq = match req {
            Request::Take(s) | Request::Ready(s, _) => s,
        };
        let stdin = self.stdin.as_mut().ok_or("the helper's input is closed")?;
        stdin.write_all(req.line().as_bytes()).and_then(|()| stdin.flush()).map_err(|e| self.gone(&e))?;
        let mut line = String::new();
        loop {
            if self.stdout.buffer().is_empty() && !readable(self.stdout.get_ref(), deadline)? {
                return Err("py-spy's helper did not answer in time".to_owned());
            }
            line.clear();
            match self.stdout.read_line(&mut line) {
                Ok(0) => return Err(self.exited()),
                Ok(_) => {}
                Err(e) => return Err(self.gone(&e)),
            }
            if let Some(json) = reply_to(&line, seq)? {
                return Ok(json.to_owned());
            }
        }
    }

    fn gone(&mut self, e: &std::io::Error) -> String {
        if e.kind() == std::io::ErrorKind::BrokenPipe { self.exited() } else { format!("py-spy's helper: {e}") }
    }

    fn exited(&mut self) -> String {
        self.stdin = None;
        match self.child.wait() {
            Ok(status) => format!("py-spy's helper stopped ({status})"),
            Err(e) => format!("py-spy's helper stopped: {e}"),
        }
    }
}

/// The GIL sampler of one focused Python process: a `threadtop-pyspy gil` child that samples it
/// at `rate_hz` until this is dropped. While nobody takes its figures (the display paused) it
/// samples nothing.
pub struct GilSampler {
    rate_hz: u32,
    link: Mutex<Result<Link, String>>,
}

impl GilSampler {
    /// Starts the helper for `pid`. `idle_after`: with no `take` for that long, sampling pauses.
    /// A helper that cannot start is no error here: `take` says why in the view.
    pub fn spawn(pid: Pid, rate_hz: u32, idle_after: Duration) -> GilSampler {
        let rate_hz = rate_hz.clamp(1, MAX_RATE_HZ);
        GilSampler { rate_hz, link: Mutex::new(start(pid, rate_hz, idle_after)) }
    }

    fn lock(&self) -> MutexGuard<'_, Result<Link, String>> {
        // A panic while it was held leaves at worst a link that answers with an error.
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn ask(&self, make: impl FnOnce(u64) -> Request, deadline: Instant) -> Result<String, String> {
        let mut guard = self.lock();
        let link = guard.as_mut().map_err(|e| e.clone())?;
        link.seq += 1;
        let out = link.ask(make(link.seq), deadline);
        if link.stdin.is_none() {
            // Exited: every later take says the same without asking again.
            if let Err(e) = &out {
                *guard = Err(e.clone());
            }
        }
        out
    }

    /// The figures since the last call.
    pub fn take(&self) -> PythonSample {
        let failed =
            |error: String| PythonSample { rate_hz: self.rate_hz, error: Some(error), ..PythonSample::default() };
        match self.ask(Request::Take, Instant::now() + TAKE_TIMEOUT) {
            Ok(json) => serde_json::from_str(&json)
                .unwrap_or_else(|e| failed(format!("py-spy's helper sent an unreadable sample: {e}"))),
            Err(e) => failed(e),
        }
    }

    /// Waits until py-spy has found the interpreter or given up (true: it samples).
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout + TAKE_TIMEOUT;
        self.ask(|seq| Request::Ready(seq, timeout), deadline).is_ok_and(|r| r == "true")
    }
}

impl Drop for GilSampler {
    fn drop(&mut self) {
        let mut guard = self.lock();
        let Ok(link) = guard.as_mut() else { return };
        // Its stdin closing ends it; one that does not go at once is killed.
        link.stdin = None;
        let end = Instant::now() + EXIT_GRACE;
        while Instant::now() < end {
            if !matches!(link.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = link.child.kill();
        let _ = link.child.wait();
    }
}

fn helper(args: &[OsString]) -> Result<Command, String> {
    let mut cmd = Command::new(helper_path()?);
    // Its stderr would land on the TUI's screen: what it has to say comes through its replies.
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    Ok(cmd)
}

fn start(pid: Pid, rate_hz: u32, idle_after: Duration) -> Result<Link, String> {
    let args =
        ["gil".into(), pid.to_string().into(), rate_hz.to_string().into(), idle_after.as_millis().to_string().into()];
    let mut child = helper(&args)?.stdin(Stdio::piped()).spawn().map_err(|e| format!("cannot start {HELPER}: {e}"))?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("cannot talk to {HELPER}"));
    };
    Ok(Link { child, stdin: Some(stdin), stdout: BufReader::new(stdout), seq: 0 })
}

/// `tid`'s Python stack, read once by a run of the helper. Blocking (py-spy reads the
/// interpreter's symbols first): the runtime calls it off the input path.
pub fn stack_of(pid: Pid, tid: Pid) -> PythonStack {
    match run_stack(pid, tid) {
        Ok(s) => s,
        Err(e) => PythonStack::Failed(e),
    }
}

fn run_stack(pid: Pid, tid: Pid) -> Result<PythonStack, String> {
    let args = ["stack".into(), pid.to_string().into(), tid.to_string().into()];
    let mut child = helper(&args)?.spawn().map_err(|e| format!("cannot start {HELPER}: {e}"))?;
    let mut stdout = child.stdout.take().ok_or_else(|| format!("cannot talk to {HELPER}"))?;
    let deadline = Instant::now() + STACK_TIMEOUT;
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let read = loop {
        match readable(&stdout, deadline) {
            Ok(true) => {}
            Ok(false) => break Err(format!("py-spy took more than {} s to read the stack", STACK_TIMEOUT.as_secs())),
            Err(e) => break Err(e),
        }
        match stdout.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(format!("py-spy's helper: {e}")),
        }
    };
    if read.is_err() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("py-spy's helper: {e}"))?;
    read?;
    serde_json::from_slice(&out).map_err(|_| format!("py-spy's helper stopped ({status}) without a stack"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_back_as_sent_and_nothing_else_is_one() {
        for r in [Request::Take(1), Request::Take(u64::MAX), Request::Ready(7, Duration::from_millis(2500))] {
            assert_eq!(helper_request(&r.line()), Some(r));
        }
        for bad in ["", "take", "take x", "take 1 2", "ready 3", "ready 3 soon", "give 1", "TAKE 1"] {
            assert_eq!(helper_request(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_late_reply_is_told_from_the_one_asked_for() {
        assert_eq!(reply_to("4 {\"a\":1}\n", 4), Ok(Some("{\"a\":1}")));
        assert_eq!(reply_to("3 {\"a\":1}\n", 4), Ok(None));
        assert!(reply_to("garbage\n", 4).is_err());
        assert!(reply_to("x {}\n", 4).is_err());
    }

    #[test]
    fn detect_by_exe_name_or_by_libpython_in_maps() {
        let dir = std::env::temp_dir().join(format!("tt-pydetect-{}", std::process::id()));
        let make = |pid: &str, exe: &str, maps: &str| {
            let d = dir.join(pid);
            std::fs::create_dir_all(&d).unwrap();
            std::os::unix::fs::symlink(exe, d.join("exe")).unwrap();
            std::fs::write(d.join("maps"), maps).unwrap();
        };
        let lib = "7f00-7f10 r-xp 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libc.so.6\n";
        make("1", "/root/.pyenv/versions/3.12.1/bin/python3.12", lib);
        make("2", "/usr/bin/vim", "7f00-7f10 r-xp 0 08:01 9 /usr/lib/libpython3.11.so.1.0\n");
        make("3", "/usr/bin/bash", lib);
        make("4", "/usr/local/bin/mypython-wrapper", lib);
        assert!(detect(&dir, 1));
        assert!(detect(&dir, 2));
        assert!(!detect(&dir, 3));
        assert!(!detect(&dir, 4), "the name must start with python");
        assert!(!detect(&dir, 5), "no such process");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
