//! Experiment results for people: tables and ASCII bars, as printed by `threadtop experiment`
//! and `threadtop experiment show`. Pure: a result in, text out. Imports only `model` of ours.

use std::fmt::Write as _;

use crate::model::experiment::{
    CompareResult, ExperimentResult, IoResult, Machine, PythonResult, PythonRun, ScalingResult,
};

/// Width of the longest ASCII bar.
const BAR: usize = 40;

pub fn render(result: &ExperimentResult) -> String {
    match result {
        ExperimentResult::Scaling(r) => scaling(r),
        ExperimentResult::Io(r) => io(r),
        ExperimentResult::Python(r) => python(r),
        ExperimentResult::Compare(r) => compare(r),
    }
}

fn bar(value: f64, max: f64, width: usize) -> String {
    if !(max.is_finite() && max > 0.0 && value.is_finite() && value > 0.0) {
        return String::new();
    }
    let cells = ((value / max).min(1.0) * width as f64).round() as usize;
    "█".repeat(cells.max(1))
}

/// "measured 2026-05-09T04:30:00Z on Intel Xeon (2 cores), kernel 6.8.0, threadtop 0.1.0", as
/// much of it as is known.
fn measured(out: &mut String, started_at: &str, machine: Option<&Machine>) {
    let mut line = String::new();
    if !started_at.is_empty() {
        let _ = write!(line, "measured {started_at}");
    }
    if let Some(m) = machine {
        let on = format!(
            "on {} ({} cores), kernel {}, threadtop {}",
            m.cpu_model, m.logical_cores, m.kernel, m.threadtop_version
        );
        line = if line.is_empty() { format!("measured {on}") } else { format!("{line} {on}") };
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{line}");
    }
}

fn cancelled_note(cancelled: bool) -> &'static str {
    if cancelled { " (cancelled: only the steps completed are shown)" } else { "" }
}

