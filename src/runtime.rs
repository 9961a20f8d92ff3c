//! The tokio loop: owns the terminal, the channels, the sampler handle and the lab supervisor.
//! With `input`, the only room that touches crossterm. It turns events into Actions, gives them
//! to the app, carries out the Effects, and draws only when something changed.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::signal::unix::{SignalKind, signal};

use crate::app::lab::{CatalogEntry, LabState};
use crate::app::table::{Column, SortSpec, column_names};
use crate::app::{Action, App, Effect, Inspect, Options};
use crate::cli::Cli;
use crate::collect::sampler::{self, Control, SamplerConfig};
use crate::config::{Config, ThemeName};
use crate::control::{self, SignalOutcome};
use crate::input::keymap::{Keymap, key_to_action};
use crate::lab::Supervisor;
use crate::lab::experiment::{self, ExperimentConfig, ExperimentEvent, ExperimentHandle};
use crate::model::demo::LabEvent;
use crate::ui::{self, Theme};

/// Most events handled before a redraw: a flood of keys is absorbed, not drawn one by one.
const MAX_EVENTS_PER_FRAME: usize = 512;

/// The interactive monitor. Returns the process exit code.
pub fn run_tui(cli: &Cli, config: Config) -> ExitCode {
    let options = match options_from_cli(cli, &config) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("threadtop: {msg}");
            return ExitCode::from(2);
        }
    };
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        eprintln!(
            "threadtop: the monitor needs a terminal on stdin and stdout.\n\
             For a one-shot table use `threadtop snapshot` (or `threadtop snapshot --json`)."
        );
        return ExitCode::from(2);
    }
    match run(cli, options, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("threadtop: {e:#}");
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
                seconds: catalog::DEFAULT_DURATION.as_secs() as u32,
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
    let sampler_config = SamplerConfig {
        interval: options.interval,
        all_threads: options.show_threads,
        focus: options.threads_of,
        proc_root: cli.proc_root.clone().unwrap_or_else(|| "/proc".into()),
        pids: None,
        kept_files: config.kept_files,
    };
    let sampler = sampler::spawn(sampler_config).context("starting the sampler thread")?;
    let theme = if cli.no_color || config.theme == ThemeName::Mono { Theme::mono() } else { Theme::from_env() };

    let mut terminal = ratatui::try_init().context("opening the terminal")?;
    install_panic_hook();
    spawn_hangup_watchdog();
    let mouse = !cli.no_mouse && config.mouse;
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    }
    let proc_root = cli.proc_root.clone().unwrap_or_else(|| "/proc".into());
    let result = rt.block_on(event_loop(&mut terminal, &mut app, &keymap, &theme, &sampler, &proc_root));
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    ratatui::restore();
    show_cursor();
    drop(sampler);
    result
}

