//! End to end through the `dropgate` client: `webhook create` prints the secret once, `ls`
//! lists without it, `verify` accepts exactly a delivery signed with it (exit 0) and refuses a
//! changed body or an old timestamp (exit 1), `rm` removes.

use crate::common;
use crate::e2e_cli::{cli_binary, run, text};

use common::{LocalStack, PASSWORD};
use dropgate_core::webhooks::{key_of, signature};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_created_listed_verified_and_removed_from_the_cli() {
    let bin = cli_binary();
    let stack = LocalStack::start_with_args(&["--allow-loopback-webhooks"], &[]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-hooks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let email = "cli-hooks@example.com";
    stack.user(email).await;
    let login = [
        "--api",
        &stack.api,
        "login",
        "--email",
        email,
        "--password-stdin",
    ];
    let out = run(&bin, &config, &login, &format!("{PASSWORD}\n")).await;
    assert!(out.status.success(), "login: {out:?}");

    let create = [
        "webhook",
        "create",
        "http://127.0.0.1:9/hook",
        "--events",
        "file.accepted,file.rejected",
    ];
    let out = run(&bin, &config, &create, "").await;
    assert!(out.status.success(), "create: {out:?}");
    let secret = text(&out.stdout).trim().to_owned();
    let key = key_of(&secret).expect("stdout is the secret alone");
    assert_eq!(key.len(), 32);

    let out = run(&bin, &config, &["--json", "webhook", "ls"], "").await;
    assert!(out.status.success(), "ls: {out:?}");
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hooks = listed["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0]["events"],
        serde_json::json!(["file.accepted", "file.rejected"])
    );
    assert!(!text(&out.stdout).contains(&secret));
    let id = hooks[0]["id"].as_str().unwrap().to_owned();

    let body = r#"{"id":"e1","type":"file.accepted","timestamp":"2026-12-04T21:00:00Z","data":{}}"#;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let verify = |ts: i64, sig: String| {
        [
            "webhook".to_owned(),
            "verify".to_owned(),
            "--secret".to_owned(),
            secret.clone(),
            "--id".to_owned(),
            "e1".to_owned(),
            "--timestamp".to_owned(),
            ts.to_string(),
            "--signature".to_owned(),
            sig,
        ]
    };
    let good = verify(now, signature::sign(&key, "e1", now, body.as_bytes()));
    let args: Vec<&str> = good.iter().map(String::as_str).collect();
    let out = run(&bin, &config, &args, body).await;
    assert_eq!(out.status.code(), Some(0), "valid: {out:?}");
    let out = run(&bin, &config, &args, &body.replace("e1", "e2")).await;
    assert_eq!(out.status.code(), Some(1), "a changed body: {out:?}");
    let old = now - 600;
    let stale = verify(old, signature::sign(&key, "e1", old, body.as_bytes()));
    let args: Vec<&str> = stale.iter().map(String::as_str).collect();
    let out = run(&bin, &config, &args, body).await;
    assert_eq!(out.status.code(), Some(1), "a replayed delivery: {out:?}");

    let out = run(&bin, &config, &["webhook", "rm", &id], "").await;
    assert!(out.status.success(), "rm: {out:?}");
    let out = run(&bin, &config, &["--json", "webhook", "ls"], "").await;
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["webhooks"], serde_json::json!([]));
    let _ = std::fs::remove_dir_all(&dir);
}
