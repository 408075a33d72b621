//! End to end behind the fault proxy (`dropgate-local --inject-faults SPEC`): added latency
//! slows every AWS call but changes no outcome; throttled DynamoDB calls are retried by the SDK,
//! and what the retries cannot mend answers 503 in the error shape, never a hang or a bare 500.

use crate::common;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{PASSWORD, samples};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Stack {
    api: String,
    faults: String,
    http: reqwest::Client,
    _child: Child,
}

async fn start(spec: &str) -> Stack {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dropgate-local"))
        .args(["--listen", "127.0.0.1:0", "--janitor-every", "1"])
        .args(["--inject-faults", spec])
        // A settlement slowed by throttling and a busy machine can outlast the stack's 5 s
        // visibility timeout; a message seen again while it is still being handled would run up
        // its receive count towards the dead-letter queue and leave its file unsettled (15 s
        // was once not enough, with the whole suite and two release builds on 2 cores).
        .env("LOCAL_VISIBILITY_TIMEOUT_SECS", "30")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("DROPGATE_TEST_LOGS").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()
        .expect("spawn dropgate-local");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(180), lines.next_line())
        .await
        .expect("ready line within 180 s")
        .expect("read stdout")
        .expect("dropgate-local exited before its ready line");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
    let faults = ready["faults"].as_str().expect("faults in the ready line");
    let aws = ready["aws_endpoint"].as_str().expect("aws_endpoint");
    assert!(faults.starts_with("http://127.0.0.1:"), "{faults}");
    assert_ne!(faults, aws, "the proxy is not the emulator");
    Stack {
        api: ready["api"].as_str().expect("api").to_owned(),
        faults: faults.to_owned(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        _child: child,
    }
}

