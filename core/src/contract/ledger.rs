//! The ledger's contract: what every [`Ledger`] must do, written once and run against both the
//! in-memory fake (`core/tests/contract.rs`) and the DynamoDB adapter on the emulator
//! (`local/tests/stack/infra_adapters.rs`), so that tests on the fake say something about production.
//! Each check uses owners of its own (`<prefix>-...`), so the checks can share a store with
//! other tests; time-based queries are filtered to those owners.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::files::{Ledger, Reservation, Settlement};
use crate::keys::{KeyScheme, UploadKey, parse_upload_key};
use crate::{FileId, FileRecord, FileStatus, OwnerId};

fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

fn file(owner: &OwnerId, id: &str, size: u64, now: DateTime<Utc>, ttl_secs: u64) -> FileRecord {
    FileRecord::pending(
        FileId::parse(id).unwrap_or_else(|_| panic!("id {id}")),
        owner.clone(),
        format!("{id}.png"),
        size,
        "image/png".into(),
        now,
        Duration::from_secs(ttl_secs),
    )
}

fn settlement(status: FileStatus, at: DateTime<Utc>, size: u64) -> Settlement {
    Settlement {
        status,
        detected_type: Some("image/png".into()),
        reason: (status != FileStatus::Accepted).then(|| "type_mismatch".into()),
        at,
        stored_size: Some(size),
        stored_etag: Some("e1".into()),
        give_back_link: false,
        scan: None,
    }
}

async fn usage(l: &dyn Ledger, o: &OwnerId) -> (u64, u64, u64) {
    let u = l.usage(o, 1 << 40).await.expect("usage");
    (u.used_bytes, u.reserved_bytes, u.files)
}

/// Every check, each on owners of its own under `prefix`.
pub async fn check_all(l: &dyn Ledger, prefix: &str, now: DateTime<Utc>) {
    reserves_up_to_the_edge_and_no_further(l, prefix, now).await;
    settles_once_from_the_status_it_was_read_in(l, prefix, now).await;
    releases_what_a_file_held(l, prefix, now).await;
    lists_newest_first_in_pages(l, prefix, now).await;
    refuses_a_second_record_under_one_id(l, prefix, now).await;
    marks_settled_away_files_until_cleaned(l, prefix, now).await;
    finds_records_by_their_object_keys_alone(l, prefix, now).await;
}

