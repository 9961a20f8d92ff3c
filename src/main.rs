//! Thin entry point: parse the command line and pick the mode.

use std::process::ExitCode;

use clap::Parser;
use threadtop::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Workload { ref args }) => threadtop::lab::worker::main(args),
        Some(Command::Demo { ref kind, workers, seconds, json }) => {
            threadtop::lab::headless::run(kind, workers, seconds, json)
        }
        Some(Command::Experiment { ref which }) => threadtop::lab::experiment::cli::main(which),
        Some(Command::Snapshot { json, ref sort, limit }) => {
            threadtop::commands::snapshot(&cli, json, sort.as_deref(), limit)
        }
        Some(Command::Threads { pid, json, interval }) => threadtop::commands::threads(&cli, pid, json, interval),
        Some(Command::Info { json }) => threadtop::commands::info(json),
        None => threadtop::runtime::run_tui(&cli),
    }
}