impl Stack {
    /// status, JSON body (Null when empty), and how long the answer took.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value, Duration) {
        let started = Instant::now();
        let mut req = self.http.request(method, format!("{}{path}", self.api));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer within 30 s: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"))
        };
        (status, json, started.elapsed())
    }

    async fn counters(&self) -> Value {
        self.http
            .get(format!("{}/__faults", self.faults))
            .send()
            .await
            .expect("/__faults")
            .json()
            .await
            .expect("/__faults JSON")
    }

    /// Signs up and logs in, retrying what faults made unavailable; returns the id token.
    async fn user(&self, email: &str) -> String {
        let creds = json!({"email": email, "password": PASSWORD});
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut signed_up = false;
        loop {
            assert!(Instant::now() < deadline, "no account within 60 s");
            if !signed_up {
                let (s, b, _) = self
                    .call(
                        reqwest::Method::POST,
                        "/auth/signup",
                        None,
                        Some(creds.clone()),
                    )
                    .await;
                match s {
                    201 => signed_up = true,
                    409 => signed_up = true, // an earlier attempt got through
                    503 => continue,
                    _ => panic!("signup: {s} {b}"),
                }
            }
            let (s, b, _) = self
                .call(
                    reqwest::Method::POST,
                    "/auth/login",
                    None,
                    Some(creds.clone()),
                )
                .await;
            match s {
                200 => return b["id_token"].as_str().expect("id_token").to_owned(),
                503 => continue,
                _ => panic!("login: {s} {b}"),
            }
        }
    }

    /// `POST /files`: the whole answer, checked to be a success or a 503 in the error shape.
    async fn create(&self, token: &str, name: &str, size: usize) -> (u16, Value, Duration) {
        let body = json!({"name": name, "size": size, "content_type": "image/png"});
        let (s, b, took) = self
            .call(reqwest::Method::POST, "/files", Some(token), Some(body))
            .await;
        assert_success_or_unavailable(s, &b, "POST /files");
        (s, b, took)
    }

    async fn put(&self, created: &Value, bytes: Vec<u8>) -> u16 {
        let upload = &created["upload"];
        let mut req = self.http.put(upload["url"].as_str().expect("url"));
        for (k, v) in upload["headers"].as_object().expect("headers") {
            if k != "content-length" {
                req = req.header(k.as_str(), v.as_str().expect("header value"));
            }
        }
        req.body(bytes).send().await.expect("PUT").status().as_u16()
    }

    /// Polls the file until it has its final verdict, past `pending` and `scanning` (240 s at
    /// most: throttled settlements wait out the queue's redelivery, longer on a busy machine),
    /// tolerating 503s on the way.
    async fn settled(&self, token: &str, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(240);
        loop {
            let (s, b, _) = self
                .call(
                    reqwest::Method::GET,
                    &format!("/files/{id}"),
                    Some(token),
                    None,
                )
                .await;
            assert_success_or_unavailable(s, &b, "GET /files/{id}");
            if s == 200 && !common::is_judging(&b["file"]) {
                return b["file"].clone();
            }
            assert!(
                Instant::now() < deadline,
                "file {id} still waiting for its verdict after 240 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn assert_success_or_unavailable(status: u16, body: &Value, what: &str) {
    match status {
        200..=299 => {}
        503 => {
            let code = body["error"]["code"].as_str();
            assert!(
                matches!(code, Some("throttled" | "unavailable")),
                "{what}: 503 without the error shape: {body}"
            );
            assert!(
                body["error"]["message"].is_string(),
                "{what}: 503 without a message: {body}"
            );
        }
        _ => panic!("{what}: {status} {body}"),
    }
}

fn count(c: &Value, service: &str, what: &str) -> u64 {
    c["services"][service][what].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn an_invalid_spec_stops_the_stack_before_it_starts() {
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(env!("CARGO_BIN_EXE_dropgate-local"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--inject-faults",
                "dynamo:throttle=2",
            ])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("exits at once")
    .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no ready line");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--inject-faults") && err.contains("unknown service `dynamo`"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_added_latency_every_aws_call_goes_through_the_proxy_and_the_pipeline_completes() {
    let stack = start("latency=20").await;
    let before = stack.counters().await;
    assert_eq!(before["spec"], "latency=20");
    assert!(before["seed"].is_u64(), "{before}");

    let token = stack.user("slow@example.com").await;
    let png = samples::png();
    let (s, created, took) = stack.create(&token, "a.png", png.len()).await;
    assert_eq!(s, 201, "{created}");
    assert!(
        took >= Duration::from_millis(20),
        "a create makes at least one AWS call: {took:?}"
    );
    // The upload URL is presigned by the api's S3 client, so it points at the proxy too.
    let url = created["upload"]["url"].as_str().expect("url");
    assert!(url.starts_with(&stack.faults), "{url}");
    assert_eq!(stack.put(&created, png).await, 200);
    let id = created["file"]["id"].as_str().expect("id");
    let file = stack.settled(&token, id).await;
    assert_eq!(file["status"], "accepted", "{file}");

    let c = stack.counters().await;
    for service in ["cognito-idp", "dynamodb", "s3", "sqs"] {
        let requests = count(&c, service, "requests");
        assert!(requests > 0, "{service} in {c}");
        assert_eq!(count(&c, service, "delayed"), requests, "{service}: {c}");
        // (The three queue pumps' long polls, uploads, scan results and webhook deliveries, may
        // still be on their way.)
        assert!(
            count(&c, service, "forwarded") + 3 >= requests,
            "{service}: {c}"
        );
    }
    // The presigned PUT (a query-string credential) and the worker's read (a signed header).
    assert!(count(&c, "s3", "requests") >= 2, "{c}");
    assert_eq!(c["totals"]["faults"], 0, "{c}");
    assert_eq!(c["totals"]["upstream_errors"], 0, "{c}");
    assert_eq!(
        count(&c, "unknown", "requests"),
        0,
        "every request recognised: {c}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttled_dynamodb_calls_answer_success_or_503_in_the_error_shape() {
    let stack = Arc::new(start("dynamodb:throttle=0.3,seed=7").await);
    let token = stack.user("throttled@example.com").await;

    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let (mut created, mut unavailable, mut slowest) = (Vec::new(), 0u32, Duration::ZERO);
    let mut n = 0;
    let png_len = samples::png().len();
    let mut codes = Vec::new();
    // Until the proxy has throttled plenty and the API has had to say 503 at least once (the
    // SDK's three attempts mend most throttles), within bounds.
    while n < 160 && Instant::now() < deadline {
        let c = stack.counters().await;
        if count(&c, "dynamodb", "throttle") >= 30 && unavailable >= 1 && created.len() >= 10 {
            break;
        }
        let batch: Vec<_> = (0..4)
            .map(|i| {
                let (stack, token) = (stack.clone(), token.clone());
                let name = format!("f{}.png", n + i);
                tokio::spawn(async move { stack.create(&token, &name, png_len).await })
            })
            .collect();
        for task in batch {
            let (s, b, took) = task.await.expect("a create");
            slowest = slowest.max(took);
            if s == 503 {
                unavailable += 1;
                codes.push(b["error"]["code"].as_str().unwrap_or_default().to_owned());
            } else {
                assert_eq!(s, 201, "{b}");
                created.push(b);
            }
        }
        n += 4;
    }
    let c = stack.counters().await;
    eprintln!(
        "{n} creates in {:?}: {} created, {unavailable} answered 503 {codes:?}, slowest \
         {slowest:?}; proxy: {}",
        started.elapsed(),
        created.len(),
        c["services"]["dynamodb"]
    );
    assert!(count(&c, "dynamodb", "throttle") > 0, "{c}");
    assert!(
        count(&c, "dynamodb", "forwarded") > 0,
        "not everything is throttled: {c}"
    );
    assert!(!created.is_empty(), "some creates get through");
    assert!(
        slowest < Duration::from_secs(10),
        "every answer within the request budget: {slowest:?}"
    );
    // Only DynamoDB is faulted.
    assert_eq!(
        c["totals"]["faults"], c["services"]["dynamodb"]["faults"],
        "{c}"
    );
    assert_eq!(
        count(&c, "dynamodb", "faults"),
        count(&c, "dynamodb", "throttle"),
        "{c}"
    );

    // The pipeline gets through the throttling too (the worker's failed settlements are
    // redelivered by the queue).
    let mut ids = Vec::new();
    for b in created.iter().take(3) {
        assert_eq!(stack.put(b, samples::png()).await, 200);
        ids.push(b["file"]["id"].as_str().expect("id").to_owned());
    }
    for id in &ids {
        let file = stack.settled(&token, id).await;
        assert_eq!(file["status"], "accepted", "{file}");
    }
}
