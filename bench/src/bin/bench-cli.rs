//! CLI upload benchmark (a command, not a test): the `dropgate` client puts a large file (in
//! parts, N at a time) to the local stack over loopback, alternating with one plain PutObject of
//! the same bytes straight to the emulator (the `aws s3 cp` equivalent, streamed from the file).
//! Reports MiB/s of each, the ratio CLI / PutObject and the client's peak RSS.
//!
//! The CLI's time runs from spawning `dropgate put FILE --json --wait 0` to its exit: the
//! upload, including creating the file and completing the multipart upload, not the verdict.
//! Its peak RSS is the child's `ru_maxrss`, from `wait4` on its pid (exact, that process only).
//!
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-cli -- --mib 1024 --rounds 2

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use clap::Parser;
use dropgate_bench::stack;
use serde_json::Value;

#[derive(Parser)]
struct Args {
    /// File size in MiB.
    #[arg(long, default_value_t = 1024)]
    mib: u64,
    /// Rounds (each: one PutObject, then one CLI put per --parallel setting).
    #[arg(long, default_value_t = 2)]
    rounds: usize,
    /// The CLI's --parallel settings, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "4")]
    parallel: Vec<u16>,
    /// The `dropgate` binary; default: built now with the bench-fast profile.
    #[arg(long)]
    cli: Option<PathBuf>,
}

const EMAIL: &str = "bench-cli@example.com";
const PASSWORD: &str = "Correct1horse";

/// `cargo build --profile bench-fast -p dropgate-cli`; the binary lands beside this one.
fn build_cli() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--profile", "bench-fast", "-p", "dropgate-cli"])
        .args(["--bin", "dropgate"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building the CLI failed");
    let me = std::env::current_exe().expect("current exe");
    me.with_file_name("dropgate")
}

/// Plain text of numbered lines, exactly `bytes` long.
fn write_file(path: &Path, bytes: u64) {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("create"));
    let (mut written, mut i) = (0u64, 0u64);
    while written < bytes {
        let line = format!("line {i:012} of a large text file\n");
        let take = line.len().min((bytes - written) as usize);
        out.write_all(&line.as_bytes()[..take]).expect("write");
        written += take as u64;
        i += 1;
    }
    out.flush().expect("flush");
}

