//! Integration tests of the upload-links adapters against the emulator: `DynamoLedger` as a
//! `LinkStore` (links, receipts, the one-transaction drop, the give-back on settlement) and
//! `DynamoCounters` (the rate limiter's fixed-window counters). Each test starts its own
//! emulator on a free loopback port and provisions it as the local stack does.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dropgate_core::files::{
    FileLookup, LinkOrigin, OwnerLedger, QuotaUsage, Settlement, Settling, Uploader,
};
use dropgate_core::links::{DropReservation, Link, LinkDrop, LinkStore};
use dropgate_core::ratelimit::Counters;
use dropgate_core::{FileId, FileRecord, FileStatus, LinkId, OwnerId, tokens};
use dropgate_infra::dynamo::DynamoLedger;
use dropgate_infra::dynamo::counters::DynamoCounters;

use crate::infra_adapters::{env, ledger};

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
fn link(o: &str, id: &str, token: &str, max_uploads: u32, max_total: Option<u64>) -> Link {
    let t = now();
    Link {
        id: LinkId::parse(id).unwrap(),
        owner: owner(o),
        owner_email: Some(format!("{o}@example.com")),
        label: format!("label of {id} ✓"),
        token_hash: tokens::hash(token),
        created_at: t,
        expires_at: t + TimeDelta::hours(1),
        max_uploads,
        uploads_used: 0,
        max_file_bytes: 1 << 20,
        max_total_bytes: max_total,
        bytes_used: 0,
        allowed_types: vec!["application/pdf".into(), "image/png".into()],
        require_uploader_name: false,
        revoked: false,
    }
}

/// A pending file dropped through `l`.
fn dropped(l: &Link, id: &str, size: u64) -> FileRecord {
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
        }),
    });
    f
}

/// Drops `file` through `l` (as read by the caller, maybe stale) against `quota_limit`.
async fn drop_via(
    store: &DynamoLedger,
    l: &Link,
    file: &FileRecord,
    quota_limit: u64,
    at: DateTime<Utc>,
) -> DropReservation {
    store
        .create_pending_via_link(&LinkDrop {
            link: l,
            file,
            receipt_hash: &receipt_hash(file),
            quota_limit,
            now: at,
        })
        .await
        .unwrap()
}

/// Each file's receipt, derived from its id (the test keeps no other secret).
fn receipt_hash(file: &FileRecord) -> String {
    tokens::hash(&format!("receipt-of-{}", file.id))
}

fn counters(l: &Link) -> (u32, u64) {
    (l.uploads_used, l.bytes_used)
}

async fn stored(store: &DynamoLedger, l: &Link) -> Link {
    store
        .get_link(&l.owner, &l.id)
        .await
        .unwrap()
        .expect("the link")
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
    }
}

