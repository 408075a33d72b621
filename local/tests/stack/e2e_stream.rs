//! The stream pump keeps reading after the emulator swaps a table for a copy. moto answers a
//! failed TransactWriteItems by putting back a deep copy of every table it touched, stream
//! included, so a shard iterator taken before keeps reading the discarded stream and sees no
//! new record ever again. Under a 10 s freeze, retried settlements fail their condition and
//! did exactly that (13 of 30 notices in CI); the pump now takes its iterator again from its
//! checkpoint when a shard stays idle.

use crate::common;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, ConditionCheck, TransactWriteItem};
use common::{LocalStack, samples};
use serde_json::Value;

async fn notice_for(sqs: &aws_sdk_sqs::Client, queue: &str, file: &str) {
    common::receive_until(sqs, queue, 30, |bodies| {
        bodies.iter().any(|b| {
            let n: Value = serde_json::from_str(b).unwrap();
            n["file"]["id"] == file
        })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_keep_flowing_after_a_failed_transaction_swaps_the_log_table() {
    let stack = LocalStack::start().await;
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let subscriber = stack.subscriber("ops-stream").await;

    let t = stack.user("stream@example.com").await;
    let first = stack
        .upload(&t, "one.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&t, &first).await["status"], "accepted");
    notice_for(&sqs, &subscriber, &first).await;

    // A transaction on the upload log whose condition fails, as a retried settlement's does.
    let table = stack.ready["resources"]["tables"]["upload_log"]
        .as_str()
        .unwrap()
        .to_owned();
    let check = ConditionCheck::builder()
        .table_name(&table)
        .set_key(Some(HashMap::from([
            ("owner".to_owned(), Av::S("nobody".into())),
            ("entry".to_owned(), Av::S("none".into())),
        ])))
        .condition_expression("attribute_exists(#o)")
        .expression_attribute_names("#o", "owner")
        .build()
        .unwrap();
    let refused = aws_sdk_dynamodb::Client::new(&sdk)
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().condition_check(check).build())
        .send()
        .await;
    assert!(refused.is_err(), "the condition fails");

    let second = stack
        .upload(&t, "two.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&t, &second).await["status"], "accepted");
    notice_for(&sqs, &subscriber, &second).await;
}
