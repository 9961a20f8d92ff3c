//! What runs inside a demo child process: `threadtop __workload KIND --workers N --seconds S
//! [--index I] [--report-fd FD]`, as clap parses it into `WorkloadArgs` (which `cli` names; the
//! worker may not import `cli`). The process names itself `tt-...` before anything else, names
//! every thread it starts, does countable work until its deadline, a stop signal (TERM, INT,
//! HUP) or the loss of its parent, and reports its progress on the report pipe. It never
//! touches stdio: the supervisor points that at /dev/null.
//!
//! py-threads and py-procs exec a real python3 here instead (see `lab::python`), and the I/O
//! experiment's tasks run here as `__workload io-task` (see `IO_TASK`).
//!
//! A plain std process, without tokio. Imports only `model` of ours: never app, ui, input,
//! runtime, cli or commands.

use std::ffi::CString;
use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::MutexGuard;

use super::protocol::{EndCause, REPORT_FD, Report};
use crate::model::catalog;
use crate::model::demo::DemoKind;

/// Rounds of xorshift in one CPU operation: long enough that the per-op bookkeeping is noise,
/// short enough (well under a millisecond in a debug build) that a stop is noticed at once.
const CPU_OP_ROUNDS: u32 = 20_000;
/// The "little work" an I/O thread does per wake-up: a twentieth of a CPU operation.
const IO_OP_ROUNDS: u32 = 1_000;
/// How long an I/O thread waits per operation, as if for a disk or a network reply.
const IO_WAIT: Duration = Duration::from_millis(20);
/// How long a lock-thread keeps the lock per turn: CPython's default switch interval.
const LOCK_TURN: Duration = Duration::from_millis(5);
/// How often a demo process reports its figures.
const REPORT_EVERY: Duration = Duration::from_millis(250);
/// How often an otherwise idle main thread looks for a stop signal or a lost parent.
const POLL: Duration = Duration::from_millis(25);
/// Worker threads need little stack; this keeps VIRT honest for 256 threads.
const WORKER_STACK: usize = 256 << 10;

/// Set by the stop-signal handler and by the main thread when the demo ends; every worker
/// thread checks it between operations. (An `Arc` because signal-hook's handler holds one.)
pub(super) static STOP: LazyLock<Arc<AtomicBool>> = LazyLock::new(Arc::default);
/// Set only by the signal handler, so the end can be told apart from a deadline.
pub(super) static SIGNALLED: LazyLock<Arc<AtomicBool>> = LazyLock::new(Arc::default);

/// The lock lock-threads take turns on, as CPython threads do on the GIL.
static GIL: parking_lot::Mutex<()> = parking_lot::const_mutex(());

/// The first argument of an I/O experiment task: `__workload io-task --seconds S --index I`.
pub const IO_TASK: &str = "io-task";

/// The `__workload` arguments, as clap parses them (threadtop's command line names this
/// struct: `cli::Command::Workload`): `KIND --workers N --seconds S [--index I] [--report-fd FD]`
/// for a demo process, `io-task --seconds S --index I` for a task of the I/O experiment. They
/// are checked by the worker (`Options::check`): only it knows what each kind accepts.
#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct WorkloadArgs {
    /// A demo kind, or `io-task`
    pub kind: String,
    /// Threads or children of this one process
    #[arg(long)]
    pub workers: Option<u32>,
    /// How long it runs
    #[arg(long)]
    pub seconds: f64,
    /// Which of the demo's processes this is (cpu-procs has several)
    #[arg(long, default_value_t = 0)]
    pub index: u32,
    /// Where to write the reports (fd 3, which the supervisor set up)
    #[arg(long = "report-fd")]
    pub report_fd: Option<i32>,
}

impl WorkloadArgs {
    /// The arguments after `__workload` that clap parses back into `self`.
    pub(crate) fn to_args(&self) -> Vec<String> {
        let mut args = vec![self.kind.clone()];
        if let Some(workers) = self.workers {
            args.extend(["--workers".to_owned(), workers.to_string()]);
        }
        // f64's Display is the shortest text that parses back to the same value.
        args.extend(["--seconds".to_owned(), self.seconds.to_string(), "--index".to_owned(), self.index.to_string()]);
        if let Some(fd) = self.report_fd {
            args.extend(["--report-fd".to_owned(), fd.to_string()]);
        }
        args
    }
}

