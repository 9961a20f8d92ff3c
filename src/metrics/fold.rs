//! Snapshots folded into what a scrape shows: per group and per thread name, counters that only
//! go up (each process's and thread's growth since it was last seen is added, so a process that
//! exits does not make its group's counter fall), gauges of the last snapshot, and the top-K
//! PIDs. Groups and thread names absent from a snapshot are dropped, and with them their series.
//! Runs once per snapshot, never per scrape; no I/O.

use std::collections::HashMap;
use std::sync::Arc;

use super::config::{MAX_GROUPS, MAX_THREAD_NAMES};
use super::groups::Grouper;
use crate::collect::model::{Pid, SamplerStats, Snapshot, SystemSample};

/// Monotonic counters in the kernel's units (ms of CPU, ns of delay, bytes, switches).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub user_ms: u64,
    pub system_ms: u64,
    pub voluntary: u64,
    pub involuntary: u64,
    pub run_delay_ns: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl Counters {
    /// Adds what grew from `prev` to `cur` (all of `cur` when there is no `prev`: a process or
    /// thread seen for the first time). A value that fell (cannot, short of a reused id) adds 0.
    fn add_growth(&mut self, prev: Option<&Counters>, cur: &Counters) {
        let z = Counters::default();
        let p = prev.unwrap_or(&z);
        self.user_ms += cur.user_ms.saturating_sub(p.user_ms);
        self.system_ms += cur.system_ms.saturating_sub(p.system_ms);
        self.voluntary += cur.voluntary.saturating_sub(p.voluntary);
        self.involuntary += cur.involuntary.saturating_sub(p.involuntary);
        self.run_delay_ns += cur.run_delay_ns.saturating_sub(p.run_delay_ns);
        self.read_bytes += cur.read_bytes.saturating_sub(p.read_bytes);
        self.write_bytes += cur.write_bytes.saturating_sub(p.write_bytes);
    }
}

/// One thread name in a group, as a scrape shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ThreadView {
    pub name: String,
    pub counters: Counters,
    /// Threads with this name now.
    pub count: u32,
}

/// One of a group's K busiest processes.
#[derive(Clone, Debug, PartialEq)]
pub struct TopView {
    pub pid: Pid,
    pub name: Arc<str>,
    /// Only when the config's `cmdline_labels` is on.
    pub cmdline: Option<Arc<str>>,
    /// Cores in use over the last interval.
    pub cpu_cores: f64,
    pub rss_bytes: u64,
}

/// One group, as a scrape shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupView {
    pub name: Arc<str>,
    pub counters: Counters,
    pub procs: u32,
    pub threads: u32,
    pub rss_bytes: u64,
    pub virt_bytes: u64,
    /// Processes in R, S, D, Z, T (t counted as T).
    pub states: [u32; 5],
    /// Seconds since the epoch; 0 when unknown.
    pub oldest_start: u64,
    /// Present only for groups with threads on.
    pub thread_names: Option<Vec<ThreadView>>,
    pub top: Vec<TopView>,
}

pub const STATES: [&str; 5] = ["R", "S", "D", "Z", "T"];

/// Everything a scrape encodes, from one snapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct View {
    /// 0 before the first snapshot.
    pub seq: u64,
    pub groups: Vec<GroupView>,
    /// Groups left out past `MAX_GROUPS`, and thread names past `MAX_THREAD_NAMES`.
    pub dropped_groups: u32,
    pub dropped_thread_names: u32,
    pub system: SystemSample,
    pub stats: SamplerStats,
}

struct ProcPrev {
    group: Arc<str>,
    counters: Counters,
}

struct ThreadPrev {
    group: Arc<str>,
    name: String,
    counters: Counters,
}

#[derive(Default)]
struct GroupAcc {
    counters: Counters,
    threads: HashMap<String, Counters>,
}

