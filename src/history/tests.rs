//! Writer → reader round trips, seeking, rotation, and every bad input (empty, garbage, newer
//! version, truncated anywhere, flipped bytes): a clear error or a warning, never a panic.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::format::{self, Header, MAGIC, PREAMBLE};
use super::record::{FrameState, IdentityRec, ProcDyn, ProcRec, ProcStatic, SystemRec, ThreadRec};
use super::{Recording, Writer, WriterConfig};

pub(crate) fn tmpdir(tag: &str) -> PathBuf {
    let d =
        std::env::temp_dir().join(format!("tt-hist-{tag}-{}-{:?}", std::process::id(), std::thread::current().id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub(crate) fn config(dir: &Path, output: Option<PathBuf>) -> WriterConfig {
    WriterConfig {
        output,
        dir: dir.to_path_buf(),
        max_size: None,
        rotate_daily: false,
        interval: Duration::from_secs(1),
        threads: "all".into(),
        keyframe_every: 10,
        identity: IdentityRec { hostname: "testhost".into(), logical_cores: 2, ..IdentityRec::default() },
        utc_offset_s: Some(0),
    }
}

/// A machine of `n` processes at tick `t`: a few busy, one born and one dying now and then.
pub(crate) fn synthetic(t: u64, n: i32, threads: usize) -> FrameState {
    let procs = (1..=n)
        .filter(|&pid| !(pid % 7 == 0 && (t / 5) % 2 == 1))
        .map(|pid| {
            let busy = pid % 10 == 0;
            ProcRec {
                stat: ProcStatic {
                    pid,
                    start_ticks: u64::from(pid as u32) * 3,
                    name: format!("proc{pid}"),
                    cmdline: format!("/usr/bin/proc{pid} --flag {pid}"),
                    user: "root".into(),
                    ..ProcStatic::default()
                },
                dynamic: ProcDyn {
                    state: if busy { 'R' } else { 'S' },
                    rss_bytes: 1 << 20,
                    num_threads: threads as u32,
                    cpu_time_ms: if busy { t * 500 } else { 10 },
                    cpu_percent: if busy { 50.0 + (t % 3) as f32 } else { 0.0 },
                    ..ProcDyn::default()
                },
                threads: (threads > 0).then(|| {
                    (0..threads)
                        .map(|k| ThreadRec {
                            tid: pid * 100 + k as i32,
                            name: format!("worker-{k}"),
                            state: 'S',
                            cpu_time_ms: if busy && k == 0 { t * 500 } else { 1 },
                            cpu_percent: if busy && k == 0 { 50.0 } else { 0.0 },
                            ..ThreadRec::default()
                        })
                        .collect()
                }),
            }
        })
        .collect();
    FrameState { system: SystemRec { running: (t % 4) as u32, uptime_ms: t * 1000, ..SystemRec::default() }, procs }
}

const T0: u64 = 1_796_168_412_000;

fn write(path: &Path, frames: u64) -> Vec<FrameState> {
    let dir = path.parent().unwrap();
    let mut w = Writer::create(config(dir, Some(path.to_path_buf())), T0).unwrap();
    let mut all = Vec::new();
    for t in 0..frames {
        let s = synthetic(t, 30, 3);
        w.append(T0 + t * 1000, s.clone()).unwrap();
        all.push(s);
    }
    w.finish().unwrap();
    all
}

#[test]
fn every_frame_reads_back_exactly_in_any_order() {
    let d = tmpdir("rt");
    let f = d.join("a.ttrec");
    let states = write(&f, 35);
    let mut r = Recording::open(&[f]).unwrap();
    assert_eq!(r.len(), 35);
    assert!(r.warnings().is_empty(), "{:?}", r.warnings());
    for i in (0..35).rev().chain([3, 4, 5, 20, 0, 34]) {
        assert_eq!(r.state_at(i).unwrap(), &states[i], "frame {i}");
    }
    assert_eq!(r.span(), Some((T0, T0 + 34_000)));
    assert_eq!(r.index_at(T0 + 12_500), 12);
    assert_eq!(r.index_at(0), 0);
    assert_eq!(r.index_at(u64::MAX), 34);
}

#[test]
fn stepping_forward_decodes_one_delta_and_a_seek_at_most_a_keyframe_spacing() {
    let d = tmpdir("seek");
    let f = d.join("a.ttrec");
    write(&f, 35);
    let mut r = Recording::open(&[f]).unwrap();
    r.state_at(12).unwrap();
    let before = r.decoded;
    r.state_at(13).unwrap();
    assert_eq!(r.decoded - before, 1);
    let before = r.decoded;
    r.state_at(29).unwrap();
    // keyframe 20, then 9 deltas.
    assert_eq!(r.decoded - before, 10);
}

#[test]
fn a_torn_tail_is_ignored_with_a_warning_at_every_cut() {
    let d = tmpdir("torn");
    let f = d.join("a.ttrec");
    let states = write(&f, 12);
    let bytes = std::fs::read(&f).unwrap();
    let mut r = Recording::open(std::slice::from_ref(&f)).unwrap();
    let ends: Vec<u64> = r.frames.iter().map(|fr| fr.offset + format::FRAME_HEAD as u64 + u64::from(fr.len)).collect();
    let _ = r.state_at(0);
    let first_frame = r.frames[0].offset as usize;
    // From here on the finished file's index and footer: a cut there loses no frame.
    let data_end = r.parts[0].data_end() as usize;
    for cut in first_frame..bytes.len() {
        std::fs::write(&f, &bytes[..cut]).unwrap();
        let mut r = Recording::open(std::slice::from_ref(&f)).unwrap();
        let complete = ends.iter().filter(|&&e| e as usize <= cut).count();
        assert_eq!(r.len(), complete, "cut at {cut}");
        let on_boundary = cut == first_frame || ends.contains(&(cut as u64));
        // Inside the index or footer every frame is there; a warning may say the index was cut.
        if cut <= data_end {
            assert_eq!(r.warnings().is_empty(), on_boundary, "cut at {cut}: {:?}", r.warnings());
        }
        if complete > 0 {
            assert_eq!(r.state_at(complete - 1).unwrap(), &states[complete - 1]);
        }
    }
}

#[test]
fn a_finished_file_opens_from_its_index_and_a_damaged_index_falls_back_to_the_scan() {
    let d = tmpdir("index");
    let f = d.join("a.ttrec");
    let states = write(&f, 25);
    let mut r = Recording::open(std::slice::from_ref(&f)).unwrap();
    assert!(r.parts[0].finished, "read from the index");
    assert!(r.warnings().is_empty());
    let frames = r.frames.clone();
    assert_eq!(r.state_at(24).unwrap(), &states[24]);
    let mut bytes = std::fs::read(&f).unwrap();
    let n = bytes.len();
    // The footer's offset points elsewhere: the index is not used, the scan finds the same frames.
    bytes[n - 3] ^= 0x40;
    std::fs::write(&f, &bytes).unwrap();
    let mut r = Recording::open(std::slice::from_ref(&f)).unwrap();
    assert_eq!(r.frames, frames);
    assert!(r.warnings().is_empty(), "{:?}", r.warnings());
    assert_eq!(r.state_at(24).unwrap(), &states[24]);
    // Appending after finish is refused.
    let mut w = Writer::create(config(&d, Some(d.join("b.ttrec"))), T0).unwrap();
    w.finish().unwrap();
    assert!(w.append(T0, synthetic(0, 2, 0)).is_err());
}

#[test]
fn a_growing_file_is_followed() {
    let d = tmpdir("grow");
    let f = d.join("a.ttrec");
    let mut w = Writer::create(config(&d, Some(f.clone())), T0).unwrap();
    let mut r = Recording::open(std::slice::from_ref(&f)).unwrap();
    assert!(r.is_empty());
    for t in 0..3 {
        w.append(T0 + t * 1000, synthetic(t, 5, 1)).unwrap();
    }
    assert_eq!(r.refresh().unwrap(), 3);
    w.append(T0 + 3000, synthetic(3, 5, 1)).unwrap();
    assert_eq!(r.refresh().unwrap(), 1);
    assert_eq!(r.state_at(3).unwrap(), &synthetic(3, 5, 1));
}

#[test]
fn rotation_by_size_makes_parts_that_replay_as_one_and_a_missing_one_is_a_gap() {
    let d = tmpdir("rot");
    let mut cfg = config(&d, None);
    cfg.max_size = Some(1200);
    let mut w = Writer::create(cfg, T0).unwrap();
    for t in 0..40 {
        w.append(T0 + t * 1000, synthetic(t, 30, 0)).unwrap();
    }
    let paths = w.paths.clone();
    assert!(paths.len() >= 3, "{paths:?}");
    for p in &paths {
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(n.starts_with("threadtop-2026") && n.ends_with(".ttrec"), "{n}");
        assert!(std::fs::metadata(p).unwrap().len() < 1200 + 2000);
    }
    let mut r = Recording::open(&paths).unwrap();
    assert_eq!(r.len(), 40);
    assert!(r.gaps().is_empty());
    for i in 0..40 {
        assert_eq!(r.state_at(i).unwrap(), &synthetic(i as u64, 30, 0));
    }
    // Given in any order, the parts sort by time; without the second, a gap says so.
    let mut some = paths.clone();
    some.remove(1);
    some.reverse();
    let r = Recording::open(&some).unwrap();
    let gaps = r.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].why, "missing part 1");
}

#[test]
fn rotation_at_midnight() {
    let d = tmpdir("day");
    let mut cfg = config(&d, None);
    cfg.rotate_daily = true;
    let offset = 0;
    // Two seconds before the next local midnight.
    let day = super::time::day_of(T0, offset);
    let start = ((day + 1) * 86_400 - offset - 2) as u64 * 1000;
    let mut w = Writer::create(cfg, start).unwrap();
    for t in 0..4 {
        w.append(start + t * 1000, synthetic(t, 3, 0)).unwrap();
    }
    assert_eq!(w.paths.len(), 2);
    assert_eq!(Recording::open(&w.paths).unwrap().len(), 4);
}

fn expect_err(bytes: &[u8], wanted: &str) {
    let d = tmpdir("bad");
    let f = d.join("bad.ttrec");
    std::fs::write(&f, bytes).unwrap();
    let e = Recording::open(&[f]).err().unwrap_or_else(|| panic!("opened: want {wanted}"));
    assert!(e.contains(wanted), "{e}");
    assert!(!e.contains('\n'), "one line: {e}");
}

#[test]
fn bad_files_get_one_clear_line() {
    expect_err(b"", "empty file");
    expect_err(b"hello, this is not a recording at all", "not a threadtop recording");
    expect_err(&MAGIC[..5], "not a threadtop recording");
    expect_err(&MAGIC, "truncated");
    let good = format::encode_header(&Header::default());
    expect_err(&good[..good.len() - 1], "truncated");
    let mut newer = good.clone();
    newer[8..10].copy_from_slice(&(format::VERSION + 1).to_le_bytes());
    expect_err(&newer, "format version 2");
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    expect_err(&flipped, "damaged header");
    let d = tmpdir("nofile");
    let e = Recording::open(&[d.join("nope.ttrec")]).err().unwrap();
    assert!(e.contains("No such file"), "{e}");
    assert_eq!(PREAMBLE, 20);
}

#[test]
fn garbage_after_the_header_is_a_warning_and_the_frames_before_it_read() {
    let d = tmpdir("garb");
    let f = d.join("a.ttrec");
    write(&f, 3);
    let mut bytes = std::fs::read(&f).unwrap();
    bytes.extend_from_slice(&[0xff; 40]);
    std::fs::write(&f, &bytes).unwrap();
    let r = Recording::open(&[f]).unwrap();
    assert_eq!(r.len(), 3);
    assert!(r.warnings()[0].contains("40 bytes after the end of the recording"), "{:?}", r.warnings());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The frame reader on a real file with bytes flipped anywhere after the header, or cut
    /// anywhere: opening and reading every frame gives states or errors, never a panic; a frame
    /// that reads is one the writer wrote (a checksum catches the rest).
    #[test]
    fn flipped_or_cut_files_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), 1..=255u8), 0..6),
                                       cut in any::<prop::sample::Index>()) {
        let d = tmpdir("fuzz");
        let f = d.join("a.ttrec");
        let states = write(&f, 14);
        let mut bytes = std::fs::read(&f).unwrap();
        let r0 = Recording::open(std::slice::from_ref(&f)).unwrap();
        let body = r0.frames[0].offset as usize;
        for (at, x) in &flips {
            let i = body + at.index(bytes.len() - body);
            bytes[i] ^= x;
        }
        bytes.truncate(body + cut.index(bytes.len() - body + 1));
        std::fs::write(&f, &bytes).unwrap();
        if let Ok(mut r) = Recording::open(std::slice::from_ref(&f)) {
            for (i, want) in states.iter().enumerate().take(r.len()) {
                if let Ok(s) = r.state_at(i) {
                    prop_assert_eq!(s, want);
                }
            }
        }
    }

    /// Random bytes after a valid header.
    #[test]
    fn random_frames_never_panic(junk in proptest::collection::vec(any::<u8>(), 0..400)) {
        let d = tmpdir("junk");
        let f = d.join("a.ttrec");
        let mut bytes = format::encode_header(&Header::default());
        bytes.extend_from_slice(&junk);
        std::fs::write(&f, &bytes).unwrap();
        if let Ok(mut r) = Recording::open(&[f]) {
            for i in 0..r.len() {
                let _ = r.state_at(i);
            }
        }
    }
}
