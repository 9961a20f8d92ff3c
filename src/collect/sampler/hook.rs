//! The test hook `THREADTOP_TEST_PANIC`: `sampler` panics the sampler thread after its first
//! sample; `sampler-when:PATH` after the first sample taken once PATH exists, so a test can launch
//! demos first and then see that a panic still takes them down. Imports nothing of threadtop; no
//! `app`, `ui`, `lab`, the lab's data (`crate::model::{demo, experiment}`), ratatui or crossterm.
//!
//! Compiled only into what tests run, by `cfg(any(test, debug_assertions, feature = "test-hooks"))`.
//! Not a feature alone: the pty tests (tests/torture_signals.rs, tests/e2e_tui.rs) start the
//! binary cargo built for them, with the package's default features, so a feature off by default
//! would leave plain `cargo test` (README's test command) without the hook. That binary is a dev
//! build, with debug assertions on; a release build has none, so the release binary carries no
//! hook and not even the variable's name. `--features test-hooks` puts it into an optimized build
//! (`cargo test --release --features test-hooks`).

#[cfg(any(test, debug_assertions, feature = "test-hooks"))]
mod imp {
    use std::path::PathBuf;

    #[derive(Clone, Debug, PartialEq)]
    pub enum TestPanic {
        AfterFirst,
        WhenExists(PathBuf),
    }

    impl TestPanic {
        pub fn from_env() -> Option<Self> {
            let v = std::env::var_os("THREADTOP_TEST_PANIC")?;
            if v == "sampler" {
                return Some(TestPanic::AfterFirst);
            }
            let path = v.to_str()?.strip_prefix("sampler-when:")?;
            Some(TestPanic::WhenExists(PathBuf::from(path)))
        }

        fn due(&self) -> bool {
            match self {
                TestPanic::AfterFirst => true,
                TestPanic::WhenExists(path) => path.exists(),
            }
        }
    }

    /// Called after each sample is published.
    pub fn panic_if_due(hook: Option<&TestPanic>) {
        if hook.is_some_and(TestPanic::due) {
            panic!("test panic in sampler");
        }
    }
}

#[cfg(not(any(test, debug_assertions, feature = "test-hooks")))]
mod imp {
    /// No hook in this build: a type with no values.
    #[derive(Clone, Debug, PartialEq)]
    pub enum TestPanic {}

    impl TestPanic {
        pub fn from_env() -> Option<Self> {
            None
        }
    }

    pub fn panic_if_due(_: Option<&TestPanic>) {}
}

pub(super) use imp::{TestPanic, panic_if_due};
