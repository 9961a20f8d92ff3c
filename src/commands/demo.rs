//! `threadtop demo KIND [-n N] [--seconds S] [--json]`: one demo in the foreground, through the
//! same `Supervisor` as the TUI, on a current-thread tokio runtime; prints its measured result.
//!
//! Exit codes: 0 when the demo ran its course; 128 + the signal number (130 for Ctrl-C, 143
//! for SIGTERM, 129 for SIGHUP) when a signal stopped it early, the result still printed;
//! 1 when it failed; 2 for an unknown kind or a refused spec (a cap, or no python3 for the
//! Python demos).
//!
//! Imports lab, model and `foreground`: never runtime, input, app or ui.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;

use super::foreground::{self, Foreground};
use crate::lab::{Supervisor, mem_available_bytes, python, self_exe};
use crate::model::catalog;
use crate::model::demo::{DemoKind, DemoResult, DemoSpec, LabEvent};
use crate::model::figures::DemoFigures;

/// The start of every message on stderr.
const MODE: &str = "threadtop demo";

/// Runs one demo; `main.rs` calls this for `threadtop demo`.
pub fn run(kind: &str, workers: Option<u32>, seconds: Option<f64>, json: bool) -> ExitCode {
    let spec = match parse_spec(kind, workers, seconds) {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("{MODE}: {message}");
            return ExitCode::from(2);
        }
    };
    foreground::block_on(MODE, run_in_foreground(spec, json))
}

/// The spec the command line asks for, checked against the caps.
fn parse_spec(kind: &str, workers: Option<u32>, seconds: Option<f64>) -> Result<DemoSpec, String> {
    let Some(kind) = DemoKind::from_name(kind) else {
        let kinds: Vec<&str> = DemoKind::EVERY.iter().map(|k| k.name()).collect();
        return Err(format!("unknown demo '{kind}'; the demos are: {}", kinds.join(", ")));
    };
    let duration = match seconds {
        None => catalog::default_duration(kind),
        Some(s) => Duration::try_from_secs_f64(s)
            .map_err(|_| format!("--seconds {s}: give a number of seconds, like 2 or 0.5"))?,
    };
    let spec = DemoSpec { kind, workers: workers.unwrap_or_else(|| catalog::default_workers(kind)), duration };
    catalog::check(&spec, 0)?;
    catalog::memory_check(&spec, mem_available_bytes())?;
    if kind.needs_python() {
        python::interpreter()?;
    }
    Ok(spec)
}