/// The `__workload` entry point (`main.rs` passes what clap parsed).
pub fn main(args: &WorkloadArgs) -> ExitCode {
    if args.kind == IO_TASK {
        return io_task(args);
    }
    let opts = match Options::check(args) {
        Ok(opts) => opts,
        Err(e) => {
            eprintln!("threadtop __workload: {e}");
            return ExitCode::from(2);
        }
    };
    // First thing, so that the process is never seen under threadtop's name.
    if let Ok(name) = CString::new(catalog::process_name(opts.kind, opts.index)) {
        let _ = rustix::thread::set_name(&name);
    }
    if opts.kind == DemoKind::Lifecycle {
        return super::lifecycle::run(opts.duration, opts.index, opts.report_fd);
    }
    if opts.kind == DemoKind::PyNogil && opts.index == 1 {
        return super::python::nogil_half(opts.workers, opts.duration, opts.report_fd);
    }
    if opts.kind.needs_python() {
        return exec_python(&opts);
    }
    install_stop_handlers();

    let mut run = Run {
        deadline: Instant::now() + opts.duration,
        parent: rustix::process::getppid(),
        out: Reporter::open(opts.report_fd),
        index: opts.index,
        last_cpu_ns: 0,
        last_ops: 0,
    };
    let outcome = match opts.kind {
        DemoKind::CpuThreads => run_threads(&mut run, &opts, spin),
        DemoKind::IoThreads => run_threads(&mut run, &opts, wait_then_work),
        DemoKind::LockThreads => run_threads(&mut run, &opts, compute_under_lock),
        DemoKind::CpuProcs => Ok(spin_on_main_thread(&mut run)),
        DemoKind::Zombie => keep_zombies(&mut run, opts.workers),
        DemoKind::SpawnCost => time_spawns(&mut run, opts.workers),
        // The issue-16 demos, one file each under lab/workloads/.
        DemoKind::Memory => super::workloads::memory::run(&mut run, opts.workers),
        DemoKind::Race => super::workloads::race::run(&mut run, opts.workers),
        DemoKind::SwitchCost => super::workloads::switch::run(&mut run),
        DemoKind::Ipc => super::workloads::ipc::run(&mut run),
        DemoKind::RealIo => super::workloads::real_io::run(&mut run, opts.workers),
        // Exec'd above; this is only reached if the exec came back, which it reports itself.
        DemoKind::PyThreads | DemoKind::PyProcs | DemoKind::PyAsyncio | DemoKind::PyHashThreads | DemoKind::PyNogil => {
            Err("python3 was not started".to_owned())
        }
        // Run above, like the Python kinds.
        DemoKind::Lifecycle => Err("the lifecycle walk did not start".to_owned()),
    };
    let outcome = match outcome {
        // A stop signal also ends the demo's children, whose loss the step then reports as an
        // error: the stop is the cause, and what was measured before it stands.
        Err(_) if SIGNALLED.load(Ordering::Relaxed) => Ok((run.last_ops, EndCause::Signal)),
        other => other,
    };
    match outcome {
        Ok((ops, cause)) => {
            let cpu_ns = run.cpu_ns();
            run.out.send(&Report::Done { index: run.index, ops, cpu_ns, cause });
            ExitCode::SUCCESS
        }
        Err(message) => {
            run.out.send(&Report::Error { index: run.index, message });
            ExitCode::FAILURE
        }
    }
}

/// py-threads, py-procs: becomes python3 running the embedded script, which speaks the same
/// report protocol on the same fd. Returns only when the exec failed, after reporting why.
fn exec_python(opts: &Options) -> ExitCode {
    let failure = match super::python::interpreter() {
        Ok(interpreter) => {
            // py-nogil's GIL half takes the first half of its time (`python::nogil_half`).
            let seconds = if opts.kind == DemoKind::PyNogil { opts.duration / 2 } else { opts.duration };
            let args =
                super::python::script_args(opts.kind, opts.workers, seconds.as_secs_f64(), opts.index, opts.report_fd);
            let e = super::python::exec_script(&interpreter, &args);
            format!("cannot run {}: {e}", interpreter.display())
        }
        Err(e) => e,
    };
    Reporter::open(opts.report_fd).send(&Report::Error { index: opts.index, message: failure });
    ExitCode::FAILURE
}

