//! The link store's contract, continued (`super::links`): a drop through a link moves the
//! link's counters, the owner's quota and the pending file together or not at all, and a
//! settlement gives the link back its use only when asked.

use chrono::{DateTime, TimeDelta, Utc};

use super::link_fixtures::{
    Stores, counters, drop_via, dropped, file_id, link, link_id, ms, owner, receipt_hash, stored,
    usage,
};
use crate::files::{Reservation, Settlement};
use crate::links::{DropReservation, Link, LinkDrop};
use crate::{FileRecord, FileStatus, tokens};

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

pub async fn refuses_a_second_file_under_one_id(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
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
            used_up: None,
        })
        .await;
    assert!(
        again.is_err(),
        "a colliding file id is an error, never a second drop"
    );
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
        scan: None,
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

/// A drop counts its bytes as pending under the link's `max_pending_bytes`, in the drop's own
/// write (a stale copy of the link cannot pass it); every settlement of a pending link file and
/// its removal release them; an expiry gives the use back only while the link has give-backs
/// left, counting each.
pub async fn caps_pending_bytes_and_give_backs(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    let prefix = &format!("{prefix}-pend");
    let ada = owner(prefix, "ada");
    let mut l = link(&ada, link_id(prefix, "l1"), 10, None, now);
    l.max_pending_bytes = 100;
    l.max_givebacks = 1;
    s.links.put_link(&l).await.unwrap();
    let f = |id: &str, size: u64| dropped(&l, file_id(prefix, id), size, now);
    let (f1, f2, f3) = (f("f01", 60), f("f02", 50), f("f03", 40));
    assert_eq!(
        drop_via(s, &l, &f1, 10_000, now).await,
        DropReservation::Reserved
    );
    // The caller's copy says nothing is pending: the store still refuses, and writes nothing.
    assert_eq!(
        drop_via(s, &l, &f2, 10_000, now).await,
        DropReservation::LinkRefused
    );
    assert!(s.ledger.get_file(&ada, &f2.id).await.unwrap().is_none());
    assert_eq!(
        drop_via(s, &l, &f3, 10_000, now).await,
        DropReservation::Reserved
    );
    let got = stored(s, &l).await;
    assert_eq!((got.pending_bytes, got.max_pending_bytes), (100, 100));
    assert_eq!(counters(&got), (2, 100));
    assert_eq!(usage(s, &ada).await, (0, 100, 2));

    // A verdict releases the pending bytes; the use and bytes stay counted.
    let accepted = Settlement {
        status: FileStatus::Accepted,
        reason: None,
        ..settlement(FileStatus::Accepted, false, now)
    };
    assert!(s.ledger.settle(&f1, &accepted).await.unwrap());
    let got = stored(s, &l).await;
    assert_eq!((got.pending_bytes, counters(&got)), (40, (2, 100)));
    // A later verdict on the accepted file (replaced bytes) releases nothing more.
    let settled = s.ledger.get_file(&ada, &f1.id).await.unwrap().expect("f1");
    let rejected = settlement(FileStatus::Rejected, false, now);
    assert!(s.ledger.settle(&settled, &rejected).await.unwrap());
    assert_eq!(stored(s, &l).await.pending_bytes, 40);

    // An expiry with give-back: pending released, use back, counted.
    let expired = settlement(FileStatus::Expired, true, now);
    assert!(s.ledger.settle(&f3, &expired).await.unwrap());
    let got = stored(s, &l).await;
    assert_eq!(
        (got.pending_bytes, counters(&got), got.givebacks),
        (0, (1, 60), 1)
    );

    // The link's one give-back is spent: the next expiry keeps the use, releases the bytes.
    let f4 = f("f04", 30);
    assert_eq!(
        drop_via(s, &l, &f4, 10_000, now).await,
        DropReservation::Reserved
    );
    assert!(s.ledger.settle(&f4, &expired).await.unwrap());
    let got = stored(s, &l).await;
    assert_eq!(
        (got.pending_bytes, counters(&got), got.givebacks),
        (0, (2, 90), 1)
    );
    assert_eq!(usage(s, &ada).await, (0, 0, 0), "all quota released");

    // Removing a pending drop releases its pending bytes; the use stays.
    let f5 = f("f05", 70);
    assert_eq!(
        drop_via(s, &l, &f5, 10_000, now).await,
        DropReservation::Reserved
    );
    assert_eq!(stored(s, &l).await.pending_bytes, 70);
    assert!(s.ledger.remove_file(&f5, None).await.unwrap());
    let got = stored(s, &l).await;
    assert_eq!((got.pending_bytes, counters(&got)), (0, (3, 160)));
    assert_eq!(usage(s, &ada).await, (0, 0, 0));
}

/// A pending drop's deadline moves forward, never back, and only while it is pending.
pub async fn extends_a_pending_drop_only(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    let prefix = &format!("{prefix}-ext");
    let ada = owner(prefix, "ada");
    let l = link(&ada, link_id(prefix, "l1"), 5, None, now);
    s.links.put_link(&l).await.unwrap();
    let f = dropped(&l, file_id(prefix, "f01"), 10, now);
    assert_eq!(
        drop_via(s, &l, &f, 10_000, now).await,
        DropReservation::Reserved
    );
    let later = f.upload_expires_at + TimeDelta::minutes(10);
    assert!(s.links.extend_drop(&f, later).await.unwrap());
    assert_eq!(deadline_of(s, &f).await, later);
    // Never back.
    assert!(s.links.extend_drop(&f, now).await.unwrap());
    assert_eq!(deadline_of(s, &f).await, later);
    // The janitor's index follows: not stale before the new deadline, stale after.
    assert!(!is_stale(s, &f, later).await);
    assert!(is_stale(s, &f, later + TimeDelta::seconds(1)).await);
    // Settled: no longer extended.
    assert!(
        s.ledger
            .settle(&f, &settlement(FileStatus::Expired, false, now))
            .await
            .unwrap()
    );
    assert!(
        !s.links
            .extend_drop(&f, later + TimeDelta::hours(1))
            .await
            .unwrap()
    );
}

async fn deadline_of(s: Stores<'_>, f: &FileRecord) -> DateTime<Utc> {
    s.ledger
        .get_file(&f.owner, &f.id)
        .await
        .unwrap()
        .expect("the file")
        .upload_expires_at
}

async fn is_stale(s: Stores<'_>, f: &FileRecord, before: DateTime<Utc>) -> bool {
    s.ledger
        .stale_pending(before, 1000)
        .await
        .unwrap()
        .iter()
        .any(|x| x.id == f.id)
}
