//! Expiry reminders through the local stack: the janitor (every second here) has the owner
//! mailed once, in one mail, about an upload link that received no file and has less than a
//! day left and about a file retention deletes within `RETENTION_NOTICE_DAYS`; a link that
//! received a file is not listed; later runs do not repeat them (a later reminder lists only
//! what is new); each item is an event with its id.

use chrono::{Duration, Utc};
use dropgate_core::time::rfc3339;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LocalStack, samples};
use crate::e2e_links::{drop_file, make_link, put_dropped, token_of};

async fn events(stack: &LocalStack) -> Vec<Value> {
    let resp = reqwest::get(stack.url("/__events")).await.expect("events");
    let body: Value = resp.json().await.expect("JSON");
    body["events"].as_array().cloned().unwrap_or_default()
}

/// The reminder mails (their `Notice id` is a reminder entry's) whose body names `needle`.
async fn reminders_about(stack: &LocalStack, needle: &str) -> Vec<Value> {
    stack
        .mails_about(needle)
        .await
        .into_iter()
        .filter(|m| m["body"].as_str().is_some_and(|b| b.contains("#reminder")))
        .collect()
}

async fn retain_until(stack: &LocalStack, token: &str, id: &str, at: &str) {
    let body = json!({"delete_after": at}).to_string();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_are_reminded_once_in_one_mail_and_not_of_links_that_got_files() {
    let stack = LocalStack::start_with(&[("RETENTION_NOTICE_DAYS", "2")]).await;
    let ada = stack.user("ada-reminders@example.com").await;

    // A link that receives a file: it enters the reminders' window (less than a day left)
    // only ten seconds after it is made, by when it has its file.
    let made = Utc::now();
    let used = make_link(&stack, &ada, json!({"label": "used", "expires_in": 86_410})).await;
    let png = samples::png();
    let (s, dropped) = drop_file(
        &stack,
        &token_of(&used),
        "in.png",
        png.len(),
        "image/png",
        None,
    )
    .await;
    assert_eq!(s, 201, "{dropped}");
    assert!(
        Utc::now() < made + Duration::seconds(10),
        "dropped before its window"
    );
    put_dropped(&stack, &dropped, &png).await;
    // A file retention deletes within the window, and a link that receives nothing.
    let id = stack.upload(&ada, "soon.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    retain_until(
        &stack,
        &ada,
        &id,
        &rfc3339(Utc::now() + Duration::hours(30)),
    )
    .await;
    let idle = make_link(
        &stack,
        &ada,
        json!({"label": "idle <b>", "expires_in": 3600}),
    )
    .await;
    let (used_id, idle_id) = (used["id"].as_str().unwrap(), idle["id"].as_str().unwrap());

    for needle in [idle_id, id.as_str()] {
        let mail = stack
            .wait_for("the reminder mail", 60, || async {
                reminders_about(&stack, needle).await.into_iter().next()
            })
            .await;
        let body = mail["body"].as_str().unwrap();
        assert_eq!(
            mail["destinations"]["ToAddresses"][0], "ada-reminders@example.com",
            "{mail}"
        );
        assert!(body.contains("Notice id: "), "{body}");
        assert!(
            !body.contains("/d/") && !body.contains("http"),
            "no URL: {body}"
        );
    }

    // One event each, with ids; none for the used link.
    let evs = stack
        .wait_for("the reminder events", 30, || async {
            let evs = events(&stack).await;
            let mine: Vec<Value> = evs
                .into_iter()
                .filter(|e| {
                    matches!(
                        e["detail_type"].as_str(),
                        Some("link.expiring" | "file.expiring")
                    )
                })
                .collect();
            (mine.len() >= 2).then_some(mine)
        })
        .await;
    assert_eq!(evs.len(), 2, "{evs:?}");
    let link_ev = evs
        .iter()
        .find(|e| e["detail_type"] == "link.expiring")
        .unwrap();
    assert_eq!(link_ev["detail"]["link"], idle_id);
    assert!(
        link_ev["detail"]["id"]
            .as_str()
            .unwrap()
            .ends_with("#link.expiring")
    );
    let file_ev = evs
        .iter()
        .find(|e| e["detail_type"] == "file.expiring")
        .unwrap();
    assert_eq!(file_ev["detail"]["file"]["id"], id.as_str());

    // Later runs: a new file due is reminded alone; the first two never again.
    let later = stack.upload(&ada, "later.png", &png, "image/png").await;
    assert_eq!(stack.settled(&ada, &later).await["status"], "accepted");
    retain_until(
        &stack,
        &ada,
        &later,
        &rfc3339(Utc::now() + Duration::hours(20)),
    )
    .await;
    let second = stack
        .wait_for("the second reminder", 60, || async {
            reminders_about(&stack, &later).await.into_iter().next()
        })
        .await;
    let body2 = second["body"].as_str().unwrap();
    assert!(!body2.contains(idle_id) && !body2.contains(&id), "{body2}");
    assert_eq!(
        reminders_about(&stack, idle_id).await.len(),
        1,
        "the link once"
    );
    assert_eq!(reminders_about(&stack, &id).await.len(), 1, "the file once");
    // The used link is well inside the window by now (runs every second): never listed.
    let inside = made + Duration::seconds(13);
    if let Ok(wait) = (inside - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
    assert!(
        reminders_about(&stack, used_id).await.is_empty(),
        "a link that received a file"
    );
    let evs = events(&stack).await;
    let expiring = evs
        .iter()
        .filter(|e| {
            matches!(
                e["detail_type"].as_str(),
                Some("link.expiring" | "file.expiring")
            )
        })
        .count();
    assert_eq!(expiring, 3, "{evs:?}");
}
