//! The own-quota contract: what every [`QuotaLimits`] with its ledger must do. A user's own
//! limit replaces the default in every reservation (an owner's upload and a stranger's drop),
//! inside the reservation's own atomic step, so that concurrent reservations never pass it;
//! lowering it below usage refuses new reservations and removes nothing. Run on the fake
//! (`core/tests/contract.rs`) and the DynamoDB adapter (`local/tests/stack/infra_admin.rs`).

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use super::link_fixtures::{Stores, drop_via, dropped, file_id, link, link_id, owner};
use crate::files::Reservation;
use crate::links::DropReservation;
use crate::users::QuotaLimits;
use crate::{FileRecord, OwnerId};

const DEFAULT: u64 = 100;

fn pending(o: &OwnerId, prefix: &str, id: &str, size: u64, now: DateTime<Utc>) -> FileRecord {
    FileRecord::pending(
        file_id(prefix, id),
        o.clone(),
        format!("{id}.png"),
        size,
        "image/png".into(),
        now,
        std::time::Duration::from_secs(900),
    )
}

async fn reserve(s: Stores<'_>, f: &FileRecord) -> Reservation {
    s.ledger.create_pending(f, DEFAULT).await.expect("reserve")
}

/// Every check, each on owners of its own under `prefix`.
pub async fn check_all(s: Stores<'_>, q: &dyn QuotaLimits, prefix: &str, now: DateTime<Utc>) {
    the_default_holds_until_an_own_limit_is_set(s, q, prefix).await;
    a_raised_limit_takes_uploads_and_drops_past_the_default(s, q, prefix, now).await;
    a_lowered_limit_refuses_and_removes_nothing(s, q, prefix, now).await;
    concurrent_reservations_never_pass_the_own_limit(s, q, prefix, now).await;
}

pub async fn the_default_holds_until_an_own_limit_is_set(
    s: Stores<'_>,
    q: &dyn QuotaLimits,
    prefix: &str,
) {
    let o = owner(prefix, "ql-default");
    let u = s.ledger.usage(&o, DEFAULT).await.unwrap();
    assert_eq!((u.limit_bytes, u.custom), (DEFAULT, false));
    q.set_own_limit(&o, Some(7)).await.unwrap();
    let u = s.ledger.usage(&o, DEFAULT).await.unwrap();
    assert_eq!((u.limit_bytes, u.custom), (7, true));
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (0, 0, 0));
    q.set_own_limit(&o, None).await.unwrap();
    let u = s.ledger.usage(&o, DEFAULT).await.unwrap();
    assert_eq!((u.limit_bytes, u.custom), (DEFAULT, false));
}

pub async fn a_raised_limit_takes_uploads_and_drops_past_the_default(
    s: Stores<'_>,
    q: &dyn QuotaLimits,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "ql-raised");
    assert_eq!(
        reserve(s, &pending(&o, prefix, "qr0", 150, now)).await,
        Reservation::QuotaExceeded,
        "past the default"
    );
    q.set_own_limit(&o, Some(300)).await.unwrap();
    assert_eq!(
        reserve(s, &pending(&o, prefix, "qr1", 150, now)).await,
        Reservation::Reserved
    );
    let l = link(&o, link_id(prefix, "ql-raised"), 10, None, now);
    s.links.put_link(&l).await.unwrap();
    let big = dropped(&l, file_id(prefix, "qr2"), 120, now);
    assert_eq!(
        drop_via(s, &l, &big, DEFAULT, now).await,
        DropReservation::Reserved,
        "a drop holds to the owner's own limit too"
    );
    let over = dropped(&l, file_id(prefix, "qr3"), 31, now);
    assert_eq!(
        drop_via(s, &l, &over, DEFAULT, now).await,
        DropReservation::QuotaExceeded
    );
    assert_eq!(
        reserve(s, &pending(&o, prefix, "qr4", 31, now)).await,
        Reservation::QuotaExceeded
    );
    assert_eq!(
        reserve(s, &pending(&o, prefix, "qr5", 30, now)).await,
        Reservation::Reserved,
        "exactly at the own limit fits"
    );
    let u = s.ledger.usage(&o, DEFAULT).await.unwrap();
    assert_eq!((u.reserved_bytes, u.files, u.limit_bytes), (300, 3, 300));
}

