//! The legal hold's contract, with the ledger's deletions it binds: run against the in-memory
//! fake (`core/tests/contract.rs`) and the DynamoDB adapter (`local/tests/stack/infra_holds.rs`).
//! Owners of its own (`<prefix>-hold...`); time-based queries are filtered to them.

use chrono::{DateTime, Utc};

use super::trash::accepted;
use crate::files::Ledger;
use crate::holds::{HoldStore, LegalHold};
use crate::lifecycle::{DeletedBy, DeletionReason, DeletionReceipt};
use crate::{FileId, FileRecord, OwnerId};

fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

fn hold(reason: &str, at: DateTime<Utc>) -> LegalHold {
    LegalHold {
        reason: reason.into(),
        placed_at: at,
        placed_by: "admin-1".into(),
    }
}

async fn read(l: &dyn Ledger, f: &FileRecord) -> FileRecord {
    l.get_file(&f.owner, &f.id)
        .await
        .unwrap()
        .expect("still there")
}

async fn due_trash(l: &dyn Ledger, o: &OwnerId, before: DateTime<Utc>) -> Vec<FileId> {
    let found = l.due_trash(before, 1000).await.expect("due trash");
    found
        .into_iter()
        .filter(|f| &f.owner == o)
        .map(|f| f.id)
        .collect()
}

async fn due_retention(l: &dyn Ledger, o: &OwnerId, now: DateTime<Utc>) -> Vec<FileId> {
    let found = l.due_retention(now, 1000).await.expect("due retention");
    found
        .into_iter()
        .filter(|f| &f.owner == o)
        .map(|f| f.id)
        .collect()
}

pub async fn check_all(l: &dyn Ledger, h: &dyn HoldStore, prefix: &str, now: DateTime<Utc>) {
    // Stores keep times to the millisecond.
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    a_held_live_file_is_neither_trashed_nor_removed(l, h, prefix, now).await;
    a_held_file_in_the_trash_is_not_purged(l, h, prefix, now).await;
    a_hold_follows_the_record_as_read(l, h, prefix, now).await;
    a_deletion_mark_and_a_hold_exclude_each_other(l, h, prefix, now).await;
}

/// A purge marks the record before its bytes go: a held record takes no mark, a marked one
/// takes no hold, so no hold ever outlives its bytes (docs/DESIGN.md 2.4).
pub async fn a_deletion_mark_and_a_hold_exclude_each_other(
    l: &dyn Ledger,
    h: &dyn HoldStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "holdm");
    let f = accepted(l, &o, &format!("{prefix}-h4"), 12, now).await;
    assert!(h.place_hold(&f, &hold("kept", now)).await.unwrap());
    let held = read(l, &f).await;
    let ask = DeletionReceipt::of(&f, DeletionReason::Deleted, DeletedBy::Admin, now);
    assert!(
        !l.mark_deleting(&f, &ask, now).await.unwrap(),
        "read before the hold"
    );
    assert!(!l.mark_deleting(&held, &ask, now).await.unwrap());
    assert_eq!(read(l, &f).await.lifecycle.deleting_at, None);

    assert!(h.lift_hold(&held).await.unwrap());
    let free = read(l, &f).await;
    assert!(l.mark_deleting(&free, &ask, now).await.unwrap());
    let later = now + chrono::Duration::seconds(5);
    assert!(
        l.mark_deleting(&free, &ask, later).await.unwrap(),
        "marked again: a purge resumed"
    );
    let marked = read(l, &f).await;
    assert_eq!(
        marked.lifecycle.deleting_at,
        Some(now),
        "the first mark stays"
    );
    assert_eq!(marked.status, free.status);
    // Read before or after the mark: no hold either way.
    assert!(!h.place_hold(&free, &hold("late", later)).await.unwrap());
    assert!(!h.place_hold(&marked, &hold("late", later)).await.unwrap());
    assert_eq!(read(l, &f).await.lifecycle.legal_hold, None);

    let r = DeletionReceipt::of(&marked, DeletionReason::Deleted, DeletedBy::Admin, later);
    assert!(l.purge_file(&marked, &r, later).await.unwrap());
    assert!(l.get_file(&o, &f.id).await.unwrap().is_none());
    assert!(
        !l.mark_deleting(&marked, &ask, later).await.unwrap(),
        "gone"
    );
}

