//! The versions' contract, part of the ledger's: run against the in-memory fake
//! (`core/tests/contract.rs`) and the DynamoDB adapter (`local/tests/stack/infra_adapters.rs`).
//! Owners of its own (`<prefix>-versions...`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::trash::accepted;
use crate::files::{Ledger, Settlement};
use crate::lifecycle::{DeletedBy, DeletionReason, DeletionReceipt};
use crate::versions::{VersionLedger, VersionOf, VersionReservation};
use crate::{FileId, FileRecord, FileStatus, OwnerId};

fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

/// A pending version `id` of `file`, numbered next.
fn version(file: &FileRecord, id: &str, size: u64, now: DateTime<Utc>) -> FileRecord {
    let mut v = FileRecord::pending(
        FileId::parse(id).unwrap_or_else(|_| panic!("id {id}")),
        file.owner.clone(),
        file.name.clone(),
        size,
        "image/png".into(),
        now,
        Duration::from_secs(600),
    );
    v.versioning.of = Some(VersionOf {
        file: file.id.clone(),
        n: file.versioning.head.next_n(),
    });
    v
}

fn accept(size: u64, now: DateTime<Utc>) -> Settlement {
    Settlement {
        status: FileStatus::Accepted,
        detected_type: Some("image/png".into()),
        reason: None,
        at: now,
        stored_size: Some(size),
        stored_etag: Some(format!("etag-{size}")),
        give_back_link: false,
        scan: None,
    }
}

async fn reread(l: &dyn Ledger, f: &FileRecord) -> FileRecord {
    l.get_file(&f.owner, &f.id)
        .await
        .expect("get")
        .expect("there")
}

async fn used(l: &dyn Ledger, o: &OwnerId) -> (u64, u64) {
    let u = l.usage(o, 1 << 40).await.expect("usage");
    (u.used_bytes, u.reserved_bytes)
}

pub async fn check_all(l: &dyn Ledger, v: &dyn VersionLedger, prefix: &str, now: DateTime<Utc>) {
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    a_version_reserves_and_its_acceptance_makes_it_current(l, v, prefix, now).await;
    restores_and_removals_move_only_what_they_say(l, v, prefix, now).await;
    a_purge_takes_every_version_and_counts_them(l, v, prefix, now).await;
}

pub async fn a_version_reserves_and_its_acceptance_makes_it_current(
    l: &dyn Ledger,
    v: &dyn VersionLedger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "versions-a");
    let f = accepted(l, &o, "va1", 100, now).await;
    let v2 = version(&f, "va2", 40, now);
    // Over the quota: nothing written.
    assert_eq!(
        v.create_version(&f, &v2, 120).await.unwrap(),
        VersionReservation::QuotaExceeded
    );
    assert_eq!(
        v.create_version(&f, &v2, 1 << 30).await.unwrap(),
        VersionReservation::Reserved
    );
    assert_eq!(used(l, &o).await, (100, 40));
    // Another version read from the same state of the file lost the number.
    let late = version(&f, "va9", 10, now);
    assert_eq!(
        v.create_version(&f, &late, 1 << 30).await.unwrap(),
        VersionReservation::FileChanged
    );
    let f = reread(l, &f).await;
    assert_eq!(f.versioning.head.last_n, 2);
    assert_eq!(f.versioning.head.kept, vec![(2, v2.id.clone())]);
    assert_eq!(f.versioning.head.current_n(), 1);
    // Not a file of the owner's list.
    let page = l.list_files(&o, 10, None).await.unwrap();
    let ids: Vec<&str> = page.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["va1"]);

    assert!(l.settle(&v2, &accept(40, now)).await.unwrap());
    assert_eq!(used(l, &o).await, (140, 0));
    let f = reread(l, &f).await;
    let cur = f.versioning.head.current.clone().expect("current");
    assert_eq!((cur.n, cur.id.as_str(), cur.size), (2, "va2", 40));
    assert_eq!(cur.etag.as_deref(), Some("etag-40"));
    assert_eq!(f.served().key(), "uploads/va2");
    let kept = v.versions_of(&f).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, FileStatus::Accepted);
    assert_eq!(kept[0].versioning.of.as_ref().map(|o| o.n), Some(2));
    // A replay changes nothing.
    assert!(!l.settle(&v2, &accept(40, now)).await.unwrap());
    // A file in the trash takes no version.
    assert!(l.trash_file(&f, now).await.unwrap());
    let f = reread(l, &f).await;
    let v3 = version(&f, "va3", 5, now);
    assert_eq!(
        v.create_version(&f, &v3, 1 << 30).await.unwrap(),
        VersionReservation::FileChanged
    );
}

