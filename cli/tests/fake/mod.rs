//! An in-process fake of the Dropgate API and of S3's presigned PUT/GET, for driving the
//! `dropgate` binary. It follows docs/API.md (routes, bodies, error shapes, part and completion
//! rules), with two liberties to keep tests fast: any part size (the real server's minimum is
//! 8 MiB) and a verdict after a poll or two instead of a pipeline. The malware gate follows the
//! names: a file passes its type verdict into `scanning`, and the next read ends it `accepted`
//! (clean), `rejected` `malware_found` (a name with `eicar`) or `held` (a name with
//! `unscannable`). Faults are scripted per part number; every request worth asserting on is
//! logged.

// Not every test uses every helper; handlers return a ready error response as `Err`.
#![allow(dead_code, clippy::result_large_err)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const EMAIL: &str = "ada@example.com";
pub const PASSWORD: &str = "Correct1horse";

/// What a part's storage PUT answers before it succeeds: a status, or `HANG` (never answers).
pub const HANG: u16 = 0;

#[derive(Default)]
pub struct Faults {
    /// Per part number (0: a single PUT), statuses answered in turn before the real answer.
    pub parts: HashMap<u32, VecDeque<u16>>,
}

pub struct Config {
    pub single_put_max: u64,
    pub part_size: u64,
    pub quota_bytes: u64,
    /// Hash the bytes (etag = their SHA-256); off for the large memory test.
    pub hash: bool,
    /// Status reads before a verdict.
    pub polls_before_verdict: u32,
    /// Malware scanning on: a file that passes its type goes `scanning` first, and a scan
    /// result needs one read more. Off: accepted on its type, `scan: {"status": "off"}`.
    pub scanning: bool,
    /// Reads a scanning file answers `scanning` before its result (after the first).
    pub scan_reads: u32,
    pub id_token_ttl: u64,
    /// After this many parts land, every URL handed out so far expires (403), once.
    pub expire_urls_after_parts: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            single_put_max: 1 << 20,
            part_size: 1 << 20,
            quota_bytes: 1 << 30,
            hash: true,
            polls_before_verdict: 1,
            scanning: true,
            scan_reads: 0,
            id_token_ttl: 3600,
            expire_urls_after_parts: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Part {
    pub size: u64,
    pub etag: String,
}

pub struct FakeFile {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub status: String,
    pub reason: Option<String>,
    pub via_link: Option<String>,
    pub uploader: Value,
    /// `Some` while a multipart upload is open.
    pub multipart: Option<BTreeMap<u32, Part>>,
    pub part_count: u32,
    pub received: bool,
    pub data: Option<Vec<u8>>,
    pub polls: u32,
    /// The parts' etags at completion, by number.
    pub assembled: Vec<String>,
    /// The scan's result once there is one (`{status, threats?, scanned_at?}`).
    pub scan: Option<Value>,
    /// Reads answered while scanning.
    pub scan_reads: u32,
}

pub struct FakeLink {
    pub id: String,
    pub label: String,
    pub token: String,
    pub max_uploads: u64,
    pub uploads_used: u64,
    pub revoked: bool,
    pub require_uploader_name: bool,
}

pub struct FakeState {
    pub config: Config,
    pub faults: Faults,
    pub files: BTreeMap<String, FakeFile>,
    pub receipts: HashMap<String, String>,
    pub links: Vec<FakeLink>,
    pub id_token: String,
    pub refresh_token: String,
    pub refresh_dead: bool,
    pub url_generation: u64,
    pub log: Vec<String>,
    next: u64,
}

pub struct Fake {
    pub base: String,
    inner: Arc<Inner>,
}

pub struct Inner {
    state: Mutex<FakeState>,
    base: String,
}

type Shared = Arc<Inner>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, FakeState> {
    s.state.lock().unwrap()
}

impl Fake {
    pub async fn start(config: Config) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let state = FakeState {
            config,
            faults: Faults::default(),
            files: BTreeMap::new(),
            receipts: HashMap::new(),
            links: Vec::new(),
            id_token: "id-1".into(),
            refresh_token: "refresh-1".into(),
            refresh_dead: false,
            url_generation: 0,
            log: Vec::new(),
            next: 1,
        };
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            base: base.clone(),
        });
        let app = Router::new()
            .route("/auth/login", post(login))
            .route("/auth/refresh", post(refresh))
            .route("/auth/logout", post(logout))
            .route("/files", post(create_file).get(list_files))
            .route("/files/{id}", get(get_file).delete(delete_file))
            .route("/files/{id}/parts", post(file_part_urls).get(file_parts))
            .route("/files/{id}/complete", post(file_complete))
            .route("/files/{id}/download", get(download_url))
            .route("/quota", get(quota))
            .route("/links", post(create_link).get(list_links))
            .route("/links/{id}", axum::routing::delete(revoke_link))
            .route("/drop/{token}", get(drop_info))
            .route("/drop/{token}/files", post(drop_file))
            .route("/drop/receipts/{receipt}", get(receipt_status))
            .route(
                "/drop/receipts/{receipt}/parts",
                post(receipt_part_urls).get(receipt_parts),
            )
            .route("/drop/receipts/{receipt}/complete", post(receipt_complete))
            .route("/s3/{id}/{part}", put(storage_put))
            .route("/s3get/{id}", get(storage_get))
            .with_state(inner.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake { base, inner }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.inner.state.lock().unwrap()
    }

    /// Scripts part `n`'s storage answers before its real one.
    pub fn fail_part(&self, n: u32, statuses: &[u16]) {
        self.state()
            .faults
            .parts
            .insert(n, statuses.iter().copied().collect());
    }

    pub fn log(&self) -> Vec<String> {
        self.state().log.clone()
    }

    pub fn clear_log(&self) {
        self.state().log.clear();
    }

    /// The id token the client holds stops working (as if it expired early).
    pub fn rotate_id_token(&self) {
        let mut s = self.state();
        s.next += 1;
        s.id_token = format!("id-{}", s.next);
    }

    /// Every part URL handed out so far stops working (403), as after 15 minutes.
    pub fn expire_urls(&self) {
        self.state().url_generation += 1;
    }

    pub fn kill_refresh_token(&self) {
        self.state().refresh_dead = true;
    }
}

