//! HTTP framing of what the proxy forwards and answers itself: the hop-by-hop headers it
//! drops, and its own error answers in each protocol's error format.

use std::sync::atomic::Ordering;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde_json::json;

/// Drops the headers that belong to one connection, not to the request: each side of the
/// proxy frames its own.
pub(super) fn strip_hop_by_hop(h: &mut HeaderMap) {
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

/// An empty answer with `status`.
pub(super) fn status_only(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// How a service spells its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wire {
    /// S3's REST-XML `<Error>`.
    RestXml,
    /// AWS JSON 1.0/1.1: `{"__type", "message"}`.
    Json,
    /// The query protocol's `<ErrorResponse>`.
    Query,
}

impl Wire {
    /// The wire format of `service`, as the request spells it.
    pub(super) fn of(service: &str, headers: &HeaderMap) -> Self {
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

    pub(super) fn error(self, service: &str, status: StatusCode) -> Response<Body> {
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

    pub(super) fn answer(
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