pub fn scaling(r: &ScalingResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scaling on {} logical cores: each run {:.2} s, {} run(s) per point, {:.0} s in all{}",
        r.logical_cores,
        r.step_seconds,
        r.repeats,
        r.total_seconds,
        cancelled_note(r.cancelled)
    );
    measured(&mut out, &r.started_at, r.machine.as_deref());
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<13} {:>3} {:>10} {:>10} {:>10} {:>6} {:>7} {:>5} {:>6} {:>6}",
        "KIND", "N", "OPS/S", "MIN", "MAX", "SPREAD", "SPEEDUP", "CORES", "WALL s", "OTHERS"
    );
    for s in &r.steps {
        let speedup = r.speedup(&s.kind, s.workers).map_or_else(|| "-".to_owned(), |x| format!("×{x:.2}"));
        let _ = writeln!(
            out,
            "{:<13} {:>3} {:>10.0} {:>10.0} {:>10.0} {:>5.0}% {:>7} {:>5.2} {:>6.2} {:>6.2}",
            s.kind,
            s.workers,
            s.ops_per_sec_median,
            s.ops_per_sec_min,
            s.ops_per_sec_max,
            s.spread() * 100.0,
            speedup,
            s.cores_used,
            s.wall_seconds,
            s.other_cores
        );
    }
    let _ = writeln!(
        out,
        "OPS/S is the median over the runs, MIN and MAX the extremes; SPREAD = (MAX - MIN) / median; \
         SPEEDUP against 1 worker;\nCORES = CPU time / wall time; OTHERS = cores the rest of the machine \
         used meanwhile."
    );
    if r.steps.is_empty() {
        return out;
    }

    // The ASCII summary: one bar per point, all on one scale so the kinds compare.
    let max = r.steps.iter().map(|s| s.ops_per_sec_median).fold(0.0, f64::max);
    let _ = writeln!(out, "\nThroughput (ops/s, median), all on one scale:");
    for kind in r.kinds() {
        let _ = writeln!(out, "{kind}");
        for s in r.steps.iter().filter(|s| s.kind == kind) {
            let mark = if s.workers == r.logical_cores { "  ← the core count" } else { "" };
            let speedup = r.speedup(kind, s.workers).map_or_else(String::new, |x| format!("×{x:.2}"));
            let _ = writeln!(
                out,
                "  {:>3} {:<BAR$} {:>9.0} {:>6}{mark}",
                s.workers,
                bar(s.ops_per_sec_median, max, BAR),
                s.ops_per_sec_median,
                speedup
            );
        }
    }
    let _ = writeln!(out);
    for kind in r.kinds() {
        if let Some(line) = verdict(r, kind) {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// One sentence on how `kind` scaled: its speedup where the cores run out and at the most
/// workers, and what that means. On a machine busy with other work the demo could only get
/// the cores left free, so the sentence says so rather than blaming the workers.
fn verdict(r: &ScalingResult, kind: &str) -> Option<String> {
    let cores = r.logical_cores.max(1);
    let max_w = r.steps.iter().filter(|s| s.kind == kind).map(|s| s.workers).max()?;
    let at = if r.step(kind, cores).is_some() { cores } else { max_w.min(cores) };
    let s_at = r.speedup(kind, at)?;
    let s_max = r.speedup(kind, max_w)?;
    if at <= 1 {
        return Some(format!("{kind}: one core, one worker: nothing to compare"));
    }
    let free = |w: u32| r.step(kind, w).map_or(f64::from(cores), |s| (f64::from(cores) - s.other_cores).max(0.1));
    // The most this step could have gained over 1 worker, given the cores left free.
    let possible = f64::from(at).min(free(at)) / free(1).min(1.0);
    let mut line = format!("{kind}: ×{s_at:.2} at {at} workers (ideal ×{at})");
    if max_w != at {
        let _ = write!(line, ", ×{s_max:.2} at {max_w}");
    }
    let meaning = if possible < 1.4 && s_at < 0.75 * f64::from(at) {
        format!(
            "the rest of the machine used {:.1} cores meanwhile, so at most ×{possible:.1} was possible and this run cannot tell: \
             run it again on a quieter machine",
            f64::from(cores) - free(at)
        )
    } else if s_at >= 0.75 * possible {
        "scales with the cores, then no further: more workers than cores only take turns".to_owned()
    } else if s_at < 1.3 {
        "does not scale: the workers take turns, one at a time".to_owned()
    } else {
        "scales only partly".to_owned()
    };
    let _ = write!(line, ": {meaning}.");
    Some(line)
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |s| format!("{s:.3}"))
}

pub fn io(r: &IoResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "I/O concurrency: {} tasks that each wait {:.2} s ({} logical cores){}",
        r.n,
        r.wait_seconds,
        r.logical_cores,
        cancelled_note(r.cancelled)
    );
    measured(&mut out, &r.started_at, r.machine.as_deref());
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<11} {:>8}  {:<26} WALL TIME", "MODE", "WALL s", "EXPECTED");
    let expected = r.expected();
    let how = ["(N × wait)", "(wait)", "(wait + start-up)"];
    let max = r.modes().iter().filter_map(|(_, v)| *v).fold(0.0, f64::max);
    for (i, (mode, wall)) in r.modes().into_iter().enumerate() {
        let _ = writeln!(
            out,
            "{:<11} {:>8}  ≈ {:<24} {}",
            mode,
            secs(wall),
            format!("{:.2} {}", expected[i], how[i]),
            wall.map_or_else(String::new, |w| bar(w, max, BAR))
        );
    }
    if let (Some(seq), Some(th)) = (r.sequential_s, r.threads_s) {
        let _ = writeln!(
            out,
            "\nWaiting needs concurrency, not cores: {} threads waited at once, {:.1}× faster than one \
             after another.",
            r.n,
            seq / th.max(1e-9)
        );
        if let Some(pr) = r.processes_s {
            let _ = writeln!(
                out,
                "{} processes waited at once too; starting and reaping them added {:.0} ms over the threads.",
                r.n,
                ((pr - th) * 1000.0).max(0.0)
            );
        }
    }
    out
}

