//! The GIL, seen: `threadtop threads PID --json` on a real CPython whose threads spin in pure
//! Python, under two or more interpreters (3.11 and later: their thread states carry the OS
//! thread id py-spy matches to a TID). The busy threads' GIL% sums to about 100 while their CPU%
//! sums to about one core, and python_function names the script's function; a process that is
//! not Python gets nulls and no sampler; the sampler (a `threadtop-pyspy` child process named
//! tt-pyspy) runs only while a Python process is focused, and never outlives threadtop.
//!
//! They need CPython 3.11+ (python3.11, python3.12, python3.13 on PATH, or under pyenv's
//! versions; `THREADTOP_TEST_PYTHONS=/path/a:/path/b` names them): with fewer than two found they
//! fail, unless `THREADTOP_SKIP_PYTHON=1`. The CPU bar is never lowered on a busy machine: the
//! run is repeated, then fails unless `THREADTOP_SKIP_BUSY=1`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use threadtop::collect::{Sampler, SamplerConfig};

use crate::support::{BIN, busy_ticks, clock_ticks_per_sec, cores, cpu_ticks, opted_out, serial, with_free_cores};

/// Two (or `argv[1]`) threads spinning in `spin_worker`, one sleeping, for `argv[2]` seconds.
const SCRIPT: &str = r#"
import sys, threading, time
def spin_worker():
    x = 1
    while True:
        x = (x * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
def sleeper():
    while True:
        time.sleep(0.2)
for i in range(int(sys.argv[1])):
    threading.Thread(target=spin_worker, daemon=True).start()
threading.Thread(target=sleeper, daemon=True).start()
time.sleep(float(sys.argv[2]))
"#;

/// The CPython 3.11+ interpreters to test, by their real executable (not a pyenv shim).
fn interpreters() -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = match std::env::var_os("THREADTOP_TEST_PYTHONS") {
        Some(list) => std::env::split_paths(&list).collect(),
        None => {
            let pyenv = std::env::var_os("PYENV_ROOT")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
            let mut c = Vec::new();
            for minor in [11, 12, 13] {
                let name = format!("python3.{minor}");
                c.push(PathBuf::from(&name));
                if let Some(versions) = pyenv.as_ref().map(|p| p.join("versions"))
                    && let Ok(dir) = std::fs::read_dir(&versions)
                {
                    let mut found: Vec<PathBuf> = dir
                        .flatten()
                        .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("3.{minor}.")))
                        .map(|e| e.path().join("bin").join(&name))
                        .collect();
                    found.sort();
                    c.extend(found);
                }
            }
            c
        }
    };
    // What each one really is: its sys.executable, if it runs and is 3.11+ with a GIL.
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for c in candidates.drain(..) {
        let probe = Command::new(&c)
            .args([
                "-c",
                "import sys; g = getattr(sys, '_is_gil_enabled', lambda: True)(); \
                 print('%d.%d' % sys.version_info[:2], int(g), sys.executable)",
            ])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        let Ok(o) = probe else { continue };
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let mut f = text.split_whitespace();
        let (Some(version), Some("1"), Some(exe)) = (f.next(), f.next(), f.next()) else { continue };
        let minor: u32 = version.strip_prefix("3.").and_then(|m| m.parse().ok()).unwrap_or(0);
        if o.status.success() && minor >= 11 && !out.iter().any(|(v, _)| v == version) {
            out.push((version.to_owned(), PathBuf::from(exe)));
        }
    }
    out.into_iter().map(|(_, p)| p).collect()
}

/// At least two interpreters, or None when the user opted out. Panics otherwise.
fn wanted() -> Option<Vec<PathBuf>> {
    if opted_out("THREADTOP_SKIP_PYTHON") {
        return None;
    }
    let found = interpreters();
    assert!(
        found.len() >= 2,
        "these tests need two CPython 3.11+ interpreters (python3.11/3.12/3.13 on PATH or under pyenv, or \
         THREADTOP_TEST_PYTHONS=a:b); found {found:?}. THREADTOP_SKIP_PYTHON=1 leaves them out"
    );
    Some(found)
}

