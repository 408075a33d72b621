//! The cap on one webhook's attempts in flight, through the local stack: a receiver that just
//! went dead is sent at most two requests while its first attempts wait out the 10 s timeout
//! (before the stall window is known), the other jobs that come meanwhile are parked unsent,
//! another owner's deliveries arrive, and once the receiver answers again every event arrives.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use serde_json::json;

use crate::common::LocalStack;
use crate::e2e_deliveries::{Receiver, register};
use crate::e2e_stalled_webhook::switchable;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_just_went_dead_is_sent_two_attempts_and_the_rest_wait_unsent() {
    let (stack, logs) = LocalStack::start_capturing_logs_with_args(
        &["--scanner", "off", "--allow-loopback-webhooks"],
        &[],
    )
    .await;
    let ada = stack.user("ada-capped@example.com").await;
    let bob = stack.user("bob-capped@example.com").await;
    let dead = switchable().await;
    let good = Receiver::start(vec![], 204).await;
    let (dead_id, _) = register(&stack, &ada, &dead.url, &["link.created"]).await;
    register(&stack, &bob, &good.url(), &["link.created"]).await;

    // Six of Ada's events at once, then two of Bob's: all queued well within one timeout.
    for (token, n) in [(&ada, 6), (&bob, 2)] {
        for i in 0..n {
            let (s, b) = stack
                .post("/links", Some(token), json!({"label": format!("cap {i}")}))
                .await;
            assert_eq!(s, 201, "{b}");
        }
    }
    stack
        .wait_for("Bob's two events", 60, || async {
            (good.got().len() >= 2).then_some(())
        })
        .await;
    let hers = |decision: &str| {
        logs.json_lines()
            .iter()
            .filter(|l| l["decision"] == decision && l["webhook_id"] == dead_id.as_str())
            .count()
    };
    stack
        .wait_for("Ada's two attempts timed out", 60, || async {
            let timed_out = logs
                .json_lines()
                .iter()
                .filter(|l| {
                    l["message"] == "webhook attempt"
                        && l["webhook_id"] == dead_id.as_str()
                        && l["stalled"] == true
                })
                .count();
            (timed_out >= 2).then_some(())
        })
        .await;
    assert_eq!(
        dead.unanswered.load(Ordering::SeqCst),
        2,
        "two requests in flight at most"
    );
    assert!(hers("capped") >= 1, "the others found the cap full");

    // It answers again: every one of Ada's six events arrives, none lost.
    dead.answering.store(true, Ordering::SeqCst);
    let ids = stack
        .wait_for("all six of Ada's events", 150, || async {
            let ids: BTreeSet<String> = dead
                .got
                .lock()
                .unwrap()
                .iter()
                .filter_map(|b| b["id"].as_str().map(str::to_owned))
                .collect();
            (ids.len() >= 6).then_some(ids)
        })
        .await;
    assert_eq!(ids.len(), 6);
    assert_eq!(dead.unanswered.load(Ordering::SeqCst), 2);
}