fn err(status: u16, code: &str, message: &str, extra: Value) -> Response {
    let mut e = json!({ "code": code, "message": message });
    if let (Value::Object(extra), Value::Object(obj)) = (extra, &mut e) {
        obj.extend(extra);
    }
    (
        StatusCode::from_u16(status).unwrap(),
        axum::Json(json!({ "error": e })),
    )
        .into_response()
}

fn ok(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn unauthorized(headers: &HeaderMap, s: &FakeState) -> Option<Response> {
    let want = format!("Bearer {}", s.id_token);
    let given = headers.get("authorization").and_then(|v| v.to_str().ok());
    (given != Some(want.as_str()))
        .then(|| err(401, "unauthorized", "missing or invalid token", json!({})))
}

fn next_id(s: &mut FakeState, prefix: &str) -> String {
    s.next += 1;
    format!("{prefix}{:04}", s.next)
}

async fn login(State(st): State<Shared>, axum::Json(b): axum::Json<Value>) -> Response {
    let mut s = lock(&st);
    s.log.push("POST /auth/login".into());
    if b["email"] != EMAIL || b["password"] != PASSWORD {
        return err(
            401,
            "invalid_credentials",
            "wrong email or password",
            json!({}),
        );
    }
    s.refresh_dead = false;
    ok(
        200,
        json!({"id_token": s.id_token, "access_token": "access", "refresh_token": s.refresh_token,
               "expires_in": s.config.id_token_ttl}),
    )
}

async fn refresh(State(st): State<Shared>, axum::Json(b): axum::Json<Value>) -> Response {
    let mut s = lock(&st);
    s.log.push("POST /auth/refresh".into());
    if s.refresh_dead || b["refresh_token"] != s.refresh_token.as_str() {
        return err(
            401,
            "invalid_token",
            "the refresh token is not valid",
            json!({}),
        );
    }
    s.next += 1;
    s.id_token = format!("id-{}", s.next);
    ok(
        200,
        json!({"id_token": s.id_token, "access_token": "access", "refresh_token": s.refresh_token,
               "expires_in": s.config.id_token_ttl}),
    )
}

/// As the API: the body's refresh token is revoked (it refreshes nothing afterwards).
async fn logout(State(st): State<Shared>, axum::Json(b): axum::Json<Value>) -> Response {
    let mut s = lock(&st);
    s.log.push("POST /auth/logout".into());
    if b["refresh_token"] == s.refresh_token.as_str() {
        s.refresh_dead = true;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// As the API: pending until the scan's result counts; threat names for the owner only.
fn scan_view(f: &FakeFile, owner: bool) -> Value {
    let mut scan = match &f.scan {
        Some(scan) if !matches!(f.status.as_str(), "pending" | "scanning") => scan.clone(),
        _ => json!({"status": "pending"}),
    };
    if !owner {
        scan.as_object_mut().unwrap().remove("threats");
    }
    scan
}

fn view(f: &FakeFile) -> Value {
    json!({"id": f.id, "name": f.name, "size": f.size, "content_type": f.content_type,
           "status": f.status, "detected_type": (f.status == "accepted").then(|| f.content_type.clone()),
           "reason": f.reason, "created_at": "2026-11-22T10:00:00.000Z",
           "via_link": f.via_link, "uploader": f.uploader, "scan": scan_view(f, true)})
}

/// A stranger's receipt: malware is only "refused for safety".
fn receipt_view(f: &FakeFile) -> Value {
    let reason = match f.reason.as_deref() {
        Some("malware_found") => Some("refused_for_safety"),
        other => other,
    };
    json!({"name": f.name, "size": f.size, "status": f.status, "reason": reason,
           "detected_type": (f.status == "accepted").then(|| f.content_type.clone()),
           "scan": scan_view(f, false)})
}

/// Creates a pending file and its upload instructions, as `POST /files` does.
fn create(
    s: &mut FakeState,
    base: &str,
    b: &Value,
    via_link: Option<String>,
) -> Result<(String, Value), Response> {
    let (Some(name), Some(size), Some(ct)) = (
        b["name"].as_str(),
        b["size"].as_u64(),
        b["content_type"].as_str(),
    ) else {
        return Err(err(400, "invalid_request", "missing field", json!({})));
    };
    if size == 0 {
        return Err(err(
            400,
            "invalid_size",
            "size must be at least 1",
            json!({}),
        ));
    }
    let (used, reserved) = usage(s);
    if used + reserved + size > s.config.quota_bytes {
        return Err(if via_link.is_some() {
            // The uploader has no quota: told the largest file the link takes now.
            let max = free(s).min(LINK_MAX_FILE);
            err(
                413,
                "file_too_large",
                &format!("this link can take files up to {max} bytes"),
                json!({"size": size, "max_file_bytes": max}),
            )
        } else {
            err(
                413,
                "quota_exceeded",
                "quota exceeded",
                json!({"requested_bytes": size, "used_bytes": used, "reserved_bytes": reserved,
                       "limit_bytes": s.config.quota_bytes}),
            )
        });
    }
    let id = next_id(s, "file");
    let multipart = size > s.config.single_put_max;
    let part_count = size.div_ceil(s.config.part_size) as u32;
    let upload = if multipart {
        json!({"method": "multipart", "part_size": s.config.part_size, "part_count": part_count,
               "expires_at": "2026-11-23T10:00:00.000Z"})
    } else {
        json!({"method": "PUT", "url": format!("{base}/s3/{id}/0?gen={}&X-Amz-Signature=secret", s.url_generation),
               "headers": {"content-length": size.to_string(), "content-type": ct, "if-none-match": "*"},
               "expires_at": "2026-11-22T10:15:00.000Z"})
    };
    s.files.insert(
        id.clone(),
        FakeFile {
            id: id.clone(),
            name: name.into(),
            size,
            content_type: ct.into(),
            status: "pending".into(),
            reason: None,
            scan: None,
            scan_reads: 0,
            via_link,
            uploader: b.get("uploader").cloned().unwrap_or(Value::Null),
            multipart: multipart.then(BTreeMap::new),
            part_count: if multipart { part_count } else { 1 },
            received: false,
            data: None,
            polls: 0,
            assembled: Vec::new(),
        },
    );
    Ok((id, upload))
}

fn usage(s: &FakeState) -> (u64, u64) {
    let sum = |status: &str| {
        s.files
            .values()
            .filter(|f| f.status == status)
            .map(|f| f.size)
            .sum::<u64>()
    };
    // Bytes that are there count as used, judged for good or not.
    (
        sum("accepted") + sum("scanning") + sum("held"),
        sum("pending"),
    )
}

async fn create_file(
    State(st): State<Shared>,
    headers: HeaderMap,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    s.log.push("POST /files".into());
    match create(&mut s, &st.base, &b, None) {
        Ok((id, upload)) => ok(201, json!({"file": view(&s.files[&id]), "upload": upload})),
        Err(r) => r,
    }
}

async fn list_files(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    // Pages of 2, to exercise the cursor.
    let all: Vec<&FakeFile> = s.files.values().collect();
    let start: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = all.iter().skip(start).take(2).map(|f| view(f)).collect();
    let next = (start + 2 < all.len()).then(|| (start + 2).to_string());
    ok(200, json!({"files": page, "next_cursor": next}))
}

/// One status read: a pending file whose bytes are all there passes its type (or not) after a
/// poll or two; a scanning one gets its scan result on the next read.
fn judge(s: &mut FakeState, id: &str) {
    let polls_needed = s.config.polls_before_verdict;
    let (scanning, scan_reads) = (s.config.scanning, s.config.scan_reads);
    let f = s.files.get_mut(id).unwrap();
    if !f.received {
        return;
    }
    if f.status == "scanning" && f.scan_reads < scan_reads {
        f.scan_reads += 1;
        return;
    }
    let at = "2026-11-22T10:00:01.000Z";
    match f.status.as_str() {
        "pending" => {
            f.polls += 1;
            if f.polls < polls_needed {
                return;
            }
            if f.name.contains("reject") {
                f.status = "rejected".into();
                f.reason = Some("type_not_allowed".into());
            } else if scanning {
                f.status = "scanning".into();
            } else {
                f.status = "accepted".into();
                f.scan = Some(json!({"status": "off"}));
            }
        }
        "scanning" if f.name.contains("eicar") => {
            f.status = "rejected".into();
            f.reason = Some("malware_found".into());
            f.scan = Some(
                json!({"status": "infected", "threats": ["Eicar-Test-Signature"],
                                 "scanned_at": at}),
            );
        }
        "scanning" if f.name.contains("unscannable") => {
            f.status = "held".into();
            f.scan = Some(json!({"status": "unsupported", "scanned_at": at}));
        }
        "scanning" => {
            f.status = "accepted".into();
            f.scan = Some(json!({"status": "clean", "scanned_at": at}));
        }
        _ => {}
    }
}

async fn get_file(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    if !s.files.contains_key(&id) {
        return err(404, "not_found", "not found", json!({}));
    }
    judge(&mut s, &id);
    ok(200, json!({"file": view(&s.files[&id])}))
}

async fn delete_file(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    s.log.push(format!("DELETE /files/{id}"));
    match s.files.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => err(404, "not_found", "not found", json!({})),
    }
}

fn part_urls(s: &mut FakeState, base: &str, id: &str, b: &Value, missing: &str) -> Response {
    let Some(f) = s
        .files
        .get(id)
        .filter(|f| f.status == "pending" && f.multipart.is_some())
    else {
        return err(404, missing, "not found", json!({}));
    };
    let Some(numbers) = b["part_numbers"].as_array() else {
        return err(400, "invalid_request", "part_numbers", json!({}));
    };
    if numbers.is_empty() || numbers.len() > 100 {
        return err(400, "invalid_request", "1-100 part numbers", json!({}));
    }
    let mut parts = Vec::new();
    let mut seen = Vec::new();
    for n in numbers {
        let Some(n) = n.as_u64().map(|n| n as u32) else {
            return err(400, "invalid_request", "not an integer", json!({}));
        };
        if n == 0 || n > f.part_count {
            return err(
                400,
                "invalid_part_number",
                "no such part",
                json!({"part_count": f.part_count}),
            );
        }
        if seen.contains(&n) {
            return err(400, "invalid_request", "repeated", json!({}));
        }
        seen.push(n);
        let len = if n == f.part_count {
            f.size - u64::from(n - 1) * s.config.part_size
        } else {
            s.config.part_size
        };
        parts.push(json!({"number": n,
            "url": format!("{base}/s3/{id}/{n}?gen={}&X-Amz-Signature=secret", s.url_generation),
            "headers": {"content-length": len.to_string()},
            "expires_at": "2026-11-22T10:15:00.000Z"}));
    }
    let list: Vec<String> = seen.iter().map(u32::to_string).collect();
    s.log.push(format!("POST parts {}", list.join(",")));
    ok(200, json!({"parts": parts}))
}

fn listing(s: &mut FakeState, id: &str, missing: &str) -> Response {
    s.log.push("GET parts".into());
    let part_size = s.config.part_size;
    match s
        .files
        .get(id)
        .filter(|f| f.status == "pending")
        .and_then(|f| f.multipart.as_ref().map(|m| (f, m)))
    {
        Some((f, m)) => {
            let parts: Vec<Value> = m
                .iter()
                .map(|(n, p)| json!({"number": n, "size": p.size, "etag": p.etag}))
                .collect();
            ok(
                200,
                json!({"part_size": part_size, "part_count": f.part_count, "parts": parts}),
            )
        }
        None => err(404, missing, "not found", json!({})),
    }
}

fn complete(s: &mut FakeState, id: &str, b: &Value, missing: &str) -> Response {
    s.log.push("POST complete".into());
    let part_size = s.config.part_size;
    let Some(f) = s.files.get_mut(id) else {
        return err(404, missing, "not found", json!({}));
    };
    let Some(m) = &f.multipart else {
        // Completing again is 200.
        return if f.received {
            ok(200, json!({"file": view(f)}))
        } else {
            err(404, missing, "not found", json!({}))
        };
    };
    let given: HashMap<u64, String> = b["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p["number"].as_u64()?,
                p["etag"].as_str()?.trim_matches('"').to_owned(),
            ))
        })
        .collect();
    let (mut missing_parts, mut wrong_size, mut mismatched) = (vec![], vec![], vec![]);
    for n in 1..=f.part_count {
        let want = if n == f.part_count {
            f.size - u64::from(n - 1) * part_size
        } else {
            part_size
        };
        match m.get(&n) {
            None => missing_parts.push(n),
            Some(p) if p.size != want => wrong_size.push(n),
            Some(p) if given.get(&u64::from(n)).is_some_and(|e| *e != p.etag) => mismatched.push(n),
            _ => {}
        }
    }
    if !(missing_parts.is_empty() && wrong_size.is_empty() && mismatched.is_empty()) {
        return err(
            409,
            "incomplete_upload",
            "parts are missing",
            json!({"missing_parts": missing_parts, "wrong_size_parts": wrong_size, "mismatched_parts": mismatched}),
        );
    }
    f.assembled = m.values().map(|p| p.etag.clone()).collect();
    f.multipart = None;
    f.received = true;
    ok(200, json!({"file": view(f)}))
}

