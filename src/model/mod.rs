//! The plain data every layer shares: what a demo is and what it measured, what an experiment
//! is and what it found. Serde types and pure helpers only. Imports nothing of ours (std, serde),
//! so `collect`, `lab`, `app`, `ui` and the commands can all use it without importing each other.

pub mod catalog;
pub mod demo;
pub mod experiment;
pub mod figures;
pub mod lessons;
pub mod stack;

/// A process or thread id, as the kernel gives it.
pub type Pid = i32;

#[cfg(test)]
mod experiment_tests;
