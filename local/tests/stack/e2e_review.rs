//! The operator's review end to end over HTTP: a file the scanner could not judge is held
//! (`--scanner-faults unsupported=1`, `UNSCANNABLE_POLICY=hold`) and waits in the queue; an admin
//! releases it (accepted, the owner mailed), deletes another for good (bytes, record, quota, a
//! receipt), sees another owner's link among all links and revokes it (its drop answers as a
//! revoked link); a non-admin gets `403 admin_only` on every route; each change audited once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LocalStack, samples};
use crate::e2e_admin::{ADMIN, ADMIN_PASSWORD, login};
use crate::e2e_links::{make_link, token_of};

/// A stack whose scanner judges nothing (every file held) and with `ADMIN` an admin.
pub async fn holding_stack() -> LocalStack {
    LocalStack::start_with_args(
        &["--scanner-faults", "unsupported=1", "--admin", ADMIN],
        &[
            ("UNSCANNABLE_POLICY", "hold"),
            ("DROPGATE_LOCAL_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ],
    )
    .await
}

fn code(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

fn ids(page: &Value, key: &str) -> Vec<String> {
    page[key]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect()
}

async fn audit_actions(stack: &LocalStack, admin: &str, target: &str) -> Vec<String> {
    let (s, b) = stack
        .get(&format!("/admin/audit?target={target}"), admin)
        .await;
    assert_eq!(s, 200, "{b}");
    b["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_releases_deletes_and_revokes_across_owners() {
    let stack = holding_stack().await;
    let admin = login(&stack, ADMIN, ADMIN_PASSWORD).await;
    let ada = stack.user("ada-review@example.com").await;
    let bob = stack.user("bob-review@example.com").await;
    let png = samples::png();

    // Two held files of Ada's, one refused for its type.
    let held = stack
        .upload(&ada, "held <b>one.png", &png, "image/png")
        .await;
    let doomed = stack.upload(&ada, "doomed.png", &png, "image/png").await;
    let refused = stack
        .upload(&ada, "notes.png", &samples::elf(), "image/png")
        .await;
    for id in [&held, &doomed] {
        assert_eq!(stack.settled(&ada, id).await["status"], "held");
    }
    assert_eq!(stack.settled(&ada, &refused).await["status"], "rejected");

    // The queue: held by default, across owners, with the owner's address; names as given.
    let (s, page) = stack.get("/admin/files", &admin).await;
    assert_eq!(s, 200, "{page}");
    let queue = ids(&page, "files");
    assert!(queue.contains(&held) && queue.contains(&doomed), "{page}");
    assert!(!queue.contains(&refused), "{page}");
    let one = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == held.as_str())
        .unwrap();
    assert_eq!(one["owner"]["email"], "ada-review@example.com");
    assert_eq!(one["name"], "held <b>one.png");
    assert_eq!(one["status"], "held");
    let (s, page) = stack.get("/admin/files?status=rejected", &admin).await;
    assert_eq!(s, 200, "{page}");
    assert!(ids(&page, "files").contains(&refused), "{page}");
    let (s, b) = stack.get("/admin/files?status=pending", &admin).await;
    assert_eq!((s, code(&b)), (400, Some("invalid_status")), "{b}");

    // Release: accepted, downloadable, the owner mailed that it was released.
    let (s, b) = stack
        .post(
            &format!("/admin/files/{held}/release"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        (b["file"]["status"].as_str(), b["file"]["reason"].as_str()),
        (Some("accepted"), Some("released"))
    );
    let (s, b) = stack.get(&format!("/files/{held}"), &ada).await;
    assert_eq!(
        (s, b["file"]["status"].as_str()),
        (200, Some("accepted")),
        "{b}"
    );
    let (s, b) = stack.get(&format!("/files/{held}/download"), &ada).await;
    assert_eq!(s, 200, "{b}");
    stack
        .wait_for("the released mail", 30, || async {
            let mails = stack.mails_about("held &lt;b&gt;one").await;
            let mails = if mails.is_empty() {
                stack.mails_about("held <b>one").await
            } else {
                mails
            };
            mails.into_iter().find(|m| {
                m["subject"]
                    .as_str()
                    .is_some_and(|s| s.contains("released"))
            })
        })
        .await;
    // Not held any more, nor ever was the refused one; unknown is 404.
    for id in [&held, &refused] {
        let (s, b) = stack
            .post(
                &format!("/admin/files/{id}/release"),
                Some(&admin),
                json!({}),
            )
            .await;
        assert_eq!((s, code(&b)), (409, Some("not_held")), "{b}");
    }
    let (s, b) = stack
        .post("/admin/files/nope/release", Some(&admin), json!({}))
        .await;
    assert_eq!((s, code(&b)), (404, Some("not_found")), "{b}");

    // Delete for good: bytes, record, quota; a receipt says an admin did it.
    let (s, b) = stack
        .call(
            Method::DELETE,
            &format!("/admin/files/{doomed}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 204, "{b}");
    assert!(
        stack
            .raw_object(&format!("uploads/{doomed}"))
            .await
            .is_none()
    );
    let (s, _) = stack.get(&format!("/files/{doomed}"), &ada).await;
    assert_eq!(s, 404);
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        q["used_bytes"],
        png.len(),
        "only the released file counts: {q}"
    );
    let (_, r) = stack.get("/receipts/deletions", &ada).await;
    let receipt = r["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["file_id"] == doomed.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("a receipt: {r}"));
    assert_eq!(receipt["deleted_by"], "admin");
    let (s, _) = stack
        .call(
            Method::DELETE,
            &format!("/admin/files/{doomed}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 404);

    // Every link: Bob's among them, with his address; revoked, its drop says so.
    let link = make_link(&stack, &bob, json!({"label": "bob's <i>inbox</i>"})).await;
    let link_id = link["id"].as_str().unwrap().to_owned();
    let mut found = None;
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let path = match &cursor {
            Some(c) => format!("/admin/links?cursor={c}"),
            None => "/admin/links".to_owned(),
        };
        let (s, page) = stack.get(&path, &admin).await;
        assert_eq!(s, 200, "{page}");
        if let Some(l) = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == link_id.as_str())
        {
            found = Some(l.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let listed = found.expect("Bob's link among all links");
    assert_eq!(
        (listed["owner"]["email"].as_str(), listed["state"].as_str()),
        (Some("bob-review@example.com"), Some("active"))
    );
    assert!(
        listed.get("token").is_none() && listed.get("url").is_none(),
        "{listed}"
    );
    let (s, _) = stack
        .call(
            Method::DELETE,
            &format!("/admin/links/{link_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, _, b) = stack
        .anonymous(Method::GET, &format!("/drop/{}", token_of(&link)), None)
        .await;
    assert_eq!((s, code(&b)), (410, Some("link_revoked")), "{b}");
    let (s, b) = stack.get(&format!("/links/{link_id}"), &bob).await;
    assert_eq!(
        (s, b["link"]["state"].as_str()),
        (200, Some("revoked")),
        "{b}"
    );
    let (s, _) = stack
        .call(Method::DELETE, "/admin/links/nope", Some(&admin), None)
        .await;
    assert_eq!(s, 404);

    // One audit entry per change, by id.
    assert_eq!(
        audit_actions(&stack, &admin, &format!("file:{held}")).await,
        ["file.released"]
    );
    assert_eq!(
        audit_actions(&stack, &admin, &format!("file:{doomed}")).await,
        ["file.deleted"]
    );
    assert_eq!(
        audit_actions(&stack, &admin, &format!("link:{link_id}")).await,
        ["link.revoked"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_admin_is_refused_on_every_review_route() {
    let stack = holding_stack().await;
    let ada = stack.user("ada-nonadmin@example.com").await;
    let png = samples::png();
    let id = stack.upload(&ada, "mine.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "held");
    let link = make_link(&stack, &ada, json!({"label": "mine"})).await;
    let link_id = link["id"].as_str().unwrap();
    let routes = [
        (Method::GET, "/admin/files".to_owned()),
        (Method::GET, "/admin/files?status=bogus".to_owned()),
        (Method::POST, format!("/admin/files/{id}/release")),
        (Method::DELETE, format!("/admin/files/{id}")),
        (Method::GET, "/admin/links".to_owned()),
        (Method::DELETE, format!("/admin/links/{link_id}")),
    ];
    for (m, path) in routes {
        let body = (m == Method::POST).then(|| "{}".to_owned());
        let (s, b) = stack
            .call(m.clone(), &path, Some(&ada), body.as_deref())
            .await;
        assert_eq!((s, code(&b)), (403, Some("admin_only")), "{m} {path}: {b}");
    }
    // Nothing changed: still held, the link still takes drops.
    assert_eq!(stack.settled(&ada, &id).await["status"], "held");
    let (_, b) = stack.get(&format!("/links/{link_id}"), &ada).await;
    assert_eq!(b["link"]["state"], "active", "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_reviews_releases_and_revokes_from_the_cli() {
    use crate::e2e_admin::{cli_binary, dropgate};
    let stack = holding_stack().await;
    let bin = cli_binary();
    let dir = std::env::temp_dir().join(format!("dropgate-review-e2e-{}", std::process::id()));
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

    let ada = stack.user("ada-cli-review@example.com").await;
    let png = samples::png();
    let held = stack.upload(&ada, "cli-held.png", &png, "image/png").await;
    let doomed = stack
        .upload(&ada, "cli-doomed.png", &png, "image/png")
        .await;
    for id in [&held, &doomed] {
        assert_eq!(stack.settled(&ada, id).await["status"], "held");
    }
    let (ok, out) = dropgate(
        &bin,
        &config,
        &["admin", "review", "--status", "held"],
        None,
    )
    .await;
    assert!(ok, "{out}");
    let queue = ids(&out, "files");
    assert!(queue.contains(&held) && queue.contains(&doomed), "{out}");

    let (ok, out) = dropgate(&bin, &config, &["admin", "release", &held], None).await;
    assert!(ok, "{out}");
    assert_eq!(out["file"]["status"], "accepted");
    let (ok, _) = dropgate(&bin, &config, &["admin", "release", &held], None).await;
    assert!(!ok, "released once: not held any more");

    // No --yes, nothing happens.
    let (ok, _) = dropgate(&bin, &config, &["admin", "delete-file", &doomed], None).await;
    assert!(!ok);
    assert_eq!(stack.settled(&ada, &doomed).await["status"], "held");
    let (ok, out) = dropgate(
        &bin,
        &config,
        &["admin", "delete-file", &doomed, "--yes"],
        None,
    )
    .await;
    assert!(ok, "{out}");
    let (s, _) = stack.get(&format!("/files/{doomed}"), &ada).await;
    assert_eq!(s, 404);

    let link = make_link(&stack, &ada, json!({"label": "cli inbox"})).await;
    let link_id = link["id"].as_str().unwrap();
    let (ok, out) = dropgate(&bin, &config, &["admin", "links"], None).await;
    assert!(ok, "{out}");
    assert!(ids(&out, "links").contains(&link_id.to_owned()), "{out}");
    let (ok, out) = dropgate(&bin, &config, &["admin", "revoke-link", link_id], None).await;
    assert!(ok, "{out}");
    let (_, b) = stack.get(&format!("/links/{link_id}"), &ada).await;
    assert_eq!(b["link"]["state"], "revoked", "{b}");
}
