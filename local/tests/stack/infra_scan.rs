//! The DynamoDB ledger's side of the malware gate, against the emulator: what the contract
//! suite cannot see from the port (the stored attributes, the index partitions, the upload log's
//! items) and records written before the gate.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dropgate_core::files::{
    FileLookup, JanitorLedger, OwnerLedger, Reservation, Settlement, Settling,
};
use dropgate_core::links::{DropReservation, LinkStore};
use dropgate_core::notify::{EventType, OutboxEntry};
use dropgate_core::scan::{ScanRecord, ScanStatus};
use dropgate_core::{FileId, FileRecord, FileStatus, OwnerId};
use dropgate_infra::dynamo::DynamoLedger;
use dropgate_infra::dynamo::outbox::{entry_from_image, image_json};

use crate::infra_adapters::{Env, env, ledger};
use crate::infra_links::{drop_via, dropped, link};
use crate::infra_shares::upload_log;

/// Now, at the millisecond precision records keep.
fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap()
}

fn pending(owner: &str, id: &str, size: u64) -> FileRecord {
    let mut f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        OwnerId::parse(owner).unwrap(),
        "report.pdf".into(),
        size,
        "application/pdf".into(),
        now(),
        std::time::Duration::from_secs(900),
    );
    f.owner_email = Some("ada@example.com".into());
    f
}

fn to(status: FileStatus, at: DateTime<Utc>, scan: Option<ScanRecord>) -> Settlement {
    Settlement {
        status,
        detected_type: Some("application/pdf".into()),
        reason: match scan.as_ref().map(|s| s.status) {
            Some(ScanStatus::Infected) => Some("malware_found".into()),
            _ if status == FileStatus::Rejected => Some("scan_failed".into()),
            _ => None,
        },
        at,
        stored_size: Some(10),
        stored_etag: Some("e1".into()),
        give_back_link: false,
        scan,
    }
}

fn result(status: ScanStatus, etag: &str, threats: &[&str], at: DateTime<Utc>) -> ScanRecord {
    ScanRecord {
        status,
        etag: Some(etag.into()),
        threats: threats.iter().map(|t| t.to_string()).collect(),
        at: Some(at),
    }
}

async fn reread(l: &DynamoLedger, f: &FileRecord) -> FileRecord {
    l.get_file(&f.owner, &f.id)
        .await
        .unwrap()
        .expect("the record")
}

