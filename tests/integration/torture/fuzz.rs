//! Torture 9, fuzz: property tests (proptest) for the /proc parsers `parse_stat`,
//! `parse_statm`, `parse_status` and `parse_schedstat`: 150,000 generated cases in all (more with
//! `TORTURE_FUZZ_SCALE=N`, a multiplier). None may panic, and where a line can be built from
//! known fields it must parse back to exactly those fields: any comm bytes (`)`, `(`, spaces,
//! newlines, invalid UTF-8), any numbers in the kernel's ranges, the unused fields anything.
//! Each test prints how many cases it ran.

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use threadtop::collect::procfs::{
    SchedStat, Stat, Statm, Status, parse_schedstat, parse_stat, parse_statm, parse_status,
};

fn cases(n: u32) -> ProptestConfig {
    let scale = std::env::var("TORTURE_FUZZ_SCALE").ok().and_then(|v| v.parse::<u32>().ok()).unwrap_or(1).max(1);
    ProptestConfig { cases: n.saturating_mul(scale), failure_persistence: None, ..ProptestConfig::default() }
}

/// The fields threadtop reads from a stat line, owned.
#[derive(Clone, Debug)]
struct Fields {
    pid: i32,
    comm: Vec<u8>,
    state: u8,
    ppid: i32,
    flags: u32,
    utime: u64,
    stime: u64,
    priority: i64,
    nice: i64,
    num_threads: i64,
    starttime: u64,
    vsize: u64,
    rss_pages: u64,
    processor: i32,
    /// Every other field after comm (36 - 13 = 23 of them, then 15 more after processor).
    other: Vec<i64>,
    newline: bool,
}

fn fields() -> impl Strategy<Value = Fields> {
    (
        (any::<i32>(), vec(any::<u8>(), 0..64), prop::sample::select(b"RSDZTtXxKWPI".to_vec()), any::<i32>()),
        (any::<u32>(), any::<u64>(), any::<u64>(), any::<i64>(), any::<i64>(), any::<i64>()),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<i32>(), vec(any::<i64>(), 38), any::<bool>()),
    )
        .prop_map(|((pid, comm, state, ppid), (flags, utime, stime, priority, nice, num_threads), rest)| {
            let (starttime, vsize, rss_pages, processor, other, newline) = rest;
            Fields {
                pid,
                comm,
                state,
                ppid,
                flags,
                utime,
                stime,
                priority,
                nice,
                num_threads,
                starttime,
                vsize,
                rss_pages,
                processor,
                other,
                newline,
            }
        })
}

/// The line as the kernel lays it out: `pid (comm) state ppid pgrp ... processor ...`.
fn stat_line(f: &Fields) -> Vec<u8> {
    let o = |i: usize| f.other[i].to_string();
    // Fields 3.. after comm; index 0 is state (field 3).
    let mut after: Vec<String> = vec![
        (f.state as char).to_string(),
        f.ppid.to_string(),
        o(0), // pgrp
        o(1), // session
        o(2), // tty_nr
        o(3), // tpgid
        f.flags.to_string(),
        o(4), // minflt
        o(5), // cminflt
        o(6), // majflt
        o(7), // cmajflt
        f.utime.to_string(),
        f.stime.to_string(),
        o(8), // cutime
        o(9), // cstime
        f.priority.to_string(),
        f.nice.to_string(),
        f.num_threads.to_string(),
        o(10), // itrealvalue
        f.starttime.to_string(),
        f.vsize.to_string(),
        f.rss_pages.to_string(),
    ];
    // rsslim .. exit_signal (fields 25-38), then processor (39), then the rest (40-52).
    after.extend((11..25).map(o));
    after.push(f.processor.to_string());
    after.extend((25..38).map(o));
    let mut line = format!("{} (", f.pid).into_bytes();
    line.extend_from_slice(&f.comm);
    line.extend_from_slice(b") ");
    line.extend_from_slice(after.join(" ").as_bytes());
    if f.newline {
        line.push(b'\n');
    }
    line
}

