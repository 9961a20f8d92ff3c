//! Issue 15 §1, §2, §5: why a thread is not running, checked on real threads through
//! `threadtop threads PID --json`. A helper process (this test binary again, as `support::helper`
//! with THREADTOP_TORTURE_HELPER=why) runs a spinner, a sleeper, two spinners pinned to one core,
//! and threads blocked in a pipe read, a futex wait, a nanosleep, an accept on a loopback socket
//! and fsync. Every thread's four parts must sum to its wall time; each named thread must show
//! the time split and the WAITING its code makes certain. Then the same as `nobody`: WAITING is
//! refused, said once, and nothing breaks.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{
    BIN, HelperProc, Scratch, busy_ticks, clock_ticks_per_sec, cores, cpu_ticks, serial, with_free_cores,
};

const OUT_ENV: &str = "THREADTOP_WHY_OUT";

/// The body of `support::helper` for THREADTOP_TORTURE_HELPER=why. Writes `port` to
/// `$THREADTOP_WHY_OUT/port` once every thread is started, then waits to be killed.
pub fn helper_main() {
    // SAFETY: prctl with PR_SET_PDEATHSIG and a signal number.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    let out = std::path::PathBuf::from(std::env::var(OUT_ENV).expect("out dir"));
    let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new().name(name.into()).spawn(f).expect("thread");
    };
    let spin = || loop {
        std::hint::black_box(0u64.wrapping_add(1));
    };
    // The last core: both pinned spinners share it (and nothing else of ours is pinned there).
    let core = std::thread::available_parallelism().map_or(1, |n| n.get()) - 1;
    // The spinner keeps off that core: left free, the scheduler sometimes moved it onto the
    // pinned pair's core, where it got a third of it (67% on CPU in a full `cargo test` run).
    spawn(
        "spinner",
        Box::new(move || {
            if core > 0 {
                // SAFETY: a zeroed cpu_set_t with the bits of the other cores set, for this thread.
                unsafe {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    for c in 0..core {
                        libc::CPU_SET(c, &mut set);
                    }
                    assert_eq!(libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set), 0);
                }
            }
            spin()
        }),
    );
    for name in ["pinned-a", "pinned-b"] {
        spawn(
            name,
            Box::new(move || {
                // SAFETY: a zeroed cpu_set_t with one bit set, for this thread (tid 0).
                unsafe {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    libc::CPU_SET(core, &mut set);
                    assert_eq!(libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set), 0);
                }
                spin()
            }),
        );
    }
    spawn(
        "sleeper",
        Box::new(|| {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                std::hint::black_box((0..1000u64).sum::<u64>());
            }
        }),
    );
    spawn("nanosleep", Box::new(|| std::thread::sleep(Duration::from_secs(3600))));
    let mut fds = [0; 2];
    // SAFETY: a valid two-int array for pipe(2).
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let read_fd = fds[0];
    spawn(
        "pipe-read",
        Box::new(move || {
            let mut b = [0u8; 1];
            // SAFETY: reading into a valid one-byte buffer from our own pipe; nobody writes.
            unsafe { libc::read(read_fd, b.as_mut_ptr().cast(), 1) };
        }),
    );
    let lock = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
    spawn(
        "futex",
        Box::new(move || {
            let (m, cv) = &*lock;
            let mut done = m.lock().unwrap();
            while !*done {
                done = cv.wait(done).unwrap();
            }
        }),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    spawn(
        "accept",
        Box::new(move || {
            let _ = listener.accept();
        }),
    );
    let dir = out.clone();
    spawn(
        "fsync",
        Box::new(move || {
            // Dirty 8 MiB, then fsync: on a disk the thread spends most of its time in fsync.
            // Its copying costs CPU too: it shares the pinned pair's core, not the spinner's.
            // SAFETY: a zeroed cpu_set_t with one bit set, for this thread (tid 0).
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(core, &mut set);
                assert_eq!(libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set), 0);
            }
            let mut f = std::fs::File::create(dir.join("fsync.data")).expect("create");
            let block = vec![7u8; 8 << 20];
            loop {
                use std::io::Seek;
                f.seek(std::io::SeekFrom::Start(0)).unwrap();
                f.write_all(&block).unwrap();
                f.sync_all().unwrap();
            }
        }),
    );
    std::fs::write(out.join("port.tmp"), port.to_string()).unwrap();
    std::fs::rename(out.join("port.tmp"), out.join("port")).unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

