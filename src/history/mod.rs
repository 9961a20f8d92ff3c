//! History: recording what the sampler saw to a file and reading it back (`threadtop record`,
//! `threadtop replay`), and the live view's rewind ring. `record` converts `collect::model`
//! snapshots into our own serde types; `codec` makes deltas between frames; `format` is the file
//! layout (header, checksummed frames); `writer` appends and rotates; `reader` indexes, seeks and
//! follows a growing file; `time` shows and parses wall-clock moments; `rewind` keeps the last
//! minutes in memory in the same frame format.
//! May import `collect::model` (and `cli`'s duration parser); never app, ui, runtime, input.

pub mod codec;
pub mod format;
pub mod reader;
pub mod record;
pub mod rewind;
pub mod time;
pub mod writer;

pub use reader::{FrameRef, Gap, Recording};
pub use record::FrameState;
pub use writer::{Writer, WriterConfig, WriterStats};

#[cfg(test)]
pub(crate) mod tests;
