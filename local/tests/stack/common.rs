//! The end-to-end harness: starts the `dropgate-local` binary on free loopback ports (it starts
//! its own emulator), reads the ready line, and drives the API over HTTP as curl would. The
//! stack dies with the test (SIGKILL on drop; the emulator exits when its parent's pipe closes).

#![allow(dead_code)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const PASSWORD: &str = "Correct1horse";

pub struct LocalStack {
    pub ready: Value,
    pub api: String,
    pub aws: String,
    pub http: reqwest::Client,
    _child: Child,
}

impl LocalStack {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    pub async fn start_with(env: &[(&str, &str)]) -> Self {
        Self::start_with_args(&[], env).await
    }

    /// A stack started with extra command-line flags (`--inject-faults SPEC`, ...).
    pub async fn start_with_args(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dropgate-local"));
        cmd.args(["--listen", "127.0.0.1:0", "--janitor-every", "1"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("DROPGATE_TEST_LOGS").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true);
        // The suites written before the trash test a final delete; a test of the trash sets
        // `TRASH_DAYS` itself (a later `env` wins).
        cmd.env("TRASH_DAYS", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn dropgate-local");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(180), lines.next_line())
            .await
            .expect("ready line within 180 s")
            .expect("read stdout")
            .expect("dropgate-local exited before its ready line");
        let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let api = ready["api"].as_str().expect("api").to_owned();
        let aws = ready["aws_endpoint"]
            .as_str()
            .expect("aws_endpoint")
            .to_owned();
        assert!(api.starts_with("http://127.0.0.1:"), "{api}");
        assert!(aws.starts_with("http://127.0.0.1:"), "{aws}");
        Self {
            ready,
            api,
            aws,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            _child: child,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    pub fn resource(&self, name: &str) -> String {
        self.ready["resources"][name]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A request with an optional bearer token; returns status and JSON body (Null if empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(&body.to_string()))
            .await
    }

    /// Signs up and logs in; returns the id token.
    pub async fn user(&self, email: &str) -> String {
        let creds = json!({"email": email, "password": PASSWORD});
        let (s, b) = self.post("/auth/signup", None, creds.clone()).await;
        assert_eq!(s, 201, "{b}");
        let (s, b) = self.post("/auth/login", None, creds).await;
        assert_eq!(s, 200, "{b}");
        b["id_token"].as_str().expect("id_token").to_owned()
    }

    /// The owner id (Cognito `sub`) an id token carries: what no stranger may ever learn.
    pub fn sub_of(token: &str) -> String {
        use base64::Engine;
        let payload = token.split('.').nth(1).expect("a JWT");
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .expect("base64url claims");
        let claims: Value = serde_json::from_slice(&claims).expect("JSON claims");
        claims["sub"].as_str().expect("sub").to_owned()
    }

    /// `POST /files`; returns the whole 201 body.
    pub async fn create(&self, token: &str, name: &str, size: usize, content_type: &str) -> Value {
        let (s, b) = self
            .post(
                "/files",
                Some(token),
                json!({"name": name, "size": size, "content_type": content_type}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b
    }

    /// PUTs `bytes` exactly as a client would: the presigned URL with exactly its headers.
    pub async fn put(&self, created: &Value, bytes: Vec<u8>) -> u16 {
        let upload = &created["upload"];
        assert_eq!(upload["method"], "PUT");
        let mut req = self.http.put(upload["url"].as_str().expect("url"));
        for (k, v) in upload["headers"].as_object().expect("headers") {
            if k != "content-length" {
                req = req.header(k.as_str(), v.as_str().expect("header value"));
            }
        }
        req.body(bytes).send().await.expect("PUT").status().as_u16()
    }

    /// Creates and uploads; returns the file id.
    pub async fn upload(
        &self,
        token: &str,
        name: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> String {
        let created = self.create(token, name, bytes.len(), content_type).await;
        assert_eq!(self.put(&created, bytes.to_vec()).await, 200);
        created["file"]["id"].as_str().expect("id").to_owned()
    }

    /// Polls `GET /files/{id}` until its final word: past `pending` and `scanning` (bounded).
    pub async fn settled(&self, token: &str, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (s, b) = self.get(&format!("/files/{id}"), token).await;
            assert_eq!(s, 200, "{b}");
            if !is_judging(&b["file"]) {
                return b["file"].clone();
            }
            assert!(
                Instant::now() < deadline,
                "file {id} still being judged after 60 s: {b}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An object read straight from the emulator's S3, or None if absent.
    pub async fn raw_object(&self, key: &str) -> Option<Vec<u8>> {
        let sdk = self.sdk().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        match s3
            .get_object()
            .bucket(self.resource("bucket"))
            .key(key)
            .send()
            .await
        {
            Ok(o) => Some(o.body.collect().await.expect("body").into_bytes().to_vec()),
            Err(e) => {
                let code = e.as_service_error().map(|s| s.is_no_such_key());
                assert_eq!(code, Some(true), "GetObject {key}: {e:?}");
                None
            }
        }
    }

    /// The emulator's recorded state (sent SES mail and more).
    pub async fn moto_data(&self) -> Value {
        self.http
            .get(format!("{}/moto-api/data.json", self.aws))
            .send()
            .await
            .expect("moto data")
            .json()
            .await
            .expect("moto data JSON")
    }

    pub async fn sdk(&self) -> aws_config::SdkConfig {
        dropgate_local::provision::sdk_config(&self.aws).await
    }

    /// A new SQS queue `name` subscribed to the stack's topic with raw delivery (an operators'
    /// subscriber, straight on the emulator); returns the queue's URL.
    pub async fn subscriber(&self, name: &str) -> String {
        self.subscriber_with(name, &[]).await
    }

    /// [`LocalStack::subscriber`] with more subscription attributes (a `FilterPolicy`, ...).
    pub async fn subscriber_with(&self, name: &str, attributes: &[(&str, &str)]) -> String {
        let sdk = self.sdk().await;
        let url = aws_sdk_sqs::Client::new(&sdk)
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_owned();
        let mut subscribe = aws_sdk_sns::Client::new(&sdk)
            .subscribe()
            .topic_arn(self.resource("topic_arn"))
            .protocol("sqs")
            .endpoint(format!("arn:aws:sqs:us-east-1:123456789012:{name}"))
            .attributes("RawMessageDelivery", "true");
        for (k, v) in attributes {
            subscribe = subscribe.attributes(*k, *v);
        }
        subscribe.send().await.unwrap();
        url
    }
}

/// Whether a file (or a receipt's file) still awaits a verdict: `pending` (the type) or
/// `scanning` (the malware scan).
pub fn is_judging(file: &Value) -> bool {
    file["status"] == "pending" || file["status"] == "scanning"
}

/// One receive of up to 10 messages from `queue`, long-polling `wait_secs` seconds (0: none):
/// their bodies. Each is deleted once read, so a later receive sees only new ones.
pub async fn receive(sqs: &aws_sdk_sqs::Client, queue: &str, wait_secs: i32) -> Vec<String> {
    let out = sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_secs)
        .send()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for m in out.messages() {
        bodies.push(m.body().unwrap().to_owned());
        sqs.delete_message()
            .queue_url(queue)
            .receipt_handle(m.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    bodies
}

/// Receives from `queue` (1 s long polls, see [`receive`]) until `done` holds of every body
/// received so far, for at most `secs` seconds; returns them all.
pub async fn receive_until(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    secs: u64,
    mut done: impl FnMut(&[String]) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut bodies = Vec::new();
    while !done(&bodies) {
        assert!(
            Instant::now() < deadline,
            "after {secs} s, {} messages from {queue}, not yet all: {bodies:?}",
            bodies.len()
        );
        bodies.extend(receive(sqs, queue, 1).await);
    }
    bodies
}

/// Sample files whose first bytes `infer` recognises.
pub mod samples {
    pub fn png() -> Vec<u8> {
        let mut v =
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"
                .to_vec();
        v.extend_from_slice(&[0u8; 64]);
        v
    }
    pub fn jpeg() -> Vec<u8> {
        let mut v = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0".to_vec();
        v.extend_from_slice(&[0u8; 64]);
        v
    }
    pub fn pdf() -> Vec<u8> {
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
            .to_vec()
    }
    pub fn mp3() -> Vec<u8> {
        let mut v = b"ID3\x04\0\0\0\0\0\x0a".to_vec();
        v.extend_from_slice(&[0u8; 10]);
        v.extend_from_slice(&[0xff, 0xfb, 0x90, 0x64]);
        v.extend_from_slice(&[0u8; 128]);
        v
    }
    pub fn wav() -> Vec<u8> {
        let mut v = b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x44\xac\0\0\x88\x58\x01\0\x02\0\x10\0data\0\0\0\0".to_vec();
        v.extend_from_slice(&[0u8; 32]);
        v
    }
    pub fn elf() -> Vec<u8> {
        let mut v = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec();
        v.extend_from_slice(&[0u8; 64]);
        v
    }
    /// A DOS stub pointing at a PE header.
    pub fn pe() -> Vec<u8> {
        let mut v = vec![0u8; 256];
        v[0] = b'M';
        v[1] = b'Z';
        v[0x3c] = 0x80;
        v[0x80..0x84].copy_from_slice(b"PE\0\0");
        v
    }
    pub fn zip() -> Vec<u8> {
        let mut v = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0".to_vec();
        v.extend_from_slice(&[0u8; 64]);
        v
    }
}

/// The stack's stderr (its JSON log lines), captured as it is written.
#[derive(Clone, Default)]
pub struct Logs(std::sync::Arc<std::sync::Mutex<String>>);

impl Logs {
    pub fn text(&self) -> String {
        self.0.lock().expect("logs lock").clone()
    }

    /// The log lines that parse as JSON objects.
    pub fn json_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .collect()
    }
}

impl LocalStack {
    /// Like [`LocalStack::start_with`], with the stack's stderr captured into [`Logs`] (and
    /// echoed to this process's stderr when `DROPGATE_TEST_LOGS` is set).
    pub async fn start_capturing_logs(env: &[(&str, &str)]) -> (Self, Logs) {
        Self::start_capturing_logs_with_args(&[], env).await
    }

    /// [`LocalStack::start_capturing_logs`] with extra command-line flags.
    pub async fn start_capturing_logs_with_args(
        args: &[&str],
        env: &[(&str, &str)],
    ) -> (Self, Logs) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dropgate-local"));
        cmd.args(["--listen", "127.0.0.1:0", "--janitor-every", "1"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // The suites written before the trash test a final delete; a test of the trash sets
        // `TRASH_DAYS` itself (a later `env` wins).
        cmd.env("TRASH_DAYS", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn dropgate-local");
        let logs = Logs::default();
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        let echo = std::env::var_os("DROPGATE_TEST_LOGS").is_some();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if echo {
                    eprintln!("{line}");
                }
                let mut all = sink.0.lock().expect("logs lock");
                all.push_str(&line);
                all.push('\n');
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(180), lines.next_line())
            .await
            .expect("ready line within 180 s")
            .expect("read stdout")
            .unwrap_or_else(|| {
                panic!(
                    "dropgate-local exited before its ready line: {}",
                    logs.text()
                )
            });
        let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let api = ready["api"].as_str().expect("api").to_owned();
        let aws = ready["aws_endpoint"]
            .as_str()
            .expect("aws_endpoint")
            .to_owned();
        let stack = Self {
            ready,
            api,
            aws,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            _child: child,
        };
        (stack, logs)
    }

    /// A request without any credential, as a stranger with curl: status, headers, JSON body.
    pub async fn anonymous(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, headers, json)
    }

    /// The whole emulator state as text, for "this never appears anywhere" checks.
    pub async fn moto_text(&self) -> String {
        self.http
            .get(format!("{}/moto-api/data.json", self.aws))
            .send()
            .await
            .expect("moto data")
            .text()
            .await
            .expect("moto data text")
    }

    /// Polls `probe` every 200 ms until it returns `Some`, for at most `secs` seconds.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, secs: u64, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {secs} s waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The stack's mails (the emulator's SES store) whose body contains `needle`.
    pub async fn mails_about(&self, needle: &str) -> Vec<Value> {
        let text = self.moto_text().await;
        let data: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("emulator state is not JSON ({e}): {:.600}", text));
        data["ses"]["Message"]
            .as_array()
            .map(|ms| {
                ms.iter()
                    .filter(|m| m["body"].as_str().is_some_and(|b| b.contains(needle)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The upload-log entries of the owner of `token` about file `id`: their events, in the
    /// log's order (`upload.accepted`, `upload.rejected`, ...).
    pub async fn log_events(&self, token: &str, id: &str) -> Vec<String> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let ddb = aws_sdk_dynamodb::Client::new(&self.sdk().await);
        let table = self.ready["resources"]["tables"]["upload_log"]
            .as_str()
            .expect("upload_log table in the ready line")
            .to_owned();
        let mut events = Vec::new();
        let mut start = None;
        loop {
            let out = ddb
                .query()
                .table_name(&table)
                .key_condition_expression("#o = :o")
                .expression_attribute_names("#o", "owner")
                .expression_attribute_values(":o", AttributeValue::S(Self::sub_of(token)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("query the upload log");
            for item in out.items() {
                if item.get("file_id").and_then(|v| v.as_s().ok()) == Some(&id.to_owned()) {
                    let event = item["event"].as_s().expect("event").clone();
                    events.push(event);
                }
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                return events;
            }
        }
    }
}