/// One task of the I/O experiment's process mode: names itself, waits, exits. Its parent (the
/// experiment) armed PR_SET_PDEATHSIG and pointed stdio at /dev/null; a stop signal's default
/// action ends it.
fn io_task(args: &WorkloadArgs) -> ExitCode {
    let wait = Duration::try_from_secs_f64(args.seconds).ok().filter(|wait| *wait <= catalog::MAX_DURATION);
    let (Some(wait), None, None) = (wait, args.workers, args.report_fd) else {
        eprintln!("threadtop __workload {IO_TASK}: expected --seconds S (at most 600) --index I only, got {args:?}");
        return ExitCode::from(2);
    };
    if let Ok(name) = CString::new(format!("tt-io-task-{}", args.index)) {
        let _ = rustix::thread::set_name(&name);
    }
    thread::sleep(wait);
    ExitCode::SUCCESS
}

/// The parsed `__workload` arguments.
#[derive(Debug, PartialEq)]
struct Options {
    kind: DemoKind,
    workers: u32,
    duration: Duration,
    index: u32,
    report_fd: Option<i32>,
}

impl Options {
    /// What clap parsed, checked against the demo's caps.
    fn check(args: &WorkloadArgs) -> Result<Options, String> {
        let kind = DemoKind::from_name(&args.kind).ok_or_else(|| format!("unknown kind '{}'", args.kind))?;
        let workers = args.workers.ok_or("missing --workers")?;
        if !catalog::workers_range(kind).contains(&workers) {
            return Err(format!("--workers {workers} is outside {:?}", catalog::workers_range(kind)));
        }
        let seconds = args.seconds;
        let duration = Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|d| !d.is_zero() && *d <= catalog::MAX_DURATION)
            .ok_or_else(|| format!("--seconds {seconds} is not in (0, 600]"))?;
        if let Some(fd) = args.report_fd
            && fd < REPORT_FD
        {
            return Err(format!("--report-fd {fd}: the report fd must not be stdio"));
        }
        Ok(Options { kind, workers, duration, index: args.index, report_fd: args.report_fd })
    }
}

/// TERM (the supervisor's stop, or a user's kill), INT and HUP end the demo cleanly, so that
/// its last figures are reported and the zombie demo reaps its children. A handler that cannot
/// be installed leaves the default action: the demo dies at once, which the supervisor, having
/// sent the signal, expects.
fn install_stop_handlers() {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SIGNALLED first: a worker that sees STOP must find the cause set.
        let _ = signal_hook::flag::register(signal, Arc::clone(&SIGNALLED));
        let _ = signal_hook::flag::register(signal, Arc::clone(&STOP));
    }
}

