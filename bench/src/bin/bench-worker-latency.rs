//! Worker batch latency (a command, not a test): the worker's wall time for a batch of 10
//! uploads against a batch of 1, in the same run, with a fixed latency added to every AWS call
//! by the fault proxy (`dropgate_local::faults`, a stand-in for real AWS round trips).
//!
//! Starts its own emulator and provisions it, puts one fault proxy per latency (`latency=MS`)
//! in front of it, and calls `dropgate_worker::handle` in process with the worker's real `Deps`
//! (its clients go through the proxy). Every batch gets fresh files: pending records made by the
//! api's `FileService` and real PNG bytes stored with a raw `PutObject`, both straight to the
//! emulator (set-up is neither delayed nor timed). Before each batch the emulator is reset and
//! provisioned again (untimed), so every batch meets the same near-empty tables (moto's
//! transactions cost more as tables grow; `--keep-state` to see it). A batch counts only if the
//! worker reports no failure and every one of its distinct files is then `accepted`. Batches of
//! 1 and of N alternate, so both meet the same machine noise.
//!
//! Reported per latency and batch size: median, p90 and min wall time of `handle`, the CPU time
//! the emulator and this process (worker and proxy) spent during it, and the worker's AWS calls
//! per upload (the emulator's per-user-agent counts); then batch N / batch 1 for each latency,
//! and, when 0 ms is among the latencies, the time the latency adds to each batch size.
//!
//! Results and how to read them: docs/BENCHMARKS.md, "Worker batch latency".
//!
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-worker-latency -- --rounds 10

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use clap::Parser;
use dropgate_bench::stack::{calls_of, calls_words, png};
use dropgate_bench::stats::{median, percentile, sorted};
use dropgate_core::files::NewUpload;
use dropgate_core::keys::file_upload_key;
use dropgate_core::{FileId, FileStatus, OwnerId};
use dropgate_infra::Clients;
use dropgate_local::emulator::{self, Emulator};
use dropgate_local::{faults, provision};
use serde_json::{Value, json};
use tokio::sync::watch;

#[derive(Parser)]
struct Args {
    /// Timed batches of each size per latency (after one untimed warm-up batch of each).
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// The larger batch (Lambda's SQS batch size for the worker is 10).
    #[arg(long, default_value_t = 10)]
    batch: usize,
    /// Latencies added to every worker AWS call, in ms; each gets its own proxy and worker.
    #[arg(long, value_delimiter = ',', default_value = "20,50,0")]
    latency_ms: Vec<u64>,
    /// Size of each upload in bytes.
    #[arg(long, default_value_t = 1024)]
    size: usize,
    /// All files of a batch from one owner (one quota item) instead of one owner per file.
    #[arg(long)]
    one_owner: bool,
    /// Keep the emulator's state across batches instead of resetting and re-provisioning it
    /// before each one. moto copies every table a transaction names (`copy.deepcopy`, for its
    /// rollback), so each settlement then costs more as files accumulate.
    #[arg(long)]
    keep_state: bool,
}

