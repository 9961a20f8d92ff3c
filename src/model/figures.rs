//! What the memory, race, switch-cost, ipc and real-io demos measured, beyond ops and CPU time:
//! one type per kind, sent by the demo's worker on the report pipe as JSON (`figures ...`),
//! carried live in `LabEvent::Figures` and in the result (`demo KIND --json`: docs/JSON.md).
//! Every figure here was measured by the worker (smaps_rollup, getrusage, clocks, byte counts);
//! none comes from the catalogue. Plain data and the words the lab shows; imports nothing of ours.

use serde::{Deserialize, Serialize};

use super::Pid;

/// The figures of one of the five demos, under its kind's key in the JSON result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoFigures {
    Memory(MemoryFigures),
    Race(RaceFigures),
    SwitchCost(SwitchFigures),
    Ipc(IpcFigures),
    RealIo(RealIoFigures),
}

/// One process's memory, from `/proc/PID/smaps_rollup`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemUse {
    pub pid: Pid,
    /// `Rss`: every resident page it maps, shared or not.
    pub rss_bytes: u64,
    /// `Pss`: each resident page divided by the number of processes mapping it.
    pub pss_bytes: u64,
    /// `Private_Clean + Private_Dirty`: pages only it maps (what it would free on exit).
    pub uss_bytes: u64,
}

/// One step of the memory demo: the processes holding the buffer(s) then, and their sums.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemPhase {
    /// `threads`, `own`, `shared-read` or `shared-written`.
    pub phase: String,
    pub processes: Vec<MemUse>,
    pub rss_bytes: u64,
    pub pss_bytes: u64,
    pub uss_bytes: u64,
}

impl MemPhase {
    pub fn new(phase: &str, processes: Vec<MemUse>) -> MemPhase {
        let sum = |f: fn(&MemUse) -> u64| processes.iter().map(f).fold(0u64, u64::saturating_add);
        MemPhase {
            phase: phase.to_owned(),
            rss_bytes: sum(|m| m.rss_bytes),
            pss_bytes: sum(|m| m.pss_bytes),
            uss_bytes: sum(|m| m.uss_bytes),
            processes,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryFigures {
    /// B: the size of each buffer.
    pub buffer_bytes: u64,
    /// The worker itself before it allocated anything: what every process carries anyway.
    pub base: MemUse,
    /// The steps measured so far, in the order they ran.
    pub phases: Vec<MemPhase>,
}

/// One way of counting in the race demo.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RaceRun {
    /// `unsynchronised`, `unsynchronised-one-core`, `atomic` or `mutex`.
    pub method: String,
    /// Cores the threads were allowed on (their affinity).
    pub cores: u32,
    pub expected: u64,
    #[serde(rename = "final")]
    pub final_count: u64,
    pub lost: u64,
    /// Unsynchronised only: loads that found another value than the thread's own last store,
    /// i.e. times another thread got in between. Few on one core (only at a switch), where
    /// each loss throws away the other thread's increments since its load.
    pub interleavings: u64,
    pub seconds: f64,
    pub ns_per_increment: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RaceFigures {
    pub threads: u32,
    pub increments_per_thread: u64,
    pub runs: Vec<RaceRun>,
}

/// One ping-pong of the switch-cost demo.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SwitchRun {
    /// `threads` or `processes`.
    pub mode: String,
    /// 1: both sides pinned to the same core; 2: each pinned to its own.
    pub cores: u32,
    /// The two tasks' names (thread names, or process names), ping first.
    pub names: Vec<String>,
    pub round_trips: u64,
    pub seconds: f64,
    pub us_per_round_trip: f64,
    /// Both sides, from getrusage(RUSAGE_THREAD) around the loop.
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    pub switches_per_sec: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SwitchFigures {
    pub runs: Vec<SwitchRun>,
}

/// One transfer of the ipc demo.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IpcRun {
    /// `thread-channel`, `pipe` or `shared-ring`.
    pub channel: String,
    pub message_bytes: u64,
    pub messages: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Messages whose contents arrived wrong (a ring bug would show here).
    pub corrupt: u64,
    pub seconds: f64,
    pub mb_per_sec: f64,
    pub us_per_message: f64,
    /// The receiving process (pipe, shared-ring); none for the thread channel.
    pub receiver_pid: Option<Pid>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IpcFigures {
    pub runs: Vec<IpcRun>,
}

/// One way of doing real-io's work.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RealIoRun {
    /// `threads` (N at once) or `sequential` (one thread, one after the other).
    pub mode: String,
    pub threads: u32,
    /// Operations done: one is a write + fsync, then one request to the delayed server.
    pub ops: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: f64,
    /// The slowest fsync, which is what the disk made a thread wait.
    pub max_fsync_ms: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RealIoFigures {
    /// The server's delay before it answers each request.
    pub server_delay_ms: u64,
    pub write_bytes: u64,
    /// Where the (nameless) file lives.
    pub temp_dir: String,
    pub runs: Vec<RealIoRun>,
    /// Sequential wall time / threads' wall time, once both ran.
    pub ratio: Option<f64>,
}

/// "64.0M", "512K", "3.2G" of bytes.
pub fn fmt_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1}G", b / (1024.0 * 1024.0 * 1024.0))
    } else if b >= 1024.0 * 1024.0 {
        format!("{:.1}M", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.0}K", b / 1024.0)
    } else {
        format!("{b:.0}B")
    }
}

