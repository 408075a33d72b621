//! The local stack as the end-to-end benches drive it: started on a free port, an account
//! logged in, the emulator's S3, PNG bytes to upload, and the AWS calls the emulator counted.

use std::collections::BTreeMap;

use dropgate_local::{Options, Stack};
use serde_json::{Value, json};

/// The whole local stack (emulator, provisioning, functions, API) on a free port.
pub async fn start() -> Stack {
    Stack::start(Options {
        listen: "127.0.0.1:0".into(),
        ..Options::default()
    })
    .await
    .expect("local stack")
}

/// Signs `email` up on the API at `api` and logs it in; returns its ID token.
pub async fn log_in(http: &reqwest::Client, api: &str, email: &str, password: &str) -> String {
    let creds = json!({"email": email, "password": password});
    let r = http
        .post(format!("{api}/auth/signup"))
        .json(&creds)
        .send()
        .await
        .expect("signup");
    assert!(r.status().is_success(), "signup: {}", r.status());
    log_in_only(http, api, email, password).await
}

/// Logs an existing account in on the API at `api` (a fresh token, e.g. once it is an admin).
pub async fn log_in_only(http: &reqwest::Client, api: &str, email: &str, password: &str) -> String {
    let creds = json!({"email": email, "password": password});
    let login: Value = http
        .post(format!("{api}/auth/login"))
        .json(&creds)
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login json");
    login["id_token"].as_str().expect("token").to_owned()
}

/// An S3 client for the emulator at `endpoint` (path-style addressing, as it needs).
pub async fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let sdk = dropgate_local::provision::sdk_config(endpoint).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

/// A PNG signature and header, padded with zeros to `size` bytes: what the worker accepts.
pub fn png(size: usize) -> Vec<u8> {
    let mut v =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    v.resize(size, 0);
    v
}

/// The emulator's call counts (`/_dropgate/stats` at `aws`); `reset` starts them again from
/// zero.
pub async fn emulator_stats(http: &reqwest::Client, aws: &str, reset: bool) -> Value {
    let url = format!("{aws}/_dropgate/stats");
    let req = if reset { http.post(url) } else { http.get(url) };
    req.send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats json")
}

/// The calls one user agent (`dropgate-worker`, ...) made, operation -> count, from the
/// emulator's `/_dropgate/stats` answer.
pub fn calls_of(stats: &Value, agent: &str) -> BTreeMap<String, u64> {
    stats["calls"][agent]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// Calls in words: `BatchGetItem: 10, S3 GET: 10`.
pub fn calls_words(calls: &BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Two phases' AWS calls (`/_dropgate/stats` answers, `columns` their names) side by side as
/// a markdown table under `heading`, per function and operation, then each function's, each
/// service's and the emulator's totals.
pub fn calls_table(heading: &str, columns: [&str; 2], first: &Value, second: &Value) {
    let counts = |v: &Value| -> BTreeMap<(String, String), u64> {
        let mut out = BTreeMap::new();
        for (function, ops) in v["calls"].as_object().into_iter().flatten() {
            for (op, n) in ops.as_object().into_iter().flatten() {
                out.insert((function.clone(), op.clone()), n.as_u64().unwrap_or(0));
            }
        }
        out
    };
    let (a, d) = (counts(first), counts(second));
    let keys: std::collections::BTreeSet<&(String, String)> = a.keys().chain(d.keys()).collect();
    println!("\n### {heading}\n");
    println!("| function | operation | {} | {} |", columns[0], columns[1]);
    println!("| --- | --- | --- | --- |");
    let mut totals: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (function, op) in keys {
        let key = (function.clone(), op.clone());
        let (x, y) = (
            a.get(&key).copied().unwrap_or(0),
            d.get(&key).copied().unwrap_or(0),
        );
        println!("| {function} | {op} | {x} | {y} |");
        for t in [function.clone(), "all".to_owned()] {
            let e = totals.entry(t).or_default();
            e.0 += x;
            e.1 += y;
        }
        let service = op.split('.').next().unwrap_or(op);
        let e = totals.entry(format!("all {service}")).or_default();
        e.0 += x;
        e.1 += y;
    }
    for (what, (x, y)) in totals {
        println!("| {what} | total | {x} | {y} |");
    }
}