async fn file_part_urls(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    part_urls(&mut s, &st.base, &id, &b, "not_found")
}

async fn file_parts(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    listing(&mut s, &id, "not_found")
}

async fn file_complete(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    complete(&mut s, &id, &b, "not_found")
}

async fn download_url(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    match s.files.get(&id) {
        None => err(404, "not_found", "not found", json!({})),
        Some(f) if f.status != "accepted" => {
            err(409, "not_ready", "the file is not accepted", json!({}))
        }
        Some(_) => ok(
            200,
            json!({"url": format!("{}/s3get/{id}?X-Amz-Signature=secret", st.base),
                                  "expires_at": "2026-11-22T10:15:00.000Z"}),
        ),
    }
}

async fn quota(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    let (used, reserved) = usage(&s);
    let files = s
        .files
        .values()
        .filter(|f| !matches!(f.status.as_str(), "rejected" | "expired"))
        .count();
    ok(
        200,
        json!({"used_bytes": used, "reserved_bytes": reserved, "limit_bytes": s.config.quota_bytes, "files": files}),
    )
}

fn link_view(l: &FakeLink) -> Value {
    json!({"id": l.id, "label": l.label, "expires_at": "2026-11-25T10:00:00.000Z",
           "max_uploads": l.max_uploads, "uploads_used": l.uploads_used,
           "uploads_left": l.max_uploads - l.uploads_used, "max_file_bytes": 1u64 << 30,
           "max_total_bytes": null, "bytes_used": 0, "bytes_left": null,
           "allowed_types": ["application/pdf", "text/plain"],
           "require_uploader_name": l.require_uploader_name, "revoked": l.revoked,
           "state": if l.revoked { "revoked" } else { "active" }, "created_at": "2026-11-22T10:00:00.000Z"})
}