pub async fn a_lowered_limit_refuses_and_removes_nothing(
    s: Stores<'_>,
    q: &dyn QuotaLimits,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "ql-lowered");
    assert_eq!(
        reserve(s, &pending(&o, prefix, "ql1", 80, now)).await,
        Reservation::Reserved
    );
    q.set_own_limit(&o, Some(50)).await.unwrap();
    assert_eq!(
        reserve(s, &pending(&o, prefix, "ql2", 1, now)).await,
        Reservation::QuotaExceeded
    );
    let l = link(&o, link_id(prefix, "ql-lowered"), 10, None, now);
    s.links.put_link(&l).await.unwrap();
    let f = dropped(&l, file_id(prefix, "ql3"), 1, now);
    assert_eq!(
        drop_via(s, &l, &f, DEFAULT, now).await,
        DropReservation::QuotaExceeded
    );
    let u = s.ledger.usage(&o, DEFAULT).await.unwrap();
    assert_eq!((u.reserved_bytes, u.files), (80, 1), "nothing removed");
    q.set_own_limit(&o, Some(0)).await.unwrap();
    assert_eq!(s.ledger.usage(&o, DEFAULT).await.unwrap().limit_bytes, 0);
    q.set_own_limit(&o, None).await.unwrap();
    assert_eq!(
        reserve(s, &pending(&o, prefix, "ql4", 20, now)).await,
        Reservation::Reserved,
        "back to the default"
    );
}

pub async fn concurrent_reservations_never_pass_the_own_limit(
    s: Stores<'_>,
    q: &dyn QuotaLimits,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let o = owner(prefix, "ql-race");
    // The default would take every one of them; the own limit takes exactly 25.
    q.set_own_limit(&o, Some(500)).await.unwrap();
    let files: Vec<FileRecord> = (0..50)
        .map(|i| pending(&o, prefix, &format!("race{i}"), 20, now))
        .collect();
    let results = join_all(
        files
            .iter()
            .map(|f| async move { s.ledger.create_pending(f, 10_000).await.expect("reserve") }),
    )
    .await;
    let reserved = results
        .iter()
        .filter(|r| **r == Reservation::Reserved)
        .count();
    assert_eq!(reserved, 25, "{results:?}");
    let u = s.ledger.usage(&o, 10_000).await.unwrap();
    assert_eq!((u.reserved_bytes, u.files), (500, 25));
}

/// [`QuotaLimits::records`]: a page of owners' quota records read together, each with its own
/// usage, limit and standing, whatever their number (more than one round of 100 here), owners
/// without a record included (empty, the default limit, good standing).
pub async fn check_records(
    s: Stores<'_>,
    q: &dyn QuotaLimits,
    standing: &dyn crate::standing::StandingStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    use crate::standing::Standing;
    use chrono::TimeZone;
    let owners: Vec<OwnerId> = (0..150)
        .map(|i| owner(prefix, &format!("rec-{i:03}")))
        .collect();
    // Every third owner has an own limit (its index + 1000); the rest have no record at all.
    join_all(
        owners
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == 0)
            .map(|(i, o)| async move { q.set_own_limit(o, Some(1000 + i as u64)).await }),
    )
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .unwrap();
    let held = &owners[1];
    let f = pending(held, prefix, "rec-file", 40, now);
    assert_eq!(reserve(s, &f).await, Reservation::Reserved);
    standing.set_disabled(&owners[2], true).await.unwrap();
    let cut = Utc.timestamp_opt(now.timestamp(), 0).unwrap();
    standing.sign_out_all(&owners[3], cut).await.unwrap();

    let records = q.records(&owners, DEFAULT).await.unwrap();
    assert_eq!(records.len(), owners.len());
    for (i, o) in owners.iter().enumerate() {
        let r = records[o];
        let own = (i % 3 == 0).then_some(1000 + i as u64);
        assert_eq!(r.usage.limit_bytes, own.unwrap_or(DEFAULT), "{o}");
        assert_eq!(r.usage.custom, own.is_some(), "{o}");
        let expected = match i {
            2 => Standing {
                disabled: true,
                signed_out_at: None,
            },
            3 => Standing {
                disabled: false,
                signed_out_at: Some(cut),
            },
            _ => Standing::default(),
        };
        assert_eq!(r.standing, expected, "{o}");
        let counters = (r.usage.used_bytes, r.usage.reserved_bytes, r.usage.files);
        if o == held {
            assert_eq!(counters, (0, 40, 1));
        } else {
            assert_eq!(counters, (0, 0, 0), "{o}");
        }
    }
    // What one owner's own reads say, the batch says too.
    let u = s.ledger.usage(held, DEFAULT).await.unwrap();
    assert_eq!(records[held].usage, u);
    assert!(q.records(&[], DEFAULT).await.unwrap().is_empty());
}
