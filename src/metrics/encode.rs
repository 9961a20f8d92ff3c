//! A `View` encoded at scrape time through prometheus-client's `Collector`: the families are
//! built from the last snapshot's view on each request, never by reading /proc. The crate writes
//! OpenMetrics; the Prometheus text format (0.0.4) is the same text with the counters' family
//! names carrying `_total` and no `# EOF`, and the client asks for one or the other in `Accept`.

use std::fmt::Write as _;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::fold::{Counters, STATES, View};

/// What threadtop measured about serving, given to the encoder.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Own {
    pub scrapes: u64,
    /// The previous scrape's encoding time.
    pub last_scrape_seconds: f64,
    /// Connections refused because the cap was reached.
    pub refused_connections: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`.
    Prometheus,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// Picks by the `Accept` header's q-values: OpenMetrics only when the client prefers it
    /// (Prometheus does); text for no header, `*/*`, `text/plain`, or anything unknown.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else { return Format::Prometheus };
        let (mut om, mut text) = (0.0f32, 0.0f32);
        for item in accept.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let mut q = 1.0f32;
            let mut version: Option<String> = None;
            for p in parts {
                if let Some((k, v)) = p.split_once('=') {
                    match k.trim().to_ascii_lowercase().as_str() {
                        "q" => q = v.trim().parse().unwrap_or(0.0f32).clamp(0.0, 1.0),
                        "version" => version = Some(v.trim().to_string()),
                        _ => {}
                    }
                }
            }
            match media.as_str() {
                // Versions threadtop writes (1.0.0; 0.0.1 is the same text for these families).
                "application/openmetrics-text" if version.as_deref().is_none_or(|v| v == "1.0.0" || v == "0.0.1") => {
                    om = om.max(q);
                }
                "text/plain" | "text/*" | "*/*" => text = text.max(q),
                _ => {}
            }
        }
        if om > 0.0 && om > text { Format::OpenMetrics } else { Format::Prometheus }
    }
}

/// The registry's collector: one view, encoded.
#[derive(Debug)]
struct ViewCollector {
    view: Arc<View>,
    own: Own,
}

fn secs_ms(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn secs_ns(ns: u64) -> f64 {
    ns as f64 / 1e9
}

/// One family: its descriptor, then each label set's value.
fn family<L: EncodeLabelSet, M: EncodeMetric>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    series: impl IntoIterator<Item = (L, M)>,
) -> Result<(), std::fmt::Error> {
    let mut series = series.into_iter().peekable();
    // A family with no series (no group asked for threads) is left out, HELP and all.
    if series.peek().is_none() {
        return Ok(());
    }
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, metric) in series {
        metric.encode(m.encode_family(&labels)?)?;
    }
    Ok(())
}

fn counter(v: f64) -> ConstCounter<f64> {
    ConstCounter::new(v)
}

fn gauge(v: f64) -> ConstGauge<f64> {
    ConstGauge::new(v)
}

type Labels<'a> = Vec<(&'static str, &'a str)>;

