//! Sampling /proc: the hand parsers and the reader of the proc root (`procfs`), rates, system
//! figures, user names, and the sampler with its thread; `model` is the plain data they make. The
//! bottom room: imports no other room of threadtop (neither `app`, `ui`, `input`, `lab`, `runtime`
//! nor the lab's data in `crate::model`: `demo`, `experiment`, `catalog`), and no ratatui or
//! crossterm (src/rooms.rs checks it).

pub mod model;
pub mod net;
pub mod procfs;
pub mod rates;
pub mod sampler;
pub mod system;
pub mod users;

pub use sampler::{Control, Sampler, SamplerConfig, SamplerHandle, SnapshotReceiver, spawn};
