//! The file format, version 1. All integers little-endian.
//!
//! ```text
//! file   := MAGIC(8) version:u16 flags:u16 header_len:u32 header_crc:u32 header frame*
//! header := postcard(Header)
//! frame  := len:u32 crc:u32 kind:u8 time_ms:u64 payload[len]
//!           crc = crc32(kind, time_ms, payload); payload = zstd(postcard(codec::Payload))
//! finished file := ... frame* index-frame(kind 2: zstd(postcard(Vec<IndexEntry>))) FOOTER_MAGIC offset:u64
//! ```
//! A finished file (a clean stop, a rotation) ends with an index of its frames, so opening a 24 h
//! file reads one frame instead of a head per frame; a file without it (killed, still being
//! written) is indexed by the scan.
//! Kind and time sit outside the compressed payload so the index is rebuilt by reading 17 bytes
//! per frame, never a payload. A frame is written with one `write` call and the file is never
//! rewritten, so a recorder killed at any moment leaves every complete frame readable; a torn
//! last frame fails its length or checksum and is ignored.

use serde::{Deserialize, Serialize};

use super::record::IdentityRec;

pub const MAGIC: [u8; 8] = *b"TTREC\0\r\n";
/// The newest version this build reads and the one it writes.
pub const VERSION: u16 = 1;
/// Bytes before the header: magic, version, flags, header length, header checksum.
pub const PREAMBLE: usize = 20;
pub const FRAME_HEAD: usize = 17;
/// No frame is bigger (a 4,000-task keyframe is well under 1 MiB): a larger length is garbage.
pub const MAX_FRAME: u32 = 64 << 20;
/// The most a payload may decompress to.
pub const MAX_PAYLOAD: u64 = 512 << 20;
pub const MAX_HEADER: u32 = 1 << 20;

pub const KIND_KEY: u8 = 0;
pub const KIND_DELTA: u8 = 1;
/// The last frame of a finished file: the index of its frames (`IndexEntry`s), then `FOOTER`.
pub const KIND_INDEX: u8 = 2;
/// `FOOTER_MAGIC` and the byte offset of the index frame: the file's last 16 bytes once finished.
pub const FOOTER_MAGIC: [u8; 8] = *b"TTRIDX\0\n";
pub const FOOTER: usize = 16;

/// One frame, as a finished file's index lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub offset: u64,
    pub len: u32,
    pub kind: u8,
    pub time_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// When this file's first frame was due (ms since the Unix epoch).
    pub started_ms: u64,
    pub interval_ms: u64,
    /// A keyframe every this many frames.
    pub keyframe_every: u32,
    /// `none`, `busy` or `all`, as given to `record --threads`.
    pub threads: String,
    pub identity: IdentityRec,
    /// One recorder run: the start of its first file. Its rotated files share it.
    pub session_ms: u64,
    /// 0 for a run's first file, then 1, 2...: a missing number is a missing part.
    pub part: u32,
    /// The local time zone's offset east of UTC at the start, for showing times of day.
    pub utc_offset_s: i64,
}

pub fn encode_header(h: &Header) -> Vec<u8> {
    // Serializing plain data into a Vec cannot fail.
    let body = postcard::to_allocvec(h).unwrap_or_default();
    let mut out = Vec::with_capacity(PREAMBLE + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

pub fn frame_crc(kind: u8, time_ms: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[kind]);
    h.update(&time_ms.to_le_bytes());
    h.update(payload);
    h.finalize()
}

pub fn encode_frame(kind: u8, time_ms: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEAD + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&frame_crc(kind, time_ms, payload).to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&time_ms.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// A frame's fixed head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHead {
    pub len: u32,
    pub crc: u32,
    pub kind: u8,
    pub time_ms: u64,
}

pub fn read_u16(b: &[u8], at: usize) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[at..at + 2]);
    u16::from_le_bytes(a)
}

pub fn read_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

pub fn read_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

pub fn parse_frame_head(b: &[u8; FRAME_HEAD]) -> FrameHead {
    FrameHead { len: read_u32(b, 0), crc: read_u32(b, 4), kind: b[8], time_ms: read_u64(b, 9) }
}

/// A payload as frames carry it: postcard, then zstd at `level`.
pub fn pack(payload: &super::codec::Payload, level: i32) -> std::io::Result<Vec<u8>> {
    let raw = postcard::to_allocvec(payload).map_err(|e| std::io::Error::other(format!("encoding a frame: {e}")))?;
    zstd::bulk::compress(&raw, level)
}

/// The payload of a frame's (checked) bytes; what is wrong with them otherwise.
pub fn unpack(packed: &[u8]) -> Result<super::codec::Payload, String> {
    use std::io::Read as _;
    let mut raw = Vec::new();
    let dec = zstd::stream::read::Decoder::new(packed).map_err(|e| format!("zstd: {e}"))?;
    dec.take(MAX_PAYLOAD).read_to_end(&mut raw).map_err(|e| format!("does not decompress: {e}"))?;
    postcard::from_bytes(&raw).map_err(|e| format!("does not decode: {e}"))
}