async fn run_in_foreground(spec: DemoSpec, json: bool) -> ExitCode {
    let mut fg = match Foreground::install() {
        Ok(fg) => fg,
        Err(e) => {
            eprintln!("{MODE}: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    if spec.kind.needs_python() && !json {
        // Before the launch, so the question costs the demo nothing. Which Python, and whether
        // its GIL is on, decides what the demo shows.
        match python::interpreter() {
            Ok(interpreter) => match python::probe(&interpreter).await {
                Ok(info) if info.gil_enabled => {
                    eprintln!("python3: CPython {} ({}), GIL on", info.version, info.executable)
                }
                Ok(info) => eprintln!(
                    "python3: CPython {} ({}) is free-threaded, its GIL is off: its threads can use several cores",
                    info.version, info.executable
                ),
                Err(e) => eprintln!("{MODE}: {e}"),
            },
            Err(e) => eprintln!("{MODE}: {e}"),
        }
    }
    let (tx, mut events) = mpsc::unbounded_channel();
    let mut lab = Supervisor::new(self_exe(), tx);
    let id = match lab.launch(spec.clone()) {
        Ok(id) => id,
        Err(reason) => {
            eprintln!("{MODE}: {reason}");
            return ExitCode::FAILURE;
        }
    };
    if !json {
        eprintln!("{}", banner(&spec));
    }

    let mut failure = None;
    let result = fg
        .run(
            &mut events,
            |event| match event {
                Some(LabEvent::Finished { id: done, result }) if done == id => ControlFlow::Break(Some(result)),
                Some(LabEvent::Failed { id: failed, reason }) if failed == id => {
                    failure = Some(reason);
                    ControlFlow::Continue(())
                }
                Some(_) => ControlFlow::Continue(()),
                None => ControlFlow::Break(None),
            },
            // Every signal asks again; the supervisor's stop is idempotent.
            |_| lab.stop(id),
        )
        .await;
    lab.shutdown().await;

    if let Some(result) = &result {
        let text = if json {
            serde_json::to_string(result).map(|t| t + "\n").map_err(|e| e.to_string())
        } else {
            Ok(render_text(&spec, result))
        };
        let printed = match text {
            Ok(text) => foreground::print_result(MODE, &text),
            Err(e) => {
                eprintln!("{MODE}: cannot print the result: {e}");
                ExitCode::FAILURE
            }
        };
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    }
    if let Some(reason) = &failure {
        eprintln!("{MODE}: {} failed: {reason}", spec.kind);
        return ExitCode::FAILURE;
    }
    if result.is_none() {
        eprintln!("{MODE}: the demo ended without a result");
        return ExitCode::FAILURE;
    }
    fg.exit_code(ExitCode::SUCCESS)
}

fn banner(spec: &DemoSpec) -> String {
    let info = catalog::info(spec.kind);
    let limit = if info.runs_once {
        format!("at most {} s", fmt_secs(spec.duration.as_secs_f64()))
    } else {
        format!("{} s", fmt_secs(spec.duration.as_secs_f64()))
    };
    format!("{}: {}, {} {}, {limit}; Ctrl-C stops it early", spec.kind, info.summary, spec.workers, info.unit.noun())
}

fn fmt_secs(s: f64) -> String {
    if s.fract() == 0.0 { format!("{s:.0}") } else { format!("{s:.2}") }
}

/// The result for people: one figure per line.
fn render_text(spec: &DemoSpec, r: &DemoResult) -> String {
    let info = catalog::info(spec.kind);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} with {} {}{}",
        r.kind,
        r.workers,
        info.unit.noun(),
        if r.stopped_early { " (stopped early)" } else { "" }
    );
    let _ = writeln!(out, "  wall time     {:.2} s", r.wall_seconds);
    let _ = writeln!(out, "  CPU time      {:.2} s", r.cpu_seconds);
    let _ = writeln!(out, "  cores in use  {:.2} (of {})", r.cores_used, catalog::logical_cores());
    let _ = writeln!(out, "  operations    {} ({:.0}/s; one is {})", r.ops, r.ops_per_sec, info.op);
    if let Some(s) = &r.spawn {
        let _ = writeln!(out, "  one thread    {:.1} µs (create + join)", s.thread_spawn_us);
        let _ = writeln!(out, "  one process   {:.1} µs (fork + exit + reap)", s.process_spawn_us);
        let _ = writeln!(out, "  ratio         {:.1} (process / thread)", s.ratio);
    }
    if let Some(f) = &r.figures {
        render_figures(&mut out, f);
    }
    if let Some(x) = &r.extra {
        render_extra(&mut out, x);
    }
    let pids: Vec<String> = r.pids.iter().map(|p| p.to_string()).collect();
    let _ = writeln!(out, "  pids          {}", pids.join(" "));
    out
}

