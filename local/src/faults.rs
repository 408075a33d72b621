//! A fault-injecting HTTP/1.1 reverse proxy in front of the emulator, so that the functions'
//! SDK clients meet what real AWS sometimes answers: 500s, throttling, connections that drop,
//! and latency. `dropgate-local --inject-faults SPEC` puts it between the functions and the
//! emulator; provisioning (and anything using the ready line's `aws_endpoint`) still talks to
//! the emulator directly.
//!
//! # SPEC
//!
//! Comma-separated rules, each `kind=value` (every service) or `service:kind=value` (that
//! service only; it overrides the every-service rule of the same kind):
//!
//! | kind               | value              | effect                                                      |
//! |--------------------|--------------------|-------------------------------------------------------------|
//! | `error500=RATE`    | 0..=1              | answer 500 in the service's wire format                     |
//! | `throttle=RATE`    | 0..=1              | answer the service's throttling error (below)               |
//! | `reset=RATE`       | 0..=1              | close the connection (RST) without forwarding or answering  |
//! | `reset_after=RATE` | 0..=1              | forward, then close the connection without the answer (the call took effect; the caller cannot know) |
//! | `latency=MS`       | 0..=60000          | wait this long before forwarding (or answering a fault)      |
//! | `seed=U64`         | any u64            | seed of the fault RNG (no service prefix; default: the clock) |
//!
//! Services are named as in SigV4 credential scopes: `s3`, `dynamodb`, `sqs`, `sns`, `ses`,
//! `cognito-idp`, `kms`, and `unknown` (a request none of the rules below recognise). Per
//! service, the failure rates must add up to at most 1. Example:
//! `dynamodb:throttle=0.1,s3:error500=0.05,reset=0.02,latency=20`.
//!
//! Throttling errors are those the SDK retries as throttling and that
//! `dropgate_infra::error::is_throttle` knows: S3 `503 SlowDown` (XML); the JSON protocols
//! (DynamoDB, SQS, KMS, Cognito) `400` with `__type` `...#ThrottlingException` (Cognito:
//! `TooManyRequestsException`); the query protocol (SNS, SES) `400 <ErrorResponse>` with code
//! `Throttling`.
//!
//! # Per request
//!
//! The service is the `authorization` header's credential scope
//! (`Credential=AKID/date/region/<service>/aws4_request`), else a presigned URL's
//! `X-Amz-Credential` query parameter, else `x-amz-target` (`DynamoDB_20120810.*` is
//! `dynamodb`, ...), else `unknown`. The latency is waited first; then one number `r` in
//! `[0, 1)` is drawn from the seeded RNG (one draw per request, so the same run of requests
//! meets the same faults) and compared with the cumulative rates in the order `reset`,
//! `reset_after`, `error500`, `throttle`. The emulator's own API (`/moto-api/...`) is
//! forwarded, never faulted nor counted.
//!
//! # Counters
//!
//! `GET /__faults` on the proxy (never forwarded) answers
//! `{"spec", "seed", "upstream", "totals": COUNTS, "services": {"<service>": COUNTS}}` where
//! `COUNTS` is `{"requests", "forwarded", "delayed", "error500", "throttle", "reset",
//! "reset_after", "faults", "upstream_errors"}`: requests seen, forwarded to the emulator,
//! delayed by `latency`, faults injected by kind and in all, and forwards the emulator failed
//! (answered `502`).

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::error::LocalError;

/// The services a rule may name.
pub const SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "sqs",
    "sns",
    "ses",
    "cognito-idp",
    "kms",
    "unknown",
];

/// The longest `latency` a rule may ask for.
pub const MAX_LATENCY_MS: u64 = 60_000;

/// The path of the counters on the proxy itself.
pub const COUNTERS_PATH: &str = "/__faults";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault SPEC: {0}")]
pub struct SpecError(String);

