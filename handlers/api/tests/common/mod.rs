//! The API handler's test world: the handler over the in-memory fakes, and requests shaped
//! like API Gateway HTTP API (payload v2) events.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use base64::Engine;
use chrono::{TimeZone, Utc};
use dropgate_api::{AuthDeps, Deps, PasswordLimits, Ports, handle_routed};
use dropgate_core::accounts::{Accounts, SignUpOutcome, Tokens};
use dropgate_core::fakes::{
    FixedClock, MemCounters, MemDirectory, MemLedger, MemShares, MemStore, SeqIds,
};
use dropgate_core::files::{FileLookup, Settlement, Settling};
use dropgate_core::{CoreError, FileId, FileStatus, OwnerId, Settings};
use serde_json::{Value, json};

pub const ALICE: &str = "0b5e2f6a-1c1d-4e7e-9a8b-3c2d1e0f9a8b";
pub const BOB: &str = "7c9d1e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f";
pub const LIMIT: u64 = 10_000;
pub const MAX: u64 = 8_000;

#[derive(Default)]
pub struct FakeAccounts {
    pub signups: Mutex<Vec<(String, String)>>,
    /// Refresh tokens logged out: they refresh nothing any more.
    pub revoked: Mutex<Vec<String>>,
    /// Addresses a reset code was sent to (the code is always `123456`).
    pub reset_codes: Mutex<Vec<String>>,
    /// The directory unreachable for revocations.
    pub revoke_fails: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Accounts for FakeAccounts {
    async fn sign_up(&self, email: &str, password: &str) -> Result<SignUpOutcome, CoreError> {
        let mut s = self.signups.lock().unwrap();
        if s.iter().any(|(e, _)| e == email) {
            return Err(CoreError::conflict("user_exists", "already signed up"));
        }
        s.push((email.to_owned(), password.to_owned()));
        Ok(SignUpOutcome::CodeSent)
    }
    async fn confirm(&self, _email: &str, _code: &str) -> Result<(), CoreError> {
        Ok(())
    }
    /// Signed-up credentials log in; their refresh token is `refresh-<email>`.
    async fn login(&self, email: &str, password: &str) -> Result<Tokens, CoreError> {
        let known = self
            .signups
            .lock()
            .unwrap()
            .iter()
            .any(|(e, p)| e == email && p == password);
        if !known {
            return Err(CoreError::unauthorized(
                "invalid_credentials",
                "email or password is wrong",
            ));
        }
        Ok(fake_tokens(email))
    }
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, CoreError> {
        let email = refresh_token.strip_prefix("refresh-").unwrap_or_default();
        let revoked = self
            .revoked
            .lock()
            .unwrap()
            .iter()
            .any(|t| t == refresh_token);
        if revoked || !self.signups.lock().unwrap().iter().any(|(e, _)| e == email) {
            return Err(CoreError::unauthorized("invalid_token", "bad token"));
        }
        Ok(fake_tokens(email))
    }
    async fn revoke(&self, refresh_token: &str) -> Result<(), CoreError> {
        if self.revoke_fails.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CoreError::Unavailable(
                "RevokeToken: connect_timeout".into(),
            ));
        }
        self.revoked.lock().unwrap().push(refresh_token.to_owned());
        Ok(())
    }
    /// A signed-up address gets the code `123456`.
    async fn forgot(&self, email: &str) -> Result<(), CoreError> {
        if self.signups.lock().unwrap().iter().any(|(e, _)| e == email) {
            self.reset_codes.lock().unwrap().push(email.to_owned());
        }
        Ok(())
    }
    async fn reset(&self, email: &str, code: &str, password: &str) -> Result<(), CoreError> {
        let mut codes = self.reset_codes.lock().unwrap();
        let Some(i) = codes
            .iter()
            .position(|e| e == email)
            .filter(|_| code == "123456")
        else {
            return Err(CoreError::invalid("invalid_code", "the code is wrong"));
        };
        codes.remove(i);
        for s in self
            .signups
            .lock()
            .unwrap()
            .iter_mut()
            .filter(|(e, _)| e == email)
        {
            s.1 = password.to_owned();
        }
        Ok(())
    }
    /// The owner of a signed-up address is `owner-<local part>`, verified.
    async fn holder(&self, email: &str) -> Result<Option<(OwnerId, bool)>, CoreError> {
        let known = self.signups.lock().unwrap().iter().any(|(e, _)| e == email);
        Ok(known.then(|| (owner_of(email), true)))
    }
}

