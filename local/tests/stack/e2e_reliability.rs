//! Nothing lost, nothing twice, under faults. The stack runs behind the fault-injecting proxy
//! (10% of AWS calls fail: throttling, 5xx, connection resets); 100 uploads, mixed accepted and
//! rejected, go through it as a client would (retrying what answers 503), some S3 events are
//! delivered twice more, and then: every file ends in exactly one terminal state, the quota is
//! exact, every settlement wrote exactly one log entry, and every log entry reached the topic's
//! subscriber (counted after dropping duplicates by `id`). The figures it prints are those of
//! docs/RELIABILITY.md.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{LocalStack, PASSWORD, receive_until, samples};
use serde_json::{Value, json};

const UPLOADS: usize = 100;
const REPLAYED: usize = 20;
/// 10% of the functions' AWS calls fail, by kind; a fifth of SNS publishes take effect but lose
/// their answer (so retries publish twice); the seed makes a run reproducible.
const SPEC: &str = "throttle=0.04,error500=0.04,reset=0.02,sns:reset_after=0.2,seed=20261122";

/// A call to the API, retried while it answers 503 or the connection fails (what a client
/// does when the service says "retry shortly"); bounded.
async fn call(
    stack: &LocalStack,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    retries: &mut u64,
) -> (u16, Value) {
    for attempt in 0..30 {
        let mut r = stack.http.request(method.clone(), stack.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = &body {
            r = r.json(b);
        }
        match r.send().await {
            Ok(resp) if resp.status().as_u16() != 503 => {
                let status = resp.status().as_u16();
                let v = resp.json().await.unwrap_or(Value::Null);
                return (status, v);
            }
            Ok(resp) => {
                let v: Value = resp.json().await.unwrap_or(Value::Null);
                assert_eq!(
                    v["error"]["code"]
                        .as_str()
                        .map(|c| c == "unavailable" || c == "throttled"),
                    Some(true),
                    "a 503 in the error shape: {v}"
                );
            }
            Err(_) => {}
        }
        *retries += 1;
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    panic!("{method} {path}: still failing after 30 tries");
}

/// PUTs bytes to a presigned URL (through the proxy, so it may fail), retrying; a 412 means an
/// earlier try landed (the URL refuses to overwrite).
async fn put(stack: &LocalStack, created: &Value, bytes: &[u8], retries: &mut u64) {
    let upload = &created["upload"];
    for attempt in 0..30 {
        let mut r = stack.http.put(upload["url"].as_str().unwrap());
        for (k, v) in upload["headers"].as_object().unwrap() {
            if k != "content-length" {
                r = r.header(k, v.as_str().unwrap());
            }
        }
        match r.body(bytes.to_vec()).send().await {
            Ok(resp) if resp.status().is_success() || resp.status().as_u16() == 412 => return,
            _ => {}
        }
        *retries += 1;
        tokio::time::sleep(Duration::from_millis(50 * (attempt + 1))).await;
    }
    panic!("PUT still failing after 30 tries");
}

fn s3_event(bucket: &str, key: &str, size: usize) -> String {
    let encoded = key.replace('/', "%2F");
    json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-22T10:00:00.000Z", "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads-to-queue",
               "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
               "object": {"key": encoded, "size": size}}
    }]})
    .to_string()
}

/// A run's client side: the account, the files it uploaded and what their bytes deserve.
struct Run {
    token: String,
    subscriber: String,
    expected: BTreeMap<String, (&'static str, usize)>,
    keys: Vec<(String, usize)>,
    retries: u64,
}

impl Run {
    /// An account, and an SQS queue subscribed to the topic (straight on the emulator).
    async fn start(stack: &LocalStack, email: &str) -> Self {
        let name = format!("subscriber-{}", email.replace(['@', '.'], "-"));
        let subscriber = stack.subscriber(&name).await;
        let mut retries = 0;
        let creds = json!({"email": email, "password": PASSWORD});
        let post = reqwest::Method::POST;
        let (s, _) = call(
            stack,
            post.clone(),
            "/auth/signup",
            None,
            Some(creds.clone()),
            &mut retries,
        )
        .await;
        assert_eq!(s, 201);
        let (s, tokens) = call(stack, post, "/auth/login", None, Some(creds), &mut retries).await;
        assert_eq!(s, 200);
        Self {
            token: tokens["id_token"].as_str().unwrap().to_owned(),
            subscriber,
            expected: BTreeMap::new(),
            keys: Vec::new(),
            retries,
        }
    }