impl Collector for ViewCollector {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use MetricType::{Counter, Gauge};
        let v = &*self.view;
        let g = &v.groups;
        fn gl(name: &str) -> Labels<'_> {
            vec![("groupname", name)]
        }
        let per = |f: fn(&Counters) -> f64, extra: &'static [(&'static str, &'static str)]| {
            g.iter().map(move |x| {
                let mut l = vec![("groupname", &*x.name)];
                l.extend_from_slice(extra);
                (l, counter(f(&x.counters)))
            })
        };
        family(
            &mut enc,
            "group_cpu_seconds",
            "CPU time of the group's processes by mode (stat utime, stime), including those that exited since they were first seen",
            Counter,
            per(|c| secs_ms(c.user_ms), &[("mode", "user")])
                .chain(per(|c| secs_ms(c.system_ms), &[("mode", "system")])),
        )?;
        family(
            &mut enc,
            "group_memory_bytes",
            "Memory of the group's processes: resident (statm) and virtual (stat vsize), summed",
            Gauge,
            g.iter().flat_map(|x| {
                [
                    (vec![("groupname", &*x.name), ("type", "resident")], gauge(x.rss_bytes as f64)),
                    (vec![("groupname", &*x.name), ("type", "virtual")], gauge(x.virt_bytes as f64)),
                ]
            }),
        )?;
        family(
            &mut enc,
            "group_num_procs",
            "Processes in the group",
            Gauge,
            g.iter().map(|x| (gl(&x.name), gauge(f64::from(x.procs)))),
        )?;
        family(
            &mut enc,
            "group_num_threads",
            "Threads of the group's processes (stat num_threads), summed",
            Gauge,
            g.iter().map(|x| (gl(&x.name), gauge(f64::from(x.threads)))),
        )?;
        family(
            &mut enc,
            "group_context_switches",
            "Context switches of each process's main thread (/proc/PID/status counts only that thread); every thread's are in threadtop_group_thread_context_switches_total",
            Counter,
            per(|c| c.voluntary as f64, &[("type", "voluntary")])
                .chain(per(|c| c.involuntary as f64, &[("type", "involuntary")])),
        )?;
        family(
            &mut enc,
            "group_run_delay_seconds",
            "Time runnable but waiting for a core (schedstat): every thread's in groups with threads on, else each process's main thread's",
            Counter,
            per(|c| secs_ns(c.run_delay_ns), &[]),
        )?;
        family(
            &mut enc,
            "group_io_bytes",
            "Bytes the group's processes read from and wrote to storage (/proc/PID/io read_bytes, write_bytes); unreadable io counts 0",
            Counter,
            per(|c| c.read_bytes as f64, &[("direction", "read")])
                .chain(per(|c| c.write_bytes as f64, &[("direction", "write")])),
        )?;
        family(
            &mut enc,
            "group_states",
            "Processes of the group by state letter (t counted as T)",
            Gauge,
            g.iter().flat_map(|x| {
                STATES
                    .iter()
                    .zip(x.states)
                    .map(|(s, n)| (vec![("groupname", &*x.name), ("state", *s)], gauge(f64::from(n))))
            }),
        )?;
        family(
            &mut enc,
            "group_oldest_start_time_seconds",
            "Start time of the group's oldest process, seconds since the epoch",
            Gauge,
            g.iter().filter(|x| x.oldest_start > 0).map(|x| (gl(&x.name), gauge(x.oldest_start as f64))),
        )?;

        let threads = || {
            g.iter()
                .filter_map(|x| Some((&*x.name, x.thread_names.as_ref()?)))
                .flat_map(|(gn, ts)| ts.iter().map(move |t| (gn, t)))
        };
        family(
            &mut enc,
            "group_thread_cpu_seconds",
            "CPU time of the group's threads with this name, by mode (task/TID/stat)",
            Counter,
            threads().flat_map(|(gn, t)| {
                [
                    (
                        vec![("groupname", gn), ("threadname", t.name.as_str()), ("mode", "user")],
                        counter(secs_ms(t.counters.user_ms)),
                    ),
                    (
                        vec![("groupname", gn), ("threadname", t.name.as_str()), ("mode", "system")],
                        counter(secs_ms(t.counters.system_ms)),
                    ),
                ]
            }),
        )?;
        family(
            &mut enc,
            "group_thread_context_switches",
            "Context switches of the group's threads with this name (task/TID/status)",
            Counter,
            threads().flat_map(|(gn, t)| {
                [
                    (
                        vec![("groupname", gn), ("threadname", t.name.as_str()), ("type", "voluntary")],
                        counter(t.counters.voluntary as f64),
                    ),
                    (
                        vec![("groupname", gn), ("threadname", t.name.as_str()), ("type", "involuntary")],
                        counter(t.counters.involuntary as f64),
                    ),
                ]
            }),
        )?;
        family(
            &mut enc,
            "group_thread_run_delay_seconds",
            "Time the group's threads with this name were runnable but waiting for a core (task/TID/schedstat)",
            Counter,
            threads().map(|(gn, t)| {
                (vec![("groupname", gn), ("threadname", t.name.as_str())], counter(secs_ns(t.counters.run_delay_ns)))
            }),
        )?;
        family(
            &mut enc,
            "group_thread_num_threads",
            "Threads of the group with this name now (process-exporter's thread_count; a _count suffix is reserved for histograms)",
            Gauge,
            threads()
                .map(|(gn, t)| (vec![("groupname", gn), ("threadname", t.name.as_str())], gauge(f64::from(t.count)))),
        )?;

        let pids: Vec<(String, &str, &super::fold::TopView)> =
            g.iter().flat_map(|x| x.top.iter().map(move |t| (t.pid.to_string(), &*x.name, t))).collect();
        let top_labels = |pid: &'_ str, gn: &'_ str, t: &'_ super::fold::TopView| -> Vec<(&'static str, String)> {
            let mut l = vec![("groupname", gn.to_string()), ("pid", pid.to_string()), ("name", t.name.to_string())];
            if let Some(c) = &t.cmdline {
                l.push(("cmdline", c.to_string()));
            }
            l
        };
        family(
            &mut enc,
            "group_top_cpu_cores",
            "Cores in use over the last interval by the group's busiest processes (top_k, capped)",
            Gauge,
            pids.iter().map(|(pid, gn, t)| (top_labels(pid, gn, t), gauge(t.cpu_cores))),
        )?;
        family(
            &mut enc,
            "group_top_resident_bytes",
            "Resident memory of the group's busiest processes (top_k, capped)",
            Gauge,
            pids.iter().map(|(pid, gn, t)| (top_labels(pid, gn, t), gauge(t.rss_bytes as f64))),
        )?;

        // The machine.
        let s = &v.system;
        let tps = s.ticks_per_second.max(1) as f64;
        let cpus: Vec<(String, crate::collect::model::CpuCounters)> =
            s.cpu_ticks.iter().enumerate().filter_map(|(i, c)| Some((i.to_string(), (*c)?))).collect();
        family(
            &mut enc,
            "system_cpu_seconds",
            "Time each CPU spent in each mode since boot (/proc/stat)",
            Counter,
            cpus.iter().flat_map(|(cpu, c)| {
                [
                    ("user", c.user),
                    ("nice", c.nice),
                    ("system", c.system),
                    ("idle", c.idle),
                    ("iowait", c.iowait),
                    ("irq", c.irq),
                    ("softirq", c.softirq),
                    ("steal", c.steal),
                ]
                .map(|(mode, t)| (vec![("cpu", cpu.as_str()), ("mode", mode)], counter(t as f64 / tps)))
            }),
        )?;
        let one = |x: f64| [(Labels::new(), gauge(x))];
        family(&mut enc, "system_memory_total_bytes", "Installed memory", Gauge, one(s.mem_total as f64))?;
        family(
            &mut enc,
            "system_memory_used_bytes",
            "Memory in use (total - available)",
            Gauge,
            one(s.mem_used as f64),
        )?;
        family(&mut enc, "system_swap_total_bytes", "Swap space", Gauge, one(s.swap_total as f64))?;
        family(&mut enc, "system_swap_used_bytes", "Swap in use", Gauge, one(s.swap_used as f64))?;
        family(&mut enc, "system_load1", "Load average over 1 minute", Gauge, one(s.load[0]))?;
        family(&mut enc, "system_load5", "Load average over 5 minutes", Gauge, one(s.load[1]))?;
        family(&mut enc, "system_load15", "Load average over 15 minutes", Gauge, one(s.load[2]))?;
        family(
            &mut enc,
            "system_procs_running",
            "Tasks runnable (/proc/stat procs_running)",
            Gauge,
            one(f64::from(s.running)),
        )?;
        family(
            &mut enc,
            "system_procs_blocked",
            "Tasks blocked on I/O (/proc/stat procs_blocked)",
            Gauge,
            s.blocked.map(|b| (Labels::new(), gauge(f64::from(b)))),
        )?;

        // threadtop itself.
        let st = &v.stats;
        family(&mut enc, "samples", "Samples taken of /proc", Counter, [(Labels::new(), counter(v.seq as f64))])?;
        family(
            &mut enc,
            "sample_duration_seconds",
            "Wall time the last sample took",
            Gauge,
            one(st.sample_duration.as_secs_f64()),
        )?;
        family(&mut enc, "scrapes", "Scrapes served", Counter, [(Labels::new(), counter(self.own.scrapes as f64))])?;
        family(
            &mut enc,
            "scrape_duration_seconds",
            "Time the previous scrape took to encode",
            Gauge,
            one(self.own.last_scrape_seconds),
        )?;
        family(
            &mut enc,
            "refused_connections",
            "Connections closed at once because the connection cap was reached",
            Counter,
            [(Labels::new(), counter(self.own.refused_connections as f64))],
        )?;
        family(&mut enc, "kept_files", "/proc files threadtop keeps open", Gauge, one(f64::from(st.kept_files)))?;
        family(
            &mut enc,
            "cpu_seconds",
            "CPU time threadtop itself used (all its threads)",
            Counter,
            [(Labels::new(), counter(st.own_cpu_seconds))],
        )?;
        family(
            &mut enc,
            "dropped_series",
            "Groups and thread names left out past the caps (2000 groups, 500 names per group)",
            Gauge,
            [
                (vec![("kind", "group")], gauge(f64::from(v.dropped_groups))),
                (vec![("kind", "thread_name")], gauge(f64::from(v.dropped_thread_names))),
            ],
        )?;
        Ok(())
    }
}

