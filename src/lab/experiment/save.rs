//! Keeping results: where they go by default (`$XDG_DATA_HOME/threadtop/`, else
//! `~/.local/share/threadtop/`), how the file is named (experiment and time), writing and
//! reading them back.
//! Outside the lab, imports only `collect` and `model`: never app, ui, input, runtime, cli
//! or commands.

use std::path::{Path, PathBuf};

use crate::model::experiment::ExperimentResult;

/// The directory results are saved in when the user names none; None without a home.
pub fn default_dir() -> Option<PathBuf> {
    data_dir(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
}

/// The XDG rule: `$XDG_DATA_HOME` if it is an absolute path, else `$HOME/.local/share`.
fn data_dir(xdg: Option<std::ffi::OsString>, home: Option<std::ffi::OsString>) -> Option<PathBuf> {
    let base = match xdg.map(PathBuf::from).filter(|p| p.is_absolute()) {
        Some(p) => p,
        None => PathBuf::from(home.filter(|h| !h.is_empty())?).join(".local/share"),
    };
    Some(base.join("threadtop"))
}

/// `scaling-2026-05-09T04-30-00Z.json`: the experiment and when it started (colons left out,
/// as some file systems and tools choke on them).
pub fn file_name(result: &ExperimentResult) -> String {
    let started = result.started_at();
    let stamp = if started.is_empty() {
        humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
    } else {
        started.to_owned()
    };
    let stamp: String = stamp.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    format!("{}-{stamp}.json", result.kind().name())
}

/// Where `save(result, path)` writes: `path` itself, or the default file name inside `path`
/// when it is a directory, or inside the default directory when `path` is None.
pub fn target(result: &ExperimentResult, path: Option<&Path>) -> Result<PathBuf, String> {
    match path {
        Some(p) if p.is_dir() => Ok(p.join(file_name(result))),
        Some(p) => Ok(p.to_path_buf()),
        None => default_dir()
            .map(|d| d.join(file_name(result)))
            .ok_or_else(|| "no place to save to: set XDG_DATA_HOME or HOME, or name a file".to_owned()),
    }
}

/// Writes `result` as pretty JSON (see `target` for where); returns the path written. Creates
/// the directory; writes a temporary file first and renames it, so a reader never sees half a
/// result.
pub fn save(result: &ExperimentResult, path: Option<&Path>) -> Result<PathBuf, String> {
    let target = target(result, path)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(result).map_err(|e| e.to_string())? + "\n";
    let mut tmp = target.clone().into_os_string();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &target).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", target.display())
    })?;
    Ok(target)
}

/// Reads a saved result (or the output of `--json`).
pub fn load(path: &Path) -> Result<ExperimentResult, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a saved threadtop experiment: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::experiment::IoResult;

    fn io(started_at: &str) -> ExperimentResult {
        ExperimentResult::Io(IoResult {
            n: 4,
            wait_seconds: 0.2,
            sequential_s: Some(0.8),
            threads_s: Some(0.2),
            processes_s: Some(0.21),
            logical_cores: 2,
            cancelled: false,
            started_at: started_at.into(),
            machine: None,
        })
    }

    #[test]
    fn xdg_data_home_then_home() {
        let d = |x: Option<&str>, h: Option<&str>| data_dir(x.map(Into::into), h.map(Into::into));
        assert_eq!(d(Some("/data"), Some("/home/u")), Some(PathBuf::from("/data/threadtop")));
        // A relative XDG_DATA_HOME is invalid by the spec and ignored.
        assert_eq!(d(Some("rel"), Some("/home/u")), Some(PathBuf::from("/home/u/.local/share/threadtop")));
        assert_eq!(d(None, Some("/home/u")), Some(PathBuf::from("/home/u/.local/share/threadtop")));
        assert_eq!(d(None, None), None);
        assert_eq!(d(Some(""), Some("")), None);
    }

    #[test]
    fn files_are_named_by_experiment_and_time() {
        assert_eq!(file_name(&io("2026-05-09T04:30:00Z")), "io-2026-05-09T04-30-00Z.json");
        let now = file_name(&io(""));
        assert!(now.starts_with("io-20") && now.ends_with("Z.json") && !now.contains(':'), "{now}");
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = std::env::temp_dir().join(format!("threadtop-save-test-{}", std::process::id()));
        let result = io("2026-05-09T04:30:00Z");
        // Into a directory that does not exist yet: the named file.
        let file = dir.join("sub/mine.json");
        assert_eq!(save(&result, Some(&file)).unwrap(), file);
        assert_eq!(load(&file).unwrap(), result);
        // Into an existing directory: the default name inside it.
        let named = save(&result, Some(&dir)).unwrap();
        assert_eq!(named, dir.join("io-2026-05-09T04-30-00Z.json"));
        assert!(!dir.join("io-2026-05-09T04-30-00Z.json.tmp").exists());
        std::fs::write(dir.join("bad.json"), "{\"experiment\":\"nope\"}").unwrap();
        assert!(load(&dir.join("bad.json")).unwrap_err().contains("not a saved threadtop experiment"));
        assert!(load(&dir.join("missing.json")).unwrap_err().contains("cannot read"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