async fn create_link(
    State(st): State<Shared>,
    headers: HeaderMap,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    s.log.push(format!("POST /links {b}"));
    let id = next_id(&mut s, "link");
    let token = format!("Tok{}abcdefghijklmnopqrstuvwxyz_-0123456789", s.next);
    let link = FakeLink {
        id,
        label: b["label"].as_str().unwrap_or("").into(),
        token: token.clone(),
        max_uploads: b["max_uploads"].as_u64().unwrap_or(10),
        uploads_used: 0,
        revoked: false,
        require_uploader_name: b["require_uploader_name"].as_bool().unwrap_or(false),
    };
    let mut v = link_view(&link);
    v["url"] = format!("{}/d/{token}", st.base).into();
    v["token"] = token.into();
    s.links.push(link);
    ok(201, json!({"link": v}))
}

async fn list_links(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    let links: Vec<Value> = s.links.iter().map(link_view).collect();
    ok(200, json!({"links": links, "next_cursor": null}))
}

async fn revoke_link(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut s = lock(&st);
    if let Some(r) = unauthorized(&headers, &s) {
        return r;
    }
    match s.links.iter_mut().find(|l| l.id == id) {
        Some(l) => {
            l.revoked = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => err(404, "not_found", "not found", json!({})),
    }
}

fn usable_link<'a>(s: &'a mut FakeState, token: &str) -> Result<&'a mut FakeLink, Response> {
    match s.links.iter_mut().find(|l| l.token == token) {
        None => Err(err(404, "link_not_found", "no such link", json!({}))),
        Some(l) if l.revoked => Err(err(
            410,
            "link_revoked",
            "this upload link was revoked by its owner",
            json!({}),
        )),
        Some(l) if l.uploads_used >= l.max_uploads => Err(err(
            410,
            "link_used_up",
            "this upload link has no uploads left",
            json!({}),
        )),
        Some(l) => Ok(l),
    }
}

