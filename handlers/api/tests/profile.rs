//! The owner's profile through the API, on the in-memory fakes: the display name they set is
//! what a share's page names, read at each open; protected shares tell it only after the
//! password; another owner's never shows.

mod common;

use common::{ALICE, BOB, expect_error, req, send, shared, world};
use serde_json::{Value, json};

async fn set_name(w: &common::World, who: &str, name: Value) -> common::Resp {
    send(
        w,
        req("PUT", "/account/profile")
            .by(who)
            .json(json!({ "display_name": name })),
    )
    .await
}

async fn share_info(w: &common::World, token: &str) -> Value {
    let r = send(w, req("GET", &format!("/share/{token}"))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.json()
}

#[tokio::test]
async fn the_owner_sets_reads_and_removes_their_display_name() {
    let w = world();
    let r = send(&w, req("GET", "/account/profile").by(ALICE)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"profile": {"display_name": null}}));

    let r = set_name(&w, ALICE, json!("  Alice   Liddell ")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.json(),
        json!({"profile": {"display_name": "Alice Liddell"}})
    );
    let r = send(&w, req("GET", "/account/profile").by(ALICE)).await;
    assert_eq!(r.json()["profile"]["display_name"], "Alice Liddell");
    // Bob's profile is his own.
    let r = send(&w, req("GET", "/account/profile").by(BOB)).await;
    assert_eq!(r.json()["profile"]["display_name"], Value::Null);

    let r = set_name(&w, ALICE, Value::Null).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"profile": {"display_name": null}}));
}

#[tokio::test]
async fn bad_names_are_a_400_and_change_nothing() {
    let w = world();
    assert_eq!(set_name(&w, ALICE, json!("Alice")).await.status, 200);
    for bad in [
        json!(""),
        json!("   "),
        json!("x".repeat(81)),
        json!("Alice\u{202E}cba"),
        json!("Alice\nL"),
        json!(42),
    ] {
        expect_error(
            &w,
            req("PUT", "/account/profile")
                .by(ALICE)
                .json(json!({ "display_name": bad })),
            400,
            "invalid_display_name",
        )
        .await;
    }
    expect_error(
        &w,
        req("PUT", "/account/profile").by(ALICE).json(json!({})),
        400,
        "invalid_display_name",
    )
    .await;
    expect_error(
        &w,
        req("PUT", "/account/profile")
            .by(ALICE)
            .json(json!({"display_name": "A", "email": "a@x.org"})),
        400,
        "invalid_request",
    )
    .await;
    let r = send(&w, req("GET", "/account/profile").by(ALICE)).await;
    assert_eq!(r.json()["profile"]["display_name"], "Alice");
    // No token, no profile.
    expect_error(&w, req("GET", "/account/profile"), 401, "unauthorized").await;
}

#[tokio::test]
async fn a_share_names_its_owner_as_they_are_named_now() {
    let w = world();
    let (_, share) = shared(&w, json!({})).await;
    let token = share["token"].as_str().unwrap().to_owned();
    assert_eq!(share_info(&w, &token).await["shared_by"], Value::Null);

    assert_eq!(set_name(&w, ALICE, json!("Alice L.")).await.status, 200);
    assert_eq!(set_name(&w, BOB, json!("Bob B.")).await.status, 200);
    assert_eq!(share_info(&w, &token).await["shared_by"], "Alice L.");
    // A rename shows at the next open: the share holds no copy.
    assert_eq!(set_name(&w, ALICE, json!("Alice")).await.status, 200);
    let info = share_info(&w, &token).await;
    assert_eq!(info["shared_by"], "Alice");
    assert!(!info.to_string().contains("Bob"), "{info}");

    assert_eq!(set_name(&w, ALICE, Value::Null).await.status, 200);
    assert_eq!(share_info(&w, &token).await["shared_by"], Value::Null);
}

#[tokio::test]
async fn a_protected_share_names_its_owner_only_after_the_password() {
    let w = world();
    assert_eq!(set_name(&w, ALICE, json!("Alice")).await.status, 200);
    let (_, share) = shared(&w, json!({"password": "open sesame"})).await;
    let token = share["token"].as_str().unwrap().to_owned();
    let info = share_info(&w, &token).await;
    assert_eq!(info["password_required"], true);
    assert!(info.get("shared_by").is_none(), "{info}");

    let r = send(
        &w,
        req("POST", &format!("/share/{token}/unlock")).json(json!({"password": "open sesame"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["shared_by"], "Alice");
}
