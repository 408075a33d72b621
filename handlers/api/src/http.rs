//! Request decoding and response encoding for API Gateway payload v2.

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayV2httpRequest, ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use base64::Engine;
use dropgate_core::apikeys::{KeyId, Scope};
use dropgate_core::identity::{Principal, Via};
use dropgate_core::{CoreError, ErrorKind, OwnerId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Larger request bodies are refused before parsing (the API takes small JSON documents).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A failure answered to the client: status, stable code, message, and extra fields.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub extra: Option<Value>,
    /// Why, for the log line of a 5xx (operation, error code, request id); never sent.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            extra: None,
            cause: None,
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let status = match e.kind() {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Gone => 410,
            ErrorKind::RateLimited => 429,
            ErrorKind::TooLarge => 413,
            ErrorKind::UnsupportedType => 415,
            ErrorKind::TooManyRequests | ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        };
        let extra = match &e {
            CoreError::QuotaExceeded {
                requested,
                used,
                reserved,
                limit,
            } => Some(json!({
                "requested_bytes": requested,
                "used_bytes": used,
                "reserved_bytes": reserved,
                "limit_bytes": limit,
            })),
            CoreError::FileTooLarge { size, max } | CoreError::DropTooLarge { size, max } => {
                Some(json!({"size": size, "max_file_bytes": max}))
            }
            // A refusal for type says what is allowed: the list, or `all_but_active_content`.
            CoreError::TypeNotAllowed { allowed, .. }
            | CoreError::InvalidAllowedTypes { allowed, .. } => Some(json!({"allowed": allowed})),
            CoreError::InvalidPartNumber { part_count, .. } => {
                Some(json!({"part_count": part_count}))
            }
            CoreError::IncompleteUpload(i) => Some(json!({
                "missing_parts": i.missing,
                "wrong_size_parts": i.wrong_size,
                "mismatched_parts": i.mismatched,
            })),
            CoreError::Completing => Some(json!({"retry_after": 2})),
            CoreError::RateLimited { retry_after_secs }
            | CoreError::ShareLocked { retry_after_secs }
            | CoreError::LinkBusy { retry_after_secs } => {
                Some(json!({"retry_after": retry_after_secs}))
            }
            _ => None,
        };
        let (message, cause) = match e.kind() {
            // Upstream detail is for the logs only.
            ErrorKind::Internal => ("internal error".to_owned(), Some(e.to_string())),
            ErrorKind::TooManyRequests => (
                "the service is busy; retry shortly".to_owned(),
                Some(e.to_string()),
            ),
            ErrorKind::Unavailable if e == CoreError::Completing => (e.to_string(), None),
            ErrorKind::Unavailable => (
                "a service Dropgate depends on is not answering; retry shortly".to_owned(),
                Some(e.to_string()),
            ),
            _ => (e.to_string(), None),
        };
        Self {
            status,
            code: e.code(),
            message,
            extra,
            cause,
        }
    }
}

pub fn respond(status: u16, body: Option<String>) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    if body.is_some() {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    // A browser that opens an answer directly must never guess it is HTML: a name inside JSON
    // stays text.
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    ApiGatewayV2httpResponse {
        status_code: i64::from(status),
        headers,
        multi_value_headers: HeaderMap::new(),
        body: body.map(Body::Text),
        is_base64_encoded: false,
        cookies: vec![],
    }
}

pub fn json_response<T: Serialize>(status: u16, value: &T) -> ApiGatewayV2httpResponse {
    match serde_json::to_string(value) {
        Ok(body) => respond(status, Some(body)),
        Err(_) => error_response(&ApiError::new(500, "internal", "internal error")),
    }
}

pub fn error_response(e: &ApiError) -> ApiGatewayV2httpResponse {
    let mut error = json!({"code": e.code, "message": e.message});
    if let (Some(Value::Object(extra)), Value::Object(obj)) = (&e.extra, &mut error) {
        obj.extend(extra.clone());
    }
    let mut r = json_response(e.status, &json!({ "error": error }));
    // 429 says when to come back, in the header clients and proxies read.
    if let Some(secs) = e.extra.as_ref().and_then(|x| x.get("retry_after"))
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        r.headers.insert("retry-after", v);
    }
    r
}

