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
use crate::lab::model::LabEvent;
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
    use crate::lab::catalog;
    crate::lab::model::DemoKind::ALL
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
    let sampler_config = SamplerConfig {
        interval: options.interval,
        all_threads: false,
        focus: options.threads_of,
        proc_root: cli.proc_root.clone().unwrap_or_else(|| "/proc".into()),
        pids: None,
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
    let mut ctx = Ctx { sampler, lab, proc_root };
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
                        // poll(0) + read(), not `events.next().now_or_never()`: a Pending poll of
                        // EventStream hands the caller's waker (now_or_never's no-op one) to
                        // crossterm's wake thread, which then has nobody to wake on the next key: the
                        // loop slept until the next sample, so a key waited up to one interval.
                        if matches!(crossterm::event::poll(std::time::Duration::ZERO), Ok(true))
                            && let Ok(ev) = crossterm::event::read()
                        {
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
