//! Thin entry point: parse the command line and pick the mode.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use threadtop::cli::{Cli, Command};
use threadtop::commands::write_stdout;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    // Demo children are threadtop itself: they must start fast and never read the user's config.
    if let Some(Command::Workload(ref args)) = cli.command {
        return threadtop::lab::worker::main(args);
    }
    limit_heap_growth();
    // A bad flag is reported before anything else (the config file, the monitor's terminal
    // check); the filter then compares names, as the USER column shows them, even for `-u 1000`.
    if let Some(user) = &cli.user {
        match threadtop::commands::resolve_user(user) {
            Ok(name) => cli.user = Some(name),
            Err(e) => {
                let _ = writeln!(std::io::stderr().lock(), "threadtop: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if cli.print_config {
        return write_stdout(threadtop::config::DEFAULT_TOML);
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
        Some(Command::Workload(_)) => ExitCode::FAILURE,
        Some(Command::Completions { shell }) => {
            // Into memory first: `generate` panics on a write error, a closed pipe included.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "threadtop", &mut script);
            write_stdout(&script)
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            // Rendering into a Vec cannot fail; the write to stdout can, and is handled there.
            let _ = clap_mangen::Man::new(Cli::command()).render(&mut page);
            write_stdout(&page)
        }
        Some(Command::Demo { ref kind, workers, seconds, json }) => {
            threadtop::commands::demo::run(kind, workers, seconds, json)
        }
        Some(Command::Experiment { ref which }) => threadtop::commands::experiment::main(which),
        Some(Command::Snapshot { json, ref sort, limit }) => {
            threadtop::commands::snapshot(&cli, json, sort.as_deref(), limit)
        }
        Some(Command::Threads { pid, json, interval }) => threadtop::commands::threads(&cli, pid, json, interval),
        Some(Command::Info { json }) => threadtop::commands::info(json),
        Some(Command::Record(ref args)) => threadtop::commands::record::run(&cli, args, config.interval),
        Some(Command::Replay(ref args)) if args.json => threadtop::commands::replay::run(&cli, args),
        Some(Command::Replay(ref args)) => threadtop::runtime::run_replay(&cli, args, config),
        Some(Command::Serve { listen, interval, ref textfile }) => {
            let args = threadtop::commands::serve::ServeArgs {
                listen,
                interval,
                textfile: textfile.clone(),
                metrics: config.metrics.clone(),
                config_interval: config.interval,
                kept_files: config.kept_files,
            };
            threadtop::commands::serve::run(&cli, args)
        }
        None => threadtop::runtime::run_tui(&cli, config),
    }
}

/// glibc raises its mmap threshold to the size of each large block freed, after which blocks
/// that size come from the heap and stay resident once freed: a monitor that compresses a frame
/// per refresh (the rewind ring) would keep ~0.5 MiB of zstd's working memory for good. A fixed
/// threshold returns each to the system when it is freed.
fn limit_heap_growth() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; any value is accepted or refused.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
    }
}
