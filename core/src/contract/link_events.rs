//! The link store's contract for the links' own outbox entries: `link.created` with the put,
//! `link.used_up` with the drop that takes the last use (exactly one, however many race for
//! it), `link.revoked` with the first revocation only. Run on the fake (`core/tests/contract.rs`)
//! and on the DynamoDB adapter (`local/tests/stack/infra_links.rs`).

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use super::link_fixtures::{Stores, drop_via, dropped, file_id, link, link_id, ms, owner, stored};
use super::shares::Announced;
use crate::links::DropReservation;
use crate::notify::{EventType, LifecycleEntry, Subject};

pub async fn check_all(s: Stores<'_>, a: &dyn Announced, prefix: &str, now: DateTime<Utc>) {
    announces_a_links_life_once(s, a, prefix, now).await;
}

fn events(life: &[LifecycleEntry]) -> Vec<(EventType, u32)> {
    life.iter()
        .map(|e| match &e.subject {
            Subject::Link(l) => (e.event, l.uploads_used),
            Subject::Share(_) => (e.event, u32::MAX),
        })
        .collect()
}

pub async fn announces_a_links_life_once(
    s: Stores<'_>,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-life");
    let (ada, bob) = (owner(prefix, "ada"), owner(prefix, "bob"));
    let l = link(&ada, link_id(prefix, "l1"), 3, None, now);
    s.links.put_link(&l).await.unwrap();
    assert_eq!(
        a.lifecycle(&ada).await,
        vec![LifecycleEntry::of_link(
            EventType::LinkCreated,
            &l,
            l.created_at
        )]
    );

    // Eight drops race for three uses, from the same stale read: one `link.used_up`, with
    // the link as the last drop left it.
    let files: Vec<_> = (0..8)
        .map(|i| dropped(&l, file_id(prefix, &format!("f{i:02}")), 1, now))
        .collect();
    let outcomes = join_all(files.iter().map(|f| drop_via(s, &l, f, 1 << 30, now))).await;
    let reserved = outcomes
        .iter()
        .filter(|o| **o == DropReservation::Reserved)
        .count();
    assert_eq!(reserved, 3, "{outcomes:?}");
    assert_eq!(stored(s, &l).await.uploads_used, 3);
    assert_eq!(
        events(&a.lifecycle(&ada).await),
        vec![(EventType::LinkCreated, 0), (EventType::LinkUsedUp, 3)]
    );

    // Revoked: announced once; another owner's revocation finds nothing.
    assert!(!s.links.revoke_link(&bob, &l.id, now).await.unwrap());
    assert!(s.links.revoke_link(&ada, &l.id, now).await.unwrap());
    assert!(s.links.revoke_link(&ada, &l.id, now).await.unwrap());
    let life = a.lifecycle(&ada).await;
    assert_eq!(
        events(&life),
        vec![
            (EventType::LinkCreated, 0),
            (EventType::LinkRevoked, 3),
            (EventType::LinkUsedUp, 3)
        ],
        "in id order: the same time, then by event name"
    );
    assert!(a.lifecycle(&bob).await.is_empty());
}
