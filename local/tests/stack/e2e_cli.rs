//! End to end through the `dropgate` command-line client, as a person would use it: log in,
//! put a 200 MiB file in parts, kill the client midway (SIGKILL), run the same command again:
//! only the missing parts are sent (counted by the emulator's call statistics), the verdict is
//! accepted, the bytes come back identical with `dropgate get`, the quota is exact; `dropgate
//! logout` ends the session at the server. And sharing: `dropgate share` creates (password from
//! stdin), lists, logs and revokes shares while a recipient downloads over HTTP with the URL.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{LocalStack, PASSWORD};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

const MIB: usize = 1 << 20;
const SIZE: usize = 200 * MIB;
const PARTS: u64 = 25;

/// The `dropgate` binary, built now if needed (it belongs to another package of the workspace).
pub(crate) fn cli_binary() -> PathBuf {
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
    Path::new(env!("CARGO_BIN_EXE_dropgate-local")).with_file_name("dropgate")
}

fn cli(bin: &Path, config: &Path) -> Command {
    let mut c = Command::new(bin);
    c.env("DROPGATE_CONFIG_DIR", config)
        .env_remove("DROPGATE_API")
        .env_remove("DROPGATE_PASSWORD")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}

/// Plain text of distinct lines, so that any misplaced part shows.
fn write_file(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SIZE);
    let mut i = 0u64;
    while bytes.len() < SIZE {
        bytes.extend_from_slice(format!("line {i:012} of a large text file\n").as_bytes());
        i += 1;
    }
    bytes.truncate(SIZE);
    std::fs::write(path, &bytes).expect("write the file");
    bytes
}