/// A Python process killed and reaped when dropped, even when the test fails.
struct Py(Child);

impl Py {
    fn start(python: &PathBuf, busy: u32, seconds: u32) -> Py {
        let child = Command::new(python)
            .args(["-c", SCRIPT, &busy.to_string(), &seconds.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python starts");
        let py = Py(child);
        // Its threads up: main + busy + sleeper.
        let end = Instant::now() + Duration::from_secs(10);
        while crate::support::threads(py.pid()).len() < busy as usize + 2 {
            assert!(Instant::now() < end, "{} did not start its threads", python.display());
            sleep(Duration::from_millis(20));
        }
        py
    }

    fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Py {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn threads_json(pid: i32) -> Value {
    let out = Command::new(BIN)
        .args(["threads", &pid.to_string(), "--json", "--interval", "1s"])
        .stdin(Stdio::null())
        .output()
        .expect("threadtop threads runs");
    assert!(out.status.success(), "threads {pid}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// One `threads --json` of a 2-spinner process: (the busy threads' GIL% sum and CPU% sum, cores
/// the rest of the machine left free meanwhile).
fn measure(python: &PathBuf) -> ((f64, f64), f64) {
    let py = Py::start(python, 2, 30);
    // Past the interpreter's start-up.
    sleep(Duration::from_millis(300));
    let (busy0, mine0, t0) = (busy_ticks(), cpu_ticks(py.pid()).unwrap_or(0), Instant::now());
    let json = threads_json(py.pid());
    let (busy1, mine1, wall) = (busy_ticks(), cpu_ticks(py.pid()).unwrap_or(0), t0.elapsed().as_secs_f64());
    eprintln!("{}: {json}", python.display());
    let p = &json["python"];
    assert!(p.is_object(), "a Python process has a python object: {json}");
    assert!(p["error"].is_null(), "{json}");
    assert!(p["version"].as_str().is_some_and(|v| v.starts_with("3.")), "{json}");
    assert!(p["samples"].as_u64().unwrap() >= 50, "about 100 samples in 1 s at 100/s: {json}");

    let threads = json["threads"].as_array().unwrap();
    let busy: Vec<&Value> = threads
        .iter()
        .filter(|t| t["python_function"].as_str().is_some_and(|f| f.starts_with("spin_worker (<string>:")))
        .collect();
    assert_eq!(busy.len(), 2, "python_function names the two spinners' function: {json}");
    let sleeper = threads.iter().find(|t| t["python_function"].as_str().is_some_and(|f| f.starts_with("sleeper (")));
    let sleeper = sleeper.unwrap_or_else(|| panic!("the sleeper is named: {json}"));
    assert!(sleeper["gil_percent"].as_f64().unwrap() < 5.0, "a sleeper hardly holds the GIL: {json}");

    let gil: f64 = busy.iter().map(|t| t["gil_percent"].as_f64().unwrap()).sum();
    let cpu: f64 = busy.iter().map(|t| t["cpu_percent"].as_f64().unwrap()).sum();
    let hz = clock_ticks_per_sec() as f64;
    let others = (busy1.saturating_sub(busy0) as f64 - mine1.saturating_sub(mine0) as f64).max(0.0) / hz / wall;
    ((gil, cpu), f64::from(cores()) - others)
}

#[test]
fn gil_percent_of_busy_threads_sums_to_about_100_and_their_cpu_to_one_core() {
    let _serial = serial();
    let Some(pythons) = wanted() else { return };
    for python in &pythons {
        let judged = with_free_cores(&format!("GIL {}", python.display()), 1.2, 3, || {
            let ((gil, cpu), free) = measure(python);
            eprintln!("{}: busy threads GIL% {gil:.1}, CPU% {cpu:.1}, {free:.2} cores free", python.display());
            // GIL% does not depend on what else runs: a holder that is preempted still holds it.
            assert!((80.0..=105.0).contains(&gil), "{}: GIL% of the spinners sums to {gil:.1}", python.display());
            // One at a time: never much more than one core, whatever the machine does.
            assert!(cpu <= 130.0, "{}: the spinners used {cpu:.1}% of a core", python.display());
            (cpu, free)
        });
        if let Some(cpu) = judged {
            assert!(cpu >= 70.0, "{}: the spinners used {cpu:.1}% of a core with a core free", python.display());
        }
    }
}

#[test]
fn a_process_that_is_not_python_gets_nulls_and_no_sampler() {
    // Serial: another test's in-process sampler would have a tt-pyspy child of this process.
    let _serial = serial();
    let mut sleeper = Command::new("sleep").arg("30").stdin(Stdio::null()).spawn().expect("sleep starts");
    let pid = sleeper.id() as i32;
    let json = threads_json(pid);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(json["python"].is_null(), "{json}");
    for t in json["threads"].as_array().unwrap() {
        assert!(t["gil_percent"].is_null() && t["python_function"].is_null(), "{json}");
    }
    // In process: focused on this test process (not Python), no tt-pyspy helper starts.
    let sampler = Sampler::new(SamplerConfig { focus: Some(std::process::id() as i32), ..SamplerConfig::default() });
    assert!(!pyspy_thread_appears(), "a non-Python focus starts no py-spy sampler");
    drop(sampler);
}

/// The tt-pyspy helpers whose parent is `parent` now.
fn pyspy_helpers_of(parent: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            crate::support::stat(pid).is_some_and(|s| s.ppid == parent && s.comm == "tt-pyspy" && s.state != 'Z')
        })
        .collect()
}

/// Whether this process has a tt-pyspy helper now.
fn pyspy_thread_running() -> bool {
    !pyspy_helpers_of(std::process::id() as i32).is_empty()
}

/// Whether a tt-pyspy helper shows within a second (it names itself once it runs).
fn pyspy_thread_appears() -> bool {
    let end = Instant::now() + Duration::from_secs(1);
    while Instant::now() < end {
        if pyspy_thread_running() {
            return true;
        }
        sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn the_sampler_thread_runs_only_while_a_python_process_is_focused() {
    let _serial = serial();
    let Some(pythons) = wanted() else { return };
    let py = Py::start(&pythons[0], 1, 30);
    let mut sampler = Sampler::new(SamplerConfig { pids: Some(vec![py.pid()]), ..SamplerConfig::default() });
    assert!(!pyspy_thread_appears(), "nothing focused: no sampler");
    sampler.set_focus(Some(py.pid()));
    assert!(pyspy_thread_appears(), "focused on Python: sampling");
    assert!(sampler.wait_python_ready(Duration::from_secs(5)), "py-spy found the interpreter");
    let _ = sampler.sample();
    sleep(Duration::from_millis(500));
    let snap = sampler.sample();
    let py_sample = snap.focus.as_ref().and_then(|f| f.python.as_ref()).expect("python figures with the focus");
    assert!(py_sample.samples >= 20, "{py_sample:?}");
    sampler.set_focus(None);
    assert!(!pyspy_thread_running(), "unfocused: the helper has ended and been reaped");
}

/// A program named python* that is no CPython (here a copy of sleep): py-spy finds no
/// interpreter, and the JSON says so in `python.error`, with nulls per thread; nothing panics.
#[test]
fn a_fake_python_says_why_it_has_no_gil_figures() {
    let dir = crate::support::Scratch::new("fake-python");
    let fake = dir.path("python-fake");
    std::fs::copy("/bin/sleep", &fake).expect("a copy of sleep");
    // A test running beside this one may fork while the copy is still open for writing, and
    // that child holds the write fd until it execs: ETXTBSY for a moment.
    let end = Instant::now() + Duration::from_secs(5);
    let mut child = loop {
        match Command::new(&fake).arg("30").stdin(Stdio::null()).spawn() {
            Ok(c) => break c,
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && Instant::now() < end => {
                sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("the fake starts: {e}"),
        }
    };
    let pid = child.id() as i32;
    // Until it has exec'd (its exe is the copy).
    let end = Instant::now() + Duration::from_secs(5);
    while std::fs::read_link(format!("/proc/{pid}/exe")).map_or(true, |p| p != fake) {
        assert!(Instant::now() < end, "the fake did not start");
        sleep(Duration::from_millis(10));
    }
    let json = threads_json(pid);
    let _ = child.kill();
    let _ = child.wait();
    let p = &json["python"];
    assert!(p.is_object(), "named python*, it is taken for Python: {json}");
    let error = p["error"].as_str().unwrap_or_else(|| panic!("an error says why: {json}"));
    assert!(error.starts_with("py-spy: "), "{error}");
    assert_eq!(p["samples"], 0, "{json}");
    for t in json["threads"].as_array().unwrap() {
        assert!(t["gil_percent"].is_null() && t["python_function"].is_null(), "{json}");
    }
}

/// threadtop killed outright (no Drop runs): its helper sees its stdin close and goes too.
#[test]
fn the_helper_never_outlives_threadtop() {
    let _serial = serial();
    let Some(pythons) = wanted() else { return };
    let py = Py::start(&pythons[0], 1, 30);
    let mut tt = Command::new(BIN)
        .args(["threads", &py.pid().to_string(), "--json", "--interval", "20s"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .expect("threadtop threads runs");
    let tt_pid = tt.id() as i32;
    let end = Instant::now() + Duration::from_secs(5);
    let helper = loop {
        if let Some(&h) = pyspy_helpers_of(tt_pid).first() {
            break h;
        }
        assert!(Instant::now() < end, "threads --json of a Python process starts a tt-pyspy helper");
        sleep(Duration::from_millis(20));
    };
    let _ = tt.kill();
    let _ = tt.wait();
    let end = Instant::now() + Duration::from_secs(3);
    while crate::support::alive(helper) {
        assert!(Instant::now() < end, "helper {helper} outlived the threadtop that started it");
        sleep(Duration::from_millis(20));
    }
}

/// Without its helper, a Python focus says what is missing; nothing else breaks.
#[test]
fn a_missing_helper_is_said_in_python_error() {
    let _serial = serial();
    let Some(pythons) = wanted() else { return };
    let py = Py::start(&pythons[0], 1, 30);
    let out = Command::new(BIN)
        .args(["threads", &py.pid().to_string(), "--json", "--interval", "300ms"])
        .env("THREADTOP_PYSPY", "/nonexistent/threadtop-pyspy")
        .stdin(Stdio::null())
        .output()
        .expect("threadtop threads runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let error = json["python"]["error"].as_str().unwrap_or_else(|| panic!("an error says why: {json}"));
    assert!(error.contains("threadtop-pyspy"), "{error}");
    assert!(!json["threads"].as_array().unwrap().is_empty(), "the threads are listed all the same: {json}");
}

/// The stack overlay's Python half, through the helper: a spinner's stack names its function,
/// and a TID that runs no Python says so.
#[test]
fn a_python_threads_stack_is_read_through_the_helper() {
    use threadtop::model::stack::PythonStack;
    let _serial = serial();
    let Some(pythons) = wanted() else { return };
    let py = Py::start(&pythons[0], 1, 30);
    let spinner = crate::support::threads(py.pid()).len();
    assert!(spinner >= 3, "main, spinner, sleeper");
    let tids: Vec<i32> = std::fs::read_dir(format!("/proc/{}/task", py.pid()))
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    let mut named = Vec::new();
    for &tid in &tids {
        let report = threadtop::inspect::read_stack(std::path::Path::new("/proc"), py.pid(), tid);
        match report.python {
            Some(PythonStack::Frames { version, frames, .. }) => {
                assert!(version.starts_with("3."), "{version}");
                named.extend(frames.first().map(|f| f.function.clone()));
            }
            other => panic!("tid {tid}: {other:?}"),
        }
    }
    assert!(named.iter().any(|f| f == "spin_worker"), "{named:?}");
    assert!(named.iter().any(|f| f == "sleeper"), "{named:?}");
    // Not a thread of this process: py-spy finds no such Python thread.
    let stranger = threadtop::inspect::read_stack(std::path::Path::new("/proc"), py.pid(), std::process::id() as i32);
    assert!(matches!(stranger.python, Some(PythonStack::NoSuchThread { .. })), "{:?}", stranger.python);
}
