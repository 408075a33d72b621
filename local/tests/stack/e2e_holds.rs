//! Legal holds end to end over HTTP on the local stack: an admin holds one of Ada's files; every
//! deletion path refuses it (her delete, an admin's delete, her erasure and an admin's, the
//! janitor's retention, which deletes her other due file meanwhile); she sees it held, never
//! why; the admin's listing carries the reason and the audit trail the two changes by id; once
//! lifted, retention takes it.

use chrono::{Duration, Utc};
use dropgate_core::time::rfc3339;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LocalStack, PASSWORD, samples};
use crate::e2e_admin::{ADMIN, ADMIN_PASSWORD, login, stack_with_admin};

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or_default()
}

/// Sets a file's `delete_after` two seconds ahead (the janitor runs every second here).
async fn due_soon(stack: &LocalStack, token: &str, id: &str) {
    let at = rfc3339(Utc::now() + Duration::seconds(2));
    let body = json!({ "delete_after": at }).to_string();
    let (s, b) = stack
        .call(
            Method::PATCH,
            &format!("/files/{id}"),
            Some(token),
            Some(&body),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn receipt_of(stack: &LocalStack, token: &str, id: &str) -> Option<Value> {
    let (_, b) = stack.get("/receipts/deletions", token).await;
    b["receipts"]
        .as_array()?
        .iter()
        .find(|r| r["file_id"] == id)
        .cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_file_survives_every_deletion_until_the_hold_is_lifted() {
    let stack = stack_with_admin(&[("TRASH_DAYS", "0")]).await;
    let admin = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    let ada = stack.user("ada-hold@example.com").await;
    let ada_id = LocalStack::sub_of(&ada);
    let png = samples::png();
    let held = stack.upload(&ada, "evidence.png", &png, "image/png").await;
    let other = stack.upload(&ada, "other.png", &png, "image/png").await;
    for id in [&held, &other] {
        assert_eq!(stack.settled(&ada, id).await["status"], "accepted");
    }
    let (s, b) = stack.get(&format!("/files/{held}"), &ada).await;
    assert_eq!((s, &b["file"]["legal_hold"]), (200, &json!(false)), "{b}");

    // Ada is not an admin: she cannot hold anything.
    let hold = format!("/admin/files/{held}/hold");
    let reason = "Case 2026-114: keep <all> records";
    let (s, b) = stack
        .post(&hold, Some(&ada), json!({"reason": reason}))
        .await;
    assert_eq!((s, code(&b)), (403, "admin_only"), "{b}");
    let (s, b) = stack
        .post(&hold, Some(&admin), json!({"reason": " "}))
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_reason"), "{b}");
    let (s, b) = stack
        .post(&hold, Some(&admin), json!({"reason": reason}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["file"]["legal_hold"], true);
    assert_eq!(b["file"]["hold_reason"], reason);

    // She sees it held, never why.
    for path in [format!("/files/{held}"), "/files".to_owned()] {
        let (s, b) = stack.get(&path, &ada).await;
        assert_eq!(s, 200);
        assert!(b.to_string().contains("\"legal_hold\":true"), "{path}: {b}");
        assert!(!b.to_string().contains("2026-114"), "{path}: {b}");
    }

    // Every door refuses it.
    let (s, b) = stack
        .call(Method::DELETE, &format!("/files/{held}"), Some(&ada), None)
        .await;
    assert_eq!((s, code(&b)), (409, "legal_hold"), "{b}");
    let (s, b) = stack
        .call(
            Method::DELETE,
            &format!("/admin/files/{held}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((s, code(&b)), (409, "legal_hold"), "{b}");
    let own = json!({ "password": PASSWORD }).to_string();
    let (s, b) = stack
        .call(Method::DELETE, "/account", Some(&ada), Some(&own))
        .await;
    assert_eq!((s, code(&b)), (409, "legal_hold"), "{b}");
    let (s, b) = stack
        .call(
            Method::DELETE,
            &format!("/admin/users/{ada_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((s, code(&b)), (409, "legal_hold"), "{b}");
    // The account was not even stopped.
    let (s, b) = stack.get("/files", &ada).await;
    assert_eq!(s, 200, "{b}");

    // Retention: both come due; the janitor takes the other one and leaves the held one.
    due_soon(&stack, &ada, &held).await;
    due_soon(&stack, &ada, &other).await;
    stack
        .wait_for("the other file's retention receipt", 30, || async {
            receipt_of(&stack, &ada, &other).await
        })
        .await;
    // A few more runs past its time.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (s, b) = stack.get(&format!("/files/{held}"), &ada).await;
    assert_eq!(s, 200, "the held file stays: {b}");
    assert!(receipt_of(&stack, &ada, &held).await.is_none());
    assert!(
        stack.raw_object(&format!("uploads/{held}")).await.is_some(),
        "its bytes stay"
    );

    // The admin's listing carries the reason; the trail holds ids only.
    let (s, b) = stack
        .get(
            &format!("/admin/files?status=accepted&owner={ada_id}"),
            &admin,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let item = b["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == held.as_str())
        .cloned()
        .expect("listed");
    assert_eq!(
        (&item["legal_hold"], &item["hold_reason"]),
        (&json!(true), &json!(reason))
    );

    // Lifted: retention takes it at its next run.
    let (s, b) = stack.call(Method::DELETE, &hold, Some(&admin), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["file"]["legal_hold"], false);
    let r = stack
        .wait_for("the held file's retention receipt", 30, || async {
            receipt_of(&stack, &ada, &held).await
        })
        .await;
    assert_eq!(r["reason"], "retention", "{r}");

    let (s, b) = stack
        .get(&format!("/admin/audit?target=file:{held}"), &admin)
        .await;
    assert_eq!(s, 200, "{b}");
    let entries = b["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"file.legal_hold_placed"), "{b}");
    assert!(actions.contains(&"file.legal_hold_removed"), "{b}");
    for e in entries {
        assert!(
            !e.to_string().contains("2026-114"),
            "no reason in the trail: {e}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_holds_and_unholds_from_the_cli() {
    use crate::e2e_admin::{cli_binary, dropgate};
    let stack = stack_with_admin(&[]).await;
    let bin = cli_binary();
    let dir = std::env::temp_dir().join(format!("dropgate-hold-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = dir.join("config");
    let login = [
        "--api",
        &stack.api,
        "login",
        "--email",
        ADMIN,
        "--password-stdin",
    ];
    let (ok, out) = dropgate(&bin, &config, &login, Some(ADMIN_PASSWORD)).await;
    assert!(ok, "login: {out}");
    let ada = stack.user("ada-cli-hold@example.com").await;
    let id = stack
        .upload(&ada, "cli-hold.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");

    // A reason is required.
    let (ok, _) = dropgate(&bin, &config, &["admin", "hold", &id], None).await;
    assert!(!ok);
    let (ok, out) = dropgate(
        &bin,
        &config,
        &["admin", "hold", &id, "--reason", "audit 2026"],
        None,
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out["file"]["legal_hold"], true, "{out}");
    assert_eq!(out["file"]["hold_reason"], "audit 2026", "{out}");
    let (ok, out) = dropgate(&bin, &config, &["admin", "delete-file", &id, "--yes"], None).await;
    assert!(!ok, "a held file is not deleted: {out}");
    let (s, b) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!((s, &b["file"]["legal_hold"]), (200, &json!(true)), "{b}");

    let (ok, out) = dropgate(&bin, &config, &["admin", "unhold", &id], None).await;
    assert!(ok, "{out}");
    assert_eq!(out["file"]["legal_hold"], false, "{out}");
    let (ok, out) = dropgate(&bin, &config, &["admin", "delete-file", &id, "--yes"], None).await;
    assert!(ok, "{out}");
    let (s, _) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(s, 404);
}
