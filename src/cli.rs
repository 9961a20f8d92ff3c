//! The command line (clap derive). Parsing only: no I/O here. Imports of ours only the hidden
//! `__workload` command's flags, `lab::worker::WorkloadArgs`, which the worker owns and checks.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

// The worker owns its flags (it alone checks them); the lab may not import this module.
pub use crate::lab::worker::WorkloadArgs;

const EXAMPLES: &str = "\
Examples:
  threadtop                        the monitor, refreshing every second
  threadtop -d 5                   refresh every 0.5 s (htop's tenths of a second)
  threadtop --interval 250ms       the same in plain words
  threadtop -t -s MEM              tree view, sorted by memory
  threadtop --threads-of 1234      start in the threads view of PID 1234
  threadtop snapshot --json        the process table once, as JSON
  threadtop threads 1234           the threads of PID 1234 once, with rates
  threadtop demo cpu-threads -n 4  run a lab demo in the foreground and print its result
  threadtop experiment scaling     throughput vs workers for threads, processes and a lock
  threadtop experiment io --save   N waits: sequential, threads, processes; keep the result";

/// The shortest refresh interval accepted: below it a monitor mostly measures itself.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Parser)]
#[command(name = "threadtop", version, about = "An htop-like process and thread monitor for Linux, with a thread drill-down and a lab of demo workloads", after_help = EXAMPLES)]
pub struct Cli {
    /// Refresh delay in tenths of a second, as in htop (-d 10 = 1 s)
    #[arg(short = 'd', long = "delay", value_name = "TENTHS", conflicts_with = "interval")]
    pub delay: Option<u64>,

    /// Refresh interval, e.g. 250ms, 2s (at least 100ms)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<Duration>,

    /// Start in tree view
    #[arg(short = 't', long = "tree")]
    pub tree: bool,

    /// Sort by this column (PID, USER, PRI, NI, VIRT, RES, S, CPU, MEM, THR, TIME, COMMAND)
    #[arg(short = 's', long = "sort-key", value_name = "COLUMN")]
    pub sort: Option<String>,

    /// Show only processes whose command or name contains TEXT
    #[arg(short = 'F', long = "filter", value_name = "TEXT")]
    pub filter: Option<String>,

    /// Show only these PIDs (comma-separated)
    #[arg(short = 'p', long = "pid", value_name = "PID", value_delimiter = ',')]
    pub pids: Vec<i32>,

    /// Start in the threads view of this process
    #[arg(long = "threads-of", value_name = "PID")]
    pub threads_of: Option<i32>,

    /// Show only processes of this user: a name, or the uid of one (unknown users are refused)
    #[arg(short = 'u', long = "user", value_name = "USER")]
    pub user: Option<String>,

    /// Disable signals, nice, affinity and lab launches
    #[arg(long)]
    pub readonly: bool,

    /// Do not capture the mouse
    #[arg(short = 'M', long = "no-mouse")]
    pub no_mouse: bool,

    /// No colour (as NO_COLOR does)
    #[arg(short = 'C', long = "no-color")]
    pub no_color: bool,

    /// Read this config file instead of ~/.config/threadtop/config.toml
    #[arg(long, value_name = "PATH", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Read no config file: built-in defaults only
    #[arg(long = "no-config")]
    pub no_config: bool,

    /// Print the default config file (fully commented) and exit
    #[arg(long = "print-config")]
    pub print_config: bool,

    /// Read process data from DIR instead of /proc (for tests)
    #[arg(long = "proc-root", value_name = "DIR", hide = true)]
    pub proc_root: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the process table once (two samples 250 ms apart, so CPU% is real)
    Snapshot {
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
        /// Sort by this column (default CPU)
        #[arg(long, value_name = "COLUMN")]
        sort: Option<String>,
        /// Print at most N processes
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Print the threads of one process once, with rates (like ps -T -p PID)
    Threads {
        pid: i32,
        #[arg(long)]
        json: bool,
        /// Time between the two samples (default 500ms)
        #[arg(long, value_name = "DURATION", value_parser = parse_any_duration)]
        interval: Option<Duration>,
    },
    /// Print CPU model, cores, OS, kernel, architecture and memory
    Info {
        #[arg(long)]
        json: bool,
    },
    /// Run one lab demo in the foreground and print its measured result
    Demo {
        /// cpu-threads, io-threads, lock-threads, cpu-procs, zombie, spawn-cost, py-threads,
        /// py-procs (the py- demos need python3)
        kind: String,
        /// Workers: threads or processes (default depends on the kind)
        #[arg(short = 'n', value_name = "N")]
        workers: Option<u32>,
        /// How long it runs (default 60)
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script: bash, zsh or fish
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `threadtop man > threadtop.1`
    Man,
    /// Measure a curve on this machine: scaling, io, python or compare; or show a saved result
    Experiment {
        #[command(subcommand)]
        which: ExperimentCommand,
    },
    /// Inside a demo child process (not for users)
    #[command(name = "__workload", hide = true)]
    Workload(WorkloadArgs),
}

#[derive(Debug, Subcommand)]
pub enum ExperimentCommand {
    /// cpu-threads, lock-threads and cpu-procs at 1, 2, 4, ... workers: throughput and cores in use
    Scaling {
        /// How long each run lasts (default 2)
        #[arg(long, value_name = "S")]
        step_seconds: Option<f64>,
        /// Runs of each point, for min/median/max (default 3)
        #[arg(long, value_name = "R")]
        repeats: Option<u32>,
        /// The most workers (default 2 x logical cores)
        #[arg(long, value_name = "M")]
        max_workers: Option<u32>,
        #[command(flatten)]
        output: ExperimentOutput,
    },
    /// N tasks that each wait: one after another, in N threads, in N processes
    Io {
        /// How many tasks (default 4)
        #[arg(short = 'n', value_name = "N")]
        tasks: Option<u32>,
        /// How long each task waits (default 1)
        #[arg(long, value_name = "SECONDS")]
        wait: Option<f64>,
        #[command(flatten)]
        output: ExperimentOutput,
    },
    /// Real CPython: pure-Python work in N threads vs N processes, the GIL (needs python3)
    Python {
        /// Threads, and processes (default: logical cores)
        #[arg(short = 'n', value_name = "N")]
        workers: Option<u32>,
        /// How long each of the two runs lasts (default 3)
        #[arg(long, value_name = "S")]
        step_seconds: Option<f64>,
        #[command(flatten)]
        output: ExperimentOutput,
    },
    /// Two or three demo kinds one after the other, same N and duration: cores used and ops/s side by side
    Compare {
        /// The kinds, comma-separated, in the order they run (default cpu-threads,lock-threads,cpu-procs)
        #[arg(long, value_name = "KINDS", value_delimiter = ',')]
        kinds: Vec<String>,
        /// N for each kind (default: logical cores)
        #[arg(short = 'n', value_name = "N")]
        workers: Option<u32>,
        /// How long each kind runs (default 3)
        #[arg(long, value_name = "S")]
        step_seconds: Option<f64>,
        #[command(flatten)]
        output: ExperimentOutput,
    },
    /// Show a saved result again (a file written by --save, or --json output)
    Show { file: PathBuf },
}

#[derive(Clone, Debug, Default, Args)]
pub struct ExperimentOutput {
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    /// Also save the result as JSON: to PATH, or under $XDG_DATA_HOME/threadtop/
    /// (~/.local/share/threadtop/) when no PATH is given
    #[arg(long, value_name = "PATH", num_args = 0..=1)]
    pub save: Option<Option<PathBuf>>,
}

impl Cli {
    /// The refresh interval asked for, from `-d` or `--interval`, checked against the minimum.
    pub fn refresh_interval(&self) -> Result<Duration, String> {
        self.refresh_interval_or(DEFAULT_INTERVAL)
    }

    /// The interval asked for on the command line, else `default` (from the config file).
    pub fn refresh_interval_or(&self, default: Duration) -> Result<Duration, String> {
        let interval = match (self.delay, self.interval) {
            (Some(tenths), _) => Duration::from_millis(tenths.saturating_mul(100)),
            (None, Some(d)) => d,
            (None, None) => default,
        };
        if interval < MIN_INTERVAL {
            return Err(format!(
                "refresh interval {} is below the minimum of 100ms (with -d, use at least 1)",
                humantime::format_duration(interval)
            ));
        }
        Ok(interval)
    }
}

/// A duration like `250ms`, `2s` or `1.5s`; a bare number means seconds.
pub fn parse_any_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
        return Err(format!("'{s}' is not a duration"));
    }
    if let Some(num) = s.strip_suffix('s').filter(|n| !n.ends_with('m') && !n.ends_with(char::is_alphabetic))
        && let Ok(secs) = num.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Ok(Duration::from_secs_f64(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("'{s}' is not a duration like 250ms or 2s: {e}"))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = parse_any_duration(s)?;
    if d < MIN_INTERVAL {
        return Err(format!("{s} is below the minimum refresh interval of 100ms"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_any_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_any_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_any_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_any_duration("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_any_duration("fast").is_err());
        assert!(parse_duration("50ms").is_err());
    }

    #[test]
    fn delay_in_tenths_like_htop() {
        let cli = Cli::try_parse_from(["threadtop", "-d", "10"]).unwrap();
        assert_eq!(cli.refresh_interval(), Ok(Duration::from_secs(1)));
        let cli = Cli::try_parse_from(["threadtop", "-d", "0"]).unwrap();
        assert!(cli.refresh_interval().unwrap_err().contains("minimum"));
        let cli = Cli::try_parse_from(["threadtop", "--interval", "250ms"]).unwrap();
        assert_eq!(cli.refresh_interval(), Ok(Duration::from_millis(250)));
        assert!(Cli::try_parse_from(["threadtop", "--interval", "20ms"]).is_err());
    }

    #[test]
    fn completions_and_man_parse() {
        let cli = Cli::try_parse_from(["threadtop", "completions", "zsh"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Completions { shell: clap_complete::Shell::Zsh })));
        assert!(Cli::try_parse_from(["threadtop", "completions", "tcsh-but-not"]).is_err());
        assert!(Cli::try_parse_from(["threadtop", "--config", "a", "--no-config"]).is_err());
    }

    #[test]
    fn experiment_save_takes_an_optional_path() {
        let parse = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
            Some(Command::Experiment { which: ExperimentCommand::Io { output, .. } }) => output,
            other => panic!("{other:?}"),
        };
        assert_eq!(parse(&["threadtop", "experiment", "io"]).save, None);
        let o = parse(&["threadtop", "experiment", "io", "--save", "--json"]);
        assert_eq!((o.save, o.json), (Some(None), true));
        let o = parse(&["threadtop", "experiment", "io", "--save", "/tmp/x.json"]);
        assert_eq!(o.save, Some(Some(PathBuf::from("/tmp/x.json"))));
        assert!(Cli::try_parse_from(["threadtop", "experiment"]).is_err());
    }

    #[test]
    fn the_hidden_workload_command_parses_what_the_lab_writes() {
        let args = WorkloadArgs {
            kind: "cpu-threads".to_owned(),
            workers: Some(4),
            seconds: 2.5,
            index: 0,
            report_fd: Some(3),
        };
        let line = ["threadtop".to_owned(), "__workload".to_owned()].into_iter().chain(args.to_args());
        match Cli::try_parse_from(line).unwrap().command {
            Some(Command::Workload(parsed)) => assert_eq!(parsed, args),
            other => panic!("{other:?}"),
        }
        // A bad flag is clap's usage error, before the worker starts.
        assert!(
            Cli::try_parse_from(["threadtop", "__workload", "cpu-threads", "--seconds", "1", "--colour", "x"]).is_err()
        );
    }

    #[test]
    fn htop_start_flags() {
        let cli = Cli::try_parse_from(["threadtop", "-t", "-s", "MEM", "-F", "ssh", "-p", "1,2"]).unwrap();
        assert!(cli.tree);
        assert_eq!(cli.sort.as_deref(), Some("MEM"));
        assert_eq!(cli.filter.as_deref(), Some("ssh"));
        assert_eq!(cli.pids, vec![1, 2]);
    }
}
