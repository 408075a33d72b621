//! Admin user listing benchmark (a command, not a test): the local stack (in this process) holds
//! N accounts in its user pool, each with a quota record, and an admin pages through
//! `GET /admin/users` to the end, then searches by an email prefix, as the console does. Reports
//! the time per page and in all, the AWS calls the api made per page (the emulator's counts),
//! and this process's resident memory before, at its highest during, and after the listing.
//!
//! The accounts are seeded straight into the emulator (AdminCreateUser, several in flight, and
//! the quota records in batches), not through sign-up: the bench measures the listing.
//!
//! cargo build -p dropgate-bench --bin bench-admin-users && target/debug/bench-admin-users

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_sdk_dynamodb::types::{AttributeValue as Av, PutRequest, WriteRequest};
use clap::Parser;
use dropgate_bench::{docs, stack, stats};
use serde_json::Value;

#[derive(Parser)]
struct Args {
    /// Accounts in the pool (besides the admin).
    #[arg(long, default_value_t = 10_000)]
    users: usize,
    /// The email prefix searched for after the full listing.
    #[arg(long, default_value = "user012")]
    search: String,
    /// AdminCreateUser calls in flight while seeding.
    #[arg(long, default_value_t = 8)]
    in_flight: usize,
    /// Write the result into docs/BENCHMARKS.md.
    #[arg(long)]
    write_docs: bool,
}

const EMAIL: &str = "bench-admin@example.com";
const PASSWORD: &str = "Correct1horse";
const HEADING: &str = "## Admin: listing 10,000 users";

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

fn email(i: usize) -> String {
    format!("user{i:05}@bench.example.com")
}

/// Creates the accounts (confirmed, verified email, no mail) and returns their `sub`s.
async fn seed_users(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    n: usize,
    in_flight: usize,
) -> Vec<String> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers = (0..in_flight.max(1)).map(|_| {
        let (cognito, pool, next) = (cognito.clone(), pool.to_owned(), next.clone());
        tokio::spawn(async move {
            let mut subs = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return subs;
                }
                let attr = |k: &str, v: &str| AttributeType::builder().name(k).value(v).build();
                let out = cognito
                    .admin_create_user()
                    .user_pool_id(&pool)
                    .username(email(i))
                    .message_action(MessageActionType::Suppress)
                    .user_attributes(attr("email", &email(i)).expect("attr"))
                    .user_attributes(attr("email_verified", "true").expect("attr"))
                    .send()
                    .await
                    .expect("AdminCreateUser");
                let sub = out
                    .user()
                    .and_then(|u| u.attributes().iter().find(|a| a.name() == "sub"))
                    .and_then(|a| a.value())
                    .expect("sub")
                    .to_owned();
                subs.push(sub);
            }
        })
    });
    let mut subs = Vec::with_capacity(n);
    for w in workers {
        subs.extend(w.await.expect("seeder"));
    }
    subs
}

