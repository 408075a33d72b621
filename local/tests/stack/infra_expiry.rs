//! The expiry announcements' stores on the emulator: `DynamoLedger` (links) and `DynamoShares`
//! keep the expiry contract (`dropgate_core::contract::expiry`, which the fakes keep too): the
//! sparse `due-for-expiry` index, a close's marker and entry in one transaction, once.

use chrono::Utc;
use dropgate_core::contract::expiry;

use crate::infra_adapters::{env, ledger};
use crate::infra_shares::{shares, upload_log};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_expiry_stores_keep_the_contract() {
    let e = env().await;
    let links = ledger(&e);
    let shares = shares(&e);
    let log = upload_log(&e);
    let stores = expiry::Stores {
        links: &links,
        link_expiries: &links,
        link_log: &log,
        shares: &shares,
        share_expiries: &shares,
        share_log: &log,
    };
    expiry::check_all(stores, "ddb", Utc::now()).await;
}

/// Takes `expiry_shard` off an item, as links and shares stored before the index carry none.
async fn strip(e: &crate::infra_adapters::Env, table: &str, key: [(&str, String); 2]) {
    let mut u = e
        .clients
        .dynamodb()
        .update_item()
        .table_name(table)
        .update_expression("REMOVE expiry_shard");
    for (k, v) in key {
        u = u.key(k, aws_sdk_dynamodb::types::AttributeValue::S(v));
    }
    u.send().await.expect("strip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_shares_stored_before_the_index_are_backfilled_once_and_then_announced() {
    use chrono::{DurationRound, TimeDelta};
    use dropgate_core::OwnerId;
    use dropgate_core::expiry::{Expiries, LinkExpiries, ShareExpiries};
    use dropgate_core::links::LinkStore;
    use dropgate_core::notify::EventType;
    use dropgate_core::shares::ShareStore;
    use std::sync::Arc;

    let e = env().await;
    let links = Arc::new(ledger(&e));
    let shares = Arc::new(shares(&e));
    let now = Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap();
    let o = OwnerId::parse("legacy-owner").unwrap();
    let mk = |id: &str, expires: TimeDelta| {
        let mut l = dropgate_core::contract::expiry::link_fixture(&o, id, now);
        l.expires_at = now + expires;
        l
    };
    // Live; expired within the upgrade's window; expired long before it.
    let (live, recent, old) = (
        mk("legacy-live", TimeDelta::hours(1)),
        mk("legacy-recent", TimeDelta::hours(-1)),
        mk("legacy-old", TimeDelta::days(-2)),
    );
    for l in [&live, &recent, &old] {
        links.put_link(l).await.unwrap();
        strip(
            &e,
            &e.r.tables.links,
            [("owner", o.to_string()), ("item", format!("link#{}", l.id))],
        )
        .await;
    }
    let mut sh = dropgate_core::contract::expiry::share_fixture(&o, "legacy-share", now);
    sh.expires_at = now - TimeDelta::minutes(30);
    shares.put_share(&sh).await.unwrap();
    strip(
        &e,
        &e.r.tables.shares,
        [("owner", o.to_string()), ("share_id", sh.id.to_string())],
    )
    .await;
    assert!(links.links_expired(now, 100).await.unwrap().is_empty());

    assert_eq!(links.backfill_links(now).await.unwrap(), 2);
    assert_eq!(shares.backfill_shares(now).await.unwrap(), 1);
    // Once: the marker says it is done.
    assert_eq!(links.backfill_links(now).await.unwrap(), 0);
    assert_eq!(shares.backfill_shares(now).await.unwrap(), 0);
    let due: Vec<_> = links
        .links_expired(now + TimeDelta::hours(2), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(due, [recent.id.clone(), live.id.clone()]);

    // A janitor run announces what expired in the window, once.
    let clock = Arc::new(dropgate_core::fakes::FixedClock::at(now));
    let expiries = Expiries {
        links: links.clone(),
        shares: shares.clone(),
        clock,
    };
    let run = expiries.run(100).await.unwrap();
    let mut got: Vec<(EventType, String)> = run
        .announced
        .iter()
        .map(|a| (a.event, a.id.clone()))
        .collect();
    got.sort_by_key(|(t, _)| t.as_str());
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, EventType::LinkExpired);
    assert!(got[0].1.contains(recent.id.as_str()));
    assert_eq!(got[1].0, EventType::ShareExpired);
    assert!(expiries.run(100).await.unwrap().announced.is_empty());
}
