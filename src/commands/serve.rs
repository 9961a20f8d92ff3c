//! `threadtop serve`: headless, the sampler feeding the metrics endpoint (and/or node_exporter's
//! textfile), until INT or TERM. Every scrape is answered from the last sample.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use crate::cli::Cli;
use crate::collect::{SamplerConfig, sampler};
use crate::metrics::{self, MetricsConfig, Slot, http::Limits};

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9184";

pub struct ServeArgs {
    pub listen: Option<SocketAddr>,
    pub interval: Option<Duration>,
    pub textfile: Option<PathBuf>,
    /// From the config file: its `[metrics]` table, interval and kept_files.
    pub metrics: MetricsConfig,
    pub config_interval: Duration,
    pub kept_files: usize,
}

pub fn run(cli: &Cli, args: ServeArgs) -> ExitCode {
    let interval = args.interval.or(cli.interval).unwrap_or(args.config_interval);
    // --textfile alone writes the file and serves nothing; --listen with it does both.
    let listen = match (args.listen, &args.textfile) {
        (Some(a), _) => Some(a),
        (None, Some(_)) => None,
        (None, None) => DEFAULT_LISTEN.parse().ok(),
    };
    if let Some(dir) = &args.textfile
        && !dir.is_dir()
    {
        eprintln!("threadtop serve: --textfile {}: not a directory", dir.display());
        return ExitCode::from(2);
    }
    let slot = Slot::new(args.metrics.clone());
    let sampler_config = SamplerConfig {
        interval,
        proc_root: cli.proc_root.clone().unwrap_or_else(|| "/proc".into()),
        kept_files: args.kept_files,
        extras: slot.extras(),
        ..SamplerConfig::default()
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("threadtop serve: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            eprintln!("threadtop serve: cannot take over INT and TERM");
            return ExitCode::FAILURE;
        };
        let listener = match listen.map(metrics::bind).transpose() {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "threadtop serve: cannot listen on {}: {e}",
                    listen.map(|a| a.to_string()).unwrap_or_default()
                );
                return ExitCode::FAILURE;
            }
        };
        let handle = match sampler::spawn(sampler_config) {
            Ok(h) => h,
            Err(e) => {
                eprintln!("threadtop serve: cannot start the sampler: {e}");
                return ExitCode::FAILURE;
            }
        };
        let feeder = tokio::spawn(metrics::feed(handle.snapshots(), slot.clone(), args.textfile.clone()));
        if let Some(l) = listener {
            tokio::spawn(metrics::http::serve(l, slot, Limits::default(), std::future::pending()));
        }
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
            _ = feeder => {
                eprintln!("threadtop serve: the sampler stopped");
                return ExitCode::FAILURE;
            }
        }
        ExitCode::SUCCESS
    })
}
