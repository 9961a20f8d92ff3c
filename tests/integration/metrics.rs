//! `threadtop serve` against real components: a real Prometheus (Debian's package, started here on
//! loopback with a generated config and its storage in a temp dir) scraping it every second and
//! queried through its HTTP API; promtool checking a scrape, the textfile and the Grafana
//! dashboard's queries; and hostile clients on loopback (slowloris, a flood of requests, garbage,
//! oversized headers) while the sampler must keep sampling and memory stay bounded.
//!
//! Without prometheus or promtool on PATH these tests fail and say how to install them (.ci/run
//! does), unless `THREADTOP_SKIP_PROMETHEUS=1` says to leave them out. Every server a test starts
//! is killed and reaped, and every directory removed, by Drop guards, on every way out.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, HelperProc, Scratch};

/// A server this test started: killed and reaped on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The binary under test: the debug build cargo made, or `THREADTOP_METRICS_BIN` (the release
/// build, when measuring for docs/RELIABILITY.md).
fn bin() -> PathBuf {
    std::env::var_os("THREADTOP_METRICS_BIN").map_or_else(|| PathBuf::from(support::BIN), PathBuf::from)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// prometheus and promtool, or None when absent and opted out; absent otherwise fails the test.
fn prometheus_tools() -> Option<(PathBuf, PathBuf)> {
    match (which("prometheus"), which("promtool")) {
        (Some(p), Some(t)) => Some((p, t)),
        _ if support::opted_out("THREADTOP_SKIP_PROMETHEUS") => None,
        _ => panic!(
            "prometheus and promtool are needed: `apt-get install -y prometheus` (.ci/run does it), or set THREADTOP_SKIP_PROMETHEUS=1"
        ),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One HTTP/1.1 request with `Connection: close`: status and body.
fn http_get(addr: SocketAddr, path: &str, accept: Option<&str>) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    let accept = accept.map(|a| format!("Accept: {a}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{accept}Connection: close\r\n\r\n")?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    Ok((status, head.to_string(), body.to_string()))
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// The helper's group by its command line (libtest runs it on a thread of its own, so the
/// process keeps the test binary's name; its threads carry the names).
const CONFIG: &str = "[metrics]\ntop_k = 2\n[[metrics.groups]]\nname = \"tmxgroup\"\ncmdline = \"--skip metrics-helper \"\nthreads = true\ntop_k = 1\n";

/// `threadtop serve` on a free loopback port, answering /metrics.
fn start_serve(dir: &Scratch, extra: &[&str]) -> (Server, SocketAddr) {
    let cfg = dir.path("threadtop.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new(bin())
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--listen", &addr.to_string(), "--interval", "500ms"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    // The helper is started first: its group is there from the first sample on.
    wait_for("threadtop serve to answer with the helper's group", Duration::from_secs(20), || {
        http_get(addr, "/metrics", None).is_ok_and(|(s, _, b)| s == 200 && b.contains("groupname=\"tmxgroup\""))
    });
    (server, addr)
}

fn metrics_helper() -> HelperProc {
    let mut h = HelperProc::spawn("metrics", "metrics-helper", &[]);
    assert!(h.wait_threads(4, Duration::from_secs(10)), "the helper started its threads");
    h
}

/// A scrape checked by `promtool check metrics` (names, types, help text).
fn promtool_check_metrics(promtool: &Path, body: &str) {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `data.result` of an instant query to Prometheus's HTTP API.
fn query(prom: SocketAddr, q: &str) -> Vec<serde_json::Value> {
    let Ok((200, _, body)) = http_get(prom, &format!("/api/v1/query?query={}", urlencode(q)), None) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// A real Prometheus scrapes `threadtop serve` every second: up is 1, the helper's group's CPU
/// counter grows over three scrapes, and its thread names are there.
#[test]
fn a_real_prometheus_scrapes_threadtop_serve() {
    let Some((prometheus, promtool)) = prometheus_tools() else { return };
    let _heavy = support::serial();
    let dir = Scratch::new("metrics-prom");
    let _helper = metrics_helper();
    let (_serve, addr) = start_serve(&dir, &[]);
    let (_, _, body) = http_get(addr, "/metrics", None).unwrap();
    promtool_check_metrics(&promtool, &body);

    let prom_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let yml = dir.path("prometheus.yml");
    std::fs::write(
        &yml,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: threadtop\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path("prometheus.log")).unwrap();
    let _prom = Server(
        Command::new(&prometheus)
            .arg(format!("--config.file={}", yml.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path("data").display()))
            .arg(format!("--web.listen-address={prom_addr}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let log_tail = || std::fs::read_to_string(dir.path("prometheus.log")).unwrap_or_default();
    let end = Instant::now() + Duration::from_secs(40);
    let up = loop {
        let r = query(prom_addr, "up{job=\"threadtop\"}");
        if let Some(v) = r.first().and_then(|s| s["value"][1].as_str()).map(str::to_string)
            && v == "1"
        {
            break v;
        }
        assert!(Instant::now() < end, "up{{job=\"threadtop\"}} never 1: {r:?}\n{}", log_tail());
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(up, "1");

    // Three scrapes of the group's CPU counter, each higher than the one before.
    let sel = "threadtop_group_cpu_seconds_total{groupname=\"tmxgroup\",mode=\"user\"}[20s]";
    let end = Instant::now() + Duration::from_secs(30);
    let values = loop {
        let r = query(prom_addr, sel);
        let vals: Vec<f64> = r
            .first()
            .and_then(|s| s["values"].as_array())
            .map(|a| a.iter().filter_map(|p| p[1].as_str()?.parse().ok()).collect())
            .unwrap_or_default();
        if vals.len() >= 4 {
            break vals;
        }
        assert!(Instant::now() < end, "fewer than 4 scrapes of {sel}: {r:?}\n{}", log_tail());
        std::thread::sleep(Duration::from_millis(500));
    };
    let last3 = &values[values.len() - 3..];
    assert!(last3[0] < last3[1] && last3[1] < last3[2], "cpu_seconds_total grows over three scrapes: {values:?}");

    let names: BTreeSet<String> = query(prom_addr, "threadtop_group_thread_num_threads{groupname=\"tmxgroup\"}")
        .iter()
        .filter_map(|s| Some(s["metric"]["threadname"].as_str()?.to_string()))
        .collect();
    for n in ["tmx-helper", "tmx-spin", "tmx-idle"] {
        assert!(names.contains(n), "thread name {n} in {names:?}");
    }
    let idle = query(prom_addr, "threadtop_group_thread_num_threads{groupname=\"tmxgroup\",threadname=\"tmx-idle\"}");
    assert_eq!(idle.first().and_then(|s| s["value"][1].as_str()), Some("2"), "{idle:?}");
}

/// Every `"expr"` of the dashboard, at any depth.
fn exprs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("expr", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| exprs(v, out)),
        _ => {}
    }
}

/// The dashboard is JSON Grafana can import, each query is PromQL promtool parses (as recording
/// rules, Grafana's `$__rate_interval` and `$group` filled in), and names only metrics a real
/// scrape has. The textfile mode writes a file promtool accepts too.
#[test]
fn the_dashboard_queries_are_valid_promql_over_exported_metrics() {
    let Some((_, promtool)) = prometheus_tools() else { return };
    let _light = support::shared();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/grafana-dashboard.json")).unwrap();
    let dash: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is valid JSON");
    assert!(dash["title"].is_string() && dash["panels"].is_array(), "a dashboard with panels");
    assert!(dash["uid"].is_string() && dash["schemaVersion"].is_number(), "import needs uid and schemaVersion");
    let mut qs = Vec::new();
    exprs(&dash, &mut qs);
    assert!(qs.len() >= 5, "CPU, run delay, threads, switches, memory: {qs:?}");

    let dir = Scratch::new("metrics-dash");
    let _helper = metrics_helper();
    let (_serve, addr) = start_serve(&dir, &["--textfile", dir.0.to_str().unwrap()]);
    let (_, _, body) = http_get(addr, "/metrics", None).unwrap();
    let exported: BTreeSet<String> = body
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next().map(str::to_string))
        .collect();
    let mut rules = String::from("groups:\n  - name: threadtop-dashboard\n    rules:\n");
    for (i, q) in qs.iter().enumerate() {
        let filled = q.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$group", ".*");
        for name in
            filled.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("threadtop_"))
        {
            assert!(exported.contains(name), "the dashboard's {name} is not exported ({q})");
        }
        assert!(filled.contains("threadtop_"), "query {q} names no threadtop metric");
        rules.push_str(&format!("      - record: dashboard:q{i}\n        expr: '{}'\n", filled.replace('\'', "''")));
    }
    let rules_path = dir.path("rules.yml");
    std::fs::write(&rules_path, &rules).unwrap();
    let out = Command::new(&promtool).args(["check", "rules"]).arg(&rules_path).output().unwrap();
    assert!(
        out.status.success(),
        "promtool check rules:\n{}\n{}\n{rules}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let prom = dir.path("threadtop.prom");
    wait_for("the textfile", Duration::from_secs(10), || prom.is_file());
    promtool_check_metrics(&promtool, &std::fs::read_to_string(&prom).unwrap());
}

/// Reads one HTTP/1.1 response (headers, then Content-Length bytes) from a kept-alive stream.
fn read_response(s: &mut TcpStream) -> std::io::Result<u16> {
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
        if head.len() > 64 << 10 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let len: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body)?;
    Ok(status)
}

fn samples_in(textfile: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(textfile).ok()?;
    text.lines().find_map(|l| l.strip_prefix("threadtop_samples_total "))?.trim().parse::<f64>().ok().map(|v| v as u64)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted.get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))).copied().unwrap_or_default()
}

/// Slowloris, garbage, oversized headers, then a flood of 10,000 scrapes (`THREADTOP_METRICS_FLOOD`
/// changes the count): the sampler never stops (the textfile, written after every sample, keeps
/// counting samples while HTTP is under attack), slow clients are cut off by the server, no
/// hostile request gets a 200, resident memory stays within 24 MiB of where it started, and
/// `/metrics` still answers afterwards. Prints requests/s, latency percentiles and RSS.
#[test]
fn hostile_clients_neither_stall_the_sampler_nor_grow_memory() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let _heavy = support::serial();
    let dir = Scratch::new("metrics-hostile");
    let _helper = metrics_helper();
    let (serve, addr) = start_serve(&dir, &["--textfile", dir.0.to_str().unwrap()]);
    let pid = serve.0.id() as i32;
    let textfile = dir.path("threadtop.prom");
    for _ in 0..20 {
        assert_eq!(http_get(addr, "/metrics", None).unwrap().0, 200);
    }
    let rss_before = support::status_number(pid, "VmRSS").unwrap();

    // The sampler's pulse, read from the textfile the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, textfile) = (stop.clone(), textfile.clone());
        std::thread::spawn(move || {
            let mut seen: Vec<(Instant, u64)> = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                if let Some(n) = samples_in(&textfile)
                    && seen.last().is_none_or(|&(_, m)| m != n)
                {
                    seen.push((Instant::now(), n));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            seen
        })
    };
    let started = Instant::now();

    // 1. Slowloris: more connections than the cap, each trickling a header byte every 300 ms.
    let slow: Vec<_> = (0..100)
        .map(|_| {
            std::thread::spawn(move || {
                let opened = Instant::now();
                let Ok(mut s) = TcpStream::connect(addr) else { return None };
                let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                while opened.elapsed() < Duration::from_secs(15) {
                    std::thread::sleep(Duration::from_millis(300));
                    if s.write_all(b"a").is_err() {
                        return Some(opened.elapsed());
                    }
                }
                None
            })
        })
        .collect();
    // 2. Garbage and 3. oversized headers, beside them.
    let mut rng = support::Rng::new(support::seed());
    let mut ok_for_garbage = 0;
    for i in 0..300 {
        let Ok(mut s) = TcpStream::connect(addr) else { continue };
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let junk: Vec<u8> = match i % 3 {
            0 => (0..rng.range(1, 4096)).map(|_| rng.next() as u8).collect(),
            1 => b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 GET / HTTP/9.9\r\n\r\n".to_vec(),
            _ => format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "b".repeat(64 << 10)).into_bytes(),
        };
        let _ = s.write_all(&junk);
        let mut answer = [0u8; 16];
        if let Ok(n) = s.read(&mut answer)
            && answer[..n].starts_with(b"HTTP/1.1 200")
        {
            ok_for_garbage += 1;
        }
    }
    assert_eq!(ok_for_garbage, 0, "no garbage or oversized request is answered 200");
    let cut: Vec<Option<Duration>> = slow.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(
        cut.iter().all(|c| c.is_some_and(|d| d < Duration::from_secs(12))),
        "the server cuts every slow client off (header deadline 5 s, or refused past the cap): {cut:?}"
    );

    // 4. The flood: scrapes over kept-alive connections from 4 threads, each timed.
    let total = support::env_count("THREADTOP_METRICS_FLOOD", 10_000);
    let failed = Arc::new(AtomicU64::new(0));
    let flood_started = Instant::now();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let failed = failed.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity((total / 4) as usize);
                let mut conn: Option<TcpStream> = None;
                for _ in 0..total / 4 {
                    let t = Instant::now();
                    if conn.is_none() {
                        conn = TcpStream::connect(addr).ok();
                    }
                    let Some(s) = conn.as_mut() else {
                        failed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let done = s
                        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                        .and_then(|()| read_response(s))
                        .is_ok_and(|st| st == 200);
                    if done {
                        lat.push(t.elapsed());
                    } else {
                        // Closed at the end of its lifetime: reconnect next time.
                        failed.fetch_add(1, Ordering::Relaxed);
                        conn = None;
                    }
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<Duration> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    let flood_secs = flood_started.elapsed().as_secs_f64();
    let ended = Instant::now();
    stop.store(true, Ordering::Relaxed);
    let pulse = watcher.join().unwrap();
    lat.sort();
    let rss_after = support::status_number(pid, "VmRSS").unwrap();
    let (status, _, body) = http_get(addr, "/metrics", None).unwrap();
    assert_eq!(status, 200, "still serving after the load");
    let refused =
        body.lines().find_map(|l| l.strip_prefix("threadtop_refused_connections_total ")).unwrap_or("?").to_string();
    let failed = failed.load(Ordering::Relaxed);
    eprintln!(
        "hostile: {} scrapes ok, {failed} failed, in {flood_secs:.1} s = {:.0} req/s; latency p50 {:?} p99 {:?} max {:?}; \
         RSS {rss_before} -> {rss_after} KiB; refused connections {refused}; samples {:?} over {:.1} s",
        lat.len(),
        lat.len() as f64 / flood_secs,
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default(),
        pulse.first().zip(pulse.last()).map(|(a, b)| b.1 - a.1),
        started.elapsed().as_secs_f64(),
    );
    assert!(
        lat.len() as u64 >= total * 9 / 10,
        "most of the flood answered: {} of {total}, {failed} failed",
        lat.len()
    );
    assert!(rss_after <= rss_before + 24 * 1024, "RSS {rss_before} -> {rss_after} KiB: more than 24 MiB grown");
    // 500 ms interval: the pulse never stopped for more than 3 s, and it went on to the end.
    let gaps = pulse.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap_or_default();
    assert!(pulse.len() >= 4, "the sampler kept sampling under load: {pulse:?}");
    assert!(gaps < Duration::from_secs(3), "the sampler stalled for {gaps:?} under load");
    let last = pulse.last().map(|p| p.0).unwrap();
    assert!(
        ended.saturating_duration_since(last) < Duration::from_secs(3),
        "the sampler went on to the end of the flood"
    );
}

/// `--metrics ADDR` on the monitor serves from the monitor's own samples (its sample count
/// follows the monitor's refreshes), and the monitor quits cleanly with the server running. `O`
/// then shows the IO columns.
#[test]
fn the_monitor_serves_metrics_from_its_samples() {
    let _light = support::shared();
    let dir = Scratch::new("metrics-tui");
    let cfg = dir.path("threadtop.toml");
    std::fs::write(&cfg, CONFIG).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut tui = support::Tui::start(
        &["--config", cfg.to_str().unwrap(), "--interval", "200ms", "--metrics", &addr.to_string()],
        &[],
        120,
        30,
    );
    tui.wait_for("PID", Duration::from_secs(10));
    tui.wait_for(&format!("serving metrics on http://{addr}/metrics"), Duration::from_secs(5));
    let samples = |body: &str| -> Option<f64> {
        body.lines().find_map(|l| l.strip_prefix("threadtop_samples_total "))?.parse().ok()
    };
    let mut first = None;
    wait_for("the monitor's metrics", Duration::from_secs(10), || {
        first = http_get(addr, "/metrics", None).ok().and_then(|(s, _, b)| if s == 200 { samples(&b) } else { None });
        first.is_some()
    });
    wait_for("the sample count to follow the monitor's refreshes", Duration::from_secs(10), || {
        http_get(addr, "/metrics", None)
            .ok()
            .and_then(|(_, _, b)| samples(&b))
            .is_some_and(|n| n >= first.unwrap() + 3.0)
    });
    let (_, _, body) = http_get(addr, "/metrics", None).unwrap();
    assert!(
        body.contains("threadtop_group_run_delay_seconds_total{groupname="),
        "the monitor's sampler reads schedstat for the metrics"
    );
    tui.send(b"O");
    tui.wait_for("IO_R/s", Duration::from_secs(5));
    tui.send(b"q");
    assert!(tui.wait_exit(Duration::from_secs(10)).success());
}

/// When the group's last process exits, its series leave the next scrapes, thread names too;
/// the HTML page links /metrics and other paths are 404.
#[test]
fn a_group_whose_processes_exit_disappears_from_the_scrape() {
    let _light = support::shared();
    let dir = Scratch::new("metrics-vanish");
    let helper = metrics_helper();
    let (_serve, addr) = start_serve(&dir, &[]);
    let (_, _, body) = http_get(addr, "/metrics", None).unwrap();
    assert!(body.contains("threadname=\"tmx-spin\""), "{body}");
    drop(helper);
    wait_for("the helper's group to leave the scrape", Duration::from_secs(10), || {
        http_get(addr, "/metrics", None)
            .is_ok_and(|(s, _, b)| s == 200 && !b.contains("tmxgroup") && !b.contains("tmx-spin"))
    });
    let (status, head, page) = http_get(addr, "/", None).unwrap();
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase().contains("content-type: text/html") && page.contains("href=\"/metrics\""),
        "{head}\n{page}"
    );
    assert_eq!(http_get(addr, "/favicon.ico", None).unwrap().0, 404);
    let (_, head, body) =
        http_get(addr, "/metrics", Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5")).unwrap();
    assert!(head.contains("application/openmetrics-text") && body.ends_with("# EOF\n"), "{head}");
}
