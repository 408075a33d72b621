//! End to end, over HTTP: a forgotten password is reset with the code mailed to the verified
//! address (read from the emulator's SES), the answers for a known and an unknown address are
//! byte-identical, and a reset ends every session: the old id token is refused at once, the
//! old refresh token refreshes nothing, the old password logs in no more. A sign-up of a taken
//! address answers as a new one would and tells the address's owner; a confirmation of a
//! confirmed address answers as one of an unknown address. A password change and sign-out
//! everywhere refuse every older id token on its next request and kill the refresh
//! tokens.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common;
use crate::e2e_account::{code_mailed_to, login, mails_to};

use common::{LocalStack, PASSWORD};
use serde_json::json;

/// Status and exact bytes of an answer.
async fn raw_post(stack: &LocalStack, path: &str, body: serde_json::Value) -> (u16, Vec<u8>) {
    let r = stack
        .http
        .post(stack.url(path))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").to_vec())
}

/// Waits (bounded) until the wall clock is past the whole second after now: a sign-out cut is
/// the next whole second, and a token issued before it is refused, by design.
pub async fn past_the_cut() {
    let secs = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let target = secs() + 1;
    for _ in 0..60 {
        if secs() >= target {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the clock did not move on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_by_mailed_code_ends_every_session_and_tells_no_address_from_another() {
    let stack = LocalStack::start().await;
    let email = "ada-reset@example.com";
    stack.user(email).await;
    let (id, _, refresh) = login(&stack, email, PASSWORD).await;
    assert_eq!(stack.get("/quota", &id).await.0, 200);

    let known = raw_post(&stack, "/auth/forgot", json!({"email": email})).await;
    let unknown = raw_post(
        &stack,
        "/auth/forgot",
        json!({"email": "nobody-reset@example.com"}),
    )
    .await;
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown, "the answers tell an account from none");
    assert!(
        mails_to(&stack, "nobody-reset@example.com")
            .await
            .is_empty()
    );
    let code = code_mailed_to(&stack, email)
        .await
        .expect("a code mailed to the address");

    let reset =
        |code: &str, password: &str| json!({"email": email, "code": code, "password": password});
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (s, b) = stack
        .post("/auth/reset", None, reset(wrong, "Another1horse"))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_code")),
        "{b}"
    );
    let (s, b) = stack.post("/auth/reset", None, reset(&code, "weak")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("weak_password")),
        "{b}"
    );
    let (s, b) = stack
        .post(
            "/auth/reset",
            None,
            json!({"email": "nobody-reset@example.com", "code": code, "password": "Another1horse"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_code")),
        "{b}"
    );

    let (s, b) = stack
        .post("/auth/reset", None, reset(&code, "Another1horse"))
        .await;
    assert_eq!(s, 204, "{b}");
    // Every session is over: the id token at once, the refresh token at the directory.
    let (s, b) = stack.get("/quota", &id).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("token_revoked")),
        "{b}"
    );
    let (s, _) = stack
        .post("/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(s, 401);
    let (s, _) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 401, "the old password still logs in");
    // The code is spent.
    let (s, _) = stack
        .post("/auth/reset", None, reset(&code, "Third1horse"))
        .await;
    assert_eq!(s, 400);

    past_the_cut().await;
    let (id, _, _) = login(&stack, email, "Another1horse").await;
    assert_eq!(stack.get("/quota", &id).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_of_a_taken_address_answers_as_a_new_one_and_tells_its_owner() {
    let stack = LocalStack::start().await;
    let taken = "ada-taken@example.com";
    stack.user(taken).await;
    let new = raw_post(
        &stack,
        "/auth/signup",
        json!({"email": "new-taken@example.com", "password": PASSWORD}),
    )
    .await;
    let again = raw_post(
        &stack,
        "/auth/signup",
        json!({"email": taken, "password": "Other1horse"}),
    )
    .await;
    assert_eq!(new.0, again.0);
    let body = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
    assert_eq!(body(&new.1)["confirmed"], body(&again.1)["confirmed"]);
    let mails = mails_to(&stack, taken).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0]["body"].as_str().unwrap().contains("already has"));
    // Nor does a confirmation: a confirmed account's answer to any code is an unknown
    // address's, byte for byte.
    let code = |email: &str| json!({"email": email, "code": "123456"});
    let confirmed = raw_post(&stack, "/auth/confirm", code(taken)).await;
    let unknown = raw_post(&stack, "/auth/confirm", code("nobody-taken@example.com")).await;
    assert_eq!(
        confirmed.0,
        400,
        "{}",
        String::from_utf8_lossy(&confirmed.1)
    );
    assert_eq!(confirmed, unknown);
    // The account is untouched: its password still logs in, the other does not.
    login(&stack, taken, PASSWORD).await;
    let (s, _) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": taken, "password": "Other1horse"}),
        )
        .await;
    assert_eq!(s, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_and_sign_out_everywhere_refuse_older_tokens_at_once() {
    let stack = LocalStack::start().await;
    let email = "ada-signout@example.com";
    stack.user(email).await;
    let (id, _, refresh) = login(&stack, email, PASSWORD).await;
    let (other_id, _, _) = login(&stack, email, PASSWORD).await;

    let (s, b) = stack
        .post(
            "/account/password",
            Some(&id),
            json!({"current": "Wrong1horse", "new": "Another1horse"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("wrong_password")),
        "{b}"
    );
    assert_eq!(stack.get("/quota", &other_id).await.0, 200);
    let (s, b) = stack
        .post(
            "/account/password",
            Some(&id),
            json!({"current": PASSWORD, "new": "Another1horse"}),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    // Both sessions are over on their next request, not when their tokens expire.
    for token in [&id, &other_id] {
        let (s, b) = stack.get("/quota", token).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (401, Some("token_revoked")),
            "{b}"
        );
    }
    let (s, _) = stack
        .post("/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(s, 401, "a refresh token outlived the password change");
    let (s, _) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 401, "the old password still logs in");

    past_the_cut().await;
    let (id, _, refresh) = login(&stack, email, "Another1horse").await;
    assert_eq!(stack.get("/quota", &id).await.0, 200);
    let (s, b) = stack
        .post("/account/signout-all", Some(&id), json!({}))
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = stack.get("/quota", &id).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("token_revoked")),
        "{b}"
    );
    let (s, _) = stack
        .post("/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(s, 401, "a refresh token outlived sign-out everywhere");
    past_the_cut().await;
    let (id, _, _) = login(&stack, email, "Another1horse").await;
    assert_eq!(stack.get("/quota", &id).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_resets_a_password_with_the_mailed_code() {
    use crate::e2e_cli::{cli_binary, run};
    let bin = cli_binary();
    let stack = LocalStack::start().await;
    let config = std::env::temp_dir().join(format!("dropgate-reset-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&config);
    let email = "ada-cli-reset@example.com";
    stack.user(email).await;
    let args = [
        "--api",
        stack.api.as_str(),
        "--json",
        "password",
        "reset",
        "--email",
        email,
    ];
    let out = run(&bin, &config, &args, "").await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer, json!({"email": email, "code_sent": true}));
    let code = code_mailed_to(&stack, email).await.expect("a mailed code");

    let mut with_code = args.to_vec();
    with_code.extend(["--code", "000001", "--password-stdin"]);
    let out = run(&bin, &config, &with_code, "Another1horse\n").await;
    assert!(!out.status.success() || code == "000001");
    let mut with_code = args.to_vec();
    with_code.extend(["--code", code.as_str(), "--password-stdin"]);
    let out = run(&bin, &config, &with_code, "Another1horse\n").await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer, json!({"email": email, "reset": true}));
    past_the_cut().await;
    login(&stack, email, "Another1horse").await;
    let _ = std::fs::remove_dir_all(&config);
}
