//! End to end, a verdict belongs to bytes: results sent by hand to the scan results queue (the
//! local scanner told never to answer) for other bytes or from another plan change nothing;
//! replaced bytes of an accepted file are shut until their own verdict; and a multipart upload,
//! whose completion the emulator announces twice, settles with exactly one log entry.

use crate::common;
use crate::e2e_pipeline::queue_depth;
use crate::e2e_scan::{
    LOCAL_PLAN, assert_shut, etag_of, s3, scan_result, send_scan_result, upload_in_parts,
    wait_status,
};

use common::{LocalStack, Logs, samples};

const OTHER_PLAN: &str =
    "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/somebody-else";

/// How many `scan_ignored` decisions the stack logged for `why`.
fn ignored(logs: &Logs, why: &str) -> usize {
    logs.text()
        .lines()
        .filter(|l| l.contains("scan_ignored") && l.contains(why))
        .count()
}

/// Waits (bounded) until more than `before` results were ignored for `why`.
async fn wait_ignored(stack: &LocalStack, logs: &Logs, why: &str, before: usize) {
    stack
        .wait_for(&format!("a result ignored as {why}"), 30, || async {
            (ignored(logs, why) > before).then_some(())
        })
        .await
}

/// A stack whose scanner never answers (results come from the test), an owner, and a PNG of
/// theirs that is `scanning`: (stack, logs, token, file id, key, ETag).
async fn scanning_png() -> (LocalStack, Logs, String, String, String, String) {
    let (stack, logs) =
        LocalStack::start_capturing_logs_with_args(&["--scanner-faults", "drop=1"], &[]).await;
    let ada = stack.user("ada-results@example.com").await;
    let id = stack
        .upload(&ada, "photo.png", &samples::png(), "image/png")
        .await;
    wait_status(&stack, &ada, &id, "scanning").await;
    let key = format!("uploads/{id}");
    let etag = etag_of(&stack, &key).await;
    (stack, logs, ada, id, key, etag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_for_other_bytes_or_from_another_plan_change_nothing() {
    let (stack, logs, ada, id, key, etag) = scanning_png().await;
    let other_etag = "0123456789abcdef0123456789abcdef";
    assert_ne!(etag, other_etag);
    let infected = ["EICAR-Test-File (not a virus)"];

    let before = ignored(&logs, "stale_bytes");
    let stale = scan_result(
        &stack,
        LOCAL_PLAN,
        &key,
        other_etag,
        "THREATS_FOUND",
        &infected,
    );
    send_scan_result(&stack, stale).await;
    wait_ignored(&stack, &logs, "stale_bytes", before).await;

    let before = ignored(&logs, "other_plan");
    let foreign = scan_result(&stack, OTHER_PLAN, &key, &etag, "NO_THREATS_FOUND", &[]);
    send_scan_result(&stack, foreign).await;
    wait_ignored(&stack, &logs, "other_plan", before).await;

    let (_, f) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(f["file"]["status"], "scanning", "{f}");
    assert_eq!(f["file"]["scan"]["status"], "pending", "{f}");
    assert_shut(&stack, &ada, &id).await;
    assert!(stack.log_events(&ada, &id).await.is_empty());

    // Its own result, from this plan for these bytes, decides it.
    send_scan_result(
        &stack,
        scan_result(&stack, LOCAL_PLAN, &key, &etag, "NO_THREATS_FOUND", &[]),
    )
    .await;
    let f = stack.settled(&ada, &id).await;
    assert_eq!(
        (f["status"].as_str(), f["scan"]["status"].as_str()),
        (Some("accepted"), Some("clean")),
        "{f}"
    );
    assert_eq!(
        stack.log_events(&ada, &id).await,
        vec!["upload.accepted".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_bytes_are_not_served_until_their_own_clean_verdict() {
    let (stack, logs, ada, id, key, etag) = scanning_png().await;
    let clean = |etag: &str| scan_result(&stack, LOCAL_PLAN, &key, etag, "NO_THREATS_FOUND", &[]);
    send_scan_result(&stack, clean(&etag)).await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    let (s, _) = stack.get(&format!("/files/{id}/download"), &ada).await;
    assert_eq!(s, 200);

    // Another writer with bucket access replaces the bytes with another PNG of the same size.
    let mut other = samples::png();
    let last = other.len() - 1;
    other[last] = 0x5a;
    s3(&stack)
        .await
        .put_object()
        .bucket(stack.resource("bucket"))
        .key(&key)
        .content_type("image/png")
        .body(other.clone().into())
        .send()
        .await
        .expect("PutObject");
    let replaced = etag_of(&stack, &key).await;
    assert_ne!(replaced, etag);
    wait_status(&stack, &ada, &id, "scanning").await;
    assert_shut(&stack, &ada, &id).await;

    // The old bytes' clean verdict does not release the new ones.
    let before = ignored(&logs, "stale_bytes");
    send_scan_result(&stack, clean(&etag)).await;
    wait_ignored(&stack, &logs, "stale_bytes", before).await;
    let (_, f) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(f["file"]["status"], "scanning", "{f}");
    assert_shut(&stack, &ada, &id).await;

    send_scan_result(&stack, clean(&replaced)).await;
    assert_eq!(stack.settled(&ada, &id).await["status"], "accepted");
    let (s, d) = stack.get(&format!("/files/{id}/download"), &ada).await;
    assert_eq!(s, 200, "{d}");
    let back = stack
        .http
        .get(d["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(back.bytes().await.unwrap().as_ref(), other.as_slice());
}

/// Five multipart uploads on a stack started with `args`: each settles `accepted` with exactly
/// one `upload.accepted` entry, counted once every event was consumed.
async fn multipart_uploads_settle_once(args: &[&str]) {
    let stack = LocalStack::start_with_args(args, &[("SINGLE_PUT_MAX_BYTES", "1048576")]).await;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let ada = stack.user("ada-parts@example.com").await;
    let bytes: Vec<u8> = (0..2 * (1 << 20)).map(|i| b'a' + (i % 26) as u8).collect();
    let mut ids = Vec::new();
    for i in 0..5 {
        let name = format!("parts-{i}.txt");
        let created = stack.create(&ada, &name, bytes.len(), "text/plain").await;
        ids.push(upload_in_parts(&stack, &ada, &created, &bytes).await);
    }
    for id in &ids {
        assert_eq!(stack.settled(&ada, id).await["status"], "accepted");
    }
    let queues = [
        stack.resource("queue_url"),
        stack.resource("scan_queue_url"),
    ];
    stack
        .wait_for("the queues to drain", 30, || async {
            for q in queues.iter().filter(|q| !q.is_empty()) {
                if queue_depth(&sqs, q).await != (0, 0) {
                    return None;
                }
            }
            Some(())
        })
        .await;
    for id in &ids {
        assert_eq!(
            stack.log_events(&ada, id).await,
            vec!["upload.accepted".to_owned()],
            "file {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_multipart_upload_settles_once() {
    multipart_uploads_settle_once(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unscanned_multipart_upload_settles_once() {
    multipart_uploads_settle_once(&["--scanner", "off"]).await;
}
