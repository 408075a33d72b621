//! End to end, over HTTP: no quota lock through an upload link. A stranger who declares the
//! owner's whole quota and sends nothing holds it for `DROP_IDLE_SECS` at most, expiries give
//! the use back `LINK_GIVEBACKS` times and then keep it, and the bytes pending through one link
//! are capped by its `max_pending_bytes` (`409 link_busy` with `Retry-After`).

use crate::common;

use std::time::{Duration, Instant};

use common::{LocalStack, samples};
use reqwest::Method;
use serde_json::{Value, json};

const QUOTA: u64 = 200_000;

fn code(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

async fn make_link(stack: &LocalStack, owner: &str, body: Value) -> (String, String) {
    let (s, b) = stack.post("/links", Some(owner), body).await;
    assert_eq!(s, 201, "{b}");
    let l = &b["link"];
    (
        l["token"].as_str().expect("token").to_owned(),
        l["id"].as_str().expect("id").to_owned(),
    )
}

async fn drop_file(
    stack: &LocalStack,
    token: &str,
    name: &str,
    size: u64,
) -> (u16, reqwest::header::HeaderMap, Value) {
    stack
        .anonymous(
            Method::POST,
            &format!("/drop/{token}/files"),
            Some(json!({"name": name, "size": size, "content_type": "application/pdf"})),
        )
        .await
}

async fn link_of(stack: &LocalStack, owner: &str, id: &str) -> Value {
    let (s, b) = stack.get(&format!("/links/{id}"), owner).await;
    assert_eq!(s, 200, "{b}");
    b["link"].clone()
}

/// The receipt's file once it leaves `pending`, and how long that took (bounded).
async fn until_settled(stack: &LocalStack, receipt: &str) -> Value {
    stack
        .wait_for("the dropped file to settle", 30, || async {
            let (s, _, b) = stack
                .anonymous(Method::GET, &format!("/drop/receipts/{receipt}"), None)
                .await;
            assert_eq!(s, 200, "{b}");
            (!common::is_judging(&b["file"])).then(|| b["file"].clone())
        })
        .await
}

/// The `X-Amz-Expires` of a presigned URL, in seconds.
fn url_lifetime(url: &str) -> u64 {
    url.split(['?', '&'])
        .find_map(|p| p.strip_prefix("X-Amz-Expires="))
        .expect("X-Amz-Expires")
        .parse()
        .expect("seconds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_drop_of_the_whole_quota_is_released_after_drop_idle_secs_and_gives_back_at_most_link_givebacks_times()
 {
    const IDLE: u64 = 3;
    let quota = QUOTA.to_string();
    let idle = IDLE.to_string();
    let stack = LocalStack::start_with(&[
        ("QUOTA_BYTES", &quota),
        ("MAX_FILE_BYTES", &quota),
        ("DROP_IDLE_SECS", &idle),
        ("LINK_GIVEBACKS", "2"),
    ])
    .await;
    let ada = stack.user("ada@example.com").await;
    let (token, id) = make_link(&stack, &ada, json!({"label": "one try", "max_uploads": 1})).await;
    for round in 1..=3 {
        let (s, _, d) = drop_file(&stack, &token, "all.pdf", QUOTA).await;
        assert_eq!(s, 201, "round {round}: {d}");
        let made = Instant::now();
        // The PUT dies within the idle window (the janitor's grace for drops fits in it too).
        let lifetime = url_lifetime(d["upload"]["url"].as_str().unwrap());
        assert!((1..=IDLE).contains(&lifetime), "URL lives {lifetime} s");
        let (s, b) = stack
            .post(
                "/files",
                Some(&ada),
                json!({"name": "mine.pdf", "size": 10, "content_type": "application/pdf"}),
            )
            .await;
        assert_eq!((s, code(&b)), (413, Some("quota_exceeded")), "{b}");
        assert_eq!(link_of(&stack, &ada, &id).await["pending_bytes"], QUOTA);

        let f = until_settled(&stack, d["receipt"].as_str().unwrap()).await;
        assert_eq!(
            (f["status"].as_str(), f["reason"].as_str()),
            (Some("expired"), Some("upload_timeout")),
            "{f}"
        );
        // Released within the idle window, plus the janitor's 1 s period and some slack.
        assert!(
            made.elapsed() < Duration::from_secs(IDLE + 4),
            "released after {:?}",
            made.elapsed()
        );
        // The owner can upload again: the whole quota is free.
        let mine = stack
            .create(&ada, "mine.pdf", QUOTA as usize, "application/pdf")
            .await;
        let (s, _) = stack
            .call(
                Method::DELETE,
                &format!("/files/{}", mine["file"]["id"].as_str().unwrap()),
                Some(&ada),
                None,
            )
            .await;
        assert_eq!(s, 204);
        let l = link_of(&stack, &ada, &id).await;
        assert_eq!(l["pending_bytes"], 0, "{l}");
        if round <= 2 {
            assert_eq!(
                (l["uploads_used"].as_u64(), l["state"].as_str()),
                (Some(0), Some("active")),
                "round {round}: the use came back: {l}"
            );
        } else {
            assert_eq!(
                (l["uploads_used"].as_u64(), l["state"].as_str()),
                (Some(1), Some("used_up")),
                "past LINK_GIVEBACKS the expiry keeps the use: {l}"
            );
        }
    }
    let (s, _, b) = drop_file(&stack, &token, "again.pdf", 10).await;
    assert_eq!((s, code(&b)), (410, Some("link_used_up")), "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_past_the_links_pending_bytes_is_link_busy_until_the_first_is_released() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada@example.com").await;
    for bad in [
        json!(0),
        json!(-1),
        json!("10"),
        json!(1.5),
        json!(9007199254740992u64),
    ] {
        let (s, b) = stack
            .post(
                "/links",
                Some(&ada),
                json!({"label": "x", "max_pending_bytes": bad}),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (400, Some("invalid_max_pending_bytes")),
            "{bad}: {b}"
        );
    }
    let (token, id) = make_link(
        &stack,
        &ada,
        json!({"label": "busy", "max_file_bytes": 1000, "max_pending_bytes": 1500}),
    )
    .await;
    let l = link_of(&stack, &ada, &id).await;
    assert_eq!(
        (l["max_pending_bytes"].as_u64(), l["pending_bytes"].as_u64()),
        (Some(1500), Some(0))
    );
    let (s, _, first) = drop_file(&stack, &token, "first.pdf", 1000).await;
    assert_eq!(s, 201, "{first}");
    let made = Instant::now();

    let (s, headers, b) = drop_file(&stack, &token, "second.pdf", 600).await;
    assert_eq!((s, code(&b)), (409, Some("link_busy")), "{b}");
    let retry: u64 = headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is whole seconds");
    assert_eq!(b["error"]["retry_after"].as_u64(), Some(retry), "{b}");
    // The first drop is released DROP_IDLE_SECS (900) after it was made.
    let waited = made.elapsed().as_secs();
    assert!(
        (900 - waited - 2..=900 - waited).contains(&retry),
        "Retry-After {retry} s, {waited} s after the first drop"
    );
    let l = link_of(&stack, &ada, &id).await;
    assert_eq!(
        (l["uploads_used"].as_u64(), l["pending_bytes"].as_u64()),
        (Some(1), Some(1000)),
        "a busy drop takes nothing: {l}"
    );
    // What fits still goes.
    let (s, _, small) = drop_file(&stack, &token, "small.pdf", 500).await;
    assert_eq!(s, 201, "{small}");

    // Once the first drop is judged its pending bytes are released.
    let mut pdf = samples::pdf();
    pdf.resize(1000, b' ');
    assert_eq!(stack.put(&first, pdf).await, 200);
    let f = until_settled(&stack, first["receipt"].as_str().unwrap()).await;
    assert_eq!(f["status"], "accepted", "{f}");
    assert_eq!(link_of(&stack, &ada, &id).await["pending_bytes"], 500);
    let (s, _, b) = drop_file(&stack, &token, "second.pdf", 600).await;
    assert_eq!(s, 201, "{b}");
}
