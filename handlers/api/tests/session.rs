//! The browser's session: the refresh token in an HttpOnly cookie, never in the body.

mod common;

use common::{expect_error, req, send, world};
use serde_json::json;

async fn signed_up(w: &common::World, email: &str) {
    let r = send(
        w,
        req("POST", "/auth/signup").json(json!({"email": email, "password": "Correct1horse"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[tokio::test]
async fn a_cookie_login_keeps_the_refresh_token_out_of_the_body() {
    let w = world();
    signed_up(&w, "ada@example.com").await;
    let r = send(
        &w,
        req("POST", "/auth/login")
            .json(json!({"email": "ada@example.com", "password": "Correct1horse", "cookie": true})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let body = r.json();
    assert_eq!(body["id_token"], "id-ada@example.com");
    assert_eq!(body["expires_in"], 3600);
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert_eq!(r.raw.cookies.len(), 1);
    let cookie = &r.raw.cookies[0];
    assert!(
        cookie.starts_with("__Host-dropgate_refresh=refresh-ada@example.com;"),
        "{cookie}"
    );
    for attr in [
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Max-Age=2592000",
    ] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }

    // A reload: refresh from the cookie alone, with no body at all.
    let r = send(
        &w,
        req("POST", "/auth/refresh").cookie("__Host-dropgate_refresh=refresh-ada@example.com"),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["id_token"], "id-ada@example.com");
    assert!(r.json().get("refresh_token").is_none());

    // Log out: the cookie's token is revoked and the cookie cleared.
    let r = send(
        &w,
        req("POST", "/auth/logout").cookie("__Host-dropgate_refresh=refresh-ada@example.com"),
    )
    .await;
    assert_eq!(r.status, 204);
    assert!(r.raw.cookies[0].starts_with("__Host-dropgate_refresh=;"));
    assert!(r.raw.cookies[0].contains("Max-Age=0"));
    // A copy of the cookie kept from before refreshes nothing now.
    expect_error(
        &w,
        req("POST", "/auth/refresh").cookie("__Host-dropgate_refresh=refresh-ada@example.com"),
        401,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn logout_revokes_the_body_token_and_is_idempotent() {
    let w = world();
    signed_up(&w, "cli@example.com").await;
    let token = json!({"refresh_token": "refresh-cli@example.com"});
    let r = send(&w, req("POST", "/auth/refresh").json(token.clone())).await;
    assert_eq!(r.status, 200);
    for _ in 0..2 {
        let r = send(&w, req("POST", "/auth/logout").json(token.clone())).await;
        assert_eq!(r.status, 204, "{:?}", r.body);
    }
    expect_error(
        &w,
        req("POST", "/auth/refresh").json(token),
        401,
        "invalid_token",
    )
    .await;
    // Nothing to revoke (no token, an empty or a huge one): still logged out, nothing asked.
    let before = w.accounts.revoked.lock().unwrap().len();
    for body in [
        None,
        Some(json!({})),
        Some(json!({"refresh_token": ""})),
        Some(json!({"refresh_token": "x".repeat(9000)})),
    ] {
        let r = match body {
            Some(b) => req("POST", "/auth/logout").json(b),
            None => req("POST", "/auth/logout"),
        };
        assert_eq!(send(&w, r).await.status, 204);
    }
    assert_eq!(w.accounts.revoked.lock().unwrap().len(), before);
}

#[tokio::test]
async fn logout_with_both_a_body_token_and_a_cookie_ends_both_sessions() {
    let w = world();
    signed_up(&w, "ada@example.com").await;
    signed_up(&w, "cli@example.com").await;
    let r = send(
        &w,
        req("POST", "/auth/logout")
            .cookie("__Host-dropgate_refresh=refresh-ada@example.com")
            .json(json!({"refresh_token": "refresh-cli@example.com"})),
    )
    .await;
    assert_eq!(r.status, 204);
    for token in ["refresh-ada@example.com", "refresh-cli@example.com"] {
        expect_error(
            &w,
            req("POST", "/auth/refresh").json(json!({ "refresh_token": token })),
            401,
            "invalid_token",
        )
        .await;
    }
}

#[tokio::test]
async fn logout_with_a_malformed_body_is_400_and_revokes_nothing() {
    let w = world();
    expect_error(
        &w,
        req("POST", "/auth/logout").body("{not json"),
        400,
        "invalid_json",
    )
    .await;
    expect_error(
        &w,
        req("POST", "/auth/logout").json(json!({"refresh_token": 7})),
        400,
        "invalid_request",
    )
    .await;
    assert!(w.accounts.revoked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn logout_while_the_directory_is_down_is_503_and_still_clears_the_cookie() {
    let w = world();
    w.accounts
        .revoke_fails
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let r = send(
        &w,
        req("POST", "/auth/logout").cookie("__Host-dropgate_refresh=refresh-ada@example.com"),
    )
    .await;
    assert_eq!(r.status, 503);
    assert_eq!(r.json()["error"]["code"], "unavailable");
    assert!(r.raw.cookies[0].starts_with("__Host-dropgate_refresh=;"));
    assert!(r.raw.cookies[0].contains("Max-Age=0"));
}

#[tokio::test]
async fn other_clients_keep_the_body_contract() {
    let w = world();
    signed_up(&w, "cli@example.com").await;
    let r = send(
        &w,
        req("POST", "/auth/login")
            .json(json!({"email": "cli@example.com", "password": "Correct1horse"})),
    )
    .await;
    assert_eq!(r.json()["refresh_token"], "refresh-cli@example.com");
    assert!(r.raw.cookies.is_empty());
    let r = send(
        &w,
        req("POST", "/auth/refresh").json(json!({"refresh_token": "refresh-cli@example.com"})),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["refresh_token"], "refresh-cli@example.com");
}

#[tokio::test]
async fn refresh_without_a_token_or_with_a_forged_cookie_is_401() {
    let w = world();
    expect_error(&w, req("POST", "/auth/refresh"), 401, "invalid_token").await;
    expect_error(
        &w,
        req("POST", "/auth/refresh").body("{}"),
        401,
        "invalid_token",
    )
    .await;
    expect_error(
        &w,
        req("POST", "/auth/refresh").cookie("__Host-dropgate_refresh=forged"),
        401,
        "invalid_token",
    )
    .await;
    expect_error(
        &w,
        req("POST", "/auth/refresh").cookie("other=refresh-x"),
        401,
        "invalid_token",
    )
    .await;
    expect_error(
        &w,
        req("POST", "/auth/login")
            .json(json!({"email": "a@example.com", "password": "x", "cookie": "yes"})),
        400,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_cookie_session_is_only_for_the_sites_own_json_requests() {
    let w = world();
    signed_up(&w, "eve@example.com").await;
    let body = json!({"email": "eve@example.com", "password": "Correct1horse", "cookie": true});
    // A cross-site form can post text/plain that parses as JSON: refused (login CSRF).
    let r = expect_error(
        &w,
        req("POST", "/auth/login")
            .json(body.clone())
            .header("content-type", "text/plain"),
        403,
        "cross_site_refused",
    )
    .await;
    assert!(r.raw.cookies.is_empty());
    expect_error(
        &w,
        req("POST", "/auth/login")
            .json(body.clone())
            .header("sec-fetch-site", "cross-site"),
        403,
        "cross_site_refused",
    )
    .await;
    let r = send(
        &w,
        req("POST", "/auth/login")
            .json(body)
            .header("sec-fetch-site", "same-origin"),
    )
    .await;
    assert_eq!(r.status, 200);
    // Two session cookies (one planted by a sibling subdomain): no session.
    expect_error(
        &w,
        req("POST", "/auth/refresh")
            .cookie("__Host-dropgate_refresh=refresh-eve@example.com")
            .cookie("__Host-dropgate_refresh=refresh-other@example.com"),
        401,
        "invalid_token",
    )
    .await;
}