/// The state kept between snapshots.
pub struct Folder {
    grouper: Arc<Grouper>,
    /// By (PID, start ticks): a reused PID is another process.
    procs: HashMap<(Pid, u64), ProcPrev>,
    threads: HashMap<(Pid, u64, Pid), ThreadPrev>,
    groups: HashMap<Arc<str>, GroupAcc>,
    last_seq: u64,
}

impl Folder {
    pub fn new(grouper: Arc<Grouper>) -> Folder {
        Folder { grouper, procs: HashMap::new(), threads: HashMap::new(), groups: HashMap::new(), last_seq: 0 }
    }

    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Folds one snapshot in and returns the view of it.
    pub fn fold(&mut self, snap: &Snapshot) -> View {
        self.last_seq = snap.seq;
        let mut procs = HashMap::with_capacity(self.procs.len());
        let mut threads = HashMap::with_capacity(self.threads.len());
        let mut views: HashMap<Arc<str>, GroupView> = HashMap::new();
        let mut accs: HashMap<Arc<str>, GroupAcc> = HashMap::new();
        let mut tops: HashMap<Arc<str>, (usize, Vec<TopView>)> = HashMap::new();
        let cmdline_labels = self.grouper.config().cmdline_labels;
        for p in &snap.processes {
            let Some(key) = self.grouper.classify(p) else { continue };
            let x = p.extra.as_deref();
            let cur = Counters {
                user_ms: x.map_or(p.cpu_time_ms, |x| x.user_ms),
                system_ms: x.map_or(0, |x| x.system_ms),
                voluntary: x.and_then(|x| x.voluntary).unwrap_or(0),
                involuntary: x.and_then(|x| x.nonvoluntary).unwrap_or(0),
                run_delay_ns: x.and_then(|x| x.run_delay_ns).unwrap_or(0),
                read_bytes: x.and_then(|x| x.io).map_or(0, |io| io.read_bytes),
                write_bytes: x.and_then(|x| x.io).map_or(0, |io| io.write_bytes),
            };
            let pkey = (p.pid, p.start_ticks);
            // A process whose group changed (exec to another name) starts afresh in the new one.
            let prev = self.procs.remove(&pkey).filter(|pp| pp.group == key.name);
            let old_acc =
                |name: &Arc<str>, groups: &mut HashMap<Arc<str>, GroupAcc>| groups.remove(name).unwrap_or_default();
            let acc = accs.entry(key.name.clone()).or_insert_with(|| old_acc(&key.name, &mut self.groups));
            acc.counters.add_growth(prev.as_ref().map(|pp| &pp.counters), &cur);
            procs.insert(pkey, ProcPrev { group: key.name.clone(), counters: cur });

            let v = views.entry(key.name.clone()).or_insert_with(|| GroupView {
                name: key.name.clone(),
                thread_names: key.threads.then(Vec::new),
                ..GroupView::default()
            });
            v.procs += 1;
            v.threads += p.num_threads;
            v.rss_bytes += p.rss_bytes;
            v.virt_bytes += p.virt_bytes;
            if let Some(i) = match p.state {
                'R' => Some(0),
                'S' => Some(1),
                'D' => Some(2),
                'Z' => Some(3),
                'T' | 't' => Some(4),
                _ => None,
            } {
                v.states[i] += 1;
            }
            if p.start_time > 0 && (v.oldest_start == 0 || p.start_time < v.oldest_start) {
                v.oldest_start = p.start_time;
            }
            if key.top_k > 0 {
                let t = tops.entry(key.name.clone()).or_insert_with(|| (key.top_k, Vec::new()));
                t.1.push(TopView {
                    pid: p.pid,
                    name: p.name.clone(),
                    cmdline: cmdline_labels.then(|| p.cmdline.clone()),
                    cpu_cores: f64::from(p.cpu_percent) / 100.0,
                    rss_bytes: p.rss_bytes,
                });
            }
            if key.threads {
                for t in x.map(|x| x.threads.as_slice()).unwrap_or_default() {
                    let tcur = Counters {
                        user_ms: t.user_ms,
                        system_ms: t.system_ms,
                        voluntary: t.voluntary.unwrap_or(0),
                        involuntary: t.nonvoluntary.unwrap_or(0),
                        run_delay_ns: t.run_delay_ns.unwrap_or(0),
                        ..Counters::default()
                    };
                    let tkey = (p.pid, p.start_ticks, t.tid);
                    let tprev = self.threads.remove(&tkey).filter(|tp| tp.group == key.name && tp.name == t.name);
                    let tacc = match acc.threads.get_mut(t.name.as_str()) {
                        Some(c) => c,
                        None => acc.threads.entry(t.name.clone()).or_default(),
                    };
                    tacc.add_growth(tprev.as_ref().map(|tp| &tp.counters), &tcur);
                    threads.insert(tkey, ThreadPrev { group: key.name.clone(), name: t.name.clone(), counters: tcur });
                    if let Some(names) = v.thread_names.as_mut() {
                        match names.iter_mut().find(|n| n.name == t.name) {
                            Some(n) => n.count += 1,
                            None => names.push(ThreadView { name: t.name.clone(), count: 1, ..ThreadView::default() }),
                        }
                    }
                }
            }
        }
        let mut dropped_thread_names = 0u32;
        let mut groups: Vec<GroupView> = views
            .into_values()
            .map(|mut v| {
                if let Some(acc) = accs.get_mut(&v.name) {
                    v.counters = acc.counters;
                    if let Some(names) = v.thread_names.as_mut() {
                        // Names no thread has any more are forgotten: their series disappear.
                        acc.threads.retain(|n, _| names.iter().any(|t| &t.name == n));
                        for t in names.iter_mut() {
                            t.counters = acc.threads.get(&t.name).copied().unwrap_or_default();
                        }
                        names.sort_by(|a, b| a.name.cmp(&b.name));
                        if names.len() > MAX_THREAD_NAMES {
                            dropped_thread_names += (names.len() - MAX_THREAD_NAMES) as u32;
                            names.truncate(MAX_THREAD_NAMES);
                        }
                    }
                }
                if let Some((k, mut top)) = tops.remove(&v.name) {
                    top.sort_by(|a, b| b.cpu_cores.total_cmp(&a.cpu_cores).then(a.pid.cmp(&b.pid)));
                    top.truncate(k);
                    v.top = top;
                }
                v
            })
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let dropped_groups = groups.len().saturating_sub(MAX_GROUPS) as u32;
        groups.truncate(MAX_GROUPS);
        // Groups without a process now are forgotten (their series disappear); those left are
        // the ones seen in this snapshot.
        self.groups = accs;
        self.procs = procs;
        self.threads = threads;
        View {
            seq: snap.seq,
            groups,
            dropped_groups,
            dropped_thread_names,
            system: snap.system.clone(),
            stats: snap.stats.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::process;
    use crate::collect::model::{ProcessExtra, ProcessSample, ThreadExtra};
    use crate::metrics::config::from_value;

    pub(crate) fn folder(text: &str) -> Folder {
        let v: toml::Table = toml::from_str(text).unwrap();
        Folder::new(Arc::new(Grouper::new(from_value(&v["metrics"]).unwrap())))
    }

    fn with_extra(mut p: ProcessSample, user_ms: u64, threads: &[(Pid, &str, u64)]) -> ProcessSample {
        p.extra = Some(Box::new(ProcessExtra {
            user_ms,
            system_ms: 10,
            run_delay_ns: Some(5_000),
            threads: threads
                .iter()
                .map(|&(tid, name, ms)| ThreadExtra { tid, name: name.into(), user_ms: ms, ..ThreadExtra::default() })
                .collect(),
            ..ProcessExtra::default()
        }));
        p
    }

    fn snap(seq: u64, processes: Vec<ProcessSample>) -> Snapshot {
        Snapshot { seq, processes, ..Snapshot::default() }
    }

    fn group<'a>(v: &'a View, name: &str) -> Option<&'a GroupView> {
        v.groups.iter().find(|g| &*g.name == name)
    }

