//! Deletions cut short after their mark, over the fakes (docs/DESIGN.md 2.4): a removal for
//! good that fails after marking the record, and that nobody repeats, is finished by the
//! janitor once the mark is older than `DELETION_GRACE`, as it would have ended (its receipt's
//! reason and actor, the quota released once, a multipart upload aborted); meanwhile its owner
//! sees it as deleted. An erasure's marks are the erasure's: the janitor never touches them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dropgate_core::clock::Clock;
use dropgate_core::files::{
    FileLookup, JanitorLedger, NewUpload, OwnerLedger, Purging, Settlement, Settling,
};
use dropgate_core::lifecycle::{DELETION_GRACE, DeletedBy, DeletionReason, DeletionReceipt};
use dropgate_core::notify::EventType;
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus};

mod common;

use common::{admin, ann};

type World = common::Operated;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap()
}

fn world(trash_days: u32) -> World {
    common::operated(t0(), trash_days, false)
}

/// An accepted file of Ann's, its bytes stored.
async fn accepted(w: &World, id: &str) -> FileRecord {
    let f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        ann(),
        format!("{id}.pdf"),
        10,
        "application/pdf".into(),
        w.clock.now(),
        std::time::Duration::from_secs(600),
    );
    let l = &w.mem.ledger;
    l.create_pending(&f, 1 << 20).await.unwrap();
    w.objects.put(&f.key(), vec![1; 10]);
    let s = Settlement {
        status: FileStatus::Accepted,
        detected_type: Some("application/pdf".into()),
        reason: None,
        at: w.clock.now(),
        stored_size: Some(10),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    };
    assert!(l.settle(&f, &s).await.unwrap());
    l.get_file(&ann(), &f.id).await.unwrap().unwrap()
}

async fn record(w: &World, f: &FileRecord) -> Option<FileRecord> {
    w.mem.ledger.get_file(&ann(), &f.id).await.unwrap()
}

