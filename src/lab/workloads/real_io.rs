//! real-io: N threads each doing K operations of real blocking I/O (a 64 KiB write to a file
//! in the system temp dir, fsync'd, then a request to a server this demo runs on 127.0.0.1
//! that waits a fixed delay before it answers), then the same N × K operations one after the
//! other on one thread. Wall and CPU time of each, measured here; then it idles until its
//! deadline so the figures stay on screen. The files never have a name
//! on disk (O_TMPFILE; where the file system lacks it, a name unlinked right after the open),
//! so no exit path, SIGKILL included, can leave one behind.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::ended;
use crate::lab::protocol::EndCause;
use crate::lab::worker::{Run, STOP, process_cpu_ns};
use crate::model::catalog;
use crate::model::figures::{DemoFigures, RealIoFigures, RealIoRun};

/// A file in `dir` that has no name: O_TMPFILE, or a name removed at once.
pub(crate) fn nameless_file(dir: &Path, tag: &str) -> Result<File, String> {
    let tmpfile =
        std::fs::OpenOptions::new().read(true).write(true).custom_flags(libc::O_TMPFILE).mode(0o600).open(dir);
    if let Ok(file) = tmpfile {
        return Ok(file);
    }
    let path = dir.join(format!("tt-real-io-{}-{tag}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    std::fs::remove_file(&path).map_err(|e| format!("cannot unlink {}: {e}", path.display()))?;
    Ok(file)
}

/// The loopback server: one thread per connection, each answers one line after `delay`.
fn start_server(delay: Duration) -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    thread::Builder::new()
        .name("rio-server".to_owned())
        .stack_size(128 << 10)
        .spawn(move || {
            // Ends with the process: the worker exits when its work is done.
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let _ = thread::Builder::new().name("rio-srv".to_owned()).stack_size(64 << 10).spawn(move || {
                    let mut line = String::new();
                    let mut reader = BufReader::new(&conn);
                    if reader.read_line(&mut line).is_ok() {
                        thread::sleep(delay);
                        let _ = (&conn).write_all(b"ok\n");
                    }
                });
            }
        })
        .map_err(|e| format!("cannot start the server thread: {e}"))?;
    Ok(port)
}

/// One operation: write + fsync, then one request. The fsync's time in ms.
fn one_op(file: &File, block: &[u8], at: u64, port: u16) -> Result<f64, String> {
    file.write_all_at(block, at).map_err(|e| format!("cannot write: {e}"))?;
    let synced = Instant::now();
    file.sync_all().map_err(|e| format!("cannot fsync: {e}"))?;
    let fsync_ms = synced.elapsed().as_secs_f64() * 1e3;
    let mut conn = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("cannot connect to the server: {e}"))?;
    conn.write_all(b"get\n").map_err(|e| format!("cannot send the request: {e}"))?;
    let mut reply = String::new();
    BufReader::new(&conn).read_line(&mut reply).map_err(|e| format!("no reply: {e}"))?;
    if reply != "ok\n" {
        return Err(format!("the server answered {reply:?}"));
    }
    Ok(fsync_ms)
}

/// `ops` operations on one thread; (done, slowest fsync ms).
fn work(dir: &Path, tag: &str, ops: u64, port: u16) -> Result<(u64, f64), String> {
    let file = nameless_file(dir, tag)?;
    let block = vec![0x42u8; catalog::REAL_IO_WRITE_BYTES as usize];
    let mut worst = 0.0f64;
    let mut done = 0;
    for i in 0..ops {
        if STOP.load(Ordering::Relaxed) {
            break;
        }
        worst = worst.max(one_op(&file, &block, i * block.len() as u64, port)?);
        done += 1;
    }
    Ok((done, worst))
}

fn timed(mode: &str, threads: u32, f: impl FnOnce() -> Result<(u64, f64), String>) -> Result<RealIoRun, String> {
    let cpu0 = process_cpu_ns().unwrap_or(0);
    let began = Instant::now();
    let (ops, max_fsync_ms) = f()?;
    let wall_seconds = began.elapsed().as_secs_f64();
    let cpu_seconds = process_cpu_ns().unwrap_or(0).saturating_sub(cpu0) as f64 / 1e9;
    Ok(RealIoRun { mode: mode.to_owned(), threads, ops, wall_seconds, cpu_seconds, max_fsync_ms })
}

pub(in crate::lab) fn run(run: &mut Run, n: u32) -> Result<(u64, EndCause), String> {
    let k = catalog::REAL_IO_OPS_PER_THREAD;
    let dir = std::env::temp_dir();
    let delay = Duration::from_millis(catalog::REAL_IO_DELAY_MS);
    let port = start_server(delay)?;
    let mut figures = RealIoFigures {
        server_delay_ms: catalog::REAL_IO_DELAY_MS,
        write_bytes: catalog::REAL_IO_WRITE_BYTES,
        temp_dir: dir.display().to_string(),
        runs: Vec::new(),
        ratio: None,
    };
    run.progress(0);

    let together = timed("threads", n, || {
        let start = Arc::new(Barrier::new(n as usize));
        let mut handles = Vec::new();
        for i in 0..n {
            let (dir, start) = (dir.clone(), Arc::clone(&start));
            let h = thread::Builder::new()
                .name(format!("rio-{i}"))
                .stack_size(256 << 10)
                .spawn(move || {
                    start.wait();
                    work(&dir, &i.to_string(), k, port)
                })
                .map_err(|e| format!("cannot start rio-{i}: {e}"))?;
            handles.push(h);
        }
        let mut ops = 0;
        let mut worst = 0.0f64;
        for h in handles {
            let (done, w) = h.join().map_err(|_| "a rio thread panicked".to_owned())??;
            ops += done;
            worst = worst.max(w);
        }
        Ok((ops, worst))
    })?;
    let mut ops = together.ops;
    figures.runs.push(together);
    run.figures(DemoFigures::RealIo(figures.clone()), ops);
    if let Some(cause) = run.end_cause() {
        return ended(ops, Some(cause));
    }

    let seq_dir = dir.clone();
    let alone = timed("sequential", 1, move || {
        thread::Builder::new()
            .name("rio-seq".to_owned())
            .stack_size(256 << 10)
            .spawn(move || work(&seq_dir, "seq", k * u64::from(n), port))
            .map_err(|e| format!("cannot start rio-seq: {e}"))?
            .join()
            .map_err(|_| "rio-seq panicked".to_owned())?
    })?;
    ops += alone.ops;
    let threads_wall = figures.runs.first().map_or(0.0, |r| r.wall_seconds);
    if threads_wall > 0.0 {
        figures.ratio = Some(alone.wall_seconds / threads_wall);
    }
    figures.runs.push(alone);
    run.figures(DemoFigures::RealIo(figures), ops);
    // The figures stay on screen (and the worker in the list) until the deadline.
    let deadline = run.deadline;
    ended(ops, run.hold(deadline, ops))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_has_no_name_and_an_op_waits_for_the_server() {
        let dir = std::env::temp_dir();
        let before: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        let file = nameless_file(&dir, "unit").unwrap();
        file.write_all_at(b"x", 0).unwrap();
        let after: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        assert!(after.iter().all(|n| !n.to_string_lossy().starts_with("tt-real-io")), "{after:?} (before {before:?})");
        let port = start_server(Duration::from_millis(30)).unwrap();
        let t = Instant::now();
        one_op(&file, &[1u8; 4096], 0, port).unwrap();
        assert!(t.elapsed() >= Duration::from_millis(30));
    }
}