    /// Uploads files `from..to`: every third an executable declared as a PNG; sizes differ.
    async fn upload(&mut self, stack: &LocalStack, from: usize, to: usize) {
        for i in from..to {
            let bad = i % 3 == 0;
            let mut bytes = if bad { samples::elf() } else { samples::png() };
            bytes.resize(bytes.len() + i * 7, 0);
            let body = json!({"name": format!("f{i}.png"), "size": bytes.len(), "content_type": "image/png"});
            let (s, created) = call(
                stack,
                reqwest::Method::POST,
                "/files",
                Some(&self.token),
                Some(body),
                &mut self.retries,
            )
            .await;
            assert_eq!(s, 201, "{created}");
            put(stack, &created, &bytes, &mut self.retries).await;
            let id = created["file"]["id"].as_str().unwrap().to_owned();
            let url = created["upload"]["url"].as_str().unwrap();
            let key = url
                .split("/dropgate-uploads/")
                .nth(1)
                .unwrap()
                .split('?')
                .next()
                .unwrap()
                .to_owned();
            self.keys.push((key, bytes.len()));
            self.expected
                .insert(id, (if bad { "rejected" } else { "accepted" }, bytes.len()));
        }
    }

    /// Sends the first `n` objects' S3 events again (S3 delivers at least once).
    async fn replay(&self, stack: &LocalStack, n: usize) {
        let sqs = aws_sdk_sqs::Client::new(&stack.sdk().await);
        for (key, size) in self.keys.iter().take(n) {
            sqs.send_message()
                .queue_url(stack.resource("queue_url"))
                .message_body(s3_event(&stack.resource("bucket"), key, *size))
                .send()
                .await
                .unwrap();
        }
    }

