//! The local HTTP front: turns each request into an API Gateway v2 event, calls the function
//! API Gateway would (no authorizer, as in the template: the api function is its own gate)
//! (`dropgate_api::handle_routed`: `/auth/*` to the auth function's handler, the rest to the
//! api's), and writes the response back.
//!
//! [`run`] serves [`router`] with hyper's HTTP/1.1 (keep-alive on), one task per connection
//! (`connection`), within [`Limits`] so that a client cannot hold the server for nothing:
//!
//! - [`MAX_CONNECTIONS`] (512) connections at once: the next one is answered at once with a
//!   whole `503` `{"error": {"code": "busy", ...}}` (`Retry-After: 1`) and closed
//!   (`refusal`), rather than left waiting for a slot. Keep-alive connections count until
//!   they close.
//! - [`HEADER_READ_TIMEOUT`] (10 s): once the first byte of a request has arrived, its request
//!   line and headers must be complete within this, or the connection is closed (slowloris).
//! - [`IDLE_TIMEOUT`] (60 s): a connection with no request in flight, and no byte of a next
//!   one, is closed after this; the clock starts at accept and again when a response ends.
//! - [`BODY_TIMEOUT`] (30 s), twice: a request's body must have arrived whole within it of its
//!   headers, or the request is answered `408 body_timeout` and the connection closed; and a
//!   response the socket will not take (the client reads nothing) for that long closes the
//!   connection, whatever the phase.
//!
//! While a request is in flight (headers read until its response body is written), the header
//! and idle timeouts do not apply. The variables `LOCAL_HEADER_READ_TIMEOUT_MS`,
//! `LOCAL_IDLE_TIMEOUT_MS`, `LOCAL_BODY_TIMEOUT_MS` (positive milliseconds, at most a day) and
//! `LOCAL_MAX_CONNECTIONS` override them ([`Limits::from_env`]); tests use small values.
//!
//! The timeouts are this module's own, not hyper's `header_read_timeout`: hyper starts that
//! clock whenever the connection waits for a request head (at accept, and right after every
//! response), so it would also close idle keep-alive connections after the header timeout and
//! leave no room for a longer idle timeout. Here hyper's is switched off.
//!
//! On stop, [`run`] stops accepting, closes idle connections at once, lets the requests in
//! flight finish (their connections then close) for up to [`SHUTDOWN_GRACE`] (4 s, within the
//! 5 s `Stack::stop` gives each task), and drops whatever is left.

mod connection;
mod limits;
mod refusal;

pub use connection::run;
pub use limits::{
    BODY_TIMEOUT, BODY_TIMEOUT_VAR, BodyDeadline, HEADER_READ_TIMEOUT, HEADER_READ_TIMEOUT_VAR,
    IDLE_TIMEOUT, IDLE_TIMEOUT_VAR, Limits, MAX_CONNECTIONS, MAX_CONNECTIONS_VAR, MAX_TIMEOUT,
    SHUTDOWN_GRACE,
};

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as EventBody;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::json;
use tokio::time::Instant;

pub struct Front {
    pub api: dropgate_api::Deps,
    /// The `auth` function's: API Gateway sends `/auth/*` to it, everything else to the api.
    pub auth: dropgate_api::AuthDeps,
    /// What the notifier put on the event bus (`GET /__events`).
    pub events: Arc<crate::events::Recorded>,
}

pub fn router(front: Arc<Front>) -> axum::Router {
    axum::Router::new().fallback(serve).with_state(front)
}

fn plain(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message}}).to_string();
    json_answer(status, body)
}

fn json_answer(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    // As every JSON answer of the API's own.
    for (name, value) in [
        ("content-type", "application/json"),
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
    ] {
        r.headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    r
}

async fn serve(
    State(front): State<Arc<Front>>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    // Set by `run` as the headers were read; a router served some other way gets the default.
    let deadline = parts
        .extensions
        .get::<BodyDeadline>()
        .map_or_else(|| Instant::now() + BODY_TIMEOUT, |d| d.0);
    let bytes =
        match tokio::time::timeout_at(deadline, to_bytes(body, dropgate_api::MAX_BODY_BYTES)).await
        {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(_)) => {
                return plain(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "request body is too large",
                );
            }
            Err(_) => {
                tracing::info!(
                    %peer,
                    // Not the path: a drop or share path carries its token.
                    method = %parts.method,
                    "API request body not whole in time: 408 body_timeout, connection closed"
                );
                let mut r = plain(
                    StatusCode::REQUEST_TIMEOUT,
                    "body_timeout",
                    "the request body did not arrive in time",
                );
                // Its unread rest cannot be told from a next request: the connection cannot go on.
                r.headers_mut()
                    .insert("connection", HeaderValue::from_static("close"));
                return r;
            }
        };
    let path = parts.uri.path().to_owned();
    // The local stack's own view of the event bus: answered here, never by the api function.
    if path == crate::events::PATH && parts.method == axum::http::Method::GET {
        return json_answer(StatusCode::OK, front.events.body());
    }
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
    let context = json!({
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
