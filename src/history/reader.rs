//! Reading recordings: one file or several rotated parts as one timeline. Opening reads the
//! header and then 17 bytes per frame to build the index (`FrameRef`s); a frame's payload is read
//! only when a moment needs it: the keyframe at or before it, then the deltas up to it. The last
//! decoded state is kept, so stepping forward is one delta. A torn or damaged tail ends the index
//! with a warning; `refresh` picks up frames appended since (a file still being written).

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::codec::{self, Payload};
use super::format::{
    self, FOOTER, FOOTER_MAGIC, FRAME_HEAD, Header, KIND_DELTA, KIND_INDEX, KIND_KEY, MAGIC, MAX_FRAME, MAX_HEADER,
    PREAMBLE, VERSION,
};
use super::record::FrameState;
use crate::collect::model::{Identity, Snapshot};

/// One frame in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRef {
    pub part: u32,
    pub offset: u64,
    pub len: u32,
    pub kind: u8,
    pub time_ms: u64,
}

pub struct Part {
    pub path: PathBuf,
    file: File,
    pub header: Header,
    /// Where the next frame would start: just past the last complete frame.
    end: u64,
    /// Bytes after `end` that are not a complete frame (a torn tail, or one being written).
    pub torn: u64,
    /// A frame-level problem that stopped the scan for good (garbage, not just a short tail).
    pub damaged: Option<String>,
    /// The file ended with its index: nothing more will be appended.
    pub finished: bool,
}

/// A hole in the timeline: a missing rotated part or a pause of the recorder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub from_ms: u64,
    pub to_ms: u64,
    pub why: String,
}

pub struct Recording {
    pub parts: Vec<Part>,
    pub frames: Vec<FrameRef>,
    identity: Arc<Identity>,
    cache: Option<(usize, FrameState)>,
    /// Frames decoded so far (keyframes and deltas), for tests and figures.
    pub decoded: u64,
}

fn name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads and checks a file's preamble and header.
fn read_header(path: &Path, file: &File) -> Result<(Header, u64), String> {
    let p = name(path);
    let size = file.metadata().map_err(|e| format!("{p}: {e}"))?.len();
    if size == 0 {
        return Err(format!("{p}: empty file (0 bytes), not a recording"));
    }
    let mut pre = [0u8; PREAMBLE];
    let got = read_at_most(file, &mut pre, 0).map_err(|e| format!("{p}: {e}"))?;
    if got < MAGIC.len() || pre[..MAGIC.len()] != MAGIC {
        return Err(format!("{p}: not a threadtop recording (no TTREC signature at its start)"));
    }
    if got < PREAMBLE {
        return Err(format!("{p}: truncated: {size} bytes, the header is not complete"));
    }
    let version = format::read_u16(&pre, 8);
    if version > VERSION {
        return Err(format!(
            "{p}: recorded in format version {version}; this threadtop reads up to version {VERSION}: use a newer threadtop"
        ));
    }
    if version == 0 {
        return Err(format!("{p}: format version 0 is not a version: damaged header"));
    }
    let len = format::read_u32(&pre, 12);
    let crc = format::read_u32(&pre, 16);
    if len > MAX_HEADER {
        return Err(format!("{p}: damaged header (length {len})"));
    }
    if PREAMBLE as u64 + u64::from(len) > size {
        return Err(format!("{p}: truncated: {size} bytes, the header is not complete"));
    }
    let mut body = vec![0u8; len as usize];
    file.read_exact_at(&mut body, PREAMBLE as u64).map_err(|e| format!("{p}: {e}"))?;
    if crc32fast::hash(&body) != crc {
        return Err(format!("{p}: damaged header (checksum mismatch)"));
    }
    let header: Header = postcard::from_bytes(&body).map_err(|e| format!("{p}: damaged header ({e})"))?;
    Ok((header, PREAMBLE as u64 + u64::from(len)))
}

/// Like read_exact_at, but a short file gives fewer bytes instead of an error.
fn read_at_most(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], at + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

impl Part {
    fn open(path: &Path) -> Result<Part, String> {
        let file = File::open(path).map_err(|e| format!("{}: {e}", name(path)))?;
        let (header, end) = read_header(path, &file)?;
        Ok(Part { path: path.to_path_buf(), file, header, end, torn: 0, damaged: None, finished: false })
    }

    /// Where the frames end (the index frame of a finished file, else past the last frame).
    pub fn data_end(&self) -> u64 {
        self.end
    }

