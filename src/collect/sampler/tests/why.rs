//! The focused threads' time split, migrations, I/O rates and WAITING, against a fake proc tree:
//! the sums, the clamping of noise, sampled vs measured I/O, the visible-rows limit, and EACCES.

use super::fake::{FakeProc, St};
use super::*;
use crate::collect::model::TimeSplit;

const MS: u64 = 1_000_000;

/// `st`'s stat line with field 42 (delayacct_blkio_ticks) set.
fn with_blkio(st: &St, ticks: u64) -> Vec<u8> {
    let line = String::from_utf8(st.line()).unwrap();
    let close = line.rfind(')').unwrap();
    let mut f: Vec<String> = line[close + 2..].split_whitespace().map(str::to_owned).collect();
    f[42 - 3] = ticks.to_string();
    format!("{} {}\n", &line[..=close], f.join(" ")).into_bytes()
}

struct Files<'a> {
    fake: &'a FakeProc,
    pid: i32,
}

impl Files<'_> {
    #[allow(clippy::too_many_arguments)]
    fn thread(&self, st: &St, run_ns: u64, wait_ns: u64, migrations: u64, rchar: u64, syscall: &str, wchan: &str) {
        let (pid, tid) = (self.pid, st.pid);
        let at = |f: &str| format!("{pid}/task/{tid}/{f}");
        self.fake.write(&at("stat"), &st.line());
        self.fake.write(&at("schedstat"), format!("{run_ns} {wait_ns} 7\n").as_bytes());
        self.fake.write(
            &at("sched"),
            format!("x ({tid}, #threads: 3)\n---\nse.nr_migrations                             :   {migrations}\n")
                .as_bytes(),
        );
        self.fake.write(
            &at("io"),
            format!(
                "rchar: {rchar}\nwchar: 0\nsyscr: {}\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n",
                rchar / 100
            )
            .as_bytes(),
        );
        self.fake.write(&at("syscall"), syscall.as_bytes());
        self.fake.write(&at("wchan"), wchan.as_bytes());
    }
}

fn sum(s: &TimeSplit) -> u64 {
    s.parts().iter().sum()
}

#[cfg(target_arch = "x86_64")]
const READ_FD_3: &str = "0 0x3 0x7ffd0000 0x1 0x0 0x0 0x0 0x7ffc 0x7f00\n";
#[cfg(target_arch = "aarch64")]
const READ_FD_3: &str = "63 0x3 0x7ffd0000 0x1 0x0 0x0 0x0 0x7ffc 0x7f00\n";

