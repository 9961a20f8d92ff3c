//! Sampler tests against a fake proc tree written into a temp dir, plus a few on the real /proc.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::*;

const BTIME: u64 = 1_700_000_000;

/// A proc tree in a temp dir, removed on drop.
struct FakeProc {
    root: PathBuf,
}

/// The stat fields a test sets; the rest get plausible values.
#[derive(Clone)]
struct St {
    pid: i32,
    comm: Vec<u8>,
    state: char,
    ppid: i32,
    flags: u32,
    utime: u64,
    stime: u64,
    nice: i64,
    threads: i64,
    start: u64,
    vsize: u64,
    rss: u64,
    cpu: i32,
}

impl St {
    fn new(pid: i32, comm: &str) -> Self {
        Self {
            pid,
            comm: comm.as_bytes().to_vec(),
            state: 'S',
            ppid: 1,
            flags: 0x0040_0100,
            utime: 0,
            stime: 0,
            nice: 0,
            threads: 1,
            start: 1000,
            vsize: 8 << 20,
            rss: 100,
            cpu: 0,
        }
    }

    fn line(&self) -> Vec<u8> {
        let mut v = format!("{} (", self.pid).into_bytes();
        v.extend_from_slice(&self.comm);
        let prio = 20 + self.nice;
        v.extend_from_slice(
            format!(
                ") {} {} {} {} 0 -1 {} 5 0 0 0 {} {} 0 0 {} {} {} 0 {} {} {} 18446744073709551615 \
                 1 1 0 0 0 0 0 0 0 0 0 0 17 {} 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                self.state,
                self.ppid,
                self.pid,
                self.pid,
                self.flags,
                self.utime,
                self.stime,
                prio,
                self.nice,
                self.threads,
                self.start,
                self.vsize,
                self.rss,
                self.cpu,
            )
            .as_bytes(),
        );
        v
    }
}

impl FakeProc {
    fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "threadtop-fakeproc-{}-{}-{}",
            std::process::id(),
            name,
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let f = Self { root };
        f.write(
            "stat",
            format!(
                "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\n\
                 cpu1 50 0 50 400 0 0 0 0 0 0\nbtime {BTIME}\nprocs_running 2\n"
            )
            .as_bytes(),
        );
        f
    }

    fn write(&self, rel: &str, content: &[u8]) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    fn remove(&self, rel: &str) {
        let p = self.root.join(rel);
        if p.is_dir() {
            fs::remove_dir_all(p).unwrap();
        } else {
            fs::remove_file(p).unwrap();
        }
    }

    /// A process: its stat, cmdline and main-thread task.
    fn process(&self, st: &St, cmdline: &[u8]) {
        let pid = st.pid;
        self.write(&format!("{pid}/stat"), &st.line());
        self.write(&format!("{pid}/cmdline"), cmdline);
        self.write(&format!("{pid}/task/{pid}/stat"), &st.line());
    }

    /// A thread with optional status (voluntary, nonvoluntary) and schedstat wait_ns.
    fn task(&self, pid: i32, st: &St, ctxt: Option<(u64, u64)>, wait_ns: Option<u64>) {
        let tid = st.pid;
        self.write(&format!("{pid}/task/{tid}/stat"), &st.line());
        if let Some((v, n)) = ctxt {
            self.write(
                &format!("{pid}/task/{tid}/status"),
                format!(
                    "Name:\tx\nState:\tS (sleeping)\nTgid:\t{pid}\nPid:\t{tid}\nUid:\t1000\t1000\t1000\t1000\n\
                     voluntary_ctxt_switches:\t{v}\nnonvoluntary_ctxt_switches:\t{n}\n"
                )
                .as_bytes(),
            );
        }
        if let Some(w) = wait_ns {
            self.write(&format!("{pid}/task/{tid}/schedstat"), format!("5000000 {w} 10\n").as_bytes());
        }
    }

    fn sampler(&self) -> Sampler {
        Sampler::new(SamplerConfig { proc_root: self.root.clone(), ..SamplerConfig::default() })
    }

    fn path(&self) -> &Path {
        &self.root
    }
}

