//! docs/openapi.yaml held to the router: every route in `dropgate_api::ROUTES` is documented and
//! nothing else is, `security: []` marks exactly the public routes, every documented operation is
//! answered by its handler (not by the router's 404 or 405), and the answers to requests the
//! test can make (bad bodies, unknown ids, no token) carry a documented status and code.
//! scripts/lint-openapi.sh checks the document itself against OpenAPI 3.1.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::encodings::Body;
use chrono::{TimeZone, Utc};
use dropgate_api::{AuthDeps, Deps, PasswordLimits, Ports, ROUTES, handle_routed};
use dropgate_core::CoreError;
use dropgate_core::Settings;
use dropgate_core::accounts::{Accounts, SignUpOutcome, Tokens};
use dropgate_core::fakes::{FixedClock, MemCounters, MemLedger, MemShares, MemStore, SeqIds};
use serde_json::{Value as Json, json};
use serde_yaml::Value;

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
const OWNER: &str = "0b5e2f6a-1c1d-4e7e-9a8b-3c2d1e0f9a8b";

fn spec() -> Value {
    let text = std::fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("{SPEC}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{SPEC} is not YAML: {e}"))
}

/// One documented operation: `METHOD`, path template, and the operation object.
struct Operation {
    method: String,
    path: String,
    op: Value,
}

fn operations(spec: &Value) -> Vec<Operation> {
    let paths = spec["paths"].as_mapping().expect("paths is a mapping");
    let mut out = Vec::new();
    for (path, item) in paths {
        let path = path.as_str().expect("path keys are strings");
        let item = item.as_mapping().expect("path items are mappings");
        for (key, op) in item {
            let key = key.as_str().expect("path item keys are strings");
            if METHODS.contains(&key) {
                out.push(Operation {
                    method: key.to_ascii_uppercase(),
                    path: path.to_owned(),
                    op: op.clone(),
                });
            }
        }
    }
    out
}

/// Follows a local `$ref` (`#/components/...`), once or more, to what it names.
fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..16 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        let pointer = r
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("only local references: {r}"));
        v = pointer.split('/').fold(spec, |node, part| {
            node.get(part)
                .unwrap_or_else(|| panic!("unresolved reference {r}"))
        });
    }
    panic!("reference chain too long")
}

/// Every error code a documented response names (`const` or `enum` of a `code` property).
fn codes(spec: &Value, v: &Value, out: &mut BTreeSet<String>, depth: usize) {
    assert!(depth < 64, "schema nesting too deep");
    match resolve(spec, v) {
        Value::Mapping(m) => {
            for (k, val) in m {
                if k.as_str() == Some("code") {
                    let val = resolve(spec, val);
                    if let Some(c) = val.get("const").and_then(Value::as_str) {
                        out.insert(c.to_owned());
                    }
                    for c in val
                        .get("enum")
                        .and_then(Value::as_sequence)
                        .into_iter()
                        .flatten()
                    {
                        out.insert(c.as_str().expect("codes are strings").to_owned());
                    }
                }
                codes(spec, val, out, depth + 1);
            }
        }
        Value::Sequence(s) => s.iter().for_each(|x| codes(spec, x, out, depth + 1)),
        _ => {}
    }
}

fn route_set() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.pattern.to_owned()))
        .collect()
}

fn public_in_router(method: &str, path: &str) -> bool {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.pattern == path)
        .unwrap_or_else(|| panic!("{method} {path} is not a route"))
        .public
}

#[test]
fn every_route_is_documented_and_nothing_else() {
    let spec = spec();
    assert_eq!(
        spec["openapi"].as_str(),
        Some("3.1.0"),
        "docs/openapi.yaml is OpenAPI 3.1.0"
    );
    let documented: BTreeSet<(String, String)> = operations(&spec)
        .into_iter()
        .map(|o| (o.method, o.path))
        .collect();
    let routes = route_set();
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.yaml: {undocumented:?}"
    );
    assert!(
        extra.is_empty(),
        "docs/openapi.yaml documents routes the router does not have: {extra:?}"
    );
    assert_eq!(
        operations(&spec).len(),
        ROUTES.len(),
        "one operation per route"
    );
}

