//! The py-spy side of `threadtop-pyspy`, the helper executable (src/bin/pyspy.rs) that reads
//! CPython through py-spy as a library (`PythonSpy` reads the interpreter's memory with
//! process_vm_readv; no CLI, no libunwind): one thread's Python stack (`stack_of`), and the
//! sampler that records which thread holds the GIL (`SpySampler`), aggregated per request by
//! the pure `GilWindow`. threadtop itself never calls into this file (`inspect::python` is its
//! side of the pipe), so py-spy and its dependencies stay out of the monitor's binary.
//!
//! The periodic sampling reads without stopping the target (`LockingStrategy::NonBlocking`):
//! the default `Lock` attaches to and pauses every thread of the process for each sample, which
//! would cost more and slow the very threads whose GIL turns are shown. A non-blocking read can
//! catch the interpreter mid-change: such a read fails or looks inconsistent, and is counted as
//! failed or is one sample among a hundred.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use py_spy::config::LockingStrategy;
use py_spy::{Config, Frame, PythonSpy, StackTrace};

use crate::collect::model::{PythonSample, PythonThread};
use crate::model::Pid;
use crate::model::stack::{PyFrame, PythonStack};

use super::python::{MAX_RATE_HZ, helper_request};

/// Every Nth sample reads every thread (for each one's current function); the others read the
/// GIL holder only, which is all GIL% needs and touches neither /proc nor the other threads.
const FULL_EVERY: u32 = 10;
/// How long py-spy gets to find the interpreter of a process that is still starting.
const START_TRIES: u32 = 20;
const START_RETRY: Duration = Duration::from_millis(100);
/// Failed reads in a row, with none ever good, after which the interpreter is taken as one py-spy
/// cannot read (an unsupported version, say) and sampling stops.
const GIVE_UP_AFTER: u32 = 50;

fn config(blocking: LockingStrategy) -> Config {
    Config {
        blocking,
        // Thread names cost a walk of the threading module's dict per new thread: the OS
        // names (comm) are on screen already.
        collect_thread_names: false,
        ..Config::default()
    }
}

/// `file` as the overlay and columns show it: the last path component (`<string>` for -c).
fn short_file(f: &Frame) -> &str {
    let file = f.short_filename.as_deref().unwrap_or(&f.filename);
    file.rsplit('/').next().unwrap_or(file)
}

/// "function (file:line)", the PYFUNC column's text.
pub fn frame_text(f: &Frame) -> String {
    format!("{} ({}:{})", f.name, short_file(f), f.line)
}

/// `tid`'s Python stack, read once. The process is paused for the read (a consistent stack,
/// and one read is cheap); where pausing is not allowed it is read without.
pub fn stack_of(pid: Pid, tid: Pid) -> PythonStack {
    let mut spy = match PythonSpy::new(pid, &config(LockingStrategy::Lock)) {
        Ok(s) => s,
        Err(e) => return PythonStack::Failed(format!("{e:#}")),
    };
    let version = spy.version.to_string();
    let traces = match spy.get_stack_traces() {
        Ok(t) => t,
        Err(_) => {
            // Not allowed to pause it (ptrace rights), or a read that met the interpreter
            // mid-change: read it without pausing, a few times.
            spy.config.blocking = LockingStrategy::NonBlocking;
            let mut last = None;
            for _ in 0..3 {
                match spy.get_stack_traces() {
                    Ok(t) => return pick(t, tid, version),
                    Err(e) => last = Some(e),
                }
            }
            return PythonStack::Failed(last.map(|e| format!("{e:#}")).unwrap_or_default());
        }
    };
    pick(traces, tid, version)
}

fn pick(traces: Vec<StackTrace>, tid: Pid, version: String) -> PythonStack {
    if !traces.is_empty() && traces.iter().all(|t| t.os_thread_id.is_none()) {
        return PythonStack::Failed(NO_OS_IDS.to_owned());
    }
    match traces.into_iter().find(|t| t.os_thread_id == u64::try_from(tid).ok()) {
        Some(t) => PythonStack::Frames {
            version,
            owns_gil: t.owns_gil,
            frames: t
                .frames
                .iter()
                .map(|f| PyFrame {
                    function: f.name.clone(),
                    file: f.short_filename.clone().unwrap_or_else(|| f.filename.clone()),
                    line: f.line,
                })
                .collect(),
        },
        None => PythonStack::NoSuchThread { version },
    }
}

