//! Demo workloads: launch, track, stop and reap them. Knows nothing of the UI.

pub mod catalog;
pub mod measure;
pub mod model;
mod protocol;
pub mod worker;

// SKELETON-STUB: replaced by the lab work.
pub mod headless {
    pub fn run(
        _kind: &str,
        _n: Option<u32>,
        _s: Option<f64>,
        _json: bool,
    ) -> std::process::ExitCode {
        std::process::ExitCode::FAILURE
    }
}
