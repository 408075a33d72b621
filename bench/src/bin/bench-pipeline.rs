//! Pipeline benchmark (a command, not a test): pushes N uploads through the local stack and
//! reports end-to-end uploads/s beside the emulator's raw PutObject/s measured in the same run,
//! the AWS calls the worker makes per accepted upload, the bytes it reads per object, and the
//! worker's peak memory (the real `worker` bootstrap, fed by a minimal Lambda Runtime API).
//!
//! cargo build --release -p dropgate-worker --bin worker
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-pipeline -- --uploads 200

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use dropgate_bench::runtime_api;
use dropgate_bench::stack::{self, calls_of, calls_words, png};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

#[derive(Parser)]
struct Args {
    /// Uploads pushed end to end (and raw PutObjects for the baseline).
    #[arg(long, default_value_t = 200)]
    uploads: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Size of each upload in bytes.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// Size of the large object, in MiB.
    #[arg(long, default_value_t = 100)]
    big_mib: usize,
    /// The worker's Lambda bootstrap (a release build of the `worker` bin) for the memory figure.
    #[arg(long, default_value = "target/release/worker")]
    worker_bin: String,
}

/// The object key inside a presigned URL (path-style: `/<bucket>/<key>?<signature>`).
fn object_key(url: &str) -> &str {
    url.split("/dropgate-uploads/")
        .nth(1)
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default()
}

struct Bench {
    http: reqwest::Client,
    api: String,
    aws: String,
    token: String,
}