#[test]
fn split_migrations_io_and_waiting() {
    let fake = FakeProc::new("why");
    let mut main = St::new(100, "app");
    main.threads = 3;
    fake.process(&main, b"app\0");
    let mut spin = St::new(101, "spin");
    spin.state = 'R';
    let mut reader = St::new(102, "reader");
    reader.state = 'D';
    let files = Files { fake: &fake, pid: 100 };
    files.thread(&main, 0, 0, 5, 0, "running\n", "0");
    files.thread(&spin, 0, 0, 1, 0, "running\n", "0");
    files.thread(&reader, 0, 0, 0, 1000, READ_FD_3, "anon_pipe_read");
    fake.write("100/fd/.keep", b"");
    std::os::unix::fs::symlink("pipe:[81234]", fake.root_path().join("100/fd/3")).unwrap();

    let mut s = fake.sampler();
    s.set_focus(Some(100));
    let t0 = Instant::now();
    let first = s.sample_at(t0).focus.unwrap();
    assert!(first.threads.iter().all(|t| t.split.is_none() && t.migrations_per_sec.is_none()));
    // No sys/kernel/task_delayacct in the tree: off, so I/O is sampled.
    assert!(!first.delay_accounting);
    assert!(first.migrations_exact);

    // 1 s later: main slept; spin ran 700 ms and waited 400 ms (more than the wall: noise);
    // reader sits in D after 100 ms on a CPU.
    files.thread(&main, 0, 0, 5, 0, "running\n", "0");
    files.thread(&spin, 700 * MS, 400 * MS, 4, 0, "running\n", "0");
    files.thread(&reader, 100 * MS, 0, 0, 5096, READ_FD_3, "anon_pipe_read");
    let f = s.sample_at(t0 + Duration::from_secs(1)).focus.unwrap();
    let by = |tid| f.threads.iter().find(|t| t.thread.tid == tid).unwrap();
    for t in &f.threads {
        let split = t.split.unwrap();
        assert_eq!(sum(&split), split.wall_ns, "{t:?}");
        // Each thread's own clock: the sample's, moved on by how long the sample had taken to reach it.
        assert!(split.wall_ns > 900 * MS && split.wall_ns < 1_100 * MS, "{split:?}");
        assert_eq!(t.split_window, t.split, "one interval so far: the window is it");
    }
    assert_eq!(by(100).split.unwrap().sleep_ns, by(100).split.unwrap().wall_ns);
    let sp = by(101).split.unwrap();
    assert_eq!(sp.sleep_ns, 0, "over-measured: nothing left to sleep");
    assert!(sp.on_cpu_ns > sp.wait_ns && sp.on_cpu_ns < 700 * MS, "scaled down together: {sp:?}");
    let rd = by(102).split.unwrap();
    assert_eq!(rd.on_cpu_ns, 100 * MS);
    assert_eq!(rd.io_ns, rd.wall_ns - 100 * MS, "found in D: the rest was I/O (sampled)");
    assert_eq!(by(101).migrations, Some(4));
    assert!(by(101).migrations_per_sec.is_some_and(|r| r > 2.7 && r < 3.3));
    assert!(by(102).io.is_some_and(|io| (3700.0..4500.0).contains(&io.read_bytes_per_sec)));

    assert_eq!(by(101).waiting.as_ref().unwrap().text, "running");
    let w = by(102).waiting.clone().unwrap();
    assert_eq!(w.text, "read fd 3 pipe:[81234]");
    assert_eq!((w.syscall, w.fd, w.wchan.as_deref()), (Some("read"), Some(3), Some("anon_pipe_read")));
    let (n, total) = f.split_total(false).unwrap();
    assert_eq!(n, 3);
    assert_eq!(sum(&total), total.wall_ns);

    // Only the rows on screen get WAITING; running ones say so without a read.
    s.set_visible(Some(vec![100, 101]));
    fake.write("sys/kernel/task_delayacct", b"1\n");
    fake.write("100/task/102/stat", &with_blkio(&reader, 0));
    let f = s.sample_at(t0 + Duration::from_secs(2)).focus.unwrap();
    let by = |tid| f.threads.iter().find(|t| t.thread.tid == tid).unwrap();
    assert!(by(102).waiting.is_none(), "off screen");
    assert_eq!(by(101).waiting.as_ref().unwrap().text, "running");
    // The window sums both intervals.
    let win = by(101).split_window.unwrap();
    assert!(win.wall_ns > 1_900 * MS && sum(&win) == win.wall_ns);
    // The flag is read again only every 10 s.
    assert!(!f.delay_accounting);
    let f = s.sample_at(t0 + Duration::from_secs(11)).focus.unwrap();
    assert!(f.delay_accounting);

    // With delay accounting on, I/O is stat field 42: 30 ticks in this interval.
    let hz = crate::collect::procfs::clock_ticks_per_second();
    fake.write("100/task/102/stat", &with_blkio(&reader, 30));
    let f = s.sample_at(t0 + Duration::from_secs(12)).focus.unwrap();
    let rd = f.threads.iter().find(|t| t.thread.tid == 102).unwrap().split.unwrap();
    assert_eq!(rd.io_ns, 30 * 1_000_000_000 / hz);
    assert_eq!(sum(&rd), rd.wall_ns);
}

/// Only EACCES/EPERM mean "needs ptrace rights" (the as-nobody integration test makes a real
/// one; root reads any mode here): a syscall file that fails otherwise leaves WAITING unknown for
/// that thread without the notice.
#[test]
fn an_unreadable_syscall_file_is_not_a_refusal() {
    let fake = FakeProc::new("why-unreadable");
    let main = St::new(100, "app");
    fake.process(&main, b"app\0");
    let files = Files { fake: &fake, pid: 100 };
    files.thread(&main, 0, 0, 0, 0, "", "0");
    // A directory where the file should be: reading it fails with EISDIR.
    fake.remove("100/task/100/syscall");
    fake.write("100/task/100/syscall/x", b"");
    let mut s = fake.sampler();
    s.set_focus(Some(100));
    let f = s.sample().focus.unwrap();
    assert!(!f.waiting_denied);
    assert!(f.threads[0].waiting.is_none());
}