/// The exposition of `view` in `format`.
pub fn encode(view: Arc<View>, own: Own, format: Format) -> String {
    let mut registry = Registry::with_prefix("threadtop");
    registry.register_collector(Box::new(ViewCollector { view, own }));
    let mut out = String::with_capacity(16 * 1024);
    // Writing into a String cannot fail; an error here would be the encoder's own bug, and the
    // scrape then carries what was written.
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    match format {
        Format::OpenMetrics => out,
        Format::Prometheus => to_prometheus_text(&out),
    }
}

/// OpenMetrics text → Prometheus text 0.0.4: a counter's HELP and TYPE lines name the sample
/// (`_total`), `# UNIT` and `# EOF` go. Everything else is the same in both.
pub fn to_prometheus_text(om: &str) -> String {
    let mut out = String::with_capacity(om.len());
    let mut help: Option<&str> = None;
    for line in om.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if line.starts_with("# HELP ") {
            help = Some(line);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "untyped"));
            let suffix = if kind == "counter" && !name.ends_with("_total") { "_total" } else { "" };
            if let Some(h) = help.take() {
                let text = h.strip_prefix("# HELP ").and_then(|r| r.strip_prefix(name)).unwrap_or("");
                let _ = writeln!(out, "# HELP {name}{suffix}{text}");
            }
            let _ = writeln!(out, "# TYPE {name}{suffix} {kind}");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures;
    use crate::collect::model::{ProcessExtra, ThreadExtra};

    fn view() -> Arc<View> {
        let v: toml::Table = toml::from_str("[metrics]\nthreads = true\ntop_k = 1\n").unwrap();
        let grouper =
            Arc::new(super::super::groups::Grouper::new(super::super::config::from_value(&v["metrics"]).unwrap()));
        let mut f = super::super::fold::Folder::new(grouper);
        let mut snap = fixtures::snapshot(7);
        for p in &mut snap.processes {
            p.extra = Some(Box::new(ProcessExtra {
                user_ms: 1500,
                system_ms: 250,
                voluntary: Some(9),
                nonvoluntary: Some(2),
                run_delay_ns: Some(3_000_000_000),
                threads: vec![ThreadExtra {
                    tid: p.pid,
                    name: "a \"quoted\"\\name".into(),
                    user_ms: 20,
                    ..ThreadExtra::default()
                }],
                ..ProcessExtra::default()
            }));
        }
        Arc::new(f.fold(&snap))
    }

    #[test]
    fn both_formats_of_a_synthetic_snapshot() {
        let v = view();
        let g = &v.groups[0];
        let om = encode(v.clone(), Own::default(), Format::OpenMetrics);
        assert!(om.ends_with("# EOF\n"), "{om}");
        assert!(om.contains("# TYPE threadtop_group_cpu_seconds counter\n"), "{om}");
        let line = format!("threadtop_group_cpu_seconds_total{{groupname=\"{}\",mode=\"user\"}} 1.5\n", g.name);
        assert!(om.contains(&line), "{line} in {om}");
        assert!(
            om.contains(&format!("threadtop_group_run_delay_seconds_total{{groupname=\"{}\"}} 3.0\n", g.name)),
            "{om}"
        );
        // Label values are escaped, not cut.
        assert!(om.contains(r#"threadname="a \"quoted\"\\name""#), "{om}");
        let text = encode(v.clone(), Own::default(), Format::Prometheus);
        assert!(!text.contains("# EOF"));
        assert!(text.contains("# TYPE threadtop_group_cpu_seconds_total counter\n"), "{text}");
        assert!(text.contains("# HELP threadtop_group_cpu_seconds_total CPU time"), "{text}");
        assert!(text.contains(&line));
        assert!(text.contains("# TYPE threadtop_group_num_procs gauge\n"));
        for family in
            ["system_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}", "system_load1 ", "samples_total 7", "kept_files "]
        {
            assert!(text.contains(&format!("threadtop_{family}")), "{family} in {text}");
        }
        // One HELP and one TYPE per family, never a sample without its family's TYPE first.
        let types = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
        assert_eq!(types, text.lines().filter(|l| l.starts_with("# HELP ")).count());
        let pids = text.lines().filter(|l| l.starts_with("threadtop_group_top_cpu_cores{")).count();
        assert_eq!(pids, v.groups.iter().filter(|g| !g.top.is_empty()).count(), "top_k = 1: one PID a group");
    }

    /// Prometheus's naming conventions, family by family: the prefix, `_total` on counters and
    /// only there, base units, no suffix reserved for histograms and summaries, HELP on each.
    #[test]
    fn every_family_is_named_by_the_conventions() {
        let text = encode(view(), Own::default(), Format::Prometheus);
        let families: Vec<(&str, &str)> =
            text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|r| r.split_once(' ')).collect();
        assert!(families.len() >= 30, "{families:?}");
        for (name, kind) in &families {
            assert!(name.starts_with("threadtop_"), "{name}");
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{name}");
            assert_eq!(*kind == "counter", name.ends_with("_total"), "{name} is a {kind}");
            for bad in ["_count", "_sum", "_bucket", "_ms", "millis", "_kb", "_mb", "percent"] {
                assert!(!name.ends_with(bad) && !name.contains(&format!("{bad}_")), "{name} has {bad}");
            }
            assert!(text.contains(&format!("# HELP {name} ")), "{name} has help");
        }
    }

    #[test]
    fn negotiation_follows_q_values() {
        use Format::*;
        for (accept, want) in [
            (None, Prometheus),
            (Some("*/*"), Prometheus),
            (Some("text/plain"), Prometheus),
            (Some("application/openmetrics-text"), OpenMetrics),
            (Some("application/openmetrics-text; version=1.0.0; q=0.9, text/plain;q=0.5"), OpenMetrics),
            (Some("application/openmetrics-text;q=0.3,text/plain;q=0.5"), Prometheus),
            (Some("application/openmetrics-text;version=9.9.9"), Prometheus),
            (Some("application/openmetrics-text;q=0"), Prometheus),
            (Some(";;;,,=q=,\u{0}"), Prometheus),
            (Some("application/json"), Prometheus),
        ] {
            assert_eq!(Format::negotiate(accept), want, "{accept:?}");
        }
    }
}
