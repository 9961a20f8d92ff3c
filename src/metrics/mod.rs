//! Prometheus metrics from the sampler's snapshots: groups of processes from the config
//! (`config`, `groups`), snapshots folded into monotonic group and thread-name counters (`fold`),
//! the exposition built at scrape time through prometheus-client's `Collector` (`encode`), the
//! HTTP endpoint with its limits (`http`), node_exporter's textfile mode (`textfile`), and the
//! slot the sampler's consumer hands each snapshot to (`Slot`).
//!
//! Reads no /proc file itself: everything comes from `collect`'s snapshots. Imports `collect`'s
//! model and sampler types only; no `app`, `ui`, `lab`, `runtime`, `input`, `control`, ratatui or
//! crossterm.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use parking_lot::Mutex;

use crate::collect::model::Snapshot;
use crate::collect::sampler::{Extras, ThreadPick};

pub mod config;
pub mod encode;
pub mod fold;
pub mod groups;
pub mod http;
pub mod textfile;

pub use config::MetricsConfig;
pub use encode::Format;

/// Where snapshots go in and scrapes come out. Folding happens when a snapshot is handed in (once
/// per sample); a scrape only encodes the last view, so any number of scrapes between two samples
/// read /proc zero times.
pub struct Slot {
    folder: Mutex<fold::Folder>,
    view: Mutex<Arc<fold::View>>,
    grouper: Arc<groups::Grouper>,
    scrapes: AtomicU64,
    last_scrape_ns: AtomicU64,
    refused: AtomicU64,
}

impl Slot {
    pub fn new(config: MetricsConfig) -> Arc<Slot> {
        let grouper = Arc::new(groups::Grouper::new(config));
        Arc::new(Slot {
            folder: Mutex::new(fold::Folder::new(grouper.clone())),
            view: Mutex::new(Arc::new(fold::View::default())),
            grouper,
            scrapes: AtomicU64::new(0),
            last_scrape_ns: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    /// What the sampler must read for these metrics: the utime/stime split, status, schedstat and
    /// io of every process, and every thread of the processes in groups with threads on.
    pub fn extras(&self) -> Extras {
        let threads = self.grouper.config().wants_threads().then(|| {
            let g = self.grouper.clone();
            ThreadPick(Arc::new(move |p| g.classify(p).is_some_and(|k| k.threads)))
        });
        Extras { io: true, sched: true, threads }
    }

    /// Folds a snapshot in (a repeat of the last one is ignored).
    pub fn publish(&self, snap: &Snapshot) {
        let mut f = self.folder.lock();
        if snap.seq != 0 && snap.seq == f.last_seq() {
            return;
        }
        let v = Arc::new(f.fold(snap));
        drop(f);
        *self.view.lock() = v;
    }

    /// The seq of the last snapshot folded in (0 before the first).
    pub fn seq(&self) -> u64 {
        self.view.lock().seq
    }

    /// One scrape's body, encoded from the last view.
    pub fn scrape(&self, format: Format) -> String {
        let started = Instant::now();
        let view = self.view.lock().clone();
        let own = encode::Own {
            scrapes: self.scrapes.fetch_add(1, Ordering::Relaxed) + 1,
            last_scrape_seconds: self.last_scrape_ns.load(Ordering::Relaxed) as f64 / 1e9,
            refused_connections: self.refused.load(Ordering::Relaxed),
        };
        let body = encode::encode(view, own, format);
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_scrape_ns.store(ns, Ordering::Relaxed);
        body
    }

    pub(crate) fn count_refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }
}

/// Hands every snapshot the sampler publishes to `slot` (and, with a textfile directory, writes
/// the file after each), until the sampler stops. A textfile that cannot be written is reported
/// once per run of failures on stderr, and retried next sample.
pub async fn feed(
    mut rx: crate::collect::sampler::SnapshotReceiver,
    slot: Arc<Slot>,
    textfile: Option<std::path::PathBuf>,
) {
    let mut failing = false;
    while rx.changed().await.is_ok() {
        let Some(snap) = rx.borrow_and_update().clone() else { continue };
        slot.publish(&snap);
        if let Some(dir) = &textfile {
            match textfile::write_atomic(dir, &slot.scrape(Format::Prometheus)) {
                Ok(_) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    eprintln!("threadtop: cannot write {}: {e}", dir.join(textfile::FILE_NAME).display());
                }
                Err(_) => {}
            }
        }
    }
}

/// What is printed at start for an address other machines may reach (None for loopback).
pub fn exposure_warning(local: std::net::SocketAddr) -> Option<String> {
    (!local.ip().is_loopback()).then(|| {
        format!(
            "threadtop: serving metrics on NON-LOOPBACK address {local}: anyone who can reach it can read this machine's process names (no auth; see README, Metrics)"
        )
    })
}

/// Binds the metrics endpoint. A non-loopback address is allowed only because it was asked for,
/// and said aloud: anyone who can reach it reads the machine's process names.
pub fn bind(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let std = std::net::TcpListener::bind(addr)?;
    std.set_nonblocking(true)?;
    let local = std.local_addr()?;
    if let Some(w) = exposure_warning(local) {
        eprintln!("{w}");
    }
    eprintln!("threadtop: metrics on http://{local}/metrics");
    tokio::net::TcpListener::from_std(std)
}

/// `--metrics ADDR` on the monitor: bound before the terminal is taken (so an error reads on a
/// normal screen), started on the monitor's runtime from the same snapshots the monitor shows.
pub struct TuiMetrics {
    slot: Arc<Slot>,
    listener: std::net::TcpListener,
    local: std::net::SocketAddr,
}

impl TuiMetrics {
    pub fn bind(addr: std::net::SocketAddr, config: &MetricsConfig) -> std::io::Result<TuiMetrics> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local = listener.local_addr()?;
        Ok(TuiMetrics { slot: Slot::new(config.clone()), listener, local })
    }

