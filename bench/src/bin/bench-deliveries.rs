//! Webhook delivery benchmark (a command, not a test), on the local stack started in process:
//!
//! 1. **Latency and throughput.** N outbox entries (`link.created`, written straight into the
//!    upload log, as the api's transactions write them) for one owner whose webhook points at a
//!    receiver on loopback that answers `204` at once. Per event: the time from the entry's
//!    `at` to the receiver's reading of the request (just before it answers 2xx), p50/p99, and
//!    events/s from the first entry to the last receipt. Beside it, the same events' SNS
//!    publication: an SQS queue subscribed to the topic (raw delivery), each message's
//!    `SentTimestamp` (when the emulator's SNS handed it on) against the same `at`.
//! 2. **A dead endpoint.** Two owners: A's webhook answers at once; B's receiver first answers
//!    at once too, then accepts connections and never answers (each attempt runs into the
//!    deliverer's 10 s timeout). A's p50/p99 over M events interleaved one for one with M of
//!    B's while B's receiver answers, then over M more interleaved with M of B's while it is
//!    dead: the same load through the notifier, same run. Beside it, how many requests B's dead
//!    receiver got (the stall window lets one through per window).
//!
//! Results and how to read them: docs/BENCHMARKS.md, "Webhook deliveries".
//!
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-deliveries -- --events 1000

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use chrono::{DateTime, Utc};
use clap::Parser;
use dropgate_bench::stats::{percentile, sorted};
use dropgate_core::notify::{EventType, LifecycleEntry, LinkFacts, Subject};
use dropgate_core::{LinkId, OwnerId};
use dropgate_infra::dynamo::outbox_lifecycle::lifecycle_item;
use dropgate_local::{Options, Stack, provision, scanner};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Parser)]
struct Args {
    /// Events to one receiver (part 1; 0 skips it).
    #[arg(long, default_value_t = 1000)]
    events: usize,
    /// Events of each owner in part 2 (A alone, then A and B interleaved).
    #[arg(long, default_value_t = 200)]
    isolation_events: usize,
    /// Part 2 open loop: write the entries one at a time at this many a second (A's and B's
    /// together) instead of all at once; below the notifier's pace, A's latency is then its
    /// delivery's rather than its place in the backlog.
    #[arg(long)]
    rate: Option<f64>,
    /// Part 2's control: B's receiver keeps answering in the second phase, so that the ratio
    /// shows what the second phase costs by coming second (the emulator's state grows).
    #[arg(long)]
    control: bool,
    /// How long to wait for every event of a phase to arrive.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
}

/// When each event id reached the receiver.
type Arrivals = Arc<Mutex<HashMap<String, DateTime<Utc>>>>;

/// A receiver on `127.0.0.1:<free port>`: while `answer` is true it answers 204 at once, while
/// false it reads the request and never answers (holding the connection open). Keeps each
/// event's first arrival, and counts requests.
struct Receiver {
    url: String,
    arrivals: Arrivals,
    answer: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
}

async fn receiver(answer: bool) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let arrivals: Arrivals = Arc::default();
    let answer = Arc::new(AtomicBool::new(answer));
    let requests = Arc::new(AtomicUsize::new(0));
    let (sink, answers, count) = (arrivals.clone(), answer.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (sink, answers, count) = (sink.clone(), answers.clone(), count.clone());
            tokio::spawn(async move {
                let Some(id) = read_id(&mut sock).await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                sink.lock().unwrap().entry(id).or_insert_with(Utc::now);
                if answers.load(Ordering::SeqCst) {
                    let ok = "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n";
                    let _ = sock.write_all(ok.as_bytes()).await;
                    let _ = sock.shutdown().await;
                } else {
                    // Never answers; the deliverer gives up after its timeout.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
            });
        }
    });
    Receiver {
        url: format!("http://127.0.0.1:{port}/hook"),
        arrivals,
        answer,
        requests,
    }
}

/// The `webhook-id` header of one request (the event's id), once its head is read.
async fn read_id(sock: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf);
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("webhook-id"))
        .map(|(_, v)| v.trim().to_owned())
}

fn sub_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .expect("base64url claims");
    let claims: Value = serde_json::from_slice(&claims).expect("JSON claims");
    claims["sub"].as_str().expect("sub").to_owned()
}

struct Bench {
    stack: Stack,
    dynamo: aws_sdk_dynamodb::Client,
    sqs: aws_sdk_sqs::Client,
    http: reqwest::Client,
    seq: usize,
}

impl Bench {
    /// The emulator's call counts (`/_dropgate/stats`); `reset` starts them again from zero.
    async fn stats(&self, reset: bool) -> Value {
        dropgate_bench::stack::emulator_stats(&self.http, &self.stack.ready.aws_endpoint, reset)
            .await
    }