/// The address the request came from, as API Gateway saw it (for per-source rate limits).
pub fn source_ip(req: &ApiGatewayV2httpRequest) -> String {
    req.request_context
        .http
        .source_ip
        .clone()
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The request body as bytes (API Gateway base64-encodes some bodies).
fn body_bytes(req: &ApiGatewayV2httpRequest) -> Result<Vec<u8>, ApiError> {
    let Some(body) = req.body.as_deref() else {
        return Ok(Vec::new());
    };
    let bytes = if req.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|_| ApiError::new(400, "invalid_json", "body is not valid base64"))?
    } else {
        body.as_bytes().to_vec()
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            413,
            "body_too_large",
            format!("request body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

/// Parses a JSON body into `T`: syntax errors are `invalid_json`, wrong or missing fields
/// `invalid_request`, both 400.
pub fn parse_json<T: DeserializeOwned>(req: &ApiGatewayV2httpRequest) -> Result<T, ApiError> {
    let bytes = body_bytes(req)?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(400, "invalid_json", format!("body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::new(
            400,
            "invalid_request",
            "body must be a JSON object",
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::new(400, "invalid_request", format!("invalid request body: {e}")))
}

/// A non-negative integer, absent, or `null` (for a JSON field taken as a `Value`, so that a
/// negative, fractional or quoted number gets the field's own code); anything else is a 400
/// with `code`.
pub(crate) fn whole(
    v: Option<Value>,
    code: &'static str,
    field: &str,
) -> Result<Option<u64>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(_) => Err(ApiError::new(
            400,
            code,
            format!("{field} must be a non-negative integer"),
        )),
    }
}

/// The caller, as the gate admitted it (`routes::admit`): the owner, their email and whether
/// they are an admin.
pub struct Caller {
    pub owner: OwnerId,
    /// The address Dropgate may mail: the `email` claim when `email_verified` is true, else
    /// none (Dropgate mails only a verified address).
    pub email: Option<String>,
    /// A member of the Cognito group `admins`.
    pub admin: bool,
    /// The API token it came with (`None`: an id token).
    pub key: Option<(KeyId, Scope)>,
}

/// `403 admin_only` for anyone but an admin.
pub fn require_admin(c: &Caller) -> Result<(), ApiError> {
    if c.admin {
        Ok(())
    } else {
        Err(ApiError::new(
            403,
            "admin_only",
            "this route is for admins only",
        ))
    }
}

/// Writes the gate's verdict where a Lambda authorizer's context goes
/// (`requestContext.authorizer.lambda`), replacing whatever the request carried there: the
/// handlers read the caller from one place, and only the gate ever writes it.
pub fn install_caller(req: &mut ApiGatewayV2httpRequest, who: Option<&Principal>) {
    req.request_context.authorizer = who.map(|p| {
        let mut fields = std::collections::HashMap::new();
        fields.insert("owner".to_owned(), json!(p.owner.as_str()));
        if let Some(e) = &p.email {
            fields.insert("email".to_owned(), json!(e));
        }
        fields.insert("admin".to_owned(), json!(p.admin));
        if let Via::ApiKey { id, scope } = &p.via {
            fields.insert("key".to_owned(), json!(id.as_str()));
            fields.insert("scope".to_owned(), json!(scope.as_str()));
        }
        ApiGatewayRequestAuthorizer {
            jwt: None,
            fields,
            iam: None,
        }
    });
}

/// The caller the gate admitted; `401 unauthorized` on a route it did not admit anyone to.
pub fn caller(req: &ApiGatewayV2httpRequest) -> Result<Caller, ApiError> {
    let unauthorized = || ApiError::new(401, "unauthorized", "a valid bearer id token is required");
    let fields = req
        .request_context
        .authorizer
        .as_ref()
        .map(|a| &a.fields)
        .ok_or_else(unauthorized)?;
    let owner = fields
        .get("owner")
        .and_then(Value::as_str)
        .and_then(|o| OwnerId::parse(o).ok())
        .ok_or_else(unauthorized)?;
    Ok(Caller {
        owner,
        email: fields
            .get("email")
            .and_then(Value::as_str)
            .map(str::to_owned),
        admin: fields.get("admin").and_then(Value::as_bool) == Some(true),
        key: match (fields.get("key"), fields.get("scope")) {
            (Some(Value::String(id)), Some(Value::String(scope))) => Some((
                KeyId::parse(id).map_err(|_| unauthorized())?,
                Scope::parse(scope).map_err(|_| unauthorized())?,
            )),
            _ => None,
        },
    })
}

/// One query-string parameter; API Gateway has already decoded it.
pub fn query<'a>(req: &'a ApiGatewayV2httpRequest, name: &str) -> Option<&'a str> {
    req.query_string_parameters.first(name)
}
