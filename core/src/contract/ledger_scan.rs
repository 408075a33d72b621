//! The ledger's contract for the malware gate: moves to and from `scanning`, the scan result
//! kept on a record, and the scans that never answered. Run, like [`super::ledger`], on the
//! fake (`core/tests/contract.rs`) and on the DynamoDB adapter; each check on owners of its own
//! (`<prefix>-...`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::shares::{Announced, BoxFuture};
use crate::files::{Ledger, Settlement};
use crate::notify::{EventType, OutboxEntry};
use crate::scan::{ScanRecord, ScanStatus};
use crate::{FileId, FileRecord, FileStatus, OwnerId};

impl Announced for crate::fakes::MemLedger {
    fn announced<'a>(&'a self, owner: &'a OwnerId) -> BoxFuture<'a, Vec<OutboxEntry>> {
        let mut all: Vec<OutboxEntry> = self
            .outbox
            .lock()
            .unwrap()
            .iter()
            .filter(|e| &e.file.owner == owner)
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Box::pin(async move { all })
    }

    fn lifecycle<'a>(
        &'a self,
        owner: &'a OwnerId,
    ) -> BoxFuture<'a, Vec<crate::notify::LifecycleEntry>> {
        let mut all: Vec<_> = self
            .lifecycle
            .lock()
            .unwrap()
            .iter()
            .filter(|e| &e.owner == owner)
            .cloned()
            .collect();
        all.sort_by(|a: &crate::notify::LifecycleEntry, b| a.id.cmp(&b.id));
        Box::pin(async move { all })
    }
}

/// Every check; `log` reads the outbox entries the ledger's settlements wrote.
pub async fn check_all(l: &dyn Ledger, log: &dyn Announced, prefix: &str, now: DateTime<Utc>) {
    scanning_holds_usage_and_only_the_final_move_announces(l, log, prefix, now).await;
    a_result_is_kept_only_while_the_record_is_as_read(l, log, prefix, now).await;
    finds_only_files_scanning_since_before(l, prefix, now).await;
    refusing_scanned_bytes_releases_their_usage(l, log, prefix, now).await;
}

fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

fn file(owner: &OwnerId, id: &str, size: u64, now: DateTime<Utc>) -> FileRecord {
    FileRecord::pending(
        FileId::parse(id).unwrap_or_else(|_| panic!("id {id}")),
        owner.clone(),
        format!("{id}.png"),
        size,
        "image/png".into(),
        now,
        Duration::from_secs(900),
    )
}

fn to(status: FileStatus, at: DateTime<Utc>, size: u64, scan: Option<ScanRecord>) -> Settlement {
    let reason = match status {
        FileStatus::Rejected => Some("malware_found".into()),
        FileStatus::Held => Some("scan_unsupported".into()),
        _ => None,
    };
    Settlement {
        status,
        detected_type: Some("image/png".into()),
        reason,
        at,
        stored_size: Some(size),
        stored_etag: Some("e1".into()),
        give_back_link: false,
        scan,
    }
}

fn result(status: ScanStatus, threats: &[&str], at: DateTime<Utc>) -> ScanRecord {
    ScanRecord {
        status,
        etag: Some("e1".into()),
        threats: threats.iter().map(|t| t.to_string()).collect(),
        at: Some(at),
    }
}

async fn usage(l: &dyn Ledger, o: &OwnerId) -> (u64, u64, u64) {
    let u = l.usage(o, 1 << 40).await.expect("usage");
    (u.used_bytes, u.reserved_bytes, u.files)
}

async fn events(log: &dyn Announced, o: &OwnerId) -> Vec<(EventType, FileStatus)> {
    log.announced(o)
        .await
        .into_iter()
        .map(|e| (e.event, e.file.status))
        .collect()
}

async fn get(l: &dyn Ledger, f: &FileRecord) -> FileRecord {
    l.get_file(&f.owner, &f.id).await.unwrap().expect("record")
}

