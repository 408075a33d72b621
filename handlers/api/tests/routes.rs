//! The API handler end to end over the in-memory fakes: requests shaped like API Gateway HTTP
//! API (payload v2) events, answers checked for status and stable error codes.

mod common;

use common::*;
use dropgate_core::files::FileLookup;
use dropgate_core::{FileId, OwnerId};
use serde_json::json;

/// The `file.deleted` notices the deletions so far announced: the outbox's entries as the
/// notifier would publish them.
fn deletion_notices(w: &World) -> Vec<dropgate_core::notify::Notification> {
    w.ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event == dropgate_core::notify::EventType::FileDeleted)
        .map(dropgate_core::notify::OutboxEntry::notification)
        .collect()
}

#[tokio::test]
async fn health_is_ok() {
    let w = world();
    let r = send(&w, req("GET", "/health")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"status": "ok"}));
    assert_eq!(r.raw.headers["content-type"], "application/json");
    assert_eq!(r.raw.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn json_answers_are_never_sniffed() {
    let w = world();
    for r in [
        send(&w, req("GET", "/health")).await,
        send(&w, req("GET", "/files")).await,
        send(&w, req("GET", "/files").by(ALICE)).await,
        send(&w, req("GET", "/drop/nope")).await,
    ] {
        assert_eq!(r.raw.headers["content-type"], "application/json");
        assert_eq!(r.raw.headers["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn unknown_routes_are_404() {
    let w = world();
    for path in [
        "/nope",
        "/d",
        "/d/a/b",
        "/assets/nope.js",
        "/assets/..",
        "/files/a/b/c",
        "/files/x/upload",
        "/auth",
        "/auth/signup/extra",
        "/quota/x",
        "/healthz",
    ] {
        expect_error(&w, req("GET", path).by(ALICE), 404, "not_found").await;
    }
}

/// Two functions serve the table (API Gateway sends `/auth/*` to `auth`): each answers a
/// route of the other's as a route it does not have, so a misrouted request reaches nothing.
#[tokio::test]
async fn each_function_answers_only_its_own_routes() {
    let w = world();
    let login = req("POST", "/auth/login").json(json!({"email": "a@example.com", "password": "x"}));
    let r = dropgate_api::handle(login.event(), &w.deps).await;
    assert_eq!(r.status_code, 404, "the api has no account routes");
    for (method, path) in [("GET", "/health"), ("GET", "/"), ("GET", "/files")] {
        let r = dropgate_api::handle_auth(req(method, path).by(ALICE).event(), &w.auth).await;
        assert_eq!(
            r.status_code, 404,
            "the auth function has no {method} {path}"
        );
    }
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let w = world();
    for (method, path) in [
        ("PUT", "/files"),
        ("DELETE", "/files"),
        ("PUT", "/files/f0000000001"),
        ("POST", "/files/f0000000001"),
        ("POST", "/files/f0000000001/download"),
        ("POST", "/health"),
        ("DELETE", "/quota"),
        ("GET", "/auth/signup"),
        ("PUT", "/auth/login"),
    ] {
        expect_error(
            &w,
            req(method, path).by(ALICE).body("{}"),
            405,
            "method_not_allowed",
        )
        .await;
    }
}

// ---------------------------------------------------------------- authorization

#[tokio::test]
async fn authorized_routes_need_claims() {
    let w = world();
    let routes = [
        ("POST", "/files"),
        ("GET", "/files"),
        ("GET", "/files/f0000000001"),
        ("DELETE", "/files/f0000000001"),
        ("GET", "/files/f0000000001/download"),
        ("GET", "/quota"),
    ];
    let body = new_file("a.png", 10, "image/png");
    for (method, path) in routes {
        expect_error(
            &w,
            req(method, path).json(body.clone()),
            401,
            "unauthorized",
        )
        .await;
        // An access token carries no email and is not what the API accepts.
        let mut access = claims(ALICE);
        access["token_use"] = json!("access");
        expect_error(
            &w,
            req(method, path).claims(access).json(body.clone()),
            401,
            "unauthorized",
        )
        .await;
        let mut no_use = claims(ALICE);
        no_use.as_object_mut().unwrap().remove("token_use");
        expect_error(
            &w,
            req(method, path).claims(no_use).json(body.clone()),
            401,
            "unauthorized",
        )
        .await;
        let mut no_sub = claims(ALICE);
        no_sub.as_object_mut().unwrap().remove("sub");
        expect_error(
            &w,
            req(method, path).claims(no_sub).json(body.clone()),
            401,
            "unauthorized",
        )
        .await;
        expect_error(
            &w,
            req(method, path)
                .claims(claims("../etc"))
                .json(body.clone()),
            401,
            "unauthorized",
        )
        .await;
    }
    assert!(
        w.ledger
            .usage(&OwnerId::parse(ALICE).unwrap(), LIMIT)
            .await
            .unwrap()
            .files
            == 0
    );
}

// ---------------------------------------------------------------- POST /files

#[tokio::test]
async fn create_file_returns_a_pending_file_and_a_signed_put() {
    let w = world();
    let r = send(
        &w,
        req("POST", "/files").by(ALICE).json(new_file(
            "dir/Quarterly report.pdf",
            4_821,
            "application/pdf",
        )),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let v = r.json();
    assert_eq!(v["file"]["id"], "f0000000001");
    assert_eq!(v["file"]["name"], "Quarterly report.pdf");
    assert_eq!(v["file"]["size"], 4_821);
    assert_eq!(v["file"]["content_type"], "application/pdf");
    assert_eq!(v["file"]["status"], "pending");
    assert_eq!(v["upload"]["method"], "PUT");
    assert_eq!(
        v["upload"]["url"],
        format!("mem://uploads/f0000000001?ttl=900")
    );
    assert_eq!(v["upload"]["headers"]["content-length"], "4821");
    assert_eq!(v["upload"]["headers"]["content-type"], "application/pdf");

    let rec = w
        .ledger
        .get_file(
            &OwnerId::parse(ALICE).unwrap(),
            &FileId::parse("f0000000001").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.owner_email.as_deref(), Some("alice@example.com"));
    assert_eq!(rec.via_link(), None);
}

#[tokio::test]
async fn base64_encoded_bodies_work() {
    let w = world();
    let r = send(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("b64 \u{2713}.png", 10, "image/png"))
            .base64(),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.json()["file"]["name"], "b64 \u{2713}.png");

    let mut bad = req("POST", "/files").by(ALICE).body("!!!not base64!!!");
    bad.base64 = true;
    expect_error(&w, bad, 400, "invalid_json").await;

    let r = send(
        &w,
        req("POST", "/auth/signup")
            .json(json!({"email": "b64@example.org", "password": "Correct1horse"}))
            .base64(),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[tokio::test]
async fn malformed_json_is_invalid_json() {
    let w = world();
    for body in [
        "{",
        "not json",
        "",
        "{\"name\": \"a\",}",
        "\u{feff}{}",
        "{\"name\": \"a\"} trailing",
    ] {
        expect_error(
            &w,
            req("POST", "/files").by(ALICE).body(body),
            400,
            "invalid_json",
        )
        .await;
    }
    // No body at all.
    expect_error(&w, req("POST", "/files").by(ALICE), 400, "invalid_json").await;
    assert_eq!(
        w.ledger
            .usage(&OwnerId::parse(ALICE).unwrap(), LIMIT)
            .await
            .unwrap()
            .files,
        0
    );
}

#[tokio::test]
async fn wrong_field_types_are_invalid_request() {
    let w = world();
    for body in [
        json!({"name": "a.png", "size": "12", "content_type": "image/png"}),
        json!({"name": "a.png", "size": -1, "content_type": "image/png"}),
        json!({"name": "a.png", "size": 1.5, "content_type": "image/png"}),
        json!({"name": "a.png", "size": null, "content_type": "image/png"}),
        json!({"name": "a.png", "size": 1e30, "content_type": "image/png"}),
        json!({"size": 12, "content_type": "image/png"}),
        json!({"name": "a.png", "content_type": "image/png"}),
        json!({"name": "a.png", "size": 12}),
        json!({"name": 5, "size": 12, "content_type": "image/png"}),
        json!({"name": "a.png", "size": 12, "content_type": "image/png", "owner": BOB}),
        json!({"name": "a.png", "size": 12, "content_type": "image/png", "via_link": "x"}),
        json!([]),
        json!("a string"),
        json!(12),
        json!(null),
    ] {
        expect_error(
            &w,
            req("POST", "/files").by(ALICE).json(body),
            400,
            "invalid_request",
        )
        .await;
    }
    assert_eq!(
        w.ledger
            .usage(&OwnerId::parse(ALICE).unwrap(), LIMIT)
            .await
            .unwrap()
            .files,
        0
    );
}

#[tokio::test]
async fn bad_names_sizes_and_types() {
    let w = world();
    let huge = "n".repeat(10 * 1024);
    expect_error(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file(&huge, 10, "image/png")),
        400,
        "invalid_name",
    )
    .await;
    for name in [
        "",
        "dir/",
        "..",
        "a\u{0}b",
        "a\nb",
        "\u{3164}.pdf",
        "a\u{115f}b.pdf",
        "\u{2800}",
        "e\u{301}\u{301}\u{301}\u{301}\u{301}.txt",
    ] {
        expect_error(
            &w,
            req("POST", "/files")
                .by(ALICE)
                .json(new_file(name, 10, "image/png")),
            400,
            "invalid_name",
        )
        .await;
    }
    expect_error(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("a.png", 0, "image/png")),
        400,
        "invalid_size",
    )
    .await;
    // The default refuses only active content and programs, and says so.
    for t in [
        "application/x-msdownload",
        "text/html",
        "application/x-executable",
    ] {
        let r = expect_error(
            &w,
            req("POST", "/files")
                .by(ALICE)
                .json(new_file("a.exe", 10, t)),
            415,
            "unsupported_type",
        )
        .await;
        assert_eq!(
            r.json()["error"]["allowed"],
            "all_but_active_content",
            "{t}"
        );
    }
    // No declared type claims nothing: the bytes will say.
    let r = send(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("disk.img", 10, "")),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.json()["file"]["content_type"], "application/octet-stream");
    let r = expect_error(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("a.png", MAX + 1, "image/png")),
        413,
        "file_too_large",
    )
    .await;
    assert_eq!(r.json()["error"]["max_file_bytes"], MAX);
    assert_eq!(r.json()["error"]["size"], MAX + 1);
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let w = world();
    let name = "n".repeat(dropgate_api::MAX_BODY_BYTES + 1);
    expect_error(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file(&name, 10, "image/png")),
        413,
        "body_too_large",
    )
    .await;
}

#[tokio::test]
async fn over_quota_is_413_with_the_figures() {
    let w = world();
    create(&w, ALICE, 6_000).await;
    let id = create(&w, ALICE, 3_000).await;
    accept(&w, ALICE, &id).await;
    let r = expect_error(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("more.png", 1_001, "image/png")),
        413,
        "quota_exceeded",
    )
    .await;
    let e = &r.json()["error"];
    assert_eq!(e["limit_bytes"], LIMIT);
    assert_eq!(e["used_bytes"], 3_000);
    assert_eq!(e["reserved_bytes"], 6_000);
    assert_eq!(e["requested_bytes"], 1_001);
    // Exactly what is left still fits.
    create(&w, ALICE, 1_000).await;
    // Bob is not affected by Alice's quota.
    create(&w, BOB, 8_000).await;
}

