//! threadtop's integration tests: one binary (one link of the crate), a module per area and one
//! support module. Tests that must not overlap with another heavy one (demos using cores, CPU
//! measurements, torture scenarios) take `support::serial()`; light ones in a real terminal take
//! `support::shared()`; pure command-line tests take nothing and run beside anything.

// A test's set-up that fails is the test failing: the support code may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod control;
mod e2e;
mod experiment;
mod gil;
mod history;
mod in_process;
mod lab;
mod metrics;
mod support;
mod torture;
mod why;
