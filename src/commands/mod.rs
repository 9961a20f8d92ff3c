//! The headless modes, which print to stdout and exit: `snapshot`, `threads` and `info` here
//! (each samples through `collect` once, no terminal, no tokio), `demo` and `experiment` (one lab
//! run in the foreground, through `foreground`).
//!
//! May import lab, collect, model, cli, and of the TUI only `app::table` (columns, sorting) and
//! `ui::format` (figures, escaping), so that they print what the monitor shows: never runtime,
//! input, or the rest of app and ui.
//!
//! Text output escapes control characters in names and command lines (`^[` for ESC) so that a
//! process can't send escape sequences to the reader's terminal. A closed stdout pipe
//! (`threadtop snapshot | head -1`) ends quietly with success.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use crate::app::table::{Column, SortSpec, column_names, compare, display_command};
use crate::cli::Cli;
use crate::collect::model::{FocusSample, Pid, ProcessSample, Snapshot, ThreadDetail, TimeSplit};
use crate::collect::system::identity;
use crate::collect::{Sampler, SamplerConfig};
use crate::ui::format::{fmt_bytes, fmt_priority, fmt_time_plus, sanitize};

pub mod demo;
pub mod experiment;
mod experiment_report;
mod foreground;
pub mod record;
pub mod replay;
pub mod serve;

/// Two samples this far apart give `snapshot` a real CPU%.
const SNAPSHOT_GAP: Duration = Duration::from_millis(250);
const THREADS_GAP: Duration = Duration::from_millis(500);

/// Exit code for a usage error (as clap uses).
pub(crate) const USAGE: u8 = 2;

/// `threadtop snapshot`: the userland process table once. Kernel threads are left out, as the
/// monitor hides them by default. Global `-p`, `-u` and `-F` filter it, and `-s` sorts it when
/// `--sort` is not given.
pub fn snapshot(cli: &Cli, json: bool, sort: Option<&str>, limit: Option<usize>) -> ExitCode {
    let key = match sort.or(cli.sort.as_deref()) {
        None => Column::Cpu,
        Some(name) => match Column::parse(name) {
            Some(c) => c,
            None => {
                print_err(&format!("unknown sort column '{name}'; valid columns: {}", column_names()));
                return ExitCode::from(USAGE);
            }
        },
    };
    let mut sampler = Sampler::new(SamplerConfig {
        proc_root: proc_root(cli),
        pids: (!cli.pids.is_empty()).then(|| cli.pids.clone()),
        ..SamplerConfig::default()
    });
    sampler.sample();
    std::thread::sleep(SNAPSHOT_GAP);
    let snap = sampler.sample();

    let filter = cli.filter.as_deref().map(str::to_lowercase);
    let mut rows: Vec<&ProcessSample> = snap
        .processes
        .iter()
        .filter(|p| !p.kernel_thread)
        .filter(|p| cli.user.as_deref().is_none_or(|u| *p.user == *u))
        .filter(|p| {
            filter.as_deref().is_none_or(|f| p.name.to_lowercase().contains(f) || p.cmdline.to_lowercase().contains(f))
        })
        .collect();
    sort_processes(&mut rows, key);
    if let Some(n) = limit {
        rows.truncate(n);
    }
    let text = if json { processes_json(&rows) } else { processes_table(&rows) };
    write_stdout(&text)
}

/// `threadtop threads PID`: one process's threads with rates over `interval` (default 500 ms).
pub fn threads(cli: &Cli, pid: i32, json: bool, interval: Option<Duration>) -> ExitCode {
    let mut sampler = Sampler::new(SamplerConfig {
        proc_root: proc_root(cli),
        focus: Some(pid),
        pids: Some(vec![pid]),
        // The gap between the two samples: py-spy's sampler (a Python process) keeps sampling
        // for as long as it is, not taking it for a paused display.
        interval: interval.unwrap_or(THREADS_GAP),
        ..SamplerConfig::default()
    });
    // A Python process: py-spy finds the interpreter first, so that GIL% covers the whole interval.
    sampler.wait_python_ready(Duration::from_secs(2));
    let first = sampler.sample();
    if let Err(code) = check_focus(&first, pid, false) {
        return code;
    }
    std::thread::sleep(interval.unwrap_or(THREADS_GAP));
    let snap = sampler.sample();
    let focus = match check_focus(&snap, pid, true) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut threads: Vec<&ThreadDetail> = focus.threads.iter().collect();
    threads.sort_by_key(|t| t.thread.tid);
    let text = if json { threads_json(focus, &threads) } else { threads_table(focus, &threads) };
    write_stdout(&text)
}