// ---------------------------------------------------------------- list, get, quota

#[tokio::test]
async fn list_pages_through_own_files_only() {
    let w = world();
    let mut mine = Vec::new();
    for _ in 0..5 {
        mine.push(create(&w, ALICE, 10).await);
        create(&w, BOB, 10).await;
    }
    mine.reverse();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let mut q = json!({"limit": "2"});
        if let Some(c) = &cursor {
            q["cursor"] = json!(c);
        }
        let r = send(&w, req("GET", "/files").by(ALICE).query(q)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let v = r.json();
        let files = v["files"].as_array().unwrap();
        assert!(files.len() <= 2);
        seen.extend(files.iter().map(|f| f["id"].as_str().unwrap().to_owned()));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, mine);

    for bad in ["0", "101", "abc"] {
        expect_error(
            &w,
            req("GET", "/files").by(ALICE).query(json!({"limit": bad})),
            400,
            "invalid_limit",
        )
        .await;
    }
    expect_error(
        &w,
        req("GET", "/files")
            .by(ALICE)
            .query(json!({"cursor": "garbage!"})),
        400,
        "invalid_cursor",
    )
    .await;
}

#[tokio::test]
async fn quota_reports_usage() {
    let w = world();
    let r = send(&w, req("GET", "/quota").by(ALICE)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"used_bytes": 0, "reserved_bytes": 0, "limit_bytes": LIMIT, "files": 0})
    );
    let a = create(&w, ALICE, 1_200).await;
    create(&w, ALICE, 300).await;
    accept(&w, ALICE, &a).await;
    create(&w, BOB, 999).await;
    let r = send(&w, req("GET", "/quota").by(ALICE)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"used_bytes": 1_200, "reserved_bytes": 300, "limit_bytes": LIMIT, "files": 2})
    );
}

