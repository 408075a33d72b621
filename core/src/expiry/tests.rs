//! The expiry announcements over the fakes, with a clock the tests move.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::contract::link_fixtures::{link, link_id};
use crate::contract::shares::share;
use crate::fakes::{FixedClock, MemLedger, MemShares};
use crate::links::LinkStore;
use crate::notify::EventType;
use crate::shares::ShareStore;
use crate::{OwnerId, ShareId};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

struct World {
    links: Arc<MemLedger>,
    shares: Arc<MemShares>,
    clock: Arc<FixedClock>,
    expiries: Expiries,
}

fn world() -> World {
    let links = Arc::new(MemLedger::default());
    let shares = Arc::new(MemShares::default());
    let clock = Arc::new(FixedClock::at(t0()));
    let expiries = Expiries {
        links: links.clone(),
        shares: shares.clone(),
        clock: clock.clone(),
    };
    World {
        links,
        shares,
        clock,
        expiries,
    }
}

fn alice() -> OwnerId {
    OwnerId::parse("alice").unwrap()
}

/// The entries of `event` written so far, as (item id, time).
fn written(w: &World, event: EventType) -> Vec<(String, DateTime<Utc>)> {
    let links = w.links.lifecycle.lock().unwrap().clone();
    let shares = w.shares.lifecycle.lock().unwrap().clone();
    links
        .into_iter()
        .chain(shares)
        .filter(|e| e.event == event)
        .map(|e| {
            let id = match &e.subject {
                crate::notify::Subject::Link(l) => l.link.to_string(),
                crate::notify::Subject::Share(s) => s.share.to_string(),
            };
            (id, e.at)
        })
        .collect()
}

#[tokio::test]
async fn an_expired_link_is_announced_once_over_two_runs() {
    let w = world();
    let l = link(&alice(), link_id("t", "l1"), 3, None, t0());
    w.links.put_link(&l).await.unwrap();
    // Before its time: nothing.
    let run = w.expiries.run(100).await.unwrap();
    assert!(run.announced.is_empty(), "{run:?}");
    w.clock.advance(TimeDelta::hours(2));
    let run = w.expiries.run(100).await.unwrap();
    assert_eq!(run.announced.len(), 1);
    assert_eq!(run.announced[0].event, EventType::LinkExpired);
    // The event is dated at the link's expiry, not the run's.
    assert_eq!(
        written(&w, EventType::LinkExpired),
        [(l.id.to_string(), l.expires_at)]
    );
    w.clock.advance(TimeDelta::minutes(5));
    let again = w.expiries.run(100).await.unwrap();
    assert!(again.announced.is_empty(), "{again:?}");
    assert_eq!(written(&w, EventType::LinkExpired).len(), 1, "once");
}

#[tokio::test]
async fn revoked_and_used_up_links_are_not_announced_as_expired() {
    let w = world();
    let a = alice();
    let revoked = link(&a, link_id("t", "rev"), 3, None, t0());
    w.links.put_link(&revoked).await.unwrap();
    assert!(w.links.revoke_link(&a, &revoked.id, t0()).await.unwrap());
    let mut used = link(&a, link_id("t", "used"), 2, None, t0());
    used.uploads_used = 2;
    w.links.put_link(&used).await.unwrap();
    // Out of bytes but not of uploads: `link.used_up` never told of it, so its expiry is.
    let mut bytes = link(&a, link_id("t", "bytes"), 5, Some(10), t0());
    bytes.uploads_used = 1;
    bytes.bytes_used = 10;
    w.links.put_link(&bytes).await.unwrap();
    w.clock.advance(TimeDelta::hours(2));
    let run = w.expiries.run(100).await.unwrap();
    assert_eq!(
        written(&w, EventType::LinkExpired),
        [(bytes.id.to_string(), bytes.expires_at)]
    );
    assert_eq!(run.passed_over, 1, "the used-up link, closed silently");
    let again = w.expiries.run(100).await.unwrap();
    assert_eq!(again, ExpiryRun::default());
}

#[tokio::test]
async fn a_link_extended_before_its_time_is_announced_at_its_new_time() {
    let w = world();
    let mut l = link(&alice(), link_id("t", "ext"), 3, None, t0());
    w.links.put_link(&l).await.unwrap();
    l.expires_at = t0() + TimeDelta::hours(5);
    assert!(w.links.update_link(&l, t0()).await.unwrap());
    w.clock.advance(TimeDelta::hours(2));
    assert!(w.expiries.run(100).await.unwrap().announced.is_empty());
    w.clock.advance(TimeDelta::hours(3));
    let run = w.expiries.run(100).await.unwrap();
    assert_eq!(run.announced.len(), 1);
    assert_eq!(written(&w, EventType::LinkExpired)[0].1, l.expires_at);
}

#[tokio::test]
async fn an_expired_share_is_announced_once_unless_revoked_or_exhausted() {
    let w = world();
    let a = alice();
    let live = share(&a, ShareId::parse("s-live").unwrap(), "f1", t0());
    let revoked = share(&a, ShareId::parse("s-rev").unwrap(), "f1", t0());
    let mut spent = share(&a, ShareId::parse("s-spent").unwrap(), "f1", t0());
    spent.max_downloads = Some(1);
    spent.downloads = 1;
    let mut later = share(&a, ShareId::parse("s-later").unwrap(), "f1", t0());
    later.expires_at = t0() + TimeDelta::days(2);
    for s in [&live, &revoked, &spent, &later] {
        w.shares.put_share(s).await.unwrap();
    }
    assert!(w.shares.revoke_share(&a, &revoked.id).await.unwrap());
    w.clock.advance(TimeDelta::hours(1));
    let run = w.expiries.run(100).await.unwrap();
    assert_eq!(run.announced.len(), 1, "{run:?}");
    let e = &run.announced[0];
    assert_eq!(e.event, EventType::ShareExpired);
    assert_eq!(e.event.kind().as_str(), "share.expired");
    assert_eq!(
        written(&w, EventType::ShareExpired),
        [(live.id.to_string(), live.expires_at)]
    );
    // Nothing in it grants anything: no token, no URL.
    let body = e.notification().body();
    assert!(!body.contains("token") && !body.contains("http"), "{body}");
    w.clock.advance(TimeDelta::hours(1));
    assert!(w.expiries.run(100).await.unwrap().announced.is_empty());
    assert_eq!(written(&w, EventType::ShareExpired).len(), 1, "once");
}

#[tokio::test]
async fn a_close_of_a_link_that_changed_since_it_was_read_writes_nothing() {
    let w = world();
    let l = link(&alice(), link_id("t", "chg"), 3, None, t0());
    w.links.put_link(&l).await.unwrap();
    let mut read = l.clone();
    read.uploads_used = 1;
    let e = LifecycleEntry::of_link(EventType::LinkExpired, &read, l.expires_at);
    assert!(!w.links.close_link(&read, Some(&e)).await.unwrap());
    assert!(written(&w, EventType::LinkExpired).is_empty());
}

#[test]
fn the_rules_hold_the_instant() {
    let mut l = link(&alice(), link_id("t", "x"), 1, None, t0());
    assert_eq!(link_outcome(&l, l.expires_at), Outcome::Announce);
    assert_eq!(
        link_outcome(&l, l.expires_at - TimeDelta::milliseconds(1)),
        Outcome::NotDue
    );
    l.max_uploads = 0;
    l.uploads_used = 0;
    assert_eq!(
        link_outcome(&l, l.expires_at),
        Outcome::Announce,
        "unlimited"
    );
}