    /// Waits for every file to settle, then checks the invariants; returns the figures.
    async fn check(&mut self, stack: &LocalStack) -> Value {
        let n = self.expected.len();
        let sdk = stack.sdk().await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let ddb = aws_sdk_dynamodb::Client::new(&sdk);
        // Every file reaches a terminal state.
        let deadline = Instant::now() + Duration::from_secs(240);
        let files = loop {
            let (s, listing) = call(
                stack,
                reqwest::Method::GET,
                "/files?limit=100",
                Some(&self.token),
                None,
                &mut self.retries,
            )
            .await;
            assert_eq!(s, 200);
            let files = listing["files"].as_array().unwrap().clone();
            if files.len() == n && files.iter().all(|f| !common::is_judging(f)) {
                break files;
            }
            assert!(
                Instant::now() < deadline,
                "files still pending: {}",
                files.iter().filter(|f| common::is_judging(f)).count()
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let mut terminal: BTreeMap<String, u64> = BTreeMap::new();
        for f in &files {
            let (want, _) = self.expected[f["id"].as_str().unwrap()];
            assert_eq!(f["status"], want, "{f}");
            *terminal.entry(want.to_owned()).or_default() += 1;
        }
        let accepted: Vec<usize> = self
            .expected
            .values()
            .filter(|(s, _)| *s == "accepted")
            .map(|(_, n)| *n)
            .collect();
        let (_, q) = call(
            stack,
            reqwest::Method::GET,
            "/quota",
            Some(&self.token),
            None,
            &mut self.retries,
        )
        .await;
        assert_eq!(q["used_bytes"], accepted.iter().sum::<usize>(), "{q}");
        assert_eq!(q["reserved_bytes"], 0, "{q}");
        assert_eq!(q["files"], accepted.len(), "{q}");

        // Exactly one log entry per settlement.
        let mut entries: BTreeMap<String, String> = BTreeMap::new();
        let mut start = None;
        loop {
            let out = ddb
                .scan()
                .table_name(
                    stack.ready["resources"]["tables"]["upload_log"]
                        .as_str()
                        .unwrap(),
                )
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            for item in out.items() {
                let id = item["file_id"].as_s().unwrap().clone();
                let entry = item["entry"].as_s().unwrap().clone();
                assert!(entries.insert(entry.clone(), id).is_none(), "{entry} twice");
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        let mut per_file: BTreeMap<&str, u64> = BTreeMap::new();
        for id in entries.values() {
            *per_file.entry(id.as_str()).or_default() += 1;
        }
        assert_eq!(per_file.len(), n);
        assert!(per_file.values().all(|&c| c == 1), "{per_file:?}");

        // Every entry reached the subscriber: as many distinct ids as entries.
        let ids_of = |bodies: &[String]| -> BTreeSet<String> {
            bodies
                .iter()
                .map(|b| {
                    let body: Value = serde_json::from_str(b).unwrap();
                    body["id"]
                        .as_str()
                        .expect("every message has an id")
                        .to_owned()
                })
                .collect()
        };
        let bodies = receive_until(&sqs, &self.subscriber, 120, |b| {
            ids_of(b).len() >= entries.len()
        })
        .await;
        let received = bodies.len() as u64;
        let ids = ids_of(&bodies);
        let want: BTreeSet<String> = entries.keys().cloned().collect();
        assert_eq!(ids, want, "the notices are exactly the log's entries");
        json!({
            "uploads": n,
            "client_retries": self.retries,
            "terminal_states": terminal,
            "log_entries": entries.len(),
            "notifications_received": received,
            "duplicates_dropped": received - ids.len() as u64,
            "notifications_delivered": ids.len(),
            "notifications_expected": entries.len(),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_injected_faults_every_file_ends_once_and_every_notice_arrives() {
    let started = Instant::now();
    let stack = LocalStack::start_with_args(&["--inject-faults", SPEC], &[]).await;
    let faults_url = stack.ready["faults"]
        .as_str()
        .expect("faults in the ready line")
        .to_owned();
    let mut run = Run::start(&stack, "rel@example.com").await;
    run.upload(&stack, 0, UPLOADS).await;
    run.replay(&stack, REPLAYED).await;
    let mut figures = run.check(&stack).await;
    let faults: Value = stack
        .http
        .get(format!("{faults_url}/__faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let totals = &faults["totals"];
    assert!(
        totals["faults"].as_u64().unwrap() > 0,
        "faults were injected: {faults}"
    );
    figures["spec"] = json!(SPEC);
    figures["aws_requests"] = totals["requests"].clone();
    figures["faults"] = json!({
        "throttle": totals["throttle"],
        "error500": totals["error500"],
        "reset": totals["reset"],
        "reset_after": totals["reset_after"],
        "total": totals["faults"],
    });
    figures["duplicate_events_sent"] = json!(REPLAYED);
    figures["wall_secs"] = json!(started.elapsed().as_secs_f64().round());
    println!("RELIABILITY {figures}");
}

// Under CI's load this lost one notice of 30 now and then, with no delivery failure: after the
// freeze, a settlement retried after its first try committed fails its condition, moto has
// already appended its entry to the stream when it puts back its copy of the table, and the
// pump, reading the discarded stream, took that record's sequence number as its checkpoint,
// which the next real entry then reused. See e2e_stream::a_rolled_back_record_the_pump_read_...
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ten_second_freeze_mid_run_loses_nothing_and_answers_503_meanwhile() {
    let started = Instant::now();
    let emulator =
        dropgate_local::emulator::Emulator::start(&dropgate_local::emulator::project_root())
            .await
            .expect("emulator");
    let pid = emulator.pid().expect("pid").to_string();
    let stack = LocalStack::start_with_args(&["--aws-endpoint", &emulator.endpoint], &[]).await;
    let mut run = Run::start(&stack, "freeze@example.com").await;
    run.upload(&stack, 0, 15).await;
    // Frozen while the pipeline still works on those uploads.
    let signal = |s: &'static str| {
        let pid = pid.clone();
        async move {
            let ok = tokio::process::Command::new("kill")
                .args([s, &pid])
                .status()
                .await
                .unwrap();
            assert!(ok.success());
        }
    };
    signal("-STOP").await;
    let frozen_at = Instant::now();
    let mut answers = Vec::new();
    while frozen_at.elapsed() < Duration::from_secs(10) {
        let asked = Instant::now();
        let r = stack
            .http
            .get(stack.url("/quota"))
            .bearer_auth(&run.token)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("an answer while AWS is frozen, not a hang");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        answers.push((status, asked.elapsed().as_secs_f64()));
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
    }
    signal("-CONT").await;
    run.upload(&stack, 15, 30).await;
    run.replay(&stack, 5).await;
    let mut figures = run.check(&stack).await;
    figures["frozen_secs"] = json!(10);
    figures["answers_while_frozen"] = json!(answers.len());
    figures["slowest_answer_while_frozen_secs"] =
        json!(answers.iter().map(|a| a.1).fold(0.0, f64::max).round());
    figures["wall_secs"] = json!(started.elapsed().as_secs_f64().round());
    println!("RELIABILITY-FREEZE {figures}");
    emulator.stop().await;
}