#[tokio::test]
async fn another_owners_file_is_404_everywhere() {
    let w = world();
    let pending = create(&w, ALICE, 100).await;
    let accepted = create(&w, ALICE, 200).await;
    accept(&w, ALICE, &accepted).await;
    for id in [&pending, &accepted] {
        let key = format!("uploads/{id}");
        w.store.put(&key, vec![1; 3]);
        for (method, path) in [
            ("GET", format!("/files/{id}")),
            ("GET", format!("/files/{id}/download")),
            ("DELETE", format!("/files/{id}")),
        ] {
            expect_error(&w, req(method, &path).by(BOB), 404, "not_found").await;
        }
        assert!(w.store.has(&key));
        let r = send(&w, req("GET", &format!("/files/{id}")).by(ALICE)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["file"]["id"], id.as_str());
    }
    for id in ["nope", "..", "%2e%2e", "f0000000009"] {
        expect_error(
            &w,
            req("GET", &format!("/files/{id}")).by(ALICE),
            404,
            "not_found",
        )
        .await;
    }
    assert!(deletion_notices(&w).is_empty());
}

#[tokio::test]
async fn downloads_need_an_accepted_file() {
    let w = world();
    let id = create(&w, ALICE, 100).await;
    expect_error(
        &w,
        req("GET", &format!("/files/{id}/download")).by(ALICE),
        409,
        "not_ready",
    )
    .await;
    accept(&w, ALICE, &id).await;
    let r = send(&w, req("GET", &format!("/files/{id}/download")).by(ALICE)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!(
            "mem://uploads/{id}?ttl=300&ct=image/png&cd=attachment;"
        )),
        "{url}"
    );
    assert!(url.contains("filename=\"photo.png\""), "{url}");
    assert!(r.json().get("expires_at").is_some());
}

