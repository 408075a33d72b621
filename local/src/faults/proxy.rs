//! The proxy itself: it accepts connections, forwards to the emulator, injects the fault each
//! request draws, and counts what it did (served at `COUNTERS_PATH`).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::services::{self, service_of};
use super::spec::{Fault, Rng, Spec};
use super::wire::{Wire, status_only, strip_hop_by_hop};
use crate::error::LocalError;

/// The path of the counters on the proxy itself.
pub const COUNTERS_PATH: &str = "/__faults";

/// What the proxy counted, for one service or in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub requests: u64,
    pub forwarded: u64,
    pub delayed: u64,
    pub error500: u64,
    pub throttle: u64,
    pub reset: u64,
    pub reset_after: u64,
    pub faults: u64,
    pub upstream_errors: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.requests += o.requests;
        self.forwarded += o.forwarded;
        self.delayed += o.delayed;
        self.error500 += o.error500;
        self.throttle += o.throttle;
        self.reset += o.reset;
        self.reset_after += o.reset_after;
        self.faults += o.faults;
        self.upstream_errors += o.upstream_errors;
    }

    fn fault(&mut self, fault: Fault) {
        self.faults += 1;
        match fault {
            Fault::Reset => self.reset += 1,
            Fault::ResetAfter => self.reset_after += 1,
            Fault::Error500 => self.error500 += 1,
            Fault::Throttle => self.throttle += 1,
        }
    }
}

struct Shared {
    spec: Spec,
    seed: u64,
    upstream: String,
    client: reqwest::Client,
    rng: Mutex<Rng>,
    counts: Mutex<BTreeMap<String, Counts>>,
}

/// The error a connection's service returns to make hyper drop the connection unanswered.
#[derive(Debug)]
struct InjectedReset;

impl fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("injected connection reset")
    }
}

impl std::error::Error for InjectedReset {}

/// A bound proxy, not yet serving: its address is known, so the functions' clients can be
/// pointed at it before it runs.
pub struct FaultProxy {
    listener: TcpListener,
    url: String,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// Binds a free loopback port for a proxy to `upstream` (the emulator's endpoint).
    pub async fn bind(spec: Spec, upstream: &str) -> Result<Self, LocalError> {
        let cannot = |e: &dyn fmt::Display| LocalError::Listen {
            addr: "127.0.0.1:0 (fault proxy)".into(),
            why: e.to_string(),
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| cannot(&e))?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| cannot(&e))?);
        let seed = spec.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| cannot(&e))?;
        Ok(Self {
            listener,
            url,
            shared: Arc::new(Shared {
                spec,
                seed,
                upstream: upstream.trim_end_matches('/').to_owned(),
                client,
                rng: Mutex::new(Rng::new(seed)),
                counts: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// Serves until `stop` turns true. Connections in flight then end with the runtime.
    pub async fn serve(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(
            url = self.url,
            upstream = self.shared.upstream,
            spec = %self.shared.spec,
            seed = self.shared.seed,
            "fault proxy serving"
        );
        loop {
            let accepted = tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                a = self.listener.accept() => a,
            };
            let stream = match accepted {
                Ok((s, _)) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "fault proxy: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "fault proxy: set_nodelay");
            }
            let reset = Arc::new(AtomicBool::new(false));
            let io = TokioIo::new(Conn {
                stream,
                reset: reset.clone(),
            });
            let shared = self.shared.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let shared = shared.clone();
                    let reset = reset.clone();
                    async move { shared.handle(req, &reset).await }
                });
                if let Err(e) = http1::Builder::new().serve_connection(io, svc).await {
                    tracing::debug!(error = %e, "fault proxy: connection ended");
                }
            });
        }
    }
}

/// The SDK configuration `sdk` with its endpoint moved to `url` (the proxy's).
pub fn behind(sdk: &aws_config::SdkConfig, url: &str) -> aws_config::SdkConfig {
    let mut b = sdk.to_builder();
    b.set_endpoint_url(Some(url.to_owned()));
    b.build()
}

