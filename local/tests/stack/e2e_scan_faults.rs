//! End to end, the malware gate fails closed: a local scanner made to misbehave
//! (`--scanner-faults`) that errors, answers unsupported, never answers or answers twice leaves
//! every file shut and ends it in its documented state, settled once.

use crate::common;
use crate::e2e_pipeline::queue_depth;
use crate::e2e_scan::{EICAR, assert_mailed_once, assert_shut, wait_status};

use common::{LocalStack, samples};
use serde_json::Value;

/// Uploads a PNG on a stack with `faults` (and `env`) and returns its final view, after
/// checking it was never served.
async fn judged_png(faults: &str, env: &[(&str, &str)]) -> (LocalStack, String, String, Value) {
    let stack = LocalStack::start_with_args(&["--scanner-faults", faults], env).await;
    let ada = stack.user("ada-faults@example.com").await;
    let id = stack
        .upload(&ada, "photo.png", &samples::png(), "image/png")
        .await;
    let f = stack.settled(&ada, &id).await;
    assert_shut(&stack, &ada, &id).await;
    (stack, ada, id, f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanner_that_fails_rejects_the_file() {
    let (stack, ada, id, f) = judged_png("failed=1", &[]).await;
    assert_eq!(
        (
            f["status"].as_str(),
            f["reason"].as_str(),
            f["scan"]["status"].as_str()
        ),
        (Some("rejected"), Some("scan_failed"), Some("failed")),
        "{f}"
    );
    assert!(stack.raw_object(&format!("uploads/{id}")).await.is_none());
    assert_eq!(
        stack.log_events(&ada, &id).await,
        vec!["upload.rejected".to_owned()]
    );
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (q["used_bytes"].as_u64(), q["files"].as_u64()),
        (Some(0), Some(0)),
        "{q}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unscannable_file_is_rejected_by_default() {
    let (stack, ada, id, f) = judged_png("unsupported=1", &[]).await;
    assert_eq!(
        (
            f["status"].as_str(),
            f["reason"].as_str(),
            f["scan"]["status"].as_str()
        ),
        (
            Some("rejected"),
            Some("scan_unsupported"),
            Some("unsupported")
        ),
        "{f}"
    );
    assert_eq!(
        stack.log_events(&ada, &id).await,
        vec!["upload.rejected".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unscannable_file_is_held_when_the_policy_says_hold() {
    let (stack, ada, id, f) = judged_png("unsupported=1", &[("UNSCANNABLE_POLICY", "hold")]).await;
    assert_eq!(
        (f["status"].as_str(), f["scan"]["status"].as_str()),
        (Some("held"), Some("unsupported")),
        "{f}"
    );
    // Held bytes stay (for the operator to release or delete) and count as used.
    assert!(stack.raw_object(&format!("uploads/{id}")).await.is_some());
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(q["used_bytes"], samples::png().len(), "{q}");
    assert_eq!(
        stack.log_events(&ada, &id).await,
        vec!["upload.held".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_that_never_comes_times_out() {
    // The harness runs the janitor every second.
    let stack = LocalStack::start_with_args(
        &["--scanner-faults", "drop=1"],
        &[("SCAN_TIMEOUT_SECS", "2")],
    )
    .await;
    let ada = stack.user("ada-timeout@example.com").await;
    let png = samples::png();
    let id = stack.upload(&ada, "late.png", &png, "image/png").await;
    // Scanning, not served; then the janitor gives up on the scan.
    wait_status(&stack, &ada, &id, "scanning").await;
    assert_shut(&stack, &ada, &id).await;
    let f = stack.settled(&ada, &id).await;
    assert_eq!(
        (
            f["status"].as_str(),
            f["reason"].as_str(),
            f["scan"]["status"].as_str()
        ),
        (Some("rejected"), Some("scan_timeout"), Some("timeout")),
        "{f}"
    );
    assert_shut(&stack, &ada, &id).await;
    assert_eq!(
        stack.log_events(&ada, &id).await,
        vec!["upload.rejected".to_owned()]
    );
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (q["used_bytes"].as_u64(), q["files"].as_u64()),
        (Some(0), Some(0)),
        "{q}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_result_settles_once() {
    let stack = LocalStack::start_with_args(&["--scanner-faults", "duplicate=1"], &[]).await;
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
    let ada = stack.user("ada-dup@example.com").await;
    let bad = stack.upload(&ada, "twice.txt", EICAR, "text/plain").await;
    let good = stack
        .upload(&ada, "once.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &bad).await["reason"], "malware_found");
    assert_eq!(stack.settled(&ada, &good).await["status"], "accepted");
    // Every result (the duplicates too) consumed before counting.
    let (scan_queue, uploads) = (
        stack.resource("scan_queue_url"),
        stack.resource("queue_url"),
    );
    stack
        .wait_for("both queues to drain", 30, || async {
            let drained = queue_depth(&sqs, &scan_queue).await == (0, 0)
                && queue_depth(&sqs, &uploads).await == (0, 0);
            drained.then_some(())
        })
        .await;
    assert_eq!(
        stack.log_events(&ada, &bad).await,
        vec!["upload.rejected".to_owned()]
    );
    assert_eq!(
        stack.log_events(&ada, &good).await,
        vec!["upload.accepted".to_owned()]
    );
    assert_mailed_once(&stack, "twice.txt").await;
    assert_eq!(stack.settled(&ada, &good).await["status"], "accepted");
}
