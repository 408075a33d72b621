//! The admin accounts routes on the in-memory fakes: the listing joined with the quota record,
//! the own quota that uploads then hold to, the kill switch and its audit entries, and the
//! bad-input codes.

mod common;

use chrono::{TimeZone, Utc};
use common::{ALICE, BOB, LIMIT, claims, expect_error, new_file, req, send, world};
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
    w
}

#[tokio::test]
async fn an_admin_finds_accounts_by_email_prefix_with_their_usage() {
    let w = populated();
    common::create(&w, ALICE, 1234).await;
    let r = send(
        &w,
        req("GET", "/admin/users")
            .claims(admin())
            .query(json!({"query": "ali"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let page = r.json();
    assert_eq!(page["next_cursor"], Value::Null);
    let users = page["users"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    let u = &users[0];
    assert_eq!(u["id"], ALICE);
    assert_eq!(u["email"], "alice@example.com");
    assert_eq!(u["status"], "active");
    assert_eq!(u["created_at"], "2026-11-01T08:00:00.000Z");
    assert_eq!(u["quota_bytes"], LIMIT);
    assert_eq!(u["quota_custom"], false);
    assert_eq!(
        (u["reserved_bytes"].as_u64(), u["files"].as_u64()),
        (Some(1234), Some(1))
    );
    assert_eq!(
        (u["links"].as_u64(), u["shares"].as_u64()),
        (Some(0), Some(0))
    );

    let r = send(
        &w,
        req("GET", &format!("/admin/users/{BOB}")).claims(admin()),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["user"]["email"], "bob@example.com");
    expect_error(
        &w,
        req("GET", "/admin/users/nobody").claims(admin()),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_raised_quota_takes_an_upload_past_the_default_and_a_lowered_one_refuses() {
    let w = populated();
    let big = LIMIT - 10;
    let r = send(
        &w,
        req("PATCH", &format!("/admin/users/{ALICE}"))
            .claims(admin())
            .json(json!({"quota_bytes": 3 * LIMIT})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["user"]["quota_bytes"], 3 * LIMIT);
    assert_eq!(r.json()["user"]["quota_custom"], true);
    for _ in 0..2 {
        let r = send(
            &w,
            req("POST", "/files").by(ALICE).json(new_file(
                "a.png",
                big.min(common::MAX),
                "image/png",
            )),
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let q = send(&w, req("GET", "/quota").by(ALICE)).await.json();
    assert_eq!(q["limit_bytes"], 3 * LIMIT);

    let r = send(
        &w,
        req("PATCH", &format!("/admin/users/{ALICE}"))
            .claims(admin())
            .json(json!({"quota_bytes": 100})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let refused = expect_error(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("b.png", 1, "image/png")),
        413,
        "quota_exceeded",
    )
    .await;
    assert_eq!(refused.json()["error"]["limit_bytes"], 100);
    // Nothing removed: the reservations stand.
    let u = send(
        &w,
        req("GET", &format!("/admin/users/{ALICE}")).claims(admin()),
    )
    .await
    .json();
    assert_eq!(u["user"]["files"], 2);
    // Bob keeps the default.
    let q = send(&w, req("GET", "/quota").by(BOB)).await.json();
    assert_eq!(q["limit_bytes"], LIMIT);
}

#[tokio::test]
async fn the_switch_is_audited_once_per_change_by_id() {
    let w = populated();
    for body in [json!({"disabled": true}), json!({"disabled": false})] {
        let r = send(
            &w,
            req("PATCH", &format!("/admin/users/{BOB}"))
                .claims(admin())
                .json(body.clone()),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let want = if body["disabled"] == true {
            "disabled"
        } else {
            "active"
        };
        assert_eq!(r.json()["user"]["status"], want);
    }
    let log = send(&w, req("GET", "/admin/audit").claims(admin()))
        .await
        .json();
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.enabled", "user.disabled"], "newest first");
    for e in entries {
        assert_eq!(e["actor"], json!({"id": ADMIN, "kind": "admin"}));
        assert_eq!(e["target"], json!({"kind": "user", "id": BOB}));
        assert!(!e.to_string().contains("@example.com"), "{e}");
    }
}

#[tokio::test]
async fn bad_input_has_its_codes_and_non_admins_get_nothing() {
    let w = populated();
    let path = format!("/admin/users/{ALICE}");
    for (body, code) in [
        ("{}", "invalid_request"),
        ("nope", "invalid_json"),
        (r#"{"quota_bytes": -5}"#, "invalid_quota"),
        (r#"{"quota_bytes": 2.5}"#, "invalid_quota"),
        (r#"{"disabled": "yes"}"#, "invalid_disabled"),
        (r#"{"disabled": true, "email": "x"}"#, "invalid_request"),
    ] {
        expect_error(
            &w,
            req("PATCH", &path).claims(admin()).body(body),
            400,
            code,
        )
        .await;
    }
    expect_error(
        &w,
        req("GET", "/admin/users")
            .claims(admin())
            .query(json!({"limit": "0"})),
        400,
        "invalid_limit",
    )
    .await;
    expect_error(
        &w,
        req("GET", "/admin/users")
            .claims(admin())
            .query(json!({"query": "a\"b"})),
        400,
        "invalid_query",
    )
    .await;
    // Longer than Cognito's filter can hold: refused here, never a 500 from upstream.
    expect_error(
        &w,
        req("GET", "/admin/users")
            .claims(admin())
            .query(json!({"query": "a".repeat(246)})),
        400,
        "invalid_query",
    )
    .await;
    // A non-admin's bad body is a 403, not a 400: nothing is learnt.
    expect_error(
        &w,
        req("PATCH", &path).by(BOB).body("nope"),
        403,
        "admin_only",
    )
    .await;
    expect_error(
        &w,
        req("PATCH", "/admin/users/nobody")
            .claims(admin())
            .json(json!({"disabled": true})),
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_stopped_account_s_links_and_shares_are_gone_until_it_is_restored() {
    let w = populated();
    let (_, share) = common::shared(&w, json!({})).await;
    let share_token = share["token"].as_str().unwrap().to_owned();
    let r = send(
        &w,
        req("POST", "/links")
            .by(ALICE)
            .json(json!({"label": "Q3", "expires_in": 3600})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let link_token = r.json()["link"]["token"].as_str().unwrap().to_owned();
    let path = format!("/admin/users/{ALICE}");
    let r = send(
        &w,
        req("PATCH", &path)
            .claims(admin())
            .json(json!({"disabled": true})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    expect_error(
        &w,
        req("GET", &format!("/share/{share_token}")),
        410,
        "share_disabled",
    )
    .await;
    expect_error(
        &w,
        req("GET", &format!("/drop/{link_token}")),
        410,
        "link_disabled",
    )
    .await;
    // The owner's still-valid token is refused at once.
    expect_error(&w, req("GET", "/files").by(ALICE), 403, "account_disabled").await;
    let r = send(
        &w,
        req("PATCH", &path)
            .claims(admin())
            .json(json!({"disabled": false})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for p in [
        format!("/share/{share_token}"),
        format!("/drop/{link_token}"),
    ] {
        let r = send(&w, req("GET", &p)).await;
        assert_eq!(r.status, 200, "{p}: {:?}", r.body);
    }
    // The stop signed the account out everywhere: the token it held before stays refused; a
    // session begun after the restore goes through.
    expect_error(&w, req("GET", "/files").by(ALICE), 401, "token_revoked").await;
    let mut fresh = claims(ALICE);
    fresh["iat"] = dropgate_core::clock::Clock::now(&*w.clock)
        .timestamp()
        .into();
    assert_eq!(
        send(&w, req("GET", "/files").claims(fresh)).await.status,
        200
    );
}

#[tokio::test]
async fn an_admin_cannot_stop_or_erase_their_own_account() {
    let w = populated();
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
    w.directory.add(ADMIN, "root@example.com", at);
    let me = admin();
    let id = ADMIN;
    let path = format!("/admin/users/{id}");
    expect_error(
        &w,
        req("PATCH", &path)
            .claims(me.clone())
            .json(json!({"disabled": true})),
        409,
        "own_account",
    )
    .await;
    expect_error(
        &w,
        req("DELETE", &path).claims(me.clone()),
        409,
        "own_account",
    )
    .await;
}