/// Runs the command to its exit: (wall time, stdout, exit code, peak RSS in KiB).
// Reaped by wait4 below, which std's Child cannot do (it has no rusage).
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command, stderr: &Path) -> (Duration, String, i32, u64) {
    let stderr = std::fs::File::create(stderr).expect("stderr file");
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut out = String::new();
    stdout.read_to_string(&mut out).expect("read stdout");
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    // SAFETY: the pid is our child's, not yet reaped (std's Child never waited for it).
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(pid, child.id() as i32, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux reports ru_maxrss in KiB.
    (elapsed, out, code, usage.ru_maxrss as u64)
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    /// Waits until the pipeline settled the file, then deletes it (the emulator keeps it in RAM).
    async fn settle_and_delete(&self, id: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(900);
        let status = loop {
            let f: Value = self
                .http
                .get(format!("{}/files/{id}", self.base))
                .bearer_auth(&self.token)
                .send()
                .await
                .expect("GET /files/{id}")
                .json()
                .await
                .expect("json");
            match f["file"]["status"].as_str() {
                Some("pending") if Instant::now() < deadline => {}
                other => break other.unwrap_or("?").to_owned(),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let r = self
            .http
            .delete(format!("{}/files/{id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("DELETE");
        assert!(
            r.status().is_success(),
            "DELETE /files/{id}: {}",
            r.status()
        );
        status
    }
}

impl Api {
    /// Settles and deletes every file of the account (what a failed put left).
    async fn clear(&self) {
        let list: Value = self
            .http
            .get(format!("{}/files", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET /files")
            .json()
            .await
            .expect("json");
        for f in list["files"].as_array().into_iter().flatten() {
            self.settle_and_delete(f["id"].as_str().expect("id")).await;
        }
    }
}

fn mib_s(mib: u64, d: Duration) -> f64 {
    mib as f64 / d.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let cli = args.cli.clone().unwrap_or_else(build_cli);
    let stack = stack::start().await;
    let ready = stack.ready.clone();
    let dir = std::env::temp_dir().join(format!("dropgate-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("big.txt");
    write_file(&file, args.mib << 20);

    // An account, the CLI logged in (its config in the temp dir), and a token for the API.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let token = stack::log_in(&http, &ready.api, EMAIL, PASSWORD).await;
    let api = Api {
        http,
        base: ready.api.clone(),
        token,
    };
    let config = dir.join("config");
    let mut login = Command::new(&cli)
        .env("DROPGATE_CONFIG_DIR", &config)
        .args([
            "--api",
            &ready.api,
            "login",
            "--email",
            EMAIL,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("dropgate login");
    writeln!(login.stdin.take().expect("stdin"), "{PASSWORD}").expect("password");
    assert!(login.wait().expect("login").success(), "dropgate login");

    let s3 = stack::s3_client(&ready.aws_endpoint).await;
    let bucket = ready.resources.bucket.clone();

    // (parallel, baseline time, CLI time, CLI peak KiB) per CLI run.
    let mut runs = Vec::new();
    let mut failed = Vec::new();
    for round in 1..=args.rounds {
        for &parallel in &args.parallel {
            // Baseline: one PutObject, outside uploads/ so the pipeline ignores it.
            let started = Instant::now();
            s3.put_object()
                .bucket(&bucket)
                .key("bench/baseline")
                .body(ByteStream::from_path(&file).await.expect("body"))
                .send()
                .await
                .expect("PutObject");
            let base = started.elapsed();
            s3.delete_object()
                .bucket(&bucket)
                .key("bench/baseline")
                .send()
                .await
                .expect("DeleteObject");

            let log = dir.join("put.log");
            let mut cmd = Command::new(&cli);
            cmd.env("DROPGATE_CONFIG_DIR", &config)
                .args(["put", "--json", "--wait", "0", "--parallel"])
                .arg(parallel.to_string())
                .arg(&file)
                .stdin(Stdio::null());
            let (took, out, code, peak) =
                tokio::task::spawn_blocking(move || run_measured(&mut cmd, &log))
                    .await
                    .expect("cli task");
            if code != 0 {
                // Counted, not measured; whatever the run left is deleted before the next.
                let log = std::fs::read_to_string(dir.join("put.log")).unwrap_or_default();
                let last = log.lines().last().unwrap_or_default();
                eprintln!(
                    "round {round}, --parallel {parallel}: dropgate put exited {code}: {last}"
                );
                api.clear().await;
                failed.push(parallel);
                continue;
            }
            let report: Value = serde_json::from_str(&out).expect("JSON report");
            let entry = &report["files"][0];
            let id = entry["file"]["id"].as_str().expect("file id");
            let verdict = api.settle_and_delete(id).await;
            eprintln!(
                "round {round}, --parallel {parallel}: PutObject {:.1} s ({:.0} MiB/s), CLI {:.1} s ({:.0} MiB/s, {} parts, {:.1} MiB peak RSS), verdict {verdict}",
                base.as_secs_f64(),
                mib_s(args.mib, base),
                took.as_secs_f64(),
                mib_s(args.mib, took),
                entry["part_count"],
                peak as f64 / 1024.0,
            );
            runs.push((parallel, base, took, peak));
        }
    }

    println!(
        "| file | --parallel | PutObject MiB/s | CLI MiB/s | CLI / PutObject | CLI peak RSS | failed puts |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for &parallel in &args.parallel {
        let mine: Vec<_> = runs.iter().filter(|r| r.0 == parallel).collect();
        let n = mine.len() as u32;
        let fails = failed.iter().filter(|&&p| p == parallel).count();
        if n == 0 {
            println!("| {} MiB | {parallel} | | | | | {fails} |", args.mib);
            continue;
        }
        let base = mine.iter().map(|r| r.1).sum::<Duration>() / n;
        let took = mine.iter().map(|r| r.2).sum::<Duration>() / n;
        let peak = mine.iter().map(|r| r.3).max().unwrap_or(0);
        println!(
            "| {} MiB | {parallel} | {:.0} | {:.0} | {:.2} | {:.1} MiB | {fails} |",
            args.mib,
            mib_s(args.mib, base),
            mib_s(args.mib, took),
            base.as_secs_f64() / took.as_secs_f64(),
            peak as f64 / 1024.0,
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    stack.stop().await;
}