    async fn register(&self, token: &str, url: &str) {
        let r = self
            .http
            .post(format!("{}/webhooks", self.stack.ready.api))
            .bearer_auth(token)
            .json(&json!({"url": url, "events": ["link.created"]}))
            .send()
            .await
            .expect("POST /webhooks");
        assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);
    }

    /// Writes one `link.created` entry per owner in `owners` (in that order) into the upload
    /// log, 25 to a BatchWriteItem, each with its write's time; returns each entry's id and
    /// time, with its owner's position.
    async fn write(&mut self, owners: &[&OwnerId]) -> Vec<(usize, String, DateTime<Utc>)> {
        let order: Vec<(usize, &OwnerId)> = owners.iter().copied().enumerate().collect();
        let mut out = Vec::new();
        for chunk in order.chunks(25) {
            out.extend(self.write_batch(chunk).await);
        }
        out
    }

    /// As [`Bench::write`], but open loop at `rate` entries a second: entry `i` is written
    /// (alone) at `i / rate` seconds from the first, whatever became of the ones before, so
    /// that below the notifier's pace an event's latency is its delivery, not its place in a
    /// backlog. A write that falls behind its time is made at once (its `at` is its write's).
    async fn write_paced(
        &mut self,
        owners: &[&OwnerId],
        rate: f64,
    ) -> Vec<(usize, String, DateTime<Utc>)> {
        let start = tokio::time::Instant::now();
        let mut out = Vec::new();
        for (i, owner) in owners.iter().copied().enumerate() {
            tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / rate)).await;
            out.extend(self.write_batch(&[(i, owner)]).await);
        }
        out
    }

    /// One BatchWriteItem of `chunk`'s entries (at most 25), all at the time of the write.
    async fn write_batch(
        &mut self,
        chunk: &[(usize, &OwnerId)],
    ) -> Vec<(usize, String, DateTime<Utc>)> {
        let table = self.stack.ready.resources.tables.upload_log.clone();
        let mut out = Vec::new();
        let at = Utc::now();
        let mut writes = Vec::new();
        for &(i, owner) in chunk {
            self.seq += 1;
            let e = LifecycleEntry {
                id: format!(
                    "{}#bench{:06}#link.created",
                    dropgate_core::time::rfc3339(at),
                    self.seq
                ),
                event: EventType::LinkCreated,
                owner: owner.clone(),
                at,
                subject: Subject::Link(LinkFacts {
                    link: LinkId::parse(&format!("bench{:06}", self.seq)).expect("id"),
                    label: "bench".into(),
                    max_uploads: 10,
                    uploads_used: 0,
                    expires_at: at + chrono::TimeDelta::days(1),
                }),
            };
            let put = PutRequest::builder()
                .set_item(Some(lifecycle_item(&e)))
                .build()
                .expect("put");
            writes.push(WriteRequest::builder().put_request(put).build());
            out.push((i, e.id, at));
        }
        let mut pending = Some(writes);
        while let Some(w) = pending.take() {
            let r = self
                .dynamo
                .batch_write_item()
                .request_items(&table, w)
                .send()
                .await
                .expect("BatchWriteItem");
            pending = r
                .unprocessed_items
                .and_then(|mut u| u.remove(&table))
                .filter(|u| !u.is_empty());
        }
        out
    }
}

/// Waits until `arrivals` holds every id of `ids`; panics after `timeout`.
async fn all_arrived(arrivals: &Arrivals, ids: &[&String], timeout: Duration) {
    let start = Instant::now();
    loop {
        let n = {
            let got = arrivals.lock().unwrap();
            ids.iter().filter(|i| got.contains_key(**i)).count()
        };
        if n == ids.len() {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "{n} of {} arrived in {timeout:?}",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Latencies (arrival - entry time) of `entries` whose arrival is known.
fn latencies(
    entries: &[&(usize, String, DateTime<Utc>)],
    arrived: &HashMap<String, DateTime<Utc>>,
) -> Vec<Duration> {
    sorted(
        &entries
            .iter()
            .filter_map(|(_, id, at)| {
                arrived
                    .get(id)
                    .map(|t| (*t - *at).to_std().unwrap_or_default())
            })
            .collect::<Vec<_>>(),
    )
}

/// Drains the SNS subscriber queue until it holds every id of `ids`: each id's SentTimestamp.
async fn sns_times(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    ids: &[&String],
    timeout: Duration,
) -> HashMap<String, DateTime<Utc>> {
    let start = Instant::now();
    let mut got = HashMap::new();
    while ids.iter().any(|i| !got.contains_key(*i)) {
        assert!(
            start.elapsed() < timeout,
            "SNS: {} of {}",
            got.len(),
            ids.len()
        );
        let out = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::SentTimestamp,
            )
            .send()
            .await
            .expect("receive");
        for m in out.messages() {
            let body: Value = serde_json::from_str(m.body().unwrap_or("{}")).unwrap_or_default();
            let sent = m
                .attributes()
                .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::SentTimestamp))
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(DateTime::from_timestamp_millis);
            if let (Some(id), Some(sent)) = (body["id"].as_str(), sent) {
                got.entry(id.to_owned()).or_insert(sent);
            }
            if let Some(h) = m.receipt_handle() {
                let _ = sqs
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(h)
                    .send()
                    .await;
            }
        }
    }
    got
}

