//! The sampler against fake proc trees: rates, vanished and lying tasks, caches, kernel
//! threads, memory, all-threads mode, the focused process, the `-p` filter, a missing root.

use std::fs;
use std::path::PathBuf;

use super::fake::{BTIME, FakeProc, PF_KTHREAD_FOR_TEST, St};
use super::*;

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
    assert_eq!(&*p.name, "worker");
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
    assert_eq!(&*find(&snap, 100).name, "real");
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
    let first = s.sample();
    // argv rewritten in place, comm unchanged: the cached cmdline stays (one read per process),
    // and the name is the same string as last sample's, not a new one.
    fake.write("100/cmdline", b"bash\0-rewritten\0");
    let second = s.sample();
    assert_eq!(&*find(&second, 100).cmdline, "bash");
    assert!(std::sync::Arc::ptr_eq(&find(&first, 100).name, &find(&second, 100).name));
    // exec: comm changes, so cmdline is read again.
    let st = St::new(100, "sleep");
    fake.process(&st, b"sleep\x0010\0");
    let snap = s.sample();
    let p = find(&snap, 100);
    assert_eq!((&*p.name, &*p.cmdline), ("sleep", "sleep 10"));
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
    assert_eq!(&*w.name, "kworker/0:1-events");
    assert_eq!(w.state, 'I');
    assert_eq!(&*w.user, "root");
    assert!(w.threads.is_empty(), "kernel threads have no thread rows");
    let u = find(&snap, 400);
    assert_eq!(&*u.name, "user proc");
    assert_eq!(&*u.cmdline, "", "a zombie-like empty cmdline stays empty");
    assert_eq!((snap.system.processes, snap.system.threads, snap.system.kernel_threads), (1, 2, 2));
}

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
    let e = f.error.clone().unwrap();
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
