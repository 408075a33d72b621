//! Integration tests of the upload-links adapters against the emulator: `DynamoLedger` keeps the
//! link store's contract and `DynamoCounters` the counters' (`dropgate_core::contract::{links,
//! counters}`, which the in-memory fakes keep too), and what the contracts cannot see through
//! the ports: a link purged under a pending file, the counters' TTL attribute. Each test starts
//! its own emulator on a free loopback port and provisions it as the local stack does.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dropgate_core::contract::{counters, links};
use dropgate_core::files::{FileLookup, LinkOrigin, QuotaUsage, Settlement, Settling, Uploader};
use dropgate_core::links::{DropReservation, Link, LinkDrop, LinkStore};
use dropgate_core::ratelimit::Counters;
use dropgate_core::{FileId, FileRecord, FileStatus, LinkId, OwnerId, tokens};
use dropgate_infra::dynamo::DynamoLedger;
use dropgate_infra::dynamo::counters::DynamoCounters;

use crate::infra_adapters::{Env, env, ledger};

/// Now, at the millisecond precision records are stored with.
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap()
}

fn owner(o: &str) -> OwnerId {
    OwnerId::parse(o).unwrap()
}

/// A fresh link of `o`, whose token is `token`, expiring `expires_in` seconds from now.
pub(crate) fn link(
    o: &str,
    id: &str,
    token: &str,
    max_uploads: u32,
    max_total: Option<u64>,
) -> Link {
    let t = now();
    Link {
        id: LinkId::parse(id).unwrap(),
        owner: owner(o),
        owner_email: Some(format!("{o}@example.com")),
        label: format!("label of {id} ✓"),
        token_hash: tokens::hash(token),
        token_sealed: None,
        created_at: t,
        expires_at: t + TimeDelta::hours(1),
        max_uploads,
        uploads_used: 0,
        max_file_bytes: 1 << 20,
        max_total_bytes: max_total,
        bytes_used: 0,
        max_pending_bytes: 1 << 40,
        pending_bytes: 0,
        max_givebacks: 3,
        givebacks: 0,
        allowed_types: dropgate_core::allowed::TypePolicy::only(["application/pdf", "image/png"]),
        require_uploader_name: false,
        revoked: false,
        retain_days: None,
    }
}

/// A pending file dropped through `l`.
pub(crate) fn dropped(l: &Link, id: &str, size: u64) -> FileRecord {
    let mut f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        l.owner.clone(),
        format!("{id}.pdf"),
        size,
        "application/pdf".into(),
        now(),
        std::time::Duration::from_secs(900),
    );
    f.owner_email = l.owner_email.clone();
    f.link = Some(LinkOrigin {
        link_id: l.id.clone(),
        label: l.label.clone(),
        allowed_types: l.allowed_types.clone(),
        uploader: Some(Uploader {
            name: Some("Bob Client".into()),
            email: None,
            note: None,
        }),
    });
    f
}

/// Drops `file` through `l` (as read by the caller, maybe stale) against `quota_limit`.
pub(crate) async fn drop_via(
    store: &DynamoLedger,
    l: &Link,
    file: &FileRecord,
    quota_limit: u64,
    at: DateTime<Utc>,
) -> DropReservation {
    let used_up = dropgate_core::notify::LifecycleEntry::used_up_by_next(l, at);
    store
        .create_pending_via_link(&LinkDrop {
            link: l,
            file,
            receipt_hash: &receipt_hash(file),
            quota_limit,
            now: at,
            used_up: used_up.as_ref(),
        })
        .await
        .unwrap()
}

/// Each file's receipt, derived from its id (the test keeps no other secret).
fn receipt_hash(file: &FileRecord) -> String {
    tokens::hash(&format!("receipt-of-{}", file.id))
}

async fn usage(store: &DynamoLedger, o: &OwnerId) -> (u64, u64, u64) {
    let QuotaUsage {
        used_bytes,
        reserved_bytes,
        files,
        ..
    } = store.usage(o, u64::MAX).await.unwrap();
    (used_bytes, reserved_bytes, files)
}

fn settlement(status: FileStatus, give_back_link: bool) -> Settlement {
    Settlement {
        status,
        detected_type: None,
        reason: Some(if status == FileStatus::Expired {
            "upload_timeout".into()
        } else {
            "type_not_allowed".into()
        }),
        at: Utc::now(),
        stored_size: None,
        stored_etag: None,
        give_back_link,
        scan: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_link_store_keeps_the_contract() {
    // The same checks the in-memory link store passes (core/tests/contract.rs): links stored,
    // listed, found by hash and revoked; receipts; the one-step drop and its refusals; the
    // give-back on settlement.
    let e = env().await;
    let store = ledger(&e);
    let stores = links::Stores {
        links: &store,
        ledger: &store,
    };
    links::check_all(stores, "ddb", Utc::now()).await;
    // The links' own outbox entries, read back as the notifier reads them.
    let log = crate::infra_shares::upload_log(&e);
    dropgate_core::contract::link_events::check_all(stores, &log, "ddb", Utc::now()).await;
}

/// What the contract cannot do through the port: a link purged by its TTL under a pending
/// file (the give-back on settlement with the link in place is in the contract).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_file_settles_after_its_link_is_purged() {
    let e = env().await;
    let store = ledger(&e);
    let ada = owner("owner-ada");
    let l = link("owner-ada", "l-give", "tok-give", 2, Some(1000));
    store.put_link(&l).await.unwrap();

    // The link is gone (TTL purged it): the file still settles, without the give-back.
    let f3 = dropped(&l, "f03", 50);
    assert_eq!(
        drop_via(&store, &l, &f3, 10_000, now()).await,
        DropReservation::Reserved
    );
    e.clients
        .dynamodb()
        .delete_item()
        .table_name(&e.r.tables.links)
        .key("owner", AttributeValue::S("owner-ada".into()))
        .key("item", AttributeValue::S("link#l-give".into()))
        .send()
        .await
        .unwrap();
    assert!(
        store
            .settle(&f3, &settlement(FileStatus::Expired, true))
            .await
            .unwrap()
    );
    let got = store.get_file(&ada, &f3.id).await.unwrap().unwrap();
    assert_eq!(got.status, FileStatus::Expired);
    assert_eq!(usage(&store, &ada).await, (0, 0, 0));
    assert!(store.get_link(&ada, &l.id).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_counters_keep_the_contract() {
    // The same checks the in-memory counters pass (core/tests/contract.rs).
    let e = env().await;
    counters::check_all(&dynamo_counters(&e), "ddb", Utc::now()).await;
}

fn dynamo_counters(e: &Env) -> DynamoCounters {
    DynamoCounters {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.rate_limits.clone(),
    }
}

/// What the contract cannot see through the port: the TTL attribute the table forgets by.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_carry_their_ttl() {
    let e = env().await;
    let c = dynamo_counters(&e);
    let expires = now() + TimeDelta::seconds(120);
    assert_eq!(c.increment("drop#abc#60", expires).await.unwrap(), 1);
    let item: HashMap<String, AttributeValue> = e
        .clients
        .dynamodb()
        .get_item()
        .table_name(&e.r.tables.rate_limits)
        .key("key", AttributeValue::S("drop#abc#60".into()))
        .send()
        .await
        .unwrap()
        .item()
        .cloned()
        .expect("the counter item");
    assert_eq!(
        item.get("expires_at").and_then(|v| v.as_n().ok()),
        Some(&expires.timestamp().to_string()),
        "the TTL attribute"
    );
}
