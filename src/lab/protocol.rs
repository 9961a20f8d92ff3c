//! The progress lines a demo process writes to its supervisor through the report pipe (fd 3 in
//! the child), one line per message, each far below PIPE_BUF so that lines written by several
//! processes sharing one pipe never interleave. Figures are cumulative per process.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::fmt;

use crate::collect::model::Pid;
use crate::model::figures::DemoFigures;

/// The fd the report pipe's write end is moved to in a demo child.
pub const REPORT_FD: i32 = 3;

/// Why a demo process stopped working.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndCause {
    /// It reached its own deadline (or, for spawn-cost, finished its work).
    Deadline,
    /// It received SIGTERM, SIGINT or SIGHUP.
    Signal,
    /// Its parent went away.
    Orphan,
}

impl EndCause {
    fn word(self) -> &'static str {
        match self {
            EndCause::Deadline => "deadline",
            EndCause::Signal => "signal",
            EndCause::Orphan => "orphan",
        }
    }

    fn from_word(w: &str) -> Option<EndCause> {
        match w {
            "deadline" => Some(EndCause::Deadline),
            "signal" => Some(EndCause::Signal),
            "orphan" => Some(EndCause::Orphan),
            _ => None,
        }
    }
}

/// One message from demo process number `index`.
#[derive(Clone, Debug, PartialEq)]
pub enum Report {
    /// Work so far: `progress INDEX OPS CPU_NS`.
    Progress { index: u32, ops: u64, cpu_ns: u64 },
    /// Last figures before exiting: `done INDEX OPS CPU_NS CAUSE`.
    Done { index: u32, ops: u64, cpu_ns: u64, cause: EndCause },
    /// A process the demo process started itself (the zombie child): `child INDEX PID`.
    Child { index: u32, pid: Pid },
    /// spawn-cost's timings: `spawn THREADS THREAD_NS PROCESSES PROCESS_NS`, the totals over
    /// the threads and processes it created.
    Spawn { threads: u32, thread_ns: u64, processes: u32, process_ns: u64 },
    /// The demo process could not do its work: `error INDEX MESSAGE...`.
    Error { index: u32, message: String },
    /// What memory, race, switch-cost, ipc or real-io measured so far: `figures JSON`, the
    /// whole set each time (one writer, its main thread: the line may pass PIPE_BUF).
    Figures(Box<DemoFigures>),
    /// One timed part of the work, at its end: `phase INDEX NAME OPS WALL_NS CPU_NS` (the
    /// process's own CPU time over that part).
    Phase { index: u32, name: String, ops: u64, wall_ns: u64, cpu_ns: u64 },
    /// lifecycle asks its supervisor to SIGSTOP it now and SIGCONT it `ms` later:
    /// `stopme INDEX MS`.
    StopMe { index: u32, ms: u64 },
    /// py-nogil's interpreter search: `nogil INDEX found EXECUTABLE VERSION` or
    /// `nogil INDEX missing MESSAGE...`.
    Nogil { index: u32, found: Option<(String, String)>, message: String },
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Progress { index, ops, cpu_ns } => {
                write!(f, "progress {index} {ops} {cpu_ns}")
            }
            Report::Done { index, ops, cpu_ns, cause } => write!(f, "done {index} {ops} {cpu_ns} {}", cause.word()),
            Report::Child { index, pid } => write!(f, "child {index} {pid}"),
            Report::Spawn { threads, thread_ns, processes, process_ns } => {
                write!(f, "spawn {threads} {thread_ns} {processes} {process_ns}")
            }
            Report::Error { index, message } => write!(f, "error {index} {}", flat(message)),
            Report::Phase { index, name, ops, wall_ns, cpu_ns } => {
                write!(f, "phase {index} {} {ops} {wall_ns} {cpu_ns}", word(name))
            }
            // serde_json escapes control characters: the JSON holds no newline.
            Report::Figures(figures) => match serde_json::to_string(figures) {
                Ok(json) => write!(f, "figures {json}"),
                Err(_) => Err(fmt::Error),
            },
            Report::StopMe { index, ms } => write!(f, "stopme {index} {ms}"),
            Report::Nogil { index, found: Some((exe, version)), .. } => {
                write!(f, "nogil {index} found {} {}", word(exe), word(version))
            }
            Report::Nogil { index, found: None, message } => write!(f, "nogil {index} missing {}", flat(message)),
        }
    }
}

