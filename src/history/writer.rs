//! Appending frames to a recording, with rotation: when the file reaches `max_size` or the local
//! day changes, the next frame starts a new file `threadtop-YYYYMMDD-HHMMSS.ttrec` beside it,
//! beginning with a keyframe. Each frame is one `write` on an unbuffered file: a killed recorder
//! loses at most the frame being written.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::codec::{self, Payload};
use super::format::{self, Header, KIND_DELTA, KIND_KEY};
use super::record::{FrameState, IdentityRec};
use super::time;

/// zstd's default level: ~3x faster to write than 9 for a few % more bytes on these frames.
pub const ZSTD_LEVEL: i32 = 3;
pub const DEFAULT_KEYFRAME_EVERY: u32 = 60;

#[derive(Clone, Debug)]
pub struct WriterConfig {
    /// The first file; None: `threadtop-YYYYMMDD-HHMMSS.ttrec` in `dir`.
    pub output: Option<PathBuf>,
    /// Where rotated files go (the output's folder, else the current one).
    pub dir: PathBuf,
    pub max_size: Option<u64>,
    pub rotate_daily: bool,
    pub interval: Duration,
    pub threads: String,
    pub keyframe_every: u32,
    pub identity: IdentityRec,
    /// The time zone offset to show times in; None: this machine's (tests fix it).
    pub utc_offset_s: Option<i64>,
}

/// What the writer has written, for `--stats`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriterStats {
    pub frames: u64,
    pub keyframes: u64,
    pub bytes: u64,
    pub files: u32,
    pub process_samples: u64,
    pub thread_samples: u64,
    /// Time spent encoding and compressing.
    pub encode: Duration,
}

pub struct Writer {
    cfg: WriterConfig,
    file: File,
    path: PathBuf,
    /// Bytes in the current file.
    size: u64,
    frames_in_file: u64,
    prev: Option<FrameState>,
    part: u32,
    session_ms: u64,
    day: i64,
    offset_s: i64,
    pub stats: WriterStats,
    /// The current file's frames, for the index that finishes it.
    index: Vec<format::IndexEntry>,
    finished: bool,
    /// Every file written, in order.
    pub paths: Vec<PathBuf>,
}

/// A name not taken yet in `dir`: the stamp, then `-2`, `-3`...
fn fresh_name(dir: &Path, stamp: &str) -> PathBuf {
    let first = dir.join(format!("threadtop-{stamp}.ttrec"));
    if !first.exists() {
        return first;
    }
    (2..).map(|n| dir.join(format!("threadtop-{stamp}-{n}.ttrec"))).find(|p| !p.exists()).unwrap_or(first)
}

impl Writer {
    pub fn create(cfg: WriterConfig, now_ms: u64) -> io::Result<Writer> {
        let offset_s = cfg.utc_offset_s.unwrap_or_else(|| time::utc_offset_s((now_ms / 1000) as i64));
        let path = match &cfg.output {
            Some(p) => p.clone(),
            None => fresh_name(&cfg.dir, &time::fmt_file_stamp(now_ms, offset_s)),
        };
        let file = Self::open(&path, &cfg, now_ms, now_ms, 0, offset_s)?;
        let size = file.metadata()?.len();
        Ok(Writer {
            file,
            size,
            frames_in_file: 0,
            prev: None,
            part: 0,
            session_ms: now_ms,
            day: time::day_of(now_ms, offset_s),
            offset_s,
            stats: WriterStats { files: 1, bytes: size, ..WriterStats::default() },
            paths: vec![path.clone()],
            index: Vec::new(),
            finished: false,
            path,
            cfg,
        })
    }

