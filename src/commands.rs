//! Non-interactive modes: `snapshot`, `threads`, `info`. Each samples through `collect`, prints
//! once to stdout (text or JSON) and exits; no terminal, no tokio, no `app` or `ui`.
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

use crate::cli::Cli;
use crate::collect::model::{FocusSample, Pid, ProcessSample, Snapshot, ThreadDetail};
use crate::collect::system::identity;
use crate::collect::{Sampler, SamplerConfig};

/// Two samples this far apart give `snapshot` a real CPU%.
const SNAPSHOT_GAP: Duration = Duration::from_millis(250);
const THREADS_GAP: Duration = Duration::from_millis(500);

/// Exit code for a usage error (as clap uses).
const USAGE: u8 = 2;

/// `threadtop snapshot`: the userland process table once. Kernel threads are left out, as the
/// monitor hides them by default. Global `-p`, `-u` and `-F` filter it, and `-s` sorts it when
/// `--sort` is not given.
pub fn snapshot(cli: &Cli, json: bool, sort: Option<&str>, limit: Option<usize>) -> ExitCode {
    let key = match sort.or(cli.sort.as_deref()).map(SortKey::parse) {
        None => SortKey::Cpu,
        Some(Ok(k)) => k,
        Some(Err(msg)) => {
            print_err(&msg);
            return ExitCode::from(USAGE);
        }
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
        ..SamplerConfig::default()
    });
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
            escape_control(&id.cpu_model),
            id.logical_cores,
            escape_control(&id.os),
            escape_control(&id.kernel),
            escape_control(&id.arch),
            fmt_bytes_long(id.memory_bytes),
            id.memory_bytes,
        )
    };
    write_stdout(&text)
}

fn proc_root(cli: &Cli) -> PathBuf {
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

/// A column of the process table to sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Pid,
    User,
    Priority,
    Nice,
    Virt,
    Res,
    State,
    Cpu,
    Mem,
    Threads,
    Time,
    Command,
}

pub const SORT_COLUMNS: &str = "PID, USER, PRI, NI, VIRT, RES, S, CPU, MEM, THR, TIME, COMMAND";

impl SortKey {
    /// A column name as on the table's header, any case; `CPU%`, `MEM%` and `TIME+` too.
    pub fn parse(s: &str) -> Result<Self, String> {
        let key = match s.trim().to_ascii_uppercase().as_str() {
            "PID" => Self::Pid,
            "USER" => Self::User,
            "PRI" | "PRIORITY" => Self::Priority,
            "NI" | "NICE" => Self::Nice,
            "VIRT" => Self::Virt,
            "RES" | "RSS" => Self::Res,
            "S" | "STATE" => Self::State,
            "CPU" | "CPU%" => Self::Cpu,
            "MEM" | "MEM%" => Self::Mem,
            "THR" | "THREADS" => Self::Threads,
            "TIME" | "TIME+" => Self::Time,
            "COMMAND" | "CMD" => Self::Command,
            _ => {
                return Err(format!("unknown sort column '{s}'; valid columns: {SORT_COLUMNS}"));
            }
        };
        Ok(key)
    }

    /// Big numbers first for the amounts (as htop), A-Z and low PIDs first for the rest.
    pub fn descending(self) -> bool {
        matches!(self, Self::Virt | Self::Res | Self::Cpu | Self::Mem | Self::Threads | Self::Time)
    }
}

/// The text in the COMMAND column: the command line, or the name when there is none.
pub fn command_of(p: &ProcessSample) -> &str {
    if p.cmdline.is_empty() { &p.name } else { &p.cmdline }
}

/// Sorts by `key` in its natural direction; ties go to the lower PID so the order is stable.
pub fn sort_processes(rows: &mut [&ProcessSample], key: SortKey) {
    rows.sort_by(|a, b| {
        let ord = match key {
            SortKey::Pid => a.pid.cmp(&b.pid),
            SortKey::User => a.user.cmp(&b.user),
            SortKey::Priority => a.priority.cmp(&b.priority),
            SortKey::Nice => a.nice.cmp(&b.nice),
            SortKey::Virt => a.virt_bytes.cmp(&b.virt_bytes),
            SortKey::Res => a.rss_bytes.cmp(&b.rss_bytes),
            SortKey::State => a.state.cmp(&b.state),
            SortKey::Cpu => a.cpu_percent.total_cmp(&b.cpu_percent),
            SortKey::Mem => a.rss_bytes.cmp(&b.rss_bytes),
            SortKey::Threads => a.num_threads.cmp(&b.num_threads),
            SortKey::Time => a.cpu_time_ms.cmp(&b.cpu_time_ms),
            SortKey::Command => command_of(a).cmp(command_of(b)),
        };
        let ord = if key.descending() { ord.reverse() } else { ord };
        ord.then(a.pid.cmp(&b.pid))
    });
}