    /// A finished file's frames from its index, if it has a sound one; else None (then scan).
    fn read_index(&mut self, part: u32, out: &mut Vec<FrameRef>) -> Option<usize> {
        let size = self.file.metadata().ok()?.len();
        if size < self.end + (FRAME_HEAD + FOOTER) as u64 {
            return None;
        }
        let mut foot = [0u8; FOOTER];
        self.file.read_exact_at(&mut foot, size - FOOTER as u64).ok()?;
        if foot[..8] != FOOTER_MAGIC {
            return None;
        }
        let at = format::read_u64(&foot, 8);
        let mut head = [0u8; FRAME_HEAD];
        self.file.read_exact_at(&mut head, at).ok()?;
        let h = format::parse_frame_head(&head);
        if h.kind != KIND_INDEX || at.checked_add((FRAME_HEAD + FOOTER) as u64 + u64::from(h.len)) != Some(size) {
            return None;
        }
        let packed = self.payload(at, h.len, h.kind, h.time_ms, h.crc).ok()?;
        let raw = zstd::bulk::decompress(&packed, (MAX_FRAME as usize).min(64 << 20)).ok()?;
        let entries: Vec<format::IndexEntry> = postcard::from_bytes(&raw).ok()?;
        // Frames one after another from the header to the index, of known kinds: else scan.
        let mut next = self.end;
        for e in &entries {
            if e.offset != next || !(e.kind == KIND_KEY || e.kind == KIND_DELTA) || e.len > MAX_FRAME {
                return None;
            }
            next = e.offset + FRAME_HEAD as u64 + u64::from(e.len);
        }
        if next != at {
            return None;
        }
        out.extend(entries.iter().map(|e| FrameRef {
            part,
            offset: e.offset,
            len: e.len,
            kind: e.kind,
            time_ms: e.time_ms,
        }));
        self.end = at;
        self.finished = true;
        Some(entries.len())
    }

    /// Indexes the complete frames after `end`, appending them to `out`.
    fn scan(&mut self, part: u32, out: &mut Vec<FrameRef>) -> std::io::Result<usize> {
        if self.damaged.is_some() || self.finished {
            return Ok(0);
        }
        if out.iter().all(|f| f.part != part)
            && let Some(n) = self.read_index(part, out)
        {
            return Ok(n);
        }
        let size = self.file.metadata()?.len();
        let mut n = 0;
        let mut head = [0u8; FRAME_HEAD];
        loop {
            let got = read_at_most(&self.file, &mut head, self.end)?;
            if got < FRAME_HEAD {
                self.torn = size.saturating_sub(self.end);
                break;
            }
            let h = format::parse_frame_head(&head);
            if h.kind == KIND_INDEX {
                // A finished file's index (its footer is damaged or cut, or it would have been read).
                self.finished = true;
                self.torn = 0;
                let tail = self.end + (FRAME_HEAD + FOOTER) as u64 + u64::from(h.len);
                if size > tail {
                    self.torn = size - tail;
                    self.damaged = Some(format!("{} bytes after the end of the recording", size - tail));
                }
                break;
            }
            if h.len > MAX_FRAME || !(h.kind == KIND_KEY || h.kind == KIND_DELTA) {
                self.damaged = Some(format!("garbage at byte {} (not a frame)", self.end));
                self.torn = size.saturating_sub(self.end);
                break;
            }
            let next = self.end + FRAME_HEAD as u64 + u64::from(h.len);
            if next > size {
                self.torn = size - self.end;
                break;
            }
            // The last complete frame is checked in full: a torn write can leave a right length
            // over wrong bytes (the others are checked when read).
            if next == size && self.payload(self.end, h.len, h.kind, h.time_ms, h.crc).is_err() {
                self.torn = size - self.end;
                break;
            }
            out.push(FrameRef { part, offset: self.end, len: h.len, kind: h.kind, time_ms: h.time_ms });
            self.end = next;
            self.torn = 0;
            n += 1;
        }
        Ok(n)
    }

    fn payload(&self, offset: u64, len: u32, kind: u8, time_ms: u64, crc: u32) -> Result<Vec<u8>, String> {
        let mut buf = vec![0u8; len as usize];
        self.file
            .read_exact_at(&mut buf, offset + FRAME_HEAD as u64)
            .map_err(|e| format!("{}: {e}", name(&self.path)))?;
        if format::frame_crc(kind, time_ms, &buf) != crc {
            return Err(format!("{}: frame at byte {offset} is damaged (checksum mismatch)", name(&self.path)));
        }
        Ok(buf)
    }

    fn decode(&self, f: &FrameRef) -> Result<Payload, String> {
        let mut head = [0u8; FRAME_HEAD];
        self.file.read_exact_at(&mut head, f.offset).map_err(|e| format!("{}: {e}", name(&self.path)))?;
        let h = format::parse_frame_head(&head);
        let packed = self.payload(f.offset, h.len, h.kind, h.time_ms, h.crc)?;
        let payload =
            format::unpack(&packed).map_err(|e| format!("{}: frame at byte {}: {e}", name(&self.path), f.offset))?;
        match (&payload, f.kind) {
            (Payload::Key(_), KIND_KEY) | (Payload::Delta(_), KIND_DELTA) => Ok(payload),
            _ => Err(format!("{}: frame at byte {} is not of the kind its head says", name(&self.path), f.offset)),
        }
    }
}