    fn open(
        path: &Path,
        cfg: &WriterConfig,
        now_ms: u64,
        session_ms: u64,
        part: u32,
        offset_s: i64,
    ) -> io::Result<File> {
        // create_new: an existing recording is never overwritten (nor appended to with a second header).
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display())))?;
        let header = Header {
            started_ms: now_ms,
            interval_ms: cfg.interval.as_millis() as u64,
            keyframe_every: cfg.keyframe_every.max(1),
            threads: cfg.threads.clone(),
            identity: cfg.identity.clone(),
            session_ms,
            part,
            utc_offset_s: offset_s,
        };
        file.write_all(&format::encode_header(&header))?;
        Ok(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn rotate(&mut self, now_ms: u64) -> io::Result<()> {
        self.write_index()?;
        self.part += 1;
        self.offset_s = self.cfg.utc_offset_s.unwrap_or_else(|| time::utc_offset_s((now_ms / 1000) as i64));
        let path = fresh_name(&self.cfg.dir, &time::fmt_file_stamp(now_ms, self.offset_s));
        self.file = Self::open(&path, &self.cfg, now_ms, self.session_ms, self.part, self.offset_s)?;
        self.size = self.file.metadata()?.len();
        self.stats.bytes += self.size;
        self.stats.files += 1;
        self.frames_in_file = 0;
        self.finished = false;
        self.prev = None;
        self.day = time::day_of(now_ms, self.offset_s);
        self.paths.push(path.clone());
        self.path = path;
        Ok(())
    }

    /// Appends the state at `time_ms`: a keyframe at the start of a file and every
    /// `keyframe_every` frames, else a delta against the previous frame.
    pub fn append(&mut self, time_ms: u64, state: FrameState) -> io::Result<()> {
        let full = self.cfg.max_size.is_some_and(|m| self.size >= m) && self.frames_in_file > 0;
        let new_day = self.cfg.rotate_daily && time::day_of(time_ms, self.offset_s) != self.day;
        if full || new_day {
            self.rotate(time_ms)?;
        }
        let started = std::time::Instant::now();
        let key = self.frames_in_file.is_multiple_of(u64::from(self.cfg.keyframe_every.max(1)));
        let (kind, payload) = match (&self.prev, key) {
            (Some(prev), false) => (KIND_DELTA, Payload::Delta(codec::encode_delta(prev, &state))),
            _ => (KIND_KEY, Payload::Key(state.clone())),
        };
        let packed = format::pack(&payload, ZSTD_LEVEL)?;
        let frame = format::encode_frame(kind, time_ms, &packed);
        self.stats.encode += started.elapsed();
        if self.finished {
            return Err(io::Error::other("the recording was finished"));
        }
        self.file.write_all(&frame)?;
        self.index.push(format::IndexEntry { offset: self.size, len: packed.len() as u32, kind, time_ms });
        self.size += frame.len() as u64;
        self.frames_in_file += 1;
        self.stats.frames += 1;
        self.stats.keyframes += u64::from(kind == KIND_KEY);
        self.stats.bytes += frame.len() as u64;
        self.stats.process_samples += state.procs.len() as u64;
        self.stats.thread_samples +=
            state.procs.iter().map(|p| p.threads.as_ref().map_or(0, Vec::len) as u64).sum::<u64>();
        self.prev = Some(state);
        Ok(())
    }

    /// Ends the current file with the index of its frames and the footer that finds it.
    fn write_index(&mut self) -> io::Result<()> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        let entries = std::mem::take(&mut self.index);
        let raw = postcard::to_allocvec(&entries).map_err(|e| io::Error::other(format!("encoding the index: {e}")))?;
        let packed = zstd::bulk::compress(&raw, ZSTD_LEVEL)?;
        let at = self.size;
        let mut bytes = format::encode_frame(format::KIND_INDEX, 0, &packed);
        bytes.extend_from_slice(&format::FOOTER_MAGIC);
        bytes.extend_from_slice(&at.to_le_bytes());
        self.file.write_all(&bytes)?;
        self.size += bytes.len() as u64;
        self.stats.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Writes the index and flushes to the disk (on a clean stop: Ctrl-C, TERM, the duration's
    /// end). No frame can be appended after.
    pub fn finish(&mut self) -> io::Result<()> {
        self.write_index()?;
        self.file.sync_data()
    }
}