/// One set of rules: every rate and the latency, each unset unless a rule names it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rules {
    pub error500: Option<f64>,
    pub throttle: Option<f64>,
    pub reset: Option<f64>,
    pub reset_after: Option<f64>,
    pub latency_ms: Option<u64>,
}

impl Rules {
    /// These rules, with `all`'s where these leave a kind unset.
    fn over(self, all: Rules) -> Rules {
        Rules {
            error500: self.error500.or(all.error500),
            throttle: self.throttle.or(all.throttle),
            reset: self.reset.or(all.reset),
            reset_after: self.reset_after.or(all.reset_after),
            latency_ms: self.latency_ms.or(all.latency_ms),
        }
    }

    fn failure_rate(&self) -> f64 {
        [self.reset, self.reset_after, self.error500, self.throttle]
            .iter()
            .map(|r| r.unwrap_or(0.0))
            .sum()
    }

    /// The fault (if any) that the draw `r` in `[0, 1)` selects.
    pub fn decide(&self, r: f64) -> Option<Fault> {
        let mut edge = 0.0;
        for (rate, fault) in [
            (self.reset, Fault::Reset),
            (self.reset_after, Fault::ResetAfter),
            (self.error500, Fault::Error500),
            (self.throttle, Fault::Throttle),
        ] {
            edge += rate.unwrap_or(0.0);
            if r < edge {
                return Some(fault);
            }
        }
        None
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.unwrap_or(0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Reset,
    ResetAfter,
    Error500,
    Throttle,
}

/// A parsed `--inject-faults` SPEC.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spec {
    pub seed: Option<u64>,
    /// Rules without a service prefix.
    pub all: Rules,
    /// Rules with one, by service.
    pub services: BTreeMap<String, Rules>,
}

impl Spec {
    pub fn parse(spec: &str) -> Result<Self, SpecError> {
        let bad = |why: String| SpecError(why);
        let mut out = Spec::default();
        let rules: Vec<&str> = spec
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .collect();
        if rules.is_empty() {
            return Err(bad(
                "empty; expected rules like `dynamodb:throttle=0.1,latency=20`".into(),
            ));
        }
        for rule in rules {
            let (target, value) = rule
                .split_once('=')
                .ok_or_else(|| bad(format!("`{rule}`: expected `[service:]kind=value`")))?;
            let (service, kind) = match target.split_once(':') {
                Some((s, k)) => (Some(s.trim()), k.trim()),
                None => (None, target.trim()),
            };
            let value = value.trim();
            if kind == "seed" {
                if service.is_some() {
                    return Err(bad(format!("`{rule}`: `seed` applies to every service")));
                }
                if out.seed.is_some() {
                    return Err(bad(format!("`{rule}`: seed given twice")));
                }
                out.seed = Some(value.parse().map_err(|_| {
                    bad(format!(
                        "`{rule}`: the seed must be an unsigned 64-bit integer"
                    ))
                })?);
                continue;
            }
            let rules = match service {
                None => &mut out.all,
                Some(s) if SERVICES.contains(&s) => out.services.entry(s.to_owned()).or_default(),
                Some(s) => {
                    return Err(bad(format!(
                        "`{rule}`: unknown service `{s}` (one of {})",
                        SERVICES.join(", ")
                    )));
                }
            };
            let rate = || -> Result<f64, SpecError> {
                match value.parse::<f64>() {
                    Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
                    _ => Err(bad(format!("`{rule}`: a rate is a number from 0 to 1"))),
                }
            };
            let slot_taken = match kind {
                "error500" => rules.error500.replace(rate()?).is_some(),
                "throttle" => rules.throttle.replace(rate()?).is_some(),
                "reset" => rules.reset.replace(rate()?).is_some(),
                "reset_after" => rules.reset_after.replace(rate()?).is_some(),
                "latency" => {
                    let ms = value
                        .parse::<u64>()
                        .ok()
                        .filter(|ms| *ms <= MAX_LATENCY_MS)
                        .ok_or_else(|| {
                            bad(format!(
                                "`{rule}`: latency is whole milliseconds from 0 to {MAX_LATENCY_MS}"
                            ))
                        })?;
                    rules.latency_ms.replace(ms).is_some()
                }
                other => {
                    return Err(bad(format!(
                        "`{rule}`: unknown kind `{other}` (error500, throttle, reset, \
                         reset_after, latency, seed)"
                    )));
                }
            };
            if slot_taken {
                return Err(bad(format!("`{rule}`: given twice")));
            }
        }
        let mut check = vec![("every service".to_owned(), out.all)];
        check.extend(
            out.services
                .iter()
                .map(|(s, r)| (s.clone(), r.over(out.all))),
        );
        for (who, rules) in check {
            if rules.failure_rate() > 1.0 + 1e-9 {
                return Err(bad(format!(
                    "the failure rates for {who} add up to {} (at most 1)",
                    rules.failure_rate()
                )));
            }
        }
        Ok(out)
    }