fn fmt_us(us: f64) -> String {
    if us >= 100.0 { format!("{us:.0}µs") } else { format!("{us:.1}µs") }
}

fn fmt_count(n: u64) -> String {
    if n >= 10_000_000 {
        format!("{:.0}M", n as f64 / 1e6)
    } else if n >= 10_000 {
        format!("{:.0}k", n as f64 / 1e3)
    } else {
        n.to_string()
    }
}

impl DemoFigures {
    /// What the lab's RESULT column says, longest first, then shorter ways to say it.
    pub fn summary(&self) -> Vec<String> {
        match self {
            DemoFigures::Memory(m) => memory_summary(m),
            DemoFigures::Race(r) => race_summary(r),
            DemoFigures::SwitchCost(s) => switch_summary(s),
            DemoFigures::Ipc(i) => ipc_summary(i),
            DemoFigures::RealIo(r) => real_io_summary(r),
        }
    }
}

fn memory_summary(m: &MemoryFigures) -> Vec<String> {
    let mut long = Vec::new();
    let mut short = Vec::new();
    for p in &m.phases {
        let n = p.processes.len();
        let first = p.processes.first().cloned().unwrap_or_default();
        match p.phase.as_str() {
            "threads" => {
                long.push(format!("threads: 1 process PSS {}", fmt_bytes(p.pss_bytes)));
                short.push(format!("thr {}", fmt_bytes(p.pss_bytes)));
            }
            "own" => {
                long.push(format!("own: {n} procs PSS Σ {}", fmt_bytes(p.pss_bytes)));
                short.push(format!("own {}", fmt_bytes(p.pss_bytes)));
            }
            "shared-read" => {
                long.push(format!(
                    "forked, read: RSS {} PSS {} each",
                    fmt_bytes(first.rss_bytes),
                    fmt_bytes(first.pss_bytes)
                ));
                short.push(format!("cow-r {}", fmt_bytes(p.pss_bytes)));
            }
            _ => {
                long.push(format!("written: PSS Σ {}", fmt_bytes(p.pss_bytes)));
                short.push(format!("cow-w {}", fmt_bytes(p.pss_bytes)));
            }
        }
    }
    if long.is_empty() {
        return vec![format!("allocating {} buffers", fmt_bytes(m.buffer_bytes))];
    }
    vec![long.join(" · "), short.join(" · ")]
}

fn race_summary(r: &RaceFigures) -> Vec<String> {
    let mut long = Vec::new();
    let mut short = Vec::new();
    for run in &r.runs {
        let (word, tiny) = match run.method.as_str() {
            "unsynchronised" => ("racy", "racy"),
            "unsynchronised-one-core" => ("racy on 1 core", "1core"),
            "atomic" => ("atomic", "atom"),
            _ => ("mutex", "mutex"),
        };
        long.push(format!("{word} lost {} ({:.1}ns/inc)", fmt_count(run.lost), run.ns_per_increment));
        short.push(format!("{tiny} -{}", fmt_count(run.lost)));
    }
    if long.is_empty() {
        return vec!["counting".to_owned()];
    }
    vec![long.join(" · "), short.join(" ")]
}

