//! The webhooks' adapters against the emulator: `DynamoWebhooks` keeps the store contract (the
//! limit under concurrent inserts included, failures in a row, the pause), `DynamoDeliveries`
//! the delivery log's, and `SqsDeliveryQueue` hands a job back as it was sent, held back for
//! its delay.

use std::sync::Arc;

use dropgate_core::contract::webhooks::check_all;
use dropgate_core::webhooks::Resolver;
use dropgate_infra::dynamo::deliveries::DynamoDeliveries;
use dropgate_infra::dynamo::webhooks::DynamoWebhooks;
use dropgate_infra::resolve::SystemResolver;

use crate::infra_adapters::env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_webhook_store_keeps_the_contract() {
    let e = env().await;
    let store = DynamoWebhooks {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.webhooks.clone(),
    };
    check_all(Arc::new(store), "dynamo").await;
}

#[tokio::test]
async fn the_system_resolver_answers_addresses_and_no_address_for_a_bad_name() {
    let r = SystemResolver;
    assert_eq!(
        r.resolve("127.0.0.1", 443).await.unwrap(),
        vec!["127.0.0.1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(r.resolve("nothing.invalid", 443).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_delivery_log_keeps_the_contract() {
    let e = env().await;
    let log = DynamoDeliveries {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.webhooks.clone(),
    };
    dropgate_core::contract::deliveries::check_all(Arc::new(log), "dynamo").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqs_delivery_queue_hands_a_job_back_after_its_delay() {
    use dropgate_core::webhooks::deliveries::{DeliveryJob, DeliveryQueue};
    use dropgate_infra::sqs_deliveries::SqsDeliveryQueue;
    let e = env().await;
    let sqs = e.clients.sqs().clone();
    let url = sqs
        .create_queue()
        .queue_name("dropgate-webhook-deliveries-contract")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue = SqsDeliveryQueue {
        client: dropgate_infra::lazy::Lazy::ready(sqs.clone()),
        queue_url: url.clone(),
    };
    let job = DeliveryJob {
        owner: "ada".into(),
        webhook_id: "w1".into(),
        delivery_id: "dlv_000000000000000000000001".into(),
        attempt: 2,
        due_at: Some("2026-12-04T20:00:05.000Z".into()),
        manual: false,
        wake: None,
    };
    queue
        .enqueue(&job, std::time::Duration::from_millis(1500))
        .await
        .unwrap();
    let receive = || async {
        sqs.receive_message()
            .queue_url(&url)
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    };
    // Held back (1.5 s rounds up to the queue's 2 s), then handed back as it was sent.
    assert!(receive().await.is_empty(), "delivered before its delay");
    let started = std::time::Instant::now();
    let got = loop {
        let m = receive().await;
        if let Some(m) = m.into_iter().next() {
            break m;
        }
        assert!(started.elapsed().as_secs() < 10, "never delivered");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let back: DeliveryJob = serde_json::from_str(got.body().unwrap()).unwrap();
    assert_eq!(back, job);
}