/// `threadtop info`: what the machine is.
pub fn info(json: bool) -> ExitCode {
    let id = identity();
    let text = if json {
        #[derive(Serialize)]
        struct InfoJson<'a> {
            cpu_model: &'a str,
            physical_cores: Option<usize>,
            logical_cores: usize,
            os: &'a str,
            kernel: &'a str,
            arch: &'a str,
            memory_bytes: u64,
        }
        to_json(&InfoJson {
            cpu_model: &id.cpu_model,
            physical_cores: id.physical_cores,
            logical_cores: id.logical_cores,
            os: &id.os,
            kernel: &id.kernel,
            arch: &id.arch,
            memory_bytes: id.memory_bytes,
        })
    } else {
        let physical = id.physical_cores.map_or_else(|| "unknown".to_string(), |n| n.to_string());
        format!(
            "CPU:     {}\nCores:   {physical} physical, {} logical\nOS:      {}\nKernel:  {}\n\
             Arch:    {}\nMemory:  {} ({} bytes)\n",
            sanitize(&id.cpu_model),
            id.logical_cores,
            sanitize(&id.os),
            sanitize(&id.kernel),
            sanitize(&id.arch),
            fmt_bytes_long(id.memory_bytes),
            id.memory_bytes,
        )
    };
    write_stdout(&text)
}

/// The user `-u` names, as the name the process list shows: a name of the passwd database, or
/// a numeric uid that has an entry there (htop refuses unknown users too). A uid without an
/// entry is refused: the list would show it as a bare number that no filter expects.
pub fn resolve_user(arg: &str) -> Result<String, String> {
    // The same source as the USER column (`collect::users`), so the filter matches what is shown.
    // An unreadable passwd has no users: every `-u` is refused, and the message says which.
    let users: Vec<sysinfo::User> = sysinfo::Users::new_with_refreshed_list().map(Vec::from).unwrap_or_default();
    user_in(arg, users.iter().map(|u| (**u.id(), u.name()))).ok_or_else(|| format!("unknown user '{}'", sanitize(arg)))
}

/// The name of `arg` among `(uid, name)` entries: by name first, else by uid.
fn user_in<'a>(arg: &str, users: impl Iterator<Item = (u32, &'a str)> + Clone) -> Option<String> {
    if let Some((_, name)) = users.clone().find(|&(_, name)| name == arg) {
        return Some(name.to_owned());
    }
    let uid: u32 = arg.parse().ok()?;
    users.into_iter().find(|&(id, _)| id == uid).map(|(_, name)| name.to_owned())
}

pub(crate) fn proc_root(cli: &Cli) -> PathBuf {
    cli.proc_root.clone().unwrap_or_else(|| PathBuf::from("/proc"))
}

/// The focus of a sample if its process is alive and readable, else the message and exit code.
fn check_focus(snap: &Snapshot, pid: Pid, second: bool) -> Result<&FocusSample, ExitCode> {
    let Some(focus) = snap.focus.as_ref() else {
        print_err(&format!("no such process: {pid}"));
        return Err(ExitCode::FAILURE);
    };
    if !focus.alive {
        let msg = if second && focus.process.is_some() {
            format!("no such process: {pid} (it exited while being sampled)")
        } else {
            format!("no such process: {pid}")
        };
        print_err(&msg);
        return Err(ExitCode::FAILURE);
    }
    if let Some(e) = &focus.error {
        print_err(e);
        return Err(ExitCode::FAILURE);
    }
    Ok(focus)
}

/// Sorts like the monitor does: the column's natural direction, ties by ascending PID.
pub(crate) fn sort_processes(rows: &mut [&ProcessSample], column: Column) {
    let sort = SortSpec::by(column);
    rows.sort_by(|a, b| compare(a, b, sort));
}

