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

    // Stored as its hash only (the table's every item read back), and never logged.
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.sdk().await);
    let table = stack.ready["resources"]["tables"]["api_keys"]
        .as_str()
        .unwrap()
        .to_owned();
    let items = dynamo
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("scan the API tokens table")
        .items
        .unwrap_or_default();
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()));
    let stored = format!("{items:?}");
    assert!(stored.contains(&hash), "stored by its hash: {stored}");
    assert!(stored.contains(&token_id), "{stored}");
    assert!(!stored.contains(&secret[4..]), "the secret is in the table");
    let state = stack.moto_text().await;
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

/// One `dropgate` run with `env` set, `stdin` as its standard input, bounded.
async fn dropgate(
    config: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut c = tokio::process::Command::new(crate::e2e_cli::cli_binary());
    c.env("DROPGATE_CONFIG_DIR", config)
        .env_remove("DROPGATE_API")
        .env_remove("DROPGATE_TOKEN")
        .env_remove("DROPGATE_PASSWORD")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    tokio::time::timeout(
        std::time::Duration::from_secs(120),
        child.wait_with_output(),
    )
    .await
    .unwrap_or_else(|_| panic!("dropgate {args:?} within 120 s"))
    .unwrap()
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("JSON: {out:?}"))
}

/// The CLI with an API token: made by `dropgate token create` (password login), used through
/// `DROPGATE_TOKEN` and through `login --token-stdin`, listed, revoked; a revoked token is the
/// server's `token_revoked`, and a read token cannot upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_makes_uses_and_revokes_api_tokens() {
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-tokens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (person, script) = (dir.join("person"), dir.join("script"));
    let email = "cli-tokens@example.com";
    stack.user(email).await;
    let login = [
        "--api",
        &stack.api,
        "login",
        "--email",
        email,
        "--password-stdin",
    ];
    let out = dropgate(
        &person,
        &login,
        &[],
        &format!("{}\n", crate::common::PASSWORD),
    )
    .await;
    assert!(out.status.success(), "login: {out:?}");

    let out = dropgate(
        &person,
        &[
            "--json", "token", "create", "--name", "ci", "--scope", "read",
        ],
        &[],
        "",
    )
    .await;
    assert!(out.status.success(), "token create: {out:?}");
    let made = json_of(&out);
    let secret = made["token"]["secret"].as_str().unwrap().to_owned();
    let id = made["token"]["id"].as_str().unwrap().to_owned();

    // For one command, from the environment: nothing is kept.
    let env = [
        ("DROPGATE_API", stack.api.as_str()),
        ("DROPGATE_TOKEN", secret.as_str()),
    ];
    let out = dropgate(&script, &["--json", "ls"], &env, "").await;
    assert!(out.status.success(), "ls with DROPGATE_TOKEN: {out:?}");
    assert!(!script.join("session.json").exists());
    // A read token cannot upload: the server's refusal, exit 1.
    let file = dir.join("a.png");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(&file, samples::png()).unwrap();
    let out = dropgate(&script, &["put", file.to_str().unwrap()], &env, "").await;
    assert_eq!(out.status.code(), Some(1), "put with a read token: {out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("may not"),
        "{out:?}"
    );

    // Kept as the session with --token-stdin.
    let keep = ["--api", &stack.api, "login", "--token-stdin"];
    let out = dropgate(&script, &keep, &[], &format!("{secret}\n")).await;
    assert!(out.status.success(), "login --token-stdin: {out:?}");
    let out = dropgate(&script, &["--json", "quota"], &[], "").await;
    assert!(out.status.success(), "quota with the kept token: {out:?}");

    let out = dropgate(&person, &["--json", "token", "ls"], &[], "").await;
    let listed = json_of(&out);
    assert_eq!(listed["tokens"][0]["id"], id.as_str());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&secret[4..]));
    let out = dropgate(&person, &["token", "rm", &id], &[], "").await;
    assert!(out.status.success(), "token rm: {out:?}");
    let out = dropgate(&script, &["--json", "quota"], &[], "").await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(json_of(&out)["error"]["code"], "token_revoked", "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