impl Drop for FakeProc {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn hz() -> f64 {
    crate::collect::procfs::clock_ticks_per_second() as f64
}

fn find(s: &Snapshot, pid: Pid) -> &ProcessSample {
    s.processes.iter().find(|p| p.pid == pid).unwrap_or_else(|| panic!("pid {pid} not in snapshot"))
}

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3 * b.abs().max(1.0)
}

#[test]
fn cpu_percent_from_advanced_ticks() {
    let fake = FakeProc::new("cpu");
    let mut st = St::new(100, "worker");
    st.utime = 10;
    st.threads = 3;
    fake.process(&st, b"/usr/bin/worker\0--fast\0");
    let mut other = St::new(200, "idle");
    other.state = 'R';
    fake.process(&other, b"idle\0");

    let mut s = fake.sampler();
    let t0 = Instant::now();
    let first = s.sample_at(t0);
    assert_eq!(first.seq, 1);
    assert_eq!(first.elapsed, Duration::ZERO);
    assert_eq!(find(&first, 100).cpu_percent, 0.0);

    st.utime = 60;
    st.stime = 10;
    fake.process(&st, b"/usr/bin/worker\0--fast\0");
    let second = s.sample_at(t0 + Duration::from_secs(1));
    assert_eq!(second.seq, 2);
    assert_eq!(second.elapsed, Duration::from_secs(1));
    let p = find(&second, 100);
    // 60 ticks more in 1 s.
    assert!(approx(p.cpu_percent.into(), 60.0 / hz() * 100.0), "{}", p.cpu_percent);
    assert_eq!(find(&second, 200).cpu_percent, 0.0);
    assert_eq!(p.cpu_time_ms, (70.0 / hz() * 1000.0) as u64);
    assert_eq!(&*p.cmdline, "/usr/bin/worker --fast");
    assert_eq!(p.name, "worker");
    assert_eq!(p.state, 'S');
    assert_eq!(p.ppid, 1);
    assert_eq!(p.num_threads, 3);
    assert_eq!(p.start_ticks, 1000);
    assert_eq!(p.start_time, BTIME + 1000 / crate::collect::procfs::clock_ticks_per_second());
    assert_eq!(p.rss_bytes, 100 * crate::collect::procfs::page_size());
    assert_eq!(p.virt_bytes, 8 << 20);
    assert!(!p.kernel_thread);
    assert!(p.threads.is_empty());
    assert_eq!(p.uid, Some(rustix::process::geteuid().as_raw()));
    assert!(!p.user.is_empty());
    let mem_total = second.system.mem_total;
    assert!(approx(p.mem_percent.into(), p.rss_bytes as f64 / mem_total as f64 * 100.0));

    let sys = &second.system;
    assert_eq!((sys.processes, sys.threads, sys.kernel_threads), (2, 4, 0));
    assert_eq!(sys.running, 2, "from procs_running");
    assert_eq!(sys.cpus.len(), 2);
    assert_eq!(second.stats.vanished, 0);
    assert!(second.stats.sample_duration > Duration::ZERO);
}

#[test]
fn vanished_tasks_are_skipped_and_counted() {
    let fake = FakeProc::new("vanish");
    fake.process(&St::new(100, "ok"), b"ok\0");
    // A process whose directory is listed but whose stat is gone.
    fs::create_dir_all(fake.path().join("101")).unwrap();
    // One whose stat is cut short, one with garbage.
    fake.write("102/stat", b"102 (cut) S 1 2 3");
    fake.write("103/stat", b"\xff\xfe garbage");
    // A thread of 100 listed but gone.
    fs::create_dir_all(fake.path().join("100/task/150")).unwrap();
    // Not processes at all.
    fake.write("self", b"");
    fake.write("meminfo", b"");

    let mut s = fake.sampler();
    s.set_all_threads(true);
    let snap = s.sample();
    assert_eq!(snap.processes.len(), 1);
    assert_eq!(snap.stats.vanished, 4);
    let p = find(&snap, 100);
    assert_eq!(p.threads.len(), 1);
    assert_eq!(p.threads[0].tid, 100);
    assert_eq!(snap.system.processes, 1);
}