fn switch_summary(s: &SwitchFigures) -> Vec<String> {
    let mut long = Vec::new();
    let mut short = Vec::new();
    for run in &s.runs {
        let who = if run.mode == "threads" { "thr" } else { "proc" };
        long.push(format!(
            "{who} {} core{}: {}/trip",
            run.cores,
            if run.cores == 1 { "" } else { "s" },
            fmt_us(run.us_per_round_trip)
        ));
        short.push(format!("{who}{} {}", run.cores, fmt_us(run.us_per_round_trip)));
    }
    if long.is_empty() {
        return vec!["ping-pong".to_owned()];
    }
    vec![long.join(" · "), short.join(" ")]
}

fn ipc_summary(i: &IpcFigures) -> Vec<String> {
    let mut long = Vec::new();
    let mut short = Vec::new();
    for run in &i.runs {
        let who = match run.channel.as_str() {
            "thread-channel" => "chan",
            "pipe" => "pipe",
            _ => "shm",
        };
        let size = fmt_bytes(run.message_bytes);
        long.push(format!("{who} {size}: {:.0}MB/s {}", run.mb_per_sec, fmt_us(run.us_per_message)));
        short.push(format!("{who}{size} {:.0}", run.mb_per_sec));
    }
    if long.is_empty() {
        return vec!["sending".to_owned()];
    }
    vec![long.join(" · "), short.join(" ")]
}

fn real_io_summary(r: &RealIoFigures) -> Vec<String> {
    let mut long = Vec::new();
    for run in &r.runs {
        let who = if run.mode == "threads" { format!("{} threads", run.threads) } else { "1 thread".to_owned() };
        long.push(format!("{who} {:.2}s wall {:.2}s CPU", run.wall_seconds, run.cpu_seconds));
    }
    if long.is_empty() {
        return vec!["waiting".to_owned()];
    }
    let mut out = long.join(" · ");
    if let Some(ratio) = r.ratio {
        out.push_str(&format!(" · ×{ratio:.1}"));
        return vec![out, format!("sequential / threads ×{ratio:.1}")];
    }
    vec![out]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_go_under_their_kinds_key_and_read_back() {
        let f = DemoFigures::Race(RaceFigures {
            threads: 2,
            increments_per_thread: 10,
            runs: vec![RaceRun {
                method: "atomic".into(),
                cores: 2,
                expected: 20,
                final_count: 20,
                ..Default::default()
            }],
        });
        let text = serde_json::to_string(&f).unwrap();
        assert!(text.starts_with("{\"race\":{"), "{text}");
        assert!(text.contains("\"final\":20"), "{text}");
        assert_eq!(serde_json::from_str::<DemoFigures>(&text).unwrap(), f);
        let f = DemoFigures::RealIo(RealIoFigures::default());
        assert!(serde_json::to_string(&f).unwrap().starts_with("{\"real_io\":{"));
    }

    #[test]
    fn phase_sums_add_the_processes() {
        let p = MemPhase::new(
            "own",
            vec![
                MemUse { pid: 1, rss_bytes: 10, pss_bytes: 5, uss_bytes: 4 },
                MemUse { pid: 2, rss_bytes: 20, pss_bytes: 7, uss_bytes: 6 },
            ],
        );
        assert_eq!((p.rss_bytes, p.pss_bytes, p.uss_bytes), (30, 12, 10));
    }

    #[test]
    fn summaries_say_what_was_measured() {
        let r = RaceFigures {
            threads: 2,
            increments_per_thread: 1_000_000,
            runs: vec![RaceRun {
                method: "unsynchronised".into(),
                lost: 654_321,
                ns_per_increment: 2.5,
                ..Default::default()
            }],
        };
        let s = DemoFigures::Race(r).summary();
        assert_eq!(s[0], "racy lost 654k (2.5ns/inc)");
        assert_eq!(fmt_bytes(64 << 20), "64.0M");
        assert_eq!((fmt_bytes(64), fmt_bytes(64 << 10)), ("64B".to_owned(), "64K".to_owned()));
        assert_eq!(DemoFigures::Ipc(IpcFigures::default()).summary(), ["sending"]);
    }
}
