//! The trash: a deleted accepted file is kept for `TRASH_DAYS` (hidden, unshared, still
//! counted), can be restored or purged, and the janitor purges it when due, not a second
//! earlier; every file that leaves for good leaves a deletion receipt.

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::fakes::etag_of;
use dropgate_core::files::{FileLookup, NewUpload};
use dropgate_core::lifecycle::{DeletedBy, DeletionReason};
use dropgate_core::notify::EventType;
use dropgate_core::pipeline::ObjectEvent;
use dropgate_core::{CoreError, FileId, FileStatus, OwnerId};

mod common;

type World = common::Lifecycle;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn world(trash_days: u32) -> World {
    common::lifecycle(t0(), common::trash_days(trash_days))
}

fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.resize(len, 0);
    v
}

/// An accepted file of `size` bytes: its key and id.
async fn accepted(w: &World, size: u64) -> (FileId, String) {
    let c = w
        .files
        .create_upload(
            &owner(),
            NewUpload {
                name: "scan.png".into(),
                size,
                content_type: "image/png".into(),
                owner_email: None,
            },
        )
        .await
        .unwrap();
    let id = FileId::parse(&c.file.id).unwrap();
    let key = format!("uploads/{id}");
    let bytes = png(size as usize);
    let etag = etag_of(&bytes);
    w.store.put(&key, bytes);
    let d = w
        .pipeline
        .decide_batch(&[ObjectEvent {
            key: key.clone(),
            size: Some(size),
            etag: Some(etag),
        }])
        .await;
    assert!(d[0].is_ok());
    let rec = w.ledger.get_file(&owner(), &id).await.unwrap().unwrap();
    assert_eq!(rec.status, FileStatus::Accepted);
    (id, key)
}

async fn used(w: &World) -> (u64, u64) {
    let u = w.ledger.usage(&owner(), 1 << 40).await.unwrap();
    (u.used_bytes, u.files)
}

fn deleted_notices(w: &World) -> usize {
    w.ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event == EventType::FileDeleted)
        .count()
}

