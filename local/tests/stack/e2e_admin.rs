//! The operator console over HTTP: who is an admin on the local stack (`--admin EMAIL`, the
//! group `admins`), and the admin routes end to end.

use serde_json::{Value, json};

use crate::common::{LocalStack, PASSWORD};

pub const ADMIN: &str = "root@example.com";
pub const ADMIN_PASSWORD: &str = "Operator1secret";

/// A stack with `ADMIN` made an admin at start (created with `ADMIN_PASSWORD`).
pub async fn stack_with_admin(env: &[(&str, &str)]) -> LocalStack {
    let mut all = vec![("DROPGATE_LOCAL_ADMIN_PASSWORD", ADMIN_PASSWORD)];
    all.extend_from_slice(env);
    LocalStack::start_with_args(&["--scanner", "off", "--admin", ADMIN], &all).await
}

/// Logs in; returns the id token.
pub async fn login(stack: &LocalStack, email: &str, password: &str) -> String {
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["id_token"].as_str().expect("id_token").to_owned()
}

/// A request with a JSON body and a token, any method.
pub async fn send(
    stack: &LocalStack,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let body = body.map(|b| b.to_string());
    stack.call(m, path, Some(token), body.as_deref()).await
}

#[tokio::test]
async fn an_admin_named_at_start_is_created_and_the_ready_line_keeps_the_password() {
    let stack = stack_with_admin(&[]).await;
    assert_eq!(stack.ready["admins"], json!([ADMIN]));
    assert!(!stack.ready.to_string().contains(ADMIN_PASSWORD));
    let admin = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    let (s, b) = stack.get("/admin/audit", &admin).await;
    assert_eq!(s, 200, "{b}");
    let someone = stack.user("someone@example.com").await;
    let (s, b) = stack.get("/admin/audit", &someone).await;
    assert_eq!((s, b["error"]["code"].as_str()), (403, Some("admin_only")));
}

#[tokio::test]
async fn an_existing_account_is_promoted_and_needs_a_new_token() {
    let first = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let old = first.user("ops@example.com").await;
    // A second stack on the same emulator names the account: it exists, so it only joins the
    // group (no password needed) and keeps its own.
    let second = LocalStack::start_with_args(
        &[
            "--scanner",
            "off",
            "--aws-endpoint",
            &first.aws,
            "--admin",
            "ops@example.com",
        ],
        &[],
    )
    .await;
    let (s, b) = second.get("/admin/audit", &old).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("admin_only")),
        "a token from before the promotion carries no group"
    );
    let fresh = login(&second, "ops@example.com", PASSWORD).await;
    let (s, b) = second.get("/admin/audit", &fresh).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn a_missing_admin_without_a_password_stops_the_start_naming_the_variable() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_dropgate-local"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--scanner",
            "off",
            "--admin",
            "nobody@example.com",
        ])
        .env_remove("DROPGATE_LOCAL_ADMIN_PASSWORD")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(180), out)
        .await
        .expect("exits within 180 s")
        .expect("runs");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no ready line");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DROPGATE_LOCAL_ADMIN_PASSWORD"), "{err}");
}
