//! `threadtop experiment scaling|io|python|compare [...] [--json] [--save [PATH]]` and `threadtop
//! experiment show FILE`: one experiment in the foreground on a current-thread tokio runtime,
//! progress on stderr (text mode only), the result on stdout.
//!
//! Exit codes: 0 when it ran to its end; 128 + the signal number (130 for Ctrl-C) when a signal
//! cancelled it, what was measured still printed; 1 when it failed; 2 for bad options, no
//! python3 for the python experiment, or a file `show` cannot read.
//!
//! Imports cli, lab, model, `foreground` and `experiment_report`: never runtime, input, app or ui.

use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;

use super::experiment_report as report;
use super::foreground::{self, Foreground};
use crate::cli::{ExperimentCommand, ExperimentOutput};
use crate::lab::experiment::{CompareConfig, IoConfig, PythonConfig, ScalingConfig, save, start};
use crate::lab::{python, self_exe};
use crate::model::catalog;
use crate::model::demo::DemoKind;
use crate::model::experiment::{ExperimentConfig, ExperimentEvent, ExperimentResult, StepPlan, time_left};

/// `main.rs` calls this for `threadtop experiment ...`.
pub fn main(command: &ExperimentCommand) -> ExitCode {
    let (config, output) = match config_of(command) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            let ExperimentCommand::Show { file } = command else { return ExitCode::from(2) };
            return show(file);
        }
        Err(message) => {
            eprintln!("threadtop experiment: {message}");
            return ExitCode::from(2);
        }
    };
    let name = config.kind().name();
    if let Err(message) = config.check() {
        eprintln!("threadtop experiment {name}: {message}");
        return ExitCode::from(2);
    }
    let needs_python = match &config {
        ExperimentConfig::Python(_) => true,
        ExperimentConfig::Compare(c) => c.kinds.iter().any(|k| k.needs_python()),
        _ => false,
    };
    if needs_python && let Err(message) = python::interpreter() {
        eprintln!("threadtop experiment {name}: {message}");
        return ExitCode::from(2);
    }
    foreground::block_on("threadtop experiment", run_in_foreground(config, output))
}

fn seconds(flag: &str, value: Option<f64>, default: Duration) -> Result<Duration, String> {
    match value {
        None => Ok(default),
        Some(s) => {
            Duration::try_from_secs_f64(s).map_err(|_| format!("{flag} {s}: give a number of seconds, like 2 or 0.5"))
        }
    }
}

/// The experiment the command line asks for (None for `show`).
fn config_of(command: &ExperimentCommand) -> Result<Option<(ExperimentConfig, ExperimentOutput)>, String> {
    let cores = catalog::logical_cores();
    Ok(Some(match command {
        ExperimentCommand::Scaling { step_seconds, repeats, max_workers, output } => {
            let mut c = ScalingConfig::for_cores(cores);
            c.step = seconds("--step-seconds", *step_seconds, c.step)?;
            c.repeats = repeats.unwrap_or(c.repeats);
            c.max_workers = max_workers.unwrap_or(c.max_workers);
            (ExperimentConfig::Scaling(c), output.clone())
        }
        ExperimentCommand::Io { tasks, wait, output } => {
            let mut c = IoConfig::default();
            c.tasks = tasks.unwrap_or(c.tasks);
            c.wait = seconds("--wait", *wait, c.wait)?;
            (ExperimentConfig::Io(c), output.clone())
        }
        ExperimentCommand::Python { workers, step_seconds, output } => {
            let mut c = PythonConfig::for_cores(cores);
            c.workers = workers.unwrap_or(c.workers);
            c.step = seconds("--step-seconds", *step_seconds, c.step)?;
            (ExperimentConfig::Python(c), output.clone())
        }
        ExperimentCommand::Compare { kinds, workers, step_seconds, output } => {
            let mut c = CompareConfig::for_cores(cores);
            if !kinds.is_empty() {
                c.kinds = kinds
                    .iter()
                    .map(|k| {
                        DemoKind::from_name(k.trim()).ok_or_else(|| {
                            let names: Vec<&str> = DemoKind::EVERY.iter().map(|k| k.name()).collect();
                            format!("--kinds: no demo kind {k:?}; the kinds are {}", names.join(", "))
                        })
                    })
                    .collect::<Result<_, _>>()?;
            }
            c.workers = workers.unwrap_or(c.workers);
            c.step = seconds("--step-seconds", *step_seconds, c.step)?;
            (ExperimentConfig::Compare(c), output.clone())
        }
        ExperimentCommand::Show { .. } => return Ok(None),
    }))
}