    /// A process that exits leaves its CPU in the group's counter; a new one adds all of its own.
    #[test]
    fn group_counters_never_fall_when_processes_come_and_go() {
        let mut f = folder("[metrics]\n");
        let a = || with_extra(process(10, 1, "w", 0.0, 1), 1000, &[]);
        let b = |ms| with_extra(process(11, 1, "w", 0.0, 1), ms, &[]);
        let v1 = f.fold(&snap(1, vec![a(), b(500)]));
        assert_eq!(group(&v1, "w").unwrap().counters.user_ms, 1500);
        assert_eq!(group(&v1, "w").unwrap().procs, 2);
        let v2 = f.fold(&snap(2, vec![b(700)]));
        let g = group(&v2, "w").unwrap();
        assert_eq!((g.counters.user_ms, g.procs), (1700, 1), "10 exited; 11 grew by 200");
        let v3 = f.fold(&snap(3, vec![b(700), with_extra(process(12, 1, "w", 0.0, 1), 50, &[])]));
        assert_eq!(group(&v3, "w").unwrap().counters.user_ms, 1750);
        assert_eq!(group(&v3, "w").unwrap().counters.run_delay_ns, 5_000 * 2 + 5_000, "12 adds all of its own");
    }

    #[test]
    fn vanished_groups_and_thread_names_disappear() {
        let mut f = folder("[metrics]\nthreads = true\n");
        let v1 = f.fold(&snap(
            1,
            vec![
                with_extra(process(10, 1, "srv", 0.0, 1), 10, &[(10, "srv", 5), (20, "io-1", 3), (21, "io-1", 4)]),
                with_extra(process(30, 1, "other", 0.0, 1), 10, &[(30, "other", 10)]),
            ],
        ));
        let names = group(&v1, "srv").unwrap().thread_names.as_ref().unwrap();
        assert_eq!(
            names.iter().map(|t| (t.name.as_str(), t.count, t.counters.user_ms)).collect::<Vec<_>>(),
            [("io-1", 2, 7), ("srv", 1, 5)]
        );
        let v2 = f.fold(&snap(2, vec![with_extra(process(10, 1, "srv", 0.0, 1), 20, &[(10, "srv", 9)])]));
        assert!(group(&v2, "other").is_none(), "the group with no process left is gone");
        let names = group(&v2, "srv").unwrap().thread_names.as_ref().unwrap();
        assert_eq!(names.len(), 1, "io-1 has no thread left: {names:?}");
        assert_eq!(names[0].counters.user_ms, 9);
        // It comes back from zero (a counter reset Prometheus handles), not from its old total.
        let v3 = f.fold(&snap(3, vec![with_extra(process(40, 1, "other", 0.0, 1), 3, &[])]));
        assert_eq!(group(&v3, "other").unwrap().counters.user_ms, 3);
    }

    #[test]
    fn top_k_keeps_the_busiest_and_cmdline_only_when_asked() {
        let mut f = folder("[metrics]\ntop_k = 2\n");
        let ps: Vec<_> = (0..5).map(|i| process(100 + i, 1, "w", i as f32 * 10.0, 1)).collect();
        let v = f.fold(&snap(1, ps.clone()));
        let top = &group(&v, "w").unwrap().top;
        assert_eq!(top.iter().map(|t| t.pid).collect::<Vec<_>>(), [104, 103]);
        assert!(top.iter().all(|t| t.cmdline.is_none()));
        let mut f = folder("[metrics]\ntop_k = 1\ncmdline_labels = true\n");
        let v = f.fold(&snap(1, ps));
        assert_eq!(group(&v, "w").unwrap().top[0].cmdline.as_deref(), Some("/usr/bin/w --flag"));
    }
}