/// A table row: count, p50, p99, max, and the throughput over `span` when given.
fn row(name: &str, lat: &[Duration], span: Option<Duration>) {
    let rate = span
        .map(|s| format!(" {:.0} /s |", lat.len() as f64 / s.as_secs_f64().max(1e-9)))
        .unwrap_or_default();
    row_with(name, lat, &rate);
}

/// A table row: count, p50, p99, max, then `more` (cells, each ending in `|`).
fn row_with(name: &str, lat: &[Duration], more: &str) {
    println!(
        "| {name} | {} | {} | {} | {} |{}",
        lat.len(),
        ms(percentile(lat, 50.0)),
        ms(percentile(lat, 99.0)),
        ms(lat.last().copied().unwrap_or_default()),
        more
    );
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    // The stack's own log lines (JSON, on stderr) only when asked: `RUST_LOG=warn` shows what
    // failed and was retried.
    if std::env::var_os("RUST_LOG").is_some() {
        dropgate_infra::logging::init();
    }
    let timeout = Duration::from_secs(args.timeout_secs);
    let stack = Stack::start(Options {
        listen: "127.0.0.1:0".into(),
        scanner: scanner::Mode::Off,
        allow_loopback_webhooks: true,
        // Not in the delivery path: a run (about 0.2 s of the emulator's, every 30 s by
        // default) would land in one phase or the other by chance.
        janitor_every: Duration::from_secs(24 * 3600),
        ..Options::default()
    })
    .await
    .expect("local stack");
    let sdk = provision::sdk_config(&stack.ready.aws_endpoint).await;
    let http = reqwest::Client::new();
    let api = stack.ready.api.clone();
    let pw = "bench-Password-1";
    let a_token = dropgate_bench::stack::log_in(&http, &api, "bench-a@example.com", pw).await;
    let b_token = dropgate_bench::stack::log_in(&http, &api, "bench-b@example.com", pw).await;
    let a = OwnerId::parse(&sub_of(&a_token)).expect("owner");
    let b = OwnerId::parse(&sub_of(&b_token)).expect("owner");
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let queue = sqs
        .create_queue()
        .queue_name("bench-sns")
        .send()
        .await
        .expect("queue")
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    // Part 1's SNS subscriber: unsubscribed after it, so that part 2's phases do not fill a
    // queue nobody reads (the second phase would publish into a fuller one).
    let sns = aws_sdk_sns::Client::new(&sdk);
    let subscription = sns
        .subscribe()
        .topic_arn(&stack.ready.resources.topic_arn)
        .protocol("sqs")
        .endpoint(format!(
            "arn:aws:sqs:{}:123456789012:bench-sns",
            provision::REGION
        ))
        .attributes("RawMessageDelivery", "true")
        .return_subscription_arn(true)
        .send()
        .await
        .expect("subscribe")
        .subscription_arn
        .unwrap_or_default();
    let mut bench = Bench {
        dynamo: aws_sdk_dynamodb::Client::new(&sdk),
        stack,
        sqs,
        http,
        seq: 0,
    };
    let a_receiver = receiver(true).await;
    let b_receiver = receiver(true).await;
    bench.register(&a_token, &a_receiver.url).await;
    bench.register(&b_token, &b_receiver.url).await;
    let good = &a_receiver.arrivals;

    // 1. One receiver, N events; SNS of the same events (`--events 0` skips it).
    if args.events > 0 {
        let owners: Vec<&OwnerId> = (0..args.events).map(|_| &a).collect();
        let t0 = Utc::now();
        let written = bench.write(&owners).await;
        let wrote = (Utc::now() - t0).to_std().unwrap_or_default();
        let ids: Vec<&String> = written.iter().map(|(_, id, _)| id).collect();
        all_arrived(good, &ids, timeout).await;
        let sns = sns_times(&bench.sqs, &queue, &ids, timeout).await;
        let arrived = good.lock().unwrap().clone();
        let all: Vec<&(usize, String, DateTime<Utc>)> = written.iter().collect();
        let hook_lat = latencies(&all, &arrived);
        let sns_lat = latencies(&all, &sns);
        let span = |times: &HashMap<String, DateTime<Utc>>| {
            let last = ids
                .iter()
                .filter_map(|i| times.get(*i))
                .max()
                .copied()
                .unwrap_or(t0);
            (last - t0).to_std().unwrap_or_default()
        };
        println!("## 1. {} events, one receiver\n", args.events);
        println!("| path | events | p50 | p99 | max | throughput |");
        println!("| --- | --- | --- | --- | --- | --- |");
        row("outbox -> webhook 2xx", &hook_lat, Some(span(&arrived)));
        row("outbox -> SNS publication", &sns_lat, Some(span(&sns)));
        // The bulk's rate: 99% of the events, to the arrival that completed them.
        let bulk = |times: &HashMap<String, DateTime<Utc>>| {
            let mut at: Vec<DateTime<Utc>> =
                ids.iter().filter_map(|i| times.get(*i)).copied().collect();
            at.sort();
            let k = (at.len() * 99 / 100).max(1);
            let end = at.get(k - 1).copied().unwrap_or(t0);
            k as f64
                / (end - t0)
                    .to_std()
                    .unwrap_or_default()
                    .as_secs_f64()
                    .max(1e-9)
        };
        println!(
            "\nWrites of the {} entries took {:.1} s; 99% of the events arrived at {:.0} /s \
             (webhook) and {:.0} /s (SNS).",
            args.events,
            wrote.as_secs_f64(),
            bulk(&arrived),
            bulk(&sns)
        );
    }

    sns.unsubscribe()
        .subscription_arn(&subscription)
        .send()
        .await
        .expect("unsubscribe");

    // 2. A interleaved with B, B's receiver answering; then the same with it dead.
    let m = args.isolation_events;
    let mixed_owners: Vec<&OwnerId> = (0..2 * m)
        .map(|i| if i % 2 == 0 { &a } else { &b })
        .collect();
    // Each phase's AWS calls, per function and operation, from its first write to A's last
    // arrival (what the emulator served while A's events went through).
    let phase = async |bench: &mut Bench| {
        bench.stats(true).await;
        let started = Instant::now();
        let mixed = match args.rate {
            Some(rate) => bench.write_paced(&mixed_owners, rate).await,
            None => bench.write(&mixed_owners).await,
        };
        let (a_mixed, b_mixed): (Vec<_>, Vec<_>) = mixed.iter().partition(|(i, _, _)| i % 2 == 0);
        let a_ids: Vec<&String> = a_mixed.iter().map(|(_, id, _)| id).collect();
        all_arrived(good, &a_ids, timeout).await;
        let calls = bench.stats(false).await;
        let took = started.elapsed();
        let b_ids: Vec<String> = b_mixed.iter().map(|(_, id, _)| id.clone()).collect();
        (
            latencies(&a_mixed, &good.lock().unwrap()),
            b_ids,
            (calls, took),
        )
    };
    let (healthy, b_ids, healthy_calls) = phase(&mut bench).await;
    // Every one of B's arrives before B's receiver goes dead: nothing of this phase is left.
    all_arrived(
        &b_receiver.arrivals,
        &b_ids.iter().collect::<Vec<_>>(),
        timeout,
    )
    .await;
    b_receiver.answer.store(args.control, Ordering::SeqCst);
    let before = b_receiver.requests.load(Ordering::SeqCst);
    let (dead, _, dead_calls) = phase(&mut bench).await;
    let dead_requests = b_receiver.requests.load(Ordering::SeqCst) - before;
    let p99 = |l: &[Duration]| percentile(l, 99.0).as_secs_f64();
    let second = if args.control {
        "B's receiver answering again (control)"
    } else {
        "B's receiver dead"
    };
    let written = match args.rate {
        Some(r) => format!("written one at a time at {r} /s"),
        None => "written at once, 25 to a write".to_owned(),
    };
    println!("\n## 2. Owner A's deliveries, {m} events, interleaved with {m} of B's ({written})\n");
    println!("| A's events | events | p50 | p99 | max | first write to A's last arrival |");
    println!("| --- | --- | --- | --- | --- | --- |");
    row_with(
        "B's receiver answering",
        &healthy,
        &format!(" {} |", ms(healthy_calls.1)),
    );
    row_with(second, &dead, &format!(" {} |", ms(dead_calls.1)));
    println!(
        "\nA's p99 in the second phase / in the first: {:.2}x (the bar, B dead: at most 1.10x). \
         B's receiver got {dead_requests} requests for its {m} events of the second phase.",
        p99(&dead) / p99(&healthy).max(1e-9),
    );
    dropgate_bench::stack::calls_table(
        "AWS calls from a phase's first write to A's last arrival",
        ["B's receiver answering", second],
        &healthy_calls.0,
        &dead_calls.0,
    );
    bench.stack.stop().await;
}