#[test]
fn a_stat_naming_another_pid_is_left_out() {
    let fake = FakeProc::new("liar");
    fake.process(&St::new(100, "real"), b"real\0");
    // 107's stat says it is 100 (a corrupt or fake tree): not a second row for PID 100.
    fake.write("107/stat", &St::new(100, "liar").line());
    // And a thread of 100 whose stat names another TID.
    fake.write("100/task/108/stat", &St::new(109, "liar-thread").line());
    let mut s = fake.sampler();
    s.set_all_threads(true);
    s.set_focus(Some(100));
    let snap = s.sample();
    assert_eq!(snap.processes.len(), 1, "{:?}", snap.processes);
    assert_eq!(find(&snap, 100).name, "real");
    assert_eq!(find(&snap, 100).threads.len(), 1);
    assert_eq!(snap.focus.as_ref().unwrap().threads.len(), 1);
    assert_eq!(snap.stats.vanished, 3);
}

#[test]
fn reused_pid_gets_fresh_cmdline_and_no_negative_rate() {
    let fake = FakeProc::new("reuse");
    let mut st = St::new(100, "old");
    st.utime = 5000;
    fake.process(&st, b"old-program\0");
    let mut s = fake.sampler();
    let t0 = Instant::now();
    assert_eq!(&*find(&s.sample_at(t0), 100).cmdline, "old-program");

    // Same PID, new process: later starttime, fewer ticks, even the same comm.
    let mut st = St::new(100, "old");
    st.start = 9000;
    st.utime = 3;
    fake.process(&st, b"new-program\0--x\0");
    let snap = s.sample_at(t0 + Duration::from_secs(1));
    let p = find(&snap, 100);
    assert_eq!(&*p.cmdline, "new-program --x");
    assert_eq!(p.start_ticks, 9000);
    assert_eq!(p.cpu_percent, 0.0);
}

#[test]
fn cmdline_is_cached_until_comm_changes() {
    let fake = FakeProc::new("exec");
    let st = St::new(100, "bash");
    fake.process(&st, b"bash\0");
    let mut s = fake.sampler();
    s.sample();
    // argv rewritten in place, comm unchanged: the cached cmdline stays (one read per process).
    fake.write("100/cmdline", b"bash\0-rewritten\0");
    assert_eq!(&*find(&s.sample(), 100).cmdline, "bash");
    // exec: comm changes, so cmdline is read again.
    let st = St::new(100, "sleep");
    fake.process(&st, b"sleep\x0010\0");
    let snap = s.sample();
    let p = find(&snap, 100);
    assert_eq!((p.name.as_str(), &*p.cmdline), ("sleep", "sleep 10"));
}

#[test]
fn kernel_threads_listed_without_cmdline() {
    let fake = FakeProc::new("kthread");
    let mut k = St::new(2, "kthreadd");
    k.flags = PF_KTHREAD_FOR_TEST;
    k.ppid = 0;
    fake.process(&k, b"");
    let mut w = St::new(30, "kworker/0:1-events");
    w.flags = PF_KTHREAD_FOR_TEST;
    w.ppid = 2;
    w.state = 'I';
    fake.process(&w, b"should-not-be-read\0");
    let mut u = St::new(400, "user proc");
    u.threads = 2;
    fake.process(&u, b"");

    let mut s = fake.sampler();
    s.set_all_threads(true);
    let snap = s.sample();
    assert_eq!(snap.processes.len(), 3);
    let w = find(&snap, 30);
    assert!(w.kernel_thread);
    assert_eq!(&*w.cmdline, "");
    assert_eq!(w.name, "kworker/0:1-events");
    assert_eq!(w.state, 'I');
    assert_eq!(&*w.user, "root");
    assert!(w.threads.is_empty(), "kernel threads have no thread rows");
    let u = find(&snap, 400);
    assert_eq!(u.name, "user proc");
    assert_eq!(&*u.cmdline, "", "a zombie-like empty cmdline stays empty");
    assert_eq!((snap.system.processes, snap.system.threads, snap.system.kernel_threads), (1, 2, 2));
}