    /// The rules that apply to `service`.
    pub fn for_service(&self, service: &str) -> Rules {
        self.services
            .get(service)
            .copied()
            .unwrap_or_default()
            .over(self.all)
    }
}

impl FromStr for Spec {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, SpecError> {
        Spec::parse(s)
    }
}

impl fmt::Display for Spec {
    /// The canonical SPEC: every-service rules first, then by service.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut push = |prefix: &str, r: &Rules| {
            for (kind, v) in [
                ("error500", r.error500),
                ("throttle", r.throttle),
                ("reset", r.reset),
                ("reset_after", r.reset_after),
            ] {
                if let Some(v) = v {
                    parts.push(format!("{prefix}{kind}={v}"));
                }
            }
            if let Some(ms) = r.latency_ms {
                parts.push(format!("{prefix}latency={ms}"));
            }
        };
        push("", &self.all);
        for (s, r) in &self.services {
            push(&format!("{s}:"), r);
        }
        if let Some(seed) = self.seed {
            parts.push(format!("seed={seed}"));
        }
        f.write_str(&parts.join(","))
    }
}

/// The service a request is for (see the module doc).
pub fn service_of(headers: &HeaderMap, uri: &Uri) -> String {
    if let Some(s) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split_once("Credential=").map(|(_, rest)| rest))
        .and_then(|rest| rest.split([',', ' ']).next())
        .and_then(scope_service)
    {
        return s;
    }
    if let Some(s) = uri.query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Credential"))
            .and_then(|(_, v)| scope_service(&percent_decode(v)))
    }) {
        return s;
    }
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let prefix = target.split('.').next().unwrap_or_default();
        let service = match prefix {
            p if p.starts_with("DynamoDB_") || p.starts_with("DynamoDBStreams_") => "dynamodb",
            "AWSCognitoIdentityProviderService" => "cognito-idp",
            "TrentService" => "kms",
            "AmazonSQS" => "sqs",
            _ => "unknown",
        };
        return service.to_owned();
    }
    "unknown".to_owned()
}

