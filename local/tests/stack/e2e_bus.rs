//! The integrators' event bus end to end: every announced change is put on the stack's
//! EventBridge bus through the real adapter (the emulator accepts it), recorded at
//! `GET /__events` in EventBridge's terms, with the SNS notice's id, and no secret.

use crate::common;

use common::{LocalStack, samples};
use serde_json::Value;

async fn events(stack: &LocalStack) -> Vec<Value> {
    let resp = reqwest::get(stack.url("/__events"))
        .await
        .expect("GET /__events");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("JSON");
    body["events"].as_array().cloned().expect("events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_announced_change_is_put_on_the_bus_with_its_notices_id() {
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let subscriber = stack.subscriber("ops-bus").await;
    let t = stack.user("bus@example.com").await;
    let owner = LocalStack::sub_of(&t);

    let good = stack
        .upload(&t, "one.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&t, &good).await["status"], "accepted");
    let bad = stack
        .upload(&t, "two.png", &samples::elf(), "image/png")
        .await;
    assert_eq!(stack.settled(&t, &bad).await["status"], "rejected");
    let (s, _) = stack
        .call(
            reqwest::Method::DELETE,
            &format!("/files/{good}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(s, 204);

    let wanted = [
        ("file.accepted", good.as_str()),
        ("file.rejected", bad.as_str()),
        ("file.deleted", good.as_str()),
    ];
    let put = stack
        .wait_for("the three events on the bus", 30, || async {
            let all = events(&stack).await;
            wanted
                .iter()
                .all(|(kind, file)| {
                    all.iter()
                        .any(|e| e["detail_type"] == *kind && e["detail"]["file"]["id"] == *file)
                })
                .then_some(all)
        })
        .await;
    let notices = common::receive_until(&sqs, &subscriber, 30, |bodies| bodies.len() >= 3).await;
    let notice_ids: Vec<String> = notices
        .iter()
        .map(|b| {
            serde_json::from_str::<Value>(b).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    for e in &put {
        assert_eq!(e["source"], "dropgate");
        assert_eq!(e["detail"]["schema_version"], 1);
        assert_eq!(e["detail"]["id"], e["id"]);
        assert_eq!(e["detail"]["owner"], owner.as_str());
        assert!(
            chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).is_ok(),
            "{e}"
        );
        let id = e["id"].as_str().unwrap();
        assert!(
            notice_ids.iter().any(|n| n == id),
            "{id} is an SNS notice's id"
        );
        let text = e.to_string();
        for secret in ["http://", "https://", "X-Amz", "bus@example.com", "token"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let rejected = put
        .iter()
        .find(|e| e["detail_type"] == "file.rejected")
        .unwrap();
    assert!(rejected["detail"]["reason"].is_string(), "{rejected}");
}