/// Without libunwind, py-spy learns which OS thread a Python thread is from the thread state,
/// where CPython 3.11 and later record it.
const NO_OS_IDS: &str = "this CPython does not record its threads' OS ids (3.11 and later do): \
                         Python threads cannot be matched to TIDs without libunwind";

/// One sample as GIL% needs it: who held the GIL, and each thread's innermost frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observation {
    /// The OS thread holding the GIL; None when nobody does (all waiting in C, sleeping, I/O).
    pub gil_holder: Option<Pid>,
    /// (thread, its innermost frame as "function (file:line)") for the threads read: every
    /// Python thread in a full sample, the holder only otherwise.
    pub tops: Vec<(Pid, Option<String>)>,
}

/// The samples of one sampler interval, turned into GIL% and functions when the interval ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GilWindow {
    samples: u32,
    failed: u32,
    /// Per thread, the samples in which it held the GIL.
    held: HashMap<Pid, u32>,
    /// Per thread seen, its innermost frame at the latest sample that read it.
    functions: HashMap<Pid, Option<String>>,
}

impl GilWindow {
    pub fn record(&mut self, o: &Observation) {
        self.samples += 1;
        if let Some(h) = o.gil_holder {
            *self.held.entry(h).or_default() += 1;
            self.functions.entry(h).or_default();
        }
        for (tid, top) in &o.tops {
            self.functions.insert(*tid, top.clone());
        }
    }

    pub fn fail(&mut self) {
        self.failed += 1;
    }

    /// The interval's figures, sorted by TID; the window starts again empty.
    pub fn take(&mut self, rate_hz: u32) -> PythonSample {
        let w = std::mem::take(self);
        let mut threads: Vec<PythonThread> = w
            .functions
            .into_iter()
            .map(|(tid, function)| {
                let held = w.held.get(&tid).copied().unwrap_or(0);
                let gil_percent = if w.samples == 0 { 0.0 } else { held as f32 * 100.0 / w.samples as f32 };
                PythonThread { tid, gil_percent, function }
            })
            .collect();
        threads.sort_by_key(|t| t.tid);
        PythonSample { rate_hz, samples: w.samples, failed: w.failed, version: None, error: None, threads }
    }
}

/// What py-spy's traces of one sample say, as an `Observation`. Traces without an OS thread id
/// (CPython before 3.11) count as nobody's.
pub fn observe(traces: &[StackTrace]) -> Observation {
    let tid_of = |t: &StackTrace| t.os_thread_id.and_then(|id| Pid::try_from(id).ok());
    Observation {
        gil_holder: traces.iter().filter(|t| t.owns_gil).find_map(tid_of),
        tops: traces.iter().filter_map(|t| Some((tid_of(t)?, t.frames.first().map(frame_text)))).collect(),
    }
}

#[derive(Default)]
struct Shared {
    window: GilWindow,
    version: Option<String>,
    /// Why sampling stopped or has not started.
    error: Option<String>,
    /// Whether sampling has begun (py-spy found the interpreter).
    ready: bool,
    last_take: Option<Instant>,
}

/// The `tt-pyspy` sampling thread of the helper, for one Python process: samples it at `rate_hz` until dropped. While
/// nobody takes its figures (the display paused) it samples nothing.
pub struct SpySampler {
    shared: Arc<Mutex<Shared>>,
    rate_hz: u32,
    /// Dropping it wakes and ends the thread at once.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn lock(m: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // The thread holds the lock only to copy a few numbers in: a panic there leaves them sound.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SpySampler {
    /// Starts sampling `pid`. `idle_after`: with no `take` for that long, sampling pauses.
    pub fn spawn(pid: Pid, rate_hz: u32, idle_after: Duration) -> std::io::Result<SpySampler> {
        let rate_hz = rate_hz.clamp(1, MAX_RATE_HZ);
        let shared = Arc::new(Mutex::new(Shared { last_take: Some(Instant::now()), ..Shared::default() }));
        let (stop, stopped) = mpsc::channel();
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("tt-pyspy".into())
            .spawn(move || run(pid, rate_hz, idle_after, &s, &stopped))?;
        Ok(SpySampler { shared, rate_hz, stop: Some(stop), thread: Some(thread) })
    }

