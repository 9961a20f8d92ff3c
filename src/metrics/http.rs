//! The HTTP endpoint on the project's tokio runtime, with hyper 1: `GET /metrics` (Prometheus
//! text or OpenMetrics, by `Accept`), `GET /` a short page linking it, anything else 404. Bounded
//! against slow and hostile clients: a cap on connections (past it a connection is closed at
//! once), a deadline for a request's headers (slowloris), a cap on header bytes (431), and a
//! deadline for a whole connection, which bounds a client that never reads its answer.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::{Format, Slot};

/// The server's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more are closed as they come.
    pub max_connections: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// Bytes of a request's head hyper buffers (a longer one gets 431).
    pub max_header_bytes: usize,
    /// Time a connection may live, keep-alive included: it bounds a write to a client that does
    /// not read (Prometheus reconnects on its next scrape).
    pub connection_lifetime: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 64,
            header_timeout: Duration::from_secs(5),
            max_header_bytes: 16 * 1024,
            connection_lifetime: Duration::from_secs(60),
        }
    }
}

const INDEX: &str = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>threadtop</title></head>\n\
<body><h1>threadtop</h1><p>Prometheus metrics of this machine's processes, threads and scheduling: \
<a href=\"/metrics\">/metrics</a>.</p></body></html>\n";

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// One request's answer.
pub fn respond(slot: &Slot, method: &Method, path: &str, accept: Option<&str>) -> Response<Full<Bytes>> {
    let head = method == Method::HEAD;
    if method != Method::GET && !head {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        r.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    match path {
        "/metrics" => {
            let format = Format::negotiate(accept);
            let body = slot.scrape(format);
            let mut r = Response::new(Full::new(if head { Bytes::new() } else { Bytes::from(body) }));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
            r
        }
        "/" => {
            let mut r = Response::new(Full::new(Bytes::from_static(INDEX.as_bytes())));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            r
        }
        _ => text(StatusCode::NOT_FOUND, "not found: try /metrics\n"),
    }
}

async fn handle(slot: Arc<Slot>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let accept = req.headers().get(ACCEPT).and_then(|v| v.to_str().ok());
    Ok(respond(&slot, req.method(), req.uri().path(), accept))
}

/// Serves until `shutdown` completes. Accept errors (EMFILE under a flood) pause accepting for a
/// moment instead of spinning.
pub async fn serve(listener: TcpListener, slot: Arc<Slot>, limits: Limits, shutdown: impl Future<Output = ()>) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((s, _)) => s,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            slot.count_refused();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let slot = slot.clone();
        tokio::spawn(async move {
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_header_bytes.max(8192))
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service_fn(move |req| handle(slot.clone(), req)));
            let _ = tokio::time::timeout(limits.connection_lifetime, conn).await;
            drop(permit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_negotiation() {
        let slot = Slot::new(super::super::MetricsConfig::default());
        let r = respond(&slot, &Method::GET, "/metrics", None);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], Format::Prometheus.content_type());
        let om = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        let r = respond(&slot, &Method::GET, "/metrics", Some(om));
        assert_eq!(r.headers()[CONTENT_TYPE], Format::OpenMetrics.content_type());
        assert_eq!(respond(&slot, &Method::GET, "/", None).status(), StatusCode::OK);
        assert_eq!(respond(&slot, &Method::GET, "/metricsx", None).status(), StatusCode::NOT_FOUND);
        assert_eq!(respond(&slot, &Method::GET, "/../etc/passwd", None).status(), StatusCode::NOT_FOUND);
        assert_eq!(respond(&slot, &Method::POST, "/metrics", None).status(), StatusCode::METHOD_NOT_ALLOWED);
    }
}
