//! Share links through the API, on the in-memory fakes: the owner's routes and the
//! recipient's, counting only what a person asks for.

mod common;

use common::{ALICE, BOB, create, expect_error, req, send, shared, world};
use serde_json::{Value, json};

fn token(share: &Value) -> String {
    share["token"].as_str().unwrap().to_owned()
}

async fn download(w: &common::World, token: &str, body: Option<Value>) -> common::Resp {
    let mut r = req("POST", &format!("/share/{token}/download"));
    if let Some(b) = body {
        r = r.json(b);
    }
    send(w, r).await
}

#[tokio::test]
async fn creation_answers_the_contract_and_refuses_what_it_must() {
    let w = world();
    let (file, share) = shared(&w, json!({"max_downloads": 2, "password": "open sesame", "notify_owner": true, "label": "Release"})).await;
    assert_eq!(share["file_id"], file);
    assert_eq!(share["max_downloads"], 2);
    assert_eq!(share["downloads"], 0);
    assert_eq!(share["password_protected"], true);
    assert_eq!(share["notify_owner"], true);
    assert_eq!(share["label"], "Release");
    assert_eq!(share["state"], "active");
    let t = token(&share);
    assert_eq!(t.len(), 43);
    assert_eq!(share["url"], format!("http://127.0.0.1:3000/s/{t}"));
    assert!(!share.to_string().contains("open sesame"));
    assert!(
        share["expires_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-29"),
        "7 days by default"
    );

    // Not accepted yet, another owner's, unknown: refused.
    let pending = create(&w, ALICE, 10).await;
    expect_error(
        &w,
        req("POST", &format!("/files/{pending}/shares"))
            .by(ALICE)
            .json(json!({})),
        409,
        "not_ready",
    )
    .await;
    expect_error(
        &w,
        req("POST", &format!("/files/{file}/shares"))
            .by(BOB)
            .json(json!({})),
        404,
        "not_found",
    )
    .await;
    for (body, code) in [
        (json!({"max_downloads": 0}), "invalid_max_downloads"),
        (json!({"max_downloads": 100001}), "invalid_max_downloads"),
        (json!({"max_downloads": "3"}), "invalid_max_downloads"),
        (json!({"expires_in": -1}), "invalid_expires_in"),
        (json!({"expires_in": 99999999}), "invalid_expires_in"),
        (json!({"password": ""}), "invalid_password"),
        (json!({"label": "a\u{202e}b"}), "invalid_name"),
        (json!({"nope": 1}), "invalid_request"),
    ] {
        expect_error(
            &w,
            req("POST", &format!("/files/{file}/shares"))
                .by(ALICE)
                .json(body.clone()),
            400,
            code,
        )
        .await;
    }

    // Listing: the file's and all; never the token; another owner sees nothing.
    let r = send(&w, req("GET", &format!("/files/{file}/shares")).by(ALICE)).await;
    assert_eq!(r.json()["shares"].as_array().unwrap().len(), 1);
    assert!(r.json()["shares"][0].get("token").is_none());
    let r = send(&w, req("GET", "/shares").by(BOB)).await;
    assert_eq!(r.json()["shares"], json!([]));
    expect_error(
        &w,
        req("GET", &format!("/files/{file}/shares")).by(BOB),
        404,
        "not_found",
    )
    .await;
    let id = share["id"].as_str().unwrap();
    expect_error(
        &w,
        req("DELETE", &format!("/shares/{id}")).by(BOB),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn only_a_download_counts_and_exactly_as_promised() {
    let w = world();
    let (_, share) = shared(&w, json!({"max_downloads": 2})).await;
    let t = token(&share);
    // The page, HEAD, a preview bot and a prefetch: nothing counted.
    for r in [
        req("GET", &format!("/s/{t}")),
        req("HEAD", &format!("/s/{t}")),
        req("GET", &format!("/s/{t}")).header("user-agent", "Slackbot-LinkExpanding 1.0"),
        req("GET", &format!("/s/{t}")).header("sec-purpose", "prefetch"),
        req("GET", &format!("/share/{t}")),
        req("HEAD", &format!("/share/{t}")),
    ] {
        let resp = send(&w, r).await;
        assert_eq!(resp.status, 200);
    }
    let head = send(&w, req("HEAD", &format!("/s/{t}"))).await;
    assert!(head.raw.body.is_none(), "HEAD has no body");
    let info = send(&w, req("GET", &format!("/share/{t}"))).await.json();
    assert_eq!(
        info,
        json!({"name": "photo.png", "shared_by": null, "size": 100, "content_type": "image/png", "expires_at": share["expires_at"], "downloads_left": 2, "password_required": false})
    );

    for left in [1, 0] {
        let r = download(&w, &t, None).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(
            r.json()["url"].as_str().unwrap().contains("attachment"),
            "{:?}",
            r.body
        );
        let info = send(&w, req("GET", &format!("/share/{t}"))).await;
        if left > 0 {
            assert_eq!(info.json()["downloads_left"], left);
        }
    }
    expect_error(
        &w,
        req("POST", &format!("/share/{t}/download")),
        410,
        "share_exhausted",
    )
    .await;
    expect_error(
        &w,
        req("GET", &format!("/share/{t}")),
        410,
        "share_exhausted",
    )
    .await;

    // The owner sees the count and the log (no address by default).
    let id = share["id"].as_str().unwrap();
    let r = send(&w, req("GET", &format!("/shares/{id}/downloads")).by(ALICE)).await;
    let d = r.json()["downloads"].as_array().unwrap().clone();
    assert_eq!(d.len(), 2);
    assert!(d[0].get("source_ip").is_none());
    assert_eq!(d[0]["user_agent"], "other");
    let r = send(&w, req("GET", "/shares").by(ALICE)).await;
    assert_eq!(r.json()["shares"][0]["downloads"], 2);
    assert_eq!(r.json()["shares"][0]["state"], "exhausted");
}

#[tokio::test]
async fn passwords_are_asked_checked_and_rate_limited() {
    let w = world();
    let (_, share) = shared(&w, json!({"password": "open sesame"})).await;
    let t = token(&share);
    assert_eq!(
        send(&w, req("GET", &format!("/share/{t}"))).await.json()["password_required"],
        true
    );
    expect_error(
        &w,
        req("POST", &format!("/share/{t}/download")),
        401,
        "password_required",
    )
    .await;
    // Three wrong tries per share in the test world's window, then 429 with Retry-After.
    for _ in 0..3 {
        let r = download(&w, &t, Some(json!({"password": "guess"}))).await;
        assert_eq!((r.status, r.code()), (401, "wrong_password".into()));
    }
    let r = download(&w, &t, Some(json!({"password": "open sesame"}))).await;
    assert_eq!(r.status, 429, "{:?}", r.body);
    assert!(r.raw.headers.contains_key("retry-after"));
    // After the window, the right password downloads.
    w.clock.advance(chrono::Duration::minutes(11));
    let r = download(&w, &t, Some(json!({"password": "open sesame"}))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn redirect_answers_303_to_the_bytes() {
    let w = world();
    let (_, share) = shared(&w, json!({"max_downloads": 1})).await;
    let t = token(&share);
    let r = send(
        &w,
        req("POST", &format!("/share/{t}/download")).query(json!({"redirect": "1"})),
    )
    .await;
    assert_eq!(r.status, 303);
    let location = r.raw.headers.get("location").unwrap().to_str().unwrap();
    assert!(location.contains("photo.png"), "{location}");
    expect_error(
        &w,
        req("POST", &format!("/share/{t}/download")).query(json!({"redirect": "1"})),
        410,
        "share_exhausted",
    )
    .await;
}

#[tokio::test]
async fn revoked_expired_deleted_and_unknown() {
    let w = world();
    let (file, share) = shared(&w, json!({"expires_in": 3600})).await;
    let t = token(&share);
    let id = share["id"].as_str().unwrap();
    assert_eq!(
        send(&w, req("DELETE", &format!("/shares/{id}")).by(ALICE))
            .await
            .status,
        204
    );
    assert_eq!(
        send(&w, req("DELETE", &format!("/shares/{id}")).by(ALICE))
            .await
            .status,
        204,
        "again"
    );
    expect_error(&w, req("GET", &format!("/share/{t}")), 410, "share_revoked").await;

    let r = send(
        &w,
        req("POST", &format!("/files/{file}/shares"))
            .by(ALICE)
            .json(json!({"expires_in": 60})),
    )
    .await;
    let t2 = token(&r.json()["share"]);
    w.clock.advance(chrono::Duration::seconds(61));
    expect_error(
        &w,
        req("POST", &format!("/share/{t2}/download")),
        410,
        "share_expired",
    )
    .await;

    let r = send(
        &w,
        req("POST", &format!("/files/{file}/shares"))
            .by(ALICE)
            .json(json!({})),
    )
    .await;
    let t3 = token(&r.json()["share"]);
    assert_eq!(
        send(&w, req("DELETE", &format!("/files/{file}")).by(ALICE))
            .await
            .status,
        204
    );
    let r = send(&w, req("GET", &format!("/share/{t3}"))).await;
    assert_eq!(r.status, 410);
    assert!(["share_revoked", "file_gone"].contains(&r.code().as_str()));

    expect_error(
        &w,
        req("GET", &format!("/share/{}", "x".repeat(43))),
        404,
        "share_not_found",
    )
    .await;
}

#[tokio::test]
async fn the_owner_is_told_at_most_once_per_ten_minutes() {
    let w = world();
    let (_, share) = shared(&w, json!({"notify_owner": true})).await;
    let t = token(&share);
    for _ in 0..3 {
        assert_eq!(download(&w, &t, None).await.status, 200);
    }
    w.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(download(&w, &t, None).await.status, 200);
    let announced = w.shares.announced.lock().unwrap().clone();
    assert_eq!(
        announced.len(),
        4,
        "every counted download goes to the topic"
    );
    let mails: Vec<bool> = announced
        .iter()
        .map(|e| e.share.as_ref().unwrap().mail)
        .collect();
    assert_eq!(mails, vec![true, false, false, true]);
    assert!(
        announced
            .iter()
            .all(|e| e.event.as_str() == "file.downloaded")
    );
    let ids: std::collections::BTreeSet<_> = announced.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), 4, "distinct outbox keys");
}

#[tokio::test]
async fn concurrent_downloads_never_exceed_the_limit() {
    let w = std::sync::Arc::new(world());
    let (_, share) = shared(&w, json!({"max_downloads": 3})).await;
    let t = token(&share);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (w, t) = (w.clone(), t.clone());
        tasks.push(tokio::spawn(
            async move { download(&w, &t, None).await.status },
        ));
    }
    let mut ok = 0;
    for task in tasks {
        if task.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 3);
}
