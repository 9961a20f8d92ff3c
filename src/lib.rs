//! threadtop: an htop-like process and thread monitor for Linux, with a thread drill-down and a
//! lab of demo workloads. Everything testable lives in this library; `main.rs` only picks a mode.
//!
//! Data flows one way: `collect` (sampler thread) → `Snapshot` → `runtime` (tokio loop) →
//! `Action` → `app` (pure state) → `ui` (draws `&App`). `lab` runs demo workloads.

pub mod app;
pub mod cli;
pub mod collect;
pub mod commands;
pub mod config;
pub mod control;
pub mod history;
pub mod input;
pub mod inspect;
pub mod lab;
pub mod metrics;
pub mod model;
pub mod runtime;
pub mod ui;

#[cfg(test)]
mod rooms;
