//! End to end, over HTTP: a share's password cannot be ground down from many addresses. A
//! protected share tells nothing before its password (`GET` answers only that it needs one;
//! `POST .../unlock` the rest); wrong passwords from several source addresses (clients bound to
//! distinct loopback addresses, which the local stack sees as the caller's source IP), at the
//! download and the unlock alike, lock the share after `SHARE_MAX_FAILURES` (the default, 50):
//! every attempt then answers `429 share_locked` with `Retry-After`, the right password too,
//! the owner gets exactly one mail, and once `SHARE_LOCKOUT_SECS` (short here) are over the
//! right password works again.

use crate::common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::{LocalStack, samples};
use serde_json::{Value, json};

const PASSWORD: &str = "open sesame";
const WRONG: &str = "hunter2";
const NAME: &str = "quarterly plan.png";
/// Short, so that the test waits for its end in real time (the stack has no clock to move).
const LOCKOUT_SECS: u64 = 6;

/// A client whose requests come from `127.0.0.<n>`.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// `POST /share/{token}/{action}` with `{password}` from `client`: status, Retry-After, body.
async fn attempt(
    stack: &LocalStack,
    client: &reqwest::Client,
    token: &str,
    action: &str,
    password: &str,
) -> (u16, Option<String>, Value) {
    let resp = client
        .post(stack.url(&format!("/share/{token}/{action}")))
        .header("content-type", "application/json")
        .body(json!({ "password": password }).to_string())
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, retry, body)
}

/// The emulator's sent mails about a lockout.
async fn lock_mails(stack: &LocalStack) -> Vec<Value> {
    stack.moto_data().await["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.to_string().contains("locked after wrong passwords"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_from_many_addresses_lock_a_share_that_told_nothing() {
    let lockout = LOCKOUT_SECS.to_string();
    let stack = LocalStack::start_with(&[("SHARE_LOCKOUT_SECS", lockout.as_str())]).await;
    let owner_email = "owner-lockout@example.com";
    let owner = stack.user(owner_email).await;
    let id = stack
        .upload(&owner, NAME, &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&owner, &id).await["status"], "accepted");
    let (s, b) = stack
        .post(
            &format!("/files/{id}/shares"),
            Some(owner.as_str()),
            json!({"password": PASSWORD, "label": "Plan for Ada"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let token = b["share"]["token"].as_str().unwrap().to_owned();

    // Before the password: only that one is needed, and until when.
    let (s, _, info) = stack
        .anonymous(reqwest::Method::GET, &format!("/share/{token}"), None)
        .await;
    assert_eq!(s, 200);
    let mut keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["expires_at", "password_required"], "{info}");
    assert!(!info.to_string().contains("quarterly"), "{info}");

    // The right password unlocks the details and counts nothing.
    let first = client_from(2);
    let (s, _, details) = attempt(&stack, &first, &token, "unlock", PASSWORD).await;
    assert_eq!(s, 200, "{details}");
    assert_eq!(details["name"], NAME);
    assert_eq!(details["size"], samples::png().len());
    assert_eq!(details["content_type"], "image/png");
    assert_eq!(details["downloads_left"], Value::Null);
    assert_eq!(details["expires_at"], info["expires_at"]);

    // 50 wrong passwords from five addresses (under every per-address limit), at both routes.
    let clients: Vec<reqwest::Client> = (10..15).map(client_from).collect();
    for i in 0..50 {
        let action = if i % 2 == 0 { "unlock" } else { "download" };
        let (s, _, b) = attempt(&stack, &clients[i % 5], &token, action, WRONG).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (401, Some("wrong_password")),
            "wrong password {i}: {b}"
        );
    }
    // The 51st, and the right one, from anywhere: locked, for the lockout's seconds left.
    let late = client_from(20);
    for (action, password) in [
        ("unlock", WRONG),
        ("unlock", PASSWORD),
        ("download", PASSWORD),
    ] {
        let (s, retry, b) = attempt(&stack, &late, &token, action, password).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (429, Some("share_locked")),
            "{action}: {b}"
        );
        let secs: u64 = retry.expect("Retry-After").parse().unwrap();
        assert!((1..=LOCKOUT_SECS).contains(&secs), "Retry-After {secs}");
        assert_eq!(b["error"]["retry_after"], secs);
    }

    // The owner: exactly one mail, naming the file and the share, no password, no address.
    let mail = stack
        .wait_for("the owner's lockout mail", 30, || async {
            lock_mails(&stack).await.into_iter().next()
        })
        .await;
    let text = mail.to_string();
    assert!(text.contains(owner_email), "{mail}");
    assert!(
        text.contains(NAME) && text.contains("Plan for Ada"),
        "{mail}"
    );
    for secret in [PASSWORD, WRONG, "127.0.0", token.as_str()] {
        assert!(!text.contains(secret), "the mail carries {secret}: {mail}");
    }

    // Once the lockout is over, the right password works again (bounded wait).
    let again = client_from(3);
    let unlocked = stack
        .wait_for("the end of the lockout", LOCKOUT_SECS + 10, || async {
            let (s, _, b) = attempt(&stack, &again, &token, "unlock", PASSWORD).await;
            (s == 200).then_some(b)
        })
        .await;
    assert_eq!(unlocked["name"], NAME);
    assert_eq!(lock_mails(&stack).await.len(), 1, "one mail per lockout");
    // The share was never downloaded by any of this.
    let (s, b) = stack.get("/shares", &owner).await;
    assert_eq!(s, 200);
    assert_eq!(b["shares"][0]["downloads"], 0, "{b}");
}