async fn used(w: &World) -> (u64, u64, u64) {
    let u = w.mem.ledger.usage(&ann(), 1 << 30).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

fn deleted_notices(w: &World, f: &FileRecord) -> usize {
    let outbox = w.mem.ledger.outbox.lock().unwrap();
    outbox
        .iter()
        .filter(|e| e.event == EventType::FileDeleted && e.file.id == f.id)
        .count()
}

fn not_found<T: std::fmt::Debug>(r: Result<T, CoreError>) -> bool {
    matches!(r, Err(CoreError::NotFound))
}

/// What the owner sees of a marked record: nothing. Not listed, not found, not downloaded,
/// not in the trash.
async fn hidden_from_owner(w: &World, f: &FileRecord) {
    let id = f.id.as_str();
    assert!(
        not_found(w.files.get(&ann(), id).await),
        "GET /files/{{id}}"
    );
    assert!(not_found(w.files.download(&ann(), id).await), "download");
    let listed = w.files.list(&ann(), None, None).await.unwrap();
    assert!(listed.files.iter().all(|v| v.id != id), "GET /files");
    let trash = w.files.trash(&ann(), None, None).await.unwrap();
    assert!(trash.files.iter().all(|v| v.id != id), "GET /trash");
    assert!(not_found(w.files.trashed(&ann(), id).await), "the trash");
}

#[derive(Debug, Clone, Copy)]
enum Cut {
    /// The owner's final delete (the trash off).
    OwnerDelete,
    /// An admin's delete.
    AdminDelete,
}

#[tokio::test]
async fn a_deletion_cut_short_is_finished_after_the_grace_once_as_it_would_have_ended() {
    for (cut, reason, by) in [
        (Cut::OwnerDelete, DeletionReason::Deleted, DeletedBy::Owner),
        (Cut::AdminDelete, DeletionReason::Deleted, DeletedBy::Admin),
    ] {
        let w = world(0);
        let f = accepted(&w, "f-cut").await;
        let other = accepted(&w, "f-kept").await;
        assert_eq!(used(&w).await, (20, 0, 2));
        // The bytes' removal fails: the caller answered 503, the record marked, and nobody
        // tries again.
        w.objects.failing_deletes.lock().unwrap().insert(f.key());
        let r = match cut {
            Cut::OwnerDelete => w.files.delete(&ann(), f.id.as_str()).await.map(drop),
            Cut::AdminDelete => w.review.delete_file(&admin(), f.id.as_str()).await,
        };
        assert!(r.is_err(), "{cut:?}: {r:?}");
        w.objects.failing_deletes.lock().unwrap().clear();
        let marked = record(&w, &f).await.expect("the record stays");
        assert!(marked.is_deleting(), "{cut:?}");
        assert!(w.objects.has(&f.key()));
        hidden_from_owner(&w, &f).await;
        assert!(w.files.get(&ann(), other.id.as_str()).await.is_ok());

        // A mark younger than the grace may be a deletion still running: left.
        w.clock.advance(DELETION_GRACE - Duration::seconds(1));
        let sweep = w.janitor.sweep(100).await.unwrap();
        assert!(sweep.finished.is_empty(), "{cut:?}: {sweep:?}");
        assert!(record(&w, &f).await.is_some());

        w.clock.advance(Duration::seconds(2));
        let sweep = w.janitor.sweep(100).await.unwrap();
        assert_eq!(sweep.finished.len(), 1, "{cut:?}: {sweep:?}");
        assert_eq!(sweep.finished[0].id, f.id);
        assert_eq!(sweep.failed, 0);
        assert!(record(&w, &f).await.is_none(), "{cut:?}: the record went");
        assert!(!w.objects.has(&f.key()), "{cut:?}: the bytes went");
        assert_eq!(used(&w).await, (10, 0, 1), "{cut:?}: released once");
        let receipts = w.mem.ledger.receipts();
        assert_eq!(receipts.len(), 1, "{cut:?}");
        assert_eq!(receipts[0].file_id, f.id.as_str());
        assert_eq!(
            (receipts[0].reason, receipts[0].deleted_by),
            (reason, by),
            "{cut:?}: the receipt the removal would have written"
        );
        assert_eq!(receipts[0].size, 10);
        assert_eq!(deleted_notices(&w, &f), 1, "{cut:?}");

        // Twice run is once run.
        w.clock.advance(Duration::hours(1));
        let again = w.janitor.sweep(100).await.unwrap();
        assert!(again.finished.is_empty(), "{cut:?}");
        assert_eq!(w.mem.ledger.receipts().len(), 1);
        assert_eq!(used(&w).await, (10, 0, 1));
        assert_eq!(deleted_notices(&w, &f), 1);
        assert!(
            record(&w, &other).await.is_some(),
            "{cut:?}: the other file stays"
        );
    }
}

#[tokio::test]
async fn the_owners_repeated_delete_still_finishes_it_and_the_janitor_finds_nothing_more() {
    let w = world(0);
    let f = accepted(&w, "f-again").await;
    w.objects.failing_deletes.lock().unwrap().insert(f.key());
    assert!(w.files.delete(&ann(), f.id.as_str()).await.is_err());
    w.objects.failing_deletes.lock().unwrap().clear();
    hidden_from_owner(&w, &f).await;
    w.files.delete(&ann(), f.id.as_str()).await.unwrap();
    assert!(record(&w, &f).await.is_none());
    w.clock.advance(DELETION_GRACE + Duration::minutes(1));
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert!(sweep.finished.is_empty());
    assert_eq!(w.mem.ledger.receipts().len(), 1);
    assert_eq!(used(&w).await, (0, 0, 0));
    assert!(not_found(w.files.delete(&ann(), f.id.as_str()).await));
}

#[tokio::test]
async fn a_pending_upload_in_parts_is_aborted_when_its_deletion_is_finished() {
    let w = world(0);
    let size = w.files.settings.single_put_max_bytes + 1;
    let created = w
        .files
        .create_upload(
            &ann(),
            NewUpload {
                name: "big.bin".into(),
                size,
                content_type: "application/octet-stream".into(),
                owner_email: None,
            },
        )
        .await
        .unwrap();
    let id = FileId::parse(&created.file.id).unwrap();
    let f = w.mem.ledger.get_file(&ann(), &id).await.unwrap().unwrap();
    let upload = f.multipart.clone().expect("an upload in parts");
    assert!(
        w.objects
            .uploads
            .lock()
            .unwrap()
            .contains_key(&upload.upload_id)
    );
    // Cut short right after the mark (a crash): nothing else was done.
    let receipt = DeletionReceipt::of(&f, DeletionReason::Deleted, DeletedBy::Owner, t0());
    assert!(
        w.mem
            .ledger
            .mark_deleting(&f, &receipt, t0())
            .await
            .unwrap()
    );
    assert_eq!(used(&w).await, (0, size, 1));
    w.clock.advance(DELETION_GRACE + Duration::seconds(1));
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert_eq!(sweep.finished.len(), 1, "{sweep:?}");
    assert!(
        !w.objects
            .uploads
            .lock()
            .unwrap()
            .contains_key(&upload.upload_id),
        "its parts are freed"
    );
    assert!(record(&w, &f).await.is_none());
    assert_eq!(used(&w).await, (0, 0, 0), "the reservation released");
    let receipts = w.mem.ledger.receipts();
    assert_eq!((receipts.len(), receipts[0].size), (1, 0));
}

#[tokio::test]
async fn a_held_file_is_never_marked_so_never_finished() {
    let w = world(0);
    let f = accepted(&w, "f-held").await;
    assert!(w.mem.ledger.hold_now(&ann(), &f.id, &hold()));
    let held = record(&w, &f).await.unwrap();
    let receipt = DeletionReceipt::of(&held, DeletionReason::Deleted, DeletedBy::Owner, t0());
    assert!(
        !w.mem
            .ledger
            .mark_deleting(&held, &receipt, t0())
            .await
            .unwrap()
    );
    w.clock.advance(DELETION_GRACE * 4);
    let now = w.clock.now();
    assert!(
        w.mem
            .ledger
            .marked_before(now, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert!(sweep.finished.is_empty());
    assert!(record(&w, &f).await.is_some());
    assert!(w.objects.has(&f.key()));
}

fn hold() -> dropgate_core::holds::LegalHold {
    dropgate_core::holds::LegalHold {
        placed_at: t0(),
        placed_by: admin().as_str().to_owned(),
        reason: "case 7".into(),
    }
}

#[tokio::test]
async fn the_erasure_s_marks_are_its_own_and_nothing_counts_twice() {
    let w = world(0);
    let owned = accepted(&w, "f-owned").await;
    let erased = accepted(&w, "f-erased").await;
    // An owner's delete cut short marks one; an erasure cut short marks both.
    w.objects
        .failing_deletes
        .lock()
        .unwrap()
        .insert(owned.key());
    assert!(w.files.delete(&ann(), owned.id.as_str()).await.is_err());
    assert!(w.eraser.erase_by_admin(&admin(), "u-ann").await.is_err());
    w.objects.failing_deletes.lock().unwrap().clear();
    for f in [&owned, &erased] {
        let r = record(&w, f).await.unwrap();
        assert!(r.is_deleting());
        assert_eq!(r.lifecycle.deleting_for, None, "the erasure took it over");
    }
    // Past the grace the janitor leaves them: the erasure's resume finishes them.
    w.clock.advance(DELETION_GRACE + Duration::minutes(5));
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert!(sweep.finished.is_empty(), "{sweep:?}");
    assert!(w.mem.ledger.receipts().is_empty());
    assert_eq!(deleted_notices(&w, &owned), 0);
    let done = w.eraser.erase_by_admin(&admin(), "u-ann").await.unwrap();
    assert_eq!(
        (done.files, done.bytes),
        (2, 20),
        "counted once, at the start"
    );
    for f in [&owned, &erased] {
        assert!(record(&w, f).await.is_none());
        assert!(!w.objects.has(&f.key()));
    }
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert!(sweep.finished.is_empty());
    assert!(w.mem.ledger.receipts().is_empty(), "an erasure leaves none");
}

#[tokio::test]
async fn a_deletion_cut_short_met_by_the_retention_pass_keeps_the_receipt_of_its_mark() {
    let w = world(7);
    let f = accepted(&w, "f-due").await;
    let at = dropgate_core::time::rfc3339(t0() + Duration::minutes(5));
    w.files
        .set_delete_after(&ann(), f.id.as_str(), Some(&at))
        .await
        .unwrap();
    w.objects.failing_deletes.lock().unwrap().insert(f.key());
    assert!(w.review.delete_file(&admin(), f.id.as_str()).await.is_err());
    w.objects.failing_deletes.lock().unwrap().clear();
    // Due for retention before its grace is over: that pass finishes it, not into the trash.
    w.clock.advance(Duration::minutes(6));
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert_eq!(sweep.retained.len(), 1, "{sweep:?}");
    assert!(sweep.finished.is_empty());
    assert!(record(&w, &f).await.is_none());
    assert!(!w.objects.has(&f.key()));
    let receipts = w.mem.ledger.receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        (receipts[0].reason, receipts[0].deleted_by),
        (DeletionReason::Deleted, DeletedBy::Admin)
    );
}
