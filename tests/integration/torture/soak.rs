//! Torture 8, soak (not part of `cargo test`: run `scripts/soak.sh`). threadtop runs for
//! `SOAK_MINUTES` (default 30) at 100 ms refresh in a pseudo-terminal while the churn helper
//! forks and reaps processes (300/s) and threads, a demo of each kind is launched by keys in
//! turn (one every 30 s, 20 s each, one worker for the CPU ones), and the view cycles every
//! minute: process list, threads view of the churning process, all threads (`H`), tree. Its
//! RSS is recorded every `SOAK_SAMPLE_SECS` (default 60) into `SOAK_CSV` (default
//! `target/soak/rss.csv`), with the machine's task count beside it. RSS must not grow by more
//! than 2 MiB after the first 5 minutes (a sixth of the run if shorter): the growth is the
//! lowest RSS of the last 5 minutes (sixth) minus the RSS at 5 minutes. A leak raises that floor
//! for good; a burst of tasks elsewhere on the machine (another test's 20,000 threads while
//! threadtop shows every thread) raises the peak for a while, which is printed but not judged.
//! threadtop must also stay alive, quit cleanly and leave no demo behind.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::support::{
    Demos, HelperProc, Scratch, Tui, catalogue_row, churn_stats, env_secs, has_panic_text, lab_kinds, proc_state,
    status_number,
};

const T: Duration = Duration::from_secs(30);

struct Soak {
    tui: Tui,
    all_threads: bool,
    tree: bool,
    tuned: Vec<bool>,
    launched: u32,
    failed_launches: u32,
    /// The highest demo number of a spawn-cost result seen so far.
    last_spawn_cost: u32,
    tag: String,
}

/// The demo numbers N of `KIND #N finished: thread ...` results on screen.
fn finished_ids(screen: &str, kind: &str) -> Vec<u32> {
    let head = format!("{kind} #");
    screen
        .match_indices(&head)
        .filter_map(|(i, _)| {
            let rest = &screen[i + head.len()..];
            let (n, after) = rest.split_once(' ')?;
            after.starts_with("finished: thread").then(|| n.trim_end_matches(':').parse().ok())?
        })
        .collect()
}

impl Soak {
    /// Back to the plain process list.
    fn reset_view(&mut self) {
        self.tui.send(b"\x1b");
        self.tui.send(b"\x1b");
        if self.all_threads {
            self.tui.send(b"H");
            self.all_threads = false;
        }
        if self.tree {
            self.tui.send(b"t");
            self.tree = false;
        }
    }

    fn view(&mut self, phase: u32) {
        self.reset_view();
        match phase % 4 {
            1 => {
                self.tui.send(b"/");
                self.tui.send(self.tag.as_bytes());
                self.tui.send(b"\r");
                self.tui.send(b"\r");
            }
            2 => {
                self.tui.send(b"H");
                self.all_threads = true;
            }
            3 => {
                self.tui.send(b"t");
                self.tree = true;
            }
            _ => {}
        }
    }

    fn launch(&mut self, k: usize) {
        let kinds = lab_kinds();
        let (kind, shown) = (kinds[k].0.as_str(), kinds[k].1.as_str());
        let (all_threads, tree) = (self.all_threads, self.tree);
        self.reset_view();
        self.tui.send(b"d");
        self.tui.send(b"\x1b[H");
        for _ in 0..catalogue_row(kind) {
            self.tui.send(b"\x1b[B");
        }
        if !self.tuned[k] {
            // The lab keeps each entry's knobs: 20 s instead of 60, one worker for CPU hogs.
            for _ in 0..4 {
                self.tui.send(b"\x1b[D");
            }
            if matches!(kind, "cpu-threads" | "cpu-procs") {
                self.tui.send(b"-");
            }
            self.tuned[k] = true;
        }
        if !self.tui.wait_until(T, |s| s.contains(&format!("> {kind}"))) {
            self.failed_launches += 1;
            eprintln!("soak: the lab did not show {kind}:\n{}", self.tui.screen());
            self.tui.send(b"\x1b");
            return;
        }
        // spawn-cost runs once and can be over before a sample lists it (4 of 10 launches in a
        // soak on a quiet machine): then the status line says what it measured. Only this
        // launch's own result counts: a number above every spawn-cost result seen before.
        let before = finished_ids(&self.tui.screen(), kind).into_iter().max().unwrap_or(0).max(self.last_spawn_cost);
        self.tui.send(b"\r");
        // The lab stays on screen after a launch; the list selects the demo once back.
        self.tui.send(b"d");
        if self.tui.wait_until(T, |s| {
            self.tui.selected_row().is_some_and(|r| r.contains(shown))
                || (kind == "spawn-cost" && finished_ids(s, kind).into_iter().any(|n| n > before))
        }) {
            if kind == "spawn-cost" {
                self.last_spawn_cost = finished_ids(&self.tui.screen(), kind).into_iter().max().unwrap_or(before);
            }
            self.launched += 1;
        } else {
            self.failed_launches += 1;
            eprintln!("soak: {kind} not seen after launch:\n{}", self.tui.screen());
        }
        // Back to the view the cycle was in.
        if all_threads {
            self.tui.send(b"H");
            self.all_threads = true;
        }
        if tree {
            self.tui.send(b"t");
            self.tree = true;
        }
    }
}