/// One quota record per account (some bytes and files used), in batches of 25.
async fn seed_quotas(ddb: &aws_sdk_dynamodb::Client, table: &str, subs: &[String]) {
    let batches: Vec<Vec<WriteRequest>> = subs
        .chunks(25)
        .map(|chunk| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, sub)| {
                    let item = HashMap::from([
                        ("owner".to_owned(), Av::S(sub.clone())),
                        ("used_bytes".to_owned(), Av::N(((i + 1) * 4096).to_string())),
                        ("reserved_bytes".to_owned(), Av::N("0".into())),
                        ("files".to_owned(), Av::N((i + 1).to_string())),
                    ]);
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("put");
                    WriteRequest::builder().put_request(put).build()
                })
                .collect()
        })
        .collect();
    let chunks: Vec<_> = batches
        .chunks(batches.len().div_ceil(8).max(1))
        .map(<[_]>::to_vec)
        .collect();
    let writers = chunks.into_iter().map(|chunk| {
        let (ddb, table) = (ddb.clone(), table.to_owned());
        tokio::spawn(async move {
            for mut pending in chunk {
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
}

/// One listing to its end: the time of each page, the accounts seen, and the api's AWS calls.
struct Listing {
    pages: Vec<Duration>,
    users: usize,
    total: Duration,
    calls: std::collections::BTreeMap<String, u64>,
}

struct Client {
    http: reqwest::Client,
    api: String,
    aws: String,
    token: String,
}

impl Client {
    async fn stats(&self, reset: bool) -> Value {
        stack::emulator_stats(&self.http, &self.aws, reset).await
    }

    /// Pages through `GET /admin/users?query=` to its end; `peak` follows this process's RSS.
    async fn list(&self, query: &str, peak: &mut u64) -> Listing {
        self.stats(true).await;
        let (mut cursor, mut pages, mut users) = (None::<String>, Vec::new(), 0);
        let started = Instant::now();
        loop {
            let mut req = self
                .http
                .get(format!("{}/admin/users", self.api))
                .bearer_auth(&self.token);
            if !query.is_empty() {
                req = req.query(&[("query", query)]);
            }
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c)]);
            }
            let t = Instant::now();
            let resp = req.send().await.expect("page");
            let status = resp.status();
            let body: Value = resp.json().await.expect("page json");
            pages.push(t.elapsed());
            assert!(status.is_success(), "page {}: {status} {body}", pages.len());
            users += body["users"].as_array().map_or(0, Vec::len);
            *peak = (*peak).max(rss_kib());
            match body["next_cursor"].as_str() {
                Some(n) => cursor = Some(n.to_owned()),
                None => break,
            }
        }
        let total = started.elapsed();
        let calls = stack::calls_of(&self.stats(false).await, "dropgate-api");
        Listing {
            pages,
            users,
            total,
            calls,
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn row(what: &str, l: &Listing) -> String {
    let s = stats::sorted(&l.pages);
    let per_page = |n: u64| n as f64 / l.pages.len() as f64;
    let calls: Vec<String> = l
        .calls
        .iter()
        .map(|(k, v)| format!("{k} {:.1}", per_page(*v)))
        .collect();
    format!(
        "| {what} | {} | {} | {} | {} | {} | {} | {:.1} s | {} |",
        l.users,
        l.pages.len(),
        ms(stats::percentile(&s, 50.0)),
        ms(stats::percentile(&s, 90.0)),
        ms(s[0]),
        ms(s[s.len() - 1]),
        l.total.as_secs_f64(),
        calls.join(", "),
    )
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let st = stack::start().await;
    let api = st.ready.api.clone();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("http client");
    stack::log_in(&http, &api, EMAIL, PASSWORD).await;
    let sdk = dropgate_local::provision::sdk_config(&st.ready.aws_endpoint).await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let pool = st.ready.resources.user_pool_id.clone();
    // The stack provisions the `admins` group; an older one may not have.
    let _ = cognito
        .create_group()
        .user_pool_id(&pool)
        .group_name("admins")
        .send()
        .await;
    cognito
        .admin_add_user_to_group()
        .user_pool_id(&pool)
        .username(EMAIL)
        .group_name("admins")
        .send()
        .await
        .expect("promote");
    let token = stack::log_in_only(&http, &api, EMAIL, PASSWORD).await;

    let seeding = Instant::now();
    let subs = seed_users(&cognito, &pool, args.users, args.in_flight).await;
    let users_took = seeding.elapsed();
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    seed_quotas(&ddb, &st.ready.resources.tables.quotas, &subs).await;
    eprintln!(
        "seeded {} accounts in {:.1} s (the pool) + {:.1} s (quota records)",
        args.users,
        users_took.as_secs_f64(),
        (seeding.elapsed() - users_took).as_secs_f64()
    );

    let client = Client {
        http,
        api,
        aws: st.ready.aws_endpoint.clone(),
        token,
    };
    let before = rss_kib();
    let mut peak = before;
    let all = client.list("", &mut peak).await;
    assert_eq!(all.users, args.users + 1, "every account listed once");
    let search = client.list(&args.search, &mut peak).await;
    let after = rss_kib();
    let expected = (0..args.users)
        .filter(|&i| email(i).starts_with(&args.search))
        .count();
    assert_eq!(search.users, expected, "the search finds its accounts");

    let mib = |kib: u64| kib as f64 / 1024.0;
    let section = format!(
        "{HEADING}\n\n{}\n\n```sh\ncargo build -p dropgate-bench --bin bench-admin-users\n\
         target/debug/bench-admin-users --users {} --search {} --write-docs\n```\n\n\
         | listing | accounts | pages | page p50 | page p90 | fastest | slowest | total | the api's AWS calls per page |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n{}\n{}\n\n{}\n\n{}\n",
        docs::wrap(&format!(
            "`GET /admin/users` over {n} accounts (plus the admin) on the local stack, as the \
             console pages it: the default page of 50 (Cognito's ListUsers gives at most 60), \
             following `next_cursor` to the end, then a search by the email prefix `{q}` \
             (emails are `user00000@bench.example.com` on). Each account has a quota record \
             and no links or shares. The accounts are seeded straight into the emulator \
             (AdminCreateUser, {f} in flight; the quota records by BatchWriteItem), not \
             through sign-up.",
            n = args.users,
            q = args.search,
            f = args.in_flight,
        )),
        args.users,
        args.search,
        row("all", &all),
        row(&format!("`query={}`", args.search), &search),
        docs::wrap(&format!(
            "Resident memory of the bench process (the local stack's functions and server, in \
             process): {:.1} MiB before the listings, {:.1} MiB at most during them, {:.1} MiB \
             after.",
            mib(before),
            mib(peak),
            mib(after),
        )),
        docs::wrap(&format!(
            "Machine: {}; a debug build, on a machine shared with other engineers' builds (2 \
             cores): compare the ratios, not the milliseconds.",
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
