//! The local HTTP front: turns each request into an API Gateway v2 event, authorizes it like
//! the HTTP API's JWT authorizer, calls the function API Gateway would
//! (`dropgate_api::handle_routed`: `/auth/*` to the auth function's handler, the rest to the
//! api's), and writes the response back.
//!
//! [`run`] serves [`router`] with hyper's HTTP/1.1 (keep-alive on), one task per connection,
//! each connection watched by two timeouts so that a client cannot hold one open for nothing:
//!
//! - [`HEADER_READ_TIMEOUT`] (10 s): once the first byte of a request has arrived, its request
//!   line and headers must be complete within this, or the connection is closed (slowloris).
//! - [`IDLE_TIMEOUT`] (60 s): a connection with no request in flight, and no byte of a next
//!   one, is closed after this; the clock starts at accept and again when a response ends.
//!
//! While a request is in flight (headers read until its response body is written), neither
//! applies. The variables `LOCAL_HEADER_READ_TIMEOUT_MS` and `LOCAL_IDLE_TIMEOUT_MS` (positive
//! milliseconds) override them ([`Timeouts::from_env`]); tests use small values.
//!
//! The timeouts are this module's own, not hyper's `header_read_timeout`: hyper starts that
//! clock whenever the connection waits for a request head (at accept, and right after every
//! response), so it would also close idle keep-alive connections after the header timeout and
//! leave no room for a longer idle timeout. Here hyper's is switched off.
//!
//! On stop, [`run`] stops accepting, closes idle connections at once, lets the requests in
//! flight finish (their connections then close) for up to [`SHUTDOWN_GRACE`] (4 s, within the
//! 5 s `Stack::stop` gives each task), and drops whatever is left.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as EventBody;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::authorizer::Authorizer;

pub struct Front {
    pub api: dropgate_api::Deps,
    /// The `auth` function's: API Gateway sends `/auth/*` to it, everything else to the api.
    pub auth: dropgate_api::AuthDeps,
    pub authorizer: Authorizer,
}

pub fn router(front: Arc<Front>) -> axum::Router {
    axum::Router::new().fallback(serve).with_state(front)
}

fn plain(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}}).to_string();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

async fn serve(
    State(front): State<Arc<Front>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, dropgate_api::MAX_BODY_BYTES).await else {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "request body is too large",
        );
    };
    let path = parts.uri.path().to_owned();
    let authorization = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    // Routed before authorized, as API Gateway does: the JWT authorizer stands only before the
    // routes that are not public (the template's `security`, held to the route table by
    // template_sync); an unknown path or method goes to the api's 404 / 405 with no token.
    let claims = if !dropgate_api::needs_token(parts.method.as_str(), &path) {
        None
    } else {
        match front.authorizer.verify(authorization) {
            Some(c) => Some(c),
            None => {
                return plain(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "a valid bearer id token is required",
                );
            }
        }
    };
    let raw_query = parts.uri.query().unwrap_or("").to_owned();
    let mut query: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (k, v) in form_pairs(&raw_query) {
        query.entry(k).or_default().push(v);
    }
    let mut headers = serde_json::Map::new();
    // Payload v2 carries cookies in their own list, not as a header.
    let mut cookies: Vec<String> = Vec::new();
    for (k, v) in &parts.headers {
        if k == "cookie" {
            if let Ok(v) = v.to_str() {
                cookies.extend(
                    v.split(';')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned),
                );
            }
            continue;
        }
        if let Ok(v) = v.to_str() {
            // API Gateway joins repeated headers with commas.
            let entry = headers
                .entry(k.as_str().to_owned())
                .or_insert_with(|| json!(""));
            let joined = match entry.as_str() {
                Some("") | None => v.to_owned(),
                Some(prev) => format!("{prev},{v}"),
            };
            *entry = json!(joined);
        }
    }
    let (body, is_b64) = match std::str::from_utf8(&bytes) {
        _ if bytes.is_empty() => (None, false),
        Ok(s) => (Some(s.to_owned()), false),
        Err(_) => (
            Some(base64::engine::general_purpose::STANDARD.encode(&bytes)),
            true,
        ),
    };
    let query_params: serde_json::Map<String, serde_json::Value> = query
        .iter()
        .map(|(k, v)| (k.clone(), json!(v.join(","))))
        .collect();
    let now = chrono::Utc::now();
    let mut context = json!({
        "accountId": crate::provision::ACCOUNT,
        "apiId": "local",
        "domainName": parts.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost"),
        "requestId": uuid_like(),
        "routeKey": "$default",
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
        "http": {
            "method": parts.method.as_str(),
            "path": path,
            "protocol": format!("{:?}", parts.version),
            "sourceIp": peer.ip().to_string(),
            "userAgent": parts.headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or(""),
        },
    });
    if let Some(claims) = claims {
        context["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
    }
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": headers,
        "cookies": if cookies.is_empty() { None } else { Some(cookies) },
        "queryStringParameters": query_params,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_b64,
    });
    let event: ApiGatewayV2httpRequest = match serde_json::from_value(event) {
        Ok(e) => e,
        Err(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "request cannot be represented",
            );
        }
    };
    into_response(dropgate_api::handle_routed(event, &front.api, &front.auth).await)
}

