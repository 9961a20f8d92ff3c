//! Sampling /proc: readers, parsers, rates and the sampler thread. Imports neither `app` nor
//! `ui`, and no ratatui or crossterm.

pub mod model;
