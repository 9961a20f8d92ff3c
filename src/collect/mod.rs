//! Sampling /proc: readers, parsers, rates and the sampler thread. Imports neither `app` nor
//! `ui`, and no ratatui or crossterm.

pub mod model;
pub mod procfs;
pub mod rates;
pub mod sampler;
pub mod system;
pub mod users;

pub use sampler::{Control, Sampler, SamplerConfig, SamplerHandle, SnapshotReceiver, spawn};