/// The per-file limit of every fake link.
const LINK_MAX_FILE: u64 = 1 << 30;

/// The owner's free space: quota less used and reserved.
fn free(s: &FakeState) -> u64 {
    let (used, reserved) = usage(s);
    s.config.quota_bytes.saturating_sub(used + reserved)
}

async fn drop_info(State(st): State<Shared>, Path(token): Path<String>) -> Response {
    let mut s = lock(&st);
    // The largest file the link takes now: its own limit, or the owner's free space.
    let max_file = free(&s).min(LINK_MAX_FILE);
    match usable_link(&mut s, &token) {
        Ok(l) => ok(
            200,
            json!({"label": l.label, "expires_at": "2026-11-25T10:00:00.000Z",
            "uploads_left": l.max_uploads - l.uploads_used, "max_file_bytes": max_file,
            "bytes_left": null, "allowed_types": ["application/pdf", "text/plain"],
            "require_uploader_name": l.require_uploader_name}),
        ),
        Err(r) => r,
    }
}

async fn drop_file(
    State(st): State<Shared>,
    Path(token): Path<String>,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    let mut s = lock(&st);
    s.log.push("POST /drop/files".into());
    let (link_id, needs_name) = match usable_link(&mut s, &token) {
        Ok(l) => (l.id.clone(), l.require_uploader_name),
        Err(r) => return r,
    };
    if needs_name && b["uploader"]["name"].as_str().is_none() {
        return err(
            400,
            "uploader_name_required",
            "this link asks for the uploader's name",
            json!({}),
        );
    }
    match create(&mut s, &st.base, &b, Some(link_id.clone())) {
        Ok((id, upload)) => {
            if let Some(l) = s.links.iter_mut().find(|l| l.id == link_id) {
                l.uploads_used += 1;
            }
            let receipt = format!("rcpt-{id}");
            s.receipts.insert(receipt.clone(), id.clone());
            ok(
                201,
                json!({"file": view(&s.files[&id]), "upload": upload, "receipt": receipt}),
            )
        }
        Err(r) => r,
    }
}

