//! The per-process extras on the real /proc: nothing read unless asked, io that matches what the
//! kernel says of a process that writes, every thread's counters for a picked process, and the
//! files closed again when nothing needs them.

use std::io::Write as _;
use std::sync::mpsc;

use super::*;
use crate::collect::model::IoCounters;
use crate::collect::procfs::parse_io;

fn own_io() -> IoCounters {
    parse_io(&std::fs::read("/proc/self/io").unwrap()).unwrap()
}

#[test]
fn no_extras_unless_asked() {
    let me = std::process::id() as Pid;
    let mut s = Sampler::new(SamplerConfig::default());
    let snap = s.sample();
    assert!(snap.processes.iter().all(|p| p.extra.is_none()));
    assert!(find(&snap, me).extra.is_none());
}

/// This process writes 4 MiB and syncs between two samples: the sampled write_bytes lies between
/// what /proc/self/io said before and after, and its rate covers the 4 MiB.
#[test]
fn io_matches_the_kernel_for_a_process_that_writes() {
    let me = std::process::id() as Pid;
    let extras = Extras { io: true, ..Extras::default() };
    let mut s = Sampler::new(SamplerConfig { pids: Some(vec![me]), extras, ..SamplerConfig::default() });
    let t0 = Instant::now();
    let first = s.sample_at(t0);
    let x = find(&first, me).extra.as_ref().unwrap();
    assert!(x.io.is_some() && x.io_write_per_sec.is_none(), "no rate on the first sample: {x:?}");
    let dir = std::env::temp_dir().join(format!("tt-io-test-{me}"));
    std::fs::create_dir_all(&dir).unwrap();
    let before = own_io();
    {
        let mut f = std::fs::File::create(dir.join("data")).unwrap();
        f.write_all(&vec![7u8; 4 << 20]).unwrap();
        f.sync_all().unwrap();
    }
    let snap = s.sample_at(t0 + Duration::from_secs(1));
    let after = own_io();
    std::fs::remove_dir_all(&dir).unwrap();
    let x = find(&snap, me).extra.as_ref().unwrap();
    let io = x.io.unwrap();
    assert!(before.write_bytes <= io.write_bytes && io.write_bytes <= after.write_bytes, "{before:?} {io:?} {after:?}");
    assert!(after.write_bytes - before.write_bytes >= 4 << 20, "ext4 accounts the write: {before:?} {after:?}");
    let rate = x.io_write_per_sec.unwrap();
    assert!(rate >= f64::from(4u32 << 20), "1 s between samples, 4 MiB written: {rate}");
    assert!(x.threads.is_empty() && x.voluntary.is_none(), "only io was asked: {x:?}");
}

/// A picked process has every thread with its name and counters; switching the extras off closes
/// their files.
#[test]
fn picked_process_has_its_threads_counters_and_files_close_after() {
    let me = std::process::id() as Pid;
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Arc::new(parking_lot::Mutex::new(rx));
    let workers: Vec<_> = (0..3)
        .map(|i| {
            let rx = rx.clone();
            std::thread::Builder::new().name(format!("tt-xtra-{i}")).spawn(move || rx.lock().recv()).unwrap()
        })
        .collect();
    let pick = ThreadPick(Arc::new(move |p: &ProcessSample| p.pid == me));
    let extras = Extras { sched: true, threads: Some(pick), ..Extras::default() };
    let mut s = Sampler::new(SamplerConfig { pids: Some(vec![me]), extras, ..SamplerConfig::default() });
    let snap = s.sample();
    let (kept_on, _) = s.kept_files();
    let x = find(&snap, me).extra.as_ref().unwrap();
    let names: Vec<&str> = x.threads.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"tt-xtra-0"), "{names:?}");
    assert!(x.threads.len() >= 4, "main and the three workers: {names:?}");
    assert!(x.threads.iter().all(|t| t.voluntary.is_some() && t.run_delay_ns.is_some()), "{:?}", x.threads);
    let sum: u64 = x.threads.iter().filter_map(|t| t.run_delay_ns).sum();
    assert_eq!(x.run_delay_ns, Some(sum), "a picked process's run delay is its threads'");
    assert!(x.voluntary.is_some());
    assert!(s.set_extras(Extras::default()));
    let snap = s.sample();
    assert!(find(&snap, me).extra.is_none());
    let (kept_off, _) = s.kept_files();
    assert!(
        kept_off + 3 * 4 <= kept_on,
        "stat+status+schedstat of 4+ threads, status, schedstat closed: {kept_on} -> {kept_off}"
    );
    drop(tx);
    for w in workers {
        let _ = w.join();
    }
}