/// `threadtop experiment show FILE`.
fn show(file: &Path) -> ExitCode {
    match save::load(file) {
        Ok(result) => print(&report::render(&result)),
        Err(message) => {
            eprintln!("threadtop experiment show: {message}");
            ExitCode::from(2)
        }
    }
}

fn print(text: &str) -> ExitCode {
    foreground::print_result("threadtop experiment", text)
}

fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s >= 60 { format!("{}m {:02}s", s / 60, s % 60) } else { format!("{s} s") }
}

enum End {
    Finished(ExperimentResult),
    Cancelled(ExperimentResult),
    Failed(String, Option<ExperimentResult>),
}

async fn run_in_foreground(config: ExperimentConfig, output: ExperimentOutput) -> ExitCode {
    let name = config.kind().name();
    let mut fg = match Foreground::install() {
        Ok(fg) => fg,
        Err(e) => {
            eprintln!("threadtop experiment: cannot handle signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let talk = !output.json;
    let (tx, mut events) = mpsc::unbounded_channel();
    let handle = start(config, self_exe(), tx);
    let mut plan: Vec<StepPlan> = Vec::new();
    let mut took = Duration::ZERO;
    let on_event = |event| {
        match event {
            Some(ExperimentEvent::Planned { steps, .. }) => {
                if talk {
                    let total: Duration = steps.iter().map(|s| s.expected).sum();
                    eprintln!(
                        "threadtop experiment {name}: {} step(s), about {}; Ctrl-C stops it and prints what was measured",
                        steps.len(),
                        fmt_duration(total)
                    );
                }
                plan = steps;
            }
            Some(ExperimentEvent::StepDone { index, took: t, summary, .. }) => {
                took += t;
                if talk {
                    let label = plan.get(index).map_or("", |s| s.label.as_str());
                    let left = time_left(&plan, index + 1, took, Duration::ZERO);
                    eprintln!(
                        "[{:>w$}/{}] {label}: {summary} ({:.2} s; about {} left)",
                        index + 1,
                        plan.len(),
                        t.as_secs_f64(),
                        fmt_duration(left),
                        w = plan.len().to_string().len()
                    );
                }
            }
            Some(ExperimentEvent::StepStarted { .. } | ExperimentEvent::StepProgress { .. }) => {}
            Some(ExperimentEvent::Finished { result }) => return ControlFlow::Break(End::Finished(result)),
            Some(ExperimentEvent::Cancelled { result }) => return ControlFlow::Break(End::Cancelled(result)),
            Some(ExperimentEvent::Failed { reason, result }) => return ControlFlow::Break(End::Failed(reason, result)),
            None => return ControlFlow::Break(End::Failed("the experiment ended without a result".to_owned(), None)),
        }
        ControlFlow::Continue(())
    };
    let on_signal = |first| {
        if first && talk {
            eprintln!("threadtop experiment {name}: stopping; what was measured so far follows");
        }
        // Idempotent: a second signal only asks again.
        handle.cancel();
    };
    let end = fg.run(&mut events, on_event, on_signal).await;
    // Its children are reaped before its last event; this only lets the task finish.
    handle.wait().await;

    let (result, failure) = match end {
        End::Finished(r) | End::Cancelled(r) => (Some(r), None),
        End::Failed(reason, r) => (r, Some(reason)),
    };
    let mut code = ExitCode::SUCCESS;
    if let Some(result) = &result {
        let text = if output.json {
            serde_json::to_string(result).map(|t| t + "\n").unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}\n"))
        } else {
            report::render(result)
        };
        code = print(&text);
        if let Some(path) = &output.save {
            match save::save(result, path.as_deref()) {
                Ok(written) => eprintln!("threadtop experiment {name}: saved to {}", written.display()),
                Err(message) => {
                    eprintln!("threadtop experiment {name}: {message}");
                    code = ExitCode::FAILURE;
                }
            }
        }
    }
    if let Some(reason) = failure {
        eprintln!("threadtop experiment {name} failed: {reason}");
        return ExitCode::FAILURE;
    }
    fg.exit_code(code)
}