/// A panic on any thread restores the terminal, shows the cursor and exits non-zero with its
/// message visible. Demo children die with us through PR_SET_PDEATHSIG.
fn install_panic_hook() {
    let ratatui_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        ratatui_hook(info);
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

fn show_cursor() {
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(out, crossterm::cursor::Show);
    let _ = out.flush();
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    keymap: &Keymap,
    theme: &Theme,
    sampler: &sampler::SamplerHandle,
    proc_root: &Path,
) -> Result<()> {
    let mut events = EventStream::new();
    let mut snapshots = sampler.snapshots();
    let (lab_tx, mut lab_rx) = tokio::sync::mpsc::unbounded_channel::<LabEvent>();
    let lab = Supervisor::new(crate::lab::self_exe(), lab_tx);
    let (exp_tx, mut exp_rx) = tokio::sync::mpsc::unbounded_channel::<ExperimentEvent>();
    let mut ctx = Ctx { sampler, lab, proc_root, experiment: None, exp_tx };
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sighup = signal(SignalKind::hangup())?;

    for effect in app.startup_effects() {
        apply_effect(effect, app, &mut ctx);
    }
    let mut dirty = true;
    let result: Result<()> = loop {
        if dirty {
            terminal.draw(|f| ui::draw(f, app, theme))?;
            dirty = false;
        }
        let mut actions: Vec<Action> = Vec::new();
        unstick_input();
        tokio::select! {
            biased;
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    // Handle this event and whatever else is already waiting before drawing
                    // again, each applied before the next is read (a key may open a prompt).
                    let mut next = Some(ev);
                    let mut handled = 0;
                    while let Some(ev) = next.take() {
                        let mut acts = Vec::new();
                        dirty |= on_event(&ev, app, keymap, &mut acts);
                        for a in acts {
                            dispatch(a, app, &mut ctx);
                        }
                        handled += 1;
                        if app.quit || handled >= MAX_EVENTS_PER_FRAME {
                            break;
                        }
                        // Polled with this task's waker. `now_or_never()` polls with a no-op
                        // waker, and crossterm's EventStream hands the waker of the poll that
                        // found nothing to its wake-up thread and ignores the wakers of later
                        // polls until that thread fires: the next key then waited for another
                        // event (a sample, up to a whole refresh interval) before being read.
                        let more = std::future::poll_fn(|cx| std::task::Poll::Ready(events.poll_next_unpin(cx))).await;
                        if let std::task::Poll::Ready(Some(Ok(ev))) = more {
                            next = Some(ev);
                        }
                    }
                }
                Some(Err(e)) => break Err(anyhow::Error::from(e).context("reading the terminal")),
                None => break Ok(()),
            },
            _ = sigterm.recv() => break Ok(()),
            _ = sigint.recv() => break Ok(()),
            _ = sighup.recv() => break Ok(()),
            changed = snapshots.changed() => {
                if changed.is_err() {
                    break Err(anyhow::anyhow!("the sampler thread stopped"));
                }
                let snap: Option<Arc<_>> = snapshots.borrow_and_update().clone();
                if let Some(snap) = snap {
                    actions.push(Action::Sample(snap));
                }
            }
            Some(event) = lab_rx.recv() => actions.push(Action::Lab(event)),
            Some(event) = exp_rx.recv() => actions.push(Action::Experiment(event)),
        }
        for a in actions {
            dirty = true;
            dispatch(a, app, &mut ctx);
        }
        if app.quit {
            break Ok(());
        }
    };
    // Quitting, a signal or an error: every demo stops and is reaped before we leave.
    if let Some(h) = ctx.experiment.take() {
        h.cancel();
        h.wait().await;
    }
    ctx.lab.shutdown().await;
    result
}

/// Turns a terminal event into actions; returns whether the screen must be redrawn.
fn on_event(ev: &Event, app: &App, keymap: &Keymap, actions: &mut Vec<Action>) -> bool {
    match ev {
        Event::Key(k) => {
            if let Some(a) = key_to_action(app, keymap, k) {
                actions.push(a);
            }
            true
        }
        Event::Resize(..) => true,
        Event::Mouse(m) => {
            use crossterm::event::{MouseButton, MouseEventKind};
            match m.kind {
                MouseEventKind::Down(MouseButton::Left) => actions.push(Action::Click { x: m.column, y: m.row }),
                MouseEventKind::ScrollUp => actions.push(Action::ScrollUp),
                MouseEventKind::ScrollDown => actions.push(Action::ScrollDown),
                _ => return false,
            }
            true
        }
        _ => false,
    }
}

struct Ctx<'a> {
    sampler: &'a sampler::SamplerHandle,
    lab: Supervisor,
    proc_root: &'a Path,
    experiment: Option<ExperimentHandle>,
    exp_tx: tokio::sync::mpsc::UnboundedSender<ExperimentEvent>,
}

/// Gives one action to the app and carries out its effects. Returns true when quitting.
fn dispatch(action: Action, app: &mut App, ctx: &mut Ctx) -> bool {
    for effect in app.update(action) {
        apply_effect(effect, app, ctx);
    }
    app.quit
}

