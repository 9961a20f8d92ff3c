//! The house rules of docs/ARCHITECTURE.md, checked: which room may not import which. A grep over
//! the non-test code of src/, so that a forbidden `use` fails `cargo test` the day it appears.

use std::path::{Path, PathBuf};

/// (room, what its code may not name). A room is a folder or a file under src/.
const RULES: &[(&str, &[&str])] = &[
    (
        "model",
        &[
            "crate::inspect",
            "crate::collect",
            "crate::app",
            "crate::ui",
            "crate::lab",
            "crate::runtime",
            "crate::input",
            "crate::commands",
            "crate::cli",
            "crate::config",
            "crate::control",
            "ratatui",
            "crossterm",
            "tokio",
        ],
    ),
    (
        "collect",
        &[
            "crate::app",
            "crate::ui",
            "crate::lab",
            "crate::runtime",
            "crate::input",
            "crate::commands",
            "crate::cli",
            "crate::config",
            "ratatui",
            "crossterm",
        ],
    ),
    (
        "control.rs",
        &[
            "crate::app",
            "crate::ui",
            "crate::lab",
            "crate::runtime",
            "crate::input",
            "crate::commands",
            "ratatui",
            "crossterm",
            "tokio",
        ],
    ),
    (
        "app",
        &[
            "crate::inspect",
            "crate::lab",
            "crate::ui",
            "crate::runtime",
            "crate::input",
            "crate::control",
            "crate::commands",
            "crate::cli",
            "crate::config",
            "crate::collect::sampler",
            "crate::collect::procfs",
            "ratatui",
            "crossterm",
            "tokio",
        ],
    ),
    (
        "ui",
        &[
            "crate::inspect",
            "crate::lab",
            "crate::runtime",
            "crate::control",
            "crate::commands",
            "crate::cli",
            "crate::config",
            "crate::collect::sampler",
            "crate::collect::procfs",
            "crossterm",
            "tokio",
        ],
    ),
    (
        "lab",
        &[
            "crate::app",
            "crate::ui",
            "crate::runtime",
            "crate::input",
            "crate::commands",
            "crate::cli",
            "crate::config",
            "ratatui",
            "crossterm",
        ],
    ),
    (
        "history",
        &[
            "crate::app",
            "crate::ui",
            "crate::lab",
            "crate::runtime",
            "crate::input",
            "crate::commands",
            "crate::control",
            "crate::config",
            "crate::collect::sampler",
            "crate::collect::procfs",
            "ratatui",
            "crossterm",
            "tokio",
        ],
    ),
    (
        "metrics",
        &[
            "crate::app",
            "crate::ui",
            "crate::lab",
            "crate::runtime",
            "crate::input",
            "crate::control",
            "crate::commands",
            "crate::cli",
            "crate::config",
            "crate::collect::procfs",
            "ratatui",
            "crossterm",
        ],
    ),
    ("input", &["crate::runtime", "crate::lab", "crate::ui", "crate::control", "crate::commands", "tokio"]),
    (
        "inspect",
        &[
            "crate::app",
            "crate::ui",
            "crate::lab",
            "crate::runtime",
            "crate::input",
            "crate::commands",
            "crate::cli",
            "crate::config",
            "crate::control",
            "crate::collect::sampler",
            "crate::collect::procfs",
            "ratatui",
            "crossterm",
            "tokio",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            // A folder of tests is test code.
            if p.file_name().is_some_and(|n| n != "tests") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(p);
        }
    }
}

/// The file's code before its `#[cfg(test)]` module, without comments.
fn code_of(text: &str) -> String {
    let end = text.find("#[cfg(test)]\nmod ").unwrap_or(text.len());
    text[..end]
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("//") || t.starts_with("///") || t.starts_with("//!"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every place a room names what it may not, as "file:line: name".
fn violations(src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for (room, banned) in RULES {
        let at = src.join(room);
        let mut files = Vec::new();
        if at.is_dir() {
            rust_files(&at, &mut files);
        } else {
            files.push(at.clone());
        }
        assert!(!files.is_empty(), "room {room} has no files: docs/ARCHITECTURE.md and this list must change together");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for (n, line) in code_of(&text).lines().enumerate() {
                for b in *banned {
                    // `crate::lab` must not match `crate::lab_x`; `tokio` must be a path, not a word in a string.
                    let hit = line.match_indices(b).any(|(i, _)| {
                        let after = line[i + b.len()..].chars().next();
                        let before = line[..i].chars().last();
                        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                            && !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '"')
                    });
                    if hit {
                        found.push(format!("{}:{}: {room} may not use {b}", f.display(), n + 1));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn no_room_imports_what_the_architecture_forbids() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let v = violations(&src);
    assert!(v.is_empty(), "forbidden imports (docs/ARCHITECTURE.md):\n{}", v.join("\n"));
}

#[test]
fn the_check_finds_a_forbidden_import() {
    let dir = std::env::temp_dir().join(format!("threadtop-rooms-{}", std::process::id()));
    let app = dir.join("app");
    let _ = std::fs::create_dir_all(&app);
    for (room, _) in RULES {
        let p = dir.join(room);
        if room.ends_with(".rs") {
            let _ = std::fs::write(&p, "");
        } else {
            let _ = std::fs::create_dir_all(&p);
            let _ = std::fs::write(p.join("mod.rs"), "");
        }
    }
    std::fs::write(app.join("mod.rs"), "// crate::lab in a comment is fine\nuse crate::lab::Supervisor;\n#[cfg(test)]\nmod tests {\n    use crate::lab::x;\n}\n").unwrap();
    let v = violations(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].ends_with("mod.rs:1: app may not use crate::lab") || v[0].contains("app may not use crate::lab"),
        "{v:?}"
    );
}
