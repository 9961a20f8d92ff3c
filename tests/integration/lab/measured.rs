//! memory, race, switch-cost, ipc and real-io (`threadtop demo KIND --json`), each checked
//! against /proc as this test reads it while the demo runs: smaps_rollup for memory, task
//! status context switches for switch-cost, task affinity for race, /proc/PID/io for ipc, task
//! states and open files for real-io. Timings are compared as orderings and ratios only.

use std::collections::BTreeMap;
use std::fs;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(60);
const MIB: f64 = 1024.0 * 1024.0;

/// One live task (a process's thread) as the probe sees it.
struct Task<'a> {
    pid: Pid,
    tid: Pid,
    comm: &'a str,
    name: String,
}

/// Runs `threadtop demo ARGS` to its end, calling `probe` on every live task of its family
/// about every 25 ms; checks exit 0, that the result's pids are the processes /proc showed,
/// and that none of them is left. The parsed JSON result.
fn watch(args: &[&str], mut probe: impl FnMut(&Task)) -> (Value, Observer) {
    let mut child = spawn_demo(args);
    let mut obs = Observer::new(child.id() as Pid);
    let end = Instant::now() + TIMEOUT;
    let status: ExitStatus = loop {
        obs.poll_family_only();
        for s in obs.seen.values() {
            let Ok(dir) = fs::read_dir(format!("/proc/{}/task", s.pid)) else { continue };
            for t in dir.flatten() {
                let Some(tid) = t.file_name().to_str().and_then(|n| n.parse().ok()) else { continue };
                let name = fs::read_to_string(t.path().join("comm")).unwrap_or_default().trim_end().to_owned();
                probe(&Task { pid: s.pid, tid, comm: &s.comm, name });
            }
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < end, "{args:?} did not end within {TIMEOUT:?}");
        std::thread::sleep(Duration::from_millis(25));
    };
    let (stdout, stderr) = output(child);
    assert!(status.success(), "{args:?}: {status}\n{stderr}");
    let json: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    assert_eq!(json["stopped_early"], false, "{json}");
    let pids: Vec<i64> = json["pids"].as_array().unwrap().iter().map(|p| p.as_i64().unwrap()).collect();
    assert!(!pids.is_empty());
    for s in obs.seen.values() {
        // The worker's children (forked, not reported as pids) are its business; the worker is
        // the result's.
        if s.ppid == obs.root {
            assert!(pids.contains(&i64::from(s.pid)), "{} ({}) not in the result's pids {pids:?}", s.comm, s.pid);
        }
    }
    let left = survivors_after(&identities(&obs), Duration::from_secs(2));
    assert!(left.is_empty(), "{args:?} left {left:?}");
    (json, obs)
}

fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| l.strip_prefix(name))?.split_whitespace().next()?.parse().ok()
}

/// (RSS, PSS, USS) in bytes.
type Mem = (u64, u64, u64);

/// (RSS, PSS, USS) in bytes from /proc/PID/smaps_rollup.
fn smaps(pid: Pid) -> Option<(u64, u64, u64)> {
    let t = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let uss = kib_field(&t, "Private_Clean:")? + kib_field(&t, "Private_Dirty:")?;
    Some((kib_field(&t, "Rss:")? * 1024, kib_field(&t, "Pss:")? * 1024, uss * 1024))
}

fn task_status(pid: Pid, tid: Pid) -> String {
    fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).unwrap_or_default()
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(':')).map(str::trim)
}

/// The middle reading of a stable step: transitions (a buffer being filled) fall to the ends.
fn median(mut v: Vec<(u64, u64, u64)>) -> (u64, u64, u64) {
    assert!(!v.is_empty());
    v.sort_by_key(|r| r.1);
    v[v.len() / 2]
}

fn near(what: &str, measured: f64, expected: f64, slack: f64) {
    eprintln!("{what}: {:.1} MiB, expected {:.1} ± {:.1}", measured / MIB, expected / MIB, slack / MIB);
    assert!(
        (measured - expected).abs() <= slack,
        "{what}: {:.1} MiB, expected {:.1} ± {:.1} MiB",
        measured / MIB,
        expected / MIB,
        slack / MIB
    );
}