const PF_KTHREAD_FOR_TEST: u32 = super::super::procfs::PF_KTHREAD | 0x40;

/// RES and SHR come from statm where it reads; stat's rss stays only where it does not.
#[test]
fn res_and_shr_from_statm_else_stat_rss() {
    let page = crate::collect::procfs::page_size();
    let fake = FakeProc::new("statm");
    // stat says 100 pages everywhere; statm tells another figure where it is present.
    let with = St::new(100, "with-statm");
    fake.process(&with, b"with\0");
    fake.write("100/statm", b"2048 300 120 5 0 89 0\n");
    fake.process(&St::new(101, "no-statm"), b"none\0");
    fake.process(&St::new(102, "cut-statm"), b"cut\0");
    fake.write("102/statm", b"2048 300 1");
    fake.process(&St::new(103, "bad-statm"), b"bad\0");
    fake.write("103/statm", b"\xff\x00garbage\n");
    fake.process(&St::new(104, "empty-statm"), b"empty\0");
    fake.write("104/statm", b"");
    fake.process(&St::new(105, "dir-statm"), b"dir\0");
    fs::create_dir_all(fake.path().join("105/statm")).unwrap();
    // A zombie: the kernel writes zeros (no mm left), and that is what it shows.
    let mut z = St::new(106, "zombie");
    z.state = 'Z';
    fake.process(&z, b"");
    fake.write("106/statm", b"0 0 0 0 0 0 0\n");
    // A kernel thread has no memory of its own: its statm is never read, whatever it says.
    let mut k = St::new(2, "kthreadd");
    k.flags = PF_KTHREAD_FOR_TEST;
    fake.process(&k, b"");
    fake.write("2/statm", b"2048 300 120 5 0 89 0\n");

    let snap = fake.sampler().sample();
    let mem_total = snap.system.mem_total;
    let p = find(&snap, 100);
    assert_eq!((p.rss_bytes, p.shared_bytes), (300 * page, 120 * page));
    assert_eq!(p.virt_bytes, 8 << 20, "VIRT stays stat's vsize");
    assert!(approx(p.mem_percent.into(), (300 * page) as f64 / mem_total as f64 * 100.0), "{}", p.mem_percent);
    for pid in 101..=105 {
        let p = find(&snap, pid);
        assert_eq!((p.rss_bytes, p.shared_bytes), (100 * page, 0), "{} falls back to stat's rss", p.name);
        assert!(approx(p.mem_percent.into(), (100 * page) as f64 / mem_total as f64 * 100.0));
    }
    let z = find(&snap, 106);
    assert_eq!((z.rss_bytes, z.shared_bytes, z.mem_percent), (0, 0, 0.0));
    let k = find(&snap, 2);
    assert_eq!((k.rss_bytes, k.shared_bytes, k.mem_percent), (0, 0, 0.0));
}

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
fn all_threads_have_their_own_cpu() {
    let fake = FakeProc::new("allthreads");
    let mut main = St::new(100, "app");
    main.threads = 2;
    fake.process(&main, b"app\0");
    let mut t = St::new(101, "app-worker");
    t.start = 1200;
    fake.task(100, &t, None, None);

    let mut s = fake.sampler();
    s.set_all_threads(true);
    let t0 = Instant::now();
    s.sample_at(t0);
    t.utime = 50;
    fake.task(100, &t, None, None);
    main.utime = 50;
    fake.process(&main, b"app\0");
    let snap = s.sample_at(t0 + Duration::from_millis(500));
    assert!(snap.all_threads);
    let p = find(&snap, 100);
    let mut threads = p.threads.clone();
    threads.sort_by_key(|t| t.tid);
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[1].name, "app-worker");
    let expect = (50.0 / hz() / 0.5 * 100.0).min(100.0);
    assert!(approx(threads[0].cpu_percent.into(), expect));
    assert!(approx(threads[1].cpu_percent.into(), expect));

    // Off again: no thread rows, and nothing kept for them.
    s.set_all_threads(false);
    let snap = s.sample();
    assert!(find(&snap, 100).threads.is_empty());
    assert!(s.procs.values().all(|e| e.tasks.is_empty()));
}

