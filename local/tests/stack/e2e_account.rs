//! End to end, over HTTP and on the stack's pool as provisioned: the mail relay is closed. A
//! user's own access token cannot write `email`; `POST /account/email` mails a code to the new
//! address and the account keeps its verified one (and its id tokens name it) until
//! `POST /account/email/verify` brings the code back; a confirmed sign-up is verified.

use crate::common;

use common::{LocalStack, PASSWORD};
use reqwest::Method;
use serde_json::{Value, json};

/// Logs in; answers (id token, access token, refresh token).
pub async fn login(stack: &LocalStack, email: &str, password: &str) -> (String, String, String) {
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let t = |k: &str| b[k].as_str().expect(k).to_owned();
    (t("id_token"), t("access_token"), t("refresh_token"))
}

/// A request with the id token and, when given, the access token header.
pub async fn own(
    stack: &LocalStack,
    method: Method,
    path: &str,
    id: &str,
    access: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = stack
        .http
        .request(method, stack.url(path))
        .bearer_auth(id)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(a) = access {
        req = req.header("dropgate-access-token", a);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, json)
}

pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    serde_json::from_slice(&bytes).expect("claims")
}

/// Moves the account signed in as `old` (id token `id`) to the address `new`, as a person
/// does: asks for the change, then sends back the code mailed to the new address.
pub async fn move_email(stack: &LocalStack, id: &str, old: &str, new: &str) {
    let (_, access, _) = login(stack, old, PASSWORD).await;
    let (s, b) = own(
        stack,
        Method::POST,
        "/account/email",
        id,
        None,
        json!({"email": new}),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    let code = code_mailed_to(stack, new)
        .await
        .expect("a code mailed to the new address");
    let (s, b) = own(
        stack,
        Method::POST,
        "/account/email/verify",
        id,
        Some(&access),
        json!({"code": code}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
}

/// The six-digit code of the last mail to `to` (the emulator's SES), if any.
pub async fn code_mailed_to(stack: &LocalStack, to: &str) -> Option<String> {
    mails_to(stack, to).await.last().and_then(|m| {
        let body = m["body"].as_str()?;
        let digits: String = body
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)?
            .to_owned();
        Some(digits)
    })
}

pub async fn mails_to(stack: &LocalStack, to: &str) -> Vec<Value> {
    let data = stack.moto_data().await;
    data["ses"]["Message"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter(|m| {
                    m["destinations"]["ToAddresses"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == to))
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_changes_only_through_the_code_mailed_to_the_new_address() {
    let stack = LocalStack::start().await;
    let old = "ada-move@example.com";
    let new = "ada-moved@example.com";
    let id = stack.user(old).await;
    // A confirmed sign-up's address is verified (local/emulator.py mends moto here).
    assert_eq!(
        claims(&id)["email_verified"],
        json!(true),
        "{}",
        claims(&id)
    );
    let (id, access, refresh) = login(&stack, old, PASSWORD).await;

    // The relay is closed: the user's own token cannot write `email` on the pool as provisioned.
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&stack.sdk().await);
    let attr = aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
        .name("email")
        .value("relay@example.net")
        .build()
        .unwrap();
    let refused = idp
        .update_user_attributes()
        .access_token(&access)
        .user_attributes(attr)
        .send()
        .await;
    assert!(refused.is_err(), "the app client wrote email: {refused:?}");
    assert!(mails_to(&stack, "relay@example.net").await.is_empty());

    // Another account's address is not for the taking.
    stack.user("bob-move@example.com").await;
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/email",
        &id,
        None,
        json!({"email": "bob-move@example.com"}),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("email_taken")),
        "{b}"
    );
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/email",
        &id,
        None,
        json!({"email": "nope"}),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_email")),
        "{b}"
    );

    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/email",
        &id,
        None,
        json!({"email": new}),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["pending_email"], new);
    let code = code_mailed_to(&stack, new)
        .await
        .expect("a code mailed to the new address");
    // Until then the account is the old, verified address: a fresh id token names it.
    let (s, b) = stack
        .post("/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(s, 200, "{b}");
    let c = claims(b["id_token"].as_str().unwrap());
    assert_eq!(
        (c["email"].clone(), c["email_verified"].clone()),
        (json!(old), json!(true))
    );

    // The code needs the caller's own access token; a wrong code changes nothing.
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/email/verify",
        &id,
        None,
        json!({"code": code}),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("invalid_access_token")),
        "{b}"
    );
    let (_, bob_access, _) = login(&stack, "bob-move@example.com", PASSWORD).await;
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/email/verify",
        &id,
        Some(&bob_access),
        json!({"code": code}),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("invalid_access_token")),
        "{b}"
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/email/verify",
        &id,
        Some(&access),
        json!({"code": wrong}),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_code")),
        "{b}"
    );

    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/email/verify",
        &id,
        Some(&access),
        json!({"code": code}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = stack
        .post("/auth/refresh", None, json!({"refresh_token": refresh}))
        .await;
    assert_eq!(s, 200, "{b}");
    let c = claims(b["id_token"].as_str().unwrap());
    assert_eq!(
        (c["email"].clone(), c["email_verified"].clone()),
        (json!(new), json!(true))
    );
    // The account logs in at its new address; the old one is no account any more.
    login(&stack, new, PASSWORD).await;
    let (s, _) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": old, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 401);
    // The only mail the new address ever got before it was verified is its code.
    assert_eq!(mails_to(&stack, new).await.len(), 1);
}
