//! What `threadtop demo` and `threadtop experiment` share: a current-thread runtime, a loop in
//! the foreground in which INT, TERM and HUP stop the work (not threadtop, which then prints what
//! was measured), and the exit code that says which signal it was (128 + its number). Imports
//! nothing of ours but `write_out`.

use std::future::Future;
use std::io;
use std::ops::ControlFlow;
use std::process::ExitCode;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

/// Runs `work` on a current-thread runtime, on this thread: the lab spawns its children from
/// it, and PDEATHSIG needs the spawning thread to live as long as threadtop (the main thread).
/// `mode` starts each message (`threadtop demo`).
pub fn block_on(mode: &str, work: impl Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(work),
        Err(e) => {
            eprintln!("{mode}: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a result on stdout. A closed stdout (`| head -0`) ends quietly (`write_out`); any
/// other write error is reported and fails the mode.
pub fn print_result(mode: &str, text: &str) -> ExitCode {
    match super::write_out(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{mode}: cannot print the result: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where the stop signals come from: the OS, or a script in tests (which send no real signal).
enum Source {
    Os {
        int: Signal,
        term: Signal,
        hup: Signal,
    },
    #[cfg(test)]
    Script(mpsc::UnboundedReceiver<i32>),
}

/// The foreground of one headless mode: its stop signals, and the first that came.
pub struct Foreground {
    source: Source,
    first: Option<i32>,
}

impl Foreground {
    /// Takes INT, TERM and HUP over from their default action (ending threadtop at once): call
    /// it before starting the work, so that a Ctrl-C from then on stops the work instead. Needs
    /// the runtime of `block_on`.
    pub fn install() -> io::Result<Foreground> {
        let source = Source::Os {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        };
        Ok(Foreground { source, first: None })
    }

    #[cfg(test)]
    fn scripted(signals: mpsc::UnboundedReceiver<i32>) -> Foreground {
        Foreground { source: Source::Script(signals), first: None }
    }

    /// The next stop signal's number; never returns once no more can come.
    async fn next_signal(&mut self) -> i32 {
        let signal = match &mut self.source {
            Source::Os { int, term, hup } => tokio::select! {
                Some(()) = int.recv() => Some(libc::SIGINT),
                Some(()) = term.recv() => Some(libc::SIGTERM),
                Some(()) = hup.recv() => Some(libc::SIGHUP),
                else => None,
            },
            #[cfg(test)]
            Source::Script(signals) => signals.recv().await,
        };
        match signal {
            Some(signal) => signal,
            None => std::future::pending().await,
        }
    }

    /// Feeds `on_event` every event until it breaks with the mode's outcome; it gets `None` once
    /// the channel has closed, and must break then. Each stop signal meanwhile calls
    /// `on_signal(first)`, `first` being true for the first one only; the work is expected to
    /// end soon after (and to keep sending events until it has).
    pub async fn run<E, R>(
        &mut self,
        events: &mut mpsc::UnboundedReceiver<E>,
        mut on_event: impl FnMut(Option<E>) -> ControlFlow<R>,
        mut on_signal: impl FnMut(bool),
    ) -> R {
        loop {
            tokio::select! {
                event = events.recv() => {
                    if let ControlFlow::Break(outcome) = on_event(event) {
                        return outcome;
                    }
                }
                signal = self.next_signal() => {
                    let first = self.first.is_none();
                    self.first.get_or_insert(signal);
                    on_signal(first);
                }
            }
        }
    }

    /// 128 + the number of the first stop signal if one came (130 for Ctrl-C, 143 for TERM, 129
    /// for HUP), else `otherwise`.
    pub fn exit_code(&self, otherwise: ExitCode) -> ExitCode {
        match self.first {
            Some(signal) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(u8::MAX)),
            None => otherwise,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    #[test]
    fn the_first_signal_stops_the_work_and_names_the_exit_code() {
        let (events_tx, mut events) = mpsc::unbounded_channel::<u32>();
        let (signals_tx, signals) = mpsc::unbounded_channel();
        let mut fg = Foreground::scripted(signals);
        events_tx.send(1).unwrap();
        let mut events_tx = Some(events_tx);
        let mut firsts = Vec::new();
        let mut seen = Vec::new();
        let outcome = runtime().block_on(fg.run(
            &mut events,
            |event| {
                seen.push(event);
                match event {
                    Some(1) => {
                        signals_tx.send(libc::SIGTERM).unwrap();
                        signals_tx.send(libc::SIGINT).unwrap();
                        ControlFlow::Continue(())
                    }
                    Some(_) => ControlFlow::Continue(()),
                    None => ControlFlow::Break("closed"),
                }
            },
            |first| {
                firsts.push(first);
                // The work answers the stop with its last events, then ends (closes the channel).
                if firsts.len() == 2
                    && let Some(tx) = events_tx.take()
                {
                    tx.send(2).unwrap();
                    tx.send(3).unwrap();
                }
            },
        ));
        assert_eq!(outcome, "closed");
        assert_eq!(firsts, [true, false]);
        assert_eq!(seen, [Some(1), Some(2), Some(3), None]);
        // The first signal names the code, not the last.
        assert_eq!(fg.exit_code(ExitCode::SUCCESS), ExitCode::from(128 + libc::SIGTERM as u8));
    }

    #[test]
    fn without_a_signal_the_work_decides_the_exit_code() {
        let (events_tx, mut events) = mpsc::unbounded_channel::<u32>();
        let (_signals_tx, signals) = mpsc::unbounded_channel();
        let mut fg = Foreground::scripted(signals);
        events_tx.send(7).unwrap();
        let mut signalled = false;
        let outcome = runtime().block_on(fg.run(
            &mut events,
            |event| match event {
                Some(n) => ControlFlow::Break(n),
                None => ControlFlow::Break(0),
            },
            |_| signalled = true,
        ));
        assert_eq!(outcome, 7);
        assert!(!signalled);
        assert_eq!(fg.exit_code(ExitCode::from(2)), ExitCode::from(2));
        assert_eq!(fg.exit_code(ExitCode::SUCCESS), ExitCode::SUCCESS);
    }
}
