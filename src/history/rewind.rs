//! The live view's rewind: the last minutes of snapshots kept in memory as the recording's frames
//! (keyframe every `KEY_EVERY`, deltas between, zstd), oldest dropped a keyframe group at a time.
//! Frames are numbered from the first ever kept (`seq`), so positions survive the dropping.

use std::collections::VecDeque;
use std::time::Duration;

use super::codec::{self, Payload};
use super::format::{self, FRAME_HEAD, KIND_DELTA, KIND_KEY};
use super::record::FrameState;

const KEY_EVERY: u32 = 30;
/// zstd's fastest level, not the recorder's 3: the ring compresses a frame every refresh of the
/// live monitor, and zstd's working memory for it, allocated anew each time, is part of the
/// monitor's peak RSS (a level-3 keyframe of 4,000 tasks needed ~520 KB of it).
const REWIND_LEVEL: i32 = 1;

struct RingFrame {
    time_ms: u64,
    /// The snapshot's own `seq`, given back with it.
    snap_seq: u64,
    /// The frame as a file holds it (head + packed payload).
    bytes: Vec<u8>,
}

pub struct Ring {
    frames: VecDeque<RingFrame>,
    keep_ms: u64,
    /// Number of `frames[0]`.
    first: u64,
    since_key: u32,
    prev: Option<FrameState>,
    bytes: usize,
    cache: Option<(u64, FrameState)>,
}

impl Ring {
    pub fn new(keep: Duration) -> Ring {
        Ring {
            frames: VecDeque::new(),
            keep_ms: keep.as_millis() as u64,
            first: 0,
            since_key: 0,
            prev: None,
            bytes: 0,
            cache: None,
        }
    }

    /// Frames kept: their numbers are `first()..first() + len()`.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub fn first(&self) -> u64 {
        self.first
    }

    pub fn last(&self) -> Option<u64> {
        (self.first + self.frames.len() as u64).checked_sub(1).filter(|_| !self.frames.is_empty())
    }

    /// Memory held by the frames' bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn time_of(&self, n: u64) -> Option<u64> {
        self.frames.get(n.checked_sub(self.first)? as usize).map(|f| f.time_ms)
    }

    pub fn snap_seq_of(&self, n: u64) -> Option<u64> {
        self.frames.get(n.checked_sub(self.first)? as usize).map(|f| f.snap_seq)
    }

    /// The last frame at or before `t` (the first if `t` is earlier).
    pub fn index_at(&self, t: u64) -> u64 {
        self.first + self.frames.partition_point(|f| f.time_ms <= t).saturating_sub(1) as u64
    }

    pub fn span(&self) -> Option<(u64, u64)> {
        Some((self.frames.front()?.time_ms, self.frames.back()?.time_ms))
    }

    /// Keeps `state`; drops the oldest keyframe groups while more than `keep` is held. A frame
    /// that cannot be encoded is left out and the next one is a keyframe.
    pub fn push(&mut self, time_ms: u64, snap_seq: u64, state: FrameState) {
        let key = self.prev.is_none() || self.since_key >= KEY_EVERY;
        let (kind, payload) = match (&self.prev, key) {
            (Some(prev), false) => (KIND_DELTA, Payload::Delta(codec::encode_delta(prev, &state))),
            _ => (KIND_KEY, Payload::Key(state.clone())),
        };
        let Ok(packed) = format::pack(&payload, REWIND_LEVEL) else {
            self.prev = None;
            return;
        };
        let bytes = format::encode_frame(kind, time_ms, &packed);
        self.since_key = if kind == KIND_KEY { 1 } else { self.since_key + 1 };
        self.bytes += bytes.len();
        self.frames.push_back(RingFrame { time_ms, snap_seq, bytes });
        self.prev = Some(state);
        while self.frames.front().is_some_and(|f| time_ms.saturating_sub(f.time_ms) > self.keep_ms) {
            // A whole group, so the ring always starts with a keyframe; never the newest one.
            let next_key = self.frames.iter().skip(1).position(|f| f.bytes[8] == KIND_KEY).map(|p| p + 1);
            let Some(n) = next_key else { break };
            // Only while what stays still covers `keep`.
            if time_ms.saturating_sub(self.frames[n].time_ms) < self.keep_ms {
                break;
            }
            for _ in 0..n {
                if let Some(f) = self.frames.pop_front() {
                    self.bytes -= f.bytes.len();
                    self.first += 1;
                }
            }
        }
    }

    fn decode(&self, n: u64) -> Result<Payload, String> {
        let f = self.frames.get((n - self.first) as usize).ok_or("frame dropped")?;
        format::unpack(&f.bytes[FRAME_HEAD..])
    }

    /// The state of frame `n`.
    pub fn state_at(&mut self, n: u64) -> Result<FrameState, String> {
        let last = self.last().ok_or("nothing kept yet")?;
        if n < self.first || n > last {
            return Err(format!("frame {n} is no longer kept"));
        }
        let mut k = n;
        while self.frames[(k - self.first) as usize].bytes[8] != KIND_KEY {
            k -= 1;
        }
        let mut state = match self.cache.take() {
            Some((c, s)) if c >= k && c <= n => (c, s),
            _ => match self.decode(k)? {
                Payload::Key(s) => (k, s),
                Payload::Delta(_) => return Err("a keyframe holds a delta".into()),
            },
        };
        while state.0 < n {
            let Payload::Delta(d) = self.decode(state.0 + 1)? else {
                return Err("a delta frame holds a keyframe".into());
            };
            state = (state.0 + 1, codec::apply(&state.1, &d)?);
        }
        let out = state.1.clone();
        self.cache = Some(state);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::tests::synthetic;

    #[test]
    fn the_ring_keeps_the_last_minutes_and_reads_each_frame_back() {
        let mut r = Ring::new(Duration::from_secs(100));
        for t in 0..300u64 {
            r.push(t * 1000, t + 7, synthetic(t, 20, 2));
        }
        let (a, b) = r.span().unwrap();
        assert_eq!(b, 299_000);
        // At most one keyframe group more than asked.
        assert!((100_000..=100_000 + u64::from(KEY_EVERY) * 1000).contains(&(b - a)), "{a}..{b}");
        assert_eq!(r.state_at(r.first()).unwrap(), synthetic(a / 1000, 20, 2));
        for n in (r.first()..=r.last().unwrap()).rev().step_by(7) {
            let t = r.time_of(n).unwrap() / 1000;
            assert_eq!(r.state_at(n).unwrap(), synthetic(t, 20, 2), "frame {n}");
            assert_eq!(r.snap_seq_of(n), Some(t + 7));
        }
        assert!(r.state_at(0).unwrap_err().contains("no longer kept"));
        assert_eq!(r.index_at(250_500), r.first() + (250 - a / 1000));
    }
}
