//! `threadtop replay FILE... --json [--at TIME] [--threads PID]`: one moment of a recording,
//! printed as `snapshot --json` (or `threads PID --json`) prints the live machine.

use std::process::ExitCode;

use crate::app::table::{Column, column_names};
use crate::cli::{Cli, ReplayArgs};
use crate::collect::model::ProcessSample;
use crate::history::{Recording, time};

use super::{USAGE, print_err, processes_json, sort_processes, threads_json};

/// Opens the recording and finds the frame of `at` (default: the end): its index, or the message.
pub fn locate(rec: &Recording, at: Option<&str>) -> Result<usize, String> {
    let Some((start, end)) = rec.span() else {
        return Err("the recording has no complete frame yet".into());
    };
    let Some(at) = at else { return Ok(rec.len() - 1) };
    let off = rec.utc_offset_s();
    let t = time::parse_moment(at, start, end, off)?;
    // A moment within one interval of the ends is taken as the end frame.
    let slack = rec.interval_ms();
    if t + slack < start || t > end + slack {
        return Err(format!(
            "{at} is outside the recording ({} to {})",
            time::fmt_datetime(start, off),
            time::fmt_datetime(end, off)
        ));
    }
    Ok(rec.index_at(t))
}

pub fn run(cli: &Cli, args: &ReplayArgs) -> ExitCode {
    let mut rec = match Recording::open(&args.files) {
        Ok(r) => r,
        Err(e) => {
            print_err(&e);
            return ExitCode::FAILURE;
        }
    };
    for w in rec.warnings() {
        print_err(&format!("warning: {w}"));
    }
    let key = match args.sort.as_deref().or(cli.sort.as_deref()) {
        None => Column::Cpu,
        Some(name) => match Column::parse(name) {
            Some(c) => c,
            None => {
                print_err(&format!("unknown sort column '{name}'; valid columns: {}", column_names()));
                return ExitCode::from(USAGE);
            }
        },
    };
    let i = match locate(&rec, args.at.as_deref()) {
        Ok(i) => i,
        Err(e) => {
            print_err(&e);
            return ExitCode::FAILURE;
        }
    };
    if let Some(pid) = args.threads {
        let state = match rec.state_at(i) {
            Ok(s) => s,
            Err(e) => {
                print_err(&e);
                return ExitCode::FAILURE;
            }
        };
        let Some(focus) = state.focus(pid) else {
            let why = if state.procs.iter().any(|p| p.stat.pid == pid) {
                format!(
                    "the threads of PID {pid} were not recorded at that moment (record with --threads all, or -p {pid})"
                )
            } else {
                format!("no process {pid} in the recording at that moment")
            };
            print_err(&why);
            return ExitCode::FAILURE;
        };
        let mut threads: Vec<_> = focus.threads.iter().collect();
        threads.sort_by_key(|t| t.thread.tid);
        return super::write_stdout(threads_json(&focus, &threads));
    }
    let snap = match rec.snapshot_at(i) {
        Ok(s) => s,
        Err(e) => {
            print_err(&e);
            return ExitCode::FAILURE;
        }
    };
    let filter = cli.filter.as_deref().map(str::to_lowercase);
    let mut rows: Vec<&ProcessSample> = snap
        .processes
        .iter()
        .filter(|p| !p.kernel_thread)
        .filter(|p| cli.pids.is_empty() || cli.pids.contains(&p.pid))
        .filter(|p| cli.user.as_deref().is_none_or(|u| *p.user == *u))
        .filter(|p| {
            filter.as_deref().is_none_or(|f| p.name.to_lowercase().contains(f) || p.cmdline.to_lowercase().contains(f))
        })
        .collect();
    sort_processes(&mut rows, key);
    if let Some(n) = args.limit {
        rows.truncate(n);
    }
    super::write_stdout(processes_json(&rows))
}