    /// The status line's word on it, and whether it is a warning (a non-loopback address): the
    /// monitor's screen hides stderr.
    pub fn notice(&self) -> (String, bool) {
        match exposure_warning(self.local) {
            Some(w) => (w.trim_start_matches("threadtop: ").to_string(), true),
            None => (format!("serving metrics on http://{}/metrics", self.local), false),
        }
    }

    /// What the sampler must read for the metrics.
    pub fn extras(&self) -> Extras {
        self.slot.extras()
    }

    /// Spawns the feed and the server on the current tokio runtime.
    pub fn start(self, rx: crate::collect::sampler::SnapshotReceiver) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        tokio::spawn(feed(rx, self.slot.clone(), None));
        tokio::spawn(http::serve(listener, self.slot, http::Limits::default(), std::future::pending()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_loopback_addresses_are_announced() {
        for (addr, warned) in [
            ("127.0.0.1:9184", false),
            ("[::1]:9184", false),
            ("0.0.0.0:9184", true),
            ("[::]:1", true),
            ("192.168.1.5:9184", true),
        ] {
            let w = exposure_warning(addr.parse().unwrap());
            assert_eq!(w.is_some(), warned, "{addr}");
            assert!(w.is_none_or(|w| w.contains("NON-LOOPBACK") && w.contains(addr)), "{addr}");
        }
    }

    /// Scrapes between two samples read the same view: the body changes only when a new
    /// snapshot is handed in (nothing reads /proc per request).
    #[test]
    fn scrapes_between_samples_serve_the_last_sample() {
        let slot = Slot::new(MetricsConfig::default());
        slot.publish(&crate::app::fixtures::snapshot(1));
        let strip = |b: String| b.lines().filter(|l| !l.starts_with("threadtop_scrape")).collect::<Vec<_>>().join("\n");
        let a = strip(slot.scrape(Format::Prometheus));
        assert_eq!(a, strip(slot.scrape(Format::Prometheus)));
        assert!(a.contains("threadtop_samples_total 1"));
        slot.publish(&crate::app::fixtures::snapshot(1));
        assert_eq!(slot.seq(), 1, "a repeat of the last snapshot is not folded again");
        slot.publish(&crate::app::fixtures::snapshot(2));
        assert!(strip(slot.scrape(Format::Prometheus)).contains("threadtop_samples_total 2"));
    }
}