#[test]
fn focus_reads_switches_wait_and_cores() {
    let fake = FakeProc::new("focus");
    let mut main = St::new(100, "app");
    main.threads = 3;
    fake.process(&main, b"app\0-v\0");
    fake.task(100, &main, Some((10, 1)), Some(1_000_000));
    let mut w1 = St::new(101, "w1");
    w1.start = 1100;
    fake.task(100, &w1, Some((500, 3)), Some(0));
    // No schedstat (kernel without CONFIG_SCHEDSTATS) and no status.
    let mut w2 = St::new(102, "w2");
    w2.start = 1100;
    fake.task(100, &w2, None, None);

    let mut s = fake.sampler();
    assert!(s.set_focus(Some(100)));
    let t0 = Instant::now();
    let first = s.sample_at(t0);
    let f = first.focus.as_ref().unwrap();
    assert!(f.alive);
    assert_eq!(f.threads.len(), 3);
    assert!(f.threads.iter().all(|t| t.voluntary_per_sec.is_none()));
    assert_eq!(f.threads.iter().filter(|t| t.is_main).count(), 1);

    main.utime = 100; // the process: 100 ticks more
    fake.process(&main, b"app\0-v\0");
    fake.task(100, &main, Some((60, 3)), Some(101_000_000));
    w1.utime = 100;
    w1.cpu = 1;
    w1.state = 'R';
    fake.task(100, &w1, Some((500, 53)), Some(50_000_000));
    fake.task(100, &w2, None, None);
    let snap = s.sample_at(t0 + Duration::from_millis(500));
    let f = snap.focus.as_ref().unwrap();
    assert_eq!(f.pid, 100);
    assert!(f.alive && f.error.is_none());
    let by = |tid| f.threads.iter().find(|t| t.thread.tid == tid).unwrap();

    let m = by(100);
    assert!(m.is_main);
    assert_eq!(m.voluntary, Some(60));
    assert_eq!(m.voluntary_per_sec, Some(100.0));
    assert_eq!(m.nonvoluntary_per_sec, Some(4.0));
    // 100 ms waiting in 500 ms.
    assert!(approx(m.wait_percent.unwrap().into(), 20.0));

    let w = by(101);
    assert!(!w.is_main);
    assert_eq!(w.thread.state, 'R');
    assert_eq!(w.thread.last_cpu, 1);
    assert_eq!(w.voluntary_per_sec, Some(0.0));
    assert_eq!(w.nonvoluntary_per_sec, Some(100.0));
    assert!(approx(w.wait_percent.unwrap().into(), 10.0));
    assert!(approx(w.thread.cpu_percent.into(), (100.0 / hz() / 0.5 * 100.0).min(100.0)));

    let w2 = by(102);
    assert_eq!((w2.voluntary, w2.voluntary_per_sec, w2.wait_percent), (None, None, None));

    assert!(approx(f.cores_in_use, 100.0 / hz() / 0.5));
    assert_eq!(f.process.as_ref().unwrap().pid, 100);
    assert_eq!(&*f.process.as_ref().unwrap().cmdline, "app -v");
}

