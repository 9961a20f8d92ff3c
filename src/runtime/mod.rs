//! The interactive monitor's set-up: the terminal (restored on every way out), the signals, the
//! sampler thread and the lab, handed to the generic `event_loop`. With `input`, the only room
//! that touches crossterm. Writes no text a user reads on screen (the app does); its own words are
//! start-up errors on stderr.
//! Part of `runtime`: may import every room; nothing imports it but `main` (and tests).

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::app::lab::{CatalogEntry, LabState};
use crate::app::table::{Column, SortSpec, column_names};
use crate::app::{Action, App, Options};
use crate::cli::Cli;
use crate::collect::sampler::{self, SamplerConfig};
use crate::config::{Config, ThemeName};
use crate::metrics::TuiMetrics;
use crate::ui::Theme;

pub mod event_loop;
pub mod replay;
pub mod rewind;
pub mod sources;
pub mod testing;

pub use event_loop::Ending;
pub use replay::run_replay;
use sources::{Lab as _, LiveLab, LiveSamples};

/// The interactive monitor. Returns the process exit code.
pub fn run_tui(cli: &Cli, config: Config) -> ExitCode {
    let options = match options_from_cli(cli, &config) {
        Ok(o) => o,
        Err(msg) => {
            say(&format!("threadtop: {msg}"));
            return ExitCode::from(2);
        }
    };
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        say("threadtop: the monitor needs a terminal on stdin and stdout.\n\
             For a one-shot table use `threadtop snapshot` (or `threadtop snapshot --json`).");
        return ExitCode::from(2);
    }
    match run(cli, options, config) {
        Ok(()) => ExitCode::SUCCESS,
        // A terminal that went away (window closed, ssh dropped) fails the next read or draw:
        // that is a hang-up, which ends threadtop as SIGHUP does, not an error to report.
        Err(_) if terminal_gone() => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("threadtop: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

/// Start-up options from the command line, with clear messages for bad values.
pub fn options_from_cli(cli: &Cli, config: &Config) -> Result<Options, String> {
    let interval = cli.refresh_interval_or(config.interval)?;
    let sort = match &cli.sort {
        None => config.sort,
        Some(name) => SortSpec::by(
            Column::parse(name)
                .ok_or_else(|| format!("unknown sort column '{name}'; use one of {}", column_names()))?,
        ),
    };
    let pids: Option<HashSet<i32>> = if cli.pids.is_empty() { None } else { Some(cli.pids.iter().copied().collect()) };
    Ok(Options {
        interval,
        tree: cli.tree || config.tree,
        show_threads: config.show_threads,
        columns: config.columns.clone(),
        sort,
        filter: cli.filter.clone().unwrap_or_default(),
        pids,
        user: cli.user.clone(),
        threads_of: cli.threads_of,
        readonly: cli.readonly,
        self_pid: std::process::id() as i32,
    })
}

/// The lab catalogue with its defaults for this machine.
pub fn catalog() -> Vec<CatalogEntry> {
    use crate::model::catalog;
    crate::model::demo::DemoKind::EVERY
        .iter()
        .map(|&kind| {
            let info = catalog::info(kind);
            CatalogEntry {
                kind,
                workers: catalog::default_workers(kind),
                seconds: catalog::default_duration(kind).as_secs() as u32,
                max_workers: catalog::max_workers(kind),
                timed: !info.runs_once,
                unit: info.unit.noun(),
                summary: info.summary.to_string(),
                lesson: info.lesson.to_string(),
            }
        })
        .collect()
}

fn run(cli: &Cli, options: Options, config: Config) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the runtime")?;
    let keymap = config.keymap.clone();
    let mut app = App::new(options.clone(), keymap.help(), LabState::new(catalog()));
    if let Some(w) = &config.warning {
        app.update(Action::Done { text: w.clone(), error: true });
    }
    // --metrics: bound before the terminal is taken, so a busy port is refused on a normal screen.
    let metrics = match cli.metrics {
        Some(addr) => Some(TuiMetrics::bind(addr, &config.metrics).with_context(|| format!("--metrics {addr}"))?),
        None => None,
    };
    if let Some((text, error)) = metrics.as_ref().map(TuiMetrics::notice) {
        app.update(Action::Done { text, error });
    }
    let sampler_config = SamplerConfig {
        interval: options.interval,
        all_threads: options.show_threads,
        focus: options.threads_of,
        proc_root: cli.proc_root.clone().unwrap_or_else(|| "/proc".into()),
        pids: None,
        kept_files: config.kept_files,
        python_hz: config.python_sample_hz,
        extras: metrics.as_ref().map(TuiMetrics::extras).unwrap_or_default(),
        io_columns: Column::need_io(&options.columns),
    };
    let sampler = sampler::spawn(sampler_config).context("starting the sampler thread")?;
    let theme = if cli.no_color || config.theme == ThemeName::Mono { Theme::mono() } else { Theme::from_env() };

    // std's own hook, from before ratatui's: ratatui's calls `restore`, which eprintln!s (and so
    // panics inside the hook, an abort) when the terminal has gone away.
    let std_hook = std::panic::take_hook();
    let mut terminal = ratatui::try_init().context("opening the terminal")?;
    install_panic_hook(std_hook);
    spawn_hangup_watchdog();
    let mouse = !cli.no_mouse && config.mouse;
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    }
    let proc_root = cli.proc_root.clone().unwrap_or_else(|| "/proc".into());
    let ctx = event_loop::Context { keymap: &keymap, theme: &theme, proc_root: &proc_root };
    let result = rt.block_on(async {
        if let Some(m) = metrics {
            m.start(sampler.snapshots())?;
        }
        let keep = std::time::Duration::from_secs(u64::from(config.rewind_minutes) * 60);
        let mut samples = rewind::RewindSource::new(LiveSamples::new(&sampler), keep);
        let mut lab = LiveLab::new(crate::lab::self_exe());
        let mut input = TerminalInput(EventStream::new());
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let stop = async {
            tokio::select! {
                _ = sigterm.recv() => {}
                _ = sigint.recv() => {}
                _ = sighup.recv() => {}
            }
        };
        event_loop::start(&mut app, &ctx, &mut samples, &mut lab);
        let ended =
            event_loop::event_loop(&mut terminal, &mut app, &ctx, &mut input, &mut samples, &mut lab, stop).await;
        // Quitting, a signal or an error: every demo stops and is reaped before we leave.
        lab.shutdown().await;
        ended.map(|_| ())
    });
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    // Nothing on the way out may panic on a terminal that has gone away (EIO): no eprintln!,
    // and the Terminal is not dropped, since its Drop eprintln!s when showing the cursor fails.
    let _ = terminal.show_cursor();
    std::mem::forget(terminal);
    let _ = ratatui::try_restore();
    show_cursor();
    drop(sampler);
    result
}

