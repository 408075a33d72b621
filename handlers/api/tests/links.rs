//! Upload links and the drop routes through the API handler over the fakes: status codes,
//! stable error codes, the answer shapes of docs/API.md, and what strangers never see.

mod common;

use chrono::Duration;
use common::*;
use serde_json::{Value, json};

async fn new_link(w: &World, sub: &str, body: Value) -> Value {
    let r = send(w, req("POST", "/links").by(sub).json(body)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()["link"].clone()
}

fn token(link: &Value) -> String {
    link["token"].as_str().unwrap().to_owned()
}

fn drop_body(name: &str, size: u64, content_type: &str) -> Value {
    json!({"name": name, "size": size, "content_type": content_type})
}

#[tokio::test]
async fn creating_a_link_answers_the_documented_shape_once() {
    let w = world();
    let link = new_link(
        &w,
        ALICE,
        json!({"label": "Client docs", "max_uploads": 3, "allowed_types": ["application/pdf"]}),
    )
    .await;
    for field in [
        "id",
        "label",
        "url",
        "token",
        "expires_at",
        "max_uploads",
        "uploads_used",
        "uploads_left",
        "max_file_bytes",
        "max_total_bytes",
        "bytes_used",
        "max_pending_bytes",
        "pending_bytes",
        "allowed_types",
        "require_uploader_name",
        "revoked",
        "created_at",
    ] {
        assert!(link.get(field).is_some(), "{field} in {link}");
    }
    assert_eq!(link["state"], "active");
    assert_eq!(link["uploads_left"], 3);
    assert_eq!(link["max_file_bytes"], MAX);
    assert_eq!(
        (
            link["max_pending_bytes"].clone(),
            link["pending_bytes"].clone()
        ),
        (json!(MAX), json!(0)),
        "one file's worth pending by default"
    );
    assert_eq!(
        link["expires_at"], "2026-11-25T10:00:00.000Z",
        "3 days by default"
    );
    let t = token(&link);
    assert_eq!(t.len(), 43);
    assert!(link["url"].as_str().unwrap().ends_with(&format!("/d/{t}")));
    let id = link["id"].as_str().unwrap();
    for r in [
        send(&w, req("GET", &format!("/links/{id}")).by(ALICE)).await,
        send(&w, req("GET", "/links").by(ALICE)).await,
    ] {
        assert_eq!(r.status, 200);
        let text = r.body.unwrap();
        // The URL can be found again (it holds the token); the token alone is shown once.
        assert!(
            !text.contains("\"token\""),
            "the token is shown once: {text}"
        );
        assert_eq!(text.matches(&t).count(), 1, "{text}");
        assert!(text.contains(link["url"].as_str().unwrap()), "{text}");
    }
}

#[tokio::test]
async fn link_requests_out_of_range_have_stable_codes() {
    let w = world();
    let cases = [
        (json!({}), "invalid_request"),
        (json!({"label": 5}), "invalid_request"),
        (json!({"label": "x", "colour": "red"}), "invalid_request"),
        (json!({"label": ""}), "invalid_name"),
        (json!({"label": "bill\u{202e}fdp.exe"}), "invalid_name"),
        (json!({"label": "\u{3164}"}), "invalid_name"),
        (json!({"label": "Q3\u{34f}"}), "invalid_name"),
        (json!({"label": "x", "expires_in": 0}), "invalid_expires_in"),
        (
            json!({"label": "x", "expires_in": -5}),
            "invalid_expires_in",
        ),
        (
            json!({"label": "x", "expires_in": 2_592_001}),
            "invalid_expires_in",
        ),
        (
            json!({"label": "x", "expires_in": "60"}),
            "invalid_expires_in",
        ),
        (
            json!({"label": "x", "max_uploads": 1001}),
            "invalid_max_uploads",
        ),
        (
            json!({"label": "x", "max_uploads": 1.5}),
            "invalid_max_uploads",
        ),
        (
            json!({"label": "x", "max_file_bytes": MAX + 1}),
            "invalid_max_file_bytes",
        ),
        (
            json!({"label": "x", "max_total_bytes": 0}),
            "invalid_max_total_bytes",
        ),
        (
            json!({"label": "x", "max_pending_bytes": 0}),
            "invalid_max_pending_bytes",
        ),
        (
            json!({"label": "x", "max_pending_bytes": "10"}),
            "invalid_max_pending_bytes",
        ),
        (
            json!({"label": "x", "max_pending_bytes": 9007199254740992u64}),
            "invalid_max_pending_bytes",
        ),
        (
            json!({"label": "x", "allowed_types": []}),
            "invalid_allowed_types",
        ),
        (
            json!({"label": "x", "allowed_types": ["text/html"]}),
            "invalid_allowed_types",
        ),
        (
            json!({"label": "x", "require_uploader_name": "yes"}),
            "invalid_request",
        ),
    ];
    for (body, code) in cases {
        expect_error(&w, req("POST", "/links").by(ALICE).json(body), 400, code).await;
    }
    expect_error(
        &w,
        req("POST", "/links").json(json!({"label": "x"})),
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn another_owners_link_is_404_on_every_route() {
    let w = world();
    let link = new_link(&w, ALICE, json!({"label": "Alice's"})).await;
    let id = link["id"].as_str().unwrap();
    expect_error(
        &w,
        req("GET", &format!("/links/{id}")).by(BOB),
        404,
        "not_found",
    )
    .await;
    expect_error(
        &w,
        req("DELETE", &format!("/links/{id}")).by(BOB),
        404,
        "not_found",
    )
    .await;
    let files = req("GET", "/files").by(BOB).query(json!({"link": id}));
    expect_error(&w, files, 404, "not_found").await;
    let bobs = send(&w, req("GET", "/links").by(BOB)).await;
    assert_eq!(bobs.json()["links"], json!([]));
    // Still active for Alice.
    let r = send(&w, req("GET", &format!("/links/{id}")).by(ALICE)).await;
    assert_eq!(r.json()["link"]["state"], "active");
}

#[tokio::test]
async fn a_stranger_drops_a_file_and_follows_only_its_receipt() {
    let w = world();
    let link = new_link(
        &w,
        ALICE,
        json!({"label": "Q3", "max_uploads": 2, "require_uploader_name": true}),
    )
    .await;
    let t = token(&link);
    let info = send(&w, req("GET", &format!("/drop/{t}"))).await;
    assert_eq!(info.status, 200);
    let mut keys: Vec<String> = info.json().as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "allowed_types",
            "bytes_left",
            "expires_at",
            "label",
            "max_file_bytes",
            "require_uploader_name",
            "uploads_left"
        ]
    );
    assert!(
        !info.body.unwrap().contains(ALICE),
        "nothing about the owner"
    );

    let mut body = drop_body("scan.pdf", 100, "application/pdf");
    expect_error(
        &w,
        req("POST", &format!("/drop/{t}/files")).json(body.clone()),
        400,
        "uploader_name_required",
    )
    .await;
    body["uploader"] = json!({"name": "Bea", "email": "bea@example.com"});
    let first = send(
        &w,
        req("POST", &format!("/drop/{t}/files")).json(body.clone()),
    )
    .await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let first = first.json();
    assert_eq!(first["file"]["status"], "pending");
    assert_eq!(first["file"]["via_link"], link["id"]);
    assert_eq!(first["file"]["uploader"]["name"], "Bea");
    assert_eq!(first["upload"]["method"], "PUT");
    let receipt = first["receipt"].as_str().unwrap();
    assert_eq!(receipt.len(), 43);

    body["name"] = json!("other.pdf");
    let second = send(&w, req("POST", &format!("/drop/{t}/files")).json(body)).await;
    assert_eq!(second.status, 201);
    let r = send(&w, req("GET", &format!("/drop/receipts/{receipt}"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"file": {"name": "scan.pdf", "size": 100, "status": "pending",
                        "reason": null, "detected_type": null,
                        "scan": {"status": "pending"}}})
    );
    expect_error(
        &w,
        req("GET", "/drop/receipts/not-a-receipt"),
        404,
        "receipt_not_found",
    )
    .await;

    // The owner sees both, through the link's own listing.
    let id = link["id"].as_str().unwrap();
    let mine = send(
        &w,
        req("GET", "/files").by(ALICE).query(json!({"link": id})),
    )
    .await;
    assert_eq!(mine.json()["files"].as_array().unwrap().len(), 2);
    let quota = send(&w, req("GET", "/quota").by(ALICE)).await;
    assert_eq!(quota.json()["reserved_bytes"], 200);
    // Used up now.
    let again = req("POST", &format!("/drop/{t}/files")).json(
        json!({"name": "x.pdf", "size": 1, "content_type": "application/pdf",
                     "uploader": {"name": "Bea"}}),
    );
    expect_error(&w, again, 410, "link_used_up").await;
    expect_error(&w, req("GET", &format!("/drop/{t}")), 410, "link_used_up").await;
}

#[tokio::test]
async fn refusals_say_why_in_stable_codes() {
    let w = world();
    let link = new_link(
        &w,
        ALICE,
        json!({"label": "PDF only", "allowed_types": ["application/pdf"],
               "max_file_bytes": 500, "max_total_bytes": 700}),
    )
    .await;
    let t = token(&link);
    let post = |b: Value| req("POST", &format!("/drop/{t}/files")).json(b);
    expect_error(
        &w,
        post(drop_body("a.png", 10, "image/png")),
        415,
        "unsupported_type",
    )
    .await;
    let big = expect_error(
        &w,
        post(drop_body("a.pdf", 501, "application/pdf")),
        413,
        "file_too_large",
    )
    .await;
    assert_eq!(big.json()["error"]["max_file_bytes"], 500);
    expect_error(
        &w,
        post(drop_body("a\u{2066}b.pdf", 10, "application/pdf")),
        400,
        "invalid_name",
    )
    .await;
    let mut named = drop_body("a.pdf", 10, "application/pdf");
    named["uploader"] = json!({"name": "Eve\u{202e}"});
    expect_error(&w, post(named), 400, "invalid_name").await;
    let mut mailed = drop_body("a.pdf", 10, "application/pdf");
    mailed["uploader"] = json!({"email": "not an address"});
    expect_error(&w, post(mailed), 400, "invalid_email").await;
    let mut extra = drop_body("a.pdf", 10, "application/pdf");
    extra["owner"] = json!(BOB);
    expect_error(&w, post(extra), 400, "invalid_request").await;
    // 500 of 700 bytes used: 201 bytes no longer fit, 200 do.
    assert_eq!(
        send(&w, post(drop_body("a.pdf", 500, "application/pdf")))
            .await
            .status,
        201
    );
    let left = expect_error(
        &w,
        post(drop_body("b.pdf", 201, "application/pdf")),
        413,
        "file_too_large",
    )
    .await;
    assert_eq!(left.json()["error"]["max_file_bytes"], 200);
    expect_error(&w, req("GET", "/drop/unknown-token"), 404, "link_not_found").await;
}

#[tokio::test]
async fn the_owners_full_quota_is_413_file_too_large_for_the_uploader() {
    let w = world();
    let link = new_link(&w, ALICE, json!({"label": "x"})).await;
    let t = token(&link);
    for size in [MAX, LIMIT - MAX - 10] {
        let fill = send(
            &w,
            req("POST", "/files")
                .by(ALICE)
                .json(json!({"name": "big.zip", "size": size, "content_type": "application/zip"})),
        )
        .await;
        assert_eq!(fill.status, 201, "{:?}", fill.body);
    }
    // The largest file the link takes now is the owner's free space, and nothing else of it.
    let info = send(&w, req("GET", &format!("/drop/{t}"))).await;
    assert_eq!(info.json()["max_file_bytes"], 10, "{:?}", info.body);
    let r = expect_error(
        &w,
        req("POST", &format!("/drop/{t}/files")).json(drop_body("a.pdf", 11, "application/pdf")),
        413,
        "file_too_large",
    )
    .await;
    let err = &r.json()["error"];
    assert_eq!(err["max_file_bytes"], 10, "{err}");
    assert_eq!(err["size"], 11, "{err}");
    assert_eq!(err["message"], "this link can take files up to 10 B");
    for figure in [
        "used_bytes",
        "reserved_bytes",
        "limit_bytes",
        "requested_bytes",
    ] {
        assert!(
            err.get(figure).is_none(),
            "a stranger learns no {figure}: {err}"
        );
    }
    let now = send(
        &w,
        req("GET", &format!("/links/{}", link["id"].as_str().unwrap())).by(ALICE),
    )
    .await;
    assert_eq!(
        now.json()["link"]["uploads_used"],
        0,
        "a refused quota uses nothing"
    );
}

#[tokio::test]
async fn revoked_and_expired_links_are_gone() {
    let w = world();
    let revoked = new_link(&w, ALICE, json!({"label": "r"})).await;
    let expiring = new_link(&w, ALICE, json!({"label": "e", "expires_in": 60})).await;
    let id = revoked["id"].as_str().unwrap();
    let del = send(&w, req("DELETE", &format!("/links/{id}")).by(ALICE)).await;
    assert_eq!(del.status, 204);
    assert_eq!(del.body, None);
    let again = send(&w, req("DELETE", &format!("/links/{id}")).by(ALICE)).await;
    assert_eq!(again.status, 204, "revoking twice is fine");
    let rt = token(&revoked);
    expect_error(&w, req("GET", &format!("/drop/{rt}")), 410, "link_revoked").await;
    let et = token(&expiring);
    assert_eq!(
        send(&w, req("GET", &format!("/drop/{et}"))).await.status,
        200
    );
    w.clock.advance(Duration::seconds(60));
    expect_error(&w, req("GET", &format!("/drop/{et}")), 410, "link_expired").await;
    let post =
        req("POST", &format!("/drop/{et}/files")).json(drop_body("a.pdf", 1, "application/pdf"));
    expect_error(&w, post, 410, "link_expired").await;
    let list = send(&w, req("GET", "/links").by(ALICE)).await.json();
    let states: Vec<&str> = list["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["expired", "revoked"], "newest first");
}

#[tokio::test]
async fn failed_lookups_are_rate_limited_with_retry_after() {
    let w = world();
    let good = token(&new_link(&w, ALICE, json!({"label": "x"})).await);
    // The world allows 5 failures per 600 s window from one address.
    for i in 0..5 {
        expect_error(
            &w,
            req("GET", &format!("/drop/guess{i}")),
            404,
            "link_not_found",
        )
        .await;
    }
    let r = expect_error(
        &w,
        req("GET", &format!("/drop/{good}")),
        429,
        "rate_limited",
    )
    .await;
    let after: u64 = r.raw.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&after), "{after}");
    assert_eq!(r.json()["error"]["retry_after"], after);
    expect_error(&w, req("GET", "/drop/receipts/x"), 429, "rate_limited").await;
    w.clock.advance(Duration::seconds(600));
    assert_eq!(
        send(&w, req("GET", &format!("/drop/{good}"))).await.status,
        200
    );
}

#[tokio::test]
async fn a_drop_past_the_links_pending_bytes_is_409_link_busy_with_retry_after() {
    let w = world();
    let link = new_link(
        &w,
        ALICE,
        json!({"label": "busy", "max_file_bytes": 500, "max_pending_bytes": 800}),
    )
    .await;
    assert_eq!(link["max_pending_bytes"], 800);
    let t = token(&link);
    let drop = |size: u64| {
        req("POST", &format!("/drop/{t}/files"))
            .json(json!({"name": "a.pdf", "size": size, "content_type": "application/pdf"}))
    };
    assert_eq!(send(&w, drop(500)).await.status, 201);
    w.clock.advance(chrono::Duration::seconds(60));
    let r = expect_error(&w, drop(400), 409, "link_busy").await;
    // The first drop is released DROP_IDLE_SECS (900) after it was made: 840 s from now.
    let header = r
        .raw
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok());
    assert_eq!(header, Some("840"));
    assert_eq!(r.json()["error"]["retry_after"], 840);
    assert_eq!(
        send(&w, drop(300)).await.status,
        201,
        "what fits still goes"
    );
}
