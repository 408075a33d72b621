//! The measurements: each function's package size, and its cold init, timed from exec of its
//! bootstrap to its first request for an invocation on a Runtime API served here, with what
//! Lambda gives a function in its environment and nothing of this process's.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use dropgate_bench::runtime_api;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::mpsc;

/// The empty lambda_runtime function the others' cold init is compared with.
pub const BASELINE: &str = "hello-lambda";

pub const CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

struct Function {
    bin: &'static str,
    required_env: &'static [&'static str],
}

fn functions() -> Vec<Function> {
    vec![
        Function {
            bin: "api",
            required_env: dropgate_api::REQUIRED_ENV,
        },
        Function {
            bin: "auth",
            required_env: dropgate_api::AUTH_REQUIRED_ENV,
        },
        Function {
            bin: "worker",
            required_env: dropgate_worker::REQUIRED_ENV,
        },
        Function {
            bin: "janitor",
            required_env: dropgate_janitor::REQUIRED_ENV,
        },
        Function {
            bin: "notifier",
            required_env: dropgate_notifier::REQUIRED_ENV,
        },
        Function {
            bin: "deliverer",
            required_env: dropgate_deliverer::REQUIRED_ENV,
        },
        Function {
            bin: BASELINE,
            required_env: &[],
        },
    ]
}

/// Dummy values, shaped like the real ones, for the variables a handler requires.
fn dummy(var: &str) -> Option<&'static str> {
    Some(match var {
        "BUCKET_NAME" => "dropgate-uploads-123456789012",
        "FILES_TABLE" => "dropgate-files",
        "QUOTAS_TABLE" => "dropgate-quotas",
        "UPLOAD_LOG_TABLE" => "dropgate-upload-log",
        "LINKS_TABLE" => "dropgate-links",
        "RATE_LIMIT_TABLE" => "dropgate-rate-limits",
        "SHARES_TABLE" => "dropgate-shares",
        "DOWNLOAD_LOG_TABLE" => "dropgate-download-log",
        "TOPIC_ARN" => "arn:aws:sns:us-east-1:123456789012:dropgate-events",
        "USER_POOL_ID" => "us-east-1_Bench0001",
        "USER_POOL_CLIENT_ID" => "4q0bench1client2id3abcd",
        "MAIL_SENDER" => "dropgate@example.com",
        "SCAN_PLAN_ARN" => "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/bench",
        "API_KEYS_TABLE" => "dropgate-api-keys",
        "AUDIT_TABLE" => "dropgate-audit",
        "EVENT_BUS_NAME" => "dropgate-events",
        "TOKEN_KEY" => "0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "WEBHOOKS_TABLE" => "dropgate-webhooks",
        "WEBHOOK_QUEUE_URL" => {
            "https://sqs.us-east-1.amazonaws.com/123456789012/dropgate-deliveries"
        }
        _ => return None,
    })
}

/// One function: its sizes and the starts timed.
pub struct Row {
    function: Function,
    pub bin: &'static str,
    pub zip_bytes: u64,
    /// The x86_64 bootstrap whose starts are timed.
    pub bootstrap_bytes: u64,
    /// Where that bootstrap runs from: a copy, absolute.
    bootstrap: PathBuf,
    pub init: Vec<Duration>,
    /// The same starts with the CA trust store cut down to one certificate (diagnosis).
    pub init_one_ca: Vec<Duration>,
}

/// Each function's package size, and its x86_64 bootstrap copied under `scratch`, where it will
/// run from. Sizes first: they need nothing running.
pub fn packages(
    lambda_dir: &Path,
    x86_dir: &Path,
    scratch: &Path,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    for function in functions() {
        let f = &function;
        let zip = lambda_dir.join(f.bin).join("bootstrap.zip");
        let zip_bytes = std::fs::metadata(&zip)
            .map_err(|e| {
                format!(
                    "{}: {e}; build the packages first: scripts/build-lambdas.sh --bench",
                    zip.display()
                )
            })?
            .len();
        let bootstrap = x86_dir.join(f.bin).join("bootstrap");
        if !bootstrap.is_file() {
            return Err(format!(
                "{} is missing; build it first: scripts/build-lambdas.sh --bench",
                bootstrap.display()
            )
            .into());
        }
        // Each bootstrap runs from a copy in a directory of its own (LAMBDA_TASK_ROOT), as Lambda
        // runs it from the package it unpacked: every binary, the baseline's included, is then a
        // file freshly written the same way. Timed where cargo-lambda left them, identical
        // binaries started 0.2 to 0.3 ms slower than copies of them (likely how the page cache
        // holds a file as its writer wrote it), which moved the ratios by up to 0.17x.
        let task_root = scratch.join("task").join(f.bin);
        std::fs::create_dir_all(&task_root)?;
        let copy = task_root.join("bootstrap");
        let bootstrap_bytes = std::fs::copy(&bootstrap, &copy)?;
        rows.push(Row {
            bin: f.bin,
            zip_bytes,
            bootstrap_bytes,
            // Absolute: each bootstrap runs in its own directory.
            bootstrap: std::fs::canonicalize(&copy)?,
            init: Vec::new(),
            init_one_ca: Vec::new(),
            function,
        });
    }
    Ok(rows)
}