/// Tasks (threads) on the whole machine: the total of /proc/loadavg's `running/total`.
fn system_tasks() -> u64 {
    let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    avg.split_whitespace().nth(3).and_then(|f| f.split('/').nth(1)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
#[ignore]
fn soak() {
    let minutes = env_secs("SOAK_MINUTES", 30.0).as_secs_f64();
    let duration = Duration::from_secs_f64(minutes * 60.0);
    let every = env_secs("SOAK_SAMPLE_SECS", 60.0);
    let warmup = Duration::from_secs(300).min(duration / 6);
    let csv_path = std::env::var("SOAK_CSV").unwrap_or_else(|_| "target/soak/rss.csv".into());
    if let Some(dir) = std::path::Path::new(&csv_path).parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut csv = std::fs::File::create(&csv_path).expect("create the CSV");
    writeln!(csv, "elapsed_s,rss_kib,threads,system_tasks,churn_spawned,demos_launched").unwrap();

    let tag = format!("soak-probe-{}", std::process::id());
    let scratch = Scratch::new("soak");
    let out = scratch.path("churn");
    let churn = HelperProc::spawn(
        "churn",
        &tag,
        &[("TORTURE_CHURN_RATE", "300"), ("THREADTOP_TORTURE_OUT", out.to_str().unwrap())],
    );
    let tui = Tui::start(&["--interval", "100ms"], &[], 160, 45);
    let demos = Demos::watch(tui.pid());
    tui.wait_for("COMMAND", T);
    let pid = tui.pid();
    let mut soak = Soak {
        tui,
        all_threads: false,
        tree: false,
        tuned: vec![false; lab_kinds().len()],
        launched: 0,
        failed_launches: 0,
        last_spawn_cost: 0,
        tag,
    };

    let start = Instant::now();
    let (mut next_sample, mut next_demo, mut next_view) = (start, start + Duration::from_secs(5), start);
    let (mut kind, mut phase) = (0usize, 0u32);
    let mut curve: Vec<(Duration, u64)> = Vec::new();
    loop {
        let now = Instant::now();
        let elapsed = now - start;
        if now >= next_sample || elapsed >= duration {
            let rss = status_number(pid, "VmRSS").expect("threadtop's VmRSS");
            let threads = status_number(pid, "Threads").unwrap_or(0);
            let churned = churn_stats(&out).map_or(0, |(spawned, ..)| spawned);
            let tasks = system_tasks();
            curve.push((elapsed, rss));
            let secs = elapsed.as_secs_f64();
            writeln!(csv, "{secs:.0},{rss},{threads},{tasks},{churned},{}", soak.launched).unwrap();
            csv.flush().unwrap();
            eprintln!(
                "soak: {:5.1} min RSS {rss} KiB, {threads} threads, {tasks} tasks on the machine, {} demos launched",
                secs / 60.0,
                soak.launched
            );
            next_sample += every;
        }
        if elapsed >= duration {
            break;
        }
        if now >= next_view {
            soak.view(phase);
            phase += 1;
            next_view += Duration::from_secs(60);
        }
        if now >= next_demo {
            soak.launch(kind);
            kind = (kind + 1) % lab_kinds().len();
            next_demo += Duration::from_secs(30);
        }
        let screen = soak.tui.screen();
        assert!(!has_panic_text(&screen), "panic on screen:\n{screen}");
        assert!(proc_state(pid).is_some_and(|s| s != 'Z'), "threadtop died at {elapsed:?}");
        std::thread::sleep(Duration::from_millis(250));
    }

    soak.reset_view();
    soak.tui.send(b"q");
    let st = soak.tui.wait_exit(T);
    assert!(st.success(), "{st:?}");
    assert!(soak.tui.terminal_restored());
    let left = demos.left_after(T);
    assert!(left.is_empty(), "demos left: {left:?}");

    let base = curve.iter().find(|(t, _)| *t >= warmup).map(|(_, r)| *r).unwrap_or(0);
    let after: Vec<u64> = curve.iter().filter(|(t, _)| *t >= warmup).map(|(_, r)| *r).collect();
    let peak_after = after.iter().copied().max().unwrap_or(base);
    let tail_from = duration.saturating_sub(warmup);
    let floor = curve.iter().filter(|(t, _)| *t >= tail_from).map(|(_, r)| *r).min().unwrap_or(base);
    let last = curve.last().map_or(0, |(_, r)| *r);
    let growth = floor.saturating_sub(base);
    eprintln!(
        "soak: {minutes} min, {} demos launched ({} failed launches); RSS {} KiB at start, {base} KiB at \
         {:.0} min, lowest of the last {:.0} min {floor} KiB, last {last} KiB, peak after {:.0} min {peak_after} \
         KiB: growth {growth} KiB; curve in {csv_path}",
        soak.launched,
        soak.failed_launches,
        curve.first().map_or(0, |(_, r)| *r),
        warmup.as_secs_f64() / 60.0,
        warmup.as_secs_f64() / 60.0,
        warmup.as_secs_f64() / 60.0,
    );
    assert!(growth <= 2048, "RSS grew by {growth} KiB after {:.0} min", warmup.as_secs_f64() / 60.0);
    assert_eq!(soak.failed_launches, 0, "every launch by keys worked");
    let (spawned, _, threads, took) = churn_stats(&out).unwrap_or_default();
    eprintln!(
        "soak: the churn helper forked {spawned} processes ({:.0}/s) and made {threads} threads",
        spawned as f64 / took.as_secs_f64().max(1.0)
    );
    drop(churn);
}
