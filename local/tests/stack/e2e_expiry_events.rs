//! Expiry announcements end to end: the janitor (every second here) announces a link's and a
//! share's expiry once each; a webhook subscribed to `link.expired` and `share.expired`
//! receives exactly one of each, signed, with ids and no token or URL; a link revoked before
//! its time is not announced as expired; later runs write nothing more.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{LocalStack, samples};
use crate::e2e_deliveries::{Receiver, body_of, register, verified_by_the_docs};

async fn bus_events(stack: &LocalStack, kind: &str) -> Vec<Value> {
    let resp = reqwest::get(stack.url("/__events")).await.expect("events");
    let body: Value = resp.json().await.expect("JSON");
    body["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.to_string().contains(kind))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_gets_each_link_and_share_expiry_once() {
    let stack =
        LocalStack::start_with_args(&["--scanner", "off", "--allow-loopback-webhooks"], &[]).await;
    let ada = stack.user("ada-expiry@example.com").await;
    let owner = LocalStack::sub_of(&ada);
    let receiver = Receiver::start(vec![], 204).await;
    let (_, secret) = register(
        &stack,
        &ada,
        &receiver.url(),
        &["link.expired", "share.expired"],
    )
    .await;

    // A link that runs out, and one revoked before its time (told as revoked, not expired).
    let (s, b) = stack
        .post(
            "/links",
            Some(&ada),
            json!({"label": "short", "expires_in": 3}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let link = b["link"]["id"].as_str().unwrap().to_owned();
    let link_token = b["link"]["token"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .post(
            "/links",
            Some(&ada),
            json!({"label": "revoked", "expires_in": 3}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let revoked = b["link"]["id"].as_str().unwrap().to_owned();
    let (s, b) = stack
        .call(
            reqwest::Method::DELETE,
            &format!("/links/{revoked}"),
            Some(&ada),
            None,
        )
        .await;
    assert!(s == 204 || s == 200, "{s} {b}");

    // A share that runs out.
    let file = stack
        .upload(&ada, "one.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &file).await["status"], "accepted");
    let (s, b) = stack
        .post(
            &format!("/files/{file}/shares"),
            Some(&ada),
            json!({"expires_in": 3, "label": "brief"}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let share = b["share"]["id"].as_str().unwrap().to_owned();
    let share_token = b["share"]["token"].as_str().unwrap().to_owned();

    stack
        .wait_for("the two expiry events", 60, || async {
            (receiver.got().len() >= 2).then_some(())
        })
        .await;
    // Several more janitor runs: nothing is announced again.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let got = receiver.got();
    let mut types: Vec<String> = got
        .iter()
        .map(|g| body_of(g)["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(types, ["link.expired", "share.expired"], "{got:?}");
    assert!(verified_by_the_docs(&secret, &got).iter().all(|v| *v));
    for g in &got {
        let b = body_of(g);
        assert_eq!(g.headers["webhook-id"], b["id"].as_str().unwrap());
        assert_eq!(b["data"]["owner"], owner.as_str());
        assert_eq!(b["data"]["id"], b["id"]);
        match b["type"].as_str().unwrap() {
            "link.expired" => {
                assert_eq!(b["data"]["link"], link.as_str(), "not the revoked one");
                assert_eq!(b["data"]["label"], "short");
                assert_eq!(b["data"]["uploads_used"], 0);
            }
            _ => {
                assert_eq!(b["data"]["share"], share.as_str());
                assert_eq!(b["data"]["file_id"], file.as_str());
                assert_eq!(b["data"]["label"], "brief");
            }
        }
        let text = String::from_utf8_lossy(&g.body);
        for t in [&link_token, &share_token] {
            assert!(!text.contains(t.as_str()), "a token in {text}");
        }
        assert!(!text.contains("http"), "a URL in {text}");
    }
    // On the bus too, once each.
    assert_eq!(bus_events(&stack, "link.expired").await.len(), 1);
    assert_eq!(bus_events(&stack, "share.expired").await.len(), 1);
    assert!(
        bus_events(&stack, "link.expired")
            .await
            .iter()
            .all(|e| !e.to_string().contains(revoked.as_str())),
        "the revoked link's expiry is not announced"
    );
}
