//! The kill switch's cost on a warm request (a command, not a test): `GET /files` through the
//! api's `handle`, in process, against the local stack's emulator, with the real standing check
//! (one GetItem on the owner's account record per request) and with a standing store that
//! answers "in good standing" without a call. Both share everything else (the same clients,
//! the same verified id token) and are interleaved in one run, the order swapped every round,
//! so the machine's noise falls on both alike. With `--latency-ms`, the api's AWS calls go
//! through a fault proxy that delays each by that much, as a network round trip to AWS would:
//! the route's read and the standing check go out together, so the check's round trip should
//! not add to the request's.
//!
//! cargo build --profile bench-fast -p dropgate-bench --bin bench-standing
//! target/bench-fast/bench-standing --latency-ms 0 --latency-ms 4

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use clap::Parser;
use dropgate_bench::{docs, stack, stats};
use dropgate_core::apikeys::Scopes;
use dropgate_core::standing::{Standing, StandingStore};
use dropgate_core::{CoreError, OwnerId};
use dropgate_infra::Clients;
use dropgate_local::faults;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Timed requests of each kind.
    #[arg(long, default_value_t = 300)]
    rounds: usize,
    /// Latency added to every AWS call of the api, in ms (repeatable; 0 = straight to the
    /// emulator).
    #[arg(long = "latency-ms", default_values_t = [0u64, 4])]
    latency_ms: Vec<u64>,
    /// Write the result into docs/BENCHMARKS.md.
    #[arg(long)]
    write_docs: bool,
}

const HEADING: &str = "## Kill switch: the standing check on a warm request";

/// Every owner in good standing, without a call: the request as it was before the switch.
struct GoodStanding;

#[async_trait]
impl StandingStore for GoodStanding {
    async fn standing(&self, _: &OwnerId) -> Result<Standing, CoreError> {
        Ok(Standing::default())
    }
    async fn sign_out_all(&self, _: &OwnerId, _: DateTime<Utc>) -> Result<(), CoreError> {
        Ok(())
    }
    async fn set_disabled(&self, _: &OwnerId, _: bool) -> Result<(), CoreError> {
        Ok(())
    }
}

/// `GET /files` as API Gateway hands it to the function.
fn list_files(token: &str, n: usize) -> serde_json::Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/files",
        "rawQueryString": "",
        "headers": {"authorization": format!("Bearer {token}"), "host": "localhost"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
            "requestId": format!("bench-{n}"), "routeKey": "$default", "stage": "$default",
            "time": "04/Dec/2026:12:00:00 +0000", "timeEpoch": 0,
            "http": {"method": "GET", "path": "/files", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "bench"},
        },
        "isBase64Encoded": false,
    })
}

