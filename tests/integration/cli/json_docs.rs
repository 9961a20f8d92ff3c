//! docs/JSON.md describes every key the JSON outputs print: this runs each command for real,
//! walks its output and fails on any key that has no row (`| `key` |`) in that command's section
//! of the document, so a field added to a serde struct cannot go undocumented.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_threadtop");
const DOC: &str = include_str!("../../../docs/JSON.md");

fn json_of(args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent-threadtop-test")
        .stdin(Stdio::null())
        .output()
        .expect("run threadtop");
    assert!(out.status.success(), "threadtop {args:?}: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("threadtop {args:?} is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Every object key anywhere in `v`.
fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// The part of the document under the `## ` heading that starts with `heading`, up to the next.
fn section(heading: &str) -> &'static str {
    let start = DOC.find(&format!("\n## {heading}")).unwrap_or_else(|| panic!("docs/JSON.md has no '## {heading}'"));
    let rest = &DOC[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

/// Fails, listing them all, on keys of `output` without a table row in the section.
fn documented(heading: &str, output: &Value) {
    let mut found = BTreeSet::new();
    keys(output, &mut found);
    assert!(!found.is_empty(), "{heading}: no keys in {output}");
    let text = section(heading);
    let missing: Vec<&String> = found.iter().filter(|k| !text.contains(&format!("| `{k}` |"))).collect();
    assert!(missing.is_empty(), "docs/JSON.md, section '{heading}', has no row for {missing:?}");
}

#[test]
fn snapshot_keys_are_documented() {
    let v = json_of(&["snapshot", "--json"]);
    assert!(v.as_array().is_some_and(|rows| !rows.is_empty()), "{v}");
    documented("`threadtop snapshot --json`", &v);
}

#[test]
fn threads_keys_are_documented() {
    let mut child = Command::new("sleep").arg("30").spawn().expect("start sleep");
    let pid = child.id().to_string();
    let v = json_of(&["threads", &pid, "--json", "--interval", "100ms"]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(v["threads"].as_array().is_some_and(|t| !t.is_empty()), "{v}");
    documented("`threadtop threads PID --json`", &v);
}

#[test]
fn info_keys_are_documented() {
    documented("`threadtop info --json`", &json_of(&["info", "--json"]));
}

#[test]
fn demo_keys_are_documented() {
    // spawn-cost prints the most keys: the common ones and its own three.
    let v = json_of(&["demo", "spawn-cost", "-n", "2", "--seconds", "2", "--json"]);
    assert!(v.get("ratio").is_some(), "{v}");
    documented("`threadtop demo KIND --json`", &v);
    let v = json_of(&["demo", "io-threads", "-n", "1", "--seconds", "0.3", "--json"]);
    documented("`threadtop demo KIND --json`", &v);
    // The step demos add an object each under their kind's key.
    for (kind, key) in
        [("memory", "memory"), ("race", "race"), ("switch-cost", "switch_cost"), ("ipc", "ipc"), ("real-io", "real_io")]
    {
        let n = if kind == "switch-cost" || kind == "ipc" { "2" } else { "1" };
        let v = json_of(&["demo", kind, "-n", n, "--seconds", "3", "--json"]);
        assert!(v.get(key).is_some(), "{v}");
        documented("`threadtop demo KIND --json`", &v);
    }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threadtop-json-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const EXPERIMENT: &str = "`threadtop experiment";

#[test]
fn experiment_keys_are_documented_printed_and_saved() {
    let dir = temp_dir();
    let saved = dir.join("io.json");
    let io = ["experiment", "io", "-n", "1", "--wait", "0.05", "--json", "--save", saved.to_str().unwrap()];
    documented(EXPERIMENT, &json_of(&io));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    documented(EXPERIMENT, &file);
    let scaling = ["experiment", "scaling", "--step-seconds", "0.1", "--repeats", "1", "--max-workers", "1", "--json"];
    let v = json_of(&scaling);
    assert!(v["steps"].as_array().is_some_and(|s| !s.is_empty()), "{v}");
    documented(EXPERIMENT, &v);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The python experiment needs python3, so its keys come from its serde types: a result read
/// back, as `show` does, and written again has every field the type has.
#[test]
fn python_experiment_keys_are_documented() {
    use threadtop::model::experiment::ExperimentResult;
    let run = |kind: &str| {
        serde_json::json!({"kind": kind, "workers": 2, "wall_seconds": 1.0, "cpu_seconds": 1.0,
            "cores_used": 1.0, "ops": 10, "ops_per_sec": 10.0, "other_cores": 0.0})
    };
    let read = serde_json::json!({
        "experiment": "python", "python_version": "3.11.7", "python_executable": "/usr/bin/python3",
        "gil_enabled": true, "logical_cores": 2, "workers": 2, "step_seconds": 1.0,
        "threads": run("py-threads"), "processes": run("py-procs"), "started_at": "2026-05-09T04:30:00Z"
    });
    let result: ExperimentResult = serde_json::from_value(read).expect("a python result");
    let written = serde_json::to_value(&result).unwrap();
    assert!(written["threads"].is_object() && written["processes"].is_object(), "{written}");
    documented(EXPERIMENT, &written);
}

/// The check itself: a key the document does not have is caught.
#[test]
fn an_undocumented_key_is_caught() {
    let v = serde_json::json!([{"pid": 1, "no_such_field_anywhere": 2}]);
    let caught = std::panic::catch_unwind(|| documented("`threadtop snapshot --json`", &v));
    let message = caught.expect_err("an undocumented key must fail");
    let message = message.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("no_such_field_anywhere") && !message.contains("\"pid\""), "{message}");
}
