//! Sampling /proc: the hand parsers and the reader of the proc root (`procfs`), rates, system
//! figures, user names, and the sampler with its thread; `model` is the plain data they make. The
//! bottom room: imports no other room of threadtop (neither `app`, `ui`, `input`, `lab`, `runtime`
//! nor the lab's data in `crate::model`: `demo`, `experiment`, `catalog`), and no ratatui or
//! crossterm; a test below checks every file.

pub mod model;
pub mod procfs;
pub mod rates;
pub mod sampler;
pub mod system;
pub mod users;

pub use sampler::{Control, Sampler, SamplerConfig, SamplerHandle, SnapshotReceiver, spawn};

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The rule of this module's first lines, checked: no file of `collect` names a room above
    /// it or a terminal crate (comments may).
    #[test]
    fn collect_imports_no_room_above_it() {
        // `crate::model` itself is shared plain data (`Pid`); its lab parts are not for collect.
        let rooms = [
            "app",
            "ui",
            "input",
            "lab",
            "runtime",
            "commands",
            "config",
            "cli",
            "control",
            "model::demo",
            "model::experiment",
            "model::catalog",
        ];
        let mut forbidden: Vec<String> = rooms.iter().map(|r| format!("crate::{r}")).collect();
        forbidden.extend(["ratatui".to_string(), "crossterm".to_string(), "threadtop::".to_string()]);
        let this_file = Path::new(env!("CARGO_MANIFEST_DIR")).join(file!());
        let mut files = Vec::new();
        rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/collect"), &mut files);
        assert!(files.len() > 10, "{files:?}");
        let mut found = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            // This test names what it looks for: its own file is checked down to its tests.
            let end = if *f == this_file { text.find("#[cfg(test)]").unwrap() } else { text.len() };
            for (i, line) in text[..end].lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                // `crate::model::` but not `crate::collect::model::`: the check is on whole paths.
                let hit = forbidden.iter().find(|w| {
                    code.match_indices(w.as_str()).any(|(at, _)| {
                        let after = code[at + w.len()..].chars().next();
                        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    })
                });
                if let Some(w) = hit {
                    found.push(format!("{}:{}: {w}", f.display(), i + 1));
                }
            }
        }
        assert!(found.is_empty(), "collect imports a room above it:\n{}", found.join("\n"));
    }
}
