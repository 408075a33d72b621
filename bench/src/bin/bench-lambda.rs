//! Lambda packages and cold init (a command, not a test: nothing here asserts, it reports).
//!
//! 1. The size of each function's deployment package, `target/lambda/<bin>/bootstrap.zip`
//!    (arm64, as deployed), against a budget of 4 MB.
//! 2. The cold init of each function: the time from exec of its bootstrap to its first
//!    `GET /2018-06-01/runtime/invocation/next` on a minimal Lambda Runtime API that this command
//!    serves on 127.0.0.1, median of `--runs` starts, beside an empty lambda_runtime function
//!    (`hello-lambda`) built the same way, against a budget of 1.3x that baseline. The arm64
//!    binaries cannot run on an x86_64 machine, so this part runs the x86_64 builds of the same
//!    code and profile (`target/lambda-x86_64/<bin>/bootstrap`, each run from a fresh copy in a
//!    directory of its own); the table says so.
//!
//! Each start gets what Lambda gives a function (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_*,
//! AWS_REGION, credentials as environment variables: fake ones, nothing is called) and dummy
//! values for the variables its handler requires, and nothing of this process's environment.
//!
//! scripts/build-lambdas.sh --bench
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-lambda -- --runs 50 --write docs/BENCHMARKS.md

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use clap::Parser;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::sync::mpsc;

const ZIP_BUDGET_BYTES: u64 = 4_000_000;
// Cold init within 1.3x of a bare function's, reachable once no function builds unused clients.
const INIT_BUDGET_RATIO: f64 = 1.3;
const BASELINE: &str = "hello-lambda";
const SECTION: &str = "## Lambda packages and cold init";

#[derive(Parser)]
struct Args {
    /// Starts of each bootstrap (after one warm-up start that is not counted).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Where scripts/build-lambdas.sh puts the arm64 packages.
    #[arg(long, default_value = "target/lambda")]
    lambda_dir: PathBuf,
    /// Where scripts/build-lambdas.sh --bench puts the x86_64 builds.
    #[arg(long, default_value = "target/lambda-x86_64")]
    x86_dir: PathBuf,
    /// Give up on a start that has not asked for an invocation after this many seconds.
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,
    /// Also write the results into this markdown file, under "## Lambda packages and cold init"
    /// (that section replaced or appended; the rest of the file left as it is).
    #[arg(long)]
    write: Option<PathBuf>,
}

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
        _ => return None,
    })
}

/// Serves `GET /2018-06-01/runtime/invocation/next` on a free loopback port: reports the instant
/// each request arrives and never hands out an invocation (the bench kills the process first).
async fn runtime_api() -> std::io::Result<(String, mpsc::UnboundedReceiver<Instant>)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/2018-06-01/runtime/invocation/next",
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("runtime API stopped: {e}");
        }
    });
    Ok((addr, rx))
}

/// One start: exec to the first request for an invocation.
async fn cold_init(
    f: &Function,
    bootstrap: &Path,
    api: &str,
    rx: &mut mpsc::UnboundedReceiver<Instant>,
    extra_env: &[(&str, PathBuf)],
    timeout: Duration,
) -> Result<Duration, String> {
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

fn median(xs: &mut [Duration]) -> Duration {
    xs.sort();
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "pass" } else { "FAIL" }
}

fn command_line(cmd: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(cmd).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = command_line("uname", &["-sr"]).unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), {kernel}, {}",
        std::env::consts::ARCH
    )
}

struct Row {
    bin: &'static str,
    zip_bytes: u64,
    /// The x86_64 bootstrap whose starts are timed.
    bootstrap_bytes: u64,
    init: Vec<Duration>,
    /// The same starts with the CA trust store cut down to one certificate (diagnosis).
    init_one_ca: Vec<Duration>,
}

const CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];
const CA_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