/// `AKID/date/region/service/aws4_request` (SigV4) or `AKID/date/service/aws4_request` (SigV4a):
/// the part before `aws4_request`.
fn scope_service(credential: &str) -> Option<String> {
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() >= 4 && parts[parts.len() - 1] == "aws4_request" {
        let s = parts[parts.len() - 2];
        (!s.is_empty()).then(|| s.to_ascii_lowercase())
    } else {
        None
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every platform.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

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
                rng: Mutex::new(Rng(seed)),
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
            Some(Fault::Throttle) => Ok(wire.throttle(&service)),
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

fn strip_hop_by_hop(h: &mut HeaderMap) {
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    ] {
        h.remove(name);
    }
}

fn status_only(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// How a service spells its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// S3's REST-XML `<Error>`.
    RestXml,
    /// AWS JSON 1.0/1.1: `{"__type", "message"}`.
    Json,
    /// The query protocol's `<ErrorResponse>`.
    Query,
}

impl Wire {
    fn of(service: &str, headers: &HeaderMap) -> Self {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if service == "s3" {
            Wire::RestXml
        } else if headers.contains_key("x-amz-target") || content_type.contains("json") {
            Wire::Json
        } else if content_type.starts_with("application/x-www-form-urlencoded")
            || matches!(service, "sns" | "ses" | "sqs")
        {
            Wire::Query
        } else {
            // What the emulator takes an unrecognised request for.
            Wire::RestXml
        }
    }

    fn throttle(self, service: &str) -> Response<Body> {
        match self {
            Wire::RestXml => self.answer(
                service,
                StatusCode::SERVICE_UNAVAILABLE,
                "SlowDown",
                "Please reduce your request rate.",
            ),
            Wire::Json => self.answer(
                service,
                StatusCode::BAD_REQUEST,
                if service == "cognito-idp" {
                    "TooManyRequestsException"
                } else {
                    "ThrottlingException"
                },
                "Rate of requests exceeds the allowed throughput.",
            ),
            Wire::Query => self.answer(
                service,
                StatusCode::BAD_REQUEST,
                "Throttling",
                "Rate exceeded",
            ),
        }
    }

    fn error(self, service: &str, status: StatusCode) -> Response<Body> {
        let (code, message) = if status == StatusCode::BAD_GATEWAY {
            (
                "ServiceUnavailable",
                "the emulator did not answer the proxy",
            )
        } else if self == Wire::RestXml {
            (
                "InternalError",
                "We encountered an internal error. Please try again.",
            )
        } else if self == Wire::Json {
            ("InternalServerError", "Internal server error")
        } else {
            ("InternalFailure", "Internal failure")
        };
        self.answer(service, status, code, message)
    }

    fn answer(
        self,
        service: &str,
        status: StatusCode,
        code: &str,
        message: &str,
    ) -> Response<Body> {
        let request_id = next_request_id();
        let (content_type, body) = match self {
            Wire::RestXml => (
                "application/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                     <Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
                ),
            ),
            Wire::Json => {
                let namespace = match service {
                    "dynamodb" => "com.amazonaws.dynamodb.v20120810".to_owned(),
                    s => format!("com.amazonaws.{s}"),
                };
                (
                    "application/x-amz-json-1.0",
                    json!({"__type": format!("{namespace}#{code}"), "message": message})
                        .to_string(),
                )
            }
            Wire::Query => (
                "text/xml",
                format!(
                    "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code>\
                     <Message>{message}</Message></Error><RequestId>{request_id}</RequestId>\
                     </ErrorResponse>",
                    if status.is_server_error() {
                        "Receiver"
                    } else {
                        "Sender"
                    }
                ),
            ),
        };
        let mut r = Response::new(Body::from(Bytes::from(body)));
        *r.status_mut() = status;
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            h.insert("x-amzn-requestid", v.clone());
            h.insert("x-amz-request-id", v);
        }
        r
    }
}