fn processes_table(rows: &[&ProcessSample]) -> String {
    let mut out = String::with_capacity(64 + rows.len() * 120);
    out.push_str("    PID USER       PRI  NI  VIRT   RES S  CPU%  MEM%  THR     TIME+ COMMAND\n");
    for p in rows {
        let _ = writeln!(
            out,
            "{:>7} {:<9} {:>4} {:>3} {:>5} {:>5} {} {:>5.1} {:>5.1} {:>4} {:>9} {}",
            p.pid,
            fit(&escape_control(&p.user), 9),
            fmt_priority(p.priority),
            p.nice,
            fmt_bytes(p.virt_bytes),
            fmt_bytes(p.rss_bytes),
            escape_control(&p.state.to_string()),
            p.cpu_percent,
            p.mem_percent,
            p.num_threads,
            fmt_cpu_time(p.cpu_time_ms),
            escape_control(command_of(p)),
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
    virt_bytes: u64,
    threads: u32,
    nice: i64,
    priority: i64,
    cpu_time_ms: u64,
    start_time: u64,
    name: &'a str,
    cmdline: &'a str,
}

fn processes_json(rows: &[&ProcessSample]) -> String {
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
            escape_control(&p.name),
            escape_control(&p.state.to_string()),
            p.num_threads,
            fmt_bytes(p.rss_bytes),
            fmt_bytes(p.virt_bytes),
            f.cores_in_use,
        );
        let _ = writeln!(out, "command: {}", escape_control(command_of(p)));
    }
    out.push_str("    TID NAME             S  CPU%     TIME+   P  VCSW/s NVCSW/s WAIT%  NI  PRI\n");
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
    for t in threads {
        let th = &t.thread;
        let _ = writeln!(
            out,
            "{}{:>6} {:<16} {} {:>5.1} {:>9} {:>3} {:>7} {:>7} {:>5} {:>3} {:>4}",
            if t.is_main { '*' } else { ' ' },
            th.tid,
            fit(&escape_control(&th.name), 16),
            escape_control(&th.state.to_string()),
            th.cpu_percent,
            fmt_cpu_time(th.cpu_time_ms),
            th.last_cpu,
            opt(t.voluntary_per_sec),
            opt(t.nonvoluntary_per_sec),
            opt(t.wait_percent.map(f64::from)),
            th.nice,
            fmt_priority(th.priority),
        );
    }
    out.push_str(
        "* main thread. CPU% is of one core; P: CPU it last ran on; VCSW/s: voluntary switches \
         (waits: I/O, sleep, locks); NVCSW/s: preemptions; WAIT%: runnable but waiting for a core.\n",
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
}

#[derive(Serialize)]
struct ThreadsJson<'a> {
    pid: Pid,
    name: &'a str,
    cmdline: &'a str,
    threads: Vec<ThreadJson<'a>>,
}