pub async fn reserves_up_to_the_edge_and_no_further(
    l: &dyn Ledger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "edge");
    let limit = 100;
    assert_eq!(
        l.create_pending(&file(&o, "e1", 60, now, 900), limit)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        l.create_pending(&file(&o, "e2", 40, now, 900), limit)
            .await
            .unwrap(),
        Reservation::Reserved,
        "exactly at the limit fits"
    );
    assert_eq!(
        l.create_pending(&file(&o, "e3", 1, now, 900), limit)
            .await
            .unwrap(),
        Reservation::QuotaExceeded
    );
    assert_eq!(
        l.create_pending(&file(&owner(prefix, "big"), "e4", 101, now, 900), limit)
            .await
            .unwrap(),
        Reservation::QuotaExceeded,
        "larger than the whole quota"
    );
    assert_eq!(usage(l, &o).await, (0, 100, 2));
    assert!(
        l.get_file(&o, &FileId::parse("e3").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn settles_once_from_the_status_it_was_read_in(
    l: &dyn Ledger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "settle");
    let f = file(&o, "s1", 30, now, 900);
    l.create_pending(&f, 1000).await.unwrap();
    let accepted = settlement(FileStatus::Accepted, now, 30);
    assert!(l.settle(&f, &accepted).await.unwrap());
    assert!(!l.settle(&f, &accepted).await.unwrap(), "settled once");
    let rejected = settlement(FileStatus::Rejected, now, 30);
    assert!(
        !l.settle(&f, &rejected).await.unwrap(),
        "a record read as pending no longer moves"
    );
    assert_eq!(usage(l, &o).await, (30, 0, 1));
    let now_rec = l.get_file(&o, &f.id).await.unwrap().expect("record");
    assert_eq!(now_rec.status, FileStatus::Accepted);
    let judged = now_rec.stored.clone().expect("the judged object is kept");
    assert_eq!((judged.size, judged.etag.as_deref()), (30, Some("e1")));
    // Bytes replaced and failing: accepted -> rejected releases the usage, once.
    assert!(l.settle(&now_rec, &rejected).await.unwrap());
    assert!(!l.settle(&now_rec, &rejected).await.unwrap());
    assert_eq!(usage(l, &o).await, (0, 0, 0));
    // Pending never comes back.
    let back = settlement(FileStatus::Pending, now, 30);
    let rec = l.get_file(&o, &f.id).await.unwrap().expect("record");
    assert!(!l.settle(&rec, &back).await.unwrap_or(false));
}

pub async fn releases_what_a_file_held(l: &dyn Ledger, prefix: &str, now: DateTime<Utc>) {
    let o = owner(prefix, "release");
    let (a, b, c) = (
        file(&o, "r1", 10, now, 900),
        file(&o, "r2", 20, now, 900),
        file(&o, "r3", 40, now, 900),
    );
    for f in [&a, &b, &c] {
        l.create_pending(f, 1000).await.unwrap();
    }
    assert_eq!(usage(l, &o).await, (0, 70, 3));
    assert!(
        l.settle(&a, &settlement(FileStatus::Rejected, now, 10))
            .await
            .unwrap()
    );
    assert!(
        l.settle(&b, &settlement(FileStatus::Expired, now, 20))
            .await
            .unwrap()
    );
    assert_eq!(usage(l, &o).await, (0, 40, 1));
    assert!(
        l.settle(&c, &settlement(FileStatus::Accepted, now, 40))
            .await
            .unwrap()
    );
    assert_eq!(usage(l, &o).await, (40, 0, 1));
    // A removal names the status it read: a stale one changes nothing.
    assert!(!l.remove_file(&c, None).await.unwrap(), "c is accepted now");
    let c_now = l.get_file(&o, &c.id).await.unwrap().expect("c");
    assert!(l.remove_file(&c_now, Some(now)).await.unwrap());
    assert!(!l.remove_file(&c_now, Some(now)).await.unwrap(), "gone");
    let a_now = l.get_file(&o, &a.id).await.unwrap().expect("a");
    assert!(l.remove_file(&a_now, None).await.unwrap());
    assert_eq!(
        usage(l, &o).await,
        (0, 0, 0),
        "a rejected file held nothing"
    );
}

pub async fn lists_newest_first_in_pages(l: &dyn Ledger, prefix: &str, now: DateTime<Utc>) {
    let o = owner(prefix, "list");
    for i in 0..7 {
        l.create_pending(&file(&o, &format!("l{i}"), 1, now, 900), 1000)
            .await
            .unwrap();
    }
    l.create_pending(&file(&owner(prefix, "other"), "l9", 1, now, 900), 1000)
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut after: Option<FileId> = None;
    loop {
        let page = l.list_files(&o, 3, after.as_ref()).await.unwrap();
        assert!(page.files.len() <= 3);
        seen.extend(page.files.iter().map(|f| f.id.to_string()));
        match page.next_after {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, ["l6", "l5", "l4", "l3", "l2", "l1", "l0"]);
    let ids = [
        UploadKey::File(FileId::parse("l1").unwrap()),
        UploadKey::File(FileId::parse("nope").unwrap()),
        UploadKey::File(FileId::parse("l9").unwrap()),
    ];
    let mut got: Vec<String> = l
        .get_files(&ids)
        .await
        .unwrap()
        .iter()
        .map(|f| f.id.to_string())
        .collect();
    got.sort();
    assert_eq!(got, ["l1", "l9"], "missing records are absent");
}

pub async fn refuses_a_second_record_under_one_id(
    l: &dyn Ledger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "dup");
    let f = file(&o, "d1", 5, now, 900);
    l.create_pending(&f, 1000).await.unwrap();
    assert!(
        l.create_pending(&f, 1000).await.is_err(),
        "a colliding id is an error, never a second reservation"
    );
    assert_eq!(usage(l, &o).await, (0, 5, 1));
}

pub async fn marks_settled_away_files_until_cleaned(
    l: &dyn Ledger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "clean");
    let mine = |files: Vec<FileRecord>| -> Vec<String> {
        let mut ids: Vec<String> = files
            .into_iter()
            .filter(|f| f.owner == o)
            .map(|f| f.id.to_string())
            .collect();
        ids.sort();
        ids
    };
    // Two whose upload URLs ran out an hour ago, one still valid.
    let old = now - chrono::Duration::hours(2);
    let (x, y, z) = (
        file(&o, "c1", 1, old, 3600),
        file(&o, "c2", 1, old, 3600),
        file(&o, "c3", 1, now, 3600),
    );
    for f in [&x, &y, &z] {
        l.create_pending(f, 1000).await.unwrap();
    }
    assert_eq!(
        mine(l.stale_pending(now, 1000).await.unwrap()),
        ["c1", "c2"]
    );
    assert!(
        l.settle(&x, &settlement(FileStatus::Expired, now, 1))
            .await
            .unwrap()
    );
    assert!(
        l.settle(&z, &settlement(FileStatus::Accepted, now, 1))
            .await
            .unwrap()
    );
    assert_eq!(mine(l.stale_pending(now, 1000).await.unwrap()), ["c2"]);
    assert_eq!(
        mine(l.awaiting_cleanup(1000).await.unwrap()),
        ["c1"],
        "expired and rejected files are marked; accepted ones are not"
    );
    let x_now = l.get_file(&o, &x.id).await.unwrap().expect("x");
    l.mark_cleaned(&x_now).await.unwrap();
    assert!(mine(l.awaiting_cleanup(1000).await.unwrap()).is_empty());
    // Marking a record that is gone is no error.
    assert!(l.remove_file(&x_now, None).await.unwrap());
    l.mark_cleaned(&x_now).await.unwrap();
}