/// The figures of memory, race, switch-cost, ipc and real-io, one line per step.
fn render_figures(out: &mut String, f: &DemoFigures) {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    match f {
        DemoFigures::Memory(m) => {
            let _ = writeln!(
                out,
                "  buffer        {:.0} MiB; the worker alone: RSS {:.1} MiB",
                mib(m.buffer_bytes),
                mib(m.base.rss_bytes)
            );
            let _ = writeln!(
                out,
                "  {:<15} {:>5} {:>10} {:>10} {:>10}   (MiB, summed; each)",
                "step", "procs", "RSS", "PSS", "USS"
            );
            for p in &m.phases {
                let n = p.processes.len().max(1) as f64;
                let _ = writeln!(
                    out,
                    "  {:<15} {:>5} {:>10.1} {:>10.1} {:>10.1}   each {:.1} / {:.1} / {:.1}",
                    p.phase,
                    p.processes.len(),
                    mib(p.rss_bytes),
                    mib(p.pss_bytes),
                    mib(p.uss_bytes),
                    mib(p.rss_bytes) / n,
                    mib(p.pss_bytes) / n,
                    mib(p.uss_bytes) / n
                );
            }
        }
        DemoFigures::Race(r) => {
            let _ = writeln!(out, "  {} threads × {} increments each", r.threads, r.increments_per_thread);
            for run in &r.runs {
                let _ = writeln!(
                    out,
                    "  {:<24} {} core(s): {} of {} counted, {} lost, {} interleavings, {:.1} ns per increment",
                    run.method,
                    run.cores,
                    run.final_count,
                    run.expected,
                    run.lost,
                    run.interleavings,
                    run.ns_per_increment
                );
            }
        }
        DemoFigures::SwitchCost(s) => {
            for run in &s.runs {
                let _ = writeln!(
                    out,
                    "  {:<9} on {} core(s): {:.2} µs per round trip, {} round trips, switches {} voluntary + {} involuntary ({:.0}/s)",
                    run.mode,
                    run.cores,
                    run.us_per_round_trip,
                    run.round_trips,
                    run.voluntary_switches,
                    run.involuntary_switches,
                    run.switches_per_sec
                );
            }
        }
        DemoFigures::Ipc(i) => {
            for run in &i.runs {
                let _ = writeln!(
                    out,
                    "  {:<14} {:>6} B: {:>9.1} MB/s, {:>8.3} µs per message, {} messages, {} of {} bytes arrived, {} corrupt",
                    run.channel,
                    run.message_bytes,
                    run.mb_per_sec,
                    run.us_per_message,
                    run.messages,
                    run.bytes_received,
                    run.bytes_sent,
                    run.corrupt
                );
            }
        }
        DemoFigures::RealIo(r) => {
            let _ = writeln!(
                out,
                "  each op       {} KiB write + fsync in {}, then a request answered after {} ms",
                r.write_bytes >> 10,
                r.temp_dir,
                r.server_delay_ms
            );
            for run in &r.runs {
                let _ = writeln!(
                    out,
                    "  {:<10} {:>3} thread(s): {} ops, wall {:.3} s, CPU {:.3} s, slowest fsync {:.1} ms",
                    run.mode, run.threads, run.ops, run.wall_seconds, run.cpu_seconds, run.max_fsync_ms
                );
            }
            if let Some(ratio) = r.ratio {
                let _ = writeln!(out, "  sequential / threads  ×{ratio:.1}");
            }
        }
    }
}