impl Shared {
    fn count(&self, service: &str, f: impl FnOnce(&mut Counts)) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        f(counts.entry(service.to_owned()).or_default());
    }

    fn report(&self) -> serde_json::Value {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut totals = Counts::default();
        for c in counts.values() {
            totals.add(c);
        }
        json!({
            "spec": self.spec.to_string(),
            "seed": self.seed,
            "upstream": self.upstream,
            "totals": totals,
            "services": counts,
        })
    }

    async fn handle(
        &self,
        req: Request<Incoming>,
        reset: &AtomicBool,
    ) -> Result<Response<Body>, InjectedReset> {
        let path = req.uri().path();
        if path == COUNTERS_PATH {
            return Ok(if req.method() == Method::GET {
                let mut r = Response::new(Body::from(self.report().to_string()));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                r
            } else {
                status_only(StatusCode::METHOD_NOT_ALLOWED)
            });
        }
        if path == "/moto-api" || path.starts_with("/moto-api/") {
            return Ok(self.forward(req).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "fault proxy: emulator API unreachable");
                status_only(StatusCode::BAD_GATEWAY)
            }));
        }
        let service = service_of(req.headers(), req.uri());
        let rules = self.spec.for_service(&service);
        let wire = Wire::of(&service, req.headers());
        self.count(&service, |c| c.requests += 1);
        let latency = rules.latency();
        if !latency.is_zero() {
            self.count(&service, |c| c.delayed += 1);
            tokio::time::sleep(latency).await;
        }
        let draw = self
            .rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_f64();
        let fault = rules.decide(draw);
        if let Some(f) = fault {
            self.count(&service, |c| c.fault(f));
            tracing::debug!(service, fault = ?f, method = %req.method(), path = %req.uri().path(), "fault injected");
        }
        match fault {
            Some(Fault::Reset) => {
                reset.store(true, Ordering::SeqCst);
                Err(InjectedReset)
            }
            Some(Fault::Error500) => Ok(wire.error(&service, StatusCode::INTERNAL_SERVER_ERROR)),
            Some(Fault::Throttle) => Ok(services::throttle(wire, &service)),
            Some(Fault::ResetAfter) | None => {
                let answer = match self.forward(req).await {
                    Ok(r) => {
                        self.count(&service, |c| c.forwarded += 1);
                        r
                    }
                    Err(e) => {
                        self.count(&service, |c| c.upstream_errors += 1);
                        tracing::warn!(service, error = %e, "fault proxy: emulator unreachable");
                        wire.error(&service, StatusCode::BAD_GATEWAY)
                    }
                };
                if fault == Some(Fault::ResetAfter) {
                    reset.store(true, Ordering::SeqCst);
                    return Err(InjectedReset);
                }
                Ok(answer)
            }
        }
    }

    async fn forward(&self, req: Request<Incoming>) -> Result<Response<Body>, String> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(Body::new(body), usize::MAX)
            .await
            .map_err(|e| format!("reading the request body: {e}"))?;
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        // The SDK's signature covers `host`: keep the proxy's, as the request was signed.
        let upstream = self
            .client
            .request(parts.method, format!("{}{path}", self.upstream))
            .headers(headers)
            .body(bytes)
            .send()
            .await
            .map_err(|e| format!("forwarding: {e}"))?;
        let status = upstream.status();
        let mut headers = upstream.headers().clone();
        let body = upstream
            .bytes()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        strip_hop_by_hop(&mut headers);
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = status;
        *r.headers_mut() = headers;
        Ok(r)
    }
}

/// A proxied connection; after an injected reset it is dropped with `SO_LINGER` 0, so the
/// client sees a TCP RST, as from a load balancer or a crashed host.
struct Conn {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst)
            && let Err(e) = self.stream.set_zero_linger()
        {
            tracing::debug!(error = %e, "fault proxy: SO_LINGER");
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
