//! The command line's conventions and the config file, through the real binary.

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_threadtop");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).env("XDG_CONFIG_HOME", "/nonexistent-threadtop-test").output().unwrap()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threadtop-cli-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn help_has_examples_and_version_prints() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Examples:") && text.contains("threadtop snapshot --json"), "{text}");
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("threadtop "));
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef threadtop"), ("fish", "complete -c threadtop")] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {}", &text[..text.len().min(200)]);
        assert!(text.contains("snapshot"), "{shell} completes subcommands");
    }
}

#[test]
fn man_page_is_roff() {
    let out = run(&["man"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(".TH threadtop") && text.contains("\\-\\-interval"), "{}", &text[..400.min(text.len())]);
}

#[test]
fn print_config_prints_the_commented_defaults_which_load_back() {
    let out = run(&["--print-config"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("# threadtop configuration") && text.contains("interval = \"1s\""));
    let p = temp_file("printed.toml", &text);
    let out = run(&["--config", p.to_str().unwrap(), "info"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_bad_config_stops_every_mode_with_file_line_column() {
    let p = temp_file("bad.toml", "interval = \"1s\"\ntheme = \"neon\"\n");
    let path = p.to_str().unwrap();
    for args in [vec!["--config", path, "info"], vec!["--config", path, "snapshot"], vec!["--config", path]] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{path}:2:9: unknown theme 'neon'")), "{args:?}: {err}");
    }
}

#[test]
fn the_default_location_is_read_and_no_config_skips_it() {
    let dir = std::env::temp_dir().join(format!("threadtop-xdg-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("threadtop")).unwrap();
    std::fs::write(dir.join("threadtop/config.toml"), "bogus_key = 1\n").unwrap();
    let out = Command::new(BIN).args(["info"]).env("XDG_CONFIG_HOME", &dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.toml:1:1: unknown field `bogus_key`"));
    let out = Command::new(BIN).args(["--no-config", "info"]).env("XDG_CONFIG_HOME", &dir).output().unwrap();
    assert!(out.status.success());
}

#[test]
fn a_missing_explicit_config_is_an_error() {
    let out = run(&["--config", "/nonexistent/threadtop.toml", "info"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the config file"));
}

/// `-u USER` names a user of the passwd database, as htop's does: a typo is refused at once with
/// status 2, before the monitor's check for a terminal (a bad flag is reported first) and
/// before any command runs.
#[test]
fn an_unknown_user_is_refused_by_every_mode() {
    for args in [
        vec!["-u", "nosuchuser"],
        vec!["--user", "nosuchuser", "snapshot"],
        vec!["-u", "nosuchuser", "snapshot", "--json"],
        vec!["-u", "nosuchuser", "--threads-of", "1"],
    ] {
        let out = run(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err, "threadtop: unknown user 'nosuchuser'\n", "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // A uid with no passwd entry is no user either.
    let out = run(&["-u", "4000000000", "snapshot"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "threadtop: unknown user '4000000000'\n");
}

fn snapshot_users(user: &str) -> (Vec<i64>, Vec<String>) {
    let out = run(&["-u", user, "snapshot", "--json"]);
    assert!(out.status.success(), "-u {user}: {}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    (
        rows.iter().map(|r| r["pid"].as_i64().unwrap()).collect(),
        rows.iter().map(|r| r["user"].as_str().unwrap().to_owned()).collect(),
    )
}

/// A numeric uid that has a passwd entry is that user: `-u 1000` lists what `-u alice` does.
#[test]
fn a_user_is_a_name_or_the_uid_of_one() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let uid = status.lines().find_map(|l| l.strip_prefix("Uid:")).unwrap().split_whitespace().next().unwrap();
    let me = i64::from(std::process::id());
    let (pids, users) = snapshot_users(uid);
    assert!(pids.contains(&me), "-u {uid} lists this test ({me}): {pids:?}");
    let name = users[0].clone();
    assert_ne!(name, uid, "uid {uid} has a passwd entry, so rows show its name");
    assert!(users.iter().all(|u| *u == name), "-u {uid} shows only {name}: {users:?}");
    let (pids, users) = snapshot_users(&name);
    assert!(pids.contains(&me) && users.iter().all(|u| *u == name), "-u {name}: {users:?}");
}