fn threads_json(f: &FocusSample, threads: &[&ThreadDetail]) -> String {
    let (name, cmdline) = f.process.as_ref().map_or(("", ""), |p| (p.name.as_str(), &*p.cmdline));
    to_json(&ThreadsJson {
        pid: f.pid,
        name,
        cmdline,
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
            })
            .collect(),
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

/// Writes all of `text`; a reader that went away (EPIPE) is not an error.
fn write_stdout(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            print_err(&format!("cannot write output: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// eprintln! panics if stderr is closed; this doesn't.
fn print_err(msg: &str) {
    let _ = writeln!(io::stderr().lock(), "threadtop: {msg}");
}

/// Makes control characters visible: C0 as caret notation (ESC is `^[`, newline `^J`), DEL as
/// `^?`, C1 (which some terminals also obey) as `\u{9b}`. Other text is unchanged.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\0'..='\x1f' => {
                out.push('^');
                out.push(char::from(c as u8 + 0x40));
            }
            '\x7f' => out.push_str("^?"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
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

/// The kernel's priority; -100 (the top real-time priority) shown as `RT`, as htop does.
pub fn fmt_priority(priority: i64) -> String {
    if priority <= -100 { "RT".to_string() } else { priority.to_string() }
}

/// Bytes in binary units, at most 5 characters: `512K`, `12.3M`, `640M`, `1.5G`.
pub fn fmt_bytes(bytes: u64) -> String {
    const K: f64 = 1024.0;
    if bytes == 0 {
        return "0".to_string();
    }
    let kib = bytes as f64 / K;
    if kib < K {
        return format!("{}K", kib.ceil() as u64);
    }
    let mut v = kib / K;
    for unit in ["M", "G", "T", "P"] {
        if v < 9.95 {
            return format!("{v:.1}{unit}");
        }
        if v < K - 0.5 {
            return format!("{v:.0}{unit}");
        }
        v /= K;
    }
    format!("{v:.0}E")
}

fn fmt_bytes_long(bytes: u64) -> String {
    let gib = bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    if gib >= 1.0 { format!("{gib:.1} GiB") } else { format!("{:.0} MiB", bytes as f64 / (1024.0 * 1024.0)) }
}

/// CPU time as htop's TIME+: `M:SS.hh`, or `HhMM:SS` from an hour on.
pub fn fmt_cpu_time(ms: u64) -> String {
    let centis = ms / 10;
    let secs = centis / 100;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 { format!("{h}h{m:02}:{s:02}") } else { format!("{m}:{s:02}.{:02}", centis % 100) }
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
            name: cmd.to_string(),
            num_threads: pid as u32 % 5,
            cpu_time_ms: u64::from(pid as u32) * 10,
            state: 'S',
            priority: 20,
            ..ProcessSample::default()
        }
    }

    #[test]
    fn sort_keys_parse_any_case() {
        for (s, k) in [
            ("pid", SortKey::Pid),
            ("Cpu", SortKey::Cpu),
            ("CPU%", SortKey::Cpu),
            ("mem", SortKey::Mem),
            ("TIME+", SortKey::Time),
            ("s", SortKey::State),
            ("thr", SortKey::Threads),
            ("command", SortKey::Command),
            ("NI", SortKey::Nice),
            ("pri", SortKey::Priority),
            ("virt", SortKey::Virt),
            ("res", SortKey::Res),
            ("user", SortKey::User),
        ] {
            assert_eq!(SortKey::parse(s), Ok(k), "{s}");
        }
        let e = SortKey::parse("bogus").unwrap_err();
        assert!(e.contains("bogus") && e.contains(SORT_COLUMNS));
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
        assert_eq!(order(SortKey::Cpu), [1, 3, 2]);
        assert_eq!(order(SortKey::Mem), [1, 2, 3]);
        assert_eq!(order(SortKey::Res), [1, 2, 3]);
        assert_eq!(order(SortKey::Virt), [1, 2, 3]);
        assert_eq!(order(SortKey::Pid), [1, 2, 3]);
        assert_eq!(order(SortKey::User), [1, 2, 3]);
        assert_eq!(order(SortKey::Command), [2, 3, 1]);
        assert_eq!(order(SortKey::Time), [3, 2, 1]);
        assert_eq!(order(SortKey::Threads), [3, 2, 1]);
        assert_eq!(order(SortKey::State), [1, 2, 3]);
        assert_eq!(order(SortKey::Nice), [1, 2, 3]);
        assert_eq!(order(SortKey::Priority), [1, 2, 3]);
    }

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(escape_control("plain name"), "plain name");
        assert!(matches!(escape_control("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_control("\x1b[31mred"), "^[[31mred");
        assert_eq!(escape_control("a\nb\tc\0"), "a^Jb^Ic^@");
        assert_eq!(escape_control("del\x7f"), "del^?");
        assert_eq!(escape_control("csi\u{9b}2J"), "csi\\u{9b}2J");
        assert_eq!(escape_control("naïve ✓"), "naïve ✓");
    }

    #[test]
    fn table_never_holds_raw_escapes() {
        let p = proc(7, 1.0, 4096, "u\x1b", "evil\x1b]0;title\x07 \x1b[2J");
        let t = processes_table(&[&p]);
        assert!(!t.contains('\x1b') && !t.contains('\x07'));
        assert!(t.contains("evil^[]0;title^G ^[[2J"));
    }

    #[test]
    fn human_units() {
        assert_eq!(fmt_bytes(0), "0");
        assert_eq!(fmt_bytes(1), "1K");
        assert_eq!(fmt_bytes(512 * 1024), "512K");
        assert_eq!(fmt_bytes(1024 * 1024), "1.0M");
        assert_eq!(fmt_bytes(12_900_000), "12M");
        assert_eq!(fmt_bytes(640 << 20), "640M");
        assert_eq!(fmt_bytes(1023 << 20), "1023M");
        assert_eq!(fmt_bytes((1023 << 20) + (600 << 10)), "1.0G");
        assert_eq!(fmt_bytes(3 << 29), "1.5G");
        assert_eq!(fmt_bytes(20 << 40), "20T");
        assert_eq!(fmt_bytes(u64::MAX), "16E");
        for shift in 0..64 {
            assert!(fmt_bytes(1 << shift).len() <= 5, "{}", fmt_bytes(1 << shift));
        }
        assert_eq!(fmt_bytes_long(24 << 30), "24.0 GiB");
    }

    #[test]
    fn cpu_time_like_htop() {
        assert_eq!(fmt_cpu_time(0), "0:00.00");
        assert_eq!(fmt_cpu_time(1234), "0:01.23");
        assert_eq!(fmt_cpu_time(61_500), "1:01.50");
        assert_eq!(fmt_cpu_time(3_600_000 + 2 * 60_000 + 3_000), "1h02:03");
        assert_eq!(fmt_priority(20), "20");
        assert_eq!(fmt_priority(-100), "RT");
        assert_eq!(fmt_priority(-51), "-51");
    }

    #[test]
    fn fit_cuts_with_a_plus() {
        assert_eq!(fit("root", 9), "root");
        assert_eq!(fit("averylongusername", 9), "averylon+");
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