#[test]
fn focused_process_exit_keeps_last_data() {
    let fake = FakeProc::new("focus-exit");
    let mut main = St::new(100, "app");
    main.threads = 2;
    fake.process(&main, b"app\0");
    let mut w = St::new(101, "w");
    w.start = 1001;
    fake.task(100, &w, Some((1, 1)), Some(1));
    let mut s = fake.sampler();
    s.set_focus(Some(100));
    s.sample();
    let before = s.sample().focus.unwrap();
    assert_eq!(before.threads.len(), 2);

    fake.remove("100");
    let after = s.sample().focus.unwrap();
    assert!(!after.alive);
    assert_eq!(after.error, None);
    assert_eq!(after.process, before.process);
    assert_eq!(after.threads, before.threads);
    assert_eq!(after.cores_in_use, 0.0);
    // And it stays so.
    assert!(!s.sample().focus.unwrap().alive);
}

#[test]
fn unreadable_task_dir_is_an_error_not_a_panic() {
    let fake = FakeProc::new("focus-unreadable");
    fake.write("100/stat", &St::new(100, "app").line());
    // `task` that can't be listed (root reads through chmod 000, so use a plain file).
    fake.write("100/task", b"");
    let mut s = fake.sampler();
    s.set_focus(Some(100));
    let f = s.sample().focus.unwrap();
    assert!(f.alive);
    assert!(f.threads.is_empty());
    let e = f.error.unwrap();
    assert!(e.starts_with("cannot read ") && e.contains("100/task"), "{e}");
}

#[test]
fn focus_on_a_missing_pid_says_so() {
    let fake = FakeProc::new("focus-missing");
    let mut s = fake.sampler();
    s.set_focus(Some(4242));
    let f = s.sample().focus.unwrap();
    assert!(!f.alive);
    assert_eq!(f.process, None);
    assert_eq!(f.error.as_deref(), Some("no such process: 4242"));
}

#[test]
fn pid_filter_lists_only_those_but_counts_all() {
    let fake = FakeProc::new("filter");
    for pid in [10, 11, 12] {
        fake.process(&St::new(pid, "p"), b"p\0");
    }
    let mut s = Sampler::new(SamplerConfig {
        proc_root: fake.path().to_path_buf(),
        pids: Some(vec![11]),
        focus: Some(12),
        ..SamplerConfig::default()
    });
    let snap = s.sample();
    assert_eq!(snap.processes.len(), 1);
    assert_eq!(snap.processes[0].pid, 11);
    assert_eq!(snap.system.processes, 3);
    // The focus is read even when the filter leaves it out.
    assert!(snap.focus.unwrap().alive);
    assert_eq!(s.config().pids, Some(vec![11]));
}