/// py-asyncio, py-hash-threads, py-nogil and lifecycle's own figures.
fn render_extra(out: &mut String, x: &crate::model::demo::Extra) {
    for p in &x.phases {
        let _ = writeln!(
            out,
            "  {:<20}  {:>6} ops  wall {:.2} s  CPU {:.2} s  cores {:.2}",
            p.name, p.ops, p.wall_seconds, p.cpu_seconds, p.cores_used
        );
    }
    if let Some(t) = x.threads_peak {
        let _ = writeln!(out, "  threads       {t} at most (/proc/PID/status, read by threadtop)");
    }
    if let Some(seen) = &x.states_seen {
        let _ = writeln!(out, "  states seen   {seen} (/proc/PID/stat every 10 ms, each change once)");
    }
    for step in &x.steps {
        let seen: Vec<String> = step.seen.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
        let _ = writeln!(out, "  step {:<9} {}", step.name, seen.join("  "));
    }
    if let Some(ft) = &x.free_threaded {
        let _ = writeln!(out, "  no-GIL Python {}", ft.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::demo::SpawnCost;

    #[test]
    fn specs_from_the_command_line() {
        let s = parse_spec("lock-threads", None, Some(2.0)).unwrap();
        assert_eq!(s.kind, DemoKind::LockThreads);
        assert_eq!(s.workers, 4);
        assert_eq!(s.duration, Duration::from_secs(2));
        let s = parse_spec("io-threads", Some(3), None).unwrap();
        assert_eq!(s.workers, 3);
        assert_eq!(s.duration, catalog::DEFAULT_DURATION);
    }

    #[test]
    fn unknown_kinds_list_the_known_ones() {
        let err = parse_spec("gpu-threads", None, None).unwrap_err();
        assert!(err.contains("gpu-threads"), "{err}");
        for kind in DemoKind::EVERY {
            assert!(err.contains(kind.name()), "{err}");
        }
    }

    #[test]
    fn caps_and_bad_durations_are_refused() {
        assert!(parse_spec("cpu-threads", Some(257), Some(1.0)).is_err());
        assert!(parse_spec("cpu-procs", Some(65), Some(1.0)).is_err());
        assert!(parse_spec("cpu-threads", None, Some(601.0)).is_err());
        assert!(parse_spec("cpu-threads", None, Some(-1.0)).is_err());
        assert!(parse_spec("cpu-threads", None, Some(f64::NAN)).is_err());
        assert!(parse_spec("cpu-threads", None, Some(0.0)).is_err());
        assert!(parse_spec("cpu-threads", Some(0), Some(1.0)).is_err());
    }

    #[test]
    fn text_result_shows_every_figure() {
        let spec = DemoSpec { kind: DemoKind::SpawnCost, workers: 200, duration: Duration::from_secs(60) };
        let r = DemoResult {
            kind: "spawn-cost".into(),
            workers: 200,
            wall_seconds: 0.05,
            cpu_seconds: 0.04,
            cores_used: 0.8,
            ops: 400,
            ops_per_sec: 8000.0,
            pids: vec![1234],
            stopped_early: false,
            spawn: Some(SpawnCost { thread_spawn_us: 20.0, process_spawn_us: 150.0, ratio: 7.5 }),
            figures: None,
            extra: None,
        };
        let text = render_text(&spec, &r);
        for needle in ["spawn-cost with 200", "0.05 s", "0.80", "400", "20.0 µs", "150.0 µs", "7.5", "1234"] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        assert!(!text.contains("stopped early"));
    }

    #[test]
    fn text_result_shows_the_phases_threads_and_states() {
        use crate::model::demo::{Extra, FreeThreaded, Phase};
        let spec = DemoSpec { kind: DemoKind::PyNogil, workers: 2, duration: Duration::from_secs(4) };
        let phase = Phase { name: "gil".into(), ops: 900, wall_seconds: 2.0, cpu_seconds: 1.96, cores_used: 0.98 };
        let r = DemoResult {
            kind: "py-nogil".into(),
            workers: 2,
            wall_seconds: 2.1,
            cpu_seconds: 2.0,
            cores_used: 0.95,
            ops: 900,
            ops_per_sec: 430.0,
            pids: vec![1234, 1235],
            stopped_early: false,
            spawn: None,
            figures: None,
            extra: Some(Box::new(Extra {
                phases: vec![phase],
                threads_peak: Some(3),
                states_seen: Some("SRSTZ".into()),
                steps: vec![crate::model::demo::StepSeen {
                    name: "stopped".into(),
                    seen: std::collections::BTreeMap::from([('T', 150), ('S', 2)]),
                }],
                free_threaded: Some(FreeThreaded {
                    found: false,
                    executable: None,
                    version: None,
                    message: "no free-threaded Python found: uv python install 3.13t".into(),
                }),
                ..Extra::default()
            })),
        };
        let text = render_text(&spec, &r);
        for needle in ["gil", "0.98", "3 at most", "SRSTZ", "step stopped   S ×2  T ×150", "uv python install 3.13t"]
        {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
    }
}
