//! The standing check before every authenticated route: a stopped account is refused at once
//! (403 account_disabled), a token issued before a sign-out everywhere too (401 token_revoked),
//! while public routes and other owners go on as before.

mod common;

use chrono::{TimeZone, Utc};
use common::{ALICE, BOB, claims, expect_error, req, send, world};
use dropgate_core::OwnerId;
use dropgate_core::clock::Clock;
use dropgate_core::standing::StandingStore;

fn owner(id: &str) -> OwnerId {
    OwnerId::parse(id).unwrap()
}

#[tokio::test]
async fn a_disabled_account_is_refused_on_every_route_and_others_are_not() {
    let w = world();
    assert_eq!(send(&w, req("GET", "/files").by(ALICE)).await.status, 200);
    w.standing.set_disabled(&owner(ALICE), true).await.unwrap();
    expect_error(&w, req("GET", "/files").by(ALICE), 403, "account_disabled").await;
    expect_error(&w, req("GET", "/quota").by(ALICE), 403, "account_disabled").await;
    assert_eq!(send(&w, req("GET", "/files").by(BOB)).await.status, 200);
    // A public route never asks.
    assert_eq!(send(&w, req("GET", "/health")).await.status, 200);
    w.standing.set_disabled(&owner(ALICE), false).await.unwrap();
    assert_eq!(send(&w, req("GET", "/files").by(ALICE)).await.status, 200);
}

#[tokio::test]
async fn a_token_from_before_a_sign_out_everywhere_is_revoked_and_a_later_one_is_not() {
    let w = world();
    // The test claims are issued at 1795341000.
    let cut = Utc.timestamp_opt(1_795_341_001, 0).unwrap();
    w.standing.sign_out_all(&owner(ALICE), cut).await.unwrap();
    expect_error(&w, req("GET", "/files").by(ALICE), 401, "token_revoked").await;
    let mut fresh = claims(ALICE);
    fresh["iat"] = 1_795_341_001.into();
    assert_eq!(
        send(&w, req("GET", "/files").claims(fresh)).await.status,
        200
    );
}

#[tokio::test]
async fn a_token_without_an_issue_time_is_unauthorized() {
    let w = world();
    let mut c = claims(ALICE);
    c.as_object_mut().unwrap().remove("iat");
    expect_error(&w, req("GET", "/files").claims(c), 401, "unauthorized").await;
}

/// API tokens answer to standing too: a disabled account's tokens are refused, and a token
/// made before a sign-out everywhere is revoked with the sessions (one a stolen session made
/// must not outlive it), while one made after it works.
#[tokio::test]
async fn api_tokens_are_refused_by_standing_like_id_tokens() {
    let w = world();
    let before = api_token(&w).await;
    w.clock.advance(chrono::Duration::seconds(10));
    let cut = w.clock.now();
    w.standing.sign_out_all(&owner(ALICE), cut).await.unwrap();
    expect_error(
        &w,
        req("GET", "/quota").header("authorization", &before),
        401,
        "token_revoked",
    )
    .await;
    // A session issued after the cut makes a token that works.
    let mut fresh = claims(ALICE);
    fresh["iat"] = cut.timestamp().into();
    let r = send(
        &w,
        req("POST", "/account/tokens")
            .claims(fresh)
            .json(serde_json::json!({"name": "ci", "scope": "full"})),
    )
    .await;
    let after = format!("Bearer {}", r.json()["token"]["secret"].as_str().unwrap());
    assert_eq!(
        send(&w, req("GET", "/quota").header("authorization", &after))
            .await
            .status,
        200
    );
    w.standing.set_disabled(&owner(ALICE), true).await.unwrap();
    expect_error(
        &w,
        req("GET", "/quota").header("authorization", &after),
        403,
        "account_disabled",
    )
    .await;
}

async fn api_token(w: &common::World) -> String {
    let r = send(
        w,
        req("POST", "/account/tokens")
            .by(ALICE)
            .json(serde_json::json!({"name": "ci", "scope": "full"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    format!("Bearer {}", r.json()["token"]["secret"].as_str().unwrap())
}

/// A read runs beside the standing check, but its answer never outruns a refusal: what the
/// read found (a file, or that there is none) stays behind the 403.
#[tokio::test]
async fn a_refusal_wins_over_what_a_read_found() {
    let w = world();
    w.standing.set_disabled(&owner(ALICE), true).await.unwrap();
    for path in [
        "/files/0190a0c4-7d2a-7000-8000-000000000000",
        "/files",
        "/links",
        "/shares",
        "/quota",
    ] {
        expect_error(&w, req("GET", path).by(ALICE), 403, "account_disabled").await;
    }
}

/// A change waits for the standing: a stopped account's request writes nothing, and a
/// standing that cannot be read stops reads and changes alike (503, never a pass).
#[tokio::test]
async fn a_refused_change_writes_nothing_and_an_unreadable_standing_refuses_all() {
    use std::sync::atomic::Ordering;
    let w = world();
    let link = serde_json::json!({"label": "Intake"});
    w.standing.set_disabled(&owner(ALICE), true).await.unwrap();
    expect_error(
        &w,
        req("POST", "/links").by(ALICE).json(link.clone()),
        403,
        "account_disabled",
    )
    .await;
    w.standing.set_disabled(&owner(ALICE), false).await.unwrap();
    w.standing.unreadable.store(true, Ordering::SeqCst);
    expect_error(&w, req("GET", "/files").by(ALICE), 503, "unavailable").await;
    expect_error(&w, req("GET", "/links").by(ALICE), 503, "unavailable").await;
    expect_error(
        &w,
        req("POST", "/links").by(ALICE).json(link.clone()),
        503,
        "unavailable",
    )
    .await;
    w.standing.unreadable.store(false, Ordering::SeqCst);
    let listed = send(&w, req("GET", "/links").by(ALICE)).await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.json()["links"],
        serde_json::json!([]),
        "nothing was made"
    );
    let made = send(&w, req("POST", "/links").by(ALICE).json(link)).await;
    assert_eq!(made.status, 201, "{:?}", made.body);
}
