//! Audit export benchmark (a command, not a test): the local stack (in this process) holds an
//! audit log of N entries, and an admin exports it over HTTP as `dropgate admin audit export`
//! does, page by page to a file; then the file is verified offline. Reports the export's time
//! and pages, and this process's resident memory (the local stack's, plus a page in flight)
//! before, at its highest during, and after the export: flat when the export streams.
//!
//! The log is seeded straight into the table (a precomputed chain, in batches), not through the
//! API: the bench measures the export, not 100,000 appends.
//!
//! cargo test --workspace --all-targets --no-run && target/debug/bench-audit-export --entries 100000

use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;

use aws_sdk_dynamodb::types::{AttributeValue as Av, PutRequest, WriteRequest};
use clap::Parser;
use dropgate_bench::{docs, stack};
use dropgate_core::audit::{Actor, ActorKind, AuditEntry, AuditEvent, Head, Verifier};
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Entries in the log.
    #[arg(long, default_value_t = 100_000)]
    entries: u64,
    /// Write the result into docs/BENCHMARKS.md.
    #[arg(long)]
    write_docs: bool,
}

const EMAIL: &str = "bench-audit@example.com";
const PASSWORD: &str = "Correct1horse";

/// This process's resident set now, in KiB (`VmRSS`).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn item(e: &AuditEntry) -> HashMap<String, Av> {
    let s = |v: &str| Av::S(v.to_owned());
    HashMap::from([
        (
            "stream".to_owned(),
            s(&dropgate_infra::dynamo::audit::entry_stream(e.seq)),
        ),
        ("seq".to_owned(), s(&format!("{:020}", e.seq))),
        ("at".to_owned(), s(&e.at)),
        ("actor_id".to_owned(), s(&e.actor.id)),
        ("actor_kind".to_owned(), s(e.actor.kind.as_str())),
        ("action".to_owned(), s(&e.action)),
        ("target_kind".to_owned(), s(&e.target.kind)),
        ("target_id".to_owned(), s(&e.target.id)),
        (
            "target".to_owned(),
            s(&format!("{}:{}", e.target.kind, e.target.id)),
        ),
        ("detail".to_owned(), s(&e.detail.to_string())),
        ("prev_hash".to_owned(), s(&e.prev_hash)),
        ("hash".to_owned(), s(&e.hash)),
    ])
}