/// Runs `f` on the file a receipt names, or answers 404 `receipt_not_found`.
fn with_receipt(
    st: &Shared,
    receipt: &str,
    f: impl FnOnce(&mut FakeState, String) -> Response,
) -> Response {
    let mut s = lock(st);
    match s
        .receipts
        .get(receipt)
        .filter(|id| s.files.contains_key(*id))
        .cloned()
    {
        Some(id) => f(&mut s, id),
        None => err(404, "receipt_not_found", "no such receipt", json!({})),
    }
}

async fn receipt_status(State(st): State<Shared>, Path(receipt): Path<String>) -> Response {
    with_receipt(&st, &receipt, |s, id| {
        judge(s, &id);
        ok(200, json!({"file": receipt_view(&s.files[&id])}))
    })
}

async fn receipt_part_urls(
    State(st): State<Shared>,
    Path(receipt): Path<String>,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    with_receipt(&st, &receipt, |s, id| {
        part_urls(s, &st.base, &id, &b, "receipt_not_found")
    })
}

async fn receipt_parts(State(st): State<Shared>, Path(receipt): Path<String>) -> Response {
    with_receipt(&st, &receipt, |s, id| listing(s, &id, "receipt_not_found"))
}

async fn receipt_complete(
    State(st): State<Shared>,
    Path(receipt): Path<String>,
    axum::Json(b): axum::Json<Value>,
) -> Response {
    with_receipt(&st, &receipt, |s, id| {
        complete(s, &id, &b, "receipt_not_found")
    })
}