pub fn python(r: &PythonResult) -> String {
    let mut out = String::new();
    let gil = if r.gil_enabled { "GIL on" } else { "free-threaded, GIL off" };
    let _ = writeln!(
        out,
        "CPython {} ({}), {gil}; {} logical cores; each run {:.2} s{}",
        r.python_version,
        r.python_executable,
        r.logical_cores,
        r.step_seconds,
        cancelled_note(r.cancelled)
    );
    measured(&mut out, &r.started_at, r.machine.as_deref());
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<11} {:>3} {:>7} {:>7} {:>6} {:>10} {:>6}  CORES IN USE",
        "KIND", "N", "WALL s", "CPU s", "CORES", "OPS/S", "OTHERS"
    );
    let scale = f64::from(r.workers.min(r.logical_cores).max(1));
    let runs: [Option<&PythonRun>; 2] = [r.threads.as_ref(), r.processes.as_ref()];
    for run in runs.into_iter().flatten() {
        let _ = writeln!(
            out,
            "{:<11} {:>3} {:>7.2} {:>7.2} {:>6.2} {:>10.0} {:>6.2}  {}",
            run.kind,
            run.workers,
            run.wall_seconds,
            run.cpu_seconds,
            run.cores_used,
            run.ops_per_sec,
            run.other_cores,
            bar(run.cores_used, scale, 20)
        );
    }
    let _ = writeln!(
        out,
        "WALL includes starting the interpreter; CORES = CPU time / wall time; OTHERS = cores the rest \
         of the machine used meanwhile.\n"
    );
    if let Some(line) = r.speedup_line() {
        let _ = writeln!(out, "{line}");
    }
    if let Some(note) = r.busy_note() {
        let _ = writeln!(out, "{note}");
    }
    if r.gil_enabled {
        let _ = writeln!(
            out,
            "With the GIL only one thread runs Python code at a time: threads use about 1 core whatever \
             N is;\neach process has its own interpreter and its own GIL, so processes use about N cores."
        );
    } else {
        let _ = writeln!(
            out,
            "This interpreter is free-threaded and runs without its GIL: Python threads run in parallel, \
             so py-threads\ncan use N cores too, as py-procs does."
        );
    }
    out
}

