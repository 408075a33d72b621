//! Account erasure end to end: an admin erases an account that has files, a link with a
//! dropped file, a share, an API token and a webhook, and the emulator, asked directly, holds
//! nothing of it (tables, bucket, user pool) but the audit entry and the marker; an owner
//! erases their own account with their password and the receipt reaches the emulator's SES.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LocalStack, PASSWORD, samples};
use crate::e2e_admin::{ADMIN, ADMIN_PASSWORD, login};
use crate::e2e_links::drop_file;

/// The marker's attributes: all an erased account leaves on its record, for two hours.
const MARKER: [&str; 8] = [
    "owner",
    "disabled",
    "erasing_at",
    "erased_files",
    "erased_bytes",
    "erased_links",
    "erased_shares",
    "expires_at",
];

async fn stack() -> LocalStack {
    LocalStack::start_with_args(
        &[
            "--scanner",
            "off",
            "--admin",
            ADMIN,
            "--allow-loopback-webhooks",
        ],
        &[("DROPGATE_LOCAL_ADMIN_PASSWORD", ADMIN_PASSWORD)],
    )
    .await
}

fn code(b: &Value) -> &str {
    b["error"]["code"].as_str().unwrap_or_default()
}

/// An account with an accepted file, a pending upload, a link with a dropped (and accepted)
/// file, a share, an API token and a webhook; answers (id token, owner id, the ids it holds,
/// the API token's secret).
async fn full_account(stack: &LocalStack, email: &str) -> (String, String, Vec<String>, String) {
    let user = stack.user(email).await;
    let id = LocalStack::sub_of(&user);
    let png = samples::png();
    let file = stack.upload(&user, "kept.png", &png, "image/png").await;
    assert_eq!(stack.settled(&user, &file).await["status"], "accepted");
    let pending = stack
        .create(&user, "later.png", png.len(), "image/png")
        .await;
    let pending = pending["file"]["id"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .post(
            "/links",
            Some(&user),
            json!({"label": "Q3", "expires_in": 3600}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let link = b["link"]["id"].as_str().unwrap().to_owned();
    let link_token = b["link"]["token"].as_str().unwrap().to_owned();
    let (s, dropped) = drop_file(stack, &link_token, "in.png", png.len(), "image/png", None).await;
    assert_eq!(s, 201, "{dropped}");
    assert_eq!(stack.put(&dropped, png.clone()).await, 200);
    let dropped = dropped["file"]["id"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .post(&format!("/files/{file}/shares"), Some(&user), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    let share = b["share"]["id"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .post(
            "/account/tokens",
            Some(&user),
            json!({"name": "ci", "scope": "read", "expires_in": 3600}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let secret = b["token"]["secret"].as_str().unwrap().to_owned();
    let key = b["token"]["id"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .post(
            "/webhooks",
            Some(&user),
            json!({"url": "http://127.0.0.1:9/hook", "events": ["file.accepted"]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let hook = b["webhook"]["id"].as_str().unwrap().to_owned();
    // The dropped file settles too (the owner's listing shows it judged).
    stack
        .wait_for("the dropped file's verdict", 60, || {
            let (stack, user, dropped) = (&stack, &user, &dropped);
            async move {
                let f = stack.settled(user, dropped).await;
                (f["status"] == "accepted").then_some(())
            }
        })
        .await;
    let ids = vec![file, pending, dropped, link, share, key, hook];
    (user, id, ids, secret)
}

fn text_of(item: &HashMap<String, AttributeValue>) -> String {
    format!("{item:?}")
}

/// Every item of every table but the audit log that names `owner` or one of `ids`; the
/// account record may still hold the marker's attributes, and nothing else.
async fn remnants(stack: &LocalStack, owner: &str, ids: &[String]) -> Vec<String> {
    let ddb = aws_sdk_dynamodb::Client::new(&stack.sdk().await);
    let tables = stack.ready["resources"]["tables"].as_object().unwrap();
    let mut found = Vec::new();
    for (name, table) in tables {
        if name == "audit" {
            continue;
        }
        let mut start = None;
        loop {
            let out = ddb
                .scan()
                .table_name(table.as_str().unwrap())
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            for item in out.items() {
                let text = text_of(item);
                let names_it =
                    text.contains(owner) || ids.iter().any(|i| text.contains(i.as_str()));
                let marker = name == "quotas" && item.keys().all(|k| MARKER.contains(&k.as_str()));
                if names_it && !marker {
                    found.push(format!("{name}: {text}"));
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    found
}

async fn object_keys(stack: &LocalStack) -> Vec<String> {
    let sdk = stack.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let out = s3
        .list_objects_v2()
        .bucket(stack.resource("bucket"))
        .send()
        .await
        .expect("list objects");
    out.contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

async fn pool_has(stack: &LocalStack, sub: &str) -> bool {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&stack.sdk().await);
    let out = cognito
        .list_users()
        .user_pool_id(stack.ready["resources"]["user_pool_id"].as_str().unwrap())
        .filter(format!("sub = \"{sub}\""))
        .send()
        .await
        .expect("ListUsers");
    !out.users().is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_erases_an_account_and_the_emulator_keeps_nothing_of_it() {
    let stack = stack().await;
    let (user, id, ids, secret) = full_account(&stack, "leaving@example.com").await;
    let (bob, bob_id, bob_ids, _) = full_account(&stack, "staying@example.com").await;
    let admin = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    assert!(pool_has(&stack, &id).await);
    let keys_before = object_keys(&stack).await;
    assert!(keys_before.iter().any(|k| k.contains(&ids[0])));

    // Not for anyone but an admin.
    let path = format!("/admin/users/{id}");
    let (s, b) = stack.call(Method::DELETE, &path, Some(&bob), None).await;
    assert_eq!((s, code(&b)), (403, "admin_only"), "{b}");
    let (s, b) = stack
        .call(
            Method::DELETE,
            "/admin/users/no-such-user",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!((s, code(&b)), (404, "not_found"), "{b}");

    let (s, b) = stack.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(s, 200, "{b}");
    let e = &b["erasure"];
    assert_eq!(e["id"], id.as_str());
    assert_eq!(
        (&e["files"], &e["links"], &e["shares"]),
        (&json!(3), &json!(1), &json!(1)),
        "{b}"
    );
    let png = samples::png().len() as u64;
    assert_eq!(e["bytes"], json!(2 * png), "two files' bytes arrived: {b}");
    assert!(e["at"].as_str().unwrap().ends_with('Z'));

    // Nothing of the account in any table, object or the pool; the other one keeps all.
    assert_eq!(remnants(&stack, &id, &ids).await, Vec::<String>::new());
    let keys = object_keys(&stack).await;
    for file in &ids[..3] {
        assert!(
            !keys.iter().any(|k| k.contains(file.as_str())),
            "{file} in {keys:?}"
        );
    }
    assert!(!pool_has(&stack, &id).await);
    assert!(pool_has(&stack, &bob_id).await);
    assert!(keys.iter().any(|k| k.contains(&bob_ids[0])));
    assert!(!remnants(&stack, &bob_id, &bob_ids).await.is_empty());
    assert_eq!(stack.get("/files", &bob).await.0, 200);

    // The user is unknown now; their tokens open nothing.
    let (s, b) = stack.get(&path, &admin).await;
    assert_eq!((s, code(&b)), (404, "not_found"), "{b}");
    let (s, b) = stack.call(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!((s, code(&b)), (404, "not_found"), "{b}");
    let (s, b) = stack.get("/files", &user).await;
    assert_eq!((s, code(&b)), (403, "account_disabled"), "{b}");
    let (s, _) = stack.get("/files", &secret).await;
    assert_eq!(s, 401);
    let (s, _) = stack
        .post(
            "/auth/login",
            None,
            json!({"email": "leaving@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 401);

    // One audit entry, ids and counts only.
    let (s, log) = stack
        .get(&format!("/admin/audit?target=user:{id}"), &admin)
        .await;
    assert_eq!(s, 200, "{log}");
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["action"], "account.erased");
    assert_eq!(entries[0]["actor"]["kind"], "admin");
    assert_eq!(
        entries[0]["detail"],
        json!({"files": 3, "bytes": 2 * png, "links": 1, "shares": 1})
    );
    assert!(!log.to_string().contains("leaving@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_deletes_their_own_account_with_their_password_and_gets_a_receipt() {
    let stack = stack().await;
    let (user, id, ids, secret) = full_account(&stack, "closing@example.com").await;
    let delete = |token: String, password: &str| {
        let body = json!({ "password": password }).to_string();
        let stack = &stack;
        async move {
            stack
                .call(Method::DELETE, "/account", Some(&token), Some(&body))
                .await
        }
    };

    // An API token may not; a wrong password changes nothing.
    let (s, b) = delete(secret.clone(), PASSWORD).await;
    assert_eq!((s, code(&b)), (403, "scope_denied"), "{b}");
    let (s, b) = delete(user.clone(), "Wrong1password").await;
    assert_eq!((s, code(&b)), (401, "invalid_credentials"), "{b}");
    let (s, b) = stack.get("/files", &user).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["files"].as_array().unwrap().len(), 3);
    let (s, b) = stack
        .call(Method::DELETE, "/account", Some(&user), Some("{}"))
        .await;
    assert_eq!((s, code(&b)), (400, "invalid_request"), "{b}");

    let (s, b) = delete(user.clone(), PASSWORD).await;
    assert_eq!(s, 200, "{b}");
    let e = &b["erasure"];
    assert_eq!(
        (&e["files"], &e["links"], &e["shares"]),
        (&json!(3), &json!(1), &json!(1))
    );
    assert!(e.get("id").is_none(), "{b}");
    assert_eq!(remnants(&stack, &id, &ids).await, Vec::<String>::new());
    assert!(!pool_has(&stack, &id).await);

    // The receipt, at the emulator's SES, to the verified address.
    let mails = stack
        .wait_for("the erasure receipt", 30, || {
            let stack = &stack;
            async move {
                let m = stack
                    .mails_about("Your Dropgate account was deleted at")
                    .await;
                (!m.is_empty()).then_some(m)
            }
        })
        .await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].to_string().contains("closing@example.com"),
        "{}",
        mails[0]
    );
    assert!(mails[0]["body"].as_str().unwrap().contains("3 files"));
    assert!(!mails[0].to_string().contains(&id));

    let admin = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    let (_, log) = stack
        .get(&format!("/admin/audit?target=user:{id}"), &admin)
        .await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["actor"]["kind"], "owner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_erases_only_when_told_yes_and_deletes_ones_own_account() {
    use crate::e2e_admin::{cli_binary, dropgate};
    let stack = stack().await;
    let bin = cli_binary();
    let dir = std::env::temp_dir().join(format!("dropgate-erase-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (admin_cfg, own_cfg) = (dir.join("admin"), dir.join("own"));
    let login = |cfg: std::path::PathBuf, email: &'static str, password: &'static str| {
        let (bin, api) = (bin.clone(), stack.api.clone());
        async move {
            let args = ["--api", &api, "login", "--email", email, "--password-stdin"];
            let (ok, out) = dropgate(&bin, &cfg, &args, Some(password)).await;
            assert!(ok, "login {email}: {out}");
        }
    };
    login(admin_cfg.clone(), ADMIN, ADMIN_PASSWORD).await;

    let user = stack.user("cli-erased@example.com").await;
    let id = LocalStack::sub_of(&user);
    stack.create(&user, "a.png", 10, "image/png").await;
    // Without --yes: refused, nothing sent.
    let (ok, _) = dropgate(&bin, &admin_cfg, &["admin", "erase", &id], None).await;
    assert!(!ok);
    assert!(pool_has(&stack, &id).await);
    let (ok, out) = dropgate(&bin, &admin_cfg, &["admin", "erase", &id, "--yes"], None).await;
    assert!(ok, "{out}");
    assert_eq!(out["erasure"]["id"], id.as_str());
    assert_eq!(out["erasure"]["files"], 1);
    assert!(!pool_has(&stack, &id).await);
    let (ok, _) = dropgate(&bin, &admin_cfg, &["admin", "erase", &id, "--yes"], None).await;
    assert!(!ok, "a second erasure finds nobody");

    // One's own: the password from stdin, --yes for the typed confirmation.
    let own = stack.user("cli-own@example.com").await;
    let own_id = LocalStack::sub_of(&own);
    login(own_cfg.clone(), "cli-own@example.com", PASSWORD).await;
    let (ok, out) = dropgate(
        &bin,
        &own_cfg,
        &["account", "delete", "--password-stdin", "--yes"],
        Some("Wrong1password"),
    )
    .await;
    assert!(!ok, "{out}");
    assert!(pool_has(&stack, &own_id).await);
    let (ok, out) = dropgate(
        &bin,
        &own_cfg,
        &["account", "delete", "--password-stdin", "--yes"],
        Some(PASSWORD),
    )
    .await;
    assert!(ok, "{out}");
    assert_eq!(out["erasure"]["files"], 0);
    assert!(!pool_has(&stack, &own_id).await);
    assert!(!own_cfg.join("session.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