fn processes_table(rows: &[&ProcessSample]) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 120);
    out.push_str("    PID USER       PRI  NI   VIRT    RES S  CPU%  MEM%  THR     TIME+ COMMAND\n");
    for p in rows {
        let _ = writeln!(
            out,
            "{:>7} {:<9} {:>4} {:>3} {:>6} {:>6} {} {:>5.1} {:>5.1} {:>4} {:>9} {}",
            p.pid,
            fit(&sanitize(&p.user), 9),
            fmt_priority(p.priority),
            p.nice,
            fmt_bytes(p.virt_bytes),
            fmt_bytes(p.rss_bytes),
            sanitize(&p.state.to_string()),
            p.cpu_percent,
            p.mem_percent,
            p.num_threads,
            fmt_time_plus(p.cpu_time_ms),
            sanitize(&display_command(p)),
        );
    }
    out
}

#[derive(Serialize)]
struct ProcessJson<'a> {
    pid: Pid,
    ppid: Pid,
    user: &'a str,
    state: String,
    cpu_percent: f64,
    mem_percent: f64,
    rss_bytes: u64,
    shared_bytes: u64,
    virt_bytes: u64,
    threads: u32,
    nice: i64,
    priority: i64,
    cpu_time_ms: u64,
    start_time: u64,
    name: &'a str,
    cmdline: &'a str,
}

pub(crate) fn processes_json(rows: &[&ProcessSample]) -> String {
    let items: Vec<ProcessJson<'_>> = rows
        .iter()
        .map(|p| ProcessJson {
            pid: p.pid,
            ppid: p.ppid,
            user: &p.user,
            state: p.state.to_string(),
            cpu_percent: round2(p.cpu_percent.into()),
            mem_percent: round2(p.mem_percent.into()),
            rss_bytes: p.rss_bytes,
            shared_bytes: p.shared_bytes,
            virt_bytes: p.virt_bytes,
            threads: p.num_threads,
            nice: p.nice,
            priority: p.priority,
            cpu_time_ms: p.cpu_time_ms,
            start_time: p.start_time,
            name: &p.name,
            cmdline: &p.cmdline,
        })
        .collect();
    to_json(&items)
}

fn threads_table(f: &FocusSample, threads: &[&ThreadDetail]) -> String {
    let mut out = String::with_capacity(256 + threads.len() * 100);
    if let Some(p) = &f.process {
        let _ = writeln!(
            out,
            "PID {}  {}  state {}  {} threads  RES {}  VIRT {} (shared by all threads)  {:.2} cores in use",
            p.pid,
            sanitize(&p.name),
            sanitize(&p.state.to_string()),
            p.num_threads,
            fmt_bytes(p.rss_bytes),
            fmt_bytes(p.virt_bytes),
            f.cores_in_use,
        );
        let _ = writeln!(out, "command: {}", sanitize(&display_command(p)));
    }
    if let Some((n, w)) = f.split_total(false) {
        let io = if f.delay_accounting { "I/O" } else { "I/O (sampled: sysctl kernel.task_delayacct=1 measures it)" };
        let p = |v: u64| w.percent(v);
        let _ = writeln!(
            out,
            "{n} threads: {:.0}% on CPU, {:.0}% waiting for a core, {:.0}% {io}, {:.0}% sleeping",
            p(w.on_cpu_ns),
            p(w.wait_ns),
            p(w.io_ns),
            p(w.sleep_ns),
        );
    }
    if f.waiting_denied {
        out.push_str("WAITING needs ptrace rights: run as root or on your own processes\n");
    }
    out.push_str("    TID NAME             S  CPU%     TIME+   P  VCSW/s NVCSW/s WAIT%  NI  PRI WAITING\n");
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
    for t in threads {
        let th = &t.thread;
        let _ = writeln!(
            out,
            "{}{:>6} {:<16} {} {:>5.1} {:>9} {:>3} {:>7} {:>7} {:>5} {:>3} {:>4} {}",
            if t.is_main { '*' } else { ' ' },
            th.tid,
            fit(&sanitize(&th.name), 16),
            sanitize(&th.state.to_string()),
            th.cpu_percent,
            fmt_time_plus(th.cpu_time_ms),
            th.last_cpu,
            opt(t.voluntary_per_sec),
            opt(t.nonvoluntary_per_sec),
            opt(t.wait_percent.map(f64::from)),
            th.nice,
            fmt_priority(th.priority),
            match &t.waiting {
                Some(w) => match &w.wchan {
                    Some(k) => format!("{} ({})", sanitize(&w.text), sanitize(k)),
                    None => sanitize(&w.text).into_owned(),
                },
                None => "-".into(),
            },
        );
    }
    out.push_str(
        "* main thread. CPU% is of one core; P: CPU it last ran on; VCSW/s: voluntary switches \
         (waits: I/O, sleep, locks); NVCSW/s: preemptions; WAIT%: runnable but waiting for a core; \
         WAITING: the system call it is blocked in (the kernel function it sleeps in).\n",
    );
    out
}