/// Compare: one row per kind, then bars of cores used and of ops/s.
pub fn compare(r: &CompareResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Compare on {} logical cores: {} with N = {} for {:.2} s each, one after the other{}",
        r.logical_cores,
        r.kinds.join(", "),
        r.workers,
        r.step_seconds,
        cancelled_note(r.cancelled)
    );
    measured(&mut out, &r.started_at, r.machine.as_deref());
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<15} {:>3} {:>5} {:>10} {:>8} {:>6} {:>6} {:>6}",
        "KIND", "N", "CORES", "OPS/S", "×FIRST", "WALL s", "CPU s", "OTHERS"
    );
    for run in &r.runs {
        let ratio = r.ratio_to_first(run).map_or_else(|| "-".to_owned(), |x| format!("×{x:.2}"));
        let _ = writeln!(
            out,
            "{:<15} {:>3} {:>5.2} {:>10.0} {:>8} {:>6.2} {:>6.2} {:>6.2}",
            run.kind,
            run.workers,
            run.cores_used,
            run.ops_per_sec,
            ratio,
            run.wall_seconds,
            run.cpu_seconds,
            run.other_cores
        );
    }
    let max_ops = r.runs.iter().map(|x| x.ops_per_sec).fold(0.0, f64::max);
    let _ = writeln!(out, "\ncores used (of {}):", r.logical_cores);
    for run in &r.runs {
        let _ = writeln!(
            out,
            "  {:<15} {:<BAR$} {:.2}",
            run.kind,
            bar(run.cores_used, f64::from(r.logical_cores.max(1)), BAR),
            run.cores_used
        );
    }
    let _ = writeln!(out, "ops/s:");
    for run in &r.runs {
        let _ = writeln!(out, "  {:<15} {:<BAR$} {:.0}", run.kind, bar(run.ops_per_sec, max_ops, BAR), run.ops_per_sec);
    }
    if let Some(note) = r.busy_note() {
        let _ = writeln!(out, "\n{note}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::experiment::ScalingStep;

    fn step(kind: &str, workers: u32, rate: f64, cores: f64) -> ScalingStep {
        ScalingStep {
            kind: kind.into(),
            workers,
            ops_per_sec: rate,
            ops_per_sec_min: rate * 0.95,
            ops_per_sec_median: rate,
            ops_per_sec_max: rate * 1.02,
            cores_used: cores,
            wall_seconds: 2.01,
            runs: 3,
            other_cores: 0.04,
            ops_per_sec_runs: vec![rate * 0.95, rate, rate * 1.02],
        }
    }

    #[test]
    fn scaling_text_has_table_bars_and_verdicts() {
        let r = ScalingResult {
            logical_cores: 2,
            step_seconds: 2.0,
            repeats: 3,
            steps: vec![
                step("cpu-threads", 1, 1000.0, 1.0),
                step("cpu-threads", 2, 1960.0, 1.98),
                step("cpu-threads", 4, 1950.0, 1.99),
                step("lock-threads", 1, 1000.0, 1.0),
                step("lock-threads", 2, 990.0, 1.0),
                step("lock-threads", 4, 985.0, 1.0),
            ],
            cancelled: false,
            started_at: "2026-05-09T04:30:00Z".into(),
            machine: Some(Box::new(Machine {
                cpu_model: "AMD EPYC 7B13".into(),
                logical_cores: 2,
                kernel: "6.8.0-1019".into(),
                threadtop_version: "0.1.0".into(),
            })),
            total_seconds: 37.0,
            max_workers: 4,
        };
        let text = scaling(&r);
        for needle in [
            "2 logical cores",
            "each run 2.00 s, 3 run(s) per point",
            "1960",
            "1862",
            "×1.96",
            "← the core count",
            "cpu-threads: ×1.96 at 2 workers (ideal ×2), ×1.95 at 4: scales with the cores",
            "lock-threads: ×0.99 at 2 workers (ideal ×2), ×0.98 at 4: does not scale",
            "measured 2026-05-09T04:30:00Z on AMD EPYC 7B13 (2 cores), kernel 6.8.0-1019, threadtop 0.1.0",
        ] {
            assert!(text.contains(needle), "{needle:?} missing in\n{text}");
        }
        assert!(!text.contains("cancelled"));
    }

    #[test]
    fn a_busy_machine_is_blamed_not_the_workers() {
        let busy = |kind: &str, w: u32, rate: f64| ScalingStep { other_cores: 1.1, ..step(kind, w, rate, 0.9) };
        let r = ScalingResult {
            logical_cores: 2,
            step_seconds: 2.0,
            repeats: 3,
            steps: vec![busy("cpu-threads", 1, 1000.0), busy("cpu-threads", 2, 1040.0)],
            cancelled: false,
            started_at: String::new(),
            machine: None,
            total_seconds: 12.0,
            max_workers: 2,
        };
        let text = scaling(&r);
        assert!(
            text.contains("the rest of the machine used 1.1 cores meanwhile, so at most ×1.0 was possible"),
            "{text}"
        );
        assert!(!text.contains("does not scale"), "{text}");
    }

    #[test]
    fn io_text_compares_the_modes() {
        let r = IoResult {
            n: 4,
            wait_seconds: 1.0,
            sequential_s: Some(4.004),
            threads_s: Some(1.001),
            processes_s: Some(1.013),
            logical_cores: 2,
            cancelled: false,
            started_at: String::new(),
            machine: None,
        };
        let text = io(&r);
        for needle in ["4 tasks that each wait 1.00 s", "4.004", "≈ 4.00 (N × wait)", "4.0× faster", "added 12 ms"]
        {
            assert!(text.contains(needle), "{needle:?} missing in\n{text}");
        }
        let cut = io(&IoResult { processes_s: None, cancelled: true, ..r });
        assert!(cut.contains("cancelled"), "{cut}");
        let row = cut.lines().find(|l| l.starts_with("processes")).unwrap();
        assert!(row.split_whitespace().nth(1) == Some("-"), "{cut}");
    }

    #[test]
    fn python_text_says_which_gil() {
        let run = |kind: &str, cores: f64, rate: f64| PythonRun {
            kind: kind.into(),
            workers: 2,
            wall_seconds: 3.1,
            cpu_seconds: cores * 3.1,
            cores_used: cores,
            ops: (rate * 3.1) as u64,
            ops_per_sec: rate,
            other_cores: 0.05,
        };
        let mut r = PythonResult {
            python_version: "3.11.7".into(),
            python_executable: "/usr/bin/python3.11".into(),
            gil_enabled: true,
            logical_cores: 2,
            workers: 2,
            step_seconds: 3.0,
            threads: Some(run("py-threads", 1.01, 1000.0)),
            processes: Some(run("py-procs", 1.97, 1950.0)),
            cancelled: false,
            started_at: String::new(),
            machine: None,
        };
        let text = python(&r);
        assert!(text.contains("GIL on") && text.contains("×1.95") && text.contains("about 1 core"), "{text}");
        assert!(!text.contains("quieter machine"), "{text}");
        assert!(!text.contains("explain"), "×1.95 on 2 cores needs no excuse: {text}");
        // ×2.34 on 2 cores: more than the cores explain, and why.
        if let Some(t) = r.threads.as_mut() {
            t.ops_per_sec = 1950.0 / 2.34;
        }
        let text = python(&r);
        assert!(
            text.contains(
                "py-procs did ×2.34 the work of py-threads in the same time: more than 2 processes explain, \
                 because py-threads' one busy core also went on handing the GIL from thread to thread."
            ),
            "{text}"
        );
        if let Some(p) = r.processes.as_mut() {
            p.other_cores = 1.2;
            p.cores_used = 0.8;
        }
        assert!(python(&r).contains("the rest of the machine used 1.2 cores during py-procs, leaving it 0.8"));
        r.gil_enabled = false;
        assert!(python(&r).contains("free-threaded"));
    }
}
