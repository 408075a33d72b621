//! The local HTTP front: turns each request into an API Gateway v2 event, authorizes it like
//! the HTTP API's JWT authorizer, calls `dropgate_api::handle`, and writes the response back.

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body as EventBody;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::json;

use crate::authorizer::Authorizer;

pub struct Front {
    pub api: dropgate_api::Deps,
    pub authorizer: Authorizer,
}

/// Routes that the template leaves without the JWT authorizer: the API's own route table says
/// which (template_sync holds the template to it).
fn is_public(path: &str) -> bool {
    dropgate_api::is_public(path)
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
    let claims = if is_public(&path) {
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
    for (k, v) in &parts.headers {
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
    into_response(dropgate_api::handle(event, &front.api).await)
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
    out
}
