//! The expiry announcements' contract ([`LinkExpiries`], [`ShareExpiries`]): what is due comes
//! from the stores' index (a revoked item has left it; an edited expiry moves it), a close
//! writes its marker and its entry all or nothing, once, and nothing changed since it was read
//! is closed. Run on the fakes (`core/tests/contract.rs`) and on the DynamoDB adapters
//! (`local/tests/stack/infra_expiry.rs`); owners of its own, time queries filtered to them.

use chrono::{DateTime, TimeDelta, Utc};

use super::link_fixtures::{link, link_id, ms};
use super::shares::{Announced, share, share_id};
use crate::expiry::{LinkExpiries, ShareExpiries};
use crate::links::LinkStore;
use crate::notify::{EventType, LifecycleEntry};
use crate::shares::ShareStore;
use crate::{LinkId, OwnerId, ShareId};

/// The ports under test, and where each side's entries are read.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub links: &'a dyn LinkStore,
    pub link_expiries: &'a dyn LinkExpiries,
    pub link_log: &'a dyn Announced,
    pub shares: &'a dyn ShareStore,
    pub share_expiries: &'a dyn ShareExpiries,
    pub share_log: &'a dyn Announced,
}

pub async fn check_all(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    links_close_once(s, prefix, now).await;
    shares_close_once(s, prefix, now).await;
}

async fn due_links(s: Stores<'_>, o: &OwnerId, now: DateTime<Utc>) -> Vec<LinkId> {
    let mut v: Vec<LinkId> = s
        .link_expiries
        .links_expired(now, 1000)
        .await
        .expect("links_expired")
        .into_iter()
        .filter(|l| &l.owner == o)
        .map(|l| l.id)
        .collect();
    v.sort();
    v
}

async fn due_shares(s: Stores<'_>, o: &OwnerId, now: DateTime<Utc>) -> Vec<ShareId> {
    let mut v: Vec<ShareId> = s
        .share_expiries
        .shares_expired(now, 1000)
        .await
        .expect("shares_expired")
        .into_iter()
        .filter(|x| &x.owner == o)
        .map(|x| x.id)
        .collect();
    v.sort();
    v
}

async fn written(log: &dyn Announced, o: &OwnerId, event: EventType) -> Vec<LifecycleEntry> {
    log.lifecycle(o)
        .await
        .into_iter()
        .filter(|e| e.event == event)
        .collect()
}

async fn links_close_once(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    let o = OwnerId::parse(&format!("{prefix}-expiry-links")).expect("owner");
    let mut gone = link(&o, link_id(prefix, "exp-gone"), 3, None, now);
    gone.expires_at = now - TimeDelta::minutes(1);
    let mut rev = link(&o, link_id(prefix, "exp-rev"), 3, None, now);
    rev.expires_at = now - TimeDelta::minutes(1);
    let mut moved = link(&o, link_id(prefix, "exp-moved"), 3, None, now);
    moved.expires_at = now + TimeDelta::minutes(1);
    let ahead = link(&o, link_id(prefix, "exp-ahead"), 3, None, now);
    for l in [&gone, &rev, &moved, &ahead] {
        s.links.put_link(l).await.expect("put");
    }
    assert!(s.links.revoke_link(&o, &rev.id, now).await.expect("revoke"));
    // An edit moves a live link's expiry, and the index follows it.
    moved.expires_at = now + TimeDelta::hours(3);
    assert!(s.links.update_link(&moved, now).await.expect("edit"));
    let later = now + TimeDelta::hours(2);
    assert_eq!(
        due_links(s, &o, later).await,
        [ahead.id.clone(), gone.id.clone()],
        "due: what expired, not the revoked, not the moved"
    );
    assert_eq!(due_links(s, &o, now).await, [gone.id.clone()]);

    // A link read with other counts is not closed.
    let mut stale = gone.clone();
    stale.uploads_used = 1;
    let e = LifecycleEntry::of_link(EventType::LinkExpired, &stale, stale.expires_at);
    assert!(
        !s.link_expiries
            .close_link(&stale, Some(&e))
            .await
            .expect("close")
    );
    assert!(
        written(s.link_log, &o, EventType::LinkExpired)
            .await
            .is_empty()
    );

    let e = LifecycleEntry::of_link(EventType::LinkExpired, &gone, gone.expires_at);
    assert!(
        s.link_expiries
            .close_link(&gone, Some(&e))
            .await
            .expect("close")
    );
    assert!(
        !s.link_expiries
            .close_link(&gone, Some(&e))
            .await
            .expect("again"),
        "once"
    );
    assert_eq!(
        due_links(s, &o, later).await,
        std::slice::from_ref(&ahead.id)
    );
    let got = written(s.link_log, &o, EventType::LinkExpired).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0], e);
    // Closed without an entry: out of the index, nothing written.
    assert!(
        s.link_expiries
            .close_link(&ahead, None)
            .await
            .expect("close")
    );
    assert!(due_links(s, &o, later).await.is_empty());
    assert_eq!(
        written(s.link_log, &o, EventType::LinkExpired).await.len(),
        1
    );
}

async fn shares_close_once(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    let o = OwnerId::parse(&format!("{prefix}-expiry-shares")).expect("owner");
    let mut gone = share(&o, share_id(prefix, "exp-gone"), "f1", now);
    gone.expires_at = now - TimeDelta::minutes(1);
    let mut rev = share(&o, share_id(prefix, "exp-rev"), "f1", now);
    rev.expires_at = now - TimeDelta::minutes(1);
    let ahead = share(&o, share_id(prefix, "exp-ahead"), "f1", now);
    for x in [&gone, &rev, &ahead] {
        s.shares.put_share(x).await.expect("put");
    }
    assert!(s.shares.revoke_share(&o, &rev.id).await.expect("revoke"));
    assert_eq!(due_shares(s, &o, now).await, [gone.id.clone()]);
    assert_eq!(
        due_shares(s, &o, now + TimeDelta::hours(2)).await,
        [ahead.id.clone(), gone.id.clone()]
    );

    let mut stale = gone.clone();
    stale.downloads = 1;
    let e = LifecycleEntry::of_share(EventType::ShareExpired, &stale, stale.expires_at);
    assert!(
        !s.share_expiries
            .close_share(&stale, Some(&e))
            .await
            .expect("close")
    );

    let e = LifecycleEntry::of_share(EventType::ShareExpired, &gone, gone.expires_at);
    assert!(
        s.share_expiries
            .close_share(&gone, Some(&e))
            .await
            .expect("close")
    );
    assert!(
        !s.share_expiries
            .close_share(&gone, Some(&e))
            .await
            .expect("again"),
        "once"
    );
    assert!(due_shares(s, &o, now).await.is_empty());
    let got = written(s.share_log, &o, EventType::ShareExpired).await;
    assert_eq!(got, [e]);
}

/// A plain link of `o` (an hour to live from `now`), for the adapters' own expiry tests.
pub fn link_fixture(o: &OwnerId, id: &str, now: DateTime<Utc>) -> crate::links::Link {
    link(o, LinkId::parse(id).expect("link id"), 3, None, now)
}

/// A plain share of `o` (an hour to live from `now`), as [`link_fixture`].
pub fn share_fixture(o: &OwnerId, id: &str, now: DateTime<Utc>) -> crate::shares::Share {
    share(o, ShareId::parse(id).expect("share id"), "f1", now)
}