#[test]
fn memory_threads_share_processes_own_and_fork_shares_until_written() {
    let _serial = serial();
    let n = 3u32;
    // Readings by (pid, comm): the comm tells the step (tt-mem-shr-I reads, tt-mem-cow-I wrote).
    let mut readings: BTreeMap<(Pid, String), Vec<Mem>> = BTreeMap::new();
    let mut mem_threads = 0usize;
    let (json, _) = watch(&["memory", "-n", "3", "--seconds", "8", "--json"], |t| {
        let holds_threads = t.comm == "tt-memory" && t.name.starts_with("mem-");
        if holds_threads {
            mem_threads += 1;
        }
        // One reading per process per look: on its main thread (or a mem- thread for the
        // threads step, labelled so).
        let label = if holds_threads { "threads".to_owned() } else { t.comm.to_owned() };
        if ((t.tid == t.pid && t.comm.starts_with("tt-mem-")) || (holds_threads && t.name == "mem-0"))
            && let Some(r) = smaps(t.pid)
        {
            readings.entry((t.pid, label)).or_default().push(r);
        }
    });
    let m = &json["memory"];
    let b = m["buffer_bytes"].as_u64().unwrap() as f64;
    assert_eq!(b, 64.0 * MIB);
    assert!(mem_threads > 0, "the threads mem-I were never seen");
    let of = |prefix: &str| -> Vec<(u64, u64, u64)> {
        readings.iter().filter(|((_, c), _)| c.starts_with(prefix)).map(|(_, v)| median(v.clone())).collect()
    };
    let nf = f64::from(n);

    // 1: one process of N threads holds one buffer: PSS about B (plus the worker's own pages).
    let threads = of("threads");
    assert_eq!(threads.len(), 1, "{readings:?}");
    near("threads: PSS of tt-memory", threads[0].1 as f64, b, b / 4.0);

    // 2: N processes with their own: each USS about B, PSS summed about N × B.
    let own = of("tt-mem-own-");
    assert_eq!(own.len(), n as usize, "{:?}", readings.keys());
    for r in &own {
        near("own: USS of one", r.2 as f64, b, b / 8.0);
    }
    near("own: PSS summed", own.iter().map(|r| r.1 as f64).sum(), nf * b, nf * b / 8.0);

    // 3: forked, only reading: RSS says B for each, PSS B/N, USS almost nothing.
    let read = of("tt-mem-shr-");
    assert_eq!(read.len(), n as usize, "{:?}", readings.keys());
    for r in &read {
        near("shared, read: RSS of one", r.0 as f64, b, b / 8.0);
        // 3 MiB: the worker's own pages shared among everyone add about 1 MiB; a parent that
        // kept its copy would make it B/(N+1), 5 MiB less at N = 3.
        near("shared, read: PSS of one", r.1 as f64, b / nf, 3.0 * MIB);
        assert!((r.2 as f64) < b / 8.0, "shared, read: USS {:.1} MiB, the pages are not its own", r.2 as f64 / MIB);
    }
    // 4: written: copy-on-write made them private, about N × B in all.
    let written = of("tt-mem-cow-");
    assert_eq!(written.len(), n as usize, "{:?}", readings.keys());
    for r in &written {
        near("written: USS of one", r.2 as f64, b, b / 8.0);
    }
    near("written: PSS summed", written.iter().map(|r| r.1 as f64).sum(), nf * b, nf * b / 8.0);

    // The demo's own figures say what /proc said.
    let phases = m["phases"].as_array().unwrap();
    let names: Vec<&str> = phases.iter().map(|p| p["phase"].as_str().unwrap()).collect();
    assert_eq!(names, ["threads", "own", "shared-read", "shared-written"]);
    for (phase, mine) in phases.iter().zip([&threads, &own, &read, &written]) {
        let reported = phase["pss_bytes"].as_u64().unwrap() as f64;
        let measured: f64 = mine.iter().map(|r| r.1 as f64).sum();
        near(&format!("{} reported vs /proc", phase["phase"]), reported, measured, measured * 0.05 + 4.0 * MIB);
    }
}