struct Why {
    helper: HelperProc,
    port: u16,
}

fn start(scratch: &Scratch) -> Why {
    let out = scratch.path("");
    let mut helper = HelperProc::spawn("why", "why-helper", &[(OUT_ENV, out.to_str().unwrap())]);
    let port_file = out.join("port");
    let end = Instant::now() + Duration::from_secs(20);
    while !port_file.exists() {
        assert!(Instant::now() < end, "the helper never wrote its port");
        assert!(matches!(helper.0.try_wait(), Ok(None)), "the helper exited");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(helper.wait_threads(10, Duration::from_secs(10)), "the helper's threads never started");
    let port = std::fs::read_to_string(&port_file).unwrap().trim().parse().unwrap();
    Why { helper, port }
}

fn threads_json(bin: &Path, pid: i32, interval: &str, as_nobody: bool) -> Value {
    let mut cmd = if as_nobody {
        let mut c = Command::new("setpriv");
        c.args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .args(["threads", &pid.to_string(), "--json", "--interval", interval])
        .env("XDG_CONFIG_HOME", "/nonexistent-threadtop-test")
        .stdin(Stdio::null())
        .output()
        .expect("run threadtop");
    assert!(out.status.success(), "{:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn thread<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no thread {name} in {v:#}"))
}

fn pct(t: &Value, window: bool, part: &str) -> f64 {
    let key = if window { "time_split_window" } else { "time_split" };
    t[key][part].as_f64().unwrap_or_else(|| panic!("no {key}.{part} in {t:#}"))
}

/// Every split of the output (each thread's and the process's, interval and window) is four
/// parts that sum exactly to its wall time, and a thread's wall is about the interval.
fn check_sums(v: &Value, interval_ns: u64) {
    let check = |s: &Value, who: &str| {
        let ns = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{who}: no {k} in {s}"));
        let parts = ns("on_cpu_ns") + ns("waiting_for_core_ns") + ns("io_ns") + ns("sleeping_ns");
        assert_eq!(parts, ns("wall_ns"), "{who}: parts do not sum to the wall time: {s}");
    };
    check(&v["time_split"], "process");
    check(&v["time_split_window"], "process window");
    for t in v["threads"].as_array().unwrap() {
        let who = t["name"].as_str().unwrap();
        check(&t["time_split"], who);
        check(&t["time_split_window"], who);
        let wall = t["time_split"]["wall_ns"].as_u64().unwrap();
        assert!(
            wall > interval_ns / 2 && wall < interval_ns * 3,
            "{who}: wall {wall} ns for a {interval_ns} ns interval"
        );
    }
}

#[test]
fn why_threads_wait_where_their_code_says() {
    let _serial = serial();
    let scratch = Scratch::new("why");
    let w = start(&scratch);
    let pid = w.helper.pid();
    // Let the spinners and the pinned pair settle into their shares.
    std::thread::sleep(Duration::from_millis(500));
    let hz = clock_ticks_per_sec() as f64;
    let mut last = None;
    // "Mostly on CPU" needs a core the rest of the machine leaves to the spinner: judged only
    // then (the pinned pair takes the other); everything else below holds however busy it is.
    let judged = with_free_cores("the spinner is mostly on CPU", 1.5, 3, || {
        let (busy, ours, t0) = (busy_ticks(), cpu_ticks(pid).unwrap_or(0), Instant::now());
        let v = threads_json(Path::new(BIN), pid, "1s", false);
        let secs = t0.elapsed().as_secs_f64();
        let others = (busy_ticks() - busy).saturating_sub(cpu_ticks(pid).unwrap_or(0) - ours) as f64 / hz / secs;
        last = Some(v.clone());
        (v, f64::from(cores()) - others)
    });
    let v = judged.clone().or(last).unwrap();
    check_sums(&v, 1_000_000_000);
    assert_eq!(v["waiting_denied"], false, "{v:#}");

    let spinner = thread(&v, "spinner");
    if judged.is_some() {
        assert!(pct(spinner, false, "on_cpu_percent") > 70.0, "spinner with a core to itself: {spinner:#}");
    }
    // It never sleeps: runnable all the time, on a core or waiting for one.
    assert!(pct(spinner, false, "sleeping_percent") < 10.0, "a spinner never sleeps: {spinner:#}");
    // On CPU from schedstat agrees with CPU% from stat's ticks, a second source.
    let ticks = spinner["cpu_percent"].as_f64().unwrap();
    assert!((pct(spinner, false, "on_cpu_percent") - ticks).abs() < 15.0, "schedstat vs ticks: {spinner:#}");
    let (a, b) = (thread(&v, "pinned-a"), thread(&v, "pinned-b"));
    for t in [a, b] {
        assert!(pct(t, false, "waiting_for_core_percent") > 25.0, "pinned with another spinner: {t:#}");
        assert!(pct(t, false, "sleeping_percent") < 10.0, "{t:#}");
    }
    // Two threads on one core can't run more than one core's worth between them.
    let pair = pct(a, false, "on_cpu_percent") + pct(b, false, "on_cpu_percent");
    assert!(pair < 110.0, "the pinned pair ran {pair}% of one core");
    // The sleeper wakes five times a second: on a busy machine each wake-up waits for a core a
    // little, so "mostly" is the bar; the blocked ones never wake.
    let sleeper = thread(&v, "sleeper");
    assert!(pct(sleeper, false, "sleeping_percent") > 75.0, "{sleeper:#}");
    assert!(pct(sleeper, false, "on_cpu_percent") < 5.0, "{sleeper:#}");
    for name in ["sleeper", "nanosleep", "pipe-read", "futex", "accept"] {
        let t = thread(&v, name);
        if name != "sleeper" {
            assert!(pct(t, false, "sleeping_percent") > 99.0, "{name}: {t:#}");
        }
        assert!(t["wchan"].as_str().is_some_and(|s| !s.is_empty()), "{name}: wchan {t:#}");
    }

    let waiting = |t: &Value| t["waiting"].as_str().unwrap_or_default().to_string();
    let pipe = thread(&v, "pipe-read");
    assert!(waiting(pipe).starts_with("read fd "), "{pipe:#}");
    assert!(pipe["syscall_fd_target"].as_str().is_some_and(|s| s.starts_with("pipe:[")), "{pipe:#}");
    assert_eq!(thread(&v, "futex")["syscall"], "futex");
    assert_eq!(thread(&v, "nanosleep")["syscall"], "clock_nanosleep");
    let accept = thread(&v, "accept");
    let want = format!("socket TCP 127.0.0.1:{}", w.port);
    assert!(accept["syscall"].as_str().is_some_and(|s| s.starts_with("accept")), "{accept:#}");
    assert_eq!(accept["syscall_fd_target"], want.as_str(), "{accept:#}");
    assert!(waiting(accept).ends_with(&want), "{accept:#}");
    assert_eq!(waiting(spinner), "running", "{spinner:#}");
    assert_eq!(spinner["wchan"], Value::Null);
    // The file of the thread that writes and syncs is its own: its write rate shows in io.
    let fsync = thread(&v, "fsync");
    assert!(fsync["io_write_bytes_per_sec"].as_f64().is_some_and(|r| r > 1e6), "{fsync:#}");

    // fsync is caught in the act when a sample lands in it: most of that thread's time is.
    let end = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    loop {
        let v = threads_json(Path::new(BIN), pid, "100ms", false);
        check_sums(&v, 100_000_000);
        let t = thread(&v, "fsync");
        let text = waiting(t);
        if t["syscall"] == "fsync" {
            assert!(text.starts_with("fsync fd ") && text.ends_with("fsync.data"), "{t:#}");
            assert!(t["wchan"].as_str().is_some_and(|s| !s.is_empty()), "{t:#}");
            break;
        }
        seen.push(text);
        assert!(Instant::now() < end, "never caught in fsync; saw {seen:?}");
    }
}

#[test]
fn why_as_nobody_waiting_is_refused_once() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(unsafe { libc::geteuid() }, 0, "this test switches to nobody and must run as root");
    let _serial = serial();
    let scratch = Scratch::new("why-nobody");
    let w = start(&scratch);
    let bin = crate::torture::nobody::binary_for_nobody(&scratch);
    let v = threads_json(&bin, w.helper.pid(), "300ms", true);
    check_sums(&v, 300_000_000);
    assert_eq!(v["waiting_denied"], true, "{v:#}");
    for t in v["threads"].as_array().unwrap() {
        if t["state"] != "R" {
            assert_eq!(t["waiting"], Value::Null, "{t:#}");
        }
        // io of another user's thread is refused too: unknown, not 0.
        assert_eq!(t["io_read_bytes_per_sec"], Value::Null, "{t:#}");
    }
    let mut buf = String::new();
    std::fs::File::open(scratch.path("port")).unwrap().read_to_string(&mut buf).unwrap();
    assert_eq!(buf.trim().parse::<u16>().ok(), Some(w.port));
}