/// One line per message: a newline inside would split it.
fn flat(message: &str) -> String {
    message.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// One field: a space or newline inside would shift the fields after it.
fn word(text: &str) -> String {
    text.chars().map(|c| if c.is_whitespace() || c.is_control() { '_' } else { c }).collect()
}

impl Report {
    /// Parses one line (without its newline). `None` for anything malformed: a line cut short
    /// by a dying process must not invent figures.
    pub fn parse(line: &str) -> Option<Report> {
        let line = line.trim_end_matches(['\n', '\r']);
        let (tag, rest) = line.split_once(' ')?;
        if tag == "error" {
            let (index, message) = rest.split_once(' ').unwrap_or((rest, ""));
            return Some(Report::Error { index: index.parse().ok()?, message: message.to_owned() });
        }
        if tag == "figures" {
            return serde_json::from_str(rest).ok().map(|f| Report::Figures(Box::new(f)));
        }
        if tag == "nogil" {
            let (index, rest) = rest.split_once(' ')?;
            let index = index.parse().ok()?;
            let (what, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            return match (what, rest.split(' ').collect::<Vec<_>>().as_slice()) {
                ("found", [exe, version]) if !exe.is_empty() && !version.is_empty() => Some(Report::Nogil {
                    index,
                    found: Some(((*exe).to_owned(), (*version).to_owned())),
                    message: String::new(),
                }),
                ("missing", _) => Some(Report::Nogil { index, found: None, message: rest.to_owned() }),
                _ => None,
            };
        }
        let fields: Vec<&str> = rest.split(' ').collect();
        match (tag, fields.as_slice()) {
            ("progress", [index, ops, cpu_ns]) => Some(Report::Progress {
                index: index.parse().ok()?,
                ops: ops.parse().ok()?,
                cpu_ns: cpu_ns.parse().ok()?,
            }),
            ("done", [index, ops, cpu_ns, cause]) => Some(Report::Done {
                index: index.parse().ok()?,
                ops: ops.parse().ok()?,
                cpu_ns: cpu_ns.parse().ok()?,
                cause: EndCause::from_word(cause)?,
            }),
            ("child", [index, pid]) => {
                let pid: Pid = pid.parse().ok()?;
                (pid > 0).then_some(Report::Child { index: index.parse().ok()?, pid })
            }
            ("spawn", [threads, thread_ns, processes, process_ns]) => Some(Report::Spawn {
                threads: threads.parse().ok()?,
                thread_ns: thread_ns.parse().ok()?,
                processes: processes.parse().ok()?,
                process_ns: process_ns.parse().ok()?,
            }),
            ("phase", [index, name, ops, wall_ns, cpu_ns]) if !name.is_empty() => Some(Report::Phase {
                index: index.parse().ok()?,
                name: (*name).to_owned(),
                ops: ops.parse().ok()?,
                wall_ns: wall_ns.parse().ok()?,
                cpu_ns: cpu_ns.parse().ok()?,
            }),
            ("stopme", [index, ms]) => Some(Report::StopMe { index: index.parse().ok()?, ms: ms.parse().ok()? }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_round_trips() {
        let reports = [
            Report::Progress { index: 0, ops: 12345, cpu_ns: 987_654_321 },
            Report::Done { index: 7, ops: u64::MAX, cpu_ns: 0, cause: EndCause::Signal },
            Report::Done { index: 1, ops: 3, cpu_ns: 4, cause: EndCause::Orphan },
            Report::Child { index: 0, pid: 4242 },
            Report::Spawn { threads: 200, thread_ns: 4_000_000, processes: 200, process_ns: 30_000_000 },
            Report::Error { index: 2, message: "cannot start thread cpu-3: Resource temporarily unavailable".into() },
            Report::Figures(Box::new(DemoFigures::Ipc(crate::model::figures::IpcFigures {
                runs: vec![crate::model::figures::IpcRun {
                    channel: "pipe\nx".into(),
                    messages: 3,
                    ..Default::default()
                }],
            }))),
            Report::Phase { index: 0, name: "hash".into(), ops: 812, wall_ns: 2_000_000_000, cpu_ns: 3_900_000_000 },
            Report::StopMe { index: 0, ms: 2000 },
            Report::Nogil {
                index: 1,
                found: Some(("/opt/py/bin/python3.13t".into(), "3.13.1".into())),
                message: String::new(),
            },
            Report::Nogil { index: 1, found: None, message: "no free-threaded Python: uv python install 3.13t".into() },
        ];
        for r in reports {
            let line = r.to_string();
            assert!(!line.contains('\n'));
            assert_eq!(Report::parse(&line), Some(r.clone()), "{line}");
            assert_eq!(Report::parse(&format!("{line}\n")), Some(r));
        }
    }

    #[test]
    fn error_messages_stay_on_one_line() {
        let r = Report::Error { index: 0, message: "two\nlines".into() };
        assert_eq!(r.to_string(), "error 0 two lines");
    }

    #[test]
    fn malformed_lines_are_rejected() {
        for line in [
            "",
            "progress",
            "progress 0 12",
            "progress 0 12 34 56",
            "progress 0 -1 34",
            "progress x 1 2",
            "progress 0 1 2.5",
            "done 0 1 2",
            "done 0 1 2 bored",
            "child 0 0",
            "child 0 -5",
            "spawn 1 2 3",
            "hello 0 1 2",
            "progress 0  1 2",
            "error x message",
            "figures {\"race\":",
            "figures {\"gpu\":{}}",
            "phase 0 hash 1 2",
            "phase 0  1 2 3",
            "phase 0 hash 1 2 -3",
            "stopme 0",
            "stopme 0 -1",
            "nogil 1 found /usr/bin/python3.13t",
            "nogil x missing why",
            "nogil 1 maybe",
        ] {
            assert_eq!(Report::parse(line), None, "{line:?}");
        }
    }
}