/// This process's CPU time (all its threads), in nanoseconds.
pub(super) fn process_cpu_ns() -> Option<u64> {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u64::try_from(ts.tv_nsec).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// The write end of the report pipe, if the supervisor gave one.
struct Reporter {
    out: Option<File>,
}

impl Reporter {
    fn open(fd: Option<i32>) -> Reporter {
        Reporter {
            // SAFETY: the supervisor passes --report-fd only after moving its pipe's write end
            // to that fd in pre_exec, and nothing else in this process uses or closes it.
            out: fd.map(|fd| unsafe { File::from_raw_fd(fd) }),
        }
    }

    /// Writes one line. False once the supervisor's end of the pipe is gone.
    fn send(&mut self, report: &Report) -> bool {
        let Some(out) = self.out.as_mut() else {
            return true;
        };
        let line = format!("{report}\n");
        if out.write_all(line.as_bytes()).is_ok() {
            return true;
        }
        self.out = None;
        false
    }
}

/// The state of the demo process's main thread.
pub(super) struct Run {
    pub(super) deadline: Instant,
    parent: Option<rustix::process::Pid>,
    out: Reporter,
    index: u32,
    last_cpu_ns: u64,
    /// The ops of the last progress report, for a demo whose work a stop cut short.
    last_ops: u64,
}

impl Run {
    /// Why the demo should end now, if it should.
    pub(super) fn end_cause(&self) -> Option<EndCause> {
        if SIGNALLED.load(Ordering::Relaxed) {
            return Some(EndCause::Signal);
        }
        // PDEATHSIG normally kills us first; this covers the window before it was armed.
        if rustix::process::getppid() != self.parent {
            return Some(EndCause::Orphan);
        }
        if Instant::now() >= self.deadline {
            return Some(EndCause::Deadline);
        }
        None
    }

    fn cpu_ns(&mut self) -> u64 {
        if let Some(ns) = process_cpu_ns() {
            self.last_cpu_ns = ns;
        }
        self.last_cpu_ns
    }

    /// Reports `ops` so far. False when the supervisor no longer listens.
    pub(super) fn progress(&mut self, ops: u64) -> bool {
        self.last_ops = ops;
        let cpu_ns = self.cpu_ns();
        self.out.send(&Report::Progress { index: self.index, ops, cpu_ns })
    }

    /// Reports what a step-by-step demo measured so far (all of it), then its progress.
    pub(super) fn figures(&mut self, figures: crate::model::figures::DemoFigures, ops: u64) -> bool {
        self.out.send(&Report::Figures(Box::new(figures))) && self.progress(ops)
    }

    /// Idles until `until` (or the deadline, if sooner), reporting `ops` on the usual beat.
    /// `Some(cause)` when the demo must end now instead.
    pub(super) fn hold(&mut self, until: Instant, ops: u64) -> Option<EndCause> {
        let until = until.min(self.deadline);
        let mut next_report = Instant::now();
        loop {
            if let Some(cause) = self.end_cause() {
                return Some(cause);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            if now >= next_report {
                if !self.progress(ops) {
                    return Some(EndCause::Orphan);
                }
                next_report = now + REPORT_EVERY;
            }
            let wake = next_report.min(until).min(now + POLL);
            thread::sleep(wake.saturating_duration_since(Instant::now()));
        }
    }
}

/// One operation's worth of arithmetic the optimizer cannot remove or shorten.
fn op_block(seed: u64, rounds: u32) -> u64 {
    let mut x = seed | 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x = black_box(x);
    }
    x
}

/// A per-thread op counter on its own cache line, so counting costs no cache-line ping-pong.
#[derive(Default)]
#[repr(align(64))]
struct Counter(AtomicU64);

fn spin(counter: &Counter, seed: u64) {
    let mut x = seed;
    let mut ops = 0u64;
    while !STOP.load(Ordering::Relaxed) {
        x = op_block(x, CPU_OP_ROUNDS);
        ops += 1;
        counter.0.store(ops, Ordering::Relaxed);
    }
    black_box(x);
}

fn wait_then_work(counter: &Counter, seed: u64) {
    let mut x = seed;
    let mut ops = 0u64;
    while !STOP.load(Ordering::Relaxed) {
        thread::sleep(IO_WAIT);
        if STOP.load(Ordering::Relaxed) {
            break;
        }
        x = op_block(x, IO_OP_ROUNDS);
        ops += 1;
        counter.0.store(ops, Ordering::Relaxed);
    }
    black_box(x);
}

fn compute_under_lock(counter: &Counter, seed: u64) {
    let mut x = seed;
    let mut ops = 0u64;
    while !STOP.load(Ordering::Relaxed) {
        let guard = GIL.lock();
        let turn_ends = Instant::now() + LOCK_TURN;
        while !STOP.load(Ordering::Relaxed) {
            x = op_block(x, CPU_OP_ROUNDS);
            ops += 1;
            counter.0.store(ops, Ordering::Relaxed);
            if Instant::now() >= turn_ends {
                break;
            }
        }
        // A plain unlock lets the releasing thread take the lock straight back; the fair
        // hand-off gives every waiting thread its turn, as CPython's GIL does.
        MutexGuard::unlock_fair(guard);
    }
    black_box(x);
}

/// Starts N named worker threads running `body`, reports while they work, and stops them.
fn run_threads(run: &mut Run, opts: &Options, body: fn(&Counter, u64)) -> Result<(u64, EndCause), String> {
    let counters: Arc<Vec<Counter>> = Arc::new((0..opts.workers).map(|_| Counter::default()).collect());
    let total = |c: &[Counter]| c.iter().map(|c| c.0.load(Ordering::Relaxed)).sum::<u64>();
    let mut handles = Vec::with_capacity(counters.len());
    for i in 0..opts.workers {
        let name = catalog::thread_name(opts.kind, i).unwrap_or_else(|| format!("worker-{i}"));
        let counters = Arc::clone(&counters);
        let spawned = thread::Builder::new().name(name.clone()).stack_size(WORKER_STACK).spawn(move || {
            if let Some(counter) = counters.get(i as usize) {
                body(counter, u64::from(i) + 1);
            }
        });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                STOP.store(true, Ordering::SeqCst);
                for h in handles {
                    let _ = h.join();
                }
                return Err(format!("cannot start thread {name}: {e}"));
            }
        }
    }
    let mut next_report = Instant::now();
    let cause = loop {
        if let Some(cause) = run.end_cause() {
            break cause;
        }
        let now = Instant::now();
        if now >= next_report {
            if !run.progress(total(&counters)) {
                break EndCause::Orphan;
            }
            next_report = now + REPORT_EVERY;
        }
        let wake = next_report.min(run.deadline).min(now + POLL);
        thread::sleep(wake.saturating_duration_since(Instant::now()));
    };
    STOP.store(true, Ordering::SeqCst);
    for h in handles {
        let _ = h.join();
    }
    Ok((total(&counters), cause))
}

