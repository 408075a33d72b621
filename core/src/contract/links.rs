//! The link store's contract: what every [`LinkStore`] must do, run against the in-memory
//! `MemLedger` (`core/tests/contract.rs`) and the DynamoDB adapter on the emulator
//! (`local/tests/stack/infra_links.rs`). A drop moves the owner's quota and writes a file, so
//! the checks read those back through the [`Ledger`] the same store implements.
//!
//! Each check uses owners, link ids, tokens and receipts of its own (`<prefix>-...`), so the
//! checks can share a store with other tests. Times are at millisecond precision (what stores
//! keep).

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::file::{LinkOrigin, Uploader};
use crate::links::{DropReservation, Link, LinkDrop, LinkStore};
use crate::ports::{Ledger, Reservation, Settlement};
use crate::{FileId, FileRecord, FileStatus, LinkId, OwnerId, tokens};

/// The store under test, seen as both ports it implements.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub links: &'a dyn LinkStore,
    pub ledger: &'a dyn Ledger,
}

fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

fn link_id(prefix: &str, id: &str) -> LinkId {
    LinkId::parse(&format!("{prefix}-{id}")).unwrap_or_else(|_| panic!("link {prefix}"))
}

fn file_id(prefix: &str, id: &str) -> FileId {
    FileId::parse(&format!("{prefix}-{id}")).unwrap_or_else(|_| panic!("file {prefix}"))
}

fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or_else(|_| panic!("{t} truncates"))
}

