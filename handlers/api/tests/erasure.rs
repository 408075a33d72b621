//! The erasure routes on the in-memory fakes: an admin's `DELETE /admin/users/{id}` and the
//! owner's `DELETE /account`, their answers, refusals and the receipt.

mod common;

use chrono::{TimeZone, Utc};
use common::{ALICE, BOB, claims, expect_error, req, send, world};
use dropgate_core::OwnerId;
use serde_json::{Value, json};

const ADMIN: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

fn admin() -> Value {
    let mut c = claims(ADMIN);
    c["cognito:groups"] = json!(["admins"]);
    c
}

fn populated() -> common::World {
    let w = world();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    w.directory.add(ALICE, "alice@example.com", at);
    w.directory.add(BOB, "bob@example.com", at);
    w.account_directory
        .add(&OwnerId::parse(ALICE).unwrap(), "alice@example.com");
    w
}

#[tokio::test]
async fn an_admin_erases_an_account_and_it_is_unknown_afterwards() {
    let w = populated();
    common::create(&w, ALICE, 1234).await;
    common::create(&w, BOB, 10).await;
    let path = format!("/admin/users/{ALICE}");
    expect_error(
        &w,
        req("DELETE", &path).claims(claims(BOB)),
        403,
        "admin_only",
    )
    .await;
    let r = send(&w, req("DELETE", &path).claims(admin())).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let e = &r.json()["erasure"];
    assert_eq!(e["id"], ALICE);
    assert_eq!(
        (e["files"].as_u64(), e["bytes"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (e["links"].as_u64(), e["shares"].as_u64()),
        (Some(0), Some(0))
    );
    expect_error(&w, req("GET", &path).claims(admin()), 404, "not_found").await;
    expect_error(&w, req("DELETE", &path).claims(admin()), 404, "not_found").await;
    // The erased owner's token is refused; the other owner's files are there.
    expect_error(
        &w,
        req("GET", "/files").claims(claims(ALICE)),
        403,
        "account_disabled",
    )
    .await;
    let r = send(&w, req("GET", "/files").claims(claims(BOB))).await;
    assert_eq!(r.json()["files"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_owner_erases_their_own_account_with_the_password_and_is_mailed_a_receipt() {
    let w = populated();
    common::create(&w, ALICE, 1234).await;
    let wrong = json!({"password": "Wrong1horse"}).to_string();
    expect_error(
        &w,
        req("DELETE", "/account").claims(claims(ALICE)).body(&wrong),
        401,
        "invalid_credentials",
    )
    .await;
    for bad in ["{}", r#"{"password": "x", "other": 1}"#, "nope"] {
        let r = send(
            &w,
            req("DELETE", "/account").claims(claims(ALICE)).body(bad),
        )
        .await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }
    assert!(w.mailer.sent.lock().unwrap().is_empty());
    let right = json!({"password": "Correct1horse", "code": "123456"}).to_string();
    let r = send(
        &w,
        req("DELETE", "/account").claims(claims(ALICE)).body(&right),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let e = r.json()["erasure"].clone();
    assert_eq!(e.get("id"), None);
    assert_eq!(e["files"].as_u64(), Some(1));
    assert!(e["at"].as_str().unwrap().ends_with('Z'));
    let sent = w.mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "alice@example.com");
    assert!(sent[0].body.contains("1 files"));
}

#[tokio::test]
async fn with_totp_on_an_owners_erasure_needs_a_current_code() {
    let w = populated();
    common::create(&w, ALICE, 1234).await;
    let owner = OwnerId::parse(ALICE).unwrap();
    // Cognito's username is the owner id.
    let access = w.totp.add(&owner, ALICE);
    let r = send(
        &w,
        req("POST", "/account/mfa/totp")
            .claims(claims(ALICE))
            .header("dropgate-access-token", &access),
    )
    .await;
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let r = send(
        &w,
        req("POST", "/account/mfa/totp/verify")
            .claims(claims(ALICE))
            .header("dropgate-access-token", &access)
            .json(json!({ "code": w.totp.code(&secret) })),
    )
    .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let code = w.totp.code(&secret);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for body in [
        json!({"password": "Correct1horse"}),
        json!({"password": "Correct1horse", "code": wrong}),
        json!({"password": "Correct1horse", "code": "12"}),
    ] {
        expect_error(
            &w,
            req("DELETE", "/account").claims(claims(ALICE)).json(body),
            401,
            "invalid_code",
        )
        .await;
    }
    // Nothing was erased: the file is still listed.
    let r = send(&w, req("GET", "/files").claims(claims(ALICE))).await;
    assert_eq!(r.json()["files"].as_array().map(Vec::len), Some(1));
    assert!(w.mailer.sent.lock().unwrap().is_empty());
    let r = send(
        &w,
        req("DELETE", "/account")
            .claims(claims(ALICE))
            .json(json!({"password": "Correct1horse", "code": code})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["erasure"]["files"].as_u64(), Some(1));
}