/// The owner id [`FakeAccounts::holder`] gives an address.
pub fn owner_of(email: &str) -> OwnerId {
    OwnerId::parse(&format!(
        "owner-{}",
        email.split('@').next().unwrap_or_default()
    ))
    .unwrap()
}

pub struct World {
    pub deps: Deps,
    pub auth: AuthDeps,
    pub shares: Arc<MemShares>,
    pub ledger: Arc<MemLedger>,
    pub store: Arc<MemStore>,
    pub accounts: Arc<FakeAccounts>,
    pub account_directory: Arc<dropgate_core::fakes::MemAccountDirectory>,
    pub mailer: Arc<dropgate_core::fakes::MemMailer>,
    pub clock: Arc<FixedClock>,
    /// The accounts' directory the admin routes read (empty until a test adds accounts).
    pub directory: Arc<MemDirectory>,
    /// Accounts' standing: a test stops an account or signs it out everywhere here.
    pub standing: Arc<dropgate_core::fakes::MemStanding>,
    /// Owners' second factor.
    pub totp: Arc<dropgate_core::fakes::MemTotp>,
}

pub fn world() -> World {
    world_with(|_| {})
}

/// A world whose settings `adjust` changes first (the multipart threshold, say).
pub fn world_with(adjust: fn(&mut Settings)) -> World {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let accounts = Arc::new(FakeAccounts::default());
    let clock = Arc::new(FixedClock::at(
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
    ));
    let ids = Arc::new(SeqIds::default());
    let mut settings = Settings {
        max_file_size: MAX,
        quota_bytes: LIMIT,
        // 5 failed lookups per 600 s window from one address.
        lookup_failure_limit: 5,
        lookup_failure_window: std::time::Duration::from_secs(600),
        ..Settings::default()
    };
    adjust(&mut settings);
    let shares = Arc::new(MemShares::default());
    let directory = Arc::new(MemDirectory::default());
    let standing = Arc::new(dropgate_core::fakes::MemStanding::default());
    // The store keeps standing on the quota record, read with usage for a page of accounts.
    ledger.with_standing(standing.clone());
    let account_directory = Arc::new(dropgate_core::fakes::MemAccountDirectory::default());
    let mailer = Arc::new(dropgate_core::fakes::MemMailer::default());
    let totp = Arc::new(dropgate_core::fakes::MemTotp::new(clock.clone()));
    // A right password of an account with TOTP on is challenged, as at Cognito.
    account_directory.second_factor(totp.clone());
    let api_keys = Arc::new(dropgate_core::fakes::MemApiKeys::default());
    let webhooks = Arc::new(dropgate_core::fakes::MemWebhooks::default());
    let profiles = Arc::new(dropgate_core::fakes::MemProfiles::default());
    let erasure = Arc::new(dropgate_core::fakes::MemErasure::over(
        ledger.clone(),
        shares.clone(),
        webhooks.clone(),
        api_keys.clone(),
        profiles.clone(),
        standing.clone(),
    ));
    let ports = Ports {
        ledger: ledger.clone(),
        versions: ledger.clone(),
        links: ledger.clone(),
        shares: shares.clone(),
        profiles,
        objects: store.clone(),
        multipart: store.clone(),
        counters: Arc::new(MemCounters::default()),
        sealer: Arc::new(dropgate_core::fakes::MemSealer::default()),
        audit: Arc::new(dropgate_core::fakes::MemAuditStore::default()),
        id_tokens: Arc::new(dropgate_core::fakes::MemIdTokens),
        api_keys,
        directory: directory.clone(),
        limits: ledger.clone(),
        review: ledger.clone(),
        holds: ledger.clone(),
        webhooks,
        resolver: Arc::new(dropgate_core::fakes::MemResolver::default()),
        deliveries: Arc::new(dropgate_core::fakes::MemDeliveryLog::default()),
        delivery_queue: Arc::new(dropgate_core::fakes::MemDeliveryQueue::default()),
        standing: standing.clone(),
        account_directory: account_directory.clone(),
        totp: totp.clone(),
        erasure,
        mailer: mailer.clone(),
        clock: clock.clone(),
        ids,
    };
    let passwords = PasswordLimits {
        window: std::time::Duration::from_secs(600),
        attempts_per_share_and_source: 3,
        failures_per_source: 5,
    };
    World {
        deps: Deps::from_ports(ports, settings, passwords, "http://uploads.test"),
        auth: AuthDeps::from_ports(
            accounts.clone(),
            account_directory.clone(),
            totp.clone(),
            standing.clone(),
            mailer.clone(),
            clock.clone(),
        ),
        mailer,
        shares,
        ledger,
        store,
        accounts,
        account_directory,
        clock,
        directory,
        standing,
        totp,
    }
}