#[test]
fn exactly_the_public_routes_skip_the_bearer_token() {
    let spec = spec();
    let scheme = &spec["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(scheme["type"].as_str(), Some("http"));
    assert_eq!(scheme["scheme"].as_str(), Some("bearer"));
    assert_eq!(scheme["bearerFormat"].as_str(), Some("JWT"));
    let global = spec["security"]
        .as_sequence()
        .expect("a global security list");
    assert!(
        global.iter().any(|req| req.get("bearerAuth").is_some()),
        "bearerAuth applies globally"
    );
    for o in operations(&spec) {
        let public = public_in_router(&o.method, &o.path);
        let security = o.op.get("security");
        let open = security
            .and_then(Value::as_sequence)
            .is_some_and(|s| s.is_empty());
        assert_eq!(
            open, public,
            "{} {}: `security: []` must be there exactly when the route is public (public = {public}, security = {security:?})",
            o.method, o.path
        );
        if !public {
            assert!(
                security.is_none_or(|s| s
                    .as_sequence()
                    .is_some_and(|s| s.iter().any(|r| r.get("bearerAuth").is_some()))),
                "{} {}: a non-public route keeps the bearer token",
                o.method,
                o.path
            );
            assert!(
                o.op["responses"].get("401").is_some(),
                "{} {}: a non-public route documents 401",
                o.method,
                o.path
            );
        }
    }
}

#[test]
fn responses_are_http_status_codes() {
    let spec = spec();
    for o in operations(&spec) {
        let responses = o.op["responses"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{} {}: no responses", o.method, o.path));
        assert!(
            !responses.is_empty(),
            "{} {}: no responses",
            o.method,
            o.path
        );
        let mut success = false;
        for (status, response) in responses {
            let s = status.as_str().unwrap_or_else(|| {
                panic!(
                    "{} {}: status {status:?} is not a quoted string",
                    o.method, o.path
                )
            });
            let n: u16 = s.parse().unwrap_or_else(|_| {
                panic!("{} {}: status {s:?} is not a number", o.method, o.path)
            });
            assert!(
                (100..=599).contains(&n) && s.len() == 3,
                "{} {}: status {s} is not an HTTP status code",
                o.method,
                o.path
            );
            success |= (200..300).contains(&n);
            if n == 204 || n == 304 {
                assert!(
                    resolve(&spec, response).get("content").is_none(),
                    "{} {}: {n} has no body",
                    o.method,
                    o.path
                );
            }
            if n >= 400 {
                let mut found = BTreeSet::new();
                codes(&spec, response, &mut found, 0);
                assert!(
                    !found.is_empty(),
                    "{} {}: error response {n} names no error code",
                    o.method,
                    o.path
                );
            }
            if n == 429 {
                let r = resolve(&spec, response);
                assert!(
                    r["headers"].get("Retry-After").is_some(),
                    "{} {}: 429 documents Retry-After",
                    o.method,
                    o.path
                );
            }
        }
        assert!(success, "{} {}: no success response", o.method, o.path);
    }
}

// ---- every documented route answered ----------------------------------------------------------

struct NoAccounts;

#[async_trait]
impl Accounts for NoAccounts {
    async fn sign_up(&self, _email: &str, _password: &str) -> Result<SignUpOutcome, CoreError> {
        Ok(SignUpOutcome::CodeSent)
    }
    async fn confirm(&self, _email: &str, _code: &str) -> Result<(), CoreError> {
        Ok(())
    }
    async fn login(&self, _email: &str, _password: &str) -> Result<Tokens, CoreError> {
        Err(CoreError::unauthorized(
            "invalid_credentials",
            "email or password is wrong",
        ))
    }
    async fn refresh(&self, _refresh_token: &str) -> Result<Tokens, CoreError> {
        Err(CoreError::unauthorized("invalid_token", "bad token"))
    }
    async fn revoke(&self, _refresh_token: &str) -> Result<(), CoreError> {
        Ok(())
    }
    async fn forgot(&self, _email: &str) -> Result<(), CoreError> {
        Ok(())
    }
    async fn reset(&self, _email: &str, _code: &str, _password: &str) -> Result<(), CoreError> {
        Err(CoreError::invalid("invalid_code", "the code is wrong"))
    }
    async fn holder(
        &self,
        _email: &str,
    ) -> Result<Option<(dropgate_core::OwnerId, bool)>, CoreError> {
        Ok(None)
    }
}

fn deps() -> (Deps, AuthDeps) {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
    ));
    // Limits no request of this test reaches.
    let window = std::time::Duration::from_secs(600);
    let settings = Settings {
        lookup_failure_limit: 1000,
        lookup_failure_window: window,
        ..Settings::default()
    };
    let ports = Ports {
        ledger: ledger.clone(),
        versions: ledger.clone(),
        links: ledger.clone(),
        review: ledger.clone(),
        holds: ledger.clone(),
        limits: ledger,
        directory: Arc::new(dropgate_core::fakes::MemDirectory::default()),
        shares: Arc::new(MemShares::default()),
        profiles: Arc::new(dropgate_core::fakes::MemProfiles::default()),
        objects: store.clone(),
        multipart: store,
        counters: Arc::new(MemCounters::default()),
        sealer: Arc::new(dropgate_core::fakes::MemSealer::default()),
        audit: Arc::new(dropgate_core::fakes::MemAuditStore::default()),
        id_tokens: Arc::new(dropgate_core::fakes::MemIdTokens),
        api_keys: Arc::new(dropgate_core::fakes::MemApiKeys::default()),
        webhooks: Arc::new(dropgate_core::fakes::MemWebhooks::default()),
        resolver: Arc::new(dropgate_core::fakes::MemResolver::default()),
        deliveries: Arc::new(dropgate_core::fakes::MemDeliveryLog::default()),
        delivery_queue: Arc::new(dropgate_core::fakes::MemDeliveryQueue::default()),
        standing: Arc::new(dropgate_core::fakes::MemStanding::default()),
        account_directory: Arc::new(dropgate_core::fakes::MemAccountDirectory::default()),
        totp: Arc::new(dropgate_core::fakes::MemTotp::new(clock.clone())),
        erasure: Arc::new(dropgate_core::fakes::MemErasure::default()),
        mailer: Arc::new(dropgate_core::fakes::MemMailer::default()),
        clock,
        ids: Arc::new(SeqIds::default()),
    };
    let passwords = PasswordLimits {
        window,
        attempts_per_share_and_source: 1000,
        failures_per_source: 1000,
    };
    let api = Deps::from_ports(ports, settings, passwords, "http://uploads.test");
    let auth = AuthDeps::from_ports(
        Arc::new(NoAccounts),
        Arc::new(dropgate_core::fakes::MemAccountDirectory::default()),
        Arc::new(dropgate_core::fakes::MemTotp::new(Arc::new(
            FixedClock::at(Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()),
        ))),
        Arc::new(dropgate_core::fakes::MemStanding::default()),
        Arc::new(dropgate_core::fakes::MemMailer::default()),
        Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
        )),
    );
    (api, auth)
}

