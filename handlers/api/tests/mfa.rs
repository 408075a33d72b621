//! Two-factor sign-in's routes on the in-memory fakes: enrolment and the switch through the
//! owner's own access token, and admins refused without it when `REQUIRE_ADMIN_MFA` is on
//! (every `/admin/` route of the table), a non-admin still `admin_only`.

mod common;

use common::{ALICE, claims, expect_error, req, send, world};
use dropgate_api::ROUTES;
use dropgate_core::OwnerId;
use serde_json::{Value, json};

fn admin(sub: &str) -> Value {
    let mut c = claims(sub);
    c["cognito:groups"] = json!(["admins"]);
    c
}

#[tokio::test]
async fn totp_is_turned_on_and_off_with_the_owners_access_token_and_a_current_code() {
    let w = world();
    let owner = OwnerId::parse(ALICE).unwrap();
    let access = w.totp.add(&owner, "alice@example.com");
    // `GET /account/mfa` says whether it is on; no access token needed.
    let status = async |w: &common::World| {
        let r = send(w, req("GET", "/account/mfa").claims(claims(ALICE))).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.json()
    };
    assert_eq!(status(&w).await, json!({"totp": {"enabled": false}}));
    expect_error(&w, req("GET", "/account/mfa"), 401, "unauthorized").await;
    expect_error(
        &w,
        req("POST", "/account/mfa/totp").claims(claims(ALICE)),
        401,
        "invalid_access_token",
    )
    .await;
    let r = send(
        &w,
        req("POST", "/account/mfa/totp")
            .claims(claims(ALICE))
            .header("dropgate-access-token", &access),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        r.json()["otpauth_uri"],
        json!(format!(
            "otpauth://totp/Dropgate:alice@example.com?secret={secret}&issuer=Dropgate"
        ))
    );
    let code = w.totp.code(&secret);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let verify = |c: &str| {
        req("POST", "/account/mfa/totp/verify")
            .claims(claims(ALICE))
            .header("dropgate-access-token", &access)
            .json(json!({ "code": c }))
    };
    expect_error(&w, verify(wrong), 400, "invalid_code").await;
    assert_eq!(status(&w).await, json!({"totp": {"enabled": false}}));
    let r = send(&w, verify(&code)).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(status(&w).await, json!({"totp": {"enabled": true}}));
    let off = |c: &str| {
        req("DELETE", "/account/mfa/totp")
            .claims(claims(ALICE))
            .header("dropgate-access-token", &access)
            .json(json!({ "code": c }))
    };
    expect_error(&w, off(wrong), 400, "invalid_code").await;
    let r = send(&w, off(&code)).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(status(&w).await, json!({"totp": {"enabled": false}}));
    expect_error(&w, off(&code), 409, "totp_not_enabled").await;
}

#[tokio::test]
async fn with_require_admin_mfa_every_admin_route_refuses_an_admin_without_totp() {
    let mut w = world();
    w.deps.require_admin_mfa = true;
    let owner = OwnerId::parse(ALICE).unwrap();
    let access = w.totp.add(&owner, "alice@example.com");
    let admin_routes: Vec<_> = ROUTES
        .iter()
        .filter(|r| r.pattern.starts_with("/admin/"))
        .collect();
    assert!(admin_routes.len() >= 2);
    let path = |p: &str| {
        p.split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    for r in &admin_routes {
        let resp = expect_error(
            &w,
            req(r.method, &path(r.pattern)).claims(admin(ALICE)),
            403,
            "mfa_required",
        )
        .await;
        let message = resp.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("/account/mfa/totp"), "{message}");
        // A non-admin learns only that the route is for admins.
        expect_error(
            &w,
            req(r.method, &path(r.pattern)).claims(claims(ALICE)),
            403,
            "admin_only",
        )
        .await;
    }
    // Owner routes stay open: that is where the admin turns it on.
    let r = send(
        &w,
        req("POST", "/account/mfa/totp")
            .claims(admin(ALICE))
            .header("dropgate-access-token", &access),
    )
    .await;
    let secret = r.json()["secret"].as_str().unwrap().to_owned();
    let r = send(
        &w,
        req("POST", "/account/mfa/totp/verify")
            .claims(admin(ALICE))
            .header("dropgate-access-token", &access)
            .json(json!({ "code": w.totp.code(&secret) })),
    )
    .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let r = send(&w, req("GET", "/admin/audit").claims(admin(ALICE))).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}
