//! Non-interactive modes: `snapshot`, `threads`, `info`.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::Cli;

// SKELETON-STUB: replaced by the collect work.
pub fn snapshot(_cli: &Cli, _json: bool, _sort: Option<&str>, _limit: Option<usize>) -> ExitCode {
    ExitCode::FAILURE
}
// SKELETON-STUB
pub fn threads(_cli: &Cli, _pid: i32, _json: bool, _interval: Option<Duration>) -> ExitCode {
    ExitCode::FAILURE
}
// SKELETON-STUB
pub fn info(_json: bool) -> ExitCode {
    ExitCode::FAILURE
}