async fn stats(stack: &LocalStack, reset: bool) -> Value {
    let url = format!("{}/_dropgate/stats", stack.aws);
    let req = if reset {
        stack.http.post(url)
    } else {
        stack.http.get(url)
    };
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_put_resumes_with_only_the_missing_parts() {
    let bin = cli_binary();
    let stack = LocalStack::start().await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let path = dir.join("big.txt");
    let bytes = write_file(&path);

    let email = "cli-user@example.com";
    let (s, b) = stack
        .post(
            "/auth/signup",
            None,
            serde_json::json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let mut login = cli(&bin, &config)
        .args([
            "--api",
            &stack.api,
            "login",
            "--email",
            email,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = login.stdin.take().unwrap();
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), login.wait_with_output())
        .await
        .expect("login within 60 s")
        .unwrap();
    assert!(out.status.success(), "login: {out:?}");
    // The session file is the user's alone.
    let session = std::fs::read_dir(&config)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.path().is_file())
        .expect("a session file");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        session.metadata().unwrap().permissions().mode() & 0o777,
        0o600
    );

    // First run: killed once a few parts are up.
    let mut first = cli(&bin, &config)
        .args(["put", "--parallel", "2"])
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(first.stderr.take().unwrap()).lines();
    let seen = tokio::time::timeout(Duration::from_secs(180), async {
        let mut done = 0;
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains(&format!("/{PARTS} uploaded")) {
                done += 1;
                if done >= 5 {
                    return done;
                }
            }
        }
        done
    })
    .await
    .expect("five parts within 180 s");
    assert!(seen >= 5, "the first run ended before five parts");
    first.kill().await.unwrap();
    first.wait().await.unwrap();

    // What S3 holds now, as the API says.
    let token = login_token(&stack, email).await;
    let (_, list) = stack.get("/files", &token).await;
    let file = &list["files"][0];
    assert_eq!(file["status"], "pending", "{list}");
    let id = file["id"].as_str().unwrap().to_owned();
    let (s, listing) = stack.get(&format!("/files/{id}/parts"), &token).await;
    assert_eq!(s, 200, "{listing}");
    let held = listing["parts"].as_array().unwrap().len() as u64;
    assert!(
        (5..PARTS).contains(&held),
        "{held} parts held after the kill"
    );

    // Second run: resumes, sends only what is missing, waits for the verdict.
    stats(&stack, true).await;
    let out = tokio::time::timeout(
        Duration::from_secs(300),
        cli(&bin, &config)
            .args(["put", "--json"])
            .arg(&path)
            .output(),
    )
    .await
    .expect("the resumed put within 300 s")
    .unwrap();
    assert!(out.status.success(), "resumed put: {out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let entry = &report["files"][0];
    assert_eq!(entry["file"]["status"], "accepted", "{report}");
    assert_eq!(entry["file"]["id"], id.as_str());
    assert_eq!(entry["resumed"], true);
    let calls = stats(&stack, false).await;
    let sent = calls["calls"]["presigned"]["s3.UploadPart"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(sent, PARTS - held, "{calls}");
    assert_eq!(entry["parts_uploaded"], PARTS - held);

    // The quota is exact; the bytes come back identical.
    let (_, q) = stack.get("/quota", &token).await;
    assert_eq!(q["used_bytes"], SIZE);
    assert_eq!(q["reserved_bytes"], 0);
    let back = dir.join("back.txt");
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        cli(&bin, &config)
            .args(["get", &id, "-o"])
            .arg(&back)
            .output(),
    )
    .await
    .expect("get within 120 s")
    .unwrap();
    assert!(out.status.success(), "get: {out:?}");
    assert!(
        std::fs::read(&back).unwrap() == bytes,
        "downloaded bytes differ"
    );

    // Logging out ends the session at the server: the session file's refresh token, had anyone
    // copied it, refreshes nothing afterwards.
    let session: Value =
        serde_json::from_slice(&std::fs::read(config.join("session.json")).unwrap()).unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        cli(&bin, &config).args(["logout", "--json"]).output(),
    )
    .await
    .expect("logout within 60 s")
    .unwrap();
    assert!(out.status.success(), "logout: {out:?}");
    let said: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        said,
        serde_json::json!({"logged_out": true, "revoked": true})
    );
    assert!(!config.join("session.json").exists());
    let (s, b) = stack
        .post(
            "/auth/refresh",
            None,
            serde_json::json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("invalid_token"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn login_token(stack: &LocalStack, email: &str) -> String {
    let (s, b) = stack
        .post(
            "/auth/login",
            None,
            serde_json::json!({"email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["id_token"].as_str().unwrap().to_owned()
}

/// One `dropgate` run, bounded, with `stdin` as its standard input.
pub(crate) async fn run(
    bin: &Path,
    config: &Path,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut child = cli(bin, config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("dropgate {args:?} within 120 s"))
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `POST /share/{token}/download?redirect=1` as `curl -L -d` would, from the share's URL.
async fn recipient_download(
    stack: &LocalStack,
    share_url: &str,
    password: Option<&str>,
) -> reqwest::Response {
    let token = share_url
        .rsplit_once("/s/")
        .map(|(_, t)| t)
        .expect("a /s/TOKEN URL");
    let mut req = stack
        .http
        .post(stack.url(&format!("/share/{token}/download?redirect=1")))
        .header("user-agent", "curl/8.5.0");
    if let Some(p) = password {
        req = req
            .header("content-type", "application/json")
            .body(serde_json::json!({ "password": p }).to_string());
    }
    req.send().await.expect("the recipient's download")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_are_created_listed_downloaded_logged_and_revoked_from_the_cli() {
    let bin = cli_binary();
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-share-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let email = "cli-sharer@example.com";
    let token = stack.user(email).await;
    let out = run(
        &bin,
        &config,
        &[
            "--api",
            &stack.api,
            "login",
            "--email",
            email,
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    )
    .await;
    assert!(out.status.success(), "login: {out:?}");
    let path = dir.join("notes.txt");
    let bytes = b"Minutes of the meeting, for Bea.\n".repeat(100);
    std::fs::write(&path, &bytes).unwrap();
    let out = run(
        &bin,
        &config,
        &["put", "--json", path.to_str().unwrap()],
        "",
    )
    .await;
    assert!(out.status.success(), "put: {out:?}");
    let put: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let id = put["files"][0]["file"]["id"].as_str().unwrap().to_owned();

    // Create: the URL alone on stdout, the password from stdin (never echoed).
    let secret = "Bea's share pass";
    let out = run(
        &bin,
        &config,
        &[
            "share",
            "create",
            &id,
            "--max-downloads",
            "2",
            "--password-stdin",
            "--label",
            "For Bea",
            "--notify",
        ],
        &format!("{secret}\n"),
    )
    .await;
    assert!(out.status.success(), "share create: {out:?}");
    let stdout = text(&out.stdout);
    let url = stdout.trim().to_owned();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the URL on stdout: {stdout}"
    );
    assert!(url.starts_with(&format!("{}/s/", stack.api)), "{url}");
    let said = text(&out.stderr);
    assert!(
        said.contains(&format!(
            " of {id}, 2 downloads, password protected, expires "
        )),
        "{said}"
    );
    assert!(!said.contains(secret) && !stdout.contains(secret));
    let out = run(&bin, &config, &["share", "create", &id, "--json"], "").await;
    assert!(out.status.success(), "share create --json: {out:?}");
    let open: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let open = &open["share"];
    assert!(
        open["url"].as_str().is_some_and(|u| u.contains("/s/")),
        "{open}"
    );
    assert!(
        open.get("token").is_none(),
        "the token only inside the URL: {open}"
    );
    assert_eq!(open["password_protected"], false);
    let open_id = open["id"].as_str().unwrap().to_owned();

    // List: the file's shares, and all of them, in JSON and as a table.
    let out = run(&bin, &config, &["share", "ls", &id, "--json"], "").await;
    assert!(out.status.success(), "share ls ID: {out:?}");
    let listed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let shares = listed["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 2, "{listed}");
    let guarded = shares
        .iter()
        .find(|s| s["password_protected"] == true)
        .expect("the protected share");
    let share_id = guarded["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (guarded["label"].as_str(), guarded["max_downloads"].as_u64()),
        (Some("For Bea"), Some(2))
    );
    assert_eq!(guarded["notify_owner"], true);
    let out = run(&bin, &config, &["share", "ls"], "").await;
    assert!(out.status.success(), "share ls: {out:?}");
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("DOWNLOADS"),
        "{table}"
    );
    let row = lines
        .iter()
        .find(|l| l.starts_with(&share_id))
        .unwrap_or_else(|| panic!("{share_id} listed: {table}"));
    assert!(row.contains(" active ") && row.contains(" 0/2 ") && row.ends_with("For Bea"));
    assert!(lines.iter().any(|l| l.starts_with(&open_id)), "{table}");

    // The recipient, over HTTP with the URL: the password is needed, then the bytes come.
    let resp = recipient_download(&stack, &url, None).await;
    assert_eq!(resp.status().as_u16(), 401);
    let resp = recipient_download(&stack, &url, Some(secret)).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.bytes().await.unwrap() == bytes, "the shared bytes");

    // The log shows that one download.
    let out = run(&bin, &config, &["share", "log", &share_id, "--json"], "").await;
    assert!(out.status.success(), "share log: {out:?}");
    let log: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let downloads = log["downloads"].as_array().expect("downloads");
    assert_eq!(downloads.len(), 1, "{log}");
    assert!(downloads[0]["at"].as_str().is_some(), "{log}");
    let out = run(&bin, &config, &["share", "log", &share_id], "").await;
    let table = text(&out.stdout);
    assert_eq!(
        table.lines().count(),
        2,
        "a header and one download: {table}"
    );
    assert!(table.starts_with("AT"), "{table}");
    let out = run(&bin, &config, &["share", "log", &open_id], "").await;
    assert_eq!(text(&out.stdout).trim(), "No downloads.");

    // Revoke: the URL is refused from then on.
    let out = run(&bin, &config, &["share", "revoke", &share_id], "").await;
    assert!(out.status.success(), "share revoke: {out:?}");
    assert_eq!(text(&out.stdout).trim(), format!("Revoked {share_id}."));
    let resp = recipient_download(&stack, &url, Some(secret)).await;
    assert_eq!(resp.status().as_u16(), 410);
    let refused: Value = resp.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "share_revoked");
    let out = run(&bin, &config, &["share", "ls", &id, "--json"], "").await;
    let listed: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        listed["shares"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == share_id.as_str() && s["state"] == "revoked"),
        "{listed}"
    );

    // Errors: the CLI's words and exit codes.
    let out = run(&bin, &config, &["share", "revoke", "no-such-share"], "").await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(text(&out.stderr).trim(), "error: no-such-share: Not found.");
    let (s, pending) = stack
        .post(
            "/files",
            Some(&token),
            serde_json::json!({"name": "later.txt", "size": 5, "content_type": "text/plain"}),
        )
        .await;
    assert_eq!(s, 201, "{pending}");
    let pending = pending["file"]["id"].as_str().unwrap().to_owned();
    let out = run(&bin, &config, &["share", "create", &pending, "--json"], "").await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        text(&out.stderr).trim(),
        format!("error: {pending}: the file is not accepted (yet), so it cannot be shared.")
    );
    let err: Value = serde_json::from_slice(&out.stdout).expect("JSON error");
    assert_eq!(err["error"]["code"], "not_ready");
    let out = run(
        &bin,
        &config,
        &["share", "create", &id, "--password-stdin"],
        "",
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trash_is_listed_restored_and_purged_from_the_cli() {
    let bin = cli_binary();
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[("TRASH_DAYS", "7")]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-trash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let email = "cli-trash@example.com";
    let token = stack.user(email).await;
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
    let id = stack
        .upload(&token, "kept.png", &common::samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&token, &id).await["status"], "accepted");
    let trash = |json: &Value| -> Vec<String> {
        json["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let json_of = |out: &std::process::Output| -> Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("JSON: {out:?}"))
    };

    let out = run(&bin, &config, &["rm", &id], "").await;
    assert!(out.status.success(), "rm: {out:?}");
    let out = run(&bin, &config, &["trash", "ls", "--json"], "").await;
    assert!(out.status.success(), "trash ls: {out:?}");
    assert_eq!(trash(&json_of(&out)), [id.as_str()]);
    let out = run(&bin, &config, &["trash", "ls"], "").await;
    assert!(text(&out.stdout).contains("kept.png"), "{out:?}");

    let out = run(&bin, &config, &["trash", "restore", &id], "").await;
    assert!(out.status.success(), "restore: {out:?}");
    assert!(
        text(&out.stdout).contains(&format!("Restored {id}.")),
        "{out:?}"
    );
    let (s, _) = stack.get(&format!("/files/{id}"), &token).await;
    assert_eq!(s, 200);

    let out = run(&bin, &config, &["rm", &id], "").await;
    assert!(out.status.success(), "rm again: {out:?}");
    let out = run(&bin, &config, &["trash", "purge", &id, "--json"], "").await;
    assert!(out.status.success(), "purge: {out:?}");
    assert_eq!(json_of(&out)["purged"], id.as_str());
    let out = run(&bin, &config, &["trash", "ls", "--json"], "").await;
    assert!(trash(&json_of(&out)).is_empty(), "{out:?}");
    // Purged is gone: restoring it is refused, with a code.
    let out = run(&bin, &config, &["trash", "restore", &id], "").await;
    assert!(!out.status.success(), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