/// `/drop/{token}/files` -> `/drop/dummy-token/files`.
fn fill(template: &str) -> String {
    template
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!("dummy-{name}"),
                None => seg.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn event(method: &str, path: &str, body: Option<&str>, signed_in: bool) -> ApiGatewayV2httpRequest {
    let mut ev = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "dropgate-tests"
            },
            "requestId": "req-openapi",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795341600000u64
        },
        "isBase64Encoded": false
    });
    if let Some(b) = body {
        ev["body"] = json!(b);
    }
    if signed_in {
        let token = dropgate_core::fakes::MemIdTokens::mint(&json!({
            "sub": OWNER,
            "email": "alice@example.com",
            "email_verified": "true",
            "token_use": "id",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34E",
            "aud": "4q0example1client2id3abcd",
            "iat": 1795341000,
            "exp": 1795428000
        }));
        ev["headers"]["authorization"] = json!(format!("Bearer {token}"));
    }
    serde_json::from_value(ev).expect("a valid API Gateway v2 event")
}

struct Answer {
    status: u16,
    /// The body, when it is JSON.
    body: Option<Json>,
    has_body: bool,
}

async fn send(deps: &(Deps, AuthDeps), ev: ApiGatewayV2httpRequest) -> Answer {
    let raw = handle_routed(ev, &deps.0, &deps.1).await;
    // Pages and assets are not JSON; their answers are checked by status only.
    let json = raw
        .headers
        .get("content-type")
        .is_none_or(|v| v.as_bytes().starts_with(b"application/json"));
    let has_body = !matches!(raw.body, None | Some(Body::Empty));
    let text = match raw.body.filter(|_| json) {
        None | Some(Body::Empty) => None,
        Some(Body::Text(s)) => Some(s),
        Some(Body::Binary(b)) => Some(String::from_utf8(b).expect("UTF-8 body")),
    };
    Answer {
        status: u16::try_from(raw.status_code).expect("a status code"),
        body: text.map(|t| serde_json::from_str(&t).expect("a JSON body")),
        has_body,
    }
}

