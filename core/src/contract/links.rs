//! The link store's contract: what every [`LinkStore`] must do, run against the in-memory
//! `MemLedger` (`core/tests/contract.rs`) and the DynamoDB adapter on the emulator
//! (`local/tests/stack/infra_links.rs`). A drop moves the owner's quota and writes a file, so
//! the checks read those back through the [`Ledger`] the same store implements. The drop's
//! checks are in `super::link_drops`.
//!
//! Each check uses owners, link ids, tokens and receipts of its own (`<prefix>-...`), so the
//! checks can share a store with other tests. Times are at millisecond precision (what stores
//! keep).
//!
//! [`LinkStore`]: crate::links::LinkStore
//! [`Ledger`]: crate::files::Ledger

use chrono::{DateTime, TimeDelta, Utc};

use super::link_drops::*;
use super::link_fixtures::{
    counters, drop_via, dropped, file_id, file_ids, ids, link, link_id, ms, owner, receipt_hash,
    stored,
};
use crate::files::Reservation;
use crate::links::DropReservation;
use crate::{FileRecord, tokens};

pub use super::link_fixtures::Stores;

/// Every check, each on owners of its own under `prefix`.
pub async fn check_all(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    stores_finds_lists_and_revokes(s, prefix, now).await;
    finds_receipts_and_lists_a_links_files(s, prefix, now).await;
    drops_move_link_quota_and_file_together(s, prefix, now).await;
    refuses_a_used_revoked_or_expired_link(s, prefix, now).await;
    refuses_a_full_quota_without_using_the_link(s, prefix, now).await;
    refuses_a_second_file_under_one_id(s, prefix, now).await;
    gives_back_on_settlement_only_when_asked(s, prefix, now).await;
    caps_pending_bytes_and_give_backs(s, prefix, now).await;
    extends_a_pending_drop_only(s, prefix, now).await;
    super::edits::links_are_edited_while_live_and_removed_once_ended(s, prefix, now).await;
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
