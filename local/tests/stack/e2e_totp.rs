//! Two-factor sign-in end to end over HTTP, with real RFC 6238 codes (the emulator checks them:
//! its launcher sets `MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP`): enrolment, a login challenged
//! and completed, wrong codes and sessions, turning it off; and `--require-admin-mfa`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LocalStack, PASSWORD};
use crate::e2e_account::{login, own};
use crate::e2e_admin::{ADMIN, ADMIN_PASSWORD, stack_with_admin};
use crate::totp::{code, other_than};

fn error(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

/// Turns TOTP on for the holder of `id`/`access`; answers the secret.
pub async fn turn_on(stack: &LocalStack, id: &str, access: &str) -> String {
    let (s, b) = own(
        stack,
        Method::POST,
        "/account/mfa/totp",
        id,
        Some(access),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let secret = b["secret"].as_str().expect("secret").to_owned();
    let c = code(&secret).await;
    let (s, b) = own(
        stack,
        Method::POST,
        "/account/mfa/totp/verify",
        id,
        Some(access),
        json!({"code": c}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    secret
}

/// Logs in with a second factor: answers the tokens' body.
pub async fn login_with_code(
    stack: &LocalStack,
    email: &str,
    password: &str,
    secret: &str,
) -> Value {
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!((s, b["challenge"].as_str()), (200, Some("totp")), "{b}");
    let session = b["session"].as_str().expect("session");
    let (s, b) = stack
        .post(
            "/auth/login/totp",
            None,
            json!({"session": session, "code": code(secret).await}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_turns_on_challenges_login_and_turns_off_only_with_a_code() {
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let email = "tess@example.com";
    stack.user(email).await;
    let (id, access, _) = login(&stack, email, PASSWORD).await;

    // The owner's own access token is needed (Cognito has no admin form).
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/mfa/totp",
        &id,
        None,
        json!({}),
    )
    .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_access_token")), "{b}");

    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/mfa/totp",
        &id,
        Some(&access),
        json!({}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let secret = b["secret"].as_str().expect("secret").to_owned();
    assert_eq!(
        b["otpauth_uri"],
        json!(format!(
            "otpauth://totp/Dropgate:tess@example.com?secret={secret}&issuer=Dropgate"
        ))
    );
    // An account that asked for no secret is turned on by no code, another's secret's included.
    let other = "tess-other@example.com";
    stack.user(other).await;
    let (other_id, other_access, _) = login(&stack, other, PASSWORD).await;
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/mfa/totp/verify",
        &other_id,
        Some(&other_access),
        json!({"code": code(&secret).await}),
    )
    .await;
    assert_eq!((s, error(&b)), (400, Some("invalid_code")), "{b}");
    let (s, b) = stack.get("/account/mfa", &other_id).await;
    assert_eq!((s, &b["totp"]["enabled"]), (200, &json!(false)), "{b}");

    // Not on until a code of it comes back; a wrong one turns nothing on.
    let c = code(&secret).await;
    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/mfa/totp/verify",
        &id,
        Some(&access),
        json!({"code": other_than(&c)}),
    )
    .await;
    assert_eq!((s, error(&b)), (400, Some("invalid_code")), "{b}");
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert!(s == 200 && b["id_token"].is_string(), "{b}");

    let (s, b) = own(
        &stack,
        Method::POST,
        "/account/mfa/totp/verify",
        &id,
        Some(&access),
        json!({"code": code(&secret).await}),
    )
    .await;
    assert_eq!(s, 204, "{b}");

    // Login now answers a challenge instead of tokens.
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["challenge"], json!("totp"), "{b}");
    assert!(
        b.get("id_token").is_none() && b.get("refresh_token").is_none(),
        "{b}"
    );
    let session = b["session"].as_str().expect("session").to_owned();

    // A wrong code, an unknown session and an expired one are refused.
    let c = code(&secret).await;
    let (s, b) = stack
        .post(
            "/auth/login/totp",
            None,
            json!({"session": session, "code": other_than(&c)}),
        )
        .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_code")), "{b}");
    let (s, b) = stack
        .post(
            "/auth/login/totp",
            None,
            json!({"session": "bm9wZQ", "code": c}),
        )
        .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_session")), "{b}");
    let stale = stale(&session);
    let (s, b) = stack
        .post(
            "/auth/login/totp",
            None,
            json!({"session": stale, "code": c}),
        )
        .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_session")), "{b}");
    // Another user's name with this session: the directory's session is bound to its user.
    let forged = with_user(&session, "someone-else@example.com");
    let (s, b) = stack
        .post(
            "/auth/login/totp",
            None,
            json!({"session": forged, "code": c}),
        )
        .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_session")), "{b}");

    // The right code: login's answer, tokens that work.
    let (s, b) = stack
        .post(
            "/auth/login/totp",
            None,
            json!({"session": session, "code": code(&secret).await}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let id2 = b["id_token"].as_str().expect("id_token").to_owned();
    let access2 = b["access_token"].as_str().expect("access_token").to_owned();
    assert!(b["refresh_token"].is_string(), "{b}");
    let (s, b) = stack.get("/quota", &id2).await;
    assert_eq!(s, 200, "{b}");
    // A session answers once.
    let (s, b) = stack
        .post(
            "/auth/login/totp",
            None,
            json!({"session": session, "code": code(&secret).await}),
        )
        .await;
    assert_eq!((s, error(&b)), (401, Some("invalid_session")), "{b}");

    // Off only with a current code.
    let c = code(&secret).await;
    let (s, b) = own(
        &stack,
        Method::DELETE,
        "/account/mfa/totp",
        &id2,
        Some(&access2),
        json!({"code": other_than(&c)}),
    )
    .await;
    assert_eq!((s, error(&b)), (400, Some("invalid_code")), "{b}");
    let (s, b) = own(
        &stack,
        Method::DELETE,
        "/account/mfa/totp",
        &id2,
        Some(&access2),
        json!({"code": code(&secret).await}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert!(s == 200 && b["id_token"].is_string(), "{b}");
    let (s, b) = own(
        &stack,
        Method::DELETE,
        "/account/mfa/totp",
        &id2,
        Some(&access2),
        json!({"code": code(&secret).await}),
    )
    .await;
    assert_eq!((s, error(&b)), (409, Some("totp_not_enabled")), "{b}");
}

fn session_json(session: &str) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(session)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

fn encode(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

/// The session as it would be 3 minutes on.
fn stale(session: &str) -> String {
    let mut v = session_json(session);
    v["x"] = json!(v["x"].as_i64().expect("expiry") - 180);
    encode(&v)
}

fn with_user(session: &str, user: &str) -> String {
    let mut v = session_json(session);
    v["u"] = json!(user);
    encode(&v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_require_admin_mfa_an_admin_needs_totp_on() {
    let stack = LocalStack::start_with_args(
        &["--scanner", "off", "--admin", ADMIN, "--require-admin-mfa"],
        &[("DROPGATE_LOCAL_ADMIN_PASSWORD", ADMIN_PASSWORD)],
    )
    .await;
    let (id, access, _) = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    let (s, b) = stack.get("/admin/audit", &id).await;
    assert_eq!((s, error(&b)), (403, Some("mfa_required")), "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("/account/mfa/totp")),
        "{b}"
    );
    // A non-admin still learns only that the route is for admins.
    let someone = stack.user("someone-mfa@example.com").await;
    let (s, b) = stack.get("/admin/audit", &someone).await;
    assert_eq!((s, error(&b)), (403, Some("admin_only")), "{b}");

    // Owner routes stay open to the admin meanwhile: that is how they turn it on.
    let secret = turn_on(&stack, &id, &access).await;
    let b = login_with_code(&stack, ADMIN, ADMIN_PASSWORD, &secret).await;
    let id = b["id_token"].as_str().expect("id_token");
    let (s, b) = stack.get("/admin/audit", id).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = stack.get("/admin/users", id).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_the_local_stack_lets_an_admin_in_without_totp() {
    let stack = stack_with_admin(&[]).await;
    let (id, _, _) = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    let (s, b) = stack.get("/admin/audit", &id).await;
    assert_eq!(s, 200, "{b}");
}