/// S3's presigned PUT, for a single upload (`part` 0) or one part. Reads the whole body
/// (streamed, never held unless small), then answers: a scripted fault first, if any.
async fn storage_put(
    State(st): State<Shared>,
    Path((id, part)): Path<(String, u32)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fault, expected, hash, single_headers_ok, fresh) = {
        let mut s = lock(&st);
        s.log.push(if part == 0 {
            "PUT single".into()
        } else {
            format!("PUT part {part}")
        });
        let fault = s.faults.parts.get_mut(&part).and_then(VecDeque::pop_front);
        let Some(f) = s.files.get(&id) else {
            return (StatusCode::NOT_FOUND, "NoSuchUpload").into_response();
        };
        let expected = if part == 0 {
            f.size
        } else if part == f.part_count {
            f.size - u64::from(part - 1) * s.config.part_size
        } else {
            s.config.part_size
        };
        let h = |k: &str| {
            headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let single_ok = part != 0
            || (h("if-none-match").as_deref() == Some("*")
                && h("content-type").as_deref() == Some(f.content_type.as_str()));
        let fresh = q.get("gen").and_then(|g| g.parse::<u64>().ok()) == Some(s.url_generation);
        let length_ok = h("content-length").and_then(|v| v.parse::<u64>().ok()) == Some(expected);
        (
            fault,
            expected,
            s.config.hash,
            single_ok && length_ok,
            fresh,
        )
    };
    if fault == Some(HANG) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let mut stream = body.into_data_stream();
    let mut n = 0u64;
    let mut hasher = Sha256::new();
    let mut data = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return (StatusCode::BAD_REQUEST, "IncompleteBody").into_response();
        };
        n += chunk.len() as u64;
        if hash {
            hasher.update(&chunk);
        }
        if part == 0 && expected <= 1 << 20 {
            data.extend_from_slice(&chunk);
        }
    }
    if let Some(status) = fault {
        return (StatusCode::from_u16(status).unwrap(), "InjectedFault").into_response();
    }
    if !fresh || !single_headers_ok {
        return (StatusCode::FORBIDDEN, "SignatureDoesNotMatch").into_response();
    }
    if n != expected {
        return (StatusCode::BAD_REQUEST, "IncompleteBody").into_response();
    }
    let etag = if hash {
        hex::encode(hasher.finalize())
    } else {
        format!("etag-{part}-{n}")
    };
    let mut s = lock(&st);
    let Some(f) = s.files.get_mut(&id) else {
        return (StatusCode::NOT_FOUND, "NoSuchUpload").into_response();
    };
    if part == 0 {
        if f.received {
            return (StatusCode::PRECONDITION_FAILED, "PreconditionFailed").into_response();
        }
        f.received = true;
        f.data = Some(data);
    } else {
        match &mut f.multipart {
            Some(m) => {
                m.insert(
                    part,
                    Part {
                        size: n,
                        etag: etag.clone(),
                    },
                );
                if let Some(left) = s.config.expire_urls_after_parts.as_mut() {
                    *left = left.saturating_sub(1);
                    if *left == 0 {
                        s.config.expire_urls_after_parts = None;
                        s.url_generation += 1;
                    }
                }
            }
            None => return (StatusCode::NOT_FOUND, "NoSuchUpload").into_response(),
        }
    }
    ([("etag", format!("\"{etag}\""))], StatusCode::OK).into_response()
}

async fn storage_get(State(st): State<Shared>, Path(id): Path<String>) -> Response {
    let s = lock(&st);
    match s.files.get(&id).and_then(|f| f.data.clone()) {
        Some(data) => (StatusCode::OK, data).into_response(),
        None => (StatusCode::NOT_FOUND, "NoSuchKey").into_response(),
    }
}
