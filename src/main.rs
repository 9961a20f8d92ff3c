//! Thin entry point: parse the command line and pick the mode.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use threadtop::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Demo children are threadtop itself: they must start fast and never read the user's config.
    if let Some(Command::Workload { ref args }) = cli.command {
        return threadtop::lab::worker::main(args);
    }
    if cli.print_config {
        print!("{}", threadtop::config::DEFAULT_TOML);
        return ExitCode::SUCCESS;
    }
    // Every other mode loads and checks the config first, so a bad file is reported at once.
    let config = match threadtop::config::load(cli.config.as_deref(), cli.no_config) {
        Ok(c) => {
            if let (Some(w), Some(_)) = (&c.warning, &cli.command) {
                eprintln!("threadtop: {w}");
            }
            c
        }
        Err(e) => {
            eprintln!("threadtop: config error: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Workload { .. }) => ExitCode::FAILURE,
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "threadtop", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(Cli::command());
            match man.render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("threadtop: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Demo { ref kind, workers, seconds, json }) => {
            threadtop::lab::headless::run(kind, workers, seconds, json)
        }
        Some(Command::Experiment { ref which }) => threadtop::lab::experiment::cli::main(which),
        Some(Command::Snapshot { json, ref sort, limit }) => {
            threadtop::commands::snapshot(&cli, json, sort.as_deref(), limit)
        }
        Some(Command::Threads { pid, json, interval }) => threadtop::commands::threads(&cli, pid, json, interval),
        Some(Command::Info { json }) => threadtop::commands::info(json),
        None => threadtop::runtime::run_tui(&cli, config),
    }
}
