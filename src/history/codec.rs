//! The frame payload: a keyframe holds a whole `FrameState`; a delta holds only what changed
//! since the previous frame (new and gone processes, the changed dynamic fields, the changed
//! threads). `apply(prev, encode_delta(prev, cur)) == cur` for any two states (a proptest holds it).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::record::{FrameState, ProcDyn, ProcRec, SystemRec, ThreadRec};
use crate::collect::model::Pid;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Payload {
    Key(FrameState),
    Delta(Delta),
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub system: SystemRec,
    /// PIDs of the previous frame that are not in this one as the same process.
    pub gone: Vec<Pid>,
    /// Processes new in this frame (or whose identity changed: a reused PID, a new name).
    pub new: Vec<ProcRec>,
    pub changed: Vec<ProcChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcChange {
    pub pid: Pid,
    pub dynamic: Option<ProcDyn>,
    pub threads: Option<ThreadsChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ThreadsChange {
    /// No longer recorded.
    Off,
    /// Recorded from this frame on.
    Full(Vec<ThreadRec>),
    Diff {
        gone: Vec<Pid>,
        upsert: Vec<ThreadRec>,
    },
}

/// What changed from `prev` to `cur`.
pub fn encode_delta(prev: &FrameState, cur: &FrameState) -> Delta {
    let before: HashMap<Pid, &ProcRec> = prev.procs.iter().map(|p| (p.stat.pid, p)).collect();
    let mut delta = Delta { system: cur.system.clone(), ..Delta::default() };
    let mut kept: Vec<Pid> = Vec::with_capacity(cur.procs.len());
    for p in &cur.procs {
        let Some(old) = before.get(&p.stat.pid).filter(|o| o.stat == p.stat) else {
            delta.new.push(p.clone());
            continue;
        };
        kept.push(p.stat.pid);
        let dynamic = (old.dynamic != p.dynamic).then(|| p.dynamic.clone());
        let threads = match (&old.threads, &p.threads) {
            (None, None) => None,
            (Some(_), None) => Some(ThreadsChange::Off),
            (None, Some(t)) => Some(ThreadsChange::Full(t.clone())),
            (Some(a), Some(b)) => thread_diff(a, b),
        };
        if dynamic.is_some() || threads.is_some() {
            delta.changed.push(ProcChange { pid: p.stat.pid, dynamic, threads });
        }
    }
    kept.sort_unstable();
    // Gone: in prev but not kept as the same process (a changed identity is gone, then new).
    delta.gone = prev.procs.iter().map(|p| p.stat.pid).filter(|pid| kept.binary_search(pid).is_err()).collect();
    delta
}

fn thread_diff(a: &[ThreadRec], b: &[ThreadRec]) -> Option<ThreadsChange> {
    let before: HashMap<Pid, &ThreadRec> = a.iter().map(|t| (t.tid, t)).collect();
    let upsert: Vec<ThreadRec> = b.iter().filter(|t| before.get(&t.tid) != Some(t)).cloned().collect();
    let mut now: Vec<Pid> = b.iter().map(|t| t.tid).collect();
    now.sort_unstable();
    let gone: Vec<Pid> = a.iter().map(|t| t.tid).filter(|tid| now.binary_search(tid).is_err()).collect();
    (!upsert.is_empty() || !gone.is_empty()).then_some(ThreadsChange::Diff { gone, upsert })
}

/// The state after `delta`, from the state before it. A delta that names a PID the previous
/// state does not have (a damaged or mismatched file) is an error, not a panic.
pub fn apply(prev: &FrameState, delta: &Delta) -> Result<FrameState, String> {
    let mut map: HashMap<Pid, ProcRec> = prev.procs.iter().map(|p| (p.stat.pid, p.clone())).collect();
    for pid in &delta.gone {
        if map.remove(pid).is_none() {
            return Err(format!("delta removes PID {pid}, which the previous frame does not have"));
        }
    }
    for c in &delta.changed {
        let Some(p) = map.get_mut(&c.pid) else {
            return Err(format!("delta changes PID {}, which the previous frame does not have", c.pid));
        };
        if let Some(d) = &c.dynamic {
            p.dynamic = d.clone();
        }
        match &c.threads {
            None => {}
            Some(ThreadsChange::Off) => p.threads = None,
            Some(ThreadsChange::Full(t)) => p.threads = Some(t.clone()),
            Some(ThreadsChange::Diff { gone, upsert }) => {
                let Some(threads) = p.threads.as_mut() else {
                    return Err(format!("delta changes threads of PID {} that were not recorded", c.pid));
                };
                threads.retain(|t| !gone.contains(&t.tid));
                for u in upsert {
                    match threads.binary_search_by_key(&u.tid, |t| t.tid) {
                        Ok(i) => threads[i] = u.clone(),
                        Err(i) => threads.insert(i, u.clone()),
                    }
                }
            }
        }
    }
    for n in &delta.new {
        if map.insert(n.stat.pid, n.clone()).is_some() {
            return Err(format!("delta adds PID {}, which the previous frame still has", n.stat.pid));
        }
    }
    let mut procs: Vec<ProcRec> = map.into_values().collect();
    procs.sort_by_key(|p| p.stat.pid);
    Ok(FrameState { system: delta.system.clone(), procs })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::record::{ProcStatic, ThreadRec};
    use proptest::prelude::*;

    fn thread() -> impl Strategy<Value = ThreadRec> {
        (1..40i32, "[a-c]{0,3}", 0..3u64, any::<bool>()).prop_map(|(tid, name, t, r)| ThreadRec {
            tid,
            name,
            state: if r { 'R' } else { 'S' },
            cpu_time_ms: t,
            cpu_percent: t as f32 * 1.5,
            ..ThreadRec::default()
        })
    }

    fn proc() -> impl Strategy<Value = ProcRec> {
        (1..30i32, 0..3u64, "[ab]{0,2}", 0..3u64, proptest::option::of(proptest::collection::vec(thread(), 0..6)))
            .prop_map(|(pid, start, name, cpu, threads)| {
                let threads = threads.map(|mut t| {
                    t.sort_by_key(|t| t.tid);
                    t.dedup_by_key(|t| t.tid);
                    t
                });
                ProcRec {
                    stat: ProcStatic { pid, start_ticks: start, name, ..ProcStatic::default() },
                    dynamic: ProcDyn { cpu_time_ms: cpu, cpu_percent: cpu as f32, ..ProcDyn::default() },
                    threads,
                }
            })
    }

    pub(crate) fn state() -> impl Strategy<Value = FrameState> {
        (proptest::collection::vec(proc(), 0..12), 0..5u32).prop_map(|(mut procs, running)| {
            procs.sort_by_key(|p| p.stat.pid);
            procs.dedup_by_key(|p| p.stat.pid);
            FrameState { system: SystemRec { running, ..SystemRec::default() }, procs }
        })
    }

    proptest! {
        #[test]
        fn a_delta_applied_to_the_previous_state_gives_the_new_one(a in state(), b in state()) {
            let d = encode_delta(&a, &b);
            prop_assert_eq!(apply(&a, &d).unwrap(), b);
        }

        #[test]
        fn a_delta_survives_its_encoding(a in state(), b in state()) {
            let p = Payload::Delta(encode_delta(&a, &b));
            let bytes = postcard::to_allocvec(&p).unwrap();
            prop_assert_eq!(postcard::from_bytes::<Payload>(&bytes).unwrap(), p);
        }
    }

    #[test]
    fn an_unchanged_process_costs_nothing_in_a_delta() {
        let a = FrameState {
            system: SystemRec::default(),
            procs: vec![ProcRec { stat: ProcStatic { pid: 5, ..ProcStatic::default() }, ..ProcRec::default() }],
        };
        let d = encode_delta(&a, &a);
        assert!(d.new.is_empty() && d.gone.is_empty() && d.changed.is_empty());
    }

    #[test]
    fn a_delta_against_the_wrong_state_is_an_error() {
        let a = FrameState {
            system: SystemRec::default(),
            procs: vec![ProcRec { stat: ProcStatic { pid: 5, ..ProcStatic::default() }, ..ProcRec::default() }],
        };
        let d = encode_delta(&a, &FrameState::default());
        assert!(apply(&FrameState::default(), &d).unwrap_err().contains("PID 5"));
    }
}