/// One warm request through `deps`; with `first`, the owner's standing is read from it before
/// the request starts (the check's cost when it waited for its answer, as every route did
/// before reads went out beside it).
async fn timed(
    deps: &dropgate_api::Deps,
    first: Option<(&dyn StandingStore, &OwnerId)>,
    token: &str,
    n: usize,
) -> Duration {
    let event = serde_json::from_value(list_files(token, n)).expect("event");
    let t = Instant::now();
    if let Some((store, owner)) = first {
        let standing = store.standing(owner).await.expect("standing");
        assert_eq!(standing, Standing::default(), "in good standing");
    }
    let resp = dropgate_api::handle(event, deps).await;
    let took = t.elapsed();
    assert_eq!(resp.status_code, 200, "GET /files: {:?}", resp.body);
    took
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Timed requests with the check beside the read, with the check first, and without,
/// interleaved (the order rotated each round) after 5 untimed ones of each: the three series,
/// sorted.
async fn measure(
    with: &dropgate_api::Deps,
    without: &dropgate_api::Deps,
    token: &str,
    rounds: usize,
) -> [Vec<Duration>; 3] {
    let who = with
        .gate
        .credential(Some(&format!("Bearer {token}")), Scopes::READ, None)
        .await
        .expect("the bench's token");
    let first = Some((&*with.gate.standing, &who.owner));
    let mut series: [Vec<Duration>; 3] = Default::default();
    for n in 0..rounds + 5 {
        for k in 0..3 {
            let which = (n + k) % 3;
            let took = match which {
                0 => timed(with, None, token, n).await,
                1 => timed(without, first, token, n).await,
                _ => timed(without, None, token, n).await,
            };
            if n >= 5 {
                series[which].push(took);
            }
        }
    }
    series.map(|s| stats::sorted(&s))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let st = stack::start().await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client");
    let token = stack::log_in(
        &http,
        &st.ready.api,
        "bench-standing@example.com",
        "Correct1horse",
    )
    .await;
    let sdk = dropgate_local::provision::sdk_config(&st.ready.aws_endpoint).await;
    let config =
        dropgate_local::function_config(&st.ready.resources, &st.ready.api).expect("config");
    let mut rows = Vec::new();
    let mut verdict = String::new();
    for &latency in &args.latency_ms {
        let spec = faults::Spec::parse(&format!("latency={latency}")).expect("fault spec");
        let proxy = faults::FaultProxy::bind(spec, &st.ready.aws_endpoint)
            .await
            .expect("fault proxy");
        let behind = faults::behind(&sdk, proxy.url());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let serving = tokio::spawn(proxy.serve(stop_rx));
        let sdk = if latency == 0 { sdk.clone() } else { behind };
        let with = dropgate_api::Deps::new(&config, &Clients::new(&sdk, true, "dropgate-api"))
            .expect("api deps");
        let mut without = with.clone();
        without.gate.standing = Arc::new(GoodStanding);
        let [sa, sf, sb] = measure(&with, &without, &token, args.rounds).await;
        let _ = stop_tx.send(true);
        let _ = serving.await;
        let p = |s: &[Duration], q: f64| stats::percentile(s, q);
        let diff = |s: &[Duration], q: f64| {
            let d = p(s, q).as_secs_f64() - p(&sb, q).as_secs_f64();
            format!("{:+.2} ms", d * 1000.0)
        };
        let row = |what: &str, s: &[Duration]| {
            format!(
                "| {latency} ms | {what} | {} | {} | {} | {} |",
                s.len(),
                ms(p(s, 50.0)),
                ms(p(s, 90.0)),
                ms(s[0])
            )
        };
        rows.push(row("with the check, beside the read (now)", &sa));
        rows.push(row("with the check, first (before)", &sf));
        rows.push(row("without (good standing, no call)", &sb));
        rows.push(format!(
            "| {latency} ms | difference, now | | **{}** | {} | |",
            diff(&sa, 50.0),
            diff(&sa, 90.0)
        ));
        rows.push(format!(
            "| {latency} ms | difference, before | | {} | {} | |",
            diff(&sf, 50.0),
            diff(&sf, 90.0)
        ));
        if latency == 0 {
            let met = p(&sa, 50.0) <= p(&sb, 50.0) + Duration::from_millis(1);
            verdict = format!(
                "Budget (straight to the emulator): within +1 ms at p50: {}.",
                if met { "met" } else { "**not met**" }
            );
        }
    }
    let section = format!(
        "{HEADING}\n\n{}\n\n```sh\ncargo build --profile bench-fast -p dropgate-bench --bin bench-standing\n\
         target/bench-fast/bench-standing --rounds {} {} --write-docs\n```\n\n\
         | added latency per AWS call | `GET /files`, warm | requests | p50 | p90 | fastest |\n\
         | --- | --- | ---: | ---: | ---: | ---: |\n{}\n\n{verdict}\n\n{}\n\n{}\n",
        docs::wrap(
            "A warm `GET /files` (an owner with no files) through the api's `handle`, in the \
             bench process, against the local stack's emulator: with the real standing check \
             (the gate reads the owner's account record, one strongly consistent GetItem, \
             after verifying the id token; `GET /files` only reads, so the check goes out \
             beside the route's Query); with the same GetItem made first and the request \
             started once it answered (how every route waited for the check before reads went \
             beside it); and with a standing store that answers \"in good standing\" without \
             a call. Same clients, same token, interleaved in one run (the order rotated each \
             round), after 5 untimed requests of each. With an added \
             latency, every AWS call of the api goes through a fault proxy that holds it that \
             long first, as the network to AWS would. Cold init is measured apart (\"Lambda \
             packages and cold init\")."
        ),
        args.rounds,
        args.latency_ms
            .iter()
            .map(|l| format!("--latency-ms {l}"))
            .collect::<Vec<_>>()
            .join(" "),
        rows.join("\n"),
        docs::wrap(
            "Reading it: \"before\" pays the check's whole round trip on top of the route's; \
             \"now\" sends both at once, so on AWS, where DynamoDB serves the two reads in \
             parallel, the check costs about the longer of the two minus the route's own, and \
             with an added latency the waits of the two overlap in \"now\" and add up in \"before\". What \"now\" still pays \
             here is the emulator's own time for the GetItem: the launcher serializes \
             DynamoDB requests (moto applies conditional writes and transactions without \
             locking, `local/emulator.py`) and moto runs on one Python interpreter, so two \
             requests to it never overlap. That time was 2.2 ms to 2.7 ms before 2026-12-05 \
             (the budget was not met): werkzeug's server closed the connection after every \
             response, so each AWS call paid a TCP connection and a new server thread, and moto \
             answered a GetItem through its whole generic path (Flask, CORS headers, the \
             operation's botocore model, a random request id drawn a character at a time), \
             about 1.5 ms for a dictionary lookup. The launcher now keeps connections alive \
             (`local/emulator_http.py`) and answers a plain GetItem from moto's own table \
             (`local/emulator_reads.py`: the same answer; anything else, errors included, goes \
             moto's way). Nothing in the api changed: the same change takes about as much off \
             every emulator call of every function, tests included (the route's own \
             `GET /files` went from about 3.2 ms to 1.7 ms). A cache of the standing stays \
             refused (it lets a stopped account or a revoked token through for its lifetime, on \
             every warm instance; docs/DESIGN.md, \"Standing, checked on every authenticated \
             request\")."
        ),
        docs::wrap(&format!(
            "Machine: {}; a bench-fast build (optimized, no LTO), on a machine shared with other \
             engineers' builds (2 cores): the difference, measured in one interleaved run, is \
             what to compare.",
            dropgate_bench::machine::machine(),
        )),
    );
    println!("{section}");
    if args.write_docs {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/BENCHMARKS.md");
        docs::write_section(&path, HEADING, &section).expect("BENCHMARKS.md");
    }
    st.stop().await;
}