/// This machine's trust store, in words: the bundle, its certificates, the directory's entries.
fn trust_store() -> String {
    let bundle = CA_BUNDLES.iter().find_map(|p| {
        let text = std::fs::read_to_string(p).ok()?;
        Some(format!(
            "`{p}` ({} certificates)",
            text.matches("-----BEGIN CERTIFICATE-----").count()
        ))
    });
    let dir = CA_DIRS.iter().find_map(|d| {
        let n = std::fs::read_dir(d).ok()?.count();
        Some(format!("`{d}/` ({n} entries)"))
    });
    match (bundle, dir) {
        (Some(b), Some(d)) => format!("{b} and {d}"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => "none found".into(),
    }
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let fns = functions();
    let timeout = Duration::from_secs(args.timeout_secs);

    let scratch = std::env::temp_dir().join(format!("bench-lambda-{}", std::process::id()));
    // Sizes first: they need nothing running.
    let mut rows = Vec::new();
    let mut bootstraps = Vec::new();
    for f in &fns {
        let zip = args.lambda_dir.join(f.bin).join("bootstrap.zip");
        let zip_bytes = std::fs::metadata(&zip)
            .map_err(|e| {
                format!(
                    "{}: {e}; build the packages first: scripts/build-lambdas.sh --bench",
                    zip.display()
                )
            })?
            .len();
        let bootstrap = args.x86_dir.join(f.bin).join("bootstrap");
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
        // Absolute: each bootstrap runs in its own directory.
        bootstraps.push(std::fs::canonicalize(&copy)?);
        rows.push(Row {
            bin: f.bin,
            zip_bytes,
            bootstrap_bytes,
            init: Vec::new(),
            init_one_ca: Vec::new(),
        });
    }

    let (api, mut rx) = runtime_api().await?;
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
    eprintln!(
        "runtime API on {api}; {} starts of each bootstrap (+1 warm-up), interleaved",
        args.runs
    );
    // Interleaved, so that whatever else the machine does at a moment hits every function alike.
    for run in 0..=args.runs {
        for ((f, row), bootstrap) in fns.iter().zip(rows.iter_mut()).zip(&bootstraps) {
            let d = cold_init(f, bootstrap, &api, &mut rx, &lambda_env, timeout).await?;
            let d_one_ca = match &one_ca_env {
                Some(env) => Some(cold_init(f, bootstrap, &api, &mut rx, env, timeout).await?),
                None => None,
            };
            if run > 0 {
                row.init.push(d);
                row.init_one_ca.extend(d_one_ca);
            }
        }
    }
    if let Err(e) = std::fs::remove_dir_all(&scratch) {
        eprintln!("cannot remove {}: {e}", scratch.display());
    }

    let mut medians = BTreeMap::new();
    let mut medians_one_ca = BTreeMap::new();
    for row in &mut rows {
        medians.insert(row.bin, median(&mut row.init));
        if !row.init_one_ca.is_empty() {
            medians_one_ca.insert(row.bin, median(&mut row.init_one_ca));
        }
    }
    let baseline = medians[BASELINE];

    let mut table = String::new();
    table.push_str(&format!(
        "| function | package (arm64 zip) | size budget (4 MB) | cold init, median (x86_64) | min | p90 | vs hello-lambda | init budget ({INIT_BUDGET_RATIO}x) |\n"
    ));
    table.push_str("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |\n");
    let mut all_pass = true;
    for row in &rows {
        let m = medians[row.bin];
        let ratio = m.as_secs_f64() / baseline.as_secs_f64();
        let is_baseline = row.bin == BASELINE;
        let size_ok = row.zip_bytes <= ZIP_BUDGET_BYTES;
        let init_ok = ratio <= INIT_BUDGET_RATIO;
        if !is_baseline {
            all_pass &= size_ok && init_ok;
        }
        table.push_str(&format!(
            "| `{}` | {} ({} bytes) | {} | {} ms | {} ms | {} ms | {:.2}x | {} |\n",
            row.bin,
            mb(row.zip_bytes),
            row.zip_bytes,
            if is_baseline {
                "(baseline)"
            } else {
                verdict(size_ok)
            },
            ms(m),
            ms(row.init[0]),
            ms(percentile(&row.init, 90.0)),
            ratio,
            if is_baseline {
                "(baseline)"
            } else {
                verdict(init_ok)
            },
        ));
    }

    let diagnosis = medians_one_ca.get(BASELINE).map(|&base| {
        let mut t = String::from(
            "| function | cold init, median | same, trust store of one certificate | difference | vs hello-lambda (one certificate) |\n\
             | --- | ---: | ---: | ---: | ---: |\n",
        );
        for row in &rows {
            let (m, m1) = (medians[row.bin], medians_one_ca[row.bin]);
            t.push_str(&format!(
                "| `{}` | {} ms | {} ms | {} ms | {:.2}x |\n",
                row.bin,
                ms(m),
                ms(m1),
                ms(m.saturating_sub(m1)),
                m1.as_secs_f64() / base.as_secs_f64(),
            ));
        }
        t
    });

    println!("{table}");
    if let Some(d) = &diagnosis {
        println!(
            "Diagnosis: the same starts with SSL_CERT_FILE = one certificate, SSL_CERT_DIR empty:\n"
        );
        println!("{d}");
    }
    println!(
        "Package sizes: the arm64 zips that are deployed. Cold init: the x86_64 builds of the same \
         code and profile (arm64 cannot run on this {} machine), median of {} starts each.",
        std::env::consts::ARCH,
        args.runs
    );
    println!("Budgets: {}", if all_pass { "all pass" } else { "FAILED" });

    if let Some(path) = &args.write {
        let section = section(
            &table,
            diagnosis.as_deref(),
            &size_ratios(&rows),
            &args,
            all_pass,
        );
        write_section(path, &section)?;
        eprintln!("wrote {SECTION:?} into {}", path.display());
    }
    Ok(())
}

/// How much larger the functions' bootstraps are than the baseline's, in words.
fn size_ratios(rows: &[Row]) -> String {
    let base = rows
        .iter()
        .find(|r| r.bin == BASELINE)
        .map_or(1, |r| r.bootstrap_bytes.max(1)) as f64;
    let ratios = rows
        .iter()
        .filter(|r| r.bin != BASELINE)
        .map(|r| r.bootstrap_bytes as f64 / base);
    let (lo, hi) = ratios.fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if (hi - lo) < 0.05 {
        format!("{hi:.1} times")
    } else {
        format!("{lo:.1} to {hi:.1} times")
    }
}

fn section(
    table: &str,
    diagnosis: Option<&str>,
    size_ratios: &str,
    args: &Args,
    all_pass: bool,
) -> String {
    let commit = command_line("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_default();
    let date = command_line("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
    let cargo_lambda = command_line(".venv-build/bin/cargo-lambda", &["lambda", "--version"])
        .unwrap_or_else(|| "cargo-lambda (requirements-build.txt)".into());
    let rustc = command_line("rustc", &["--version"]).unwrap_or_default();
    let runs = args.runs;
    let mut parts = vec![
        SECTION.to_owned(),
        wrap(&format!(
            "Measured on {date} at commit `{commit}`, on {}; {rustc}, {cargo_lambda}.",
            machine()
        )),
        format!(
            "```sh\nscripts/build-lambdas.sh --bench\n\
             cargo run --profile bench-fast -p dropgate-bench --bin bench-lambda -- --runs {runs} \
             --write docs/BENCHMARKS.md\n```"
        ),
        wrap(
            "The first command builds, with cargo-lambda and the workspace's release profile \
             (opt-level \"s\", fat LTO, one codegen unit, stripped, panic = abort), the five \
             functions and `hello-lambda` (an empty `lambda_runtime` function, the baseline) for \
             arm64, zipped as deployed (`target/lambda/<bin>/bootstrap.zip`), and the same six \
             for x86_64 (`target/lambda-x86_64/<bin>/bootstrap`).",
        ),
        wrap(&format!(
            "The second reports the zips' sizes and measures cold init: the time from exec of a \
             bootstrap (a fresh copy in a directory of its own, as Lambda runs the one it \
             unpacked from the package) to its first `GET /2018-06-01/runtime/invocation/next` on a minimal Lambda \
             Runtime API that the bench serves on 127.0.0.1, with Lambda's environment variables, \
             fake credentials, `AWS_REGION=us-east-1`, an empty `HOME`, \
             `SMITHY_CLIENT_SDK_CUSTOM_PARTITION` at `infra/partitions/partitions.json` (as \
             template.yaml sets it in the `aws` partition) and dummy values for the \
             variables each handler requires (so its configuration check passes; nothing calls \
             AWS). **Cold init is measured on the x86_64 builds**: the arm64 binaries cannot run \
             on this x86_64 machine. Starts are interleaved across the six binaries, {runs} \
             counted per binary after one warm-up start; min and p90 beside the median."
        )),
        table.trim_end().to_owned(),
        wrap(&format!(
            "Budgets: package <= 4 MB (4,000,000 bytes) per function; cold init <= \
             {INIT_BUDGET_RATIO}x hello-lambda's median. Result: **{}**.",
            if all_pass {
                "all pass"
            } else {
                "FAILED (see the table)"
            }
        )),
    ];
    if let Some(d) = diagnosis {
        parts.push(wrap(
            "The system's TLS trust store no longer counts: the functions trust only the five \
             roots AWS endpoints chain to, bundled in `infra/certs/` (`infra/src/aws.rs`); with \
             the SDK's default they parsed the whole system store at start, about 2.1 ms here. \
             The same starts (interleaved with the ones above) with `SSL_CERT_FILE` pointing at \
             one certificate and `SSL_CERT_DIR` at an empty directory, to show it:",
        ));
        parts.push(d.trim_end().to_owned());
        parts.push(wrap(&format!(
            "The machine's store here: {}. `hello-lambda` loads no certificates: its difference \
             is what starting second, right after the same binary, gives by itself. What is left \
             of the gap to hello-lambda is the \
             functions' own start: binaries {size_ratios} larger (page faults; the x86_64 \
             bootstraps timed here), the SDK's \
             configuration loader, and one SDK client per service the handler uses (built once \
             per cold start: DynamoDB and S3 for the api, the worker and the janitor; Cognito \
             for auth; DynamoDB, SNS and SES for the notifier).",
            trust_store()
        )));
    }
    parts.join("\n\n") + "\n"
}

/// Prose wrapped at 100 columns, as the other docs are.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 100 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

/// Replaces the section (its heading up to the next `## ` heading) or appends it; the rest of
/// the file is left as it is.
fn write_section(path: &Path, section: &str) -> std::io::Result<()> {
    let old = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Benchmarks\n\nBenchmark commands live in `bench/` (not tests: they report, they do \
             not assert).\n"
                .to_owned()
        }
        Err(e) => return Err(e),
    };
    let new = match old.find(&format!("{SECTION}\n")) {
        Some(start) => {
            let after = start + SECTION.len();
            let end = old[after..]
                .find("\n## ")
                .map_or(old.len(), |i| after + i + 1);
            let tail = &old[end..];
            let sep = if tail.is_empty() { "" } else { "\n" };
            format!("{}{section}{sep}{tail}", &old[..start])
        }
        None => format!("{}\n\n{section}", old.trim_end_matches('\n')),
    };
    std::fs::write(path, new)
}

/// The functions' partitions table, which the template's PartitionsLayer mounts at /opt.
fn partitions_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/partitions/partitions.json")
}