fn millis(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

pub async fn scanning_holds_usage_and_only_the_final_move_announces(
    l: &dyn Ledger,
    log: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "scan-move");
    let f = file(&o, "sm1", 30, now);
    l.create_pending(&f, 1000).await.unwrap();
    assert!(
        l.settle(&f, &to(FileStatus::Scanning, now, 30, None))
            .await
            .unwrap()
    );
    assert!(
        !l.settle(&f, &to(FileStatus::Scanning, now, 30, None))
            .await
            .unwrap(),
        "moved once"
    );
    assert_eq!(usage(l, &o).await, (30, 0, 1), "reserved -> used");
    assert!(events(log, &o).await.is_empty(), "nothing announced yet");
    let scanning = get(l, &f).await;
    assert_eq!(scanning.status, FileStatus::Scanning);
    assert_eq!(millis(scanning.scan_started_at), millis(Some(now)));
    assert_eq!(
        scanning.stored.as_ref().and_then(|s| s.etag.as_deref()),
        Some("e1")
    );

    let clean = result(ScanStatus::Clean, &[], now);
    let accept = to(FileStatus::Accepted, now, 30, Some(clean.clone()));
    assert!(l.settle(&scanning, &accept).await.unwrap());
    assert!(!l.settle(&scanning, &accept).await.unwrap(), "settled once");
    assert_eq!(usage(l, &o).await, (30, 0, 1), "no change");
    assert_eq!(
        events(log, &o).await,
        vec![(EventType::UploadAccepted, FileStatus::Accepted)]
    );
    let accepted = get(l, &f).await;
    let kept = accepted.scan.clone().expect("the result is kept");
    assert_eq!(
        (kept.status, kept.etag, kept.threats),
        (ScanStatus::Clean, Some("e1".into()), vec![])
    );
    assert_eq!(millis(kept.at), millis(Some(now)));

    // Replaced bytes go back to scanning: no change to the quota, nothing announced.
    assert!(
        l.settle(&accepted, &to(FileStatus::Scanning, now, 30, None))
            .await
            .unwrap()
    );
    assert_eq!(usage(l, &o).await, (30, 0, 1));
    assert_eq!(events(log, &o).await.len(), 1);
}

pub async fn a_result_is_kept_only_while_the_record_is_as_read(
    l: &dyn Ledger,
    log: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "scan-early");
    let f = file(&o, "se1", 20, now);
    l.create_pending(&f, 1000).await.unwrap();
    let infected = result(ScanStatus::Infected, &["EICAR-Test-File"], now);
    assert!(l.record_scan(&f, &infected).await.unwrap());
    let rec = get(l, &f).await;
    assert_eq!(rec.status, FileStatus::Pending, "status unchanged");
    let kept = rec.scan.clone().expect("kept");
    assert_eq!(kept.threats, vec!["EICAR-Test-File".to_owned()]);
    assert_eq!(kept.status, ScanStatus::Infected);
    assert_eq!(usage(l, &o).await, (0, 20, 1));
    assert!(events(log, &o).await.is_empty());

    assert!(
        l.settle(&rec, &to(FileStatus::Scanning, now, 20, None))
            .await
            .unwrap()
    );
    let clean = result(ScanStatus::Clean, &[], now);
    assert!(
        !l.record_scan(&f, &clean).await.unwrap(),
        "the record is no longer pending"
    );
    let after = get(l, &f).await;
    assert_eq!(after.scan.map(|s| s.status), Some(ScanStatus::Infected));
}