/// A fresh link of `o`, its token `<prefix>-tok-<id>`, an hour to live from `now`.
fn link(
    o: &OwnerId,
    id: LinkId,
    max_uploads: u32,
    max_total: Option<u64>,
    now: DateTime<Utc>,
) -> Link {
    Link {
        token_hash: tokens::hash(&format!("tok-{id}")),
        label: format!("label of {id} ✓"),
        id,
        owner: o.clone(),
        owner_email: Some(format!("{o}@example.com")),
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
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
fn dropped(l: &Link, id: FileId, size: u64, now: DateTime<Utc>) -> FileRecord {
    let mut f = FileRecord::pending(
        id,
        l.owner.clone(),
        "q3 report ✓.pdf".into(),
        size,
        "application/pdf".into(),
        now,
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

/// Each file's receipt, derived from its id (the checks keep no other secret).
fn receipt_hash(file: &FileRecord) -> String {
    tokens::hash(&format!("receipt-of-{}", file.id))
}

/// Drops `file` through `l` (as read by the caller, maybe stale) against `quota_limit`.
async fn drop_via(
    s: Stores<'_>,
    l: &Link,
    file: &FileRecord,
    quota_limit: u64,
    at: DateTime<Utc>,
) -> DropReservation {
    s.links
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

fn counters(l: &Link) -> (u32, u64) {
    (l.uploads_used, l.bytes_used)
}

async fn stored(s: Stores<'_>, l: &Link) -> Link {
    s.links
        .get_link(&l.owner, &l.id)
        .await
        .unwrap()
        .expect("the link")
}

async fn usage(s: Stores<'_>, o: &OwnerId) -> (u64, u64, u64) {
    let u = s.ledger.usage(o, u64::MAX).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

fn ids(links: &[Link]) -> Vec<&str> {
    links.iter().map(|l| l.id.as_str()).collect()
}

fn file_ids(files: &[FileRecord]) -> Vec<&str> {
    files.iter().map(|f| f.id.as_str()).collect()
}

/// Every check, each on owners of its own under `prefix`.
pub async fn check_all(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    stores_finds_lists_and_revokes(s, prefix, now).await;
    finds_receipts_and_lists_a_links_files(s, prefix, now).await;
    drops_move_link_quota_and_file_together(s, prefix, now).await;
    refuses_a_used_revoked_or_expired_link(s, prefix, now).await;
    refuses_a_full_quota_without_using_the_link(s, prefix, now).await;
    refuses_a_second_file_or_receipt_under_one_id(s, prefix, now).await;
    gives_back_on_settlement_only_when_asked(s, prefix, now).await;
}

pub async fn stores_finds_lists_and_revokes(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    let prefix = &format!("{prefix}-store");
    let (ada, bob) = (owner(prefix, "ada"), owner(prefix, "bob"));
    let mut mine = Vec::new();
    for i in 1..=5 {
        let mut l = link(&ada, link_id(prefix, &format!("l0{i}")), 10, None, now);
        if i == 1 {
            l.max_total_bytes = Some(5000);
            l.require_uploader_name = true;
            l.owner_email = None;
        }
        s.links.put_link(&l).await.unwrap();
        mine.push(l);
    }
    let theirs = link(&bob, link_id(prefix, "l09"), 10, None, now);
    s.links.put_link(&theirs).await.unwrap();
    let mut over = mine[0].clone();
    over.label = "another".into();
    assert!(
        s.links.put_link(&over).await.is_err(),
        "a link is never written over"
    );

    // Round trip, every field; nothing across owners.
    for l in &mine {
        assert_eq!(
            s.links.get_link(&ada, &l.id).await.unwrap().as_ref(),
            Some(l)
        );
    }
    assert!(s.links.get_link(&bob, &mine[0].id).await.unwrap().is_none());
    let l99 = link_id(prefix, "l99");
    assert!(s.links.get_link(&ada, &l99).await.unwrap().is_none());
    let mut got = s
        .links
        .get_links(&[
            (ada.clone(), mine[0].id.clone()),
            (ada.clone(), l99.clone()),
            (bob.clone(), theirs.id.clone()),
            (bob.clone(), mine[1].id.clone()),
        ])
        .await
        .unwrap();
    got.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        got,
        vec![mine[0].clone(), theirs.clone()],
        "missing ones are absent"
    );
    assert!(s.links.get_links(&[]).await.unwrap().is_empty());

    // A drop leaves a receipt under Ada's links: it is never listed, nor found, as a link.
    let f = dropped(&mine[2], file_id(prefix, "f01"), 10, now);
    assert_eq!(
        drop_via(s, &mine[2], &f, 1000, now).await,
        DropReservation::Reserved
    );

    // Newest first, by cursor.
    let want = |n: &[&str]| -> Vec<String> { n.iter().map(|i| format!("{prefix}-{i}")).collect() };
    let p = s.links.list_links(&ada, 2, None).await.unwrap();
    assert_eq!(ids(&p.links), want(&["l05", "l04"]));
    assert_eq!(p.next_after, Some(mine[3].id.clone()));
    let p = s
        .links
        .list_links(&ada, 2, p.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!(ids(&p.links), want(&["l03", "l02"]));
    assert_eq!(p.next_after, Some(mine[1].id.clone()));
    let p = s
        .links
        .list_links(&ada, 2, p.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!(ids(&p.links), want(&["l01"]));
    assert_eq!(p.next_after, None);
    let p = s.links.list_links(&ada, 5, None).await.unwrap();
    assert_eq!(ids(&p.links), want(&["l05", "l04", "l03", "l02", "l01"]));
    assert_eq!(p.next_after, None, "exactly a page: no next");
    let p = s.links.list_links(&ada, 100, None).await.unwrap();
    assert_eq!(p.links[2].uploads_used, 1, "listed with its counters");
    let p = s.links.list_links(&bob, 100, None).await.unwrap();
    assert_eq!(ids(&p.links), want(&["l09"]));
    assert_eq!(p.next_after, None);
    let nobody = owner(prefix, "nobody");
    assert!(
        s.links
            .list_links(&nobody, 10, None)
            .await
            .unwrap()
            .links
            .is_empty()
    );

    // By token hash: a link's finds it, with its counters; a receipt's is not a link's.
    let found = s.links.find_link(&mine[2].token_hash).await.unwrap();
    assert_eq!(
        found.as_ref().map(|l| (&l.id, counters(l))),
        Some((&mine[2].id, (1, 10)))
    );
    assert!(
        s.links
            .find_link(&tokens::hash("tok-unknown"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.links
            .find_link(&receipt_hash(&f))
            .await
            .unwrap()
            .is_none(),
        "a receipt is not a link"
    );

    // Revocation: idempotent, only the owner's, never creates a link.
    let at = now + TimeDelta::seconds(1);
    assert!(s.links.revoke_link(&ada, &mine[1].id, at).await.unwrap());
    assert!(s.links.revoke_link(&ada, &mine[1].id, at).await.unwrap());
    let revoked = stored(s, &mine[1]).await;
    assert!(revoked.revoked);
    assert_eq!(counters(&revoked), (0, 0), "revoking keeps the counters");
    assert!(!s.links.revoke_link(&bob, &mine[0].id, at).await.unwrap());
    assert!(!stored(s, &mine[0]).await.revoked);
    assert!(s.links.get_link(&bob, &mine[0].id).await.unwrap().is_none());
    assert!(!s.links.revoke_link(&ada, &l99, at).await.unwrap());
    assert!(s.links.get_link(&ada, &l99).await.unwrap().is_none());
    assert_eq!(
        s.links
            .list_links(&ada, 100, None)
            .await
            .unwrap()
            .links
            .len(),
        5
    );
}

pub async fn finds_receipts_and_lists_a_links_files(
    s: Stores<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-receipts");
    let (ada, bob) = (owner(prefix, "ada"), owner(prefix, "bob"));
    let (a, b) = (
        link(&ada, link_id(prefix, "la"), 10, None, now),
        link(&ada, link_id(prefix, "lb"), 10, None, now),
    );
    for l in [&a, &b] {
        s.links.put_link(l).await.unwrap();
    }
    let mut files = Vec::new();
    for (l, id) in [(&a, "f01"), (&b, "f02"), (&b, "f03"), (&b, "f04")] {
        let f = dropped(l, file_id(prefix, id), 10, now);
        assert_eq!(
            drop_via(s, l, &f, 1000, now).await,
            DropReservation::Reserved
        );
        files.push(f);
    }
    // A file of Ada's own, not through a link.
    let own = FileRecord::pending(
        file_id(prefix, "f05"),
        ada.clone(),
        "own.pdf".into(),
        1,
        "application/pdf".into(),
        now,
        std::time::Duration::from_secs(900),
    );
    assert_eq!(
        s.ledger.create_pending(&own, 1000).await.unwrap(),
        Reservation::Reserved
    );

    // A receipt's hash finds its file; a link's hash is not a receipt.
    for f in &files {
        assert_eq!(
            s.links.find_receipt(&receipt_hash(f)).await.unwrap(),
            Some((ada.clone(), f.id.clone()))
        );
    }
    assert!(
        s.links.find_receipt(&a.token_hash).await.unwrap().is_none(),
        "a link is no receipt"
    );
    assert!(
        s.links
            .find_receipt(&tokens::hash("nothing"))
            .await
            .unwrap()
            .is_none()
    );

    // A link's files, newest first, by cursor; none of another link, none for another owner.
    let page = s.links.list_link_files(&ada, &b.id, 2, None).await.unwrap();
    assert_eq!(
        file_ids(&page.files),
        [files[3].id.as_str(), files[2].id.as_str()]
    );
    assert_eq!(page.next_after.as_ref(), Some(&files[2].id));
    let page = s
        .links
        .list_link_files(&ada, &b.id, 2, page.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!(
        (file_ids(&page.files), page.next_after),
        (vec![files[1].id.as_str()], None)
    );
    let page = s
        .links
        .list_link_files(&ada, &a.id, 10, None)
        .await
        .unwrap();
    assert_eq!(page.files, vec![files[0].clone()], "the record as written");
    assert!(
        s.links
            .list_link_files(&bob, &b.id, 10, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
    let none = link_id(prefix, "lnone");
    assert!(
        s.links
            .list_link_files(&ada, &none, 10, None)
            .await
            .unwrap()
            .files
            .is_empty()
    );
}

pub async fn drops_move_link_quota_and_file_together(
    s: Stores<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-drop");
    let ada = owner(prefix, "ada");
    let capped = link(&ada, link_id(prefix, "capped"), 3, Some(100), now);
    s.links.put_link(&capped).await.unwrap();

    let f1 = dropped(&capped, file_id(prefix, "f01"), 60, now);
    assert_eq!(
        drop_via(s, &capped, &f1, 1000, now).await,
        DropReservation::Reserved
    );
    assert_eq!(counters(&stored(s, &capped).await), (1, 60));
    assert_eq!(usage(s, &ada).await, (0, 60, 1));
    let got = s
        .ledger
        .get_file(&ada, &f1.id)
        .await
        .unwrap()
        .expect("the file");
    assert_eq!(got, f1, "the pending record as written, with its link");
    assert_eq!(
        s.links.find_receipt(&receipt_hash(&f1)).await.unwrap(),
        Some((ada.clone(), f1.id.clone()))
    );

    // Bytes: 60 used of 100, 50 more do not fit (the caller's copy is stale), 40 do, exactly.
    let f2 = dropped(&capped, file_id(prefix, "f02"), 50, now);
    refused(s, &capped, &f2, now).await;
    let f3 = dropped(&capped, file_id(prefix, "f03"), 40, now);
    assert_eq!(
        drop_via(s, &capped, &f3, 1000, now).await,
        DropReservation::Reserved
    );
    assert_eq!(counters(&stored(s, &capped).await), (2, 100));
    // Full to the byte, a file that adds no bytes still fits.
    let f4 = dropped(&capped, file_id(prefix, "f04"), 0, now);
    assert_eq!(
        drop_via(s, &capped, &f4, 1000, now).await,
        DropReservation::Reserved
    );
    assert_eq!(counters(&stored(s, &capped).await), (3, 100));
    assert_eq!(usage(s, &ada).await, (0, 100, 3));
}

/// A drop `LinkRefused` that wrote nothing: no file, no receipt, no counter, no quota.
async fn refused(s: Stores<'_>, l: &Link, f: &FileRecord, at: DateTime<Utc>) {
    let o = l.owner.clone();
    let link_now = s
        .links
        .get_link(&o, &l.id)
        .await
        .unwrap()
        .map(|l| counters(&l));
    let before = (usage(s, &o).await, link_now);
    assert_eq!(
        drop_via(s, l, f, 1 << 40, at).await,
        DropReservation::LinkRefused,
        "{}",
        f.id
    );
    let link_now = s
        .links
        .get_link(&o, &l.id)
        .await
        .unwrap()
        .map(|l| counters(&l));
    assert_eq!(
        (usage(s, &o).await, link_now),
        before,
        "{}: nothing moved",
        f.id
    );
    assert!(
        s.ledger.get_file(&o, &f.id).await.unwrap().is_none(),
        "{}",
        f.id
    );
    assert!(
        s.links
            .find_receipt(&receipt_hash(f))
            .await
            .unwrap()
            .is_none(),
        "{}",
        f.id
    );
}

pub async fn refuses_a_used_revoked_or_expired_link(
    s: Stores<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-refuse");
    let ada = owner(prefix, "ada");

    // Used up: one use, taken; the stale copy still says 0 used.
    let once = link(&ada, link_id(prefix, "once"), 1, None, now);
    s.links.put_link(&once).await.unwrap();
    let f1 = dropped(&once, file_id(prefix, "f01"), 5, now);
    assert_eq!(
        drop_via(s, &once, &f1, 1000, now).await,
        DropReservation::Reserved
    );
    refused(
        s,
        &once,
        &dropped(&once, file_id(prefix, "f02"), 5, now),
        now,
    )
    .await;

    // Revoked after the caller read it.
    let revoked = link(&ada, link_id(prefix, "revoked"), 10, None, now);
    s.links.put_link(&revoked).await.unwrap();
    assert!(s.links.revoke_link(&ada, &revoked.id, now).await.unwrap());
    refused(
        s,
        &revoked,
        &dropped(&revoked, file_id(prefix, "f03"), 5, now),
        now,
    )
    .await;

    // Expired: at its expiry or past it (the clock moved on), or already in the past.
    let expiring = link(&ada, link_id(prefix, "expiring"), 10, None, now);
    s.links.put_link(&expiring).await.unwrap();
    let end = expiring.expires_at;
    refused(
        s,
        &expiring,
        &dropped(&expiring, file_id(prefix, "f04"), 5, now),
        end,
    )
    .await;
    let past = end + TimeDelta::seconds(1);
    refused(
        s,
        &expiring,
        &dropped(&expiring, file_id(prefix, "f05"), 5, now),
        past,
    )
    .await;
    let mut old = link(&ada, link_id(prefix, "old"), 10, None, now);
    old.expires_at = now - TimeDelta::seconds(1);
    s.links.put_link(&old).await.unwrap();
    refused(s, &old, &dropped(&old, file_id(prefix, "f06"), 5, now), now).await;
    let just = end - TimeDelta::milliseconds(1);
    let f7 = dropped(&expiring, file_id(prefix, "f07"), 5, now);
    assert_eq!(
        drop_via(s, &expiring, &f7, 1000, just).await,
        DropReservation::Reserved,
        "the same link just before its expiry"
    );

    // A link that was never stored.
    let ghost = link(&ada, link_id(prefix, "ghost"), 10, None, now);
    refused(
        s,
        &ghost,
        &dropped(&ghost, file_id(prefix, "f08"), 5, now),
        now,
    )
    .await;
    assert!(
        s.links.get_link(&ada, &ghost.id).await.unwrap().is_none(),
        "nor created"
    );
}

pub async fn refuses_a_full_quota_without_using_the_link(
    s: Stores<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-quota");
    let ada = owner(prefix, "ada");
    let spare = link(&ada, link_id(prefix, "spare"), 10, None, now);
    s.links.put_link(&spare).await.unwrap();
    let f1 = dropped(&spare, file_id(prefix, "f01"), 70, now);
    assert_eq!(
        drop_via(s, &spare, &f1, 100, now).await,
        DropReservation::Reserved
    );

    let big = dropped(&spare, file_id(prefix, "f02"), 31, now);
    let huge = dropped(&spare, file_id(prefix, "f03"), 101, now);
    for (f, why) in [
        (&big, "no room left"),
        (&huge, "larger than the whole quota"),
    ] {
        assert_eq!(
            drop_via(s, &spare, f, 100, now).await,
            DropReservation::QuotaExceeded,
            "{why}"
        );
        assert!(s.ledger.get_file(&ada, &f.id).await.unwrap().is_none());
        assert!(
            s.links
                .find_receipt(&receipt_hash(f))
                .await
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(
        counters(&stored(s, &spare).await),
        (1, 70),
        "the link was not used"
    );
    assert_eq!(usage(s, &ada).await, (0, 70, 1));

    // A file larger than the whole quota is refused for the quota, whatever the link.
    let mut gone = spare.clone();
    gone.id = link_id(prefix, "gone");
    assert_eq!(
        drop_via(
            s,
            &gone,
            &dropped(&gone, file_id(prefix, "f04"), 101, now),
            100,
            now
        )
        .await,
        DropReservation::QuotaExceeded
    );

    // ... and exactly at the edge it fits.
    let edge = dropped(&spare, file_id(prefix, "f05"), 30, now);
    assert_eq!(
        drop_via(s, &spare, &edge, 100, now).await,
        DropReservation::Reserved
    );
    assert_eq!(counters(&stored(s, &spare).await), (2, 100));
    assert_eq!(usage(s, &ada).await, (0, 100, 2));
}

pub async fn refuses_a_second_file_or_receipt_under_one_id(
    s: Stores<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-dup");
    let ada = owner(prefix, "ada");
    let l = link(&ada, link_id(prefix, "l1"), 10, None, now);
    s.links.put_link(&l).await.unwrap();
    let f = dropped(&l, file_id(prefix, "f01"), 5, now);
    assert_eq!(
        drop_via(s, &l, &f, 1000, now).await,
        DropReservation::Reserved
    );
    let again = s
        .links
        .create_pending_via_link(&LinkDrop {
            link: &l,
            file: &f,
            receipt_hash: &tokens::hash("another receipt"),
            quota_limit: 1000,
            now,
        })
        .await;
    assert!(
        again.is_err(),
        "a colliding file id is an error, never a second drop"
    );
    let other = dropped(&l, file_id(prefix, "f02"), 5, now);
    let again = s
        .links
        .create_pending_via_link(&LinkDrop {
            link: &l,
            file: &other,
            receipt_hash: &receipt_hash(&f),
            quota_limit: 1000,
            now,
        })
        .await;
    assert!(
        again.is_err(),
        "a colliding receipt is an error, never a second drop"
    );
    assert!(s.ledger.get_file(&ada, &other.id).await.unwrap().is_none());
    assert_eq!(counters(&stored(s, &l).await), (1, 5), "nothing moved");
    assert_eq!(usage(s, &ada).await, (0, 5, 1));
    assert_eq!(
        s.links.find_receipt(&receipt_hash(&f)).await.unwrap(),
        Some((ada.clone(), f.id.clone()))
    );
}

fn settlement(status: FileStatus, give_back_link: bool, at: DateTime<Utc>) -> Settlement {
    Settlement {
        status,
        detected_type: None,
        reason: Some("upload_timeout".into()),
        at,
        stored_size: None,
        stored_etag: None,
        give_back_link,
    }
}

pub async fn gives_back_on_settlement_only_when_asked(
    s: Stores<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-give");
    let ada = owner(prefix, "ada");
    let l = link(&ada, link_id(prefix, "l1"), 2, Some(1000), now);
    s.links.put_link(&l).await.unwrap();
    let (f1, f2) = (
        dropped(&l, file_id(prefix, "f01"), 100, now),
        dropped(&l, file_id(prefix, "f02"), 200, now),
    );
    for f in [&f1, &f2] {
        assert_eq!(
            drop_via(s, &l, f, 10_000, now).await,
            DropReservation::Reserved
        );
    }
    assert_eq!(counters(&stored(s, &l).await), (2, 300));

    // Expired, with give-back: one use and its bytes return, with the quota, in one step.
    let expired = settlement(FileStatus::Expired, true, now);
    assert!(s.ledger.settle(&f1, &expired).await.unwrap());
    assert_eq!(counters(&stored(s, &l).await), (1, 200));
    assert_eq!(usage(s, &ada).await, (0, 200, 1));
    assert!(!s.ledger.settle(&f1, &expired).await.unwrap(), "a replay");
    assert_eq!(
        counters(&stored(s, &l).await),
        (1, 200),
        "not given back twice"
    );

    // Rejected, without give-back: the quota is released, the link keeps the use.
    let rejected = settlement(FileStatus::Rejected, false, now);
    assert!(s.ledger.settle(&f2, &rejected).await.unwrap());
    assert_eq!(counters(&stored(s, &l).await), (1, 200));
    assert_eq!(usage(s, &ada).await, (0, 0, 0));

    // A link whose counters do not hold the file's use (a file of a link that was reset)
    // keeps them; the file settles all the same.
    let mut reset = link(&ada, link_id(prefix, "l2"), 5, None, now);
    reset.uploads_used = 1;
    s.links.put_link(&reset).await.unwrap();
    let f3 = dropped(&reset, file_id(prefix, "f03"), 50, now);
    assert_eq!(
        s.ledger.create_pending(&f3, 10_000).await.unwrap(),
        Reservation::Reserved
    );
    assert!(s.ledger.settle(&f3, &expired).await.unwrap());
    assert_eq!(counters(&stored(s, &reset).await), (1, 0));
    let got = s.ledger.get_file(&ada, &f3.id).await.unwrap().expect("f3");
    assert_eq!(got.status, FileStatus::Expired);
    assert_eq!(usage(s, &ada).await, (0, 0, 0));

    // A file of a link that is gone settles too.
    let never = link(&ada, link_id(prefix, "never"), 5, None, now);
    let f4 = dropped(&never, file_id(prefix, "f04"), 50, now);
    assert_eq!(
        s.ledger.create_pending(&f4, 10_000).await.unwrap(),
        Reservation::Reserved
    );
    assert!(s.ledger.settle(&f4, &expired).await.unwrap());
    assert!(
        s.links.get_link(&ada, &never.id).await.unwrap().is_none(),
        "nor created"
    );
    assert_eq!(usage(s, &ada).await, (0, 0, 0));
}
