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
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
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
        for name in filled.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("threadtop_")) {
            assert!(exported.contains(name), "the dashboard's {name} is not exported ({q})");
        }
        assert!(filled.contains("threadtop_"), "query {q} names no threadtop metric");
        rules.push_str(&format!("      - record: dashboard:q{i}\n        expr: '{}'\n", filled.replace('\'', "''")));
    }
    let rules_path = dir.path("rules.yml");
    std::fs::write(&rules_path, &rules).unwrap();
    let out = Command::new(&promtool).args(["check", "rules"]).arg(&rules_path).output().unwrap();
    assert!(out.status.success(), "promtool check rules:\n{}\n{}\n{rules}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));

    let prom = dir.path("threadtop.prom");
    wait_for("the textfile", Duration::from_secs(10), || prom.is_file());
    promtool_check_metrics(&promtool, &std::fs::read_to_string(&prom).unwrap());
}
