//! The index of deletions cut short, part of the ledger's contract: a removal's mark
//! (`Purging::mark_deleting`) puts a record in `JanitorLedger::marked_before` with what its
//! receipt says, the erasure's mark takes it out (the erasure finishes its own), the record's
//! removal takes it out. Run against the in-memory fake (`core/tests/contract.rs`) and the
//! DynamoDB adapters (`local/tests/stack/infra_erasure.rs`). Owners of its own
//! (`<prefix>-mark...`); the index's answers are filtered to them.

use chrono::{DateTime, Duration, Utc};

use super::trash::accepted;
use crate::erasure::ErasureStore;
use crate::files::Ledger;
use crate::lifecycle::{DeletedBy, DeletionCause, DeletionReason, DeletionReceipt};
use crate::{FileRecord, OwnerId};

fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

async fn marked(l: &dyn Ledger, o: &OwnerId, before: DateTime<Utc>) -> Vec<FileRecord> {
    let found = l.marked_before(before, 1000).await.expect("marked");
    found.into_iter().filter(|f| &f.owner == o).collect()
}

async fn read(l: &dyn Ledger, f: &FileRecord) -> FileRecord {
    l.get_file(&f.owner, &f.id).await.unwrap().expect("record")
}

pub async fn check_all(
    l: &dyn Ledger,
    erasure: &dyn ErasureStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    // Stores keep times to the millisecond.
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    a_mark_is_found_with_its_cause_until_the_record_goes(l, prefix, now).await;
    the_erasure_s_mark_is_left_to_the_erasure(l, erasure, prefix, now).await;
}

pub async fn a_mark_is_found_with_its_cause_until_the_record_goes(
    l: &dyn Ledger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "mark1");
    let f = accepted(l, &o, &format!("{prefix}-mk1"), 40, now).await;
    let kept = accepted(l, &o, &format!("{prefix}-mk2"), 8, now).await;
    let later = now + Duration::minutes(30);
    assert!(marked(l, &o, later).await.is_empty(), "nothing marked yet");

    let by_admin = DeletionReceipt::of(&f, DeletionReason::Deleted, DeletedBy::Admin, now);
    assert!(l.mark_deleting(&f, &by_admin, now).await.unwrap());
    // Another attempt's mark keeps the first time and the first cause.
    let again = DeletionReceipt::of(&f, DeletionReason::Purged, DeletedBy::Owner, later);
    assert!(l.mark_deleting(&f, &again, later).await.unwrap());
    let found = marked(l, &o, later).await;
    assert_eq!(found.len(), 1, "only the marked record: {found:?}");
    assert_eq!(found[0].id, f.id);
    assert_eq!(found[0].lifecycle.deleting_at, Some(now));
    assert_eq!(
        found[0].lifecycle.deleting_for,
        Some(DeletionCause {
            reason: DeletionReason::Deleted,
            by: DeletedBy::Admin
        })
    );
    assert_eq!(
        read(l, &f).await.lifecycle.deleting_for,
        found[0].lifecycle.deleting_for
    );
    assert_eq!(read(l, &kept).await.lifecycle.deleting_for, None);
    // Strictly before: a mark at the cutoff itself waits.
    assert!(
        marked(l, &o, now).await.is_empty(),
        "not before its own time"
    );

    let marked_f = read(l, &f).await;
    assert!(l.purge_file(&marked_f, &by_admin, later).await.unwrap());
    assert!(
        marked(l, &o, later).await.is_empty(),
        "gone with its record"
    );
}

pub async fn the_erasure_s_mark_is_left_to_the_erasure(
    l: &dyn Ledger,
    erasure: &dyn ErasureStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "mark2");
    let first = accepted(l, &o, &format!("{prefix}-mk3"), 5, now).await;
    let second = accepted(l, &o, &format!("{prefix}-mk4"), 6, now).await;
    let later = now + Duration::minutes(30);
    // Marked by an owner's removal, then by the erasure: the erasure takes it over.
    let r = DeletionReceipt::of(&first, DeletionReason::Deleted, DeletedBy::Owner, now);
    assert!(l.mark_deleting(&first, &r, now).await.unwrap());
    assert_eq!(marked(l, &o, later).await.len(), 1);
    assert!(erasure.mark_deleting(&first, later).await.unwrap());
    // Marked by the erasure alone: never in the index.
    assert!(erasure.mark_deleting(&second, now).await.unwrap());
    assert!(
        marked(l, &o, later + Duration::hours(1)).await.is_empty(),
        "the erasure finishes its own"
    );
    let (a, b) = (read(l, &first).await, read(l, &second).await);
    assert_eq!(a.lifecycle.deleting_at, Some(now), "the first mark stays");
    assert_eq!(b.lifecycle.deleting_at, Some(now));
    assert_eq!(
        (a.lifecycle.deleting_for, b.lifecycle.deleting_for),
        (None, None)
    );
    erasure
        .forget_files(&o, &[first.id.clone(), second.id.clone()])
        .await
        .unwrap();
}