pub async fn finds_only_files_scanning_since_before(
    l: &dyn Ledger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "scan-stale");
    let ago = |m: i64| now - chrono::Duration::minutes(m);
    for (id, started) in [("ss1", ago(20)), ("ss2", ago(1)), ("ss3", ago(30))] {
        let f = file(&o, id, 5, ago(40));
        l.create_pending(&f, 1000).await.unwrap();
        assert!(
            l.settle(&f, &to(FileStatus::Scanning, started, 5, None))
                .await
                .unwrap()
        );
    }
    // Old, but not scanning: pending, and accepted after a scan.
    let pending = file(&o, "ss4", 5, ago(60));
    l.create_pending(&pending, 1000).await.unwrap();
    let done = file(&o, "ss5", 5, ago(60));
    l.create_pending(&done, 1000).await.unwrap();
    assert!(
        l.settle(&done, &to(FileStatus::Scanning, ago(50), 5, None))
            .await
            .unwrap()
    );
    let done = get(l, &done).await;
    let clean = Some(result(ScanStatus::Clean, &[], ago(49)));
    assert!(
        l.settle(&done, &to(FileStatus::Accepted, ago(49), 5, clean))
            .await
            .unwrap()
    );

    let o = &o;
    let stale = |before, limit| async move {
        l.stale_scanning(before, limit)
            .await
            .unwrap()
            .into_iter()
            .filter(|f| &f.owner == o)
            .map(|f| f.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        stale(ago(10), 100).await,
        vec!["ss3", "ss1"],
        "oldest first"
    );
    assert_eq!(stale(ago(25), 100).await, vec!["ss3"]);
    assert!(stale(ago(31), 100).await.is_empty());
    assert_eq!(stale(now, 100).await, vec!["ss3", "ss1", "ss2"]);
    let first = l.stale_scanning(now, 1).await.unwrap();
    assert_eq!(first.len(), 1, "at most the limit");
}

pub async fn refusing_scanned_bytes_releases_their_usage(
    l: &dyn Ledger,
    log: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "scan-refuse");
    let (a, b) = (file(&o, "sr1", 10, now), file(&o, "sr2", 40, now));
    for f in [&a, &b] {
        l.create_pending(f, 1000).await.unwrap();
        assert!(
            l.settle(f, &to(FileStatus::Scanning, now, f.size, None))
                .await
                .unwrap()
        );
    }
    assert_eq!(usage(l, &o).await, (50, 0, 2));
    let infected = Some(result(ScanStatus::Infected, &["EICAR-Test-File"], now));
    let a_now = get(l, &a).await;
    assert!(
        l.settle(&a_now, &to(FileStatus::Rejected, now, 10, infected))
            .await
            .unwrap()
    );
    assert_eq!(usage(l, &o).await, (40, 0, 1), "a's usage released");
    let rejected = get(l, &a).await;
    assert_eq!(rejected.reason.as_deref(), Some("malware_found"));
    assert_eq!(
        rejected.scan.map(|s| s.threats),
        Some(vec!["EICAR-Test-File".to_owned()])
    );
    assert_eq!(
        l.awaiting_cleanup(1000)
            .await
            .unwrap()
            .iter()
            .filter(|f| f.owner == o)
            .count(),
        1
    );

    // Held keeps the bytes (and their usage) for an operator; rejecting it then releases them.
    let unsupported = Some(result(ScanStatus::Unsupported, &[], now));
    let b_now = get(l, &b).await;
    assert!(
        l.settle(&b_now, &to(FileStatus::Held, now, 40, unsupported))
            .await
            .unwrap()
    );
    assert_eq!(usage(l, &o).await, (40, 0, 1));
    let held = get(l, &b).await;
    assert_eq!(held.status, FileStatus::Held);
    assert!(
        l.settle(&held, &to(FileStatus::Rejected, now, 40, None))
            .await
            .unwrap()
    );
    assert_eq!(usage(l, &o).await, (0, 0, 0));
    let mut seen = events(log, &o).await;
    seen.sort_by_key(|(e, _)| e.as_str());
    assert_eq!(
        seen,
        vec![
            (EventType::UploadHeld, FileStatus::Held),
            (EventType::UploadRejected, FileStatus::Rejected),
            (EventType::UploadRejected, FileStatus::Rejected),
        ]
    );
}