pub async fn a_held_live_file_is_neither_trashed_nor_removed(
    l: &dyn Ledger,
    h: &dyn HoldStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "hold");
    let f = accepted(l, &o, &format!("{prefix}-h1"), 40, now).await;
    assert!(l.set_delete_after(&f, Some(now)).await.unwrap());
    let f = read(l, &f).await;
    assert_eq!(due_retention(l, &o, now).await, std::slice::from_ref(&f.id));

    let placed = hold("case 7\nsecond line", now);
    assert!(h.place_hold(&f, &placed).await.unwrap());
    let held = read(l, &f).await;
    assert_eq!(held.lifecycle.legal_hold, Some(placed.clone()));
    assert_eq!(held.lifecycle.delete_after, Some(now), "its time is kept");

    // Every deletion the ledger does refuses it, whatever the record as read said.
    assert!(
        due_retention(l, &o, now).await.is_empty(),
        "out of retention"
    );
    assert!(!l.trash_file(&f, now).await.unwrap());
    assert!(!l.trash_file(&held, now).await.unwrap());
    assert!(!l.trash_retained(&held, now).await.unwrap());
    assert!(!l.remove_file(&held, Some(now)).await.unwrap());
    let r = DeletionReceipt::of(&held, DeletionReason::Retention, DeletedBy::Retention, now);
    assert!(!l.purge_file(&held, &r, now).await.unwrap());
    let still = read(l, &f).await;
    assert!(!still.in_trash());
    assert_eq!(l.usage(&o, 1 << 30).await.unwrap().used_bytes, 40);
    assert!(
        l.list_receipts(&o, 10, None)
            .await
            .unwrap()
            .receipts
            .is_empty()
    );

    // A new reason replaces the old one.
    let again = hold("case 8", now + chrono::Duration::seconds(1));
    assert!(h.place_hold(&still, &again).await.unwrap());
    let still = read(l, &f).await;
    assert_eq!(still.lifecycle.legal_hold, Some(again));

    // Lifted: retention finds it again, and it can go.
    assert!(!h.lift_hold(&held).await.unwrap(), "a hold since replaced");
    assert!(h.lift_hold(&still).await.unwrap());
    assert!(!h.lift_hold(&still).await.unwrap(), "lifted already");
    let free = read(l, &f).await;
    assert_eq!(free.lifecycle.legal_hold, None);
    assert_eq!(due_retention(l, &o, now).await, std::slice::from_ref(&f.id));
    assert!(l.trash_retained(&free, now).await.unwrap());
}

pub async fn a_held_file_in_the_trash_is_not_purged(
    l: &dyn Ledger,
    h: &dyn HoldStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "holdt");
    let f = accepted(l, &o, &format!("{prefix}-h2"), 9, now).await;
    assert!(l.trash_file(&f, now).await.unwrap());
    let trashed = read(l, &f).await;
    let later = now + chrono::Duration::days(400);
    assert_eq!(due_trash(l, &o, later).await, std::slice::from_ref(&f.id));

    assert!(h.place_hold(&trashed, &hold("audit", now)).await.unwrap());
    let held = read(l, &f).await;
    assert!(held.in_trash() && held.lifecycle.legal_hold.is_some());
    assert!(due_trash(l, &o, later).await.is_empty(), "out of the purge");
    assert!(!l.expedite_purge(&held).await.unwrap());
    let r = DeletionReceipt::of(&held, DeletionReason::Purged, DeletedBy::Owner, now);
    assert!(!l.purge_file(&held, &r, now).await.unwrap());
    assert!(read(l, &f).await.in_trash());

    // A restore keeps the hold; back in the trash it is still held.
    assert!(l.restore_file(&held, now).await.unwrap());
    let restored = read(l, &f).await;
    assert!(!restored.in_trash());
    assert_eq!(restored.lifecycle.legal_hold, held.lifecycle.legal_hold);
    assert!(!l.trash_file(&restored, now).await.unwrap());

    // Lifted: it can go to the trash and the janitor's purge finds it.
    assert!(h.lift_hold(&restored).await.unwrap());
    let free = read(l, &f).await;
    assert!(l.trash_file(&free, now).await.unwrap());
    let free = read(l, &f).await;
    assert_eq!(due_trash(l, &o, later).await, std::slice::from_ref(&f.id));
    // Held again in the trash, then lifted there: due again.
    assert!(h.place_hold(&free, &hold("again", now)).await.unwrap());
    assert!(due_trash(l, &o, later).await.is_empty());
    assert!(h.lift_hold(&read(l, &f).await).await.unwrap());
    assert_eq!(due_trash(l, &o, later).await, std::slice::from_ref(&f.id));
    let free = read(l, &f).await;
    let r = DeletionReceipt::of(&free, DeletionReason::Purged, DeletedBy::Owner, now);
    assert!(l.purge_file(&free, &r, now).await.unwrap());
}

pub async fn a_hold_follows_the_record_as_read(
    l: &dyn Ledger,
    h: &dyn HoldStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "holdr");
    let f = accepted(l, &o, &format!("{prefix}-h3"), 5, now).await;
    let stale = FileRecord {
        status: crate::FileStatus::Pending,
        ..f.clone()
    };
    assert!(!h.place_hold(&stale, &hold("x", now)).await.unwrap());
    assert!(l.trash_file(&f, now).await.unwrap());
    // Read before it went to the trash: no hold.
    assert!(!h.place_hold(&f, &hold("x", now)).await.unwrap());
    assert_eq!(read(l, &f).await.lifecycle.legal_hold, None);
    // A record that is gone cannot be held.
    let gone = FileRecord {
        id: FileId::parse(&format!("{prefix}-h404")).unwrap(),
        ..f.clone()
    };
    assert!(!h.place_hold(&gone, &hold("x", now)).await.unwrap());
    assert!(!h.lift_hold(&gone).await.unwrap());
}