fn form_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    dropgate_core::keys::decode_event_key(s).unwrap_or_else(|| s.to_owned())
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "local-{:x}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn into_response(r: ApiGatewayV2httpResponse) -> Response {
    let body = match r.body {
        Some(EventBody::Text(t)) => Body::from(t),
        Some(EventBody::Binary(b)) => Body::from(b),
        _ => Body::empty(),
    };
    let mut out = Response::new(body);
    *out.status_mut() =
        StatusCode::from_u16(r.status_code as u16).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (k, v) in &r.headers {
        out.headers_mut().append(k, v.clone());
    }
    for c in &r.cookies {
        if let Ok(v) = axum::http::HeaderValue::from_str(c) {
            out.headers_mut().append("set-cookie", v);
        }
    }
    out
}

/// How long a request's line and headers may take once its first byte has arrived.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may sit with no request in flight and no byte of a next one.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long, on stop, the requests in flight get to finish before their connections are dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// Overrides [`HEADER_READ_TIMEOUT`], in milliseconds.
pub const HEADER_READ_TIMEOUT_VAR: &str = "LOCAL_HEADER_READ_TIMEOUT_MS";
/// Overrides [`IDLE_TIMEOUT`], in milliseconds.
pub const IDLE_TIMEOUT_VAR: &str = "LOCAL_IDLE_TIMEOUT_MS";

/// The per-connection timeouts [`run`] applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: HEADER_READ_TIMEOUT,
            idle: IDLE_TIMEOUT,
        }
    }
}

impl Timeouts {
    /// The defaults, each overridden by its variable ([`HEADER_READ_TIMEOUT_VAR`],
    /// [`IDLE_TIMEOUT_VAR`]) when set; a value that is not a positive number of milliseconds is
    /// an error naming the variable.
    pub fn from_env() -> Result<Self, String> {
        Ok(Self {
            header_read: millis_from_env(HEADER_READ_TIMEOUT_VAR, HEADER_READ_TIMEOUT)?,
            idle: millis_from_env(IDLE_TIMEOUT_VAR, IDLE_TIMEOUT)?,
        })
    }
}

fn millis_from_env(name: &str, default: Duration) -> Result<Duration, String> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(default),
        Err(e) => Err(format!("{name}: {e}")),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(format!(
                "{name}={v:?}: expected a positive number of milliseconds"
            )),
        },
    }
}

