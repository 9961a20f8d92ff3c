//! The tokio loop: owns the terminal, the channels and the tasks. The only room (with `input`)
//! that touches crossterm.

use std::process::ExitCode;

use crate::cli::Cli;

// SKELETON-STUB
pub fn run_tui(_cli: &Cli) -> ExitCode {
    ExitCode::FAILURE
}
