//! The trash's and the receipts' contract, part of the ledger's: run against the in-memory fake
//! (`core/tests/contract.rs`) and the DynamoDB adapter (`local/tests/stack/infra_adapters.rs`).
//! Owners of its own (`<prefix>-trash...`); time-based queries are filtered to them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::files::{Ledger, Settlement};
use crate::lifecycle::{DeletedBy, DeletionReason, DeletionReceipt};
use crate::{FileId, FileRecord, FileStatus, OwnerId};

fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

/// An accepted file of `size` bytes, created and settled through the ledger.
pub(super) async fn accepted(
    l: &dyn Ledger,
    o: &OwnerId,
    id: &str,
    size: u64,
    now: DateTime<Utc>,
) -> FileRecord {
    let f = FileRecord::pending(
        FileId::parse(id).unwrap_or_else(|_| panic!("id {id}")),
        o.clone(),
        format!("{id}.png"),
        size,
        "image/png".into(),
        now,
        Duration::from_secs(600),
    );
    l.create_pending(&f, 1 << 30).await.expect("create");
    let s = Settlement {
        status: FileStatus::Accepted,
        detected_type: Some("image/png".into()),
        reason: None,
        at: now,
        stored_size: Some(size),
        stored_etag: Some(format!("etag-{id}")),
        give_back_link: false,
        scan: None,
    };
    assert!(l.settle(&f, &s).await.expect("settle"));
    l.get_file(o, &f.id).await.expect("get").expect("accepted")
}

async fn usage(l: &dyn Ledger, o: &OwnerId) -> (u64, u64) {
    let u = l.usage(o, 1 << 40).await.expect("usage");
    (u.used_bytes, u.files)
}

async fn listed(l: &dyn Ledger, o: &OwnerId) -> Vec<String> {
    let page = l.list_files(o, 100, None).await.expect("list");
    page.files.iter().map(|f| f.id.to_string()).collect()
}

async fn trashed(l: &dyn Ledger, o: &OwnerId) -> Vec<String> {
    let page = l.list_trash(o, 100, None).await.expect("trash");
    page.files.iter().map(|f| f.id.to_string()).collect()
}

async fn due(l: &dyn Ledger, o: &OwnerId, before: DateTime<Utc>) -> Vec<String> {
    let found = l.due_trash(before, 1000).await.expect("due");
    found
        .into_iter()
        .filter(|f| &f.owner == o)
        .map(|f| f.id.to_string())
        .collect()
}

pub async fn check_all(l: &dyn Ledger, prefix: &str, now: DateTime<Utc>) {
    // Stores keep times to the millisecond.
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    trash_hides_keeps_and_restores(l, prefix, now).await;
    purge_removes_with_its_receipt(l, prefix, now).await;
}

pub async fn trash_hides_keeps_and_restores(l: &dyn Ledger, prefix: &str, now: DateTime<Utc>) {
    let o = owner(prefix, "trash");
    let a = accepted(l, &o, "t1", 100, now).await;
    accepted(l, &o, "t2", 50, now).await;
    let later = now + chrono::Duration::minutes(1);
    assert!(l.trash_file(&a, later).await.unwrap());
    // Twice is once.
    assert!(!l.trash_file(&a, later).await.unwrap());
    assert_eq!(listed(l, &o).await, ["t2"]);
    assert_eq!(trashed(l, &o).await, ["t1"]);
    assert_eq!(usage(l, &o).await, (150, 2), "the trash still counts");
    let a = l.get_file(&o, &a.id).await.unwrap().expect("a");
    assert_eq!(a.lifecycle.trashed_at, Some(later));
    assert_eq!(a.status, FileStatus::Accepted);

    // Due strictly after its trash time.
    assert!(due(l, &o, later).await.is_empty());
    assert_eq!(
        due(l, &o, later + chrono::Duration::milliseconds(1)).await,
        ["t1"]
    );

    // A file due (trashed before `not_due_before`) is not restored; one not due is.
    assert!(
        !l.restore_file(&a, later + chrono::Duration::seconds(1))
            .await
            .unwrap()
    );
    assert!(l.restore_file(&a, later).await.unwrap());
    assert!(
        !l.restore_file(&a, later).await.unwrap(),
        "restored already"
    );
    let mut listed_now = listed(l, &o).await;
    listed_now.sort();
    assert_eq!(listed_now, ["t1", "t2"]);
    assert!(trashed(l, &o).await.is_empty());
    assert!(
        due(l, &o, later + chrono::Duration::days(1))
            .await
            .is_empty()
    );
}

pub async fn purge_removes_with_its_receipt(l: &dyn Ledger, prefix: &str, now: DateTime<Utc>) {
    let o = owner(prefix, "trashp");
    let a = accepted(l, &o, "p1", 100, now).await;
    let b = accepted(l, &o, "p2", 7, now).await;
    assert!(l.trash_file(&a, now).await.unwrap());
    let a_trashed = l.get_file(&o, &a.id).await.unwrap().expect("a");
    let at = now + chrono::Duration::seconds(5);
    // A record read before it went to the trash is not the one there now.
    let stale = DeletionReceipt::of(&a, DeletionReason::Deleted, DeletedBy::Owner, at);
    assert!(!l.purge_file(&a, &stale, at).await.unwrap());

    // The owner's purge makes it due at once, then removes it.
    assert!(l.expedite_purge(&a_trashed).await.unwrap());
    assert!(!l.expedite_purge(&a_trashed).await.unwrap(), "read before");
    let a_due = l.get_file(&o, &a.id).await.unwrap().expect("a");
    assert_eq!(a_due.lifecycle.trashed_at, Some(DateTime::UNIX_EPOCH));
    assert_eq!(due(l, &o, now).await, ["p1"]);
    let r1 = DeletionReceipt::of(&a_due, DeletionReason::Purged, DeletedBy::Owner, at);
    assert!(l.purge_file(&a_due, &r1, at).await.unwrap());
    assert!(l.get_file(&o, &a.id).await.unwrap().is_none());
    assert!(trashed(l, &o).await.is_empty());
    assert_eq!(usage(l, &o).await, (7, 1));

    // A live file is purged only while it is live.
    let r2 = DeletionReceipt::of(
        &b,
        DeletionReason::Deleted,
        DeletedBy::Owner,
        at + chrono::Duration::seconds(1),
    );
    assert!(l.purge_file(&b, &r2, at).await.unwrap());
    assert_eq!(usage(l, &o).await, (0, 0));

    // Newest first, in pages; receipts name no file in clear.
    let page = l.list_receipts(&o, 1, None).await.unwrap();
    assert_eq!(page.receipts, std::slice::from_ref(&r2));
    let cursor = page.next_cursor.expect("more");
    let page = l.list_receipts(&o, 1, Some(&cursor)).await.unwrap();
    assert_eq!(page.receipts, std::slice::from_ref(&r1));
    assert_eq!(page.next_cursor, None);
    assert_eq!(r1.etag.as_deref(), Some("etag-p1"));
    assert_eq!((r1.size, r1.versions), (100, 1));
    // Receipts are the owner's alone.
    let other = owner(prefix, "trasho");
    assert!(
        l.list_receipts(&other, 10, None)
            .await
            .unwrap()
            .receipts
            .is_empty()
    );
    assert!(l.list_receipts(&o, 10, Some("zz")).await.is_err());
}
