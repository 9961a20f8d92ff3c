//! `threadtop experiment io`: N waits sequentially take N × wait, in threads or processes about
//! one wait; its task processes are named, children of threadtop, and gone afterwards; results
//! are saved and shown again; Ctrl-C cancels. Also `experiment show` on bad files.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::{Observer, identities, output, serial, survivors_after, wait_with_timeout};
use crate::support::{run_watched, spawn};
use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("threadtop-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn io_sequential_takes_n_waits_threads_and_processes_one() {
    let _serial = serial();
    let ran = run_watched(&["experiment", "io", "--json", "-n", "4", "--wait", "0.2"], &[], Duration::from_secs(20));
    assert!(ran.status.success(), "{}\n{}", ran.status, ran.stderr);
    let json: Value =
        serde_json::from_str(ran.stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {}", ran.stdout));
    eprintln!("{json}");
    assert_eq!(json["experiment"], "io");
    assert_eq!(json["n"], 4);
    assert_eq!(json["wait_seconds"], 0.2);
    let secs = |k: &str| json[k].as_f64().unwrap_or_else(|| panic!("{k} missing: {json}"));
    let (seq, threads, procs) = (secs("sequential_s"), secs("threads_s"), secs("processes_s"));
    // No mode waits less than its waits take; the parallel modes overlap the four waits, so
    // sequential >> threaded ≈ processes (4× ideally; 2× leaves room for a loaded machine's
    // process start-up). How long each took on this machine is a bench's business.
    assert!(seq >= 0.8 - 0.01, "sequential {seq} s for 4 × 0.2 s");
    assert!(threads >= 0.19 && procs >= 0.19, "threads {threads} s, processes {procs} s: less than one wait");
    assert!(seq >= 2.0 * threads, "sequential {seq} s is not ≫ threads {threads} s");
    assert!(seq >= 2.0 * procs, "sequential {seq} s is not ≫ processes {procs} s");
    // The process mode's tasks: 4 children of threadtop, each named.
    let tasks: Vec<_> = ran.obs.named("tt-io-task-");
    let mut names: Vec<&str> = tasks.iter().map(|s| s.comm.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["tt-io-task-0", "tt-io-task-1", "tt-io-task-2", "tt-io-task-3"], "{:?}", ran.obs.seen);
    assert!(tasks.iter().all(|s| s.ppid == ran.obs.root), "{tasks:?}");
}

#[test]
fn io_text_saved_and_shown_again() {
    let _serial = serial();
    let dir = temp_dir("io-save");
    let file = dir.join("io.json");
    let file_arg = file.to_string_lossy().into_owned();
    let ran = run_watched(
        &["experiment", "io", "-n", "2", "--wait", "0.1", "--save", &file_arg],
        &[],
        Duration::from_secs(20),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    for needle in ["MODE", "sequential", "threads", "processes", "2 tasks that each wait 0.10 s", "█"] {
        assert!(ran.stdout.contains(needle), "{needle:?} missing in\n{}", ran.stdout);
    }
    assert!(ran.stderr.contains(&format!("saved to {}", file.display())), "{}", ran.stderr);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).expect("saved file")).expect("JSON");
    assert_eq!(saved["experiment"], "io");
    assert_eq!(saved["n"], 2);
    // The machine it ran on, held against what this machine says of itself.
    let machine = &saved["machine"];
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    assert_eq!(machine["kernel"], kernel.trim(), "{saved}");
    assert_eq!(machine["threadtop_version"], env!("CARGO_PKG_VERSION"), "{saved}");
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let online = cpuinfo.lines().filter(|l| l.starts_with("processor")).count() as u64;
    assert_eq!(machine["logical_cores"].as_u64(), Some(online), "{saved}");
    let model = machine["cpu_model"].as_str().unwrap_or_else(|| panic!("no cpu_model: {saved}"));
    let named =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|v| v.trim_start_matches([' ', '\t', ':']));
    match named {
        Some(name) => assert_eq!(model, name.trim(), "{saved}"),
        None => assert!(!model.is_empty(), "{saved}"),
    }
    assert!(ran.stdout.contains(&format!("kernel {}", kernel.trim())), "{}", ran.stdout);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
        .args(["experiment", "show", &file_arg])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = String::from_utf8_lossy(&out.stdout);
    // The same table as when it ran (the progress lines went to stderr then).
    assert_eq!(shown, ran.stdout);

    // --save with no path: under $XDG_DATA_HOME/threadtop/, named by experiment and time.
    let xdg = dir.join("xdg");
    let xdg_arg = xdg.to_string_lossy().into_owned();
    let ran = run_watched(
        &["experiment", "io", "-n", "1", "--wait", "0.05", "--json", "--save"],
        &[("XDG_DATA_HOME", &xdg_arg)],
        Duration::from_secs(20),
    );
    assert!(ran.status.success(), "{}", ran.stderr);
    let files: Vec<PathBuf> =
        std::fs::read_dir(xdg.join("threadtop")).expect("the default dir").flatten().map(|e| e.path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("io-") && name.ends_with("Z.json") && !name.contains(':'), "{name}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&files[0]).unwrap()).unwrap();
    let printed: Value = serde_json::from_str(ran.stdout.trim()).unwrap();
    assert_eq!(saved, printed);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_during_the_processes_kills_them_and_prints_what_was_measured() {
    let _serial = serial();
    let mut child = spawn(&["experiment", "io", "--json", "-n", "2", "--wait", "0.6"], &[]);
    let mut obs = Observer::new(child.id() as i32);
    // Sequential (1.2 s) and threads (0.6 s) first; then the processes, each waiting 0.6 s.
    let up = obs.poll_until(Duration::from_secs(10), |o| o.named("tt-io-task-").len() == 2);
    assert!(up, "the task processes never started: {:?}", obs.seen);
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("signal threadtop");
    let status = wait_with_timeout(&mut child, Duration::from_secs(3));
    let (stdout, stderr) = output(child);
    assert_eq!(status.code(), Some(130), "{stderr}");
    let json: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"));
    assert_eq!(json["cancelled"], true, "{json}");
    assert!(json["sequential_s"].as_f64().is_some() && json["threads_s"].as_f64().is_some(), "{json}");
    assert!(json["processes_s"].is_null(), "{json}");
    let left = survivors_after(&identities(&obs), Duration::from_secs(1));
    assert!(left.is_empty(), "left {left:?}");
}

#[test]
fn show_refuses_what_is_not_a_result() {
    let dir = temp_dir("io-show");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"experiment\": \"warp-drive\"}").unwrap();
    for (path, needle) in [(bad.clone(), "not a saved threadtop experiment"), (dir.join("missing.json"), "cannot read")]
    {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_threadtop"))
            .args(["experiment", "show"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(needle), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_of_threadtop_takes_the_task_processes_along() {
    let _serial = serial();
    let mut child = spawn(&["experiment", "io", "--json", "-n", "2", "--wait", "0.8"], &[]);
    let mut obs = Observer::new(child.id() as i32);
    let up = obs.poll_until(Duration::from_secs(10), |o| o.named("tt-io-task-").len() == 2);
    assert!(up, "the task processes never started: {:?}", obs.seen);
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("SIGKILL threadtop");
    let _ = child.wait();
    // PDEATHSIG, armed before exec: they die with threadtop, long before their 0.8 s wait ends.
    let left = survivors_after(&identities(&obs), Duration::from_millis(300));
    assert!(left.is_empty(), "left after SIGKILL of threadtop: {left:?}");
}
