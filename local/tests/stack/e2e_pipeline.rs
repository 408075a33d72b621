//! End to end, through the local stack: S3 -> SQS -> worker decides, settles once, notifies;
//! the janitor expires what never arrived.

use crate::common;

use std::time::{Duration, Instant};

use common::{LocalStack, receive, receive_until, samples};
use serde_json::{Value, json};

fn s3_event(bucket: &str, key: &str, size: usize) -> String {
    // As S3 sends it: the key form-URL-encoded.
    let encoded: String = key.replace('/', "%2F");
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T10:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads-to-queue",
               "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": encoded, "size": size, "eTag": "0"}}
    }]})
    .to_string()
}

pub(crate) async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let attrs = out.attributes().unwrap();
    let get = |a: A| attrs.get(&a).and_then(|v| v.parse().ok()).unwrap_or(0);
    (
        get(A::ApproximateNumberOfMessages),
        get(A::ApproximateNumberOfMessagesNotVisible),
    )
}

async fn wait_until<F, Fut>(what: &str, secs: u64, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_judged_by_their_bytes() {
    let stack = LocalStack::start().await;
    let t = stack.user("ada@example.com").await;
    let good: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("a.png", samples::png(), "image/png", "image/png"),
        ("a.jpg", samples::jpeg(), "image/jpeg", "image/jpeg"),
        (
            "a.pdf",
            samples::pdf(),
            "application/pdf",
            "application/pdf",
        ),
        ("a.mp3", samples::mp3(), "audio/mpeg", "audio/mpeg"),
        ("a.wav", samples::wav(), "audio/wav", "audio/x-wav"),
        (
            "a.csv",
            b"name,size\nx,1\n".to_vec(),
            "text/csv",
            "text/plain",
        ),
    ];
    let bad: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        // A program behind a picture's name is a disguise; without a name that says otherwise,
        // a type not allowed.
        ("cat.png", samples::elf(), "image/png", "type_mismatch"),
        ("dog", samples::pe(), "image/png", "type_not_allowed"),
        ("notes.txt", samples::zip(), "text/plain", "type_mismatch"),
        ("pic.png", samples::jpeg(), "image/png", "type_mismatch"),
    ];
    let mut ids = Vec::new();
    for (name, bytes, ct, _) in good.iter().chain(bad.iter()) {
        ids.push(stack.upload(&t, name, bytes, ct).await);
    }
    for (i, (name, _, _, detected)) in good.iter().enumerate() {
        let f = stack.settled(&t, &ids[i]).await;
        assert_eq!(
            (f["status"].as_str(), f["detected_type"].as_str()),
            (Some("accepted"), Some(*detected)),
            "{name}: {f}"
        );
    }
    for (j, (name, _, _, reason)) in bad.iter().enumerate() {
        let id = &ids[good.len() + j];
        let f = stack.settled(&t, id).await;
        assert_eq!(
            (f["status"].as_str(), f["reason"].as_str()),
            (Some("rejected"), Some(*reason)),
            "{name}: {f}"
        );
        let (s, b) = stack.get(&format!("/files/{id}/download"), &t).await;
        assert_eq!((s, b["error"]["code"].as_str()), (409, Some("not_ready")));
    }
    let (_, q) = stack.get("/quota", &t).await;
    let good_bytes: usize = good.iter().map(|g| g.1.len()).sum();
    assert_eq!(q["used_bytes"], good_bytes);
    assert_eq!(q["reserved_bytes"], 0);
    assert_eq!(q["files"], good.len());
    // Rejected bytes left uploads/.
    let (_, listing) = stack.get("/files?limit=100", &t).await;
    let created_any = listing["files"].as_array().unwrap().len();
    assert_eq!(created_any, good.len() + bad.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_objects_are_removed_and_replays_change_nothing() {
    let stack = LocalStack::start().await;
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let t = stack.user("ada@example.com").await;

    let evil = samples::elf();
    let created = stack.create(&t, "evil.png", evil.len(), "image/png").await;
    let owner = LocalStack::sub_of(&t);
    let bad_id = created["file"]["id"].as_str().unwrap().to_owned();
    assert_eq!(stack.put(&created, evil.clone()).await, 200);
    assert_eq!(stack.settled(&t, &bad_id).await["status"], "rejected");
    assert!(
        stack
            .raw_object(&format!("uploads/{bad_id}"))
            .await
            .is_none(),
        "rejected object removed"
    );

    let png = samples::png();
    let id = stack.upload(&t, "ok.png", &png, "image/png").await;
    assert_eq!(stack.settled(&t, &id).await["status"], "accepted");
    let key = format!("uploads/{id}");
    let queue = stack.resource("queue_url");
    for _ in 0..3 {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(s3_event(&stack.resource("bucket"), &key, png.len()))
            .send()
            .await
            .unwrap();
    }
    wait_until("the queue to drain", 30, || async {
        queue_depth(&sqs, &queue).await == (0, 0)
    })
    .await;
    let (_, q) = stack.get("/quota", &t).await;
    assert_eq!(
        (
            q["used_bytes"].as_u64(),
            q["reserved_bytes"].as_u64(),
            q["files"].as_u64()
        ),
        (Some(png.len() as u64), Some(0), Some(1))
    );
    let log = ddb
        .query()
        .table_name(
            stack.ready["resources"]["tables"]["upload_log"]
                .as_str()
                .unwrap(),
        )
        .key_condition_expression("#o = :o")
        .expression_attribute_names("#o", "owner")
        .expression_attribute_values(
            ":o",
            aws_sdk_dynamodb::types::AttributeValue::S(owner.clone()),
        )
        .send()
        .await
        .unwrap();
    let entries: Vec<String> = log
        .items()
        .iter()
        .map(|i| i["file_id"].as_s().unwrap().clone())
        .collect();
    assert_eq!(
        entries.iter().filter(|e| **e == id).count(),
        1,
        "{entries:?}"
    );
    assert_eq!(
        entries.iter().filter(|e| **e == bad_id).count(),
        1,
        "{entries:?}"
    );
    assert_eq!(
        stack.raw_object(&key).await.as_deref(),
        Some(png.as_slice())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_events_are_skipped_and_malformed_messages_reach_the_dlq() {
    let stack = LocalStack::start_with(&[("LOCAL_VISIBILITY_TIMEOUT_SECS", "1")]).await;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let queue = stack.resource("queue_url");
    let dlq = stack.resource("dlq_url");
    let t = stack.user("ada@example.com").await;
    let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-22T10:00:00.000Z","Bucket":"dropgate-uploads","RequestId":"r","HostId":"h"}"#;
    for body in [
        test_event,
        "this is not an S3 event",
        r#"{"Records":[{"odd":true}]}"#,
    ] {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let id = stack
        .upload(&t, "ok.pdf", &samples::pdf(), "application/pdf")
        .await;
    assert_eq!(stack.settled(&t, &id).await["status"], "accepted");
    // Two malformed messages: retried 5 times each, then dead-lettered; the test event is gone.
    wait_until("two messages in the DLQ", 60, || async {
        queue_depth(&sqs, &dlq).await.0 == 2
    })
    .await;
    wait_until("the queue to drain", 30, || async {
        queue_depth(&sqs, &queue).await == (0, 0)
    })
    .await;
    let out = sqs
        .receive_message()
        .queue_url(&dlq)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap();
    let mut bodies: Vec<String> = out
        .messages()
        .iter()
        .map(|m| m.body().unwrap().to_owned())
        .collect();
    bodies.sort();
    assert_eq!(
        bodies,
        vec![
            "this is not an S3 event".to_owned(),
            r#"{"Records":[{"odd":true}]}"#.to_owned()
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_filter_notifications_and_owners_get_mail() {
    let stack = LocalStack::start().await;
    let sdk = stack.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let ops_url = stack
        .subscriber_with(
            "ops-rejections",
            &[("FilterPolicy", r#"{"event_type":["upload.rejected"]}"#)],
        )
        .await;
    let t = stack.user("ada@example.com").await;
    let good = stack
        .upload(&t, "fine.png", &samples::png(), "image/png")
        .await;
    let bad = stack
        .upload(&t, "sneaky.png", &samples::elf(), "image/png")
        .await;
    assert_eq!(stack.settled(&t, &good).await["status"], "accepted");
    assert_eq!(stack.settled(&t, &bad).await["status"], "rejected");

    let mut bodies = receive_until(&sqs, &ops_url, 10, |b| !b.is_empty()).await;
    // Give a wrongly delivered accepted notice the chance to show up too.
    tokio::time::sleep(Duration::from_millis(500)).await;
    bodies.extend(receive(&sqs, &ops_url, 0).await);
    let got: Vec<Value> = bodies
        .iter()
        .map(|b| serde_json::from_str(b).unwrap())
        .collect();
    assert_eq!(got.len(), 1, "{got:?}");
    let n = &got[0];
    assert_eq!(n["version"], 1);
    assert_eq!(n["type"], "upload.rejected");
    assert_eq!(n["file"]["id"], bad.as_str());
    assert_eq!(n["file"]["name"], "sneaky.png");
    assert_eq!(n["file"]["declared_type"], "image/png");
    assert_eq!(n["file"]["detected_type"], "application/x-executable");
    assert_eq!(n["reason"], "type_mismatch", "a program named as a PNG");
    assert!(n["via_link"].is_null());
    assert!(n["at"].as_str().is_some());

    let data = stack.moto_data().await;
    let mails = data["ses"]["Message"].to_string();
    assert!(mails.contains("ada@example.com"), "{mails}");
    assert!(mails.contains("sneaky.png"), "{mails}");
    assert!(
        !mails.contains("fine.png"),
        "no mail for an ordinary accepted upload: {mails}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_object_is_decided_from_its_first_bytes() {
    let stack = LocalStack::start().await;
    let t = stack.user("ada@example.com").await;
    let mut big = samples::png();
    big.resize(50 * 1024 * 1024, 7);
    let id = stack.upload(&t, "big.png", &big, "image/png").await;
    let f = stack.settled(&t, &id).await;
    assert_eq!(f["status"], "accepted", "{f}");
    assert_eq!(f["size"], big.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_pending_uploads_expire_and_release_their_reservation() {
    let stack =
        LocalStack::start_with(&[("UPLOAD_URL_TTL_SECS", "1"), ("PENDING_GRACE_SECS", "0")]).await;
    let t = stack.user("ada@example.com").await;
    let created = stack.create(&t, "never.png", 1234, "image/png").await;
    let id = created["file"]["id"].as_str().unwrap();
    let (_, q) = stack.get("/quota", &t).await;
    assert_eq!(q["reserved_bytes"], 1234);
    let f = stack.settled(&t, id).await;
    assert_eq!(
        (f["status"].as_str(), f["reason"].as_str()),
        (Some("expired"), Some("upload_timeout"))
    );
    let (_, q) = stack.get("/quota", &t).await;
    assert_eq!(
        (q["reserved_bytes"].as_u64(), q["files"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_replaced_after_the_verdict_are_judged_again() {
    let stack = LocalStack::start().await;
    let t = stack.user("ada@example.com").await;
    let png = samples::png();
    let id = stack.upload(&t, "ok.png", &png, "image/png").await;
    assert_eq!(stack.settled(&t, &id).await["status"], "accepted");
    let (_, created) = stack.get(&format!("/files/{id}"), &t).await;
    assert_eq!(created["file"]["status"], "accepted");
    // Another writer with bucket access (not through Dropgate's URLs, which cannot overwrite)
    // replaces the accepted object with an executable of the same size.
    let sdk = stack.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let list = s3
        .list_objects_v2()
        .bucket(stack.resource("bucket"))
        .prefix("uploads/")
        .send()
        .await
        .unwrap();
    let key = list
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .find(|k| k.ends_with(&id))
        .expect("the accepted object")
        .to_owned();
    let mut evil = samples::elf();
    evil.resize(png.len(), 0);
    s3.put_object()
        .bucket(stack.resource("bucket"))
        .key(&key)
        .content_type("image/png")
        .body(evil.into())
        .send()
        .await
        .unwrap();
    let file = stack
        .wait_for("the file to be judged again", 30, || async {
            let (_, f) = stack.get(&format!("/files/{id}"), &t).await;
            (f["file"]["status"] == "rejected").then_some(f)
        })
        .await;
    assert_eq!(file["file"]["reason"], "content_changed");
    let (_, q) = stack.get("/quota", &t).await;
    assert_eq!(q["used_bytes"], 0, "{q}");
    assert_eq!(q["files"], 0, "{q}");
    assert!(
        stack.raw_object(&key).await.is_none(),
        "the replaced bytes are removed"
    );
}
