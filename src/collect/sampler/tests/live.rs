//! The sampler on the real /proc: this process's own row and threads, files kept open and
//! what happens to them when tasks come and go, a small budget, EMFILE, PID reuse.

use std::fs;
use std::sync::atomic::Ordering;

use super::*;

/// Under the live /proc, statm is kept open like stat, but only for the userland processes that
/// are listed: none for a kernel thread, none for a process the `-p` filter leaves out.
#[test]
fn statm_kept_only_for_listed_userland_processes() {
    let me = std::process::id() as Pid;
    for pids in [None, Some(vec![me])] {
        let mut s = Sampler::new(SamplerConfig { pids: pids.clone(), ..SamplerConfig::default() });
        let snap = s.sample();
        let (kept, limit) = s.kept_files();
        let sys = &snap.system;
        let seen = (sys.processes + sys.kernel_threads) as usize;
        assert!(seen + 2 * sys.processes as usize + 1 < limit, "the budget holds them all: {limit}");
        // `/proc/stat`, each process's stat, and a statm for each listed userland process (a
        // process may exit between its two reads: then it has no statm kept).
        let statm_max = if pids.is_some() { 1 } else { sys.processes as usize };
        assert!(kept <= 1 + seen + statm_max, "{pids:?}: kept {kept}, {seen} seen, {statm_max} statm at most");
        if pids.is_some() {
            // This process does not exit: its statm is kept.
            assert_eq!(kept, 2 + seen, "kept {kept}, {seen} seen");
        } else {
            // Most of them have their statm kept (a few may have exited).
            assert!(kept > 1 + seen + statm_max / 2, "kept {kept}, {seen} seen");
        }
        assert_eq!(snap.processes.iter().filter(|p| p.pid == me).count(), 1);
    }
}

#[test]
fn real_proc_has_this_process() {
    let me = std::process::id() as Pid;
    let mut s = Sampler::new(SamplerConfig { focus: Some(me), ..SamplerConfig::default() });
    s.sample();
    let snap = s.sample();
    let p = find(&snap, me);
    assert_eq!(Some(p.ppid), rustix::process::getppid().map(|p| p.as_raw_nonzero().get()));
    assert!(!p.kernel_thread);
    assert!(!p.cmdline.is_empty());
    assert!(p.rss_bytes > 0);
    assert!(snap.system.processes >= 1);
    assert!(snap.system.threads >= snap.system.processes);
    assert!(!snap.system.cpus.is_empty());
    assert!(snap.system.mem_total > 0);
    assert!(snap.system.running >= 1);
    let f = snap.focus.unwrap();
    assert!(f.alive);
    assert_eq!(f.threads.iter().filter(|t| t.is_main).count(), 1);
    assert!(f.threads.iter().any(|t| t.voluntary.is_some()));
    // Kernel threads are listed (PID 2 is kthreadd, when this is not a container).
    if let Some(k) = snap.processes.iter().find(|p| p.pid == 2) {
        assert!(k.kernel_thread);
    }
}

/// Cost of one sample on this machine, with 1000 parked threads of its own (more with
/// `THREADTOP_BENCH_THREADS=N`). Run with
/// `cargo test --release --lib sampler_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn sampler_cost() {
    let me = std::process::id() as Pid;
    let n: usize = std::env::var("THREADTOP_BENCH_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let parked: Vec<_> = (0..n)
        .map(|i| {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name(format!("parked-{i}"))
                .stack_size(64 << 10)
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::park_timeout(Duration::from_millis(200));
                    }
                })
                .unwrap()
        })
        .collect();
    let runs = 21;
    for (label, all_threads, focus) in
        [("processes", false, None), ("all threads", true, None), ("focus on self", false, Some(me))]
    {
        let mut s = Sampler::new(SamplerConfig { all_threads, focus, ..SamplerConfig::default() });
        let mut snap = s.sample();
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            snap = s.sample();
            times.push(t.elapsed());
        }
        times.sort();
        let us = times[runs / 2].as_secs_f64() * 1e6;
        let procs = snap.processes.len();
        let tasks: usize =
            snap.processes.iter().map(|p| if p.kernel_thread { 1 } else { p.num_threads as usize }).sum();
        let focus_threads = snap.focus.as_ref().map_or(0, |f| f.threads.len());
        println!(
            "{label:14} median {us:>8.0} µs | {procs} processes: {:.2} µs each | {tasks} tasks: \
             {:.2} µs each | focus threads {focus_threads}",
            us / procs as f64,
            us / tasks as f64,
        );
    }
    stop.store(true, Ordering::Relaxed);
    for t in parked {
        t.thread().unpark();
        let _ = t.join();
    }
}