impl Recording {
    /// Opens one recording, or the rotated parts of one, in time order. Each bad file is one
    /// line of error; a recording without a complete frame is opened (it may be growing).
    pub fn open(paths: &[PathBuf]) -> Result<Recording, String> {
        if paths.is_empty() {
            return Err("no recording given".into());
        }
        let mut parts = Vec::with_capacity(paths.len());
        for p in paths {
            parts.push(Part::open(p)?);
        }
        parts.sort_by_key(|p| (p.header.started_ms, p.header.part));
        let identity = Arc::new(parts[0].header.identity.to_identity());
        let mut rec = Recording { parts, frames: Vec::new(), identity, cache: None, decoded: 0 };
        for i in 0..rec.parts.len() {
            let Recording { parts, frames, .. } = &mut rec;
            parts[i].scan(i as u32, frames).map_err(|e| format!("{}: {e}", name(&parts[i].path)))?;
        }
        Ok(rec)
    }

    /// Indexes frames written since (following a growing file, like `tail -f`). Returns how many.
    pub fn refresh(&mut self) -> Result<usize, String> {
        let Some(i) = self.parts.len().checked_sub(1) else { return Ok(0) };
        let Recording { parts, frames, .. } = self;
        parts[i].scan(i as u32, frames).map_err(|e| format!("{}: {e}", name(&parts[i].path)))
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    pub fn interval_ms(&self) -> u64 {
        self.parts.first().map_or(1000, |p| p.header.interval_ms.max(1))
    }

    pub fn utc_offset_s(&self) -> i64 {
        self.parts.first().map_or(0, |p| p.header.utc_offset_s)
    }

    pub fn span(&self) -> Option<(u64, u64)> {
        Some((self.frames.first()?.time_ms, self.frames.last()?.time_ms))
    }

    /// The last frame at or before `time_ms` (the first frame if it is earlier than all).
    pub fn index_at(&self, time_ms: u64) -> usize {
        self.frames.partition_point(|f| f.time_ms <= time_ms).saturating_sub(1)
    }

    /// Lines to warn about: torn tails, damaged parts, a mix of machines.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.parts {
            if let Some(d) = &p.damaged {
                out.push(format!("{}: {d}: ignored", name(&p.path)));
            } else if p.torn > 0 {
                out.push(format!(
                    "{}: the last {} bytes are not a complete frame (a torn tail, or still being written): ignored",
                    name(&p.path),
                    p.torn
                ));
            }
        }
        if let Some(first) = self.parts.first()
            && self.parts.iter().any(|p| p.header.identity.hostname != first.header.identity.hostname)
        {
            out.push("these files were recorded on different machines".into());
        }
        out
    }

    /// Holes in the timeline: a rotated part whose number is missing, or frames further apart
    /// than three intervals (the recorder stopped, or the machine slept).
    pub fn gaps(&self) -> Vec<Gap> {
        let mut out = Vec::new();
        let slack = 3 * self.interval_ms() + 1000;
        for w in self.frames.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let why = if a.part != b.part {
                let (pa, pb) = (&self.parts[a.part as usize].header, &self.parts[b.part as usize].header);
                if pa.session_ms == pb.session_ms && pb.part > pa.part + 1 {
                    Some(format!("missing part {}", pa.part + 1))
                } else if b.time_ms > a.time_ms + slack {
                    Some("not recorded".to_string())
                } else {
                    None
                }
            } else if b.time_ms > a.time_ms + slack {
                Some("not recorded".to_string())
            } else {
                None
            };
            if let Some(why) = why {
                out.push(Gap { from_ms: a.time_ms, to_ms: b.time_ms, why });
            }
        }
        out
    }

    /// The state at frame `i`: from the cached state when it is at or before `i` in the same
    /// part, else from the keyframe at or before `i`.
    pub fn state_at(&mut self, i: usize) -> Result<&FrameState, String> {
        let Some(target) = self.frames.get(i).copied() else {
            return Err(format!("no frame {i}: the recording has {}", self.frames.len()));
        };
        let part = target.part;
        let mut k = i;
        while self.frames[k].kind != KIND_KEY {
            if k == 0 || self.frames[k - 1].part != part {
                return Err(format!("{}: no keyframe before frame {i}", name(&self.parts[part as usize].path)));
            }
            k -= 1;
        }
        let cached = self.cache.as_ref().is_some_and(|(c, _)| *c >= k && *c <= i);
        if !cached {
            let f = self.frames[k];
            let Payload::Key(state) = self.parts[part as usize].decode(&f)? else {
                return Err("a keyframe holds a delta".into());
            };
            self.decoded += 1;
            self.cache = Some((k, state));
        }
        while let Some((c, state)) = self.cache.as_mut()
            && *c < i
        {
            let f = self.frames[*c + 1];
            let Payload::Delta(d) = self.parts[f.part as usize].decode(&f)? else {
                return Err("a delta frame holds a keyframe".into());
            };
            *state = codec::apply(state, &d).map_err(|e| format!("{}: {e}", name(&self.parts[part as usize].path)))?;
            *c += 1;
            self.decoded += 1;
        }
        self.cache.as_ref().map(|(_, s)| s).ok_or_else(|| "no state".to_string())
    }

    /// The snapshot at frame `i`, numbered `i + 1` (the app takes a new `seq` as new data).
    pub fn snapshot_at(&mut self, i: usize) -> Result<Snapshot, String> {
        let identity = self.identity.clone();
        Ok(self.state_at(i)?.to_snapshot(&identity, i as u64 + 1))
    }
}