/// cpu-procs: the process's only thread spins, checking the clock between operations.
fn spin_on_main_thread(run: &mut Run) -> (u64, EndCause) {
    let mut x = u64::from(run.index) + 1;
    let mut ops = 0u64;
    let mut next_report = Instant::now();
    let cause = loop {
        if SIGNALLED.load(Ordering::Relaxed) {
            break EndCause::Signal;
        }
        let now = Instant::now();
        if now >= run.deadline {
            break EndCause::Deadline;
        }
        if now >= next_report {
            if let Some(cause) = run.end_cause() {
                break cause;
            }
            if !run.progress(ops) {
                break EndCause::Orphan;
            }
            next_report = now + REPORT_EVERY;
        }
        x = op_block(x, CPU_OP_ROUNDS);
        ops += 1;
    };
    black_box(x);
    (ops, cause)
}

/// Idles on the main thread until the demo ends, reporting `ops` as it goes.
fn idle_until_end(run: &mut Run, ops: u64) -> EndCause {
    let mut next_report = Instant::now();
    loop {
        if let Some(cause) = run.end_cause() {
            return cause;
        }
        let now = Instant::now();
        if now >= next_report {
            if !run.progress(ops) {
                return EndCause::Orphan;
            }
            next_report = now + REPORT_EVERY;
        }
        let wake = next_report.min(run.deadline).min(now + POLL);
        thread::sleep(wake.saturating_duration_since(Instant::now()));
    }
}

/// zombie: forks N children that exit at once, leaves them unreaped until the end, then reaps.
fn keep_zombies(run: &mut Run, n: u32) -> Result<(u64, EndCause), String> {
    let child_name = CString::new(catalog::ZOMBIE_CHILD_NAME).map_err(|e| e.to_string())?;
    let mut children = Vec::new();
    let mut failure = None;
    for _ in 0..n {
        // SAFETY: this process has a single thread (none were started), and the child only
        // makes two raw system calls (prctl, exit), both async-signal-safe, on memory prepared
        // before the fork.
        match unsafe { libc::fork() } {
            0 => {
                let _ = rustix::thread::set_name(&child_name);
                // SAFETY: exits the forked child at once without running the parent's
                // destructors or atexit handlers, which belong to the parent.
                unsafe { libc::_exit(0) }
            }
            -1 => {
                failure = Some(format!("cannot fork a zombie child: {}", std::io::Error::last_os_error()));
                break;
            }
            pid => {
                children.push(pid);
                run.out.send(&Report::Child { index: run.index, pid });
            }
        }
    }
    let created = children.len() as u64;
    let cause = if failure.is_none() { idle_until_end(run, created) } else { EndCause::Deadline };
    for pid in children {
        if let Some(pid) = rustix::process::Pid::from_raw(pid) {
            let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
        }
    }
    match failure {
        Some(message) => Err(message),
        None => Ok((created, cause)),
    }
}