#[tokio::test]
async fn delete_is_204_with_no_body() {
    let w = world();
    let id = create(&w, ALICE, 100).await;
    let key = format!("uploads/{id}");
    w.store.put(&key, vec![0; 100]);
    let r = send(&w, req("DELETE", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.body, None);
    assert!(r.raw.headers.get("content-type").is_none());
    assert!(!w.store.has(&key));
    expect_error(
        &w,
        req("GET", &format!("/files/{id}")).by(ALICE),
        404,
        "not_found",
    )
    .await;
    expect_error(
        &w,
        req("DELETE", &format!("/files/{id}")).by(ALICE),
        404,
        "not_found",
    )
    .await;
    let q = send(&w, req("GET", "/quota").by(ALICE)).await.json();
    assert_eq!(q["reserved_bytes"], 0);
    assert_eq!(q["files"], 0);
    let sent = deletion_notices(&w);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].file.as_ref().unwrap().id, id);
}

// ---------------------------------------------------------------- sign-up

#[tokio::test]
async fn signup_checks_email_and_password() {
    let w = world();
    for email in ["", "ada", "ada@x", "a b@x.org", "a@b@x.org"] {
        expect_error(
            &w,
            req("POST", "/auth/signup").json(json!({"email": email, "password": "Correct1horse"})),
            400,
            "invalid_email",
        )
        .await;
    }
    for pw in ["short1A", "alllowercase1", "ALLUPPER1", "NoDigitsHere", ""] {
        expect_error(
            &w,
            req("POST", "/auth/signup").json(json!({"email": "ada@example.org", "password": pw})),
            400,
            "weak_password",
        )
        .await;
    }
    expect_error(
        &w,
        req("POST", "/auth/signup").json(json!({"email": "ada@example.org"})),
        400,
        "invalid_request",
    )
    .await;
    assert!(w.accounts.signups.lock().unwrap().is_empty());

    let r = send(
        &w,
        req("POST", "/auth/signup")
            .json(json!({"email": " Ada@Example.org ", "password": "Correct1horse"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        r.json(),
        json!({"email": "ada@example.org", "confirmed": false})
    );
    assert_eq!(
        w.accounts.signups.lock().unwrap().clone(),
        vec![("ada@example.org".to_owned(), "Correct1horse".to_owned())]
    );

    // A taken address answers as a new one would: no enumeration.
    let again = send(
        &w,
        req("POST", "/auth/signup")
            .json(json!({"email": "ada@example.org", "password": "Correct1horse"})),
    )
    .await;
    assert_eq!(
        again.json(),
        json!({"email": "ada@example.org", "confirmed": false})
    );
}

#[tokio::test]
async fn login_refusals_do_not_reveal_which_part_was_wrong() {
    let w = world();
    for body in [
        json!({"email": "not-an-email", "password": "x"}),
        json!({"email": "ada@example.org", "password": ""}),
        json!({"email": "ada@example.org", "password": "Wrong1password"}),
    ] {
        expect_error(
            &w,
            req("POST", "/auth/login").json(body),
            401,
            "invalid_credentials",
        )
        .await;
    }
}