fn ids(links: &[Link]) -> Vec<&str> {
    links.iter().map(|l| l.id.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_stored_listed_found_by_hash_and_revoked() {
    let e = env().await;
    let store = ledger(&e);
    let (ada, bob) = (owner("owner-ada"), owner("owner-bob"));
    let mut mine = Vec::new();
    for i in 1..=5 {
        let l = link(
            "owner-ada",
            &format!("l0{i}"),
            &format!("tok-{i}"),
            10,
            None,
        );
        store.put_link(&l).await.unwrap();
        mine.push(l);
    }
    let theirs = link("owner-bob", "l09", "tok-9", 10, None);
    store.put_link(&theirs).await.unwrap();
    assert!(
        store.put_link(&mine[0]).await.is_err(),
        "a link is never written over"
    );

    // Round trip, and nothing across owners.
    assert_eq!(
        store.get_link(&ada, &mine[0].id).await.unwrap().as_ref(),
        Some(&mine[0])
    );
    assert!(store.get_link(&bob, &mine[0].id).await.unwrap().is_none());
    assert!(
        store
            .get_link(&ada, &LinkId::parse("l99").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let mut got = store
        .get_links(&[
            (ada.clone(), mine[0].id.clone()),
            (ada.clone(), LinkId::parse("l99").unwrap()),
            (bob.clone(), theirs.id.clone()),
            (bob.clone(), mine[1].id.clone()),
        ])
        .await
        .unwrap();
    got.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(got, vec![mine[0].clone(), theirs.clone()]);

    // Drops through l03 and l05 leave receipts (and files) under Ada's partition.
    let mut files = Vec::new();
    for (l, f) in [(2, "f01"), (4, "f02"), (4, "f03"), (4, "f04")] {
        let file = dropped(&mine[l], f, 10);
        assert_eq!(
            drop_via(&store, &mine[l], &file, 1000, now()).await,
            DropReservation::Reserved
        );
        files.push(file);
    }

    // Newest first, by cursor; receipts are never listed as links.
    let p = store.list_links(&ada, 2, None).await.unwrap();
    assert_eq!(
        (ids(&p.links), p.next_after.as_ref().map(LinkId::as_str)),
        (vec!["l05", "l04"], Some("l04"))
    );
    let p = store
        .list_links(&ada, 2, p.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!(
        (ids(&p.links), p.next_after.as_ref().map(LinkId::as_str)),
        (vec!["l03", "l02"], Some("l02"))
    );
    let p = store
        .list_links(&ada, 2, p.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!((ids(&p.links), p.next_after), (vec!["l01"], None));
    let p = store.list_links(&ada, 5, None).await.unwrap();
    assert_eq!(
        (ids(&p.links), p.next_after),
        (vec!["l05", "l04", "l03", "l02", "l01"], None)
    );
    let p = store.list_links(&ada, 100, None).await.unwrap();
    assert_eq!(p.links.len(), 5);
    assert_eq!(p.links[0].uploads_used, 3, "listed with its counters");
    let p = store.list_links(&bob, 100, None).await.unwrap();
    assert_eq!((ids(&p.links), p.next_after), (vec!["l09"], None));

    // Lookups by hash: a link's hash finds the link, a receipt's hash finds the file.
    let found = store.find_link(&tokens::hash("tok-3")).await.unwrap();
    assert_eq!(
        found.as_ref().map(|l| (l.id.as_str(), counters(l))),
        Some(("l03", (1, 10)))
    );
    assert!(
        store
            .find_link(&tokens::hash("tok-unknown"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_link(&receipt_hash(&files[0]))
            .await
            .unwrap()
            .is_none(),
        "a receipt is not a link"
    );
    assert_eq!(
        store.find_receipt(&receipt_hash(&files[1])).await.unwrap(),
        Some((ada.clone(), files[1].id.clone()))
    );
    assert!(
        store
            .find_receipt(&tokens::hash("tok-3"))
            .await
            .unwrap()
            .is_none(),
        "a link is not a receipt"
    );
    assert!(
        store
            .find_receipt(&tokens::hash("nothing"))
            .await
            .unwrap()
            .is_none()
    );

    // A link's files, newest first, by cursor; none for another owner.
    let page = store
        .list_link_files(&ada, &mine[4].id, 2, None)
        .await
        .unwrap();
    let page_ids: Vec<&str> = page.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        (page_ids, page.next_after.as_ref().map(FileId::as_str)),
        (vec!["f04", "f03"], Some("f03"))
    );
    let page = store
        .list_link_files(&ada, &mine[4].id, 2, page.next_after.as_ref())
        .await
        .unwrap();
    let page_ids: Vec<&str> = page.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!((page_ids, page.next_after), (vec!["f02"], None));
    assert!(
        store
            .list_link_files(&bob, &mine[4].id, 10, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );

    // Revocation: idempotent, only the owner's, never creates a link.
    let at = now();
    assert!(store.revoke_link(&ada, &mine[1].id, at).await.unwrap());
    assert!(store.revoke_link(&ada, &mine[1].id, at).await.unwrap());
    assert!(stored(&store, &mine[1]).await.revoked);
    assert!(!store.revoke_link(&bob, &mine[0].id, at).await.unwrap());
    assert!(!stored(&store, &mine[0]).await.revoked);
    assert!(store.get_link(&bob, &mine[0].id).await.unwrap().is_none());
    let l99 = LinkId::parse("l99").unwrap();
    assert!(!store.revoke_link(&ada, &l99, at).await.unwrap());
    assert!(store.get_link(&ada, &l99).await.unwrap().is_none());
    assert_eq!(
        store.list_links(&ada, 100, None).await.unwrap().links.len(),
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_moves_link_quota_and_file_together_or_not_at_all() {
    let e = env().await;
    let store = ledger(&e);
    let ada = owner("owner-ada");

    // Reserved: the link's counters, the quota, the file and its receipt, together.
    let capped = link("owner-ada", "l-capped", "tok-capped", 2, Some(100));
    store.put_link(&capped).await.unwrap();
    let f1 = dropped(&capped, "f01", 60);
    assert_eq!(
        drop_via(&store, &capped, &f1, 1000, now()).await,
        DropReservation::Reserved
    );
    assert_eq!(counters(&stored(&store, &capped).await), (1, 60));
    assert_eq!(usage(&store, &ada).await, (0, 60, 1));
    let got = store.get_file(&ada, &f1.id).await.unwrap().expect("file");
    assert_eq!(got, f1);
    assert_eq!(got.via_link(), Some("l-capped"));
    assert_eq!(
        store.find_receipt(&receipt_hash(&f1)).await.unwrap(),
        Some((ada.clone(), f1.id.clone()))
    );

    // Every refusal writes nothing: no file, no receipt, no counter, no quota.
    async fn refused(store: &DynamoLedger, l: &Link, f: &FileRecord, at: DateTime<Utc>) {
        let o = l.owner.clone();
        let before = (usage(store, &o).await, counters(&stored(store, l).await));
        assert_eq!(
            drop_via(store, l, f, 1000, at).await,
            DropReservation::LinkRefused,
            "{}",
            f.id
        );
        assert_eq!(
            (usage(store, &o).await, counters(&stored(store, l).await)),
            before,
            "{}: nothing moved",
            f.id
        );
        assert!(
            store.get_file(&o, &f.id).await.unwrap().is_none(),
            "{}",
            f.id
        );
        assert!(
            store
                .find_receipt(&receipt_hash(f))
                .await
                .unwrap()
                .is_none(),
            "{}",
            f.id
        );
    }

    // Bytes exhausted: 60 used of 100, 50 more do not fit (the caller's copy is stale).
    refused(&store, &capped, &dropped(&capped, "f02", 50), now()).await;
    let f3 = dropped(&capped, "f03", 40);
    assert_eq!(
        drop_via(&store, &capped, &f3, 1000, now()).await,
        DropReservation::Reserved
    );
    assert_eq!(counters(&stored(&store, &capped).await), (2, 100));

    // Used up: one use, taken; the stale copy still says 0 used.
    let once = link("owner-ada", "l-once", "tok-once", 1, None);
    store.put_link(&once).await.unwrap();
    assert_eq!(
        drop_via(&store, &once, &dropped(&once, "f04", 5), 1000, now()).await,
        DropReservation::Reserved
    );
    refused(&store, &once, &dropped(&once, "f05", 5), now()).await;

    // Revoked after the caller read it.
    let revoked = link("owner-ada", "l-revoked", "tok-revoked", 10, None);
    store.put_link(&revoked).await.unwrap();
    assert!(store.revoke_link(&ada, &revoked.id, now()).await.unwrap());
    refused(&store, &revoked, &dropped(&revoked, "f06", 5), now()).await;

    // Expired: now is past expires_at (the clock moved on), or it was already in the past.
    let expiring = link("owner-ada", "l-expiring", "tok-expiring", 10, None);
    store.put_link(&expiring).await.unwrap();
    let after = expiring.expires_at + TimeDelta::seconds(1);
    refused(&store, &expiring, &dropped(&expiring, "f07", 5), after).await;
    refused(
        &store,
        &expiring,
        &dropped(&expiring, "f08", 5),
        expiring.expires_at,
    )
    .await;
    let mut old = link("owner-ada", "l-old", "tok-old", 10, None);
    old.expires_at = now() - TimeDelta::seconds(1);
    store.put_link(&old).await.unwrap();
    refused(&store, &old, &dropped(&old, "f09", 5), now()).await;
    assert_eq!(
        drop_via(
            &store,
            &expiring,
            &dropped(&expiring, "f10", 5),
            1000,
            now()
        )
        .await,
        DropReservation::Reserved,
        "the same link before its expiry"
    );

    // The owner's quota is full: the link is not used, nothing is written.
    let spare = link("owner-ada", "l-spare", "tok-spare", 10, None);
    store.put_link(&spare).await.unwrap();
    let (used, reserved, files) = usage(&store, &ada).await;
    let committed = used + reserved;
    let big = dropped(&spare, "f11", 30);
    assert_eq!(
        drop_via(&store, &spare, &big, committed + 29, now()).await,
        DropReservation::QuotaExceeded
    );
    let huge = dropped(&spare, "f12", 5000);
    assert_eq!(
        drop_via(&store, &spare, &huge, 1000, now()).await,
        DropReservation::QuotaExceeded,
        "larger than the whole quota"
    );
    assert_eq!(counters(&stored(&store, &spare).await), (0, 0));
    assert_eq!(usage(&store, &ada).await, (used, reserved, files));
    for f in [&big, &huge] {
        assert!(store.get_file(&ada, &f.id).await.unwrap().is_none());
        assert!(
            store
                .find_receipt(&receipt_hash(f))
                .await
                .unwrap()
                .is_none()
        );
    }
    // ... and exactly at the edge it fits.
    assert_eq!(
        drop_via(&store, &spare, &big, committed + 30, now()).await,
        DropReservation::Reserved
    );
    assert_eq!(counters(&stored(&store, &spare).await), (1, 30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settling_a_link_file_gives_back_only_when_asked() {
    let e = env().await;
    let store = ledger(&e);
    let ada = owner("owner-ada");
    let l = link("owner-ada", "l-give", "tok-give", 2, Some(1000));
    store.put_link(&l).await.unwrap();
    let (f1, f2) = (dropped(&l, "f01", 100), dropped(&l, "f02", 200));
    for f in [&f1, &f2] {
        assert_eq!(
            drop_via(&store, &l, f, 10_000, now()).await,
            DropReservation::Reserved
        );
    }
    assert_eq!(counters(&stored(&store, &l).await), (2, 300));
    assert_eq!(stored(&store, &l).await.uploads_left(), 0);

    // Expired, with give-back: one use and its bytes return, with the quota, in one step.
    let pending = store.get_file(&ada, &f1.id).await.unwrap().unwrap();
    assert!(
        store
            .settle(&pending, &settlement(FileStatus::Expired, true))
            .await
            .unwrap()
    );
    assert_eq!(counters(&stored(&store, &l).await), (1, 200));
    assert_eq!(usage(&store, &ada).await, (0, 200, 1));
    // A replay changes nothing: the use is not given back twice.
    assert!(
        !store
            .settle(&pending, &settlement(FileStatus::Expired, true))
            .await
            .unwrap()
    );
    assert_eq!(counters(&stored(&store, &l).await), (1, 200));

    // Rejected, without give-back: the quota is released, the link keeps the use.
    let pending = store.get_file(&ada, &f2.id).await.unwrap().unwrap();
    assert!(
        store
            .settle(&pending, &settlement(FileStatus::Rejected, false))
            .await
            .unwrap()
    );
    assert_eq!(counters(&stored(&store, &l).await), (1, 200));
    assert_eq!(usage(&store, &ada).await, (0, 0, 0));

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
async fn counters_count_and_add_atomically() {
    let e = env().await;
    let c = std::sync::Arc::new(DynamoCounters {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.rate_limits.clone(),
    });
    let expires = now() + TimeDelta::seconds(120);
    assert_eq!(c.count("drop#abc#60").await.unwrap(), 0);
    assert_eq!(c.increment("drop#abc#60", expires).await.unwrap(), 1);
    assert_eq!(c.increment("drop#abc#60", expires).await.unwrap(), 2);
    assert_eq!(c.count("drop#abc#60").await.unwrap(), 2);
    assert_eq!(
        c.count("drop#abc#120").await.unwrap(),
        0,
        "keys are separate"
    );

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

    // Concurrent increments are atomic: every count from 1 to 10 is handed out once.
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.increment("drop#busy#60", expires).await.unwrap()
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap());
    }
    seen.sort();
    assert_eq!(seen, (1..=10).collect::<Vec<u64>>());
    assert_eq!(c.count("drop#busy#60").await.unwrap(), 10);
}
