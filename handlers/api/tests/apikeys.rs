//! API tokens through the handler: made, listed and revoked by their owner with an id token;
//! each scope allowed and denied route by route (over the route table); revocation and expiry
//! effective on the next request; an upload token reads only the files it created.

mod common;

use common::{ALICE, BOB, create, expect_error, new_file, req, send, world};
use dropgate_api::ROUTES;
use dropgate_core::apikeys::{Grant, Scope};
use serde_json::{Value, json};

/// A token of `scope` made by `sub` through the API: (id, secret).
async fn token(w: &common::World, sub: &str, scope: &str) -> (String, String) {
    let r = send(
        w,
        req("POST", "/account/tokens")
            .by(sub)
            .json(json!({"name": format!("{scope} script"), "scope": scope})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let t = &r.json()["token"];
    (
        t["id"].as_str().unwrap().to_owned(),
        t["secret"].as_str().unwrap().to_owned(),
    )
}

fn bearer(secret: &str) -> String {
    format!("Bearer {secret}")
}

#[tokio::test]
async fn a_token_is_made_once_listed_without_its_secret_and_revoked_at_once() {
    let w = world();
    let r = send(
        &w,
        req("POST", "/account/tokens")
            .by(ALICE)
            .json(json!({"name": " ci ", "scope": "read", "expires_in": 7200})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let t = r.json()["token"].clone();
    let secret = t["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("dgt_") && secret.len() >= 4 + 22,
        "{secret}"
    );
    assert_eq!(t["name"], "ci");
    assert_eq!(t["scope"], "read");
    assert_eq!(t["created_at"], "2026-11-22T10:00:00.000Z");
    assert_eq!(t["expires_at"], "2026-11-22T12:00:00.000Z");
    assert_eq!(t["last_used_at"], Value::Null);

    let ok = send(
        &w,
        req("GET", "/files").header("authorization", &bearer(&secret)),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let list = send(&w, req("GET", "/account/tokens").by(ALICE)).await;
    let tokens = list.json()["tokens"].clone();
    assert_eq!(tokens.as_array().unwrap().len(), 1);
    assert_eq!(tokens[0]["id"], t["id"]);
    assert_eq!(tokens[0]["last_used_at"], "2026-11-22T10:00:00.000Z");
    assert!(!list.body.as_deref().unwrap().contains(&secret));
    assert!(!list.body.as_deref().unwrap().contains(&secret[4..]));
    // Bob sees none of Alice's, and cannot revoke hers.
    let bobs = send(&w, req("GET", "/account/tokens").by(BOB)).await;
    assert_eq!(bobs.json()["tokens"], json!([]));
    let path = format!("/account/tokens/{}", t["id"].as_str().unwrap());
    expect_error(&w, req("DELETE", &path).by(BOB), 404, "not_found").await;

    let gone = send(&w, req("DELETE", &path).by(ALICE)).await;
    assert_eq!(gone.status, 204);
    expect_error(
        &w,
        req("GET", "/files").header("authorization", &bearer(&secret)),
        401,
        "token_revoked",
    )
    .await;
    let list = send(&w, req("GET", "/account/tokens").by(ALICE)).await;
    assert_eq!(list.json()["tokens"], json!([]));
    expect_error(&w, req("DELETE", &path).by(ALICE), 404, "not_found").await;
}

#[tokio::test]
async fn expired_unknown_and_malformed_tokens_are_refused() {
    let w = world();
    let r = send(
        &w,
        req("POST", "/account/tokens")
            .by(ALICE)
            .json(json!({"name": "hourly", "scope": "full", "expires_in": 3600})),
    )
    .await;
    let secret = r.json()["token"]["secret"].as_str().unwrap().to_owned();
    w.clock.advance(chrono::Duration::seconds(3600));
    expect_error(
        &w,
        req("GET", "/quota").header("authorization", &bearer(&secret)),
        401,
        "token_expired",
    )
    .await;
    for bad in ["dgt_", "dgt_notatoken", "Basic dgt_x"] {
        let auth = if bad.starts_with("Basic") {
            bad.to_owned()
        } else {
            bearer(bad)
        };
        expect_error(
            &w,
            req("GET", "/quota").header("authorization", &auth),
            401,
            "unauthorized",
        )
        .await;
    }
}

#[tokio::test]
async fn a_new_token_is_checked_for_scope_name_and_lifetime() {
    let w = world();
    let bad: &[(Value, &str)] = &[
        (json!({"name": "x", "scope": "admin"}), "invalid_scope"),
        (json!({"name": "x", "scope": "FULL"}), "invalid_scope"),
        (
            json!({"name": "x", "scope": "read", "expires_in": 3599}),
            "invalid_request",
        ),
        (
            json!({"name": "x", "scope": "read", "expires_in": 31_536_001}),
            "invalid_request",
        ),
        (
            json!({"name": "x", "scope": "read", "expires_in": -1}),
            "invalid_request",
        ),
        (json!({"name": "", "scope": "read"}), "invalid_request"),
        (json!({"scope": "read"}), "invalid_request"),
        (
            json!({"name": "x", "scope": "read", "extra": 1}),
            "invalid_request",
        ),
    ];
    for (body, code) in bad {
        expect_error(
            &w,
            req("POST", "/account/tokens").by(ALICE).json(body.clone()),
            400,
            code,
        )
        .await;
    }
    let r = send(
        &w,
        req("POST", "/account/tokens")
            .by(ALICE)
            .json(json!({"name": "year", "scope": "read", "expires_in": 31_536_000})),
    )
    .await;
    assert_eq!(r.json()["token"]["expires_at"], "2027-11-22T10:00:00.000Z");
    let r = send(
        &w,
        req("POST", "/account/tokens")
            .by(ALICE)
            .json(json!({"name": "default", "scope": "read"})),
    )
    .await;
    assert_eq!(r.json()["token"]["expires_at"], "2027-02-20T10:00:00.000Z");
}

/// Every non-public route of the table, with every scope: a denied route answers `403
/// scope_denied` (before anything else happens), an allowed one anything but that or a 401, a
/// route open to an upload token only on the files it created answers `404` for another file.
#[tokio::test]
async fn each_scope_is_allowed_and_denied_route_by_route() {
    let w = world();
    let mut secrets = Vec::new();
    for scope in Scope::ALL {
        secrets.push((scope, token(&w, ALICE, scope.as_str()).await.1));
    }
    // A file of Alice's that no token created.
    let file = create(&w, ALICE, 100).await;
    for r in ROUTES.iter().filter(|r| !r.public) {
        let path: String = r
            .pattern
            .split('/')
            .map(|s| if s.starts_with('{') { file.as_str() } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for (scope, secret) in &secrets {
            let desc = format!("{} {} with a {} token", r.method, r.pattern, scope.as_str());
            let resp = send(
                &w,
                req(r.method, &path)
                    .header("authorization", &bearer(secret))
                    .json(json!({})),
            )
            .await;
            let code = resp
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str::<Value>(b).ok())
                .and_then(|v| v["error"]["code"].as_str().map(str::to_owned));
            match r.scopes.grant(*scope) {
                Grant::No => {
                    assert_eq!(
                        (resp.status, code.as_deref()),
                        (403, Some("scope_denied")),
                        "{desc}"
                    );
                }
                Grant::Yes => {
                    assert_ne!(code.as_deref(), Some("scope_denied"), "{desc}");
                    assert_ne!(resp.status, 401, "{desc}: {:?}", resp.body);
                }
                Grant::Created => {
                    assert_eq!(
                        (resp.status, code.as_deref()),
                        (404, Some("not_found")),
                        "{desc}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn an_upload_token_reads_only_the_files_it_created() {
    let w = world();
    let (_, up) = token(&w, ALICE, "upload").await;
    let (_, up2) = token(&w, ALICE, "upload").await;
    let r = send(
        &w,
        req("POST", "/files")
            .header("authorization", &bearer(&up))
            .json(new_file("build.png", 100, "image/png")),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.json()["file"]["id"].as_str().unwrap().to_owned();
    let path = format!("/files/{id}");
    let mine = send(&w, req("GET", &path).header("authorization", &bearer(&up))).await;
    assert_eq!(mine.status, 200, "{:?}", mine.body);
    assert_eq!(mine.json()["file"]["status"], "pending");
    // Another upload token of the same owner did not create it.
    expect_error(
        &w,
        req("GET", &path).header("authorization", &bearer(&up2)),
        404,
        "not_found",
    )
    .await;
    // The owner sees it as any file of theirs.
    assert_eq!(send(&w, req("GET", &path).by(ALICE)).await.status, 200);
    // Listing, downloading, deleting: not for an upload token.
    for (m, p) in [
        ("GET", "/files".to_owned()),
        ("GET", format!("{path}/download")),
        ("DELETE", path.clone()),
    ] {
        expect_error(
            &w,
            req(m, &p).header("authorization", &bearer(&up)),
            403,
            "scope_denied",
        )
        .await;
    }
    // Bob's id token cannot reach Alice's file either.
    expect_error(&w, req("GET", &path).by(BOB), 404, "not_found").await;
}

#[tokio::test]
async fn tokens_never_manage_tokens_nor_act_as_admins() {
    let w = world();
    let (id, full) = token(&w, ALICE, "full").await;
    for (m, p) in [
        ("POST", "/account/tokens".to_owned()),
        ("GET", "/account/tokens".to_owned()),
        ("DELETE", format!("/account/tokens/{id}")),
        ("GET", "/admin/audit".to_owned()),
    ] {
        expect_error(
            &w,
            req(m, &p)
                .header("authorization", &bearer(&full))
                .json(json!({"name": "x", "scope": "full"})),
            403,
            "scope_denied",
        )
        .await;
    }
}
