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

/// The `dropgate` binary, built now if needed (another package of the workspace).
pub(crate) fn cli_binary() -> std::path::PathBuf {
    let status = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "-p",
            "dropgate-cli",
            "--bin",
            "dropgate",
        ])
        .status()
        .expect("cargo build -p dropgate-cli");
    assert!(status.success(), "building the CLI failed");
    std::path::Path::new(env!("CARGO_BIN_EXE_dropgate-local")).with_file_name("dropgate")
}

/// Runs `dropgate --json ARGS` with `config` as its configuration; `password` on stdin.
pub(crate) async fn dropgate(
    bin: &std::path::Path,
    config: &std::path::Path,
    args: &[&str],
    password: Option<&str>,
) -> (bool, Value) {
    use std::process::Stdio;
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(bin)
        .env("DROPGATE_CONFIG_DIR", config)
        .env_remove("DROPGATE_API")
        .env_remove("DROPGATE_PASSWORD")
        .arg("--json")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("dropgate");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(p) = password {
        stdin.write_all(format!("{p}\n").as_bytes()).await.unwrap();
    }
    drop(stdin);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("dropgate within 60 s")
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    (out.status.success(), json)
}

#[tokio::test]
async fn an_admin_raises_a_quota_and_stops_an_account_from_the_cli() {
    let stack = stack_with_admin(&[("QUOTA_BYTES", "1000")]).await;
    let bin = cli_binary();
    let dir = std::env::temp_dir().join(format!("dropgate-admin-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = dir.join("config");
    let (ok, out) = dropgate(
        &bin,
        &config,
        &[
            "--api",
            &stack.api,
            "login",
            "--email",
            ADMIN,
            "--password-stdin",
        ],
        Some(ADMIN_PASSWORD),
    )
    .await;
    assert!(ok, "login: {out}");

    let user = stack.user("client@example.com").await;
    let id = LocalStack::sub_of(&user);
    let (ok, out) = dropgate(
        &bin,
        &config,
        &["admin", "users", "--query", "client@"],
        None,
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out["users"][0]["id"], id.as_str());
    assert_eq!(out["users"][0]["quota_bytes"], 1000);

    // Past the default, refused; the own quota takes it.
    let png = crate::common::samples::png();
    let big = [png.clone(), vec![0u8; 1200]].concat();
    let (s, b) = stack
        .post(
            "/files",
            Some(&user),
            json!({"name": "big.png", "size": big.len(), "content_type": "image/png"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (413, Some("quota_exceeded"))
    );
    let (ok, out) = dropgate(&bin, &config, &["admin", "quota", &id, "20GiB"], None).await;
    assert!(ok, "{out}");
    assert_eq!(out["user"]["quota_bytes"], 20u64 << 30);
    assert_eq!(out["user"]["quota_custom"], true);
    let file = stack.upload(&user, "big.png", &big, "image/png").await;
    assert_eq!(stack.settled(&user, &file).await["status"], "accepted");

    // A link and a share, live before the switch.
    let (s, b) = stack
        .post(
            "/links",
            Some(&user),
            json!({"label": "Q3", "expires_in": 3600}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let link = b["link"]["token"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .post(&format!("/files/{file}/shares"), Some(&user), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    let share = b["share"]["token"].as_str().unwrap().to_owned();
    let anonymous = |p: String| {
        let stack = &stack;
        async move { stack.call(reqwest::Method::GET, &p, None, None).await }
    };

    let (ok, out) = dropgate(&bin, &config, &["admin", "disable", &id], None).await;
    assert!(ok, "{out}");
    assert_eq!(out["user"]["status"], "disabled");
    // The token the user already holds is refused on the next request.
    let (s, b) = stack.get("/files", &user).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("account_disabled"))
    );
    let (s, b) = anonymous(format!("/drop/{link}")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (410, Some("link_disabled"))
    );
    let (s, b) = anonymous(format!("/share/{share}")).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (410, Some("share_disabled"))
    );
    let (s, _) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": "client@example.com", "password": PASSWORD}),
        )
        .await;
    assert_ne!(s, 200, "no new log-in while stopped");

    let (ok, out) = dropgate(&bin, &config, &["admin", "enable", &id], None).await;
    assert!(ok, "{out}");
    assert_eq!(out["user"]["status"], "active");
    for p in [format!("/drop/{link}"), format!("/share/{share}")] {
        let (s, b) = anonymous(p.clone()).await;
        assert_eq!(s, 200, "{p}: {b}");
    }
    let fresh = login(&stack, "client@example.com", PASSWORD).await;
    assert_eq!(stack.get("/files", &fresh).await.0, 200);

    // Each change once, in order, by ids only.
    let admin = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    let (s, log) = stack
        .get(&format!("/admin/audit?target=user:{id}"), &admin)
        .await;
    assert_eq!(s, 200, "{log}");
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user.enabled", "user.disabled", "user.quota_changed"]
    );
    assert!(!log.to_string().contains("client@example.com"));
    let _ = std::fs::remove_dir_all(&dir);
}
