//! End to end, over HTTP: the ready line, accounts, the presigned upload path, listing,
//! download, deletion, isolation between owners, bad input, and the quota under concurrency.

use crate::common;

use base64::Engine;
use common::{LocalStack, PASSWORD, samples};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_line_names_every_resource() {
    let stack = LocalStack::start().await;
    let r = &stack.ready["resources"];
    for key in [
        "bucket",
        "queue_url",
        "dlq_url",
        "topic_arn",
        "user_pool_id",
        "user_pool_client_id",
    ] {
        assert!(
            r[key].as_str().is_some_and(|v| !v.is_empty()),
            "resources.{key} in {r}"
        );
    }
    for t in ["files", "quotas", "upload_log"] {
        assert!(
            r["tables"][t].as_str().is_some_and(|v| !v.is_empty()),
            "tables.{t}"
        );
    }
    let (s, b) = stack.call(Method::GET, "/health", None, None).await;
    assert_eq!((s, b), (200, json!({"status": "ok"})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_sign_up_log_in_refresh_and_refuse_bad_tokens() {
    let stack = LocalStack::start().await;
    let creds = json!({"email": "ada@example.com", "password": PASSWORD});
    assert_eq!(stack.post("/auth/signup", None, creds.clone()).await.0, 201);
    // A taken address answers as a new one would (its owner gets a mail instead).
    let (s, b) = stack.post("/auth/signup", None, creds.clone()).await;
    assert_eq!(
        (s, b),
        (201, json!({"email": "ada@example.com", "confirmed": true}))
    );
    let (s, b) = stack
        .post(
            "/auth/signup",
            None,
            json!({"email": "not-an-email", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_email"))
    );
    let (s, b) = stack
        .post(
            "/auth/signup",
            None,
            json!({"email": "b@example.com", "password": "short"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("weak_password"))
    );

    let (s, tokens) = stack.post("/auth/login", None, creds).await;
    assert_eq!(s, 200, "{tokens}");
    for k in ["id_token", "access_token", "refresh_token"] {
        assert!(tokens[k].as_str().is_some_and(|t| t.len() > 20), "{k}");
    }
    assert!(tokens["expires_in"].as_i64().is_some_and(|n| n > 0));
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": "ada@example.com", "password": "Wrong1horse"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("invalid_credentials"))
    );

    let (s, refreshed) = stack
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(s, 200, "{refreshed}");
    let id = tokens["id_token"].as_str().unwrap();
    assert_eq!(stack.get("/quota", id).await.0, 200);
    assert_eq!(
        stack
            .get("/quota", refreshed["id_token"].as_str().unwrap())
            .await
            .0,
        200
    );

    // Logout revokes the refresh token at the directory: it refreshes nothing afterwards, and
    // logging out again is still a 204. The id tokens already issued live out their hour.
    let session = json!({"refresh_token": tokens["refresh_token"]});
    for _ in 0..2 {
        let (s, b) = stack.post("/auth/logout", None, session.clone()).await;
        assert_eq!(s, 204, "{b}");
    }
    let (s, b) = stack.post("/auth/refresh", None, session).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );

    // Missing, forged, access-instead-of-id, alg none: all 401 before the handler runs.
    let (s, b) = stack.call(Method::GET, "/files", None, None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    // Routed before authorized, as API Gateway does: no token is asked of an unknown path or
    // method. The bearer scheme is case-insensitive.
    for (method, path, status, code) in [
        (Method::GET, "/nope", 404, "not_found"),
        (Method::PUT, "/files", 405, "method_not_allowed"),
    ] {
        let (s, b) = stack.call(method, path, None, None).await;
        assert_eq!((s, b["error"]["code"].as_str()), (status, Some(code)));
    }
    let lower = stack
        .http
        .get(format!("{}/quota", stack.api))
        .header("authorization", format!("bearer {id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(lower.status(), 200);

    let mut forged = id.to_owned();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(stack.get("/files", &forged).await.0, 401);
    assert_eq!(
        stack
            .get("/files", tokens["access_token"].as_str().unwrap())
            .await
            .0,
        401
    );
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = id.split('.').nth(1).unwrap();
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        payload
    );
    assert_eq!(stack.get("/files", &none).await.0, 401);
    // A token whose claims were edited (another sub) no longer verifies.
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(payload).unwrap()).unwrap();
    claims["sub"] = json!("someone-else");
    let parts: Vec<&str> = id.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    assert_eq!(stack.get("/files", &tampered).await.0, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_list_download_delete_round_trip() {
    let stack = LocalStack::start().await;
    let token = stack.user("ada@example.com").await;
    let bytes = samples::png();
    let name = "holiday photo + 100% ✓.png";
    let created = stack.create(&token, name, bytes.len(), "image/png").await;
    let file = &created["file"];
    let id = file["id"].as_str().unwrap().to_owned();
    assert_eq!(file["status"], "pending");
    assert_eq!(file["name"], name);
    for k in [
        "id",
        "name",
        "size",
        "content_type",
        "status",
        "detected_type",
        "reason",
        "created_at",
    ] {
        assert!(file.get(k).is_some(), "file.{k}");
    }
    let upload = &created["upload"];
    let url = upload["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires="), "{url}");
    let expires: u64 = url
        .split("X-Amz-Expires=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires <= 900);
    let signed = url
        .split("X-Amz-SignedHeaders=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        signed.contains("content-length") && signed.contains("content-type"),
        "{signed}"
    );
    assert_eq!(upload["headers"]["content-type"], "image/png");
    assert_eq!(upload["headers"]["content-length"], bytes.len().to_string());
    assert!(!url.contains("holiday"), "no user text in keys: {url}");

    // Pending: quota reserved, download refused.
    let (_, q) = stack.get("/quota", &token).await;
    assert_eq!(q["reserved_bytes"], bytes.len());
    let (s, b) = stack.get(&format!("/files/{id}/download"), &token).await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("not_ready")));

    assert_eq!(stack.put(&created, bytes.clone()).await, 200);
    let settled = stack.settled(&token, &id).await;
    assert_eq!(settled["status"], "accepted", "{settled}");
    assert_eq!(settled["detected_type"], "image/png");
    let (_, q) = stack.get("/quota", &token).await;
    assert_eq!(
        q,
        json!({"used_bytes": bytes.len(), "reserved_bytes": 0, "limit_bytes": q["limit_bytes"], "files": 1})
    );

    let (s, listing) = stack.get("/files", &token).await;
    assert_eq!(s, 200);
    assert_eq!(listing["files"][0]["id"], id.as_str());
    assert!(listing["next_cursor"].is_null());

    let (s, d) = stack.get(&format!("/files/{id}/download"), &token).await;
    assert_eq!(s, 200, "{d}");
    assert!(d["expires_at"].as_str().is_some());
    let resp = stack
        .http
        .get(d["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let cd = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.starts_with("attachment; filename=\""), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''holiday%20photo%20+%20100%25%20%E2%9C%93.png"),
        "{cd}"
    );
    assert_eq!(
        resp.bytes().await.unwrap().to_vec(),
        bytes,
        "downloaded bytes differ"
    );

    let (s, b) = stack
        .call(Method::DELETE, &format!("/files/{id}"), Some(&token), None)
        .await;
    assert_eq!((s, b), (204, serde_json::Value::Null));
    assert_eq!(stack.get(&format!("/files/{id}"), &token).await.0, 404);
    let (_, q) = stack.get("/quota", &token).await;
    assert_eq!(
        (q["used_bytes"].as_u64(), q["files"].as_u64()),
        (Some(0), Some(0))
    );
    let owner_key = url
        .split("/uploads/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    assert!(
        stack
            .raw_object(&format!("uploads/{owner_key}"))
            .await
            .is_none(),
        "object gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_and_isolation_between_owners() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada@example.com").await;
    let bob = stack.user("bob@example.com").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let c = stack
            .create(&ada, &format!("f{i}.txt"), 10, "text/plain")
            .await;
        ids.push(c["file"]["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let path = match &cursor {
            Some(c) => format!("/files?limit=2&cursor={c}"),
            None => "/files?limit=2".into(),
        };
        let (s, page) = stack.get(&path, &ada).await;
        assert_eq!(s, 200, "{page}");
        assert!(page["files"].as_array().unwrap().len() <= 2);
        seen.extend(
            page["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    assert_eq!(
        stack.get("/files?limit=0", &ada).await.1["error"]["code"],
        "invalid_limit"
    );
    assert_eq!(
        stack.get("/files?cursor=zz", &ada).await.1["error"]["code"],
        "invalid_cursor"
    );

    // Bob sees nothing of Ada's, and every route on her file is 404 for him.
    let (_, bobs) = stack.get("/files", &bob).await;
    assert_eq!(bobs["files"], json!([]));
    let id = &ids[0];
    assert_eq!(stack.get(&format!("/files/{id}"), &bob).await.0, 404);
    assert_eq!(
        stack.get(&format!("/files/{id}/download"), &bob).await.0,
        404
    );
    let (s, _) = stack
        .call(Method::DELETE, &format!("/files/{id}"), Some(&bob), None)
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        stack.get(&format!("/files/{id}"), &ada).await.0,
        200,
        "still there for Ada"
    );
    assert_eq!(stack.get("/files/not-a-real-id", &ada).await.0, 404);
    assert_eq!(stack.get("/files/..%2F..%2Fetc", &ada).await.0, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_stable_4xx_codes() {
    let stack = LocalStack::start_with(&[("QUOTA_BYTES", "1000"), ("MAX_FILE_BYTES", "800")]).await;
    let t = stack.user("ada@example.com").await;
    let t = Some(t.as_str());
    let cases: Vec<(&str, u16, &str)> = vec![
        ("{not json", 400, "invalid_json"),
        ("", 400, "invalid_json"),
        ("[1,2]", 400, "invalid_request"),
        (
            r#"{"name":"a.txt","size":"12","content_type":"text/plain"}"#,
            400,
            "invalid_request",
        ),
        (
            r#"{"name":"a.txt","size":-1,"content_type":"text/plain"}"#,
            400,
            "invalid_request",
        ),
        (
            r#"{"name":"a.txt","size":1.5,"content_type":"text/plain"}"#,
            400,
            "invalid_request",
        ),
        (
            r#"{"name":"a.txt","size":1e40,"content_type":"text/plain"}"#,
            400,
            "invalid_request",
        ),
        (
            r#"{"size":12,"content_type":"text/plain"}"#,
            400,
            "invalid_request",
        ),
        (
            r#"{"name":12,"size":12,"content_type":"text/plain"}"#,
            400,
            "invalid_request",
        ),
        (
            r#"{"name":"a.txt","size":0,"content_type":"text/plain"}"#,
            400,
            "invalid_size",
        ),
        (
            r#"{"name":"a\u0000b.txt","size":5,"content_type":"text/plain"}"#,
            400,
            "invalid_name",
        ),
        (
            r#"{"name":"dir/","size":5,"content_type":"text/plain"}"#,
            400,
            "invalid_name",
        ),
        (
            r#"{"name":"a.exe","size":5,"content_type":"application/x-msdownload"}"#,
            415,
            "unsupported_type",
        ),
        (
            r#"{"name":"a.txt","size":801,"content_type":"text/plain"}"#,
            413,
            "file_too_large",
        ),
    ];
    for (body, status, code) in cases {
        let (s, b) = stack.call(Method::POST, "/files", t, Some(body)).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            b["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let huge = "n".repeat(10_000);
    let (s, b) = stack
        .post(
            "/files",
            t,
            json!({"name": huge, "size": 5, "content_type": "text/plain"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_name"))
    );
    // Path separators are never kept.
    let (s, b) = stack
        .post(
            "/files",
            t,
            json!({"name": "../../etc/passwd", "size": 5, "content_type": "text/plain"}),
        )
        .await;
    assert_eq!((s, b["file"]["name"].as_str()), (201, Some("passwd")));
    // Quota: 5 reserved, 800 more fits, then 196 does not.
    assert_eq!(
        stack
            .post(
                "/files",
                t,
                json!({"name": "b", "size": 800, "content_type": "text/plain"})
            )
            .await
            .0,
        201
    );
    let (s, b) = stack
        .post(
            "/files",
            t,
            json!({"name": "c", "size": 196, "content_type": "text/plain"}),
        )
        .await;
    assert_eq!(s, 413, "{b}");
    assert_eq!(b["error"]["code"], "quota_exceeded");
    assert_eq!(
        (
            b["error"]["used_bytes"].as_u64(),
            b["error"]["reserved_bytes"].as_u64(),
            b["error"]["limit_bytes"].as_u64()
        ),
        (Some(0), Some(805), Some(1000))
    );
    assert_eq!(
        stack
            .post(
                "/files",
                t,
                json!({"name": "d", "size": 195, "content_type": "text/plain"})
            )
            .await
            .0,
        201
    );
    let (s, b) = stack.call(Method::PATCH, "/files", t, None).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let (s, b) = stack.call(Method::GET, "/nowhere", t, None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reservations_never_exceed_the_quota() {
    let stack = std::sync::Arc::new(LocalStack::start_with(&[("QUOTA_BYTES", "10000")]).await);
    let token = stack.user("ada@example.com").await;
    // 20 requests of 700 bytes against 10 000: exactly 14 fit.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let stack = stack.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            stack
                .post(
                    "/files",
                    Some(&token),
                    json!({"name": format!("f{i}"), "size": 700, "content_type": "text/plain"}),
                )
                .await
                .0
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let ok = statuses.iter().filter(|s| **s == 201).count();
    let over = statuses.iter().filter(|s| **s == 413).count();
    assert_eq!((ok, over), (14, 6), "{statuses:?}");
    let (_, q) = stack.get("/quota", &token).await;
    assert_eq!(q["reserved_bytes"], 9800);
    assert_eq!(q["files"], 14);
}

/// Signs `claims` with the emulator's own key (see mint_token.py).
fn mint(claims: serde_json::Value) -> String {
    mint_with_kid(claims, "dummy")
}

/// Signs `claims` with the emulator's key, naming it `kid` in the header.
fn mint_with_kid(claims: serde_json::Value, kid: &str) -> String {
    let python = dropgate_local::emulator::project_root().join(".venv/bin/python");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mint_token.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(claims.to_string())
        .arg(kid)
        .output()
        .expect("run mint_token.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_checks_expiry_issuer_audience_use_and_key() {
    let stack = LocalStack::start().await;
    let pool = stack.resource("user_pool_id");
    let client = stack.resource("user_pool_client_id");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let good = json!({
        "sub": "0b5e2f6a-1c1d-4e7e-9a8b-3c2d1e0f9a8b",
        "email": "minted@example.com",
        "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{pool}"),
        "aud": client,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
    });
    // The control: a well-formed token is accepted, so each refusal below is for its one flaw.
    let (s, b) = stack.get("/quota", &mint(good.clone())).await;
    assert_eq!(s, 200, "{b}");
    let flaws = [
        ("exp", json!(now - 120)),
        ("aud", json!("another-client")),
        (
            "iss",
            json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        ),
        ("token_use", json!("access")),
        ("sub", json!("../../etc")),
    ];
    for (claim, value) in flaws {
        let mut c = good.clone();
        c[claim] = value;
        let (s, b) = stack.get("/quota", &mint(c)).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (401, Some("unauthorized")),
            "{claim}"
        );
    }
    // Signed by the pool's key but naming a key the pool does not publish: the gate fetches
    // the key set again (it may have rotated), finds no such key, refuses.
    let (s, b) = stack
        .get("/quota", &mint_with_kid(good.clone(), "rotated-away"))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    // The groups claim reaches the handlers: an admin's token opens the admin routes.
    let (s, b) = stack.get("/admin/audit", &mint(good.clone())).await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("admin_only")));
    let mut admin = good;
    admin["cognito:groups"] = json!(["admins"]);
    let (s, b) = stack.get("/admin/audit", &mint(admin)).await;
    assert_eq!(s, 200, "{b}");
}
