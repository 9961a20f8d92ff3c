//! `threadtop record`: samples like the live view and appends a frame per tick to a recording
//! (`history::Writer`), until Ctrl-C, TERM, HUP or `--duration`. A kill at any moment leaves the
//! file readable up to its last complete frame; a clean stop flushes it to the disk.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::cli::{Cli, RecordArgs, RecordThreads};
use crate::collect::system::identity;
use crate::collect::{Sampler, SamplerConfig};
use crate::history::record::IdentityRec;
use crate::history::writer::DEFAULT_KEYFRAME_EVERY;
use crate::history::{FrameState, Writer, WriterConfig};

use super::{print_err, proc_root};

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// This process's CPU time (user + system) and peak RSS in bytes.
fn own_usage() -> (Duration, u64) {
    // SAFETY: getrusage only writes the struct it is given, which lives for the call.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (Duration::ZERO, 0);
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1000);
    (tv(ru.ru_utime) + tv(ru.ru_stime), ru.ru_maxrss.max(0) as u64 * 1024)
}

pub fn run(cli: &Cli, args: &RecordArgs, default_interval: Duration) -> ExitCode {
    let interval = match args.interval {
        Some(i) => i,
        None => match cli.refresh_interval_or(default_interval) {
            Ok(i) => i,
            Err(e) => {
                print_err(&e);
                return ExitCode::from(2);
            }
        },
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        if let Err(e) = signal_hook::flag::register(sig, stop.clone()) {
            print_err(&format!("cannot handle signal {sig}: {e}"));
            return ExitCode::FAILURE;
        }
    }
    let mode = args.threads;
    let mut sampler = Sampler::new(SamplerConfig {
        interval,
        all_threads: mode != RecordThreads::None,
        proc_root: proc_root(cli),
        ..SamplerConfig::default()
    });
    let dir = args
        .output
        .as_deref()
        .and_then(|p| p.parent())
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| std::path::PathBuf::from("."), std::path::Path::to_path_buf);
    let threads_word = match mode {
        RecordThreads::None => "none",
        RecordThreads::Busy => "busy",
        RecordThreads::All => "all",
    };
    let cfg = WriterConfig {
        output: args.output.clone(),
        dir,
        max_size: args.max_size,
        rotate_daily: true,
        interval,
        threads: threads_word.into(),
        keyframe_every: DEFAULT_KEYFRAME_EVERY,
        identity: IdentityRec::from_identity(&identity()),
        utc_offset_s: None,
    };
    // The first sample only sets the base of every rate (its CPU% are all 0): not recorded.
    sampler.sample();
    let mut next = Instant::now() + interval;
    let mut writer = match Writer::create(cfg, now_ms()) {
        Ok(w) => w,
        Err(e) => {
            print_err(&e.to_string());
            return ExitCode::FAILURE;
        }
    };
    print_err(&format!(
        "recording to {} every {} (threads: {threads_word}); Ctrl-C stops",
        writer.path().display(),
        humantime::format_duration(interval)
    ));
    let pids: HashSet<i32> = cli.pids.iter().copied().collect();
    let started = Instant::now();
    let (cpu0, _) = own_usage();
    let mut sample_time = Duration::ZERO;
    let mut failed = None;
    while !stop.load(Ordering::Relaxed) {
        // Sleep in short steps so a signal stops the recorder within 100 ms.
        let now = Instant::now();
        if now < next {
            std::thread::sleep((next - now).min(Duration::from_millis(100)));
            continue;
        }
        next += interval;
        if next < Instant::now() {
            // Far behind (the machine was suspended): one frame, then the normal rhythm.
            next = Instant::now() + interval;
        }
        let t = Instant::now();
        let snap = sampler.sample();
        sample_time += t.elapsed();
        let state = FrameState::from_snapshot(&snap, |p| match mode {
            RecordThreads::None => false,
            RecordThreads::All => true,
            RecordThreads::Busy => p.cpu_percent >= args.busy_cpu || pids.contains(&p.pid),
        });
        if let Err(e) = writer.append(now_ms(), state) {
            failed = Some(format!("writing {}: {e}", writer.path().display()));
            break;
        }
        if args.duration.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
    }
    let _ = writer.finish();
    let s = writer.stats.clone();
    let (cpu1, maxrss) = own_usage();
    let wall = started.elapsed();
    let files: Vec<String> = writer.paths.iter().map(|p| p.display().to_string()).collect();
    print_err(&format!("recorded {} frames, {} bytes, in {}", s.frames, s.bytes, files.join(", ")));
    if args.stats {
        let frames = s.frames.max(1) as f64;
        let cpu = cpu1.saturating_sub(cpu0);
        let samples = (s.process_samples + s.thread_samples).max(1) as f64;
        let text = format!(
            "frames {}  keyframes {}  files {}  bytes {}  bytes/frame {:.0}\n\
             process samples {}  thread samples {}  bytes per (process or thread) sample {:.2}\n\
             recorder CPU {:.3} s over {:.1} s = {:.2}% of a core; sampling {:.2} ms/tick, encoding {:.2} ms/tick\n\
             peak RSS {:.1} MiB\n",
            s.frames,
            s.keyframes,
            s.files,
            s.bytes,
            s.bytes as f64 / frames,
            s.process_samples,
            s.thread_samples,
            s.bytes as f64 / samples,
            cpu.as_secs_f64(),
            wall.as_secs_f64(),
            100.0 * cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9),
            sample_time.as_secs_f64() * 1000.0 / frames,
            s.encode.as_secs_f64() * 1000.0 / frames,
            maxrss as f64 / (1024.0 * 1024.0),
        );
        let _ = super::write_out(text.as_bytes());
    }
    match failed {
        Some(e) => {
            print_err(&e);
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}