#[tokio::test]
async fn a_deleted_file_waits_in_the_trash_still_counted_then_comes_back() {
    let w = world(7);
    let (id, key) = accepted(&w, 100).await;
    let trashed = w.files.delete(&owner(), id.as_str()).await.unwrap();
    assert_eq!(trashed.lifecycle.trashed_at, Some(t0()));

    // Gone from everything but the trash; its bytes and its quota stay.
    assert!(
        w.files
            .list(&owner(), None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    assert_eq!(
        w.files.get(&owner(), id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );
    assert_eq!(
        w.files.download(&owner(), id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );
    assert!(w.store.has(&key));
    assert_eq!(used(&w).await, (100, 1));
    let trash = w.files.trash(&owner(), None, None).await.unwrap();
    assert_eq!(trash.files.len(), 1);
    assert_eq!(
        trash.files[0].trashed_at.as_deref(),
        Some("2026-11-22T10:00:00.000Z")
    );
    assert_eq!(
        trash.files[0].purge_at.as_deref(),
        Some("2026-11-29T10:00:00.000Z")
    );
    // Nothing left the system yet: no notice, no receipt.
    assert_eq!(deleted_notices(&w), 0);
    assert!(w.ledger.receipts().is_empty());
    // Deleting it again finds nothing to delete.
    assert_eq!(
        w.files.delete(&owner(), id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );

    let restored = w.files.restore(&owner(), id.as_str()).await.unwrap();
    assert_eq!(restored.lifecycle.trashed_at, None);
    assert_eq!(
        w.files
            .list(&owner(), None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
    assert!(w.files.download(&owner(), id.as_str()).await.is_ok());
    assert!(
        w.files
            .trash(&owner(), None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    assert_eq!(used(&w).await, (100, 1));
}

#[tokio::test]
async fn a_purge_frees_the_quota_removes_the_bytes_and_leaves_a_receipt() {
    let w = world(7);
    let (id, key) = accepted(&w, 100).await;
    w.files.delete(&owner(), id.as_str()).await.unwrap();
    w.clock.advance(chrono::Duration::hours(1));
    w.files.purge(&owner(), id.as_str()).await.unwrap();

    assert!(!w.store.has(&key));
    assert_eq!(used(&w).await, (0, 0));
    assert!(
        w.files
            .trash(&owner(), None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    assert_eq!(deleted_notices(&w), 1);
    let receipts = w
        .files
        .receipts(&owner(), None, None)
        .await
        .unwrap()
        .receipts;
    assert_eq!(receipts.len(), 1);
    let r = &receipts[0];
    assert_eq!(r.file_id, id.to_string());
    assert_eq!((r.size, r.versions), (100, 1));
    assert_eq!(r.etag.as_deref(), Some(etag_of(&png(100)).as_str()));
    assert_eq!(
        (r.reason, r.deleted_by),
        (DeletionReason::Purged, DeletedBy::Owner)
    );
    assert_eq!(r.deleted_at, "2026-11-22T11:00:00.000Z");
    // Purged is purged: no restore, no second purge.
    assert_eq!(
        w.files.restore(&owner(), id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );
    assert_eq!(
        w.files.purge(&owner(), id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );
}

#[tokio::test]
async fn the_janitor_purges_what_is_due_and_not_a_second_earlier() {
    let w = world(7);
    let (id, key) = accepted(&w, 100).await;
    w.files.delete(&owner(), id.as_str()).await.unwrap();

    // Exactly seven days later: not yet.
    w.clock.advance(chrono::Duration::days(7));
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert!(sweep.purged.is_empty());
    assert!(w.store.has(&key));
    assert_eq!(used(&w).await, (100, 1));

    w.clock.advance(chrono::Duration::seconds(1));
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert_eq!(sweep.purged.len(), 1);
    assert_eq!(sweep.failed, 0);
    assert!(!w.store.has(&key));
    assert_eq!(used(&w).await, (0, 0));
    let receipts = w.ledger.receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].reason, DeletionReason::Purged);
    assert_eq!(receipts[0].deleted_at, "2026-11-29T10:00:01.000Z");
    assert_eq!(deleted_notices(&w), 1);

    // A second run finds nothing more.
    assert!(w.janitor.sweep(100).await.unwrap().purged.is_empty());
    assert_eq!(w.ledger.receipts().len(), 1);
}

#[tokio::test]
async fn a_file_due_for_purging_is_not_restored() {
    let w = world(7);
    let (id, _) = accepted(&w, 100).await;
    w.files.delete(&owner(), id.as_str()).await.unwrap();
    // Within the last minute before its purge the janitor may be removing its bytes.
    w.clock
        .advance(chrono::Duration::days(7) - chrono::Duration::seconds(30));
    assert_eq!(
        w.files.restore(&owner(), id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );
    assert_eq!(
        w.files
            .trash(&owner(), None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
}

#[tokio::test]
async fn with_the_trash_off_or_for_files_not_accepted_a_delete_is_final_with_a_receipt() {
    let w = world(0);
    let (id, key) = accepted(&w, 100).await;
    w.files.delete(&owner(), id.as_str()).await.unwrap();
    assert!(!w.store.has(&key));
    assert_eq!(used(&w).await, (0, 0));
    assert!(
        w.files
            .trash(&owner(), None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    let r = w.ledger.receipts();
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].reason, r[0].deleted_by),
        (DeletionReason::Deleted, DeletedBy::Owner)
    );

    // A pending file (no bytes yet) is removed at once even with the trash on.
    let w = world(7);
    let c = w
        .files
        .create_upload(
            &owner(),
            NewUpload {
                name: "p.png".into(),
                size: 10,
                content_type: "image/png".into(),
                owner_email: None,
            },
        )
        .await
        .unwrap();
    w.files.delete(&owner(), &c.file.id).await.unwrap();
    assert!(
        w.files
            .trash(&owner(), None, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    let u = w.ledger.usage(&owner(), 1 << 40).await.unwrap();
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (0, 0, 0));
    let r = w.ledger.receipts();
    assert_eq!((r[0].size, r[0].versions), (0, 0));
}

#[tokio::test]
async fn receipts_page_newest_first() {
    let w = world(0);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, _) = accepted(&w, 10).await;
        w.clock.advance(chrono::Duration::minutes(1));
        w.files.delete(&owner(), id.as_str()).await.unwrap();
        ids.push(id.to_string());
    }
    let first = w.files.receipts(&owner(), Some("2"), None).await.unwrap();
    let got: Vec<&str> = first.receipts.iter().map(|r| r.file_id.as_str()).collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    let cursor = first.next_cursor.expect("a second page");
    let second = w
        .files
        .receipts(&owner(), Some("2"), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(second.receipts.len(), 1);
    assert_eq!(second.receipts[0].file_id, ids[0]);
    assert_eq!(second.next_cursor, None);
    assert!(w.files.receipts(&owner(), None, Some("zz")).await.is_err());
}
