//! A poison record in the notification outbox, through the whole stack: an upload-log item the
//! notifier cannot read is written straight into the table, then a real upload settles behind
//! it. The stream pump (Lambda's event source mapping, `local/src/stream_pump.rs`) retries the
//! poison record, bisects down to it, and after its retries describes it (without its content)
//! in the on-failure queue; the stream then moves on, and the valid file's notice reaches the
//! operators' subscriber.

use crate::common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use common::{LocalStack, receive, samples};
use serde_json::Value;

/// Marks the poison item's content: none of it may appear in the on-failure description.
const POISON_OWNER: &str = "poison-owner-7c41";
const POISON_ENTRY: &str = "2026-11-22T10:00:00.000Z#poison-file-7c41#upload.accepted";
const POISON_NAME: &str = "poison-secret-name-7c41.pdf";

/// Accepted by DynamoDB (the table's keys, `owner` and `entry`, are right) and refused by
/// `entry_from_image`: the event is no event type, and the file attributes are missing.
fn poison_item() -> HashMap<String, Av> {
    HashMap::from([
        ("owner".to_owned(), Av::S(POISON_OWNER.into())),
        ("entry".to_owned(), Av::S(POISON_ENTRY.into())),
        ("event".to_owned(), Av::S("upload.garbled".into())),
        ("name".to_owned(), Av::S(POISON_NAME.into())),
        ("at".to_owned(), Av::S("not a time".into())),
    ])
}

/// The sequence number of the stream record that inserted the poison item, read from the
/// table's stream directly (as the pump does, from the trim horizon).
async fn poison_sequence(stack: &LocalStack) -> String {
    let streams = aws_sdk_dynamodbstreams::Client::new(&stack.sdk().await);
    let arn = stack.resource("upload_log_stream_arn");
    let d = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    for shard in d.stream_description().unwrap().shards() {
        let mut it = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id().unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_owned);
        while let Some(i) = it {
            let r = streams
                .get_records()
                .shard_iterator(i)
                .limit(100)
                .send()
                .await
                .unwrap();
            for rec in r.records() {
                let keys = rec.dynamodb().and_then(|d| d.keys.as_ref());
                let owner = keys
                    .and_then(|k| k.get("owner"))
                    .and_then(|a| a.as_s().ok());
                if owner.map(String::as_str) == Some(POISON_OWNER) {
                    assert_eq!(rec.event_name().map(|n| n.as_str()), Some("INSERT"));
                    return rec
                        .dynamodb()
                        .and_then(|d| d.sequence_number())
                        .unwrap()
                        .to_owned();
                }
            }
            if r.records().is_empty() {
                break;
            }
            it = r.next_shard_iterator().map(str::to_owned);
        }
    }
    panic!("the poison item's INSERT is not in the upload log's stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_outbox_record_ends_in_the_on_failure_queue_and_the_stream_moves_on() {
    let started = Instant::now();
    let stack = LocalStack::start().await;
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let failures = stack.resource("notify_dlq_url");
    assert!(failures.contains("dropgate-notify-failures"), "{failures}");

    // The operators' subscriber: a queue on the topic, raw delivery.
    let subscriber = stack.subscriber("ops-poison").await;

    // The poison record first, straight into the outbox...
    let table = stack.ready["resources"]["tables"]["upload_log"]
        .as_str()
        .expect("upload_log table in the ready line")
        .to_owned();
    aws_sdk_dynamodb::Client::new(&sdk)
        .put_item()
        .table_name(&table)
        .set_item(Some(poison_item()))
        .send()
        .await
        .expect("DynamoDB accepts the poison item");

    // ...then a valid entry behind it in the stream: a real upload, settled.
    let t = stack.user("poison@example.com").await;
    let good = stack
        .upload(&t, "fine.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&t, &good).await["status"], "accepted");

    // Both queues, polled until the description and the valid notice arrived (bounded).
    let mut described: Vec<String> = Vec::new();
    let mut notices: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let delivered = |n: &[Value]| n.iter().any(|n| n["file"]["id"] == good.as_str());
    while described.is_empty() || !delivered(&notices) {
        assert!(
            Instant::now() < deadline,
            "after 60 s: on-failure queue {described:?}, subscriber {notices:?}"
        );
        described.extend(receive(&sqs, &failures, 1).await);
        for body in receive(&sqs, &subscriber, 0).await {
            notices.push(serde_json::from_str(&body).unwrap());
        }
    }
    let gave_up_after = started.elapsed();
    // The valid record was delivered, so nothing else can be given up: one more look for a
    // second description (received messages are deleted, so only new ones would show).
    described.extend(receive(&sqs, &failures, 1).await);
    assert_eq!(described.len(), 1, "exactly one description: {described:?}");

    let raw = &described[0];
    for content in [POISON_OWNER, POISON_ENTRY, POISON_NAME, "upload.garbled"] {
        assert!(
            !raw.contains(content),
            "the description carries no content ({content}): {raw}"
        );
    }
    let d: Value = serde_json::from_str(raw).unwrap();
    assert_eq!(
        d["requestContext"]["condition"], "RetryAttemptsExhausted",
        "{d}"
    );
    let info = &d["DDBStreamBatchInfo"];
    let start = info["startSequenceNumber"]
        .as_str()
        .unwrap_or_else(|| panic!("startSequenceNumber in {d}"));
    assert_eq!(
        start,
        poison_sequence(&stack).await,
        "it describes the poison record"
    );
    assert_eq!(info["endSequenceNumber"], start, "{d}");
    assert_eq!(info["batchSize"], 1, "{d}");
    assert_eq!(info["streamArn"], stack.resource("upload_log_stream_arn"));

    // The stream moved on: the valid notice arrived, and the poison record never did.
    let n = notices
        .iter()
        .find(|n| n["file"]["id"] == good.as_str())
        .unwrap();
    assert_eq!(n["type"], "upload.accepted", "{n}");
    assert_eq!(n["file"]["name"], "fine.png", "{n}");
    for n in &notices {
        assert!(!n.to_string().contains(POISON_NAME), "{n}");
    }
    println!(
        "POISON described and stream moved on after {:.1} s (whole test {:.1} s)",
        gave_up_after.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
