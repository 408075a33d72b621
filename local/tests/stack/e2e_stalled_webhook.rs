//! One owner's receiver that never answers stalls only its own webhook: after its first
//! attempt runs into the 10 s timeout, that webhook's next deliveries are parked off the queue
//! unsent (one probe per window, and the window here is long), while another owner's deliveries
//! arrive. Without the stall window each of the stalled owner's events would reach the hanging
//! receiver as a request of its own. When the receiver answers again, the window's wake probes
//! and every parked delivery arrives: nothing is lost.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::common::{LocalStack, samples};
use crate::e2e_deliveries::{Receiver, body_of, read_request, register};

/// A receiver on `127.0.0.1:<free port>` that reads each request and never answers (its
/// connections are held open); counts the requests it read.
async fn hanging() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let held = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (seen, held) = (seen.clone(), held.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                if matches!(sock.read(&mut buf).await, Ok(n) if n > 0) {
                    seen.fetch_add(1, Ordering::SeqCst);
                }
                held.lock().unwrap().push(sock);
            });
        }
    });
    (format!("http://127.0.0.1:{port}/hook"), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_is_sent_one_attempt_per_window_while_another_owner_is_served() {
    let (stack, logs) = LocalStack::start_capturing_logs_with_args(
        &["--scanner", "off", "--allow-loopback-webhooks"],
        // The window is 30 s times this: 300 s, far longer than the test.
        &[("WEBHOOK_BACKOFF_SCALE", "10")],
    )
    .await;
    let ada = stack.user("ada-stalled@example.com").await;
    let bob = stack.user("bob-stalled@example.com").await;
    let (dead_url, dead) = hanging().await;
    let good = Receiver::start(vec![], 204).await;
    let (dead_id, _) = register(&stack, &ada, &dead_url, &["file.accepted"]).await;
    register(&stack, &bob, &good.url(), &["file.accepted"]).await;

    // Ada's first event: one attempt that runs into the timeout and stalls her webhook.
    let first = stack
        .upload(&ada, "first.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &first).await["status"], "accepted");
    stack
        .wait_for("the first attempt timed out and logged", 60, || async {
            let (_, b) = stack
                .get(&format!("/webhooks/{dead_id}/deliveries"), &ada)
                .await;
            (b["deliveries"].as_array().is_some_and(|d| !d.is_empty())).then_some(())
        })
        .await;

    // Three more events each: Ada's wait out the window unsent, Bob's arrive.
    for n in 0..3 {
        for (token, who) in [(&ada, "ada"), (&bob, "bob")] {
            let id = stack
                .upload(
                    token,
                    &format!("{who}-{n}.png"),
                    &samples::png(),
                    "image/png",
                )
                .await;
            assert_eq!(stack.settled(token, &id).await["status"], "accepted");
        }
    }
    stack
        .wait_for("Bob's three events", 60, || async {
            (good.got().len() >= 3).then_some(())
        })
        .await;
    let parked = stack
        .wait_for("Ada's three events parked", 60, || async {
            let n = logs
                .json_lines()
                .iter()
                .filter(|l| l["decision"] == "parked" && l["webhook_id"] == dead_id.as_str())
                .count();
            (n >= 3).then_some(n)
        })
        .await;
    assert!(parked >= 3);
    assert_eq!(good.got().len(), 3);
    assert_eq!(
        dead.load(Ordering::SeqCst),
        1,
        "one request reached the hanging receiver in the window"
    );
    let (_, b) = stack
        .get(&format!("/webhooks/{dead_id}/deliveries"), &ada)
        .await;
    let log = b["deliveries"].as_array().cloned().unwrap_or_default();
    assert_eq!(log.len(), 1, "a parked job is not an attempt: {log:?}");
    assert!(
        log[0]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("timed out")),
        "{log:?}"
    );
    assert!(
        logs.json_lines()
            .iter()
            .any(|l| l["message"] == "webhook attempt" && l["stalled"] == true),
        "the attempt that stalled the webhook says so"
    );
}

/// A receiver on `127.0.0.1:<free port>` that reads each request and never answers until it
/// is switched on, then answers `204`; counts the requests left unanswered, keeps the bodies
/// it answered.
pub(crate) struct Switchable {
    pub(crate) url: String,
    pub(crate) unanswered: Arc<AtomicUsize>,
    pub(crate) answering: Arc<AtomicBool>,
    pub(crate) got: Arc<Mutex<Vec<Value>>>,
}

pub(crate) async fn switchable() -> Switchable {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let r = Switchable {
        url: format!("http://127.0.0.1:{port}/hook"),
        unanswered: Arc::new(AtomicUsize::new(0)),
        answering: Arc::new(AtomicBool::new(false)),
        got: Arc::new(Mutex::new(Vec::new())),
    };
    let (unanswered, answering, got) = (r.unanswered.clone(), r.answering.clone(), r.got.clone());
    let held = Arc::new(Mutex::new(Vec::new()));
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (unanswered, answering, got, held) = (
                unanswered.clone(),
                answering.clone(),
                got.clone(),
                held.clone(),
            );
            tokio::spawn(async move {
                let Some(request) = read_request(&mut sock).await else {
                    return;
                };
                if !answering.load(Ordering::SeqCst) {
                    unanswered.fetch_add(1, Ordering::SeqCst);
                    held.lock().unwrap().push(sock);
                    return;
                }
                got.lock().unwrap().push(body_of(&request));
                let answer = "HTTP/1.1 204 X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_receiver_s_deliveries_are_parked_and_all_arrive_once_it_answers_again() {
    let (stack, logs) = LocalStack::start_capturing_logs_with_args(
        &["--scanner", "off", "--allow-loopback-webhooks"],
        &[],
    )
    .await;
    let ada = stack.user("ada-parked@example.com").await;
    let bob = stack.user("bob-parked@example.com").await;
    let dead = switchable().await;
    let good = Receiver::start(vec![], 204).await;
    let (dead_id, _) = register(&stack, &ada, &dead.url, &["file.accepted"]).await;
    register(&stack, &bob, &good.url(), &["file.accepted"]).await;

    // Ada's first event runs into the timeout and stalls her webhook for 30 s.
    let mut ada_files = BTreeSet::new();
    let first = stack
        .upload(&ada, "first.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &first).await["status"], "accepted");
    ada_files.insert(first);
    stack
        .wait_for("the first attempt timed out and logged", 60, || async {
            let (_, b) = stack
                .get(&format!("/webhooks/{dead_id}/deliveries"), &ada)
                .await;
            (b["deliveries"].as_array().is_some_and(|d| !d.is_empty())).then_some(())
        })
        .await;
    for n in 0..3 {
        for (token, who) in [(&ada, "ada"), (&bob, "bob")] {
            let id = stack
                .upload(
                    token,
                    &format!("{who}-{n}.png"),
                    &samples::png(),
                    "image/png",
                )
                .await;
            assert_eq!(stack.settled(token, &id).await["status"], "accepted");
            if who == "ada" {
                ada_files.insert(id);
            }
        }
    }
    stack
        .wait_for(
            "Bob's three events while Ada's receiver is dead",
            60,
            || async { (good.got().len() >= 3).then_some(()) },
        )
        .await;
    stack
        .wait_for("Ada's three events parked by the fan-out", 60, || async {
            let n = logs
                .json_lines()
                .iter()
                .filter(|l| {
                    l["message"] == "webhook delivery fanned out"
                        && l["decision"] == "parked"
                        && l["webhook_id"] == dead_id.as_str()
                })
                .count();
            (n >= 3).then_some(())
        })
        .await;
    assert_eq!(
        dead.unanswered.load(Ordering::SeqCst),
        1,
        "one request in the window"
    );
    assert!(dead.got.lock().unwrap().is_empty());

    // It answers again: the window's wake probes, and the rest are released to it.
    dead.answering.store(true, Ordering::SeqCst);
    let arrived = stack
        .wait_for("all four of Ada's events", 120, || async {
            let files: BTreeSet<String> = dead
                .got
                .lock()
                .unwrap()
                .iter()
                .filter_map(|b| b["data"]["file"]["id"].as_str().map(str::to_owned))
                .collect();
            (files == ada_files).then_some(files)
        })
        .await;
    assert_eq!(arrived.len(), 4);
    assert_eq!(dead.unanswered.load(Ordering::SeqCst), 1);
    assert!(
        logs.json_lines()
            .iter()
            .any(|l| l["decision"] == "released" && l["webhook_id"] == dead_id.as_str()),
        "the parked deliveries were released"
    );
    // The log shows every attempt: the first one's timeout, then one 204 per event.
    let (_, b) = stack
        .get(&format!("/webhooks/{dead_id}/deliveries"), &ada)
        .await;
    let log = b["deliveries"].as_array().cloned().unwrap_or_default();
    let ok = log.iter().filter(|r| r["status_code"] == 204).count();
    assert_eq!(ok, 4, "{log:?}");
    assert_eq!(log.len(), 5, "{log:?}");
}
