//! `PATCH /links/{id}`, `PATCH /shares/{id}` and `DELETE ...?remove=true` through the API, on
//! the in-memory fakes: the creation's codes, `null` against absent, another owner's is 404,
//! an ended one is 409 and only an ended one is removed.

mod common;

use common::{ALICE, BOB, expect_error, req, send, shared, world};
use serde_json::{Value, json};

async fn new_link(w: &common::World, body: Value) -> Value {
    let r = send(w, req("POST", "/links").by(ALICE).json(body)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()["link"].clone()
}

#[tokio::test]
async fn a_link_is_edited_as_it_is_created() {
    let w = world();
    let link = new_link(&w, json!({"label": "Q3", "max_total_bytes": 5000})).await;
    let id = link["id"].as_str().unwrap();
    let path = format!("/links/{id}");
    let r = send(
        &w,
        req("PATCH", &path).by(ALICE).json(json!({
            "label": " Q3 receipts ", "expires_in": 3600, "max_uploads": 2,
            "max_file_bytes": 100, "max_total_bytes": null, "max_pending_bytes": 300,
            "allowed_types": ["application/pdf"], "require_uploader_name": true
        })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let got = r.json()["link"].clone();
    assert_eq!(got["label"], "Q3 receipts");
    assert_eq!(got["expires_at"], "2026-11-22T11:00:00.000Z");
    assert_eq!(
        (got["max_uploads"].clone(), got["max_file_bytes"].clone()),
        (json!(2), json!(100))
    );
    assert_eq!(
        got["max_total_bytes"],
        Value::Null,
        "null removes the total limit"
    );
    assert_eq!(got["max_pending_bytes"], 300);
    assert_eq!(got["allowed_types"], json!(["application/pdf"]));
    assert_eq!(got["require_uploader_name"], true);
    assert_eq!(got["url"], link["url"], "the same URL");
    assert!(got.get("token").is_none());
    // Absent fields stay.
    let r = send(
        &w,
        req("PATCH", &path)
            .by(ALICE)
            .json(json!({"max_uploads": 3})),
    )
    .await;
    assert_eq!(r.json()["link"]["label"], "Q3 receipts");
    assert_eq!(
        r.json()["link"]["allowed_types"],
        json!(["application/pdf"])
    );
    // `null` gives the link back to the deployment's policy.
    let r = send(
        &w,
        req("PATCH", &path)
            .by(ALICE)
            .json(json!({"allowed_types": null})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["link"]["allowed_types"], "all_but_active_content");

    for (body, code) in [
        (
            json!({"allowed_types": "application/pdf"}),
            "invalid_request",
        ),
        (json!({"max_uploads": 0}), "invalid_max_uploads"),
        (json!({"max_uploads": "2"}), "invalid_max_uploads"),
        (json!({"expires_in": -1}), "invalid_expires_in"),
        (json!({"max_total_bytes": 0}), "invalid_max_total_bytes"),
        (json!({"allowed_types": []}), "invalid_allowed_types"),
        (json!({"label": ""}), "invalid_name"),
        (json!({"label": null}), "invalid_request"),
        (json!({"colour": "red"}), "invalid_request"),
        (json!({"require_uploader_name": "yes"}), "invalid_request"),
    ] {
        expect_error(
            &w,
            req("PATCH", &path).by(ALICE).json(body.clone()),
            400,
            code,
        )
        .await;
    }
    expect_error(
        &w,
        req("PATCH", &path).by(ALICE).body("{"),
        400,
        "invalid_json",
    )
    .await;
    expect_error(
        &w,
        req("PATCH", &path).by(BOB).json(json!({"max_uploads": 9})),
        404,
        "not_found",
    )
    .await;
    expect_error(
        &w,
        req("PATCH", "/links/nope").by(ALICE).json(json!({})),
        404,
        "not_found",
    )
    .await;

    // Only an ended link is removed; an ended one is not edited.
    let remove = || {
        req("DELETE", &path)
            .by(ALICE)
            .query(json!({"remove": "true"}))
    };
    expect_error(&w, remove(), 409, "link_active").await;
    expect_error(
        &w,
        req("DELETE", &path)
            .by(ALICE)
            .query(json!({"remove": "yes"})),
        400,
        "invalid_request",
    )
    .await;
    assert_eq!(send(&w, req("DELETE", &path).by(ALICE)).await.status, 204);
    expect_error(
        &w,
        req("PATCH", &path)
            .by(ALICE)
            .json(json!({"max_uploads": 9})),
        409,
        "link_ended",
    )
    .await;
    expect_error(
        &w,
        req("DELETE", &path)
            .by(BOB)
            .query(json!({"remove": "true"})),
        404,
        "not_found",
    )
    .await;
    assert_eq!(send(&w, remove()).await.status, 204);
    expect_error(&w, req("GET", &path).by(ALICE), 404, "not_found").await;
    expect_error(&w, remove(), 404, "not_found").await;
}

#[tokio::test]
async fn a_share_is_edited_as_it_is_created() {
    let w = world();
    let (_, share) = shared(
        &w,
        json!({"max_downloads": 2, "password": "open sesame", "label": "Release"}),
    )
    .await;
    let id = share["id"].as_str().unwrap();
    let path = format!("/shares/{id}");
    let token = share["token"].as_str().unwrap().to_owned();

    let r = send(
        &w,
        req("PATCH", &path).by(ALICE).json(json!({
            "max_downloads": null, "password": null, "label": null, "notify_owner": true,
            "expires_in": 60
        })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let got = r.json()["share"].clone();
    assert_eq!(got["max_downloads"], Value::Null);
    assert_eq!(got["downloads_left"], Value::Null);
    assert_eq!(got["password_protected"], false);
    assert_eq!(got["label"], Value::Null);
    assert_eq!(got["notify_owner"], true);
    assert_eq!(got["expires_at"], "2026-11-22T10:01:00.000Z");
    assert_eq!(got["url"], share["url"]);
    // One share on its own reads as the edit answered it; another owner's is not there.
    let one = send(&w, req("GET", &path).by(ALICE)).await;
    assert_eq!(one.status, 200, "{:?}", one.body);
    assert_eq!(one.json()["share"], got);
    expect_error(&w, req("GET", &path).by(BOB), 404, "not_found").await;
    expect_error(&w, req("GET", "/shares/nope").by(ALICE), 404, "not_found").await;
    // What the recipient meets follows: no password asked any more.
    let info = send(&w, req("GET", &format!("/share/{token}")))
        .await
        .json();
    assert_eq!(info["password_required"], false);

    // A new password is asked for again.
    let r = send(
        &w,
        req("PATCH", &path)
            .by(ALICE)
            .json(json!({"password": "new one", "max_downloads": 1})),
    )
    .await;
    assert_eq!(r.json()["share"]["password_protected"], true);
    let info = send(&w, req("GET", &format!("/share/{token}")))
        .await
        .json();
    assert_eq!(info["password_required"], true);

    for (body, code) in [
        (json!({"max_downloads": 0}), "invalid_max_downloads"),
        (json!({"password": ""}), "invalid_password"),
        (json!({"password": 5}), "invalid_request"),
        (json!({"expires_in": 0}), "invalid_expires_in"),
        (json!({"label": "a\u{202e}b"}), "invalid_name"),
        (json!({"token": "x"}), "invalid_request"),
    ] {
        expect_error(
            &w,
            req("PATCH", &path).by(ALICE).json(body.clone()),
            400,
            code,
        )
        .await;
    }
    expect_error(
        &w,
        req("PATCH", &path)
            .by(BOB)
            .json(json!({"notify_owner": false})),
        404,
        "not_found",
    )
    .await;

    let remove = || {
        req("DELETE", &path)
            .by(ALICE)
            .query(json!({"remove": "true"}))
    };
    expect_error(&w, remove(), 409, "share_active").await;
    assert_eq!(send(&w, req("DELETE", &path).by(ALICE)).await.status, 204);
    expect_error(
        &w,
        req("PATCH", &path)
            .by(ALICE)
            .json(json!({"notify_owner": false})),
        409,
        "share_ended",
    )
    .await;
    assert_eq!(send(&w, remove()).await.status, 204);
    let list = send(&w, req("GET", "/shares").by(ALICE)).await.json();
    assert_eq!(list["shares"], json!([]));
}