impl Bench {
    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.api))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.expect("json")
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.api))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("json")
    }

    /// POST /files then PUT the bytes to the presigned URL; returns (file id, key).
    async fn upload(&self, name: &str, bytes: Vec<u8>) -> (String, String) {
        let created = self
            .post(
                "/files",
                json!({"name": name, "size": bytes.len(), "content_type": "image/png"}),
            )
            .await;
        let up = &created["upload"];
        let mut req = self.http.put(up["url"].as_str().expect("url"));
        for (k, v) in up["headers"].as_object().expect("headers") {
            if k != "content-length" {
                req = req.header(k.as_str(), v.as_str().expect("value"));
            }
        }
        let status = req.body(bytes).send().await.expect("PUT").status();
        assert!(status.is_success(), "PUT {status}");
        let url = up["url"].as_str().unwrap_or_default();
        let key = object_key(url);
        (
            created["file"]["id"].as_str().expect("id").to_owned(),
            key.to_owned(),
        )
    }

    async fn wait_accepted(&self, id: &str) {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let f = self.get(&format!("/files/{id}")).await;
            match f["file"]["status"].as_str() {
                Some("pending" | "scanning") => {}
                Some("accepted") => return,
                other => panic!("file {id} ended {other:?}"),
            }
            assert!(Instant::now() < deadline, "file {id} still pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stats(&self, reset: bool) -> Value {
        stack::emulator_stats(&self.http, &self.aws, reset).await
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let stack = stack::start().await;
    let ready = stack.ready.clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let token = stack::log_in(&http, &ready.api, "bench@example.com", "Correct1horse").await;
    let bench = Arc::new(Bench {
        http,
        api: ready.api.clone(),
        aws: ready.aws_endpoint.clone(),
        token,
    });

    // Baseline: the emulator's raw PutObject rate, same size, same concurrency, no pipeline.
    let s3 = stack::s3_client(&ready.aws_endpoint).await;
    let sem = Arc::new(Semaphore::new(args.concurrency));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..args.uploads {
        let (s3, sem, bucket, body) = (
            s3.clone(),
            sem.clone(),
            ready.resources.bucket.clone(),
            png(args.size),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.expect("permit");
            s3.put_object()
                .bucket(bucket)
                .key(format!("bench/raw/{i}"))
                .body(body.into())
                .send()
                .await
                .expect("put");
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let raw_rate = args.uploads as f64 / started.elapsed().as_secs_f64();

    // End to end: POST /files + PUT, then the pipeline accepts every one.
    bench.stats(true).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..args.uploads {
        let (bench, sem, size) = (bench.clone(), sem.clone(), args.size);
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.expect("permit");
            bench.upload(&format!("f{i}.png"), png(size)).await
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let want = (args.uploads * args.size) as u64;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let q = bench.get("/quota").await;
        if q["used_bytes"].as_u64() == Some(want) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pipeline did not accept every upload: {q}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let e2e_rate = args.uploads as f64 / started.elapsed().as_secs_f64();
    let stats = bench.stats(true).await;
    let worker_calls = calls_of(&stats, "dropgate-worker");
    let total_calls: u64 = worker_calls.values().sum();

    // Bytes read per object: a 1 KiB and a large object.
    let mut read = Vec::new();
    for (label, size) in [("1 KiB", 1024), ("large", args.big_mib * 1024 * 1024)] {
        bench.stats(true).await;
        let (id, _) = bench.upload(&format!("{label}.png"), png(size)).await;
        bench.wait_accepted(&id).await;
        let s = bench.stats(true).await;
        read.push((
            label,
            size,
            s["s3_get_bytes"]["dropgate-worker"].as_u64().unwrap_or(0),
        ));
    }

    // The worker's peak memory: the release bootstrap deciding a batch of ten pending files,
    // the large one among them, fed through a minimal Lambda Runtime API. Their bytes go to a
    // bucket without notifications, so the stack's own worker does not decide them first.
    let side_bucket = "dropgate-bench-memory";
    s3.create_bucket()
        .bucket(side_bucket)
        .send()
        .await
        .expect("side bucket");
    let mut keys = Vec::new();
    for i in 0..10 {
        let size = if i == 9 {
            args.big_mib * 1024 * 1024
        } else {
            args.size
        };
        let created = bench
            .post(
                "/files",
                json!({"name": format!("m{i}.png"), "size": size, "content_type": "image/png"}),
            )
            .await;
        let url = created["upload"]["url"].as_str().unwrap_or_default();
        let key = object_key(url);
        s3.put_object()
            .bucket(side_bucket)
            .key(key)
            .body(png(size).into())
            .send()
            .await
            .expect("put");
        keys.push(key.to_owned());
    }
    let peak = worker_peak_rss(&args.worker_bin, &ready, side_bucket, &keys).await;

    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| uploads | {} x {} B, {} in flight |",
        args.uploads, args.size, args.concurrency
    );
    println!("| emulator raw PutObject/s | {raw_rate:.1} |");
    println!("| end-to-end uploads/s (POST /files + PUT + accepted) | {e2e_rate:.1} |");
    println!("| end-to-end / raw | {:.2} |", e2e_rate / raw_rate);
    println!(
        "| worker AWS calls per accepted upload | {:.2} ({}) |",
        total_calls as f64 / args.uploads as f64,
        calls_words(&worker_calls)
    );
    for (label, size, bytes) in &read {
        println!("| bytes read by the worker, {label} object ({size} B) | {bytes} |");
    }
    match peak {
        Some(kib) => println!(
            "| worker peak RSS, batch of 10 incl. {} MiB | {:.1} MiB |",
            args.big_mib,
            kib as f64 / 1024.0
        ),
        None => println!(
            "| worker peak RSS | not measured ({} missing) |",
            args.worker_bin
        ),
    }
    stack.stop().await;
}

/// Runs the worker bootstrap against a one-shot Runtime API and returns its VmHWM in KiB.
async fn worker_peak_rss(
    bin: &str,
    ready: &dropgate_local::Ready,
    bucket: &str,
    keys: &[String],
) -> Option<u64> {
    use axum::routing::{get, post};
    if !std::path::Path::new(bin).exists() {
        return None;
    }
    let records: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let body = json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": k.replace('/', "%2F")}}}]});
            json!({"messageId": format!("m{i}"), "receiptHandle": "r", "body": body.to_string(),
                   "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:dropgate-uploads", "awsRegion": "us-east-1"})
        })
        .collect();
    let event = json!({"Records": records}).to_string();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<String>(1);
    let served = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let app = axum::Router::new()
        .route(
            runtime_api::NEXT_INVOCATION,
            get(move || {
                let (event, served) = (event.clone(), served.clone());
                async move {
                    if served.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        // One invocation only: later polls wait until the process is killed.
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                    (
                        [
                            ("lambda-runtime-aws-request-id", "bench-1"),
                            ("lambda-runtime-deadline-ms", "99999999999999"),
                            (
                                "lambda-runtime-invoked-function-arn",
                                "arn:aws:lambda:us-east-1:123456789012:function:worker",
                            ),
                            ("content-type", "application/json"),
                        ],
                        event,
                    )
                }
            }),
        )
        .route(
            runtime_api::INVOCATION_RESPONSE,
            post(move |body: String| {
                let done = done_tx.clone();
                async move {
                    // Fails only once the bench stopped listening: nothing left to tell.
                    let _ = done.send(body).await;
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        );
    let runtime = runtime_api::serve(app).await.ok()?;
    let mut config = dropgate_local::function_config(&ready.resources, &ready.api).ok()?;
    config.bucket = bucket.to_owned();
    let mut cmd = tokio::process::Command::new(bin);
    cmd.envs(config.to_env())
        .env("AWS_LAMBDA_RUNTIME_API", runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", "worker")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_FORMAT", "json")
        .env("AWS_ENDPOINT_URL", &ready.aws_endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().ok()?;
    let pid = child.id()?;
    let response = tokio::time::timeout(Duration::from_secs(120), done_rx.recv())
        .await
        .ok()??;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    if let Err(e) = child.kill().await {
        eprintln!("cannot stop the worker bootstrap (pid {pid}): {e}");
    }
    let failures = serde_json::from_str::<Value>(&response).ok()?["batchItemFailures"]
        .as_array()
        .map(Vec::len);
    assert_eq!(failures, Some(0), "worker response: {response}");
    eprintln!("worker bootstrap answered: {response}");
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}