/// Runs race until its unsynchronised count comes out short (3 tries): the runs and the
/// affinities /proc showed for the race- threads.
fn race_run() -> (Value, Vec<String>) {
    let mut tries = Vec::new();
    for _ in 0..3 {
        let mut affinities = Vec::new();
        let (json, obs) = watch(&["race", "-n", "2", "--seconds", "8", "--json"], |t| {
            if t.comm == "tt-race"
                && t.name.starts_with("race-")
                && let Some(a) = status_field(&task_status(t.pid, t.tid), "Cpus_allowed_list")
                && !affinities.iter().any(|x| x == a)
            {
                affinities.push(a.to_owned());
            }
        });
        assert!(obs.seen.values().any(|s| s.comm == "tt-race"));
        let racy = &json["race"]["runs"][0];
        assert_eq!(racy["method"], "unsynchronised");
        if racy["final"].as_u64() < racy["expected"].as_u64() {
            return (json, affinities);
        }
        tries.push(json);
    }
    panic!(
        "three runs of 2 threads × 10M unsynchronised increments lost nothing: the threads never \
         overlapped (another load kept one off the CPU?) or the increments were made atomic: {tries:?}"
    );
}

#[test]
fn race_loses_updates_only_when_unsynchronised() {
    let _serial = serial();
    let (json, affinities) = race_run();
    let r = &json["race"];
    let m = r["increments_per_thread"].as_u64().unwrap();
    let runs = r["runs"].as_array().unwrap();
    let methods: Vec<&str> = runs.iter().map(|x| x["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["unsynchronised", "unsynchronised-one-core", "atomic", "mutex"]);
    for run in runs {
        eprintln!("race: {run}");
        assert_eq!(run["expected"].as_u64().unwrap(), 2 * m, "{run}");
        let (expected, got, lost) =
            (run["expected"].as_u64().unwrap(), run["final"].as_u64().unwrap(), run["lost"].as_u64().unwrap());
        // Lost updates only ever lose: a count above the expected one would be a broken counter.
        assert!(got <= expected && lost == expected - got, "{run}");
        assert!(run["ns_per_increment"].as_f64().unwrap() > 0.0, "{run}");
    }
    assert!(runs[0]["lost"].as_u64().unwrap() > 0);
    for synced in &runs[2..] {
        assert_eq!(synced["lost"], 0, "{synced}");
    }
    // The one-core run was pinned, as /proc showed: one of the threads' affinities is one CPU.
    assert_eq!(runs[1]["cores"], 1);
    let cpus = cores();
    eprintln!("race: affinities seen {affinities:?}");
    assert!(
        affinities.iter().any(|a| !a.contains(['-', ','])),
        "no race- thread was seen pinned to one CPU: {affinities:?}"
    );
    if cpus > 1 {
        assert!(
            affinities.iter().any(|a| a.contains(['-', ','])),
            "no race- thread seen on several CPUs: {affinities:?}"
        );
    }
}

#[test]
fn switch_cost_counts_one_switch_per_round_trip_per_side() {
    let _serial = serial();
    // The highest counts /proc showed for each task, by name: (voluntary, involuntary).
    let mut seen: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let (json, _) = watch(&["switch-cost", "--seconds", "6", "--json"], |t| {
        if !(t.name.starts_with("sw") || t.name.starts_with("tt-sw-")) {
            return;
        }
        let status = task_status(t.pid, t.tid);
        let num = |k| status_field(&status, k).and_then(|v| v.parse::<u64>().ok());
        if let (Some(v), Some(i)) = (num("voluntary_ctxt_switches"), num("nonvoluntary_ctxt_switches")) {
            let e = seen.entry(t.name.clone()).or_default();
            *e = (e.0.max(v), e.1.max(i));
        }
    });
    let runs = json["switch_cost"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), if cores() > 1 { 4 } else { 2 }, "{json}");
    for run in runs {
        let trips = run["round_trips"].as_u64().unwrap();
        assert!(trips >= 256, "{run}");
        assert!(run["us_per_round_trip"].as_f64().unwrap() > 0.0);
        for name in run["names"].as_array().unwrap() {
            let name = name.as_str().unwrap();
            let (v, i) = *seen.get(name).unwrap_or_else(|| panic!("{name} never seen in /proc: {seen:?}"));
            // Each round trip, each side must leave the CPU once so the other can answer: by
            // blocking in read (voluntary) or, on one core, by being preempted by the peer it
            // just woke (involuntary). Lower bound 0.9: a reply that is already there when a
            // side reads costs no switch (rare: the peer must run in between). Upper bound 1.3
            // plus 20: other work on the machine preempts a side now and then, and starting,
            // pinning and lingering cost a few switches of their own.
            let per_trip = (v + i) as f64 / trips as f64;
            eprintln!(
                "switch-cost {} {} cores, {name}: {trips} round trips, /proc {v} voluntary + {i} involuntary = {per_trip:.2} per trip",
                run["mode"], run["cores"]
            );
            assert!((v + i) as f64 >= 0.9 * trips as f64, "{name}: {v}+{i} switches for {trips} round trips");
            assert!((v + i) as f64 <= 1.3 * trips as f64 + 20.0, "{name}: {v}+{i} switches for {trips} round trips");
        }
        // The demo's own counts (getrusage around the loop) agree with /proc's.
        let names: Vec<&str> = run["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
        let proc_total: u64 = names.iter().map(|n| seen[*n].0 + seen[*n].1).sum();
        let reported = run["voluntary_switches"].as_u64().unwrap() + run["involuntary_switches"].as_u64().unwrap();
        assert!(
            reported <= proc_total && proc_total <= reported + 40,
            "reported {reported}, /proc {proc_total}: {run}"
        );
    }
}

#[test]
fn ipc_every_byte_arrives_and_only_the_pipe_goes_through_the_kernel() {
    let _serial = serial();
    // rchar of /proc/PID/io, highest seen, by receiver pid.
    let mut rchar: BTreeMap<Pid, u64> = BTreeMap::new();
    let (json, _) = watch(&["ipc", "--seconds", "6", "--json"], |t| {
        if t.tid == t.pid && (t.comm == "tt-ipc-pipe" || t.comm == "tt-ipc-ring") {
            let io = fs::read_to_string(format!("/proc/{}/io", t.pid)).unwrap_or_default();
            if let Some(v) = io.lines().find_map(|l| l.strip_prefix("rchar: ")).and_then(|v| v.trim().parse().ok()) {
                let e = rchar.entry(t.pid).or_default();
                *e = (*e).max(v);
            }
        }
    });
    let runs = json["ipc"]["runs"].as_array().unwrap();
    let plan: Vec<(&str, u64)> =
        runs.iter().map(|r| (r["channel"].as_str().unwrap(), r["message_bytes"].as_u64().unwrap())).collect();
    assert_eq!(
        plan,
        [
            ("thread-channel", 64),
            ("pipe", 64),
            ("shared-ring", 64),
            ("thread-channel", 65536),
            ("pipe", 65536),
            ("shared-ring", 65536)
        ]
    );
    for run in runs {
        eprintln!("ipc: {run}");
        let (sent, got) = (run["bytes_sent"].as_u64().unwrap(), run["bytes_received"].as_u64().unwrap());
        assert!(sent > 0);
        assert_eq!(got, sent, "{run}");
        assert_eq!(run["messages"].as_u64().unwrap() * run["message_bytes"].as_u64().unwrap(), sent);
        assert_eq!(run["corrupt"], 0, "{run}");
        assert!(run["mb_per_sec"].as_f64().unwrap() > 0.0 && run["us_per_message"].as_f64().unwrap() > 0.0, "{run}");
        match run["channel"].as_str().unwrap() {
            "thread-channel" => assert!(run["receiver_pid"].is_null()),
            channel => {
                let pid = run["receiver_pid"].as_i64().unwrap() as Pid;
                let read = *rchar.get(&pid).unwrap_or_else(|| panic!("receiver {pid} never seen: {rchar:?}"));
                if channel == "pipe" {
                    // Every byte went through read(2): the kernel copied it.
                    assert!(read >= got && read <= got + 4096, "pipe receiver read {read} bytes of {got}");
                } else {
                    assert!(read < 4096, "the ring's receiver read {read} bytes through the kernel");
                }
            }
        }
    }
    // The thread channel's small-message time is measured, not assumed to be the fastest.
    let chan = runs[0]["us_per_message"].as_f64().unwrap();
    assert!(chan.is_finite() && chan > 0.0);
}

fn tt_real_io_files() -> Vec<String> {
    fs::read_dir(std::env::temp_dir())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("tt-real-io"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn real_io_threads_wait_together_and_leave_no_file() {
    let _serial = serial();
    let n = 8u32;
    let before = tt_real_io_files();
    let mut states: BTreeMap<String, Vec<char>> = BTreeMap::new();
    let mut nameless = 0usize;
    let temp = std::env::temp_dir().display().to_string();
    let (json, _) = watch(&["real-io", "-n", "8", "--seconds", "4", "--json"], |t| {
        if t.comm != "tt-real-io" {
            return;
        }
        if t.name.starts_with("rio-") && t.name != "rio-server" && t.name != "rio-srv" {
            let stat = fs::read_to_string(format!("/proc/{}/task/{}/stat", t.pid, t.tid)).unwrap_or_default();
            if let Some(state) = stat.rfind(')').and_then(|at| stat[at + 1..].trim_start().chars().next()) {
                states.entry(t.name.clone()).or_default().push(state);
            }
        }
        if t.tid == t.pid {
            for fd in fs::read_dir(format!("/proc/{}/fd", t.pid)).into_iter().flatten().flatten() {
                let link = fs::read_link(fd.path()).map(|l| l.display().to_string()).unwrap_or_default();
                if link.starts_with(&temp) && link.ends_with("(deleted)") {
                    nameless += 1;
                }
            }
        }
    });
    let r = &json["real_io"];
    let runs = r["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{json}");
    let (together, alone) = (&runs[0], &runs[1]);
    eprintln!("real-io: {together}\n         {alone}");
    assert_eq!((together["mode"].as_str(), alone["mode"].as_str()), (Some("threads"), Some("sequential")));
    assert_eq!(together["ops"], alone["ops"]);
    let (tw, sw) = (together["wall_seconds"].as_f64().unwrap(), alone["wall_seconds"].as_f64().unwrap());
    // N waits one after the other against N at once: at least half of N times as long.
    assert!(sw >= f64::from(n) / 2.0 * tw, "sequential {sw:.3} s vs threads {tw:.3} s");
    assert!((r["ratio"].as_f64().unwrap() - sw / tw).abs() < 1e-9);
    for run in runs {
        // Waiting costs no CPU: well under a fifth of a core over the run.
        let (cpu, wall) = (run["cpu_seconds"].as_f64().unwrap(), run["wall_seconds"].as_f64().unwrap());
        assert!(cpu < 0.2 * wall, "{run}");
    }
    // The workers were seen waiting, in S (the socket) or D (fsync), far more than running.
    for i in 0..n {
        let name = format!("rio-{i}");
        let s = states.get(&name).unwrap_or_else(|| panic!("{name} never seen: {states:?}"));
        assert!(s.iter().any(|c| matches!(c, 'S' | 'D')), "{name} never waiting: {s:?}");
    }
    let all: Vec<char> = states.values().flatten().copied().collect();
    let running = all.iter().filter(|c| **c == 'R').count();
    eprintln!("real-io: {} samples of rio- threads, {running} in R", all.len());
    assert!(running * 4 < all.len(), "{running} of {} samples running: {states:?}", all.len());
    // The files were open without a name in the temp dir, and no name is left.
    assert!(nameless > 0, "no deleted file under {temp} seen open");
    assert_eq!(tt_real_io_files(), before);
}