/// Asserts that `a`, the answer to `o`, is the handler's (not the router's) and documented:
/// its status among the operation's responses, its error code among those the response names.
fn check_answer(spec: &Value, o: &Operation, what: &str, a: &Answer) {
    let desc = format!("{} {} ({what})", o.method, o.path);
    let code = a
        .body
        .as_ref()
        .and_then(|b| b["error"]["code"].as_str())
        .map(str::to_owned);
    let message = a.body.as_ref().and_then(|b| b["error"]["message"].as_str());
    assert!(
        !(a.status == 404
            && code.as_deref() == Some("not_found")
            && message == Some("no such route")),
        "{desc}: the router has no such route"
    );
    assert_ne!(
        a.status, 405,
        "{desc}: the router refused the method: {:?}",
        a.body
    );
    let status = a.status.to_string();
    let response = o.op["responses"].get(status.as_str()).unwrap_or_else(|| {
        panic!(
            "{desc}: answered {status}, which is not documented: {:?}",
            a.body
        )
    });
    let response = resolve(spec, response);
    match &code {
        Some(code) => {
            let mut documented = BTreeSet::new();
            codes(spec, response, &mut documented, 0);
            assert!(
                documented.contains(code),
                "{desc}: answered {status} {code}, documented codes are {documented:?}"
            );
        }
        None => assert_eq!(
            a.has_body,
            response.get("content").is_some(),
            "{desc}: a body exactly when {status} documents content"
        ),
    }
}

#[tokio::test]
async fn every_documented_route_is_answered() {
    let spec = spec();
    let deps = deps();
    for o in operations(&spec) {
        let path = fill(&o.path);
        let public = public_in_router(&o.method, &o.path);
        // An empty object: every body has a required field, so the handler answers 400.
        let body = o.op.get("requestBody").map(|_| "{}");
        let a = send(&deps, event(&o.method, &path, body, !public)).await;
        check_answer(&spec, &o, "dummy parameters", &a);
        if !public {
            let a = send(&deps, event(&o.method, &path, body, false)).await;
            assert_eq!(a.status, 401, "{} {} without a token", o.method, o.path);
            check_answer(&spec, &o, "no token", &a);
        }
    }
}
