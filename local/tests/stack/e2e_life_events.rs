//! A link's and a share's own events end to end: a webhook subscribed to `link.created` and
//! `share.exhausted` receives exactly those, signed so that the docs' Python verification
//! accepts them, when its owner makes a link, revokes it, shares a file and the share's one
//! download is taken; every one of the four changes is on the bus (`GET /__events`) with no
//! token or URL in it; an unknown type is still refused.

use std::time::Duration;

use crate::common;
use crate::e2e_deliveries::{Receiver, body_of, register, verified_by_the_docs};

use common::{LocalStack, samples};
use serde_json::{Value, json};

async fn bus_events(stack: &LocalStack) -> Vec<Value> {
    let resp = reqwest::get(stack.url("/__events"))
        .await
        .expect("GET /__events");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON");
    body["events"].as_array().cloned().expect("events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_gets_exactly_the_link_and_share_events_it_subscribed_to() {
    let stack =
        LocalStack::start_with_args(&["--scanner", "off", "--allow-loopback-webhooks"], &[]).await;
    let ada = stack.user("ada-life@example.com").await;
    let owner = LocalStack::sub_of(&ada);

    // An unknown type is refused; the new ones are taken.
    let (s, b) = stack
        .post(
            "/webhooks",
            Some(&ada),
            json!({"url": "http://127.0.0.1:9/x", "events": ["link.exploded"]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_event_type")),
        "{b}"
    );
    let receiver = Receiver::start(vec![], 204).await;
    let (_, secret) = register(
        &stack,
        &ada,
        &receiver.url(),
        &["link.created", "share.exhausted"],
    )
    .await;

    // A link made, then revoked (not subscribed).
    let (s, b) = stack
        .post(
            "/links",
            Some(&ada),
            json!({"label": "Q3 docs", "max_uploads": 2}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let link = b["link"]["id"].as_str().unwrap().to_owned();
    let link_token = b["link"]["token"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .call(
            reqwest::Method::DELETE,
            &format!("/links/{link}"),
            Some(&ada),
            None,
        )
        .await;
    assert!(s == 204 || s == 200, "{s} {b}");

    // A share of one download (created: not subscribed), and that download (exhausted).
    let file = stack
        .upload(&ada, "one.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &file).await["status"], "accepted");
    let (s, b) = stack
        .post(
            &format!("/files/{file}/shares"),
            Some(&ada),
            json!({"max_downloads": 1}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let share = b["share"]["id"].as_str().unwrap().to_owned();
    let share_token = b["share"]["token"].as_str().unwrap().to_owned();
    let resp = stack
        .http
        .post(stack.url(&format!("/share/{share_token}/download")))
        .send()
        .await
        .expect("download");
    assert_eq!(resp.status().as_u16(), 200);

    // Exactly the two subscribed events arrive, each once, signed.
    stack
        .wait_for("the two subscribed events", 60, || async {
            (receiver.got().len() >= 2).then_some(())
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = receiver.got();
    let mut types: Vec<String> = got
        .iter()
        .map(|g| body_of(g)["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, ["link.created", "share.exhausted"], "{got:?}");
    assert!(verified_by_the_docs(&secret, &got).iter().all(|v| *v));
    for g in &got {
        let b = body_of(g);
        assert_eq!(g.headers["webhook-id"], b["id"].as_str().unwrap());
        assert_eq!(b["data"]["owner"], owner.as_str());
        assert_eq!(b["data"]["id"], b["id"]);
        match b["type"].as_str().unwrap() {
            "link.created" => {
                assert_eq!(b["data"]["link"], link.as_str());
                assert_eq!(b["data"]["label"], "Q3 docs");
                assert_eq!(b["data"]["uploads_left"], 2);
            }
            _ => {
                assert_eq!(b["data"]["share"], share.as_str());
                assert_eq!(b["data"]["file_id"], file.as_str());
                assert_eq!(b["data"]["downloads"], 1);
                assert_eq!(b["data"]["downloads_left"], 0);
            }
        }
        let text = String::from_utf8_lossy(&g.body);
        for secret in [&link_token, &share_token] {
            assert!(!text.contains(secret.as_str()), "a token in {text}");
        }
        assert!(!text.contains("http"), "a URL in {text}");
    }

    // The bus has all four, with the ids the webhook saw.
    let events = stack
        .wait_for("the four on the bus", 30, || async {
            let all: Vec<Value> = bus_events(&stack)
                .await
                .into_iter()
                .filter(|e| {
                    let t = e["detail_type"].as_str().unwrap_or_default();
                    t.starts_with("link.") || t.starts_with("share.")
                })
                .collect();
            (all.len() >= 4).then_some(all)
        })
        .await;
    let mut kinds: Vec<&str> = events
        .iter()
        .map(|e| e["detail_type"].as_str().unwrap())
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "link.created",
            "link.revoked",
            "share.created",
            "share.exhausted"
        ]
    );
    for g in &got {
        let id = body_of(g)["id"].clone();
        assert!(events.iter().any(|e| e["detail"]["id"] == id), "{id}");
    }
    for e in &events {
        let text = e.to_string();
        assert!(
            !text.contains(&link_token) && !text.contains(&share_token),
            "{text}"
        );
    }
}
