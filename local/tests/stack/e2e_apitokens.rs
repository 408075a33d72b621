//! API tokens over HTTP on the local stack (no authorizer in front: the api's own gate): made
//! with an id token, used as a bearer credential within their scope, refused elsewhere, revoked
//! for the very next request; the secret is nowhere in the emulator's state nor in the logs.

use reqwest::Method;
use serde_json::json;

use crate::common::{LocalStack, samples};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_opens_its_scope_and_nothing_after_its_revocation() {
    let (stack, logs) = LocalStack::start_capturing_logs(&[]).await;
    let id = stack.user("tokens@example.com").await;
    let (s, b) = stack
        .post(
            "/account/tokens",
            Some(&id),
            json!({"name": "ci", "scope": "read", "expires_in": 3600}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let secret = b["token"]["secret"].as_str().unwrap().to_owned();
    let token_id = b["token"]["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("dgt_"));

    let (s, b) = stack.get("/files", &secret).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = stack.get("/quota", &secret).await;
    assert_eq!(s, 200, "{b}");
    // A change is not for a read token.
    let (s, b) = stack
        .post("/links", Some(&secret), json!({"label": "x"}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("scope_denied"))
    );
    // Nor is managing tokens, whatever the scope.
    let (s, b) = stack.get("/account/tokens", &secret).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("scope_denied"))
    );
    let (s, b) = stack.get("/account/tokens", &id).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["tokens"][0]["id"], token_id.as_str());
    assert!(b["tokens"][0]["last_used_at"].is_string(), "{b}");

    let (s, _) = stack
        .call(
            Method::DELETE,
            &format!("/account/tokens/{token_id}"),
            Some(&id),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, b) = stack.get("/files", &secret).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("token_revoked"))
    );

    // Stored as a hash only, and never logged.
    let state = stack.moto_text().await;
    assert!(
        state.contains(&token_id),
        "the token's record is in the emulator"
    );
    assert!(
        !state.contains(&secret[4..]),
        "the secret is in the emulator's state"
    );
    assert!(
        !logs.text().contains(&secret[4..]),
        "the secret is in the logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_token_uploads_and_reads_only_what_it_created() {
    let stack = LocalStack::start().await;
    let id = stack.user("ci@example.com").await;
    let (_, b) = stack
        .post(
            "/account/tokens",
            Some(&id),
            json!({"name": "artifacts", "scope": "upload"}),
        )
        .await;
    let upload = b["token"]["secret"].as_str().unwrap().to_owned();
    let file = stack
        .upload(&upload, "build.png", &samples::png(), "image/png")
        .await;
    // Its status, read with the token that created it, to its final word.
    let settled = stack.settled(&upload, &file).await;
    assert_eq!(settled["status"], "accepted", "{settled}");
    // A file of the owner's that this token did not create: not there for it.
    let other = stack
        .upload(&id, "mine.png", &samples::png(), "image/png")
        .await;
    let (s, b) = stack.get(&format!("/files/{other}"), &upload).await;
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, b) = stack.get(&format!("/files/{file}/download"), &upload).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("scope_denied"))
    );
}
