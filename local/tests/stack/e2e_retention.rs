//! Retention over HTTP on the local stack: a file's own `delete_after` (at creation and by
//! `PATCH /files/{id}`), the owner's default from `/account/settings`, their codes; and the
//! janitor deleting what is due, with its receipt.

use chrono::{Duration, Utc};
use dropgate_core::time::rfc3339;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::LocalStack;

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or_default()
}

async fn patch(stack: &LocalStack, path: &str, token: &str, body: Value) -> (u16, Value) {
    stack
        .call(Method::PATCH, path, Some(token), Some(&body.to_string()))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_set_when_files_are_deleted_and_bad_times_are_refused() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada-retention@example.com").await;

    // The default: none, then 30 days for files created from now on.
    let (s, b) = stack.get("/account/settings", &ada).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, json!({"settings": {"file_retention_days": null}}));
    let before = stack.create(&ada, "before.png", 10, "image/png").await;
    assert_eq!(before["file"]["delete_after"], Value::Null, "{before}");
    for bad in [json!(0), json!(36_501), json!("30"), json!(1.5)] {
        let (s, b) = patch(
            &stack,
            "/account/settings",
            &ada,
            json!({"file_retention_days": bad}),
        )
        .await;
        assert_eq!((s, code(&b)), (400, "invalid_file_retention_days"), "{b}");
    }
    let (s, b) = patch(&stack, "/account/settings", &ada, json!({"nope": 1})).await;
    assert_eq!((s, code(&b)), (400, "invalid_request"), "{b}");
    let (s, b) = patch(
        &stack,
        "/account/settings",
        &ada,
        json!({"file_retention_days": 30}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["settings"]["file_retention_days"], 30);
    let (_, b) = stack.get("/account/settings", &ada).await;
    assert_eq!(b["settings"]["file_retention_days"], 30);

    let start = Utc::now();
    let after = stack.create(&ada, "after.png", 10, "image/png").await;
    let due: chrono::DateTime<Utc> = after["file"]["delete_after"]
        .as_str()
        .expect("the owner's default applies")
        .parse()
        .unwrap();
    assert!(due >= start + Duration::days(30) - Duration::seconds(1));
    assert!(due <= Utc::now() + Duration::days(30));
    // Files created before keep what they had.
    let id = before["file"]["id"].as_str().unwrap();
    let (_, b) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(b["file"]["delete_after"], Value::Null, "{b}");

    // A file's own time wins over the default.
    let own = rfc3339(Utc::now() + Duration::days(2));
    let (s, b) = stack
        .post(
            "/files",
            Some(&ada),
            json!({"name": "own.png", "size": 10, "content_type": "image/png", "delete_after": own}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["file"]["delete_after"], own.as_str());
    for bad in [
        json!(rfc3339(Utc::now() - Duration::seconds(5))),
        json!("next week"),
        json!(5),
    ] {
        let (s, b) = stack
            .post(
                "/files",
                Some(&ada),
                json!({"name": "x.png", "size": 10, "content_type": "image/png", "delete_after": bad}),
            )
            .await;
        assert_eq!((s, code(&b)), (400, "invalid_delete_after"), "{b}");
    }

    // PATCH sets, refuses the past, removes; another owner's file is 404.
    let later = rfc3339(Utc::now() + Duration::hours(3));
    let (s, b) = patch(
        &stack,
        &format!("/files/{id}"),
        &ada,
        json!({"delete_after": later}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["file"]["delete_after"], later.as_str());
    let (s, b) = patch(
        &stack,
        &format!("/files/{id}"),
        &ada,
        json!({"delete_after": rfc3339(Utc::now() - Duration::days(1))}),
    )
    .await;
    assert_eq!((s, code(&b)), (400, "invalid_delete_after"), "{b}");
    let (s, b) = patch(&stack, &format!("/files/{id}"), &ada, json!({})).await;
    assert_eq!((s, code(&b)), (400, "invalid_request"), "{b}");
    let bob = stack.user("bob-retention@example.com").await;
    let (s, _) = patch(
        &stack,
        &format!("/files/{id}"),
        &bob,
        json!({"delete_after": later}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, b) = patch(
        &stack,
        &format!("/files/{id}"),
        &ada,
        json!({"delete_after": null}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["file"]["delete_after"], Value::Null);
    let (_, b) = stack.get("/files", &ada).await;
    assert!(
        b["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.as_object().unwrap().contains_key("delete_after")),
        "{b}"
    );
}

/// Sets a file's `delete_after` two seconds ahead (the janitor runs every second here).
async fn due_soon(stack: &LocalStack, token: &str, id: &str) -> String {
    let at = rfc3339(Utc::now() + Duration::seconds(2));
    let (s, b) = patch(
        stack,
        &format!("/files/{id}"),
        token,
        json!({"delete_after": at}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_janitor_deletes_a_due_file_with_a_retention_receipt() {
    let stack = LocalStack::start_with(&[("TRASH_DAYS", "0")]).await;
    let ada = stack.user("ada-retention-due@example.com").await;
    let png = crate::common::samples::png();
    let id = stack.upload(&ada, "due.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    let at = due_soon(&stack, &ada, &id).await;

    let receipt = stack
        .wait_for("a retention receipt", 30, || async {
            let (_, b) = stack.get("/receipts/deletions", &ada).await;
            b["receipts"]
                .as_array()
                .and_then(|r| r.first().cloned())
                .filter(|r| r["file_id"] == id.as_str())
        })
        .await;
    assert_eq!(receipt["reason"], "retention", "{receipt}");
    assert_eq!(receipt["deleted_by"], "retention", "{receipt}");
    assert_eq!(receipt["size"].as_u64(), Some(png.len() as u64));
    let deleted_at: chrono::DateTime<Utc> =
        receipt["deleted_at"].as_str().unwrap().parse().unwrap();
    assert!(
        deleted_at >= at.parse::<chrono::DateTime<Utc>>().unwrap(),
        "never before its time"
    );
    let (s, _) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(s, 404);
    let (_, b) = stack.get("/quota", &ada).await;
    assert_eq!(b["files"], 0, "{b}");
    assert!(
        stack.raw_object(&format!("uploads/{id}")).await.is_none(),
        "its bytes are gone"
    );
    // The integrators hear why: `file.deleted` with `reason: "retention"`.
    let event = stack
        .wait_for("the file.deleted event", 30, || async {
            let resp = reqwest::get(stack.url("/__events")).await.ok()?;
            let body: Value = resp.json().await.ok()?;
            body["events"].as_array()?.iter().find_map(|e| {
                (e["detail_type"] == "file.deleted" && e["detail"]["file"]["id"] == id.as_str())
                    .then(|| e.clone())
            })
        })
        .await;
    assert_eq!(event["detail"]["reason"], "retention", "{event}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_trash_on_retention_moves_a_due_file_into_it() {
    let stack = LocalStack::start_with(&[("TRASH_DAYS", "7")]).await;
    let ada = stack.user("ada-retention-trash@example.com").await;
    let png = crate::common::samples::png();
    let id = stack.upload(&ada, "due.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    due_soon(&stack, &ada, &id).await;
    let trashed = stack
        .wait_for("the file in the trash", 30, || async {
            let (_, b) = stack.get("/trash", &ada).await;
            b["files"]
                .as_array()
                .and_then(|f| f.first().cloned())
                .filter(|f| f["id"] == id.as_str())
        })
        .await;
    assert!(trashed["purge_at"].is_string(), "{trashed}");
    let (s, _) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(s, 404);
    // No receipt until the bytes go.
    let (_, b) = stack.get("/receipts/deletions", &ada).await;
    assert_eq!(b["receipts"], json!([]), "{b}");
    // Restored, it keeps no time already past, and stays.
    let (s, b) = stack
        .post(&format!("/trash/{id}/restore"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["file"]["delete_after"], Value::Null, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_keeps_its_files_for_its_own_days() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada-retention-link@example.com").await;
    let (s, b) = stack
        .post(
            "/links",
            Some(&ada),
            json!({"label": "Intake", "retain_days": 90}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["link"]["retain_days"], 90);
    let id = b["link"]["id"].as_str().unwrap().to_owned();
    let token = b["link"]["token"].as_str().unwrap().to_owned();
    for bad in [json!(0), json!(36_501), json!("9")] {
        let (s, b) = stack
            .post(
                "/links",
                Some(&ada),
                json!({"label": "Bad", "retain_days": bad}),
            )
            .await;
        assert_eq!((s, code(&b)), (400, "invalid_retain_days"), "{b}");
    }

    // A drop through it is kept 90 days from the drop.
    let start = Utc::now();
    let (s, _, b) = stack
        .anonymous(
            Method::POST,
            &format!("/drop/{token}/files"),
            Some(json!({"name": "a.pdf", "size": 10, "content_type": "application/pdf"})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let file = b["file"]["id"].as_str().unwrap().to_owned();
    assert!(
        b["file"].get("delete_after").is_none(),
        "not in a stranger's answer: {b}"
    );
    let (_, b) = stack.get(&format!("/files/{file}"), &ada).await;
    let due: chrono::DateTime<Utc> = b["file"]["delete_after"]
        .as_str()
        .expect("the link's retention")
        .parse()
        .unwrap();
    assert!(
        due >= start + Duration::days(90) - Duration::seconds(1),
        "{b}"
    );
    assert!(due <= Utc::now() + Duration::days(90), "{b}");

    let (s, b) = patch(
        &stack,
        &format!("/links/{id}"),
        &ada,
        json!({"retain_days": null}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["link"]["retain_days"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sets_the_default_and_a_files_own_time() {
    use crate::e2e_cli::{cli_binary, run};
    let bin = cli_binary();
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let dir = std::env::temp_dir().join(format!("dropgate-cli-retention-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config");
    let email = "cli-retention@example.com";
    let token = stack.user(email).await;
    let login = [
        "--api",
        &stack.api,
        "login",
        "--email",
        email,
        "--password-stdin",
    ];
    let password = format!("{}\n", crate::common::PASSWORD);
    let out = run(&bin, &config, &login, &password).await;
    assert!(out.status.success(), "login: {out:?}");
    let say = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).trim().to_owned();

    let out = run(&bin, &config, &["retention"], "").await;
    assert_eq!(
        say(&out),
        "New files are kept until they are deleted.",
        "{out:?}"
    );
    let out = run(&bin, &config, &["retention", "--days", "30"], "").await;
    assert_eq!(
        say(&out),
        "New files are deleted 30 days after their upload (unless given their own time).",
        "{out:?}"
    );
    let (_, b) = stack.get("/account/settings", &token).await;
    assert_eq!(b["settings"]["file_retention_days"], 30);
    let out = run(&bin, &config, &["retention", "--days", "0"], "").await;
    assert!(!out.status.success(), "{out:?}");

    let path = dir.join("minutes.txt");
    std::fs::write(&path, b"Minutes, kept for a day.\n").unwrap();
    let start = Utc::now();
    let out = run(
        &bin,
        &config,
        &[
            "put",
            "--json",
            "--delete-after",
            "1d",
            path.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert!(out.status.success(), "put: {out:?}");
    let put: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let due: chrono::DateTime<Utc> = put["files"][0]["file"]["delete_after"]
        .as_str()
        .expect("its own time")
        .parse()
        .unwrap();
    assert!(
        due >= start + Duration::days(1) - Duration::seconds(1),
        "{put}"
    );
    assert!(due <= Utc::now() + Duration::days(1), "{put}");

    let out = run(&bin, &config, &["retention", "--off"], "").await;
    assert_eq!(
        say(&out),
        "New files are kept until they are deleted.",
        "{out:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
