//! A fake proc tree in a temp dir, and the stat lines written into it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

pub(super) const BTIME: u64 = 1_700_000_000;

/// A proc tree in a temp dir, removed on drop.
pub(super) struct FakeProc {
    root: PathBuf,
}

/// The stat fields a test sets; the rest get plausible values.
#[derive(Clone)]
pub(super) struct St {
    pub(super) pid: i32,
    pub(super) comm: Vec<u8>,
    pub(super) state: char,
    pub(super) ppid: i32,
    pub(super) flags: u32,
    pub(super) utime: u64,
    pub(super) stime: u64,
    pub(super) nice: i64,
    pub(super) threads: i64,
    pub(super) start: u64,
    pub(super) vsize: u64,
    pub(super) rss: u64,
    pub(super) cpu: i32,
}

impl St {
    pub(super) fn new(pid: i32, comm: &str) -> Self {
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

    pub(super) fn line(&self) -> Vec<u8> {
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
    pub(super) fn new(name: &str) -> Self {
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

    pub(super) fn root_path(&self) -> &Path {
        &self.root
    }

    pub(super) fn write(&self, rel: &str, content: &[u8]) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    pub(super) fn remove(&self, rel: &str) {
        let p = self.root.join(rel);
        if p.is_dir() {
            fs::remove_dir_all(p).unwrap();
        } else {
            fs::remove_file(p).unwrap();
        }
    }

    /// A process: its stat, cmdline and main-thread task.
    pub(super) fn process(&self, st: &St, cmdline: &[u8]) {
        let pid = st.pid;
        self.write(&format!("{pid}/stat"), &st.line());
        self.write(&format!("{pid}/cmdline"), cmdline);
        self.write(&format!("{pid}/task/{pid}/stat"), &st.line());
    }

    /// A thread with optional status (voluntary, nonvoluntary) and schedstat wait_ns.
    pub(super) fn task(&self, pid: i32, st: &St, ctxt: Option<(u64, u64)>, wait_ns: Option<u64>) {
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

    pub(super) fn sampler(&self) -> Sampler {
        Sampler::new(SamplerConfig { proc_root: self.root.clone(), ..SamplerConfig::default() })
    }

    pub(super) fn path(&self) -> &Path {
        &self.root
    }
}

impl Drop for FakeProc {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

pub(super) const PF_KTHREAD_FOR_TEST: u32 = crate::collect::procfs::PF_KTHREAD | 0x40;