fn apply_effect(effect: Effect, app: &mut App, ctx: &mut Ctx) {
    let done = |app: &mut App, text: String, error: bool| {
        app.update(Action::Done { text, error });
    };
    match effect {
        Effect::Quit => {}
        Effect::Focus(pid) => ctx.sampler.send(Control::Focus(pid)),
        Effect::AllThreads(on) => ctx.sampler.send(Control::AllThreads(on)),
        Effect::Pause(on) => ctx.sampler.send(Control::Pause(on)),
        Effect::Launch(spec) => {
            // A refusal also arrives as LabEvent::Refused, which the status line shows.
            if ctx.lab.launch(spec).is_err() {
                app.lab.select_next_started = false;
            } else {
                // Sample now so the new process appears (and is selected) at once.
                ctx.sampler.send(Control::Now);
            }
        }
        Effect::StartExperiment(kind) => {
            if ctx.experiment.as_ref().is_some_and(|h| !h.is_finished()) {
                done(app, "an experiment is already running (Esc in its view cancels it)".into(), true);
                return;
            }
            let config = ExperimentConfig::default_for(kind, crate::model::catalog::logical_cores());
            ctx.experiment = Some(experiment::start(config, crate::lab::self_exe(), ctx.exp_tx.clone()));
        }
        Effect::CancelExperiment => {
            if let Some(h) = &ctx.experiment {
                h.cancel();
            }
        }
        Effect::SaveExperiment => {
            if let Some(result) = app.experiment.as_ref().and_then(|e| e.result()).cloned() {
                match experiment::save::save(&result, None) {
                    Ok(path) => done(app, format!("saved: {}", path.display()), false),
                    Err(e) => done(app, format!("not saved: {e}"), true),
                }
            }
        }
        Effect::StopDemo(id) => ctx.lab.stop(id),
        Effect::StopAllDemos => ctx.lab.stop_all(),
        Effect::Signal { targets, sig } => {
            let name = crate::app::act::SIGNALS.iter().find(|(_, n)| *n == sig).map(|(s, _)| *s).unwrap_or("?");
            let mut sent = 0;
            let mut problems = Vec::new();
            for t in &targets {
                match control::send_signal(ctx.proc_root, t.pid, t.start_ticks, sig) {
                    SignalOutcome::Sent => sent += 1,
                    other => problems.push(format!("PID {}: {other}", t.pid)),
                }
            }
            let mut text = format!("SIG{name} sent to {sent} of {} process(es)", targets.len());
            if !problems.is_empty() {
                text = format!("{text}; {}", problems.join("; "));
            }
            done(app, text, !problems.is_empty());
        }
        Effect::Renice { pid, tid, delta } => match control::renice(ctx.proc_root, pid, tid, delta) {
            Ok(n) => {
                let who = match tid {
                    Some(t) => format!("thread {t} (nice is per thread)"),
                    None => format!("PID {pid}, all its threads"),
                };
                done(app, format!("nice of {who} is now {n}"), false);
                ctx.sampler.send(Control::Now);
            }
            Err(e) => done(app, format!("PID {pid}: {e}"), true),
        },
        Effect::LoadAffinity { pid, tid } => {
            let cores = app.logical_cores();
            match control::get_affinity(tid.unwrap_or(pid), cores) {
                Ok(allowed) => {
                    app.update(Action::AffinityLoaded { pid, tid, allowed });
                }
                Err(e) => done(app, format!("PID {pid}: {e}"), true),
            }
        }
        Effect::SetAffinity { pid, tid, allowed } => {
            if app.options.readonly {
                return;
            }
            let cores: Vec<String> =
                allowed.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i.to_string()).collect();
            match control::set_affinity(ctx.proc_root, pid, tid, &allowed) {
                Ok(n) => done(app, format!("{n} thread(s) of PID {pid} may now run on CPU {}", cores.join(",")), false),
                Err(e) => done(app, format!("PID {pid}: {e}"), true),
            }
        }
        Effect::Inspect { what, pid } => {
            let (title, result) = match what {
                Inspect::Environment => (format!("Environment of PID {pid}"), control::environ(ctx.proc_root, pid)),
                Inspect::OpenFiles => (format!("Open files of PID {pid}"), control::open_files(ctx.proc_root, pid)),
            };
            match result {
                Ok(lines) => {
                    app.update(Action::ShowText { title, lines });
                }
                Err(e) => done(app, format!("PID {pid}: {e}"), true),
            }
        }
    }
}