/// spawn-cost: K threads created and joined one at a time, then K processes forked and reaped
/// one at a time; reports the time each took in total.
fn time_spawns(run: &mut Run, k: u32) -> Result<(u64, EndCause), String> {
    let mut next_report = Instant::now() + REPORT_EVERY;
    let mut ops = 0u64;
    let mut cause = None;
    let mut check = |run: &mut Run, ops: u64| -> Option<EndCause> {
        if let Some(c) = run.end_cause() {
            return Some(c);
        }
        if Instant::now() >= next_report {
            next_report = Instant::now() + REPORT_EVERY;
            if !run.progress(ops) {
                return Some(EndCause::Orphan);
            }
        }
        None
    };

    let mut threads = 0u32;
    let started = Instant::now();
    for i in 0..k {
        if let Some(c) = check(run, ops) {
            cause = Some(c);
            break;
        }
        let handle = thread::Builder::new()
            .name(format!("spawn-{i}"))
            .spawn(move || black_box(i))
            .map_err(|e| format!("cannot start thread spawn-{i}: {e}"))?;
        let _ = handle.join();
        threads += 1;
        ops += 1;
    }
    let thread_time = started.elapsed();

    let mut processes = 0u32;
    let started = Instant::now();
    if cause.is_none() {
        for _ in 0..k {
            if let Some(c) = check(run, ops) {
                cause = Some(c);
                break;
            }
            // SAFETY: every spawn-i thread has been joined, so this process has one thread;
            // the child only calls _exit, which is async-signal-safe.
            match unsafe { libc::fork() } {
                // SAFETY: leaves the forked child at once, skipping the parent's destructors.
                0 => unsafe { libc::_exit(0) },
                -1 => {
                    return Err(format!("cannot fork: {}", std::io::Error::last_os_error()));
                }
                pid => {
                    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                        rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty())
                            .map_err(|e| format!("cannot reap child {pid:?}: {e}"))?;
                    }
                    processes += 1;
                    ops += 1;
                }
            }
        }
    }
    let process_time = if processes > 0 { started.elapsed() } else { Duration::ZERO };
    let as_ns = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    run.out.send(&Report::Spawn { threads, thread_ns: as_ns(thread_time), processes, process_ns: as_ns(process_time) });
    Ok((ops, cause.unwrap_or(EndCause::Deadline)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worker's own half of threadtop's command line, as clap parses it.
    #[derive(clap::Parser)]
    struct Line {
        #[command(flatten)]
        args: WorkloadArgs,
    }

    fn parse(s: &str) -> Result<Options, String> {
        let line = <Line as clap::Parser>::try_parse_from(std::iter::once("__workload").chain(s.split_whitespace()))
            .map_err(|e| e.to_string())?;
        Options::check(&line.args)
    }

    #[test]
    fn options_parse() {
        let o = parse("cpu-procs --workers 1 --seconds 2.5 --index 3 --report-fd 3").unwrap();
        assert_eq!(
            o,
            Options {
                kind: DemoKind::CpuProcs,
                workers: 1,
                duration: Duration::from_millis(2500),
                index: 3,
                report_fd: Some(3),
            }
        );
        let o = parse("zombie --seconds 1 --workers 2").unwrap();
        assert_eq!(o.report_fd, None);
        assert_eq!(o.index, 0);
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            "",
            "gpu-threads --workers 1 --seconds 1",
            "cpu-threads --seconds 1",
            "cpu-threads --workers 1",
            "cpu-threads --workers 0 --seconds 1",
            "cpu-threads --workers 257 --seconds 1",
            "cpu-procs --workers 65 --seconds 1",
            "cpu-threads --workers 1 --seconds 0",
            "cpu-threads --workers 1 --seconds 601",
            "cpu-threads --workers 1 --seconds nan",
            "cpu-threads --workers 1 --seconds -1",
            "cpu-threads --workers 1 --seconds 1 --report-fd 1",
            "cpu-threads --workers 1 --seconds 1 --colour blue",
            "cpu-threads --workers 1 --seconds",
            "cpu-threads --workers 1 --seconds 1 extra",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn what_the_supervisor_writes_parses_back() {
        for args in [
            WorkloadArgs {
                kind: "cpu-procs".to_owned(),
                workers: Some(1),
                seconds: 0.1 + 0.2,
                index: 7,
                report_fd: Some(REPORT_FD),
            },
            WorkloadArgs { kind: IO_TASK.to_owned(), workers: None, seconds: 1.0 / 3.0, index: 2, report_fd: None },
        ] {
            let line =
                <Line as clap::Parser>::try_parse_from(std::iter::once("__workload".to_owned()).chain(args.to_args()))
                    .unwrap();
            assert_eq!(line.args, args);
        }
    }

    #[test]
    fn process_cpu_time_counts_this_process() {
        let before = process_cpu_ns().unwrap();
        let spun = Instant::now();
        let mut x = 1;
        while spun.elapsed() < Duration::from_millis(50) {
            x = op_block(x, 1000);
        }
        black_box(x);
        let after = process_cpu_ns().unwrap();
        // 50 ms of wall clock spinning is at least some CPU time, even on a loaded machine.
        assert!(after > before, "{before} -> {after}");
        assert!(before > 0);
    }

    #[test]
    fn op_block_is_deterministic_work() {
        assert_eq!(op_block(1, 100), op_block(1, 100));
        assert_ne!(op_block(1, 100), op_block(1, 101));
        assert_ne!(op_block(1, 100), 1);
    }
}