    /// The figures since the last call.
    pub fn take(&self) -> PythonSample {
        let mut s = lock(&self.shared);
        s.last_take = Some(Instant::now());
        let mut out = s.window.take(self.rate_hz);
        out.version = s.version.clone();
        out.error = match (&s.error, s.ready) {
            (Some(e), _) => Some(e.clone()),
            (None, false) => Some("py-spy is looking for the interpreter…".to_owned()),
            (None, true) => None,
        };
        out
    }

    /// Waits until py-spy has found the interpreter or given up (true: it samples).
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            {
                let s = lock(&self.shared);
                if s.ready || s.error.is_some() {
                    return s.ready;
                }
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for SpySampler {
    fn drop(&mut self) {
        self.stop = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(pid: Pid, rate_hz: u32, idle_after: Duration, shared: &Mutex<Shared>, stopped: &mpsc::Receiver<()>) {
    // Waits for `d`, or returns false when the owner is gone.
    let wait = |d: Duration| matches!(stopped.recv_timeout(d), Err(RecvTimeoutError::Timeout));
    let cfg = config(LockingStrategy::NonBlocking);
    let mut tries = 0;
    let mut spy = loop {
        match PythonSpy::new(pid, &cfg) {
            Ok(s) => break s,
            Err(e) => {
                tries += 1;
                if tries >= START_TRIES || !Path::new("/proc").join(pid.to_string()).exists() {
                    lock(shared).error = Some(format!("py-spy: {e:#}"));
                    return;
                }
                if !wait(START_RETRY) {
                    return;
                }
            }
        }
    };
    {
        let mut s = lock(shared);
        s.version = Some(spy.version.to_string());
    }
    let period = Duration::from_secs_f64(1.0 / f64::from(rate_hz));
    let (mut n, mut good, mut failed_in_a_row) = (0u32, 0u64, 0u32);
    let mut next = Instant::now();
    loop {
        if !wait(next.saturating_duration_since(Instant::now())) {
            return;
        }
        // No catch-up burst after a stall (a suspended machine, a busy core): the next one is
        // a period from now.
        next = (next + period).max(Instant::now());
        let idle = lock(shared).last_take.is_none_or(|t| t.elapsed() > idle_after);
        if idle {
            next = Instant::now() + idle_after.min(Duration::from_millis(250));
            continue;
        }
        let full = n % FULL_EVERY == 0;
        n = n.wrapping_add(1);
        spy.config.gil_only = !full;
        match spy.get_stack_traces() {
            Ok(traces) => {
                let o = observe(&traces);
                failed_in_a_row = 0;
                good += 1;
                let mut s = lock(shared);
                if full && !traces.is_empty() && traces.iter().all(|t| t.os_thread_id.is_none()) {
                    s.error = Some(NO_OS_IDS.to_owned());
                    return;
                }
                s.ready = true;
                s.window.record(&o);
            }
            Err(e) => {
                failed_in_a_row += 1;
                let gone = !Path::new("/proc").join(pid.to_string()).exists();
                let mut s = lock(shared);
                s.window.fail();
                if gone {
                    s.error = Some("the process exited".to_owned());
                    return;
                }
                if good == 0 && failed_in_a_row >= GIVE_UP_AFTER {
                    s.error = Some(format!("py-spy cannot read this interpreter: {e:#}"));
                    return;
                }
            }
        }
    }
}

/// `threadtop-pyspy`'s main: `stack PID TID` prints that thread's `PythonStack` as JSON and
/// exits; `gil PID RATE IDLE_MS` samples PID and answers `inspect::python::Request` lines on
/// stdin with one reply line each, until stdin closes or threadtop is gone.
pub fn helper_main(args: &[OsString]) -> ExitCode {
    let args: Vec<&str> = args.iter().map(|a| a.to_str().unwrap_or("")).collect();
    let pid = |s: &str| s.parse::<Pid>().ok().filter(|p| *p > 0);
    match args.as_slice() {
        ["stack", p, t] => {
            let (Some(p), Some(t)) = (pid(p), pid(t)) else { return usage() };
            let stack = stack_of(p, t);
            match serde_json::to_string(&stack) {
                Ok(json) => {
                    let mut out = std::io::stdout().lock();
                    if writeln!(out, "{json}").and_then(|()| out.flush()).is_err() {
                        return ExitCode::FAILURE;
                    }
                    ExitCode::SUCCESS
                }
                Err(_) => ExitCode::FAILURE,
            }
        }
        ["gil", p, rate, idle_ms] => {
            let (Some(p), Ok(rate), Ok(idle_ms)) = (pid(p), rate.parse::<u32>(), idle_ms.parse::<u64>()) else {
                return usage();
            };
            serve_gil(p, rate.clamp(1, MAX_RATE_HZ), Duration::from_millis(idle_ms))
        }
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "threadtop-pyspy: threadtop's py-spy helper, started by threadtop itself.\n\
         usage: threadtop-pyspy stack PID TID | threadtop-pyspy gil PID RATE_HZ IDLE_MS"
    );
    ExitCode::from(2)
}

fn serve_gil(pid: Pid, rate_hz: u32, idle_after: Duration) -> ExitCode {
    // The name every "nothing of threadtop is left" check looks for (tt-*).
    let _ = rustix::thread::set_name(c"tt-pyspy");
    // A closed stdin ends the helper when threadtop goes, but a pipe end inherited by a forked
    // child would keep it open: the parent changing (threadtop died, the helper was adopted)
    // ends it too.
    let parent = rustix::process::getppid();
    let watch = std::thread::Builder::new().name("tt-pyspy-watch".into()).stack_size(64 << 10).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            if rustix::process::getppid() != parent {
                std::process::exit(0);
            }
        }
    });
    if watch.is_err() {
        return ExitCode::FAILURE;
    }
    let Ok(sampler) = SpySampler::spawn(pid, rate_hz, idle_after) else {
        return ExitCode::FAILURE;
    };
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let reply = match helper_request(&line) {
            Some(super::python::Request::Take(seq)) => match serde_json::to_string(&sampler.take()) {
                Ok(json) => format!("{seq} {json}"),
                Err(_) => continue,
            },
            Some(super::python::Request::Ready(seq, timeout)) => format!("{seq} {}", sampler.wait_ready(timeout)),
            None => continue,
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(holder: Option<Pid>, tops: &[(Pid, &str)]) -> Observation {
        Observation { gil_holder: holder, tops: tops.iter().map(|&(t, f)| (t, Some(f.to_owned()))).collect() }
    }

    #[test]
    fn gil_percent_is_the_share_of_samples_each_thread_held_it() {
        let mut w = GilWindow::default();
        // A full sample, then holder-only samples: 11 held by 11, 6 by 12, 3 by nobody.
        w.record(&obs(
            Some(11),
            &[(10, "main (<string>:270)"), (11, "op_block (<string>:99)"), (12, "work (<string>:134)")],
        ));
        for _ in 0..10 {
            w.record(&obs(Some(11), &[(11, "op_block (<string>:100)")]));
        }
        for _ in 0..6 {
            w.record(&obs(Some(12), &[(12, "op_block (<string>:101)")]));
        }
        for _ in 0..3 {
            w.record(&obs(None, &[]));
        }
        w.fail();
        let s = w.take(100);
        assert_eq!((s.samples, s.failed, s.rate_hz), (20, 1, 100));
        let by = |tid| s.thread(tid).unwrap();
        assert_eq!(by(10).gil_percent, 0.0);
        assert_eq!(by(11).gil_percent, 55.0);
        assert_eq!(by(12).gil_percent, 30.0);
        let total: f32 = s.threads.iter().map(|t| t.gil_percent).sum();
        assert_eq!(total, 85.0, "the rest of the time nobody held it");
        // The latest read of each thread names its function.
        assert_eq!(by(10).function.as_deref(), Some("main (<string>:270)"));
        assert_eq!(by(11).function.as_deref(), Some("op_block (<string>:100)"));
        assert_eq!(by(12).function.as_deref(), Some("op_block (<string>:101)"));
        assert_eq!(s.threads.iter().map(|t| t.tid).collect::<Vec<_>>(), [10, 11, 12]);
    }

    #[test]
    fn each_interval_starts_afresh() {
        let mut w = GilWindow::default();
        w.record(&obs(Some(5), &[(5, "f (a.py:1)")]));
        assert_eq!(w.take(50).thread(5).unwrap().gil_percent, 100.0);
        let empty = w.take(50);
        assert_eq!((empty.samples, empty.threads.len()), (0, 0));
        w.record(&obs(None, &[(5, "g (a.py:2)"), (6, "h (a.py:3)")]));
        let s = w.take(50);
        assert_eq!(s.thread(5).unwrap().gil_percent, 0.0);
        assert_eq!(s.thread(5).unwrap().function.as_deref(), Some("g (a.py:2)"));
    }

    #[test]
    fn a_holder_seen_only_as_holder_is_listed_without_a_function() {
        let mut w = GilWindow::default();
        w.record(&Observation { gil_holder: Some(7), tops: Vec::new() });
        let s = w.take(100);
        assert_eq!(s.threads, [PythonThread { tid: 7, gil_percent: 100.0, function: None }]);
    }

    fn trace(tid: Option<u64>, owns_gil: bool, frames: &[(&str, &str, i32)]) -> StackTrace {
        StackTrace {
            pid: 1,
            thread_id: 0,
            thread_name: None,
            os_thread_id: tid,
            active: true,
            owns_gil,
            frames: frames
                .iter()
                .map(|&(name, file, line)| Frame {
                    name: name.into(),
                    filename: file.into(),
                    module: None,
                    short_filename: None,
                    line,
                    locals: None,
                    is_entry: false,
                    is_shim_entry: false,
                })
                .collect(),
            process_info: None,
        }
    }

    #[test]
    fn observe_takes_the_innermost_frame_and_the_gil_holder() {
        let traces = [
            trace(Some(20), false, &[("wait", "/usr/lib/python3.12/threading.py", 355), ("main", "/srv/app.py", 9)]),
            trace(Some(21), true, &[("spin", "/srv/app.py", 4), ("run", "/usr/lib/python3.12/threading.py", 1010)]),
            trace(Some(22), false, &[]),
            trace(None, false, &[("lost", "x.py", 1)]),
        ];
        let o = observe(&traces);
        assert_eq!(o.gil_holder, Some(21));
        assert_eq!(
            o.tops,
            [(20, Some("wait (threading.py:355)".into())), (21, Some("spin (app.py:4)".into())), (22, None)]
        );
        // A holder without an OS id (CPython < 3.11) is nobody's.
        assert_eq!(observe(&[trace(None, true, &[("f", "a.py", 1)])]).gil_holder, None);
    }

    #[test]
    fn pick_finds_the_thread_or_says_why_not() {
        let traces = vec![trace(Some(30), true, &[("spin", "/srv/app.py", 4), ("<module>", "/srv/app.py", 20)])];
        match pick(traces.clone(), 30, "3.12.1".into()) {
            PythonStack::Frames { version, owns_gil, frames } => {
                assert_eq!((version.as_str(), owns_gil), ("3.12.1", true));
                assert_eq!(frames[0], PyFrame { function: "spin".into(), file: "/srv/app.py".into(), line: 4 });
                assert_eq!(frames[1].function, "<module>");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pick(traces, 31, "3.12.1".into()), PythonStack::NoSuchThread { version: "3.12.1".into() });
        assert_eq!(pick(vec![trace(None, true, &[])], 31, "3.10.13".into()), PythonStack::Failed(NO_OS_IDS.to_owned()));
    }
}
