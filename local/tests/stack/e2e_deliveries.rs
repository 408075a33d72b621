//! Webhook deliveries end to end: receivers on loopback written here (each on a port the OS
//! picks) are registered through the API, an upload's events fan out from the notifier through
//! the deliveries' queue to the deliverer, and each receiver sees what its rules say: a
//! subscribed event once per attempt, signed so that the docs' Python verification accepts it,
//! never an event it did not subscribe to; a receiver that fails three times gets the fourth
//! attempt on the (scaled) ladder and the log shows all four; a dead one ends paused with one
//! mail, to the address its owner moved to after registering it; `test` and `redeliver` reach the receiver; another owner gets 404; no secret or
//! signature in any log line or stored record.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::common;
use crate::e2e_account::move_email;

use common::{LocalStack, samples};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request a receiver got: its headers (lower-case names) and body.
#[derive(Clone, Debug)]
pub(crate) struct Got {
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Vec<u8>,
}

/// A receiver on `127.0.0.1:<free port>` answering the scripted statuses in order, then
/// `then` for ever; it keeps every request.
#[derive(Clone)]
pub(crate) struct Receiver {
    port: u16,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    pub(crate) async fn start(script: Vec<u16>, then: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let Some(request) = read_request(&mut sock).await else {
                    continue;
                };
                let status = {
                    let mut all = sink.lock().unwrap();
                    all.push(request);
                    script.get(all.len() - 1).copied().unwrap_or(then)
                };
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            }
        });
        Self { port, got }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub(crate) fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

pub(crate) async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Got> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let headers: BTreeMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(Got {
        headers,
        body: buf[head_end..].to_vec(),
    })
}

pub(crate) fn body_of(g: &Got) -> Value {
    serde_json::from_slice(&g.body).expect("a JSON body")
}

/// Runs docs/EVENTS.md's Python `verify` over each request: the answers, in order.
pub(crate) fn verified_by_the_docs(secret: &str, got: &[Got]) -> Vec<bool> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/EVENTS.md")).unwrap();
    let start = doc.find("```python\n").expect("a Python block") + "```python\n".len();
    let code = &doc[start..start + doc[start..].find("```").unwrap()];
    let cases: Vec<Value> = got
        .iter()
        .map(|g| {
            use base64::Engine;
            json!({
                "headers": g.headers,
                "body": base64::engine::general_purpose::STANDARD.encode(&g.body),
            })
        })
        .collect();
    let script = format!(
        "{code}\nimport json, sys\nfor c in json.load(sys.stdin):\n    \
         print(verify({secret:?}, c['headers'], base64.b64decode(c['body'])))\n"
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&cases).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "True")
        .collect()
}