/// A new file is found from its object key alone (`uploads/{file}`, which names no owner), a
/// file created before owner-free keys from its `uploads/{owner}/{file}`; each only under its
/// own key; the owner-free lookup is gone with the record; nothing of it shows as a file.
pub async fn finds_records_by_their_object_keys_alone(
    l: &dyn Ledger,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "keys");
    let new = file(&o, "k1", 7, now, 900);
    assert_eq!(new.key_scheme, KeyScheme::File, "new files are owner-free");
    assert!(!new.key().contains(o.as_str()), "{}", new.key());
    let legacy = FileRecord {
        key_scheme: KeyScheme::Owner,
        scan: None,
        scan_started_at: None,
        lifecycle: Default::default(),
        versioning: Default::default(),
        ..file(&o, "k2", 5, now, 900)
    };
    assert_eq!(legacy.key(), format!("uploads/{o}/k2"));
    for f in [&new, &legacy] {
        assert_eq!(
            l.create_pending(f, 1000).await.unwrap(),
            Reservation::Reserved
        );
    }
    let by_key = |keys: Vec<String>| async move {
        let keys: Vec<UploadKey> = keys
            .iter()
            .map(|k| parse_upload_key(k).expect("an upload key"))
            .collect();
        let mut found: Vec<(String, KeyScheme)> = l
            .get_files(&keys)
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.id.to_string(), f.key_scheme))
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        by_key(vec![new.key(), legacy.key()]).await,
        [
            ("k1".to_owned(), KeyScheme::File),
            ("k2".to_owned(), KeyScheme::Owner)
        ],
        "both found from their keys, each keeping its scheme"
    );
    let read = l.get_files(&[new.upload_key()]).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(
        (&read[0].owner, read[0].key()),
        (&o, new.key()),
        "the owner comes from the ledger, not the key"
    );
    assert!(
        by_key(vec![
            format!("uploads/{o}/k1"),
            "uploads/k2".into(),
            "uploads/k9".into(),
            format!("uploads/{}/k1", owner(prefix, "stranger")),
        ])
        .await
        .is_empty(),
        "a record is found under its own key only"
    );
    // Only records show: the owner-free lookup is no file of anyone's.
    let listed: Vec<String> = l
        .list_files(&o, 10, None)
        .await
        .unwrap()
        .files
        .iter()
        .map(|f| f.id.to_string())
        .collect();
    assert_eq!(listed, ["k2", "k1"]);
    assert_eq!(usage(l, &o).await, (0, 12, 2));
    // Another owner's file cannot take a new file's id (the key names the id alone).
    assert!(
        l.create_pending(&file(&owner(prefix, "thief"), "k1", 1, now, 900), 1000)
            .await
            .is_err(),
        "an owner-free key is one file's"
    );
    assert_eq!(usage(l, &owner(prefix, "thief")).await, (0, 0, 0));
    // Settled away, still found (the worker deletes late bytes of rejected files); removed,
    // gone from its key too.
    assert!(
        l.settle(&new, &settlement(FileStatus::Rejected, now, 7))
            .await
            .unwrap()
    );
    assert_eq!(by_key(vec![new.key()]).await.len(), 1);
    let settled = l.get_file(&o, &new.id).await.unwrap().expect("k1");
    assert!(l.remove_file(&settled, None).await.unwrap());
    assert!(
        by_key(vec![new.key()]).await.is_empty(),
        "removed with its record"
    );
    assert!(l.remove_file(&legacy, None).await.unwrap());
    assert!(by_key(vec![legacy.key()]).await.is_empty());
    assert_eq!(usage(l, &o).await, (0, 0, 0));
    // The id is free again once its file is gone.
    let again = file(&owner(prefix, "thief"), "k1", 1, now, 900);
    assert_eq!(
        l.create_pending(&again, 1000).await.unwrap(),
        Reservation::Reserved
    );
    assert_eq!(by_key(vec![again.key()]).await.len(), 1);
}
