//! Fixture snapshots built in code, for unit and render tests.
//! Part of `app`: imports `collect::model` and `model` only; no lab, ui, runtime, input, I/O or terminal.

use std::sync::Arc;
use std::time::Duration;

use crate::collect::model::*;

pub fn process(pid: Pid, ppid: Pid, name: &str, cpu: f32, rss_mib: u64) -> ProcessSample {
    ProcessSample {
        pid,
        ppid,
        start_ticks: 1000 + pid as u64,
        start_time: 1_700_000_000,
        name: name.into(),
        cmdline: format!("/usr/bin/{name} --flag").into(),
        uid: Some(0),
        user: "root".into(),
        state: if cpu > 0.0 { 'R' } else { 'S' },
        priority: 20,
        nice: 0,
        virt_bytes: rss_mib * 4 * 1024 * 1024,
        rss_bytes: rss_mib * 1024 * 1024,
        shared_bytes: 0,
        num_threads: 1,
        cpu_time_ms: (cpu as u64) * 1000 + pid as u64,
        cpu_percent: cpu,
        mem_percent: rss_mib as f32 / 240.0,
        last_cpu: pid % 2,
        kernel_thread: false,
        threads: Vec::new(),
        extra: None,
    }
}

pub fn thread(tid: Pid, name: &str, state: char, cpu: f32, last_cpu: i32) -> ThreadSample {
    ThreadSample {
        tid,
        name: name.to_string(),
        state,
        cpu_percent: cpu,
        cpu_time_ms: (cpu as u64) * 100 + tid as u64,
        last_cpu,
        nice: 0,
        priority: 20,
    }
}

pub fn detail(t: ThreadSample, pid: Pid, vcsw: f64, nvcsw: f64, wait: Option<f32>) -> ThreadDetail {
    ThreadDetail {
        is_main: t.tid == pid,
        voluntary: Some(1000 + t.tid as u64),
        nonvoluntary: Some(10),
        voluntary_per_sec: Some(vcsw),
        nonvoluntary_per_sec: Some(nvcsw),
        wait_percent: wait,
        thread: t,
        ..ThreadDetail::default()
    }
}

/// `d` with what the threads view's "why" columns show: a time split (per mille of a 1 s interval
/// and of a 10 s window alike: on CPU, waiting for a core, I/O), migrations/s, I/O rates and
/// what it waits in.
pub fn why(
    mut d: ThreadDetail,
    per_mille: [u64; 3],
    migrations: f64,
    waiting: &str,
    wchan: Option<&str>,
) -> ThreadDetail {
    let [c, w, i] = per_mille.map(|v| v * 1_000_000);
    d.split = Some(TimeSplit::new(1_000_000_000, c, w, i));
    d.split_window = Some(TimeSplit::new(10_000_000_000, c * 10, w * 10, i * 10));
    d.migrations = Some(migrations as u64 * 10);
    d.migrations_per_sec = Some(migrations);
    d.waiting = Some(Waiting { text: waiting.into(), wchan: wchan.map(Into::into), ..Waiting::default() });
    d.io = Some(ThreadIo {
        read_bytes_per_sec: if waiting.starts_with("read") { 4096.0 } else { 0.0 },
        syscalls_per_sec: if waiting.starts_with("read") { 4.0 } else { 0.0 },
        ..ThreadIo::default()
    });
    d
}

pub fn system(cpus: usize) -> SystemSample {
    SystemSample {
        identity: Arc::new(Identity {
            cpu_model: "Intel(R) Xeon(R) Processor".into(),
            physical_cores: Some(cpus),
            logical_cores: cpus,
            os: "Debian GNU/Linux 12".into(),
            kernel: "6.18.0".into(),
            arch: "x86_64".into(),
            hostname: "lab".into(),
            memory_bytes: 24 << 30,
        }),
        cpus: (0..cpus)
            .map(|i| CpuTimes { user: 30.0 + i as f32 * 10.0, system: 10.0, steal: 2.0, ..Default::default() })
            .collect(),
        total: CpuTimes { user: 35.0, system: 10.0, steal: 2.0, ..Default::default() },
        mem_total: 24 << 30,
        mem_used: 3 << 30,
        swap_total: 2 << 30,
        swap_used: 0,
        load: [0.52, 0.40, 0.31],
        uptime: Duration::from_secs(3 * 86400 + 4 * 3600 + 5 * 60 + 6),
        processes: 7,
        threads: 16,
        kernel_threads: 2,
        running: 2,
        blocked: Some(0),
        cpu_ticks: (0..cpus as u64)
            .map(|i| Some(CpuCounters { user: 1000 + i, system: 500, idle: 9000, ..Default::default() }))
            .collect(),
        ticks_per_second: 100,
    }
}

/// A small machine: init, a shell, a 4-thread worker, sshd and its child, kernel threads.
pub fn snapshot(seq: u64) -> Snapshot {
    let mut worker = process(300, 200, "worker", 180.0, 120);
    worker.num_threads = 4;
    worker.threads = vec![
        thread(300, "worker", 'S', 0.0, 0),
        thread(301, "cpu-0", 'R', 95.0, 0),
        thread(302, "cpu-1", 'R', 85.0, 1),
        thread(303, "io-0", 'S', 0.5, 1),
    ];
    let mut kthread = process(2, 0, "kthreadd", 0.0, 0);
    kthread.kernel_thread = true;
    kthread.cmdline = "".into();
    let mut kworker = process(12, 2, "kworker/0:1", 0.0, 0);
    kworker.kernel_thread = true;
    kworker.cmdline = "".into();
    let mut sshd = process(400, 1, "sshd", 0.0, 8);
    sshd.user = "sshd".into();
    Snapshot {
        seq,
        elapsed: Duration::from_secs(1),
        system: system(2),
        processes: vec![
            process(1, 0, "init", 0.0, 12),
            kthread,
            kworker,
            process(200, 1, "bash", 0.3, 5),
            worker,
            sshd,
            process(401, 400, "sshd-session", 2.0, 9),
        ],
        all_threads: true,
        focus: None,
        stats: SamplerStats {
            sample_duration: Duration::from_micros(1800),
            own_cpu_percent: 0.4,
            vanished: 0,
            ..Default::default()
        },
    }
}

/// The worker process (PID 300) in detail, as the threads view receives it.
pub fn focus_worker() -> FocusSample {
    let snap = snapshot(1);
    let p = snap.processes.iter().find(|p| p.pid == 300).cloned().unwrap_or_default();
    FocusSample {
        pid: 300,
        threads: vec![
            why(
                detail(thread(300, "worker", 'S', 0.0, 0), 300, 0.0, 0.0, Some(0.0)),
                [1, 0, 0],
                0.0,
                "futex",
                Some("futex_do_wait"),
            ),
            why(
                detail(thread(301, "cpu-0", 'R', 95.0, 0), 300, 0.0, 25.0, Some(4.0)),
                [600, 380, 0],
                3.0,
                "running",
                None,
            ),
            why(
                detail(thread(302, "cpu-1", 'R', 85.0, 1), 300, 1.0, 31.0, Some(12.5)),
                [620, 360, 0],
                2.0,
                "running",
                None,
            ),
            why(
                detail(thread(303, "io-0", 'S', 0.5, 1), 300, 98.0, 0.0, None),
                [5, 0, 0],
                0.0,
                "read fd 3 pipe:[81234]",
                Some("anon_pipe_read"),
            ),
        ],
        process: Some(p),
        alive: true,
        error: None,
        cores_in_use: 1.81,
        ..FocusSample::default()
    }
}