/// Threads of this process, parked until told to stop, each with its own flag and its TID.
struct Parked {
    threads: Vec<(Pid, Arc<std::sync::atomic::AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Parked {
    fn start(n: usize) -> Self {
        let mut p = Self { threads: Vec::new() };
        p.add(n);
        p
    }

    fn add(&mut self, n: usize) {
        for _ in 0..n {
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let flag = stop.clone();
            let (tx, rx) = std::sync::mpsc::channel();
            let h = std::thread::Builder::new()
                .stack_size(64 << 10)
                .spawn(move || {
                    let _ = tx.send(rustix::thread::gettid().as_raw_nonzero().get());
                    while !flag.load(Ordering::Relaxed) {
                        std::thread::park_timeout(Duration::from_millis(200));
                    }
                })
                .unwrap();
            self.threads.push((rx.recv().unwrap(), stop, h));
        }
    }

    fn tids(&self) -> Vec<Pid> {
        self.threads.iter().map(|(t, ..)| *t).collect()
    }

    /// Stops and joins the first `n`; returns their TIDs.
    fn stop_first(&mut self, n: usize) -> Vec<Pid> {
        self.threads
            .drain(..n)
            .map(|(tid, stop, h)| {
                stop.store(true, Ordering::Relaxed);
                h.thread().unpark();
                h.join().unwrap();
                tid
            })
            .collect()
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        let n = self.threads.len();
        self.stop_first(n);
    }
}

fn my_threads(snap: &Snapshot) -> Vec<Pid> {
    let me = std::process::id() as Pid;
    find(snap, me).threads.iter().map(|t| t.tid).collect()
}

/// All-threads mode on the real /proc, with files kept open: threads that come and go are
/// seen at once, and a gone thread's kept file neither lingers as a row nor breaks the sample.
#[test]
fn kept_files_follow_threads_that_come_and_go() {
    let mut parked = Parked::start(6);
    let mut s = Sampler::new(SamplerConfig { all_threads: true, ..SamplerConfig::default() });
    assert!(s.reader.is_live());
    s.sample();
    let snap = s.sample();
    let seen = my_threads(&snap);
    for t in parked.tids() {
        assert!(seen.contains(&t), "thread {t} missing");
    }
    assert!(s.kept_files().0 > seen.len(), "files kept: {:?}", s.kept_files());

    let gone = parked.stop_first(2);
    parked.add(3);
    let snap = s.sample();
    let seen = my_threads(&snap);
    for t in &gone {
        assert!(!seen.contains(t), "exited thread {t} still shown");
    }
    for t in parked.tids() {
        assert!(seen.contains(&t), "new thread {t} missing");
    }
    // Rows are not duplicated.
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len());
}

/// A process that exits (and is reaped) while its stat is kept open disappears.
#[test]
fn kept_file_of_an_exited_process_is_dropped() {
    let mut child = std::process::Command::new("sleep").arg("100").spawn().unwrap();
    let pid = child.id() as Pid;
    let mut s = Sampler::new(SamplerConfig::default());
    assert!(s.sample().processes.iter().any(|p| p.pid == pid));
    let open_before = s.kept_files().0;
    child.kill().unwrap();
    child.wait().unwrap();
    let snap = s.sample();
    assert!(!snap.processes.iter().any(|p| p.pid == pid));
    assert!(s.kept_files().0 < open_before + 5);
}

/// `kept_files` (the config key, here 0) reaches the budget: nothing is kept open, and every
/// task is still read.
#[test]
fn kept_files_setting_bounds_the_budget() {
    // The environment variable wins over the setting, so it must not be set for this test.
    let env = crate::collect::procfs::KEPT_FILES_ENV;
    assert!(std::env::var_os(env).is_none(), "{env} is set: unset it to run this test");
    let parked = Parked::start(3);
    for kept_files in [0, 7] {
        let mut s = Sampler::new(SamplerConfig { all_threads: true, kept_files, ..SamplerConfig::default() });
        let snap = s.sample();
        let seen = my_threads(&snap);
        for t in parked.tids() {
            assert!(seen.contains(&t), "thread {t} missing");
        }
        assert_eq!(s.kept_files(), (kept_files, kept_files));
    }
}

/// With the budget spent, files are opened, read and closed as before: nothing is missing.
#[test]
fn a_small_fd_budget_reads_everything() {
    let parked = Parked::start(12);
    let mut s = Sampler::new(SamplerConfig { all_threads: true, ..SamplerConfig::default() });
    s.set_fd_budget(5);
    s.sample();
    let snap = s.sample();
    let seen = my_threads(&snap);
    for t in parked.tids() {
        assert!(seen.contains(&t), "thread {t} missing");
    }
    assert_eq!(s.kept_files(), (5, 5));
    assert!(snap.processes.len() > 5);
}

/// Out of descriptors (EMFILE) for real: the sample still has every thread, and the budget
/// shrinks. Runs in a child process, since the open-file limit is per process.
#[test]
fn emfile_falls_back_to_open_read_close() {
    if std::env::var_os("THREADTOP_EMFILE_CHILD").is_some() {
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "collect::sampler::tests::live::emfile_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("THREADTOP_EMFILE_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("emfile child ok"), "{text}");
}

#[test]
#[ignore = "run by emfile_falls_back_to_open_read_close in a child process"]
fn emfile_child() {
    if std::env::var_os("THREADTOP_EMFILE_CHILD").is_none() {
        return;
    }
    let parked = Parked::start(40);
    // The sampler raises the soft limit once; lower it after that, to what is open now + 12.
    let _ = crate::collect::procfs::raise_fd_limit();
    let open_now = fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    let hard = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum;
    rustix::process::setrlimit(
        rustix::process::Resource::Nofile,
        rustix::process::Rlimit { current: Some(open_now + 12), maximum: hard },
    )
    .unwrap();
    let mut s = Sampler::new(SamplerConfig { all_threads: true, ..SamplerConfig::default() });
    let limit_before = s.kept_files().1;
    for _ in 0..3 {
        let snap = s.sample();
        let seen = my_threads(&snap);
        for t in parked.tids() {
            assert!(seen.contains(&t), "thread {t} missing");
        }
        assert!(snap.processes.len() > 20);
    }
    assert!(s.kept_files().1 < limit_before, "{:?} vs {limit_before}", s.kept_files());
    println!("emfile child ok: kept {:?}", s.kept_files());
}

/// A PID reused for real, with the old process's stat kept open: the row is the new process
/// (new start time, its own cmdline), never the old one's data. Cycles through the PID space
/// with fork, so it is slow (seconds to minutes, by pid_max) and not run by default:
/// `cargo test --release --lib pid_reuse_with_kept_file -- --ignored`.
#[test]
#[ignore = "forks through the whole PID space"]
fn pid_reuse_with_kept_file() {
    let mut a = std::process::Command::new("sleep").arg("100").spawn().unwrap();
    let pid = a.id() as Pid;
    let mut s = Sampler::new(SamplerConfig::default());
    let old = find(&s.sample(), pid).clone();
    assert_eq!(&*old.cmdline, "sleep 100");
    a.kill().unwrap();
    a.wait().unwrap();
    // Fork until the kernel hands out `pid` again; the child that gets it waits to be killed.
    // PIDs are handed out in a cycle up to pid_max, so one turn reaches `pid` unless another
    // process took it first; a second turn gives such a short-lived one time to go.
    let pid_max: u64 = fs::read_to_string("/proc/sys/kernel/pid_max").unwrap().trim().parse().unwrap();
    let mut reused = None;
    for _ in 0..2 * pid_max {
        // SAFETY: the child only calls async-signal-safe functions (pause, _exit).
        let child = unsafe { libc::fork() };
        if child == 0 {
            unsafe {
                if libc::getpid() == pid {
                    libc::pause();
                }
                libc::_exit(0);
            }
        }
        assert!(child > 0, "fork failed");
        if child == pid {
            reused = Some(child);
            break;
        }
        unsafe { libc::waitpid(child, std::ptr::null_mut(), 0) };
    }
    // Not a pass when nothing could be checked.
    let child = reused.unwrap_or_else(|| panic!("PID {pid} was not handed out again in {} forks", 2 * pid_max));
    let snap = s.sample();
    unsafe {
        libc::kill(child, libc::SIGKILL);
        libc::waitpid(child, std::ptr::null_mut(), 0);
    }
    let new = find(&snap, pid);
    assert!(new.start_ticks > old.start_ticks, "{} vs {}", new.start_ticks, old.start_ticks);
    assert_ne!(&*new.cmdline, "sleep 100");
    assert_eq!(new.cpu_percent, 0.0);
}