/// The SQS event Lambda (and the local pump) hands the worker: one message per object, each
/// carrying an S3 `ObjectCreated:Put` notification as in events/sqs-s3-put.json.
fn sqs_event(bucket: &str, keys: &[String], size: usize, batch_no: usize) -> Value {
    let records: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let body = json!({"Records": [{
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": provision::REGION,
                "eventTime": "2026-01-01T00:00:05.123Z", "eventName": "ObjectCreated:Put",
                "s3": {"s3SchemaVersion": "1.0", "configurationId": "dropgate-uploads-notification",
                       "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                       "object": {"key": key, "size": size}}}]});
            json!({
                "messageId": format!("bench-{batch_no}-{i}"),
                "receiptHandle": format!("receipt-{batch_no}-{i}"),
                "body": body.to_string(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": provision::queue_arn(provision::QUEUE),
                "awsRegion": provision::REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

struct Setup {
    api: dropgate_api::Deps,
    s3: aws_sdk_s3::Client,
    bucket: String,
    size: usize,
    one_owner: bool,
    next: usize,
}

impl Setup {
    /// `n` fresh pending uploads with their objects stored; returns (owner, file id, key).
    async fn files(&mut self, n: usize) -> Vec<(OwnerId, FileId, String)> {
        let mut out = Vec::with_capacity(n);
        let batch_owner = self.next;
        for _ in 0..n {
            self.next += 1;
            let owner_no = if self.one_owner {
                batch_owner
            } else {
                self.next
            };
            let owner = OwnerId::parse(&format!("bench-owner-{owner_no}")).expect("owner id");
            let created = self
                .api
                .files
                .create_upload(
                    &owner,
                    NewUpload {
                        name: format!("f{}.png", self.next),
                        size: self.size as u64,
                        content_type: "image/png".into(),
                        owner_email: None,
                    },
                )
                .await
                .expect("create upload");
            let id = FileId::parse(&created.file.id).expect("file id");
            let key = file_upload_key(&id);
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("image/png")
                .body(png(self.size).into())
                .send()
                .await
                .expect("put object");
            out.push((owner, id, key));
        }
        out
    }

    /// Panics unless every file is accepted.
    async fn assert_accepted(&self, files: &[(OwnerId, FileId, String)]) {
        for (owner, id, _) in files {
            let f = self
                .api
                .files
                .get(owner, id.as_str())
                .await
                .expect("get file");
            assert_eq!(f.status, FileStatus::Accepted, "file {id} of {owner:?}");
        }
    }
}

/// The emulator's call counts (reset on read) for the worker: operation -> calls.
async fn worker_calls(http: &reqwest::Client, endpoint: &str) -> BTreeMap<String, u64> {
    let stats: Value = http
        .post(format!("{endpoint}/_dropgate/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats json");
    calls_of(&stats, "dropgate-worker")
}

/// CPU time (user + system, every thread) a process has used so far, from `/proc/<pid>/stat`
/// in clock ticks of 10 ms (Linux's USER_HZ); `None` off Linux.
fn cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields 14 and 15 follow its `)`.
    let mut after = stat.rsplit_once(')')?.1.split_whitespace();
    let utime: u64 = after.nth(11)?.parse().ok()?;
    let stime: u64 = after.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

#[derive(Default)]
struct Series {
    times: Vec<Duration>,
    uploads: usize,
    calls: BTreeMap<String, u64>,
    /// CPU time the emulator and this process (worker and proxy) spent inside the timed calls.
    emulator_cpu: Duration,
    bench_cpu: Duration,
}

impl Series {
    fn median(&self) -> Duration {
        median(&mut self.times.clone())
    }
    /// Nearest rank.
    fn p90(&self) -> Duration {
        percentile(&sorted(&self.times), 90.0)
    }
    fn min(&self) -> Duration {
        sorted(&self.times)[0]
    }
    fn per_batch(&self, d: Duration) -> String {
        ms(d / self.times.len() as u32)
    }
    fn calls_per_upload(&self) -> String {
        let total: u64 = self.calls.values().sum();
        format!(
            "{:.2} ({})",
            total as f64 / self.uploads as f64,
            calls_words(&self.calls)
        )
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    assert!(
        args.rounds > 0 && args.batch > 1,
        "--rounds > 0, --batch > 1"
    );
    let emu = Emulator::start(&emulator::project_root())
        .await
        .expect("emulator");
    let endpoint = emu.endpoint.clone();
    let emulator_pid = emu.pid().map(|p| p.to_string()).unwrap_or_default();
    let sdk = provision::sdk_config(&endpoint).await;
    let resources = provision::provision(&sdk, &["http://127.0.0.1".to_owned()])
        .await
        .expect("provision");
    // No API is served: the public base URL only goes into links, which nothing here makes.
    let config = dropgate_local::function_config(&resources, "http://127.0.0.1:9").expect("config");
    let setup_clients = Clients::new(&sdk, true, "dropgate-bench-setup");
    let mut setup = Setup {
        api: dropgate_api::Deps::new(&config, &setup_clients).expect("api deps"),
        s3: setup_clients.s3().clone(),
        bucket: config.bucket.clone(),
        size: args.size,
        one_owner: args.one_owner,
        next: 0,
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");

    let sizes = [1, args.batch];
    let mut results: Vec<(u64, [Series; 2])> = Vec::new();
    let mut batch_no = 0;
    for &latency in &args.latency_ms {
        let spec = faults::Spec::parse(&format!("latency={latency}")).expect("fault spec");
        let proxy = faults::FaultProxy::bind(spec, &endpoint)
            .await
            .expect("fault proxy");
        let proxy_url = proxy.url().to_owned();
        let (stop_tx, stop_rx) = watch::channel(false);
        let serving = tokio::spawn(proxy.serve(stop_rx));
        let behind = faults::behind(&sdk, &proxy_url);
        let worker =
            dropgate_worker::Deps::new(&config, &Clients::new(&behind, true, "dropgate-worker"))
                .expect("worker deps");

        let mut series = [Series::default(), Series::default()];
        // Round 0 is the warm-up (the worker's clients are built and connect on first use).
        for round in 0..=args.rounds {
            // Alternate which size goes first, so that neither always follows the other.
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for s in order {
                let n = sizes[s];
                if !args.keep_state {
                    // Empty the emulator (moto's reset) and provision it again: the same names,
                    // so the configuration and every client stay valid.
                    let r = http
                        .post(format!("{endpoint}/moto-api/reset"))
                        .send()
                        .await
                        .expect("moto reset");
                    assert!(r.status().is_success(), "moto reset: {}", r.status());
                    provision::provision(&sdk, &["http://127.0.0.1".to_owned()])
                        .await
                        .expect("provision again");
                }
                let files = setup.files(n).await;
                let distinct: HashSet<&str> = files.iter().map(|(_, id, _)| id.as_str()).collect();
                assert_eq!(distinct.len(), n, "batch of {n}: distinct files");
                let keys: Vec<String> = files.iter().map(|(_, _, k)| k.clone()).collect();
                batch_no += 1;
                let event =
                    serde_json::from_value(sqs_event(&setup.bucket, &keys, args.size, batch_no))
                        .expect("SQS event");
                worker_calls(&http, &endpoint).await;
                let (emu_cpu, own_cpu) = (cpu_time(&emulator_pid), cpu_time("self"));
                let started = Instant::now();
                let response = dropgate_worker::handle(event, &worker).await;
                let took = started.elapsed();
                let emu_cpu = cpu_time(&emulator_pid)
                    .zip(emu_cpu)
                    .map(|(b, a)| b.saturating_sub(a))
                    .unwrap_or_default();
                let own_cpu = cpu_time("self")
                    .zip(own_cpu)
                    .map(|(b, a)| b.saturating_sub(a))
                    .unwrap_or_default();
                let calls = worker_calls(&http, &endpoint).await;
                assert!(
                    response.batch_item_failures.is_empty(),
                    "batch of {n}: {} failures",
                    response.batch_item_failures.len()
                );
                setup.assert_accepted(&files).await;
                eprintln!(
                    "latency={latency} round={round} batch={n}: {} (emulator CPU {})",
                    ms(took),
                    ms(emu_cpu)
                );
                if round == 0 {
                    continue;
                }
                let sr = &mut series[s];
                sr.times.push(took);
                sr.uploads += n;
                sr.emulator_cpu += emu_cpu;
                sr.bench_cpu += own_cpu;
                for (op, c) in calls {
                    *sr.calls.entry(op).or_default() += c;
                }
            }
        }
        let counters: Value = http
            .get(format!("{proxy_url}{}", faults::COUNTERS_PATH))
            .send()
            .await
            .expect("proxy counters")
            .json()
            .await
            .expect("proxy counters json");
        // Fails only if the proxy already stopped.
        let _ = stop_tx.send(true);
        if let Err(e) = serving.await {
            eprintln!("fault proxy task: {e}");
        }
        eprintln!(
            "latency={latency}: {} batches of 1 and of {} timed; proxy totals {}",
            args.rounds, args.batch, counters["totals"]
        );
        // Every worker call went through the proxy, and with a latency each one was delayed.
        let totals = &counters["totals"];
        let worker_total: u64 = series.iter().flat_map(|s| s.calls.values()).sum();
        assert!(
            totals["requests"].as_u64().unwrap_or(0) >= worker_total && worker_total > 0,
            "the worker's calls did not all go through the proxy: {totals}"
        );
        if latency > 0 {
            assert_eq!(totals["delayed"], totals["requests"], "{totals}");
        }
        results.push((latency, series));
    }
    emu.stop().await;

    println!(
        "| added latency per AWS call | batch | median | p90 | min | per upload (median) | emulator CPU per batch | worker + proxy CPU per batch | worker AWS calls per upload |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (latency, series) in &results {
        for (s, sr) in series.iter().enumerate() {
            println!(
                "| {latency} ms | {} | {} | {} | {} | {} | {} | {} | {} |",
                sizes[s],
                ms(sr.median()),
                ms(sr.p90()),
                ms(sr.min()),
                ms(sr.median() / sizes[s] as u32),
                sr.per_batch(sr.emulator_cpu),
                sr.per_batch(sr.bench_cpu),
                sr.calls_per_upload()
            );
        }
    }
    println!();
    println!(
        "| added latency per AWS call | batch {b} / batch 1, medians | batch {b} / batch 1, p90s | goal (<= 2x) |",
        b = args.batch
    );
    println!("| ---: | ---: | ---: | --- |");
    for (latency, [one, many]) in &results {
        let ratio = many.median().as_secs_f64() / one.median().as_secs_f64();
        println!(
            "| {latency} ms | {ratio:.2}x | {:.2}x | {} |",
            many.p90().as_secs_f64() / one.p90().as_secs_f64(),
            if ratio <= 2.0 { "met" } else { "not met" }
        );
    }
    // What the latency itself costs each batch size: its median beside the 0 ms run's. A worker
    // that overlaps its objects' calls pays the same few round trips for 10 objects as for 1.
    // (Only on a reset emulator: with --keep-state each latency meets more stored files.)
    if let Some((_, [one0, many0])) = results
        .iter()
        .find(|(l, _)| *l == 0)
        .filter(|_| !args.keep_state)
    {
        println!();
        println!(
            "| added latency per AWS call | time it adds to a batch of 1 (median - 0 ms median) | to a batch of {} | in round trips of the latency, batch 1 / batch {} |",
            args.batch, args.batch
        );
        println!("| ---: | ---: | ---: | ---: |");
        for (latency, [one, many]) in results.iter().filter(|(l, _)| *l != 0) {
            let added1 = one.median().as_secs_f64() - one0.median().as_secs_f64();
            let added_n = many.median().as_secs_f64() - many0.median().as_secs_f64();
            let trips = |added: f64| added * 1000.0 / *latency as f64;
            println!(
                "| {latency} ms | {:.1} ms | {:.1} ms | {:.1} / {:.1} |",
                added1 * 1000.0,
                added_n * 1000.0,
                trips(added1),
                trips(added_n)
            );
        }
    }
}