#[derive(Serialize)]
struct ThreadJson<'a> {
    tid: Pid,
    name: &'a str,
    state: String,
    cpu_percent: f64,
    cpu_time_ms: u64,
    last_cpu: i32,
    voluntary_ctxt_switches: Option<u64>,
    nonvoluntary_ctxt_switches: Option<u64>,
    voluntary_per_sec: Option<f64>,
    nonvoluntary_per_sec: Option<f64>,
    wait_percent: Option<f64>,
    nice: i64,
    priority: i64,
    is_main: bool,
    time_split: Option<SplitJson>,
    time_split_window: Option<SplitJson>,
    migrations: Option<u64>,
    migrations_per_sec: Option<f64>,
    waiting: Option<&'a str>,
    syscall: Option<&'a str>,
    syscall_nr: Option<u64>,
    syscall_fd: Option<u64>,
    syscall_fd_target: Option<&'a str>,
    wchan: Option<&'a str>,
    io_read_bytes_per_sec: Option<f64>,
    io_write_bytes_per_sec: Option<f64>,
    io_syscalls_per_sec: Option<f64>,
    io_disk_read_bytes_per_sec: Option<f64>,
    io_disk_write_bytes_per_sec: Option<f64>,
    /// Python processes only (py-spy); null elsewhere and for threads py-spy did not see.
    gil_percent: Option<f64>,
    python_function: Option<&'a str>,
}

/// A `TimeSplit`: ns that sum to `wall_ns`, and the same as percentages of it.
#[derive(Serialize)]
struct SplitJson {
    wall_ns: u64,
    on_cpu_ns: u64,
    waiting_for_core_ns: u64,
    io_ns: u64,
    sleeping_ns: u64,
    on_cpu_percent: f64,
    waiting_for_core_percent: f64,
    io_percent: f64,
    sleeping_percent: f64,
}

impl SplitJson {
    fn of(s: &TimeSplit) -> SplitJson {
        let pct = |v: u64| round2(s.percent(v).into());
        SplitJson {
            wall_ns: s.wall_ns,
            on_cpu_ns: s.on_cpu_ns,
            waiting_for_core_ns: s.wait_ns,
            io_ns: s.io_ns,
            sleeping_ns: s.sleep_ns,
            on_cpu_percent: pct(s.on_cpu_ns),
            waiting_for_core_percent: pct(s.wait_ns),
            io_percent: pct(s.io_ns),
            sleeping_percent: pct(s.sleep_ns),
        }
    }
}

#[derive(Serialize)]
struct PythonJson<'a> {
    version: Option<&'a str>,
    rate_hz: u32,
    samples: u32,
    failed: u32,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct ThreadsJson<'a> {
    pid: Pid,
    name: &'a str,
    cmdline: &'a str,
    io_time_source: &'static str,
    migrations_source: &'static str,
    waiting_denied: bool,
    time_split: Option<SplitJson>,
    time_split_window: Option<SplitJson>,
    threads: Vec<ThreadJson<'a>>,
    /// py-spy's sampling of a Python process; null for any other.
    python: Option<PythonJson<'a>>,
}

