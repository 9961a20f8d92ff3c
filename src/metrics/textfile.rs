//! node_exporter's textfile collector: `threadtop.prom` in a directory, replaced atomically (a
//! temp file in the same directory, flushed, then renamed over it), so the collector never reads a
//! half-written file. The temp name does not end in `.prom`, which the collector skips.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = "threadtop.prom";

/// Writes `body` to `dir/threadtop.prom` atomically; returns the path written.
pub fn write_atomic(dir: &Path, body: &str) -> io::Result<PathBuf> {
    let target = dir.join(FILE_NAME);
    let tmp = dir.join(format!(".{FILE_NAME}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// A reader polling the file while it is rewritten with bodies of different sizes only ever
    /// sees a whole body, and no temp file is left.
    #[test]
    fn readers_never_see_a_partial_file() {
        let dir = std::env::temp_dir().join(format!("tt-textfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bodies: Vec<String> =
            (0..4).map(|i| format!("{}# end {i}\n", "threadtop_x{a=\"b\"} 1\n".repeat(1 + i * 4000))).collect();
        write_atomic(&dir, &bodies[0]).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (stop, path, bodies) = (stop.clone(), dir.join(FILE_NAME), bodies.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    let got = std::fs::read_to_string(&path).unwrap();
                    assert!(bodies.contains(&got), "a partial file of {} bytes", got.len());
                    reads += 1;
                }
                reads
            })
        };
        for i in 0..200 {
            write_atomic(&dir, &bodies[i % bodies.len()]).unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [std::ffi::OsString::from(FILE_NAME)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