/// Serves `app` on `listener` until `stop` turns true (or its sender is gone), each connection
/// with `timeouts` as the module doc describes; then shuts down gracefully, within
/// [`SHUTDOWN_GRACE`]. Handlers see the peer's address as `ConnectInfo<SocketAddr>`.
pub async fn run(
    listener: TcpListener,
    app: axum::Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            // An error means the sender is gone, which also means: stop.
            _ = stop.wait_for(|s| *s) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                connections.spawn(connection(
                    stream,
                    peer,
                    app.clone(),
                    timeouts,
                    stop.clone(),
                ));
            }
            // The peer gave up before we accepted: nothing to do.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionRefused
                ) => {}
            // Out of file descriptors and the like: back off rather than spin (as axum::serve).
            Err(e) => {
                tracing::error!(error = %e, "API server: accept failed");
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            grace = ?SHUTDOWN_GRACE,
            "API server: requests still in flight after the grace period; dropped"
        );
        connections.shutdown().await;
    }
}

/// Serves one connection until it ends, a timeout closes it, or shutdown is done with it.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    timeouts: Timeouts,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let app = TowerToHyperService::new(app);
    let in_flight = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let done = in_flight.request_started();
        let response = app.call(req);
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|body| Tracked { body, _done: done }))
        }
    });
    // Timed here (module doc), so hyper's own header timer, on by default once a timer is set,
    // stays off.
    let conn = http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "API connection ended");
                }
                return;
            }
            why = activity.expired(timeouts) => {
                tracing::debug!(%peer, why, "API connection closed");
                return;
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                stopping = true;
                if matches!(activity.phase(), Phase::Idle { .. }) {
                    return;
                }
                // Finishes the request in flight (or whose headers are arriving), then closes.
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Where a connection stands, for the timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No request in flight, no byte of a next one, since then.
    Idle { since: Instant },
    /// The first byte of a request arrived then; its headers are not complete yet.
    Head { since: Instant },
    /// This many requests are in flight (headers read, response body not yet written).
    Busy { requests: usize },
}

struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            phase: Mutex::new(Phase::Idle {
                since: Instant::now(),
            }),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        let next = f(*phase);
        if next != *phase {
            *phase = next;
            drop(phase);
            self.changed.notify_waiters();
        }
    }

    /// Bytes arrived: when idle, they are the start of a request.
    fn bytes_read(&self) {
        self.update(|p| match p {
            Phase::Idle { .. } => Phase::Head {
                since: Instant::now(),
            },
            p => p,
        });
    }

    /// A request's headers are read; it is in flight until the returned guard drops (with the
    /// response body, once written).
    fn request_started(self: &Arc<Self>) -> InFlight {
        self.update(|p| match p {
            Phase::Busy { requests } => Phase::Busy {
                requests: requests + 1,
            },
            _ => Phase::Busy { requests: 1 },
        });
        InFlight(self.clone())
    }

    /// Resolves with the reason once the current phase outlives its timeout.
    async fn expired(&self, timeouts: Timeouts) -> &'static str {
        loop {
            // Created before the phase is read, so no change slips between the two.
            let changed = self.changed.notified();
            let phase = self.phase();
            let (deadline, why) = match phase {
                Phase::Busy { .. } => {
                    changed.await;
                    continue;
                }
                Phase::Idle { since } => (since + timeouts.idle, "idle timeout"),
                Phase::Head { since } => (since + timeouts.header_read, "header read timeout"),
            };
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep_until(deadline) => {
                    if self.phase() == phase {
                        return why;
                    }
                }
            }
        }
    }
}

/// A request in flight; dropping it ends it.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update(|p| match p {
            Phase::Busy { requests } if requests > 1 => Phase::Busy {
                requests: requests - 1,
            },
            _ => Phase::Idle {
                since: Instant::now(),
            },
        });
    }
}

/// A response body that ends its request when hyper is done with it.
struct Tracked {
    body: Body,
    _done: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        hyper::body::Body::poll_frame(Pin::new(&mut self.body), cx)
    }

    fn is_end_stream(&self) -> bool {
        hyper::body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> SizeHint {
        hyper::body::Body::size_hint(&self.body)
    }
}

/// The connection's socket, telling [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