#[test]
fn missing_or_empty_root_does_not_panic() {
    let mut s = Sampler::new(SamplerConfig {
        proc_root: PathBuf::from("/nonexistent/threadtop-proc"),
        focus: Some(1),
        all_threads: true,
        ..SamplerConfig::default()
    });
    let snap = s.sample();
    assert!(snap.processes.is_empty());
    assert!(snap.system.cpus.is_empty());
    assert!(!snap.focus.unwrap().alive);
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

fn wait_for(rx: &mut SnapshotReceiver, what: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = rx.borrow_and_update().clone()
            && what(&s)
        {
            return s;
        }
        assert!(Instant::now() < deadline, "timed out waiting for a snapshot");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn thread_samples_at_once_then_quickly_and_on_focus() {
    let h = spawn(SamplerConfig { interval: Duration::from_secs(60), ..SamplerConfig::default() }).unwrap();
    let mut rx = h.snapshots();
    wait_for(&mut rx, |s| s.seq == 1);
    // The quick follow-up, long before the 60 s interval.
    let second = wait_for(&mut rx, |s| s.seq >= 2);
    assert!(second.elapsed < Duration::from_secs(30));
    let me = std::process::id() as Pid;
    h.send(Control::Focus(Some(me)));
    let f = wait_for(&mut rx, |s| s.focus.is_some());
    assert_eq!(f.focus.as_ref().unwrap().pid, me);
    h.send(Control::Now);
    wait_for(&mut rx, |s| s.seq > f.seq);
    assert!(h.is_running());
    // Dropping stops it at once, mid-interval.
    let t = Instant::now();
    drop(h);
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn paused_thread_does_not_sample() {
    let h = spawn(SamplerConfig { interval: Duration::from_millis(100), ..SamplerConfig::default() }).unwrap();
    let mut rx = h.snapshots();
    wait_for(&mut rx, |s| s.seq >= 1);
    h.send(Control::Pause(true));
    // Let any sample already under way land.
    std::thread::sleep(Duration::from_millis(300));
    let seq = rx.borrow_and_update().as_ref().unwrap().seq;
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(rx.borrow().as_ref().unwrap().seq, seq);
    h.send(Control::Pause(false));
    wait_for(&mut rx, |s| s.seq > seq);
}

#[test]
fn test_panic_hook_kills_the_thread_after_one_sample() {
    let h = spawn_inner(SamplerConfig::default(), Some(TestPanic::AfterFirst)).unwrap();
    let mut rx = h.snapshots();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.is_running() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(rx.borrow_and_update().as_ref().unwrap().seq, 1);
    // The sender is gone with the thread: the runtime sees it through `changed()`.
    assert!(rx.has_changed().is_err());
    h.send(Control::Now);
}

#[test]
fn test_panic_hook_waits_for_its_file() {
    let path = std::env::temp_dir().join(format!("threadtop-panic-when-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let config = SamplerConfig { interval: Duration::from_millis(100), ..SamplerConfig::default() };
    let h = spawn_inner(config, Some(TestPanic::WhenExists(path.clone()))).unwrap();
    let mut rx = h.snapshots();
    wait_for(&mut rx, |s| s.seq >= 3);
    assert!(h.is_running(), "no panic before the file exists");
    std::fs::write(&path, b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.is_running() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::fs::remove_file(&path);
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

/// A kept file reads the task it was opened for, not whatever has its number now; once that
/// task is gone, `read_kept` goes by path, which is how a reused PID is picked up. The new
/// process stands in for the PID's new owner (the path is what the number resolves to).
#[test]
fn kept_file_is_tied_to_its_task_and_reopens_by_path() {
    let mut a = std::process::Command::new("sleep").arg("100").spawn().unwrap();
    let mut b = std::process::Command::new("sleep").arg("100").spawn().unwrap();
    let (pa, pb) = (a.id() as Pid, b.id() as Pid);
    let mut r = ProcReader::new("/proc");
    r.set_budget(FdBudget::new(8));
    let mut kept = None;
    assert_eq!(parse_stat(r.read_kept(&mut kept, Some(pa), None, "stat").unwrap()).unwrap().pid, pa);
    assert!(kept.is_some());
    // Asked for B's number, the kept file still reads A: it is A's.
    assert_eq!(parse_stat(r.read_kept(&mut kept, Some(pb), None, "stat").unwrap()).unwrap().pid, pa);
    a.kill().unwrap();
    a.wait().unwrap();
    // A is gone: its file fails (ESRCH), and the path now leads to the number's owner.
    assert_eq!(parse_stat(r.read_kept(&mut kept, Some(pb), None, "stat").unwrap()).unwrap().pid, pb);
    assert!(kept.is_some());
    assert_eq!(r.budget().open(), 1);
    b.kill().unwrap();
    b.wait().unwrap();
    assert!(r.read_kept(&mut kept, Some(pb), None, "stat").is_err());
    assert!(kept.is_none());
    assert_eq!(r.budget().open(), 0);
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
        .args(["collect::sampler::tests::emfile_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
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
/// with fork, so it is slow (seconds) and not run by default:
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
    let mut reused = None;
    for _ in 0..200_000 {
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
    let Some(child) = reused else {
        eprintln!("PID {pid} was not handed out again (taken by another process): nothing checked");
        return;
    };
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