pub async fn restores_and_removals_move_only_what_they_say(
    l: &dyn Ledger,
    v: &dyn VersionLedger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "versions-b");
    let f = accepted(l, &o, "vb1", 100, now).await;
    let v2 = version(&f, "vb2", 30, now);
    assert_eq!(
        v.create_version(&f, &v2, 1 << 30).await.unwrap(),
        VersionReservation::Reserved
    );
    assert!(l.settle(&v2, &accept(30, now)).await.unwrap());
    let f = reread(l, &f).await;
    let v2 = reread(l, &v2).await;
    // The current version is never removed.
    assert!(!v.remove_version(&f, &v2).await.unwrap());
    // Back to the first: the pointer only.
    assert!(v.make_current(&f, None).await.unwrap());
    // A restore from a stale read changes nothing.
    assert!(!v.make_current(&f, None).await.unwrap());
    let f = reread(l, &f).await;
    assert_eq!(f.versioning.head.current, None);
    assert_eq!(used(l, &o).await, (130, 0));
    // Version 1 is current: it is not removed.
    assert!(!v.remove_first(&f).await.unwrap());
    assert!(v.remove_version(&f, &v2).await.unwrap());
    assert_eq!(used(l, &o).await, (100, 0));
    let f = reread(l, &f).await;
    assert!(f.versioning.head.kept.is_empty());
    assert!(l.get_file(&o, &v2.id).await.unwrap().is_none());

    // With a third current, the first's bytes can go, once.
    let v3 = version(&f, "vb3", 20, now);
    assert_eq!(f.versioning.head.next_n(), 3);
    assert_eq!(
        v.create_version(&f, &v3, 1 << 30).await.unwrap(),
        VersionReservation::Reserved
    );
    assert!(l.settle(&v3, &accept(20, now)).await.unwrap());
    let f = reread(l, &f).await;
    assert!(v.remove_first(&f).await.unwrap());
    assert!(!v.remove_first(&f).await.unwrap());
    assert_eq!(used(l, &o).await, (20, 0));
    let f = reread(l, &f).await;
    assert!(f.versioning.head.first_removed);
    // Nothing to restore to.
    assert!(!v.make_current(&f, None).await.unwrap());
    let v3 = reread(l, &v3).await;
    assert!(v.make_current(&f, Some(&v3)).await.unwrap());
}

pub async fn a_purge_takes_every_version_and_counts_them(
    l: &dyn Ledger,
    v: &dyn VersionLedger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "versions-c");
    let f = accepted(l, &o, "vc1", 100, now).await;
    let v2 = version(&f, "vc2", 30, now);
    assert_eq!(
        v.create_version(&f, &v2, 1 << 30).await.unwrap(),
        VersionReservation::Reserved
    );
    assert!(l.settle(&v2, &accept(30, now)).await.unwrap());
    let f = reread(l, &f).await;
    // A third still pending: its reservation goes too.
    let v3 = version(&f, "vc3", 7, now);
    assert_eq!(
        v.create_version(&f, &v3, 1 << 30).await.unwrap(),
        VersionReservation::Reserved
    );
    let f = reread(l, &f).await;
    // Its deletion began (the bytes go next): no new version slips in, whose bytes the purge's
    // list of keys would miss.
    let receipt = DeletionReceipt::of(&f, DeletionReason::Deleted, DeletedBy::Owner, now);
    assert!(l.mark_deleting(&f, &receipt, now).await.unwrap());
    let f = reread(l, &f).await;
    let late = version(&f, "vc4", 5, now);
    assert_eq!(
        v.create_version(&f, &late, 1 << 30).await.unwrap(),
        VersionReservation::FileChanged
    );
    assert!(l.get_file(&o, &late.id).await.unwrap().is_none());
    assert!(l.purge_file(&f, &receipt, now).await.unwrap());
    let u = l.usage(&o, 1 << 40).await.unwrap();
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (0, 0, 0));
    for id in [&f.id, &v2.id, &v3.id] {
        assert!(l.get_file(&o, id).await.unwrap().is_none(), "{id}");
    }
    let r = l.list_receipts(&o, 10, None).await.unwrap();
    assert_eq!(r.receipts.len(), 1);
    assert_eq!((r.receipts[0].size, r.receipts[0].versions), (130, 2));
    assert_eq!(r.receipts[0].etag.as_deref(), Some("etag-30"));
}