pub fn claims(sub: &str) -> Value {
    json!({
        "sub": sub,
        "email": "alice@example.com",
        "email_verified": "true",
        "token_use": "id",
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34E",
        "aud": "4q0example1client2id3abcd",
        "cognito:username": sub,
        // Issued before the test world's clock (2026-11-22T10:00Z), valid for a day beyond it.
        "auth_time": 1795341000,
        "iat": 1795341000,
        "exp": 1795428000
    })
}

fn fake_tokens(email: &str) -> Tokens {
    Tokens {
        id_token: format!("id-{email}"),
        access_token: format!("access-{email}"),
        refresh_token: format!("refresh-{email}"),
        expires_in: 3600,
    }
}

pub struct Req {
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<String>,
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
    pub base64: bool,
    pub claims: Option<Value>,
    pub query: Option<Value>,
    /// The caller's address as API Gateway sees it (`203.0.113.10` when unset).
    pub source: Option<String>,
}

pub fn req(method: &'static str, path: &str) -> Req {
    Req {
        headers: Vec::new(),
        cookies: Vec::new(),
        method,
        path: path.to_owned(),
        body: None,
        base64: false,
        claims: None,
        query: None,
        source: None,
    }
}

impl Req {
    pub fn body(mut self, b: &str) -> Self {
        self.body = Some(b.to_owned());
        self
    }
    pub fn json(self, v: Value) -> Self {
        self.body(&v.to_string())
    }
    pub fn base64(mut self) -> Self {
        let raw = self.body.take().unwrap_or_default();
        self.body = Some(base64::engine::general_purpose::STANDARD.encode(raw));
        self.base64 = true;
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn cookie(mut self, c: &str) -> Self {
        self.cookies.push(c.to_owned());
        self
    }
    pub fn by(mut self, sub: &str) -> Self {
        self.claims = Some(claims(sub));
        self
    }
    pub fn claims(mut self, c: Value) -> Self {
        self.claims = Some(c);
        self
    }
    pub fn from(mut self, ip: &str) -> Self {
        self.source = Some(ip.to_owned());
        self
    }
    pub fn query(mut self, q: Value) -> Self {
        self.query = Some(q);
        self
    }

    pub fn event(&self) -> ApiGatewayV2httpRequest {
        let raw_query = self
            .query
            .as_ref()
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .unwrap_or_default();
        let mut ev = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": {
                "accept": "application/json",
                "content-type": "application/json",
                "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
                "user-agent": "dropgate-tests"
            },
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "a1b2c3d4e5",
                "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
                "domainPrefix": "a1b2c3d4e5",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.10",
                    "userAgent": "dropgate-tests"
                },
                "requestId": "req-1",
                "routeKey": "$default",
                "stage": "$default",
                "time": "22/Nov/2026:10:00:00 +0000",
                "timeEpoch": 1795341600000u64
            },
            "isBase64Encoded": self.base64
        });
        if let Some(b) = &self.body {
            ev["body"] = json!(b);
        }
        if let Some(ip) = &self.source {
            ev["requestContext"]["http"]["sourceIp"] = json!(ip);
        }
        for (k, v) in &self.headers {
            ev["headers"][k] = json!(v);
        }
        if !self.cookies.is_empty() {
            ev["cookies"] = json!(self.cookies);
        }
        if let Some(q) = &self.query {
            ev["queryStringParameters"] = q.clone();
        }
        // The claims travel as a token the fake verifier reads (the gate's first step).
        if let Some(c) = &self.claims {
            let token = dropgate_core::fakes::MemIdTokens::mint(c);
            ev["headers"]["authorization"] = json!(format!("Bearer {token}"));
        }
        serde_json::from_value(ev).expect("a valid API Gateway v2 event")
    }
}