/// Runs `test` on `n` (× `TORTURE_FUZZ_SCALE`) generated values; prints how many ran.
fn run<S: Strategy>(name: &str, n: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let count = AtomicU64::new(0);
    let mut runner = TestRunner::new(cases(n));
    let result = runner.run(&strategy, |v| {
        count.fetch_add(1, Ordering::Relaxed);
        test(v)
    });
    eprintln!("fuzz: {name}: {} cases", count.load(Ordering::Relaxed));
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// A small edit of a valid input: a byte changed, removed or inserted, or the tail cut.
#[derive(Clone, Debug)]
enum Edit {
    Set(usize, u8),
    Remove(usize),
    Insert(usize, u8),
    Truncate(usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    vec(
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
            any::<usize>().prop_map(Edit::Remove),
            (any::<usize>(), prop::sample::select(b" ()\n-0123456789xS".to_vec()))
                .prop_map(|(i, b)| Edit::Insert(i, b)),
            any::<usize>().prop_map(Edit::Truncate),
        ],
        1..6,
    )
}

fn apply(mut v: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = v.len();
        match *e {
            Edit::Set(i, b) if n > 0 => v[i % n] = b,
            Edit::Remove(i) if n > 0 => {
                v.remove(i % n);
            }
            Edit::Insert(i, b) => v.insert(i % (n + 1), b),
            Edit::Truncate(i) => v.truncate(i % (n + 1)),
            _ => {}
        }
    }
    v
}

#[test]
fn stat_round_trip() {
    run("parse_stat round trip", 40_000, fields(), |f| {
        let line = stat_line(&f);
        let st = parse_stat(&line);
        let want = Stat {
            pid: f.pid,
            comm: &f.comm,
            state: f.state,
            ppid: f.ppid,
            flags: f.flags,
            utime: f.utime,
            stime: f.stime,
            priority: f.priority,
            nice: f.nice,
            num_threads: f.num_threads,
            starttime: f.starttime,
            vsize: f.vsize,
            rss_pages: f.rss_pages,
            processor: f.processor,
        };
        prop_assert_eq!(st, Some(want), "line {:?}", String::from_utf8_lossy(&line));
        Ok(())
    });
}

#[test]
fn stat_survives_noise() {
    run("parse_stat on random bytes", 20_000, vec(any::<u8>(), 0..600), |bytes| {
        let _ = parse_stat(&bytes);
        Ok(())
    });
}

#[test]
fn stat_survives_edits() {
    run("parse_stat on edited lines", 20_000, (fields(), edits()), |(f, edits)| {
        let line = apply(stat_line(&f), &edits);
        if let Some(st) = parse_stat(&line) {
            // Whatever parses keeps comm inside the line and a letter for state.
            prop_assert!(st.state.is_ascii_alphabetic());
            prop_assert!(st.comm.len() < line.len());
        }
        Ok(())
    });
}

/// `status` lines that are not the three parsed ones, as the kernel writes them.
const OTHER_KEYS: &[&str] = &[
    "Umask",
    "State",
    "Tgid",
    "Ngid",
    "Pid",
    "PPid",
    "TracerPid",
    "Gid",
    "FDSize",
    "Groups",
    "NStgid",
    "NSpid",
    "VmPeak",
    "VmSize",
    "VmRSS",
    "Threads",
    "SigQ",
    "SigPnd",
    "CapEff",
    "Seccomp",
    "Cpus_allowed_list",
    "Mems_allowed_list",
];

fn status_text(name: &[u8], others: &[(usize, String)], uids: [u32; 4], vol: u64, nonvol: u64) -> Vec<u8> {
    // The kernel escapes a newline in Name as `\n` and a backslash as `\\`.
    let mut v = b"Name:\t".to_vec();
    for &b in name {
        match b {
            b'\n' => v.extend_from_slice(b"\\n"),
            b'\\' => v.extend_from_slice(b"\\\\"),
            b => v.push(b),
        }
    }
    v.push(b'\n');
    let (before, after) = others.split_at(others.len() / 2);
    for (k, val) in before {
        v.extend_from_slice(format!("{}:\t{val}\n", OTHER_KEYS[k % OTHER_KEYS.len()]).as_bytes());
    }
    v.extend_from_slice(format!("Uid:\t{}\t{}\t{}\t{}\n", uids[0], uids[1], uids[2], uids[3]).as_bytes());
    for (k, val) in after {
        v.extend_from_slice(format!("{}:\t{val}\n", OTHER_KEYS[k % OTHER_KEYS.len()]).as_bytes());
    }
    v.extend_from_slice(format!("voluntary_ctxt_switches:\t{vol}\nnonvoluntary_ctxt_switches:\t{nonvol}\n").as_bytes());
    v
}

