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