async fn seed(ddb: &aws_sdk_dynamodb::Client, table: &str, n: u64) {
    let mut head = Head::genesis();
    let mut batches: Vec<Vec<WriteRequest>> = Vec::new();
    let mut batch = Vec::new();
    for i in 1..=n {
        let event = AuditEvent::new(
            Actor {
                id: format!("0193aaaa-0000-7000-8000-{:012}", i % 7),
                kind: ActorKind::Admin,
            },
            "user.quota_changed",
            "user",
            &format!("0b5e2f6a-1c1d-4e7e-9a8b-{i:012}"),
            json!({"quota_bytes": i * 1024, "previous_bytes": 5_368_709_120u64}),
        );
        let e = AuditEntry::link(&head, event, "2026-12-04T12:00:00.000Z".into());
        head = e.head();
        let put = PutRequest::builder()
            .set_item(Some(item(&e)))
            .build()
            .expect("put");
        batch.push(WriteRequest::builder().put_request(put).build());
        if batch.len() == 25 {
            batches.push(std::mem::take(&mut batch));
        }
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    let chunks: Vec<_> = batches
        .chunks(batches.len().div_ceil(8).max(1))
        .map(<[_]>::to_vec)
        .collect();
    let writers = chunks.into_iter().map(|chunk| {
        let ddb = ddb.clone();
        let table = table.to_owned();
        tokio::spawn(async move {
            for b in chunk {
                let mut pending = b;
                while !pending.is_empty() {
                    let out = ddb
                        .batch_write_item()
                        .request_items(&table, pending)
                        .send()
                        .await
                        .expect("BatchWriteItem");
                    pending = out
                        .unprocessed_items
                        .and_then(|mut m| m.remove(&table))
                        .unwrap_or_default();
                }
            }
        })
    });
    for w in writers {
        w.await.expect("writer");
    }
    ddb.put_item()
        .table_name(table)
        .item("stream", Av::S("head".into()))
        .item("seq", Av::S(format!("{:020}", 0)))
        .item("last_seq", Av::N(head.seq.to_string()))
        .item("last_hash", Av::S(head.hash))
        .send()
        .await
        .expect("head");
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    // The functions' log lines (the cause of a 503, say) on stderr, when asked for.
    if std::env::var_os("DROPGATE_BENCH_LOGS").is_some() {
        dropgate_infra::logging::init();
    }
    let st = stack::start().await;
    let api = st.ready.api.clone();
    let http = reqwest::Client::new();
    stack::log_in(&http, &api, EMAIL, PASSWORD).await;
    let sdk = dropgate_local::provision::sdk_config(&st.ready.aws_endpoint).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let pool = &st.ready.resources.user_pool_id;
    // The stack provisions the `admins` group; one made here by an older stack is fine too.
    if let Err(e) = cognito
        .create_group()
        .user_pool_id(pool)
        .group_name("admins")
        .send()
        .await
        && !e
            .as_service_error()
            .is_some_and(|s| s.is_group_exists_exception())
    {
        panic!("group: {e:?}");
    }
    cognito
        .admin_add_user_to_group()
        .user_pool_id(pool)
        .username(EMAIL)
        .group_name("admins")
        .send()
        .await
        .expect("promote");
    let login: serde_json::Value = http
        .post(format!("{api}/auth/login"))
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login json");
    let token = login["id_token"].as_str().expect("token").to_owned();

    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let seeding = Instant::now();
    seed(&ddb, &st.ready.resources.tables.audit, args.entries).await;
    eprintln!(
        "seeded {} entries in {:.1} s",
        args.entries,
        seeding.elapsed().as_secs_f64()
    );

    let path = std::env::temp_dir().join(format!("dropgate-audit-{}.jsonl", std::process::id()));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let before = rss_kib();
    let mut peak = before;
    let started = Instant::now();
    let (mut cursor, mut pages, mut bytes) = (None::<String>, 0u64, 0u64);
    loop {
        let mut req = http
            .get(format!("{api}/admin/audit/export"))
            .bearer_auth(&token)
            .query(&[("format", "jsonl")]);
        if let Some(c) = &cursor {
            req = req.query(&[("cursor", c)]);
        }
        let resp = req.send().await.expect("export page");
        if !resp.status().is_success() {
            let status = resp.status();
            panic!(
                "export page {pages}: {status} {}",
                resp.text().await.unwrap_or_default()
            );
        }
        let next = resp
            .headers()
            .get("dropgate-next-cursor")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp.bytes().await.expect("page body");
        out.write_all(&body).expect("write");
        pages += 1;
        bytes += body.len() as u64;
        peak = peak.max(rss_kib());
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    out.flush().expect("flush");
    let took = started.elapsed();
    let after = rss_kib();

    let verifying = Instant::now();
    let reader = std::io::BufReader::new(std::fs::File::open(&path).expect("open"));
    let mut v = Verifier::default();
    for line in std::io::BufRead::lines(reader) {
        let line = line.expect("line");
        v.push(&serde_json::from_str::<AuditEntry>(&line).expect("entry"))
            .expect("intact");
    }
    let verified = verifying.elapsed();
    assert_eq!(v.count(), args.entries);
    let _ = std::fs::remove_file(&path);

    let mib = |kib: u64| kib as f64 / 1024.0;
    let section = format!(
        "## Audit export\n\n{}\n\n| entries | pages | bytes | export | resident before | highest during | after | verify (offline) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n| {} | {} | {:.1} MiB | {:.1} s | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.2} s |\n\nMachine: {}.\n",
        docs::wrap(&format!(
            "`GET /admin/audit/export` of {} entries on the local stack (emulator DynamoDB), as \
             `dropgate admin audit export` reads it: pages of 1000 entries, each written to a \
             file as it comes, then the file verified offline (`Verifier`, as `dropgate admin \
             audit verify`). The resident memory is the bench process's, which runs the local \
             stack's functions and server in process and holds one page in flight: it stays \
             flat while the export grows, since no side holds more than a page. Seeded \
             straight into the table, not through the API. A page costs the same at any \
             length of the log: entries sit in partitions of 1000 seqs, and the emulator is \
             mended (local/emulator.py) so that a Query reads its partition, not the whole \
             table, and a transaction backs up its items, not whole tables, as DynamoDB's cost. \
             Without those, the first page of a 20,000-entry export missed its 8 s budget. \
             Command: `target/debug/bench-audit-export --entries {} --write-docs` (a debug \
             build, after `cargo test --workspace --all-targets --no-run`).",
            args.entries, args.entries
        )),
        args.entries,
        pages,
        bytes as f64 / 1048576.0,
        took.as_secs_f64(),
        mib(before),
        mib(peak),
        mib(after),
        verified.as_secs_f64(),
        dropgate_bench::machine::machine(),
    );
    println!("{section}");
    if args.write_docs {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/BENCHMARKS.md");
        docs::write_section(&path, "## Audit export", &section).expect("BENCHMARKS.md");
    }
    st.stop().await;
}