#[test]
fn status_round_trip() {
    let strategy = (
        vec(any::<u8>(), 0..16),
        vec((any::<usize>(), "[ -~]{0,24}"), 0..12),
        any::<[u32; 4]>(),
        any::<u64>(),
        any::<u64>(),
    );
    run("parse_status round trip", 15_000, strategy, |(name, others, uids, vol, nonvol)| {
        let text = status_text(&name, &others, uids, vol, nonvol);
        let want =
            Status { uid: Some(uids[0]), voluntary_ctxt_switches: Some(vol), nonvoluntary_ctxt_switches: Some(nonvol) };
        prop_assert_eq!(parse_status(&text), Some(want));
        // Without the three lines there is nothing to report.
        let rest: Vec<u8> = text
            .split(|&b| b == b'\n')
            .filter(|l| {
                !l.starts_with(b"Uid:")
                    && !l.ends_with(format!("ctxt_switches:\t{vol}").as_bytes())
                    && !l.ends_with(format!("ctxt_switches:\t{nonvol}").as_bytes())
            })
            .flat_map(|l| l.iter().copied().chain([b'\n']))
            .collect();
        if !rest.windows(14).any(|w| w == b"ctxt_switches:") {
            prop_assert_eq!(parse_status(&rest), None);
        }
        Ok(())
    });
}

#[test]
fn status_survives_noise() {
    run("parse_status on random and edited bytes", 10_000, (vec(any::<u8>(), 0..800), edits()), |(bytes, edits)| {
        let _ = parse_status(&bytes);
        let edited = apply(status_text(b"x", &[], [1, 2, 3, 4], 5, 6), &edits);
        let _ = parse_status(&edited);
        Ok(())
    });
}

#[test]
fn schedstat_round_trip() {
    let strategy = (any::<u64>(), any::<u64>(), any::<u64>(), any::<bool>());
    run("parse_schedstat round trip", 10_000, strategy, |(run_ns, wait_ns, timeslices, nl)| {
        let text = format!("{run_ns} {wait_ns} {timeslices}{}", if nl { "\n" } else { "" });
        prop_assert_eq!(parse_schedstat(text.as_bytes()), Some(SchedStat { run_ns, wait_ns, timeslices }));
        Ok(())
    });
}

#[test]
fn schedstat_survives_noise() {
    run("parse_schedstat on random bytes", 10_000, vec(any::<u8>(), 0..100), |bytes| {
        if let Some(s) = parse_schedstat(&bytes) {
            // Only digits make numbers: the text holds the first one.
            let text = String::from_utf8_lossy(&bytes);
            prop_assert!(text.contains(&s.run_ns.to_string()));
        }
        Ok(())
    });
}

#[test]
fn statm_round_trip() {
    // The seven fields, and room for more a later kernel might add.
    let strategy = (any::<[u64; 7]>(), vec(any::<u64>(), 0..3), any::<bool>());
    run("parse_statm round trip", 10_000, strategy, |(f, extra, nl)| {
        let mut text = f.iter().chain(&extra).map(u64::to_string).collect::<Vec<_>>().join(" ");
        if nl {
            text.push('\n');
        }
        let want = Statm { size: f[0], resident: f[1], shared: f[2] };
        prop_assert_eq!(parse_statm(text.as_bytes()), Some(want), "{:?}", text);
        // Cut anywhere before the seventh field begins: refused, never a smaller number.
        let sixth_space = text.match_indices(' ').nth(5).map_or(0, |(i, _)| i);
        for cut in 0..=sixth_space {
            prop_assert_eq!(parse_statm(&text.as_bytes()[..cut]), None, "{:?}", &text[..cut]);
        }
        Ok(())
    });
}

#[test]
fn statm_survives_noise_and_edits() {
    let line = b"730 455 428 5 0 89 0\n".to_vec();
    run("parse_statm on random and edited bytes", 15_000, (vec(any::<u8>(), 0..80), edits()), |(bytes, edits)| {
        for input in [bytes, apply(line.clone(), &edits)] {
            if let Some(m) = parse_statm(&input) {
                // Only seven or more numbers parse, and the fields come from the text.
                let tokens = input.split(|&b| b == b' ' || b == b'\n').filter(|t| !t.is_empty()).count();
                prop_assert!(tokens >= 7, "{:?}", input);
                let text = String::from_utf8_lossy(&input);
                prop_assert!(text.contains(&m.resident.to_string()), "{:?} from {:?}", m, text);
            }
        }
        Ok(())
    });
}