pub(crate) fn threads_json(f: &FocusSample, threads: &[&ThreadDetail]) -> String {
    let (name, cmdline) = f.process.as_ref().map_or(("", ""), |p| (&*p.name, &*p.cmdline));
    let opt = |v: Option<f64>| v.map(round2);
    let py_thread = |tid| f.python.as_ref().and_then(|p| p.thread(tid));
    to_json(&ThreadsJson {
        pid: f.pid,
        name,
        cmdline,
        io_time_source: if f.delay_accounting { "delayacct" } else { "sampled" },
        migrations_source: if f.migrations_exact { "sched" } else { "last_cpu" },
        waiting_denied: f.waiting_denied,
        time_split: f.split_total(false).map(|(_, s)| SplitJson::of(&s)),
        time_split_window: f.split_total(true).map(|(_, s)| SplitJson::of(&s)),
        threads: threads
            .iter()
            .map(|t| ThreadJson {
                tid: t.thread.tid,
                name: &t.thread.name,
                state: t.thread.state.to_string(),
                cpu_percent: round2(t.thread.cpu_percent.into()),
                cpu_time_ms: t.thread.cpu_time_ms,
                last_cpu: t.thread.last_cpu,
                voluntary_ctxt_switches: t.voluntary,
                nonvoluntary_ctxt_switches: t.nonvoluntary,
                voluntary_per_sec: t.voluntary_per_sec.map(round2),
                nonvoluntary_per_sec: t.nonvoluntary_per_sec.map(round2),
                wait_percent: t.wait_percent.map(|w| round2(w.into())),
                nice: t.thread.nice,
                priority: t.thread.priority,
                is_main: t.is_main,
                time_split: t.split.as_ref().map(SplitJson::of),
                time_split_window: t.split_window.as_ref().map(SplitJson::of),
                migrations: t.migrations,
                migrations_per_sec: opt(t.migrations_per_sec),
                waiting: t.waiting.as_ref().map(|w| w.text.as_str()),
                syscall: t.waiting.as_ref().and_then(|w| w.syscall),
                syscall_nr: t.waiting.as_ref().and_then(|w| w.syscall_nr),
                syscall_fd: t.waiting.as_ref().and_then(|w| w.fd),
                syscall_fd_target: t.waiting.as_ref().and_then(|w| w.fd_target.as_deref()),
                wchan: t.waiting.as_ref().and_then(|w| w.wchan.as_deref()),
                io_read_bytes_per_sec: opt(t.io.map(|i| i.read_bytes_per_sec)),
                io_write_bytes_per_sec: opt(t.io.map(|i| i.write_bytes_per_sec)),
                io_syscalls_per_sec: opt(t.io.map(|i| i.syscalls_per_sec)),
                io_disk_read_bytes_per_sec: opt(t.io.map(|i| i.disk_read_bytes_per_sec)),
                io_disk_write_bytes_per_sec: opt(t.io.map(|i| i.disk_write_bytes_per_sec)),
                gil_percent: py_thread(t.thread.tid).map(|p| round2(p.gil_percent.into())),
                python_function: py_thread(t.thread.tid).and_then(|p| p.function.as_deref()),
            })
            .collect(),
        python: f.python.as_ref().map(|p| PythonJson {
            version: p.version.as_deref(),
            rate_hz: p.rate_hz,
            samples: p.samples,
            failed: p.failed,
            error: p.error.as_deref(),
        }),
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn to_json<T: Serialize>(v: &T) -> String {
    // Serializing plain structs of numbers and strings to a String can't fail.
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".to_string());
    s.push('\n');
    s
}

/// Writes all of `bytes` to stdout, the one way every command prints (`print!` panics on a
/// write error). A reader that went away (EPIPE: `threadtop man | head -1`) is not an error: the
/// output was only for it, so the command ends quietly with success, as `cat` does. Rust
/// ignores SIGPIPE, so the closed pipe shows up here as an `io::Error`.
pub fn write_out(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `write_out` as an exit code; any other write error is reported.
pub fn write_stdout(text: impl AsRef<[u8]>) -> ExitCode {
    match write_out(text.as_ref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            print_err(&format!("cannot write output: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// eprintln! panics if stderr is closed; this doesn't.
pub(crate) fn print_err(msg: &str) {
    let _ = writeln!(io::stderr().lock(), "threadtop: {msg}");
}

/// At most `width` characters; a cut one ends in `+` (as htop does for user names).
fn fit(s: &str, width: usize) -> Cow<'_, str> {
    if s.chars().count() <= width {
        return Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('+');
    Cow::Owned(out)
}

fn fmt_bytes_long(bytes: u64) -> String {
    let gib = bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    if gib >= 1.0 { format!("{gib:.1} GiB") } else { format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn proc(pid: Pid, cpu: f32, rss: u64, user: &str, cmd: &str) -> ProcessSample {
        ProcessSample {
            pid,
            cpu_percent: cpu,
            rss_bytes: rss,
            virt_bytes: rss * 2,
            user: Arc::from(user),
            cmdline: Arc::from(cmd),
            name: cmd.into(),
            num_threads: pid as u32 % 5,
            cpu_time_ms: u64::from(pid as u32) * 10,
            state: 'S',
            priority: 20,
            ..ProcessSample::default()
        }
    }

    #[test]
    fn sorting_by_every_column_with_pid_tie_break() {
        let a = proc(3, 50.0, 100, "zed", "b");
        let b = proc(1, 50.0, 300, "amy", "c");
        let c = proc(2, 10.0, 200, "bob", "a");
        let rows = [&a, &b, &c];
        let order = |key| {
            let mut r = rows.to_vec();
            sort_processes(&mut r, key);
            r.iter().map(|p| p.pid).collect::<Vec<_>>()
        };
        assert_eq!(order(Column::Cpu), [1, 3, 2]);
        assert_eq!(order(Column::Mem), [1, 2, 3]);
        assert_eq!(order(Column::Res), [1, 2, 3]);
        assert_eq!(order(Column::Virt), [1, 2, 3]);
        assert_eq!(order(Column::Pid), [1, 2, 3]);
        assert_eq!(order(Column::User), [1, 2, 3]);
        assert_eq!(order(Column::Command), [2, 3, 1]);
        assert_eq!(order(Column::Time), [3, 2, 1]);
        assert_eq!(order(Column::Threads), [3, 2, 1]);
        assert_eq!(order(Column::State), [1, 2, 3]);
    }

    #[test]
    fn table_never_holds_raw_escapes() {
        let p = proc(7, 1.0, 4096, "u\x1b", "evil\x1b]0;title\x07 \x1b[2J");
        let t = processes_table(&[&p]);
        assert!(!t.contains('\x1b') && !t.contains('\x07'));
        assert!(t.contains("evil^[]0;title^G ^[[2J"));
    }

    #[test]
    fn users_by_name_or_by_uid() {
        let users = [(0, "root"), (1000, "alice"), (1001, "1000")];
        let find = |arg| user_in(arg, users.iter().copied());
        assert_eq!(find("alice").as_deref(), Some("alice"));
        assert_eq!(find("0").as_deref(), Some("root"));
        // A name that looks like a number is that name, as getpwnam finds it first.
        assert_eq!(find("1000").as_deref(), Some("1000"));
        assert_eq!(find("1001").as_deref(), Some("1000"));
        assert_eq!(find("bob"), None);
        assert_eq!(find("4000000000"), None);
        assert_eq!(find(""), None);
    }

    #[test]
    fn long_memory_units() {
        assert_eq!(fmt_bytes_long(24 << 30), "24.0 GiB");
        assert_eq!(fmt_bytes_long(512 << 20), "512 MiB");
    }

    #[test]
    fn fit_cuts_with_a_plus() {
        assert_eq!(fit("root", 9), "root");
        assert_eq!(fit("averylongusername", 9), "averylon+");
    }

    #[test]
    fn commands_import_the_lab_and_the_monitor_s_formats_only() {
        let allowed = ["commands", "lab", "collect", "model", "cli", "app::table", "ui::format", "history", "metrics"];
        let found = crate::lab::imports::foreign("src/commands", &allowed);
        assert!(found.is_empty(), "commands may not import these:\n{}", found.join("\n"));
    }

    #[test]
    fn json_has_exactly_the_keys() {
        let p = proc(1, 12.3456, 4096, "root", "init");
        let v: serde_json::Value = serde_json::from_str(&processes_json(&[&p])).unwrap();
        let obj = v[0].as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "cmdline",
                "cpu_percent",
                "cpu_time_ms",
                "mem_percent",
                "name",
                "nice",
                "pid",
                "ppid",
                "priority",
                "rss_bytes",
                "shared_bytes",
                "start_time",
                "state",
                "threads",
                "user",
                "virt_bytes"
            ]
        );
        assert_eq!(obj["state"], "S");
        assert_eq!(obj["cpu_percent"], 12.35);
    }
}