pub struct Resp {
    pub status: i64,
    pub body: Option<String>,
    pub raw: ApiGatewayV2httpResponse,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(self.body.as_deref().unwrap_or("")).unwrap_or_else(|e| {
            panic!("body is not JSON ({e}): {:?}", self.body);
        })
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error.code in {:?}", self.body))
            .to_owned()
    }
}

pub async fn send(w: &World, r: Req) -> Resp {
    let raw = handle_routed(r.event(), &w.deps, &w.auth).await;
    let body = match &raw.body {
        None | Some(Body::Empty) => None,
        Some(Body::Text(s)) => Some(s.clone()),
        Some(Body::Binary(b)) => Some(String::from_utf8_lossy(b).into_owned()),
    };
    Resp {
        status: raw.status_code,
        body,
        raw,
    }
}

pub async fn expect_error(w: &World, r: Req, status: i64, code: &str) -> Resp {
    let desc = format!("{} {} {:?}", r.method, r.path, r.body);
    let resp = send(w, r).await;
    assert_eq!(resp.status, status, "{desc}: {:?}", resp.body);
    assert_eq!(resp.code(), code, "{desc}");
    assert!(
        resp.json()["error"]["message"].is_string(),
        "{desc}: error.message"
    );
    resp
}

pub fn new_file(name: &str, size: u64, content_type: &str) -> Value {
    json!({"name": name, "size": size, "content_type": content_type})
}

pub async fn create(w: &World, sub: &str, size: u64) -> String {
    let r = send(
        w,
        req("POST", "/files")
            .by(sub)
            .json(new_file("photo.png", size, "image/png")),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()["file"]["id"].as_str().unwrap().to_owned()
}

pub async fn accept(w: &World, sub: &str, id: &str) {
    let o = OwnerId::parse(sub).unwrap();
    let file = w
        .ledger
        .get_file(&o, &FileId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let s = Settlement {
        status: FileStatus::Accepted,
        detected_type: Some("image/png".into()),
        reason: None,
        at: Utc::now(),
        stored_size: Some(file.size),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    };
    assert!(w.ledger.settle(&file, &s).await.unwrap());
}

// ---------------------------------------------------------------- basics

/// An accepted file of Alice's, shared with `body`: its id and the share's JSON.
pub async fn shared(w: &World, body: serde_json::Value) -> (String, serde_json::Value) {
    let id = create(w, ALICE, 100).await;
    accept(w, ALICE, &id).await;
    let r = send(
        w,
        req("POST", &format!("/files/{id}/shares"))
            .by(ALICE)
            .json(body),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    (id, r.json()["share"].clone())
}