/// The record's raw item in the files table.
async fn raw(e: &Env, f: &FileRecord) -> HashMap<String, AttributeValue> {
    e.clients
        .dynamodb()
        .get_item()
        .table_name(&e.r.tables.files)
        .key("owner", AttributeValue::S(f.owner.to_string()))
        .key("file_id", AttributeValue::S(f.id.to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the item")
}

/// The upload-log entries of `f`, as the notifier reads them from the stream's images.
async fn log_of(e: &Env, f: &FileRecord) -> Vec<OutboxEntry> {
    let out = e
        .clients
        .dynamodb()
        .query()
        .table_name(&e.r.tables.upload_log)
        .key_condition_expression("#o = :o")
        .expression_attribute_names("#o", "owner")
        .expression_attribute_values(":o", AttributeValue::S(f.owner.to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        // The link's own entries (`link.created`) are not the file's.
        .filter(|item| {
            let event = item.get("event").and_then(|v| v.as_s().ok());
            !event
                .and_then(|e| dropgate_core::notify::EventType::parse(e))
                .is_some_and(|e| e.is_lifecycle())
        })
        .map(|item| entry_from_image(&image_json(item)).unwrap())
        .filter(|entry| entry.file.id == f.id)
        .collect()
}

fn usage_of(u: dropgate_core::files::QuotaUsage) -> (u64, u64, u64) {
    (u.used_bytes, u.reserved_bytes, u.files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_gates_contract() {
    // The same checks the in-memory ledger passes (core/tests/contract.rs).
    let e = env().await;
    dropgate_core::contract::ledger_scan::check_all(&ledger(&e), &upload_log(&e), "ddb", now())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_from_before_the_gate_reads_as_never_scanned() {
    let e = env().await;
    let l = ledger(&e);
    let f = pending("owner-g", "g1", 10);
    assert_eq!(
        l.create_pending(&f, 100).await.unwrap(),
        Reservation::Reserved
    );
    assert!(
        l.settle(&f, &to(FileStatus::Accepted, now(), None))
            .await
            .unwrap()
    );
    // What an older version wrote: no scan attribute at all.
    let item = raw(&e, &f).await;
    let scan_attrs: Vec<&String> = item.keys().filter(|k| k.starts_with("scan")).collect();
    assert!(scan_attrs.is_empty(), "{scan_attrs:?}");
    let got = reread(&l, &f).await;
    assert_eq!((&got.scan, got.scan_started_at), (&None, None));
    assert_eq!(got.status, FileStatus::Accepted);
    assert_eq!(got.view().scan.status, ScanStatus::Off, "never scanned");
    let logged = log_of(&e, &f).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].file.scan, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanning_waits_in_its_own_partitions_and_only_final_verdicts_are_logged() {
    let e = env().await;
    let l = ledger(&e);
    let owner = OwnerId::parse("owner-s").unwrap();
    let f = pending("owner-s", "s1", 10);
    l.create_pending(&f, 100).await.unwrap();
    let started = now();
    assert!(
        l.settle(&f, &to(FileStatus::Scanning, started, None))
            .await
            .unwrap()
    );
    let item = raw(&e, &f).await;
    let shard = item["pending_shard"].as_s().unwrap();
    assert!(shard.starts_with('s'), "{shard}");
    assert!(!item.contains_key("expires_at"), "a scanning file stays");
    let scanning = reread(&l, &f).await;
    assert_eq!(scanning.status, FileStatus::Scanning);
    assert_eq!(scanning.scan_started_at, Some(started));
    assert!(log_of(&e, &f).await.is_empty(), "nothing final yet");
    // Its bytes are there: the reservation is usage now.
    assert_eq!(usage_of(l.usage(&owner, 100).await.unwrap()), (10, 0, 1));
    // Not pending: the janitor's expiry pass never sees it.
    assert!(
        l.stale_pending(started + TimeDelta::days(1), 100)
            .await
            .unwrap()
            .is_empty()
    );

    // The clean result for these bytes: one entry, with the result, and it leaves the index.
    let clean = result(ScanStatus::Clean, "e1", &[], now());
    assert!(
        l.settle(
            &scanning,
            &to(FileStatus::Accepted, now(), Some(clean.clone()))
        )
        .await
        .unwrap()
    );
    assert!(
        !l.settle(
            &scanning,
            &to(FileStatus::Accepted, now(), Some(clean.clone()))
        )
        .await
        .unwrap(),
        "a duplicated result changes nothing"
    );
    assert!(!raw(&e, &f).await.contains_key("pending_shard"));
    let accepted = reread(&l, &f).await;
    assert_eq!(accepted.scan, Some(clean.clone()));
    assert_eq!(usage_of(l.usage(&owner, 100).await.unwrap()), (10, 0, 1));
    let logged = log_of(&e, &f).await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].event, EventType::UploadAccepted);
    assert_eq!(logged[0].file.scan, Some(clean));

    // Replaced bytes go back to scanning, silently; their infected result rejects them, with
    // the threats in the record and in its one new entry, and the usage released.
    let again = now();
    let replaced = Settlement {
        stored_etag: Some("e2".into()),
        ..to(FileStatus::Scanning, again, None)
    };
    assert!(l.settle(&accepted, &replaced).await.unwrap());
    let rescanning = reread(&l, &f).await;
    assert_eq!(rescanning.scan_started_at, Some(again));
    assert_eq!(log_of(&e, &f).await.len(), 1);
    let infected = result(ScanStatus::Infected, "e2", &["EICAR-Test-File"], now());
    assert!(
        l.settle(
            &rescanning,
            &to(FileStatus::Rejected, now(), Some(infected.clone()))
        )
        .await
        .unwrap()
    );
    let rejected = reread(&l, &f).await;
    assert_eq!(rejected.scan, Some(infected.clone()));
    assert_eq!(rejected.reason.as_deref(), Some("malware_found"));
    let item = raw(&e, &f).await;
    assert!(item["pending_shard"].as_s().unwrap().starts_with('c'));
    assert_eq!(usage_of(l.usage(&owner, 100).await.unwrap()), (0, 0, 0));
    let logged = log_of(&e, &f).await;
    let last: Vec<&OutboxEntry> = logged
        .iter()
        .filter(|x| x.event == EventType::UploadRejected)
        .collect();
    assert_eq!((logged.len(), last.len()), (2, 1), "{logged:?}");
    assert_eq!(last[0].file.scan, Some(infected));
    assert_eq!(last[0].file.reason.as_deref(), Some("malware_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_files_keep_their_bytes_and_are_announced_once() {
    let e = env().await;
    let l = ledger(&e);
    let owner = OwnerId::parse("owner-h").unwrap();
    let f = pending("owner-h", "h1", 10);
    l.create_pending(&f, 100).await.unwrap();
    l.settle(&f, &to(FileStatus::Scanning, now(), None))
        .await
        .unwrap();
    let scanning = reread(&l, &f).await;
    let unsupported = result(ScanStatus::Unsupported, "e1", &[], now());
    let held = Settlement {
        reason: Some("scan_unsupported".into()),
        ..to(FileStatus::Held, now(), Some(unsupported.clone()))
    };
    assert!(l.settle(&scanning, &held).await.unwrap());
    let item = raw(&e, &f).await;
    assert!(
        !item.contains_key("pending_shard"),
        "neither waiting nor to clean"
    );
    assert!(!item.contains_key("expires_at"));
    assert_eq!(reread(&l, &f).await.status, FileStatus::Held);
    assert_eq!(usage_of(l.usage(&owner, 100).await.unwrap()), (10, 0, 1));
    let logged = log_of(&e, &f).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].event, EventType::UploadHeld);
    assert_eq!(logged[0].file.scan, Some(unsupported));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_is_recorded_only_while_the_record_waits_as_it_was_read() {
    let e = env().await;
    let l = ledger(&e);
    let f = pending("owner-r", "r1", 10);
    l.create_pending(&f, 100).await.unwrap();
    let infected = result(ScanStatus::Infected, "e0", &["Old"], now());
    assert!(l.record_scan(&f, &infected).await.unwrap());
    let got = reread(&l, &f).await;
    assert_eq!(
        (got.status, got.scan.clone()),
        (FileStatus::Pending, Some(infected))
    );
    assert!(
        log_of(&e, &f).await.is_empty(),
        "recording announces nothing"
    );
    // A later result replaces it whole: no threat of the earlier one survives.
    let clean = result(ScanStatus::Clean, "e1", &[], now());
    assert!(l.record_scan(&f, &clean).await.unwrap());
    assert_eq!(reread(&l, &f).await.scan, Some(clean.clone()));
    assert!(!raw(&e, &f).await.contains_key("scan_threats"));
    // Moved meanwhile: nothing recorded.
    l.settle(&f, &to(FileStatus::Scanning, now(), None))
        .await
        .unwrap();
    let late = result(ScanStatus::Failed, "e1", &[], now());
    assert!(!l.record_scan(&f, &late).await.unwrap());
    assert_eq!(reread(&l, &f).await.scan, Some(clean));
    // Deleted meanwhile: nothing recreated.
    let gone = pending("owner-r", "r2", 10);
    assert!(!l.record_scan(&gone, &late).await.unwrap());
    assert!(l.get_file(&gone.owner, &gone.id).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_scanning_files_are_found_across_shards_oldest_first() {
    let e = env().await;
    let l = ledger(&e);
    let base = now() - TimeDelta::hours(1);
    let mut shards = std::collections::BTreeSet::new();
    // Started in an order unrelated to their upload deadlines (the index's sort key).
    let starts = [7, 3, 11, 0, 9, 5, 1, 10, 2, 8, 4, 6];
    for (i, minute) in starts.iter().enumerate() {
        let f = pending("owner-t", &format!("t{i:02}"), 1);
        shards.insert(dropgate_core::keys::pending_shard(&f.id, l.pending_shards));
        l.create_pending(&f, 1000).await.unwrap();
        let at = base + TimeDelta::minutes(*minute);
        assert!(
            l.settle(&f, &to(FileStatus::Scanning, at, None))
                .await
                .unwrap()
        );
    }
    assert!(shards.len() > 1, "the files spread over shards: {shards:?}");
    // Neither a fresh scan, nor a pending file, nor a file that left scanning is stale.
    let fresh = pending("owner-t", "fresh", 1);
    l.create_pending(&fresh, 1000).await.unwrap();
    l.settle(&fresh, &to(FileStatus::Scanning, now(), None))
        .await
        .unwrap();
    let waiting = pending("owner-t", "waiting", 1);
    l.create_pending(&waiting, 1000).await.unwrap();
    let done = pending("owner-t", "done", 1);
    l.create_pending(&done, 1000).await.unwrap();
    l.settle(&done, &to(FileStatus::Scanning, base, None))
        .await
        .unwrap();
    let scanning_done = reread(&l, &done).await;
    let clean = result(ScanStatus::Clean, "e1", &[], now());
    l.settle(
        &scanning_done,
        &to(FileStatus::Accepted, now(), Some(clean)),
    )
    .await
    .unwrap();

    let cutoff = base + TimeDelta::minutes(30);
    let stale = l.stale_scanning(cutoff, 100).await.unwrap();
    let ids: Vec<String> = stale.iter().map(|f| f.id.to_string()).collect();
    let mut want: Vec<(i64, String)> = starts
        .iter()
        .enumerate()
        .map(|(i, m)| (*m, format!("t{i:02}")))
        .collect();
    want.sort();
    let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, want, "the longest waiting first, across shards");
    assert!(stale.iter().all(|f| f.status == FileStatus::Scanning));
    // The limit keeps the oldest; the cutoff is strict.
    let three = l.stale_scanning(cutoff, 3).await.unwrap();
    let ids: Vec<&str> = three.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, &want[..3]);
    let before_third = l
        .stale_scanning(base + TimeDelta::minutes(2), 100)
        .await
        .unwrap();
    assert_eq!(before_third.len(), 2);
    // A timed-out file settles away and is no longer found.
    let timed_out = Settlement {
        reason: Some("scan_timeout".into()),
        ..to(FileStatus::Rejected, now(), None)
    };
    assert!(l.settle(&stale[0], &timed_out).await.unwrap());
    assert_eq!(l.stale_scanning(cutoff, 100).await.unwrap().len(), 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_releases_its_links_pending_bytes_once_as_it_starts_scanning() {
    let e = env().await;
    let store = ledger(&e);
    let l = link("owner-d", "l-scan", "tok-scan", 2, Some(1000));
    store.put_link(&l).await.unwrap();
    let f = dropped(&l, "d1", 50);
    assert_eq!(
        drop_via(&store, &l, &f, 10_000, now()).await,
        DropReservation::Reserved
    );
    let counts = async |store: &DynamoLedger| {
        let got = store.get_link(&l.owner, &l.id).await.unwrap().unwrap();
        (got.pending_bytes, got.uploads_used, got.bytes_used)
    };
    let (pending, uses, bytes) = counts(&store).await;
    assert_eq!((pending, uses), (50, 1));
    assert!(
        store
            .settle(&f, &to(FileStatus::Scanning, now(), None))
            .await
            .unwrap()
    );
    // The bytes arrived: nothing is pending on the link any more; the use is spent.
    assert_eq!(counts(&store).await, (0, 1, bytes));
    // Refused by its scan: no second release, and the use stays spent.
    let scanning = reread(&store, &f).await;
    let infected = result(ScanStatus::Infected, "e1", &["EICAR-Test-File"], now());
    assert!(
        store
            .settle(&scanning, &to(FileStatus::Rejected, now(), Some(infected)))
            .await
            .unwrap()
    );
    assert_eq!(counts(&store).await, (0, 1, bytes));
}