/// Times `runs` starts of each row's bootstrap (after one warm-up start that is not counted),
/// and as many with a trust store of one certificate when this machine has a CA bundle.
pub async fn cold_inits(
    rows: &mut [Row],
    runs: usize,
    timeout: Duration,
    scratch: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let (api, mut rx) = serve_runtime_api().await?;
    // An empty HOME: no ~/.aws files, as on Lambda.
    let home = scratch.join("home");
    std::fs::create_dir_all(&home)?;
    let lambda_env = vec![("HOME", home.clone())];
    // Diagnosis: the same starts with the TLS trust store (which the AWS SDK's HTTPS client loads
    // at start: the system bundle and every file of the certificate directory) cut down to one
    // certificate, to show what this machine's store costs.
    let one_ca_env = match one_ca_certificate() {
        Some(pem) => {
            let file = scratch.join("one-ca.pem");
            let dir = scratch.join("no-certs");
            std::fs::write(&file, pem)?;
            std::fs::create_dir_all(&dir)?;
            Some(vec![
                ("HOME", home.clone()),
                ("SSL_CERT_FILE", file),
                ("SSL_CERT_DIR", dir),
            ])
        }
        None => None,
    };
    eprintln!("runtime API on {api}; {runs} starts of each bootstrap (+1 warm-up), interleaved");
    // Interleaved, so that whatever else the machine does at a moment hits every function alike.
    for run in 0..=runs {
        for row in rows.iter_mut() {
            let d = cold_init(row, &api, &mut rx, &lambda_env, timeout).await?;
            let d_one_ca = match &one_ca_env {
                Some(env) => Some(cold_init(row, &api, &mut rx, env, timeout).await?),
                None => None,
            };
            if run > 0 {
                row.init.push(d);
                row.init_one_ca.extend(d_one_ca);
            }
        }
    }
    Ok(())
}

/// Serves `GET /2018-06-01/runtime/invocation/next` on a free loopback port: reports the instant
/// each request arrives and never hands out an invocation (the bench kills the process first).
async fn serve_runtime_api() -> std::io::Result<(String, mpsc::UnboundedReceiver<Instant>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().route(
        runtime_api::NEXT_INVOCATION,
        get(move || {
            let at = Instant::now();
            let tx = tx.clone();
            async move {
                // Fails only once the bench stopped listening: nothing left to tell.
                let _ = tx.send(at);
                // Long enough for the bench to kill the caller; bounded so nothing lingers.
                tokio::time::sleep(Duration::from_secs(30)).await;
                StatusCode::SERVICE_UNAVAILABLE
            }
        }),
    );
    let addr = runtime_api::serve(app).await?;
    Ok((addr, rx))
}

/// One start: exec to the first request for an invocation.
async fn cold_init(
    row: &Row,
    api: &str,
    rx: &mut mpsc::UnboundedReceiver<Instant>,
    extra_env: &[(&str, PathBuf)],
    timeout: Duration,
) -> Result<Duration, String> {
    let (f, bootstrap) = (&row.function, row.bootstrap.as_path());
    while rx.try_recv().is_ok() {}
    let name = format!("dropgate-{}", f.bin);
    let mut cmd = Command::new(bootstrap);
    cmd.env_clear()
        .current_dir(bootstrap.parent().unwrap_or(Path::new(".")))
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", &name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/01/01/[$LATEST]bench")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("_HANDLER", "bootstrap")
        .env(
            "LAMBDA_TASK_ROOT",
            bootstrap.parent().unwrap_or(Path::new(".")),
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIABENCHEXAMPLE0001")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "benchSecretKeyExampleNotARealKey00000001",
        )
        .env("AWS_SESSION_TOKEN", "bench-session-token")
        .env("TZ", ":UTC")
        // As template.yaml sets it in the `aws` partition (the layer's /opt/partitions.json).
        .env("SMITHY_CLIENT_SDK_CUSTOM_PARTITION", partitions_file())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for var in f.required_env {
        let value = dummy(var).ok_or_else(|| format!("{}: no dummy value for {var}", f.bin))?;
        cmd.env(var, value);
    }
    cmd.envs(extra_env.iter().map(|(k, v)| (k, v)));

    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{}: cannot run {}: {e}", f.bin, bootstrap.display()))?;
    let outcome = tokio::select! {
        at = rx.recv() => at.map(|at| at.saturating_duration_since(started)).ok_or_else(|| "the runtime API stopped".to_owned()),
        status = child.wait() => {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                // Best effort: the report says what was read, if anything.
                let _ = e.read_to_string(&mut stderr).await;
            }
            let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
            Err(format!("{} exited ({status}) before asking for an invocation: {}", f.bin, stderr.trim()))
        }
        _ = tokio::time::sleep(timeout) => Err(format!("{}: no request for an invocation within {timeout:?}", f.bin)),
    };
    if let Err(e) = child.kill().await {
        eprintln!("{}: cannot stop the bootstrap: {e}", f.bin);
    }
    outcome
}

/// The first certificate of the system's CA bundle, for the diagnosis run.
fn one_ca_certificate() -> Option<String> {
    CA_BUNDLES
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .and_then(|bundle| {
            let end = "-----END CERTIFICATE-----";
            let start = bundle.find("-----BEGIN CERTIFICATE-----")?;
            let stop = bundle[start..].find(end)? + start + end.len();
            Some(format!("{}\n", &bundle[start..stop]))
        })
}

/// The functions' partitions table, which the template's PartitionsLayer mounts at /opt.
fn partitions_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/partitions/partitions.json")
}