/// A panic on any thread restores the terminal, shows the cursor and exits non-zero with its
/// message visible. Demo children die with us through PR_SET_PDEATHSIG.
fn install_panic_hook(std_hook: Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>) {
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        let _ = ratatui::try_restore();
        // std's hook writes the message and ignores a failed write.
        std_hook(info);
        show_cursor();
        std::process::exit(101);
    }));
}

/// When the terminal goes away (its window closed, ssh dropped, tmux killed), crossterm's
/// reader can spin inside a read loop that holds the input thread, so the tokio loop may never
/// see SIGHUP (crossterm-rs/crossterm#793). This thread watches the tty for a hangup on its own
/// and, if threadtop has not left by itself shortly after, exits: demo children die with us
/// through PR_SET_PDEATHSIG, and there is no terminal left to restore.
fn spawn_hangup_watchdog() {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let spawned = std::thread::Builder::new().name("tt-hangup".into()).spawn(|| {
        let stdin = std::io::stdin();
        let timeout = Timespec { tv_sec: 1, tv_nsec: 0 };
        loop {
            let mut fds = [PollFd::new(&stdin, PollFlags::empty())];
            match poll(&mut fds, Some(&timeout)) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(_) => return,
            }
            let hung = fds[0].revents().intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL);
            if hung {
                std::thread::sleep(std::time::Duration::from_millis(1500));
                std::process::exit(0);
            }
        }
    });
    // Without the watchdog threadtop still works; only a lost terminal might leave it spinning.
    drop(spawned);
}

/// crossterm 0.29 reads the terminal through edge-triggered epoll, 1024 bytes at a time, and
/// returns as soon as it has parsed one event without draining the fd (crossterm-rs/crossterm#813,
/// fix proposed in #1057). When more than 1024 bytes arrive at once (a paste, a flood of keys)
/// the rest stays in the kernel with no new edge, and threadtop then fell behind by 1024 bytes
/// per later key. Called before each wait: if stdin still holds bytes, setting the terminal's
/// own attributes again wakes its readers (n_tty's set_termios wakes read_wait), which gives
/// crossterm the edge it waits for. Nothing changes on the terminal; when stdin is empty (nearly
/// always) this is one ioctl.
fn unstick_input() {
    let stdin = std::io::stdin();
    if rustix::io::ioctl_fionread(&stdin).is_ok_and(|n| n > 0)
        && let Ok(attrs) = rustix::termios::tcgetattr(&stdin)
    {
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &attrs);
    }
}

/// crossterm's event stream with `unstick_input` before every wait.
struct TerminalInput(EventStream);

impl futures_util::Stream for TerminalInput {
    type Item = std::io::Result<Event>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        unstick_input();
        self.0.poll_next_unpin(cx)
    }
}

/// Whether the terminal on stdin has hung up.
fn terminal_gone() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(&stdin, PollFlags::empty())];
    let now = Timespec { tv_sec: 0, tv_nsec: 0 };
    poll(&mut fds, Some(&now)).is_ok() && fds[0].revents().intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL)
}

/// A line on stderr; a stderr that has gone away (a closed terminal) is not a reason to panic.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn show_cursor() {
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(out, crossterm::cursor::Show);
    let _ = out.flush();
}

#[cfg(test)]
mod tests;