/// read_bytes and write_bytes of `/proc/PID/io`.
fn proc_io(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("read /proc/PID/io");
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix(": ")?.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {k} in {text}"))
    };
    (field("read_bytes"), field("write_bytes"))
}

/// The list's IO_R/s and IO_W/s against `/proc/PID/io` of a process that writes (the helper's
/// fsync thread dirties 8 MiB per round): each rate times the interval lies between the counts
/// read just outside the two samples, and the writer's is not zero.
#[test]
fn the_list_io_columns_match_proc_pid_io_of_a_writer() {
    use threadtop::collect::{Sampler, SamplerConfig};
    let _serial = serial();
    let scratch = Scratch::new("why-io-columns");
    let w = start(&scratch);
    let pid = w.helper.pid();
    let mut s = Sampler::new(SamplerConfig { pids: Some(vec![pid]), io_columns: true, ..SamplerConfig::default() });
    let a0 = proc_io(pid);
    let _ = s.sample();
    let a1 = proc_io(pid);
    std::thread::sleep(Duration::from_millis(1500));
    let b0 = proc_io(pid);
    let snap = s.sample();
    let b1 = proc_io(pid);
    let p = snap.processes.iter().find(|p| p.pid == pid).expect("the writer is listed");
    let x = p.extra.as_ref().expect("io read for the IO columns");
    let secs = snap.elapsed.as_secs_f64();
    let checks =
        [("IO_R/s", x.io_read_per_sec, a1.0, b0.0, a0.0, b1.0), ("IO_W/s", x.io_write_per_sec, a1.1, b0.1, a0.1, b1.1)];
    for (column, rate, a_late, b_early, a_early, b_late) in checks {
        let rate = rate.unwrap_or_else(|| panic!("{column}: a rate on the second sample"));
        let bytes = rate * secs;
        let (lo, hi) = (b_early.saturating_sub(a_late) as f64, b_late.saturating_sub(a_early) as f64);
        assert!(
            bytes >= lo - 1.0 && bytes <= hi + 1.0,
            "{column}: {rate:.0} B/s x {secs:.3} s = {bytes:.0} B, /proc says {lo}..{hi}"
        );
    }
    assert!(x.io_write_per_sec.is_some_and(|r| r > 1e5), "the writer writes: {x:?}");
}