pub(crate) async fn register(
    stack: &LocalStack,
    token: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let (s, b) = stack
        .post(
            "/webhooks",
            Some(token),
            json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    (
        b["webhook"]["id"].as_str().unwrap().to_owned(),
        b["webhook"]["secret"].as_str().unwrap().to_owned(),
    )
}

async fn log_of(stack: &LocalStack, token: &str, hook: &str) -> Vec<Value> {
    let (s, b) = stack
        .get(&format!("/webhooks/{hook}/deliveries"), token)
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b.get("next_cursor").is_some(), "{b}");
    b["deliveries"].as_array().cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_signed_retried_logged_paused_tested_and_redelivered() {
    let (stack, logs) = LocalStack::start_capturing_logs_with_args(
        &["--scanner", "off", "--allow-loopback-webhooks"],
        &[
            // The ladder in thousandths: every retry is due at once, and waits the queue's
            // smallest delay (1 s).
            ("WEBHOOK_BACKOFF_SCALE", "0.001"),
            ("WEBHOOK_DISABLE_AFTER", "4"),
        ],
    )
    .await;
    let ada = stack.user("ada-deliveries@example.com").await;
    let bob = stack.user("bob-deliveries@example.com").await;
    let good = Receiver::start(vec![], 204).await;
    let flaky = Receiver::start(vec![500, 503, 404], 200).await;
    let dead = Receiver::start(vec![], 503).await;
    let (good_id, good_secret) = register(&stack, &ada, &good.url(), &["file.accepted"]).await;
    let (flaky_id, flaky_secret) = register(&stack, &ada, &flaky.url(), &["file.accepted"]).await;
    let (dead_id, dead_secret) = register(&stack, &ada, &dead.url(), &["file.accepted"]).await;
    // Ada moves her account to a new address after registering: the pause mail finds her there.
    let moved = "ada-deliveries-moved@example.com";
    move_email(&stack, &ada, "ada-deliveries@example.com", moved).await;

    // One accepted file (subscribed) and one rejected (subscribed by nobody).
    let accepted = stack
        .upload(&ada, "one.png", &samples::png(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &accepted).await["status"], "accepted");
    let rejected = stack
        .upload(&ada, "two.png", &samples::elf(), "image/png")
        .await;
    assert_eq!(stack.settled(&ada, &rejected).await["status"], "rejected");

    // The flaky receiver gets the fourth attempt; the dead one is paused after four failures.
    stack
        .wait_for("four attempts at the flaky receiver", 60, || async {
            (flaky.got().len() >= 4).then_some(())
        })
        .await;
    let paused = stack
        .wait_for("the dead receiver's webhook paused", 60, || async {
            let (_, b) = stack.get(&format!("/webhooks/{dead_id}"), &ada).await;
            (b["webhook"]["state"] == "paused").then_some(b)
        })
        .await;
    assert_eq!(paused["webhook"]["state"], "paused");
    let mails = stack
        .wait_for("the pause mail", 30, || async {
            let m = stack.mails_about(&dead_id).await;
            (!m.is_empty()).then_some(m)
        })
        .await;
    // Time for any stray retry or second mail to show.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    assert_eq!(stack.mails_about(&dead_id).await.len(), 1, "{mails:?}");
    assert_eq!(
        mails[0]["destinations"]["ToAddresses"],
        json!([moved]),
        "{mails:?}"
    );
    assert_eq!(dead.got().len(), 4, "nothing sent once paused");
    assert_eq!(good.got().len(), 1, "one attempt, received");
    assert_eq!(flaky.got().len(), 4);

    // Each request is the accepted file's event, never the rejected one's, and verifies with
    // the docs' code under its own webhook's secret only.
    for (r, secret) in [
        (&good, &good_secret),
        (&flaky, &flaky_secret),
        (&dead, &dead_secret),
    ] {
        let got = r.got();
        for g in &got {
            let b = body_of(g);
            assert_eq!(b["type"], "file.accepted", "{b}");
            assert_eq!(b["data"]["file"]["id"], accepted.as_str());
            assert_eq!(g.headers["webhook-id"], b["id"].as_str().unwrap());
        }
        assert!(verified_by_the_docs(secret, &got).iter().all(|v| *v));
    }
    assert!(!verified_by_the_docs(&flaky_secret, &good.got())[0]);

    // The log shows every attempt; the flaky one's four, in order, newest first.
    let flaky_log = log_of(&stack, &ada, &flaky_id).await;
    let attempts: Vec<(u64, u64)> = flaky_log
        .iter()
        .map(|r| {
            (
                r["attempt"].as_u64().unwrap(),
                r["status_code"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts, [(4, 200), (3, 404), (2, 503), (1, 500)]);
    for r in &flaky_log[1..] {
        assert!(r["next_attempt_at"].is_string(), "{r}");
        assert_eq!(r["type"], "file.accepted");
        assert_eq!(r["id"], flaky_log[0]["id"]);
    }
    assert!(flaky_log[0].get("next_attempt_at").is_none());
    assert_eq!(log_of(&stack, &ada, &dead_id).await.len(), 4);

    // A test ping, then a redelivery of the accepted event, both to the good receiver.
    let (s, b) = stack
        .post(&format!("/webhooks/{good_id}/test"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 202, "{b}");
    let ping = stack
        .wait_for("the ping", 30, || async {
            good.got()
                .iter()
                .find(|g| body_of(g)["type"] == "ping")
                .cloned()
        })
        .await;
    assert_eq!(body_of(&ping)["data"]["webhook"], good_id.as_str());
    assert!(verified_by_the_docs(&good_secret, &[ping])[0]);
    let first = log_of(&stack, &ada, &good_id)
        .await
        .into_iter()
        .find(|r| r["type"] == "file.accepted")
        .unwrap();
    let delivery = first["id"].as_str().unwrap();
    let path = format!("/webhooks/{good_id}/deliveries/{delivery}/redeliver");
    let (s, b) = stack.post(&path, Some(&ada), json!({})).await;
    assert_eq!(s, 202, "{b}");
    stack
        .wait_for("the redelivery", 30, || async {
            (good.got().len() >= 3).then_some(())
        })
        .await;
    let again = good.got()[2].clone();
    assert_eq!(again.body, good.got()[0].body, "the same body");
    assert_eq!(
        again.headers["webhook-id"],
        good.got()[0].headers["webhook-id"]
    );
    let redelivered = log_of(&stack, &ada, &good_id).await;
    assert!(
        redelivered
            .iter()
            .any(|r| r["id"] == delivery && r["attempt"] == 2 && r["status_code"] == 204),
        "{redelivered:?}"
    );

    // Another owner: 404 on each route, nothing sent.
    let sent = good.got().len();
    for (method, p) in [
        ("GET", format!("/webhooks/{good_id}/deliveries")),
        ("POST", format!("/webhooks/{good_id}/test")),
        ("POST", path.clone()),
    ] {
        let (s, b) = stack
            .call(method.parse().unwrap(), &p, Some(&bob), Some("{}"))
            .await;
        assert_eq!(s, 404, "{method} {p}: {b}");
    }
    let (s, b) = stack
        .get(&format!("/webhooks/{good_id}/deliveries?cursor=junk"), &ada)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_cursor"))
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(good.got().len(), sent);

    // No secret, key or signature in any log line or stored record.
    let text = logs.text();
    let stored = stack.moto_text().await;
    for secret in [&good_secret, &flaky_secret, &dead_secret] {
        let key = secret.trim_start_matches("whsec_");
        assert!(
            !text.contains(key) && !stored.contains(key),
            "a secret leaked"
        );
    }
    for r in [&good, &flaky, &dead] {
        for g in r.got() {
            let sig = g.headers["webhook-signature"].trim_start_matches("v1,");
            assert!(
                !text.contains(sig) && !stored.contains(sig),
                "a signature leaked"
            );
        }
    }
    assert!(
        logs.json_lines().iter().any(|l| l["decision"] == "paused"),
        "the pause is logged"
    );
}