/// Request ids of the proxy's own answers: `dropgate-fault-N`, so logs tell them apart.
fn next_request_id() -> String {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("dropgate-fault-{}", NEXT.fetch_add(1, Ordering::Relaxed))
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
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn err(spec: &str) -> String {
        Spec::parse(spec).expect_err(spec).to_string()
    }

    #[test]
    fn the_example_spec_parses_and_service_rules_override_the_rest() {
        let s =
            Spec::parse("dynamodb:throttle=0.1,s3:error500=0.05,reset=0.02,latency=20").unwrap();
        assert_eq!(s.seed, None);
        assert_eq!(
            s.all,
            Rules {
                reset: Some(0.02),
                latency_ms: Some(20),
                ..Rules::default()
            }
        );
        let d = s.for_service("dynamodb");
        assert_eq!(d.throttle, Some(0.1));
        assert_eq!(d.reset, Some(0.02));
        assert_eq!(d.error500, None);
        assert_eq!(d.latency(), Duration::from_millis(20));
        let s3 = s.for_service("s3");
        assert_eq!((s3.error500, s3.throttle), (Some(0.05), None));
        let sqs = s.for_service("sqs");
        assert_eq!(
            (sqs.reset, sqs.throttle, sqs.error500),
            (Some(0.02), None, None)
        );

        let o = Spec::parse(" latency = 30 , s3:latency=0, seed=7 ,").unwrap();
        assert_eq!(o.seed, Some(7));
        assert_eq!(o.for_service("s3").latency(), Duration::ZERO);
        assert_eq!(o.for_service("sns").latency(), Duration::from_millis(30));
    }

    #[test]
    fn the_canonical_form_parses_back_to_the_same_spec() {
        for spec in [
            "dynamodb:throttle=0.1,s3:error500=0.05,reset=0.02,latency=20",
            "reset_after=0.5,cognito-idp:throttle=0.25,seed=18446744073709551615",
            "unknown:error500=1",
        ] {
            let s = Spec::parse(spec).unwrap();
            assert_eq!(Spec::parse(&s.to_string()).unwrap(), s, "{s}");
        }
        assert_eq!(
            Spec::parse("s3:throttle=0.5,latency=20,seed=3")
                .unwrap()
                .to_string(),
            "latency=20,s3:throttle=0.5,seed=3"
        );
    }

    #[test]
    fn invalid_specs_say_what_is_wrong() {
        assert!(err("").contains("empty"));
        assert!(err(" , ").contains("empty"));
        assert!(err("throttle").contains("expected `[service:]kind=value`"));
        assert!(err("slow=0.1").contains("unknown kind `slow`"));
        assert!(err("dynamo:throttle=0.1").contains("unknown service `dynamo`"));
        assert!(err("throttle=1.5").contains("a rate is a number from 0 to 1"));
        assert!(err("throttle=-0.1").contains("from 0 to 1"));
        assert!(err("throttle=NaN").contains("from 0 to 1"));
        assert!(err("throttle=ten%").contains("from 0 to 1"));
        assert!(err("latency=-1").contains("whole milliseconds"));
        assert!(err("latency=2.5").contains("whole milliseconds"));
        assert!(err("latency=60001").contains("whole milliseconds"));
        assert!(err("s3:seed=1").contains("every service"));
        assert!(err("seed=x").contains("unsigned 64-bit"));
        assert!(err("seed=1,seed=2").contains("seed given twice"));
        assert!(err("throttle=0.1,throttle=0.2").contains("given twice"));
        assert!(err("s3:reset=0.1,s3:reset=0.1").contains("given twice"));
        assert!(err("throttle=0.6,error500=0.5").contains("every service add up to"));
        // A service's own rules plus the every-service ones it does not override.
        assert!(err("reset=0.5,s3:throttle=0.6").contains("for s3 add up to"));
        assert!(Spec::parse("throttle=0.5,s3:throttle=0.2,s3:error500=0.9").is_err());
        assert!(Spec::parse("throttle=0.5,s3:throttle=0.2,s3:error500=0.8").is_ok());
        assert!(Spec::parse("throttle=0.9,s3:throttle=0.1,s3:error500=0.9").is_ok());
        assert!(err("x").starts_with("invalid fault SPEC: "));
    }

    #[test]
    fn one_draw_picks_reset_then_reset_after_then_500_then_throttle() {
        let r = Rules {
            reset: Some(0.1),
            reset_after: Some(0.1),
            error500: Some(0.2),
            throttle: Some(0.3),
            latency_ms: None,
        };
        assert_eq!(r.decide(0.0), Some(Fault::Reset));
        assert_eq!(r.decide(0.15), Some(Fault::ResetAfter));
        assert_eq!(r.decide(0.25), Some(Fault::Error500));
        assert_eq!(r.decide(0.45), Some(Fault::Throttle));
        assert_eq!(r.decide(0.7), None);
        assert_eq!(Rules::default().decide(0.0), None);
        let all = Rules {
            throttle: Some(1.0),
            ..Rules::default()
        };
        assert_eq!(all.decide(0.999_999), Some(Fault::Throttle));
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let draws = |seed| {
            let mut r = Rng(seed);
            (0..1000).map(|_| r.next_f64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let d = draws(7);
        assert!(d.iter().all(|x| (0.0..1.0).contains(x)));
        let below = d.iter().filter(|x| **x < 0.3).count();
        assert!((250..350).contains(&below), "{below} of 1000 below 0.3");
    }

    #[test]
    fn the_service_is_the_credential_scope_then_the_target_then_unknown() {
        let uri: Uri = "/".parse().unwrap();
        let sigv4 = |service: &str| {
            format!(
                "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=abc"
            )
        };
        for s in ["dynamodb", "s3", "sqs", "sns", "ses", "cognito-idp", "kms"] {
            assert_eq!(
                service_of(&headers(&[("authorization", &sigv4(s))]), &uri),
                s
            );
        }
        // The scope wins over the target.
        assert_eq!(
            service_of(
                &headers(&[
                    ("authorization", &sigv4("dynamodb")),
                    ("x-amz-target", "AmazonSQS.ReceiveMessage"),
                ]),
                &uri
            ),
            "dynamodb"
        );
        // SigV4a has no region in its scope.
        assert_eq!(
            service_of(
                &headers(&[(
                    "authorization",
                    "AWS4-ECDSA-P256-SHA256 Credential=AKID/20250101/s3/aws4_request, \
                     SignedHeaders=host, Signature=abc"
                )]),
                &uri
            ),
            "s3"
        );
        // A presigned URL's query-string credential, percent-encoded.
        let presigned: Uri =
            "/dropgate-uploads/u/f?x-id=PutObject&X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=testing%2F20250101%2Fus-east-1%2Fs3%2Faws4_request\
            &X-Amz-Date=20250101T000000Z&X-Amz-Signature=abc"
                .parse()
                .unwrap();
        assert_eq!(service_of(&HeaderMap::new(), &presigned), "s3");
        for (target, service) in [
            ("DynamoDB_20120810.TransactWriteItems", "dynamodb"),
            ("DynamoDBStreams_20120810.GetRecords", "dynamodb"),
            (
                "AWSCognitoIdentityProviderService.InitiateAuth",
                "cognito-idp",
            ),
            ("TrentService.Decrypt", "kms"),
            ("AmazonSQS.ReceiveMessage", "sqs"),
            ("Something.Else", "unknown"),
        ] {
            assert_eq!(
                service_of(&headers(&[("x-amz-target", target)]), &uri),
                service
            );
        }
        // A header that is no SigV4 is no clue; nothing at all is `unknown`.
        assert_eq!(
            service_of(&headers(&[("authorization", "Bearer abc")]), &uri),
            "unknown"
        );
        assert_eq!(
            service_of(
                &headers(&[("authorization", "AWS4-HMAC-SHA256 Credential=broken")]),
                &uri
            ),
            "unknown"
        );
        assert_eq!(service_of(&HeaderMap::new(), &uri), "unknown");
        assert_eq!(percent_decode("a%2Fb%2fc%zz%"), "a/b/c%zz%");
    }

    // --- the proxy itself, in front of a stand-in upstream, and what the SDK makes of it ---

    use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
    use dropgate_core::CoreError;

    type Seen = Arc<Mutex<Vec<(String, String, String, Vec<u8>)>>>;

    /// An upstream that records each request (method, path and query, host, body) and answers
    /// 200 `{"ok":true}`.
    async fn upstream() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let sink = seen.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let sink = sink.clone();
            async move {
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                let host = parts
                    .headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((
                    parts.method.to_string(),
                    parts.uri.to_string(),
                    host,
                    bytes.to_vec(),
                ));
                (
                    [("content-type", "application/json"), ("x-upstream", "yes")],
                    "{\"ok\":true}",
                )
            }
        });
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (url, seen)
    }

    async fn proxy(spec: &str, upstream: &str) -> (String, watch::Sender<bool>) {
        let p = FaultProxy::bind(Spec::parse(spec).unwrap(), upstream)
            .await
            .unwrap();
        let url = p.url().to_owned();
        let (stop, rx) = watch::channel(false);
        tokio::spawn(p.serve(rx));
        (url, stop)
    }

    async fn counters(proxy: &str) -> serde_json::Value {
        reqwest::get(format!("{proxy}{COUNTERS_PATH}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    fn sigv4(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, \
             SignedHeaders=host, Signature=abc"
        )
    }

    #[tokio::test]
    async fn requests_are_forwarded_as_sent_delayed_and_counted() {
        let (up, seen) = upstream().await;
        let (px, _stop) = proxy("latency=30,seed=1", &up).await;
        let http = reqwest::Client::new();
        let started = std::time::Instant::now();
        let r = http
            .post(format!("{px}/a/b?x=1&y=%2F"))
            .header("authorization", sigv4("dynamodb"))
            .body("hello")
            .send()
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(30));
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-upstream"], "yes");
        assert_eq!(r.text().await.unwrap(), "{\"ok\":true}");
        {
            let seen = seen.lock().unwrap();
            let (method, path, host, body) = &seen[0];
            assert_eq!((method.as_str(), path.as_str()), ("POST", "/a/b?x=1&y=%2F"));
            // The host the request was signed for.
            assert_eq!(format!("http://{host}"), px);
            assert_eq!(body, b"hello");
        }

        // The emulator's own API: forwarded, never delayed, faulted or counted.
        let started = std::time::Instant::now();
        let r = http
            .get(format!("{px}/moto-api/data.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_millis(30));
        assert_eq!(seen.lock().unwrap().len(), 2);

        let c = counters(&px).await;
        assert_eq!(c["spec"], "latency=30,seed=1");
        assert_eq!(c["seed"], 1);
        assert_eq!(c["upstream"], up);
        let d = &c["services"]["dynamodb"];
        assert_eq!(
            (d["requests"].as_u64(), d["forwarded"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(
            (d["delayed"].as_u64(), d["faults"].as_u64()),
            (Some(1), Some(0))
        );
        assert_eq!(c["totals"]["requests"], 1);
        assert_eq!(c["services"].as_object().unwrap().len(), 1);
        // The counters are the proxy's own, not the emulator's.
        assert_eq!(seen.lock().unwrap().len(), 2);
        let r = http
            .post(format!("{px}{COUNTERS_PATH}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
    }

    #[tokio::test]
    async fn a_reset_drops_the_connection_unanswered_before_or_after_forwarding() {
        let (up, seen) = upstream().await;
        let (px, _stop) = proxy("reset=1", &up).await;
        let http = reqwest::Client::new();
        let e = http
            .get(format!("{px}/bucket/key"))
            .header("authorization", sigv4("s3"))
            .send()
            .await
            .expect_err("no answer");
        assert!(e.is_request(), "{e:?}");
        assert!(seen.lock().unwrap().is_empty(), "never forwarded");
        // Never the emulator's own API.
        let r = http.get(format!("{px}/moto-api/")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let c = counters(&px).await;
        assert_eq!(c["services"]["s3"]["reset"], 1);
        assert_eq!(c["services"]["s3"]["forwarded"], 0);

        let (px, _stop2) = proxy("sqs:reset_after=1", &up).await;
        http.post(px.clone())
            .header("x-amz-target", "AmazonSQS.SendMessage")
            .body("{}")
            .send()
            .await
            .expect_err("no answer");
        assert_eq!(seen.lock().unwrap().len(), 2, "forwarded, answer dropped");
        let c = counters(&px).await;
        let sqs = &c["services"]["sqs"];
        assert_eq!(
            (sqs["reset_after"].as_u64(), sqs["forwarded"].as_u64()),
            (Some(1), Some(1))
        );
    }

    /// An SDK configuration for `url` that retries like the functions' (3 attempts) but with
    /// millisecond backoffs.
    async fn sdk_at(url: &str) -> aws_config::SdkConfig {
        let mut b = crate::provision::sdk_config(url).await.to_builder();
        b.set_retry_config(Some(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        ));
        b.build()
    }

    /// The error's code, its HTTP status, and what the adapters make of it.
    fn verdict<E: ProvideErrorMetadata + fmt::Debug>(
        e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> (String, Option<u16>, CoreError) {
        let code = e
            .as_service_error()
            .and_then(|s| s.code())
            .unwrap_or("-")
            .to_owned();
        let status = e.raw_response().map(|r| r.status().as_u16());
        (code, status, dropgate_infra::error::sdk_error("op", e))
    }

    #[tokio::test]
    async fn the_sdk_reads_each_services_injected_throttling_as_throttling_and_retries_it() {
        let (up, seen) = upstream().await;
        let (px, _stop) = proxy("throttle=1", &up).await;
        let sdk = sdk_at(&px).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let mut got = vec![(
            "s3",
            verdict(
                s3.get_object()
                    .bucket("b")
                    .key("k")
                    .send()
                    .await
                    .unwrap_err(),
            ),
        )];
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        got.push((
            "dynamodb",
            verdict(ddb.list_tables().send().await.unwrap_err()),
        ));
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        got.push(("sqs", verdict(sqs.list_queues().send().await.unwrap_err())));
        let sns = aws_sdk_sns::Client::new(&sdk);
        got.push(("sns", verdict(sns.list_topics().send().await.unwrap_err())));
        let ses = aws_sdk_ses::Client::new(&sdk);
        got.push((
            "ses",
            verdict(ses.list_identities().send().await.unwrap_err()),
        ));
        let kms = aws_sdk_kms::Client::new(&sdk);
        got.push(("kms", verdict(kms.list_keys().send().await.unwrap_err())));
        let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
        got.push((
            "cognito-idp",
            verdict(
                cognito
                    .list_user_pools()
                    .max_results(1)
                    .send()
                    .await
                    .unwrap_err(),
            ),
        ));
        for (service, (code, status, core)) in &got {
            assert!(
                dropgate_infra::error::is_throttle(code),
                "{service}: {code}"
            );
            assert!(matches!(core, CoreError::Throttled), "{service}: {core:?}");
            let want = if *service == "s3" { 503 } else { 400 };
            assert_eq!(*status, Some(want), "{service}");
        }
        let c = counters(&px).await;
        for (service, _) in &got {
            let s = &c["services"][service];
            assert_eq!(s["requests"], 3, "{service}: three attempts, {c}");
            assert_eq!(s["throttle"], 3, "{service}");
        }
        assert!(seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_sdk_retries_500s_and_resets_then_the_adapters_say_unavailable() {
        let (up, _seen) = upstream().await;
        let (px, _stop) = proxy("dynamodb:error500=1,sns:error500=1,s3:reset=1", &up).await;
        let sdk = sdk_at(&px).await;
        let (code, status, core) = verdict(
            aws_sdk_dynamodb::Client::new(&sdk)
                .list_tables()
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!((code.as_str(), status), ("InternalServerError", Some(500)));
        assert!(matches!(core, CoreError::Unavailable(_)), "{core:?}");
        let (code, status, core) = verdict(
            aws_sdk_sns::Client::new(&sdk)
                .list_topics()
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!((code.as_str(), status), ("InternalFailure", Some(500)));
        assert!(matches!(core, CoreError::Unavailable(_)), "{core:?}");
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let (_, status, core) = verdict(
            s3.head_object()
                .bucket("b")
                .key("k")
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(status, None, "no answer at all");
        match core {
            CoreError::Unavailable(why) => assert!(why.contains("io_error"), "{why}"),
            other => panic!("{other:?}"),
        }
        let c = counters(&px).await;
        assert_eq!(c["services"]["dynamodb"]["error500"], 3);
        assert_eq!(c["services"]["sns"]["error500"], 3);
        assert_eq!(c["services"]["s3"]["reset"], 3);
    }
}
