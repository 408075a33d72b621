//! The standing check before every authenticated route: a stopped account is refused at once
//! (403 account_disabled), a token issued before a sign-out everywhere too (401 token_revoked),
//! while public routes and other owners go on as before.

mod common;

use chrono::{TimeZone, Utc};
use common::{ALICE, BOB, claims, expect_error, req, send, world};
use dropgate_core::OwnerId;
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
    // The test claims are issued at 1767225600.
    let cut = Utc.timestamp_opt(1_767_225_601, 0).unwrap();
    w.standing.sign_out_all(&owner(ALICE), cut).await.unwrap();
    expect_error(&w, req("GET", "/files").by(ALICE), 401, "token_revoked").await;
    let mut fresh = claims(ALICE);
    fresh["iat"] = "1767225601".into();
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
