//! The [`ErasureStore`] contract: the marker stops the account and keeps its first count; the
//! owner's records are listed in every state and removed with what they hold in the other
//! stores; every removal finds nothing the second time; another owner keeps everything.

use chrono::{TimeDelta, Utc};

use super::apikeys::key;
use super::link_fixtures::{link, link_id, ms};
use super::shares::share;
use super::trash::accepted;
use super::webhooks::hook;
use crate::apikeys::ApiKeyStore;
use crate::erasure::{ErasureStore, Remnant, Tally};
use crate::files::Ledger;
use crate::links::LinkStore;
use crate::shares::ShareStore;
use crate::standing::StandingStore;
use crate::webhooks::WebhookStore;
use crate::{FileId, FileRecord, OwnerId, ShareId};

/// The stores under test: the erasure port and the ports whose items it removes (one adapter
/// or fake world behind them all).
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub erasure: &'a dyn ErasureStore,
    pub ledger: &'a dyn Ledger,
    pub links: &'a dyn LinkStore,
    pub shares: &'a dyn ShareStore,
    pub keys: &'a dyn ApiKeyStore,
    pub hooks: &'a dyn WebhookStore,
    pub standing: &'a dyn StandingStore,
}

async fn holdings(s: Stores<'_>, o: &OwnerId, n: u8, tag: &str) -> Vec<FileId> {
    let now = ms(Utc::now());
    let a = accepted(s.ledger, o, &format!("{o}-f1"), 100, now).await;
    let p = FileRecord::pending(
        FileId::parse(&format!("{o}-f2")).unwrap(),
        o.clone(),
        "p.png".into(),
        50,
        "image/png".into(),
        now,
        std::time::Duration::from_secs(600),
    );
    s.ledger.create_pending(&p, 1 << 30).await.unwrap();
    let l = link(o, link_id(o.as_str(), "l1"), 3, None, now);
    s.links.put_link(&l).await.unwrap();
    let sh = share(
        o,
        ShareId::parse(&format!("{o}-s1")).unwrap(),
        a.id.as_str(),
        now,
    );
    s.shares.put_share(&sh).await.unwrap();
    s.keys.put(&key(o, n, tag)).await.unwrap();
    assert!(
        s.hooks
            .insert(&hook(o, &format!("{o}-h1")), 10)
            .await
            .unwrap()
    );
    vec![a.id, p.id]
}

/// `tag` keeps the owners of one run apart from another's on a shared store.
pub async fn check_all(s: Stores<'_>, tag: &str) {
    let ada = OwnerId::parse(&format!("erase-ada-{tag}")).unwrap();
    let bob = OwnerId::parse(&format!("erase-bob-{tag}")).unwrap();
    let ktag = format!("erase-{tag}");
    let ada_files = holdings(s, &ada, 7, &ktag).await;
    let bob_files = holdings(s, &bob, 8, &ktag).await;
    let now = ms(Utc::now());

    assert_eq!(s.erasure.marker(&ada).await.unwrap(), None);
    let m = s.erasure.mark(&ada, now).await.unwrap();
    assert_eq!((m.started_at, m.tally), (now, None));
    // Marked: stopped, whatever the standing said; another owner is not.
    assert!(s.standing.standing(&ada).await.unwrap().disabled);
    assert!(!s.standing.standing(&bob).await.unwrap().disabled);
    s.standing.set_disabled(&ada, false).await.unwrap();
    assert!(s.standing.standing(&ada).await.unwrap().disabled);
    // A second mark keeps the first; the first count stays.
    let again = s
        .erasure
        .mark(&ada, now + TimeDelta::hours(1))
        .await
        .unwrap();
    assert_eq!(again.started_at, now);
    let first = Tally {
        files: 2,
        bytes: 100,
        links: 1,
        shares: 1,
    };
    s.erasure.record_tally(&ada, &first).await.unwrap();
    s.erasure
        .record_tally(&ada, &Tally::default())
        .await
        .unwrap();
    let m = s.erasure.marker(&ada).await.unwrap().unwrap();
    assert_eq!((m.started_at, m.tally), (now, Some(first)));

    // Every record, in order of id, in pages.
    let all = s.erasure.files(&ada, None, 10).await.unwrap();
    let ids: Vec<_> = all.iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids, ada_files);
    let rest = s.erasure.files(&ada, Some(&ids[0]), 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(s.erasure.files(&ada, None, 1).await.unwrap().len(), 1);

    // Marked before their bytes go (a second mark, as a resumed erasure writes, keeps the
    // first): still there, so an erasure cut short finds them and their keys again.
    for f in &all {
        assert!(s.erasure.mark_deleting(f, now).await.unwrap());
        assert!(
            s.erasure
                .mark_deleting(f, now + TimeDelta::seconds(3))
                .await
                .unwrap()
        );
    }
    let marked = s.erasure.files(&ada, None, 10).await.unwrap();
    assert_eq!(
        marked.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        ada_files
    );
    assert!(marked.iter().all(|f| f.lifecycle.deleting_at == Some(now)));
    // Another owner's records are not touched.
    let bobs = s.erasure.files(&bob, None, 10).await.unwrap();
    assert!(bobs.iter().all(|f| f.lifecycle.deleting_at.is_none()));

    for _ in 0..2 {
        s.erasure.forget_files(&ada, &ids).await.unwrap();
    }
    assert!(s.erasure.files(&ada, None, 10).await.unwrap().is_empty());
    assert_eq!(s.ledger.get_file(&ada, &ids[0]).await.unwrap(), None);
    assert!(
        !s.erasure.mark_deleting(&all[0], now).await.unwrap(),
        "gone"
    );
    let gone = [1, 1, 1, 1];
    for (what, n) in [
        Remnant::Links,
        Remnant::Shares,
        Remnant::Webhooks,
        Remnant::ApiKeys,
    ]
    .into_iter()
    .zip(gone)
    {
        assert!(s.erasure.forget(&ada, what).await.unwrap() >= n, "{what:?}");
    }
    for what in Remnant::ALL {
        s.erasure.forget(&ada, what).await.unwrap();
        assert_eq!(s.erasure.forget(&ada, what).await.unwrap(), 0, "{what:?}");
    }
    assert!(
        s.links
            .list_links(&ada, 10, None)
            .await
            .unwrap()
            .links
            .is_empty()
    );
    let shares = s.shares.list_shares(&ada, None, 10, None).await.unwrap();
    assert!(shares.shares.is_empty());
    assert!(s.keys.list(&ada).await.unwrap().is_empty());
    assert!(s.hooks.list(&ada).await.unwrap().is_empty());

    s.erasure
        .finish(&ada, now + TimeDelta::hours(2))
        .await
        .unwrap();
    s.erasure
        .finish(&ada, now + TimeDelta::hours(2))
        .await
        .unwrap();
    // The marker stays (the account stays stopped until it expires); nothing else does.
    assert!(s.erasure.marker(&ada).await.unwrap().is_some());
    assert!(s.standing.standing(&ada).await.unwrap().disabled);
    let usage = s.ledger.usage(&ada, 1000).await.unwrap();
    assert_eq!(
        (usage.files, usage.used_bytes, usage.reserved_bytes),
        (0, 0, 0)
    );

    // The other owner keeps everything.
    let bobs: Vec<_> = s.erasure.files(&bob, None, 10).await.unwrap();
    assert_eq!(
        bobs.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
        bob_files
    );
    assert_eq!(
        s.links
            .list_links(&bob, 10, None)
            .await
            .unwrap()
            .links
            .len(),
        1
    );
    let shares = s.shares.list_shares(&bob, None, 10, None).await.unwrap();
    assert_eq!(shares.shares.len(), 1);
    assert_eq!(s.keys.list(&bob).await.unwrap().len(), 1);
    assert_eq!(s.hooks.list(&bob).await.unwrap().len(), 1);
    assert_eq!(s.erasure.marker(&bob).await.unwrap(), None);
    assert!(s.ledger.usage(&bob, 1000).await.unwrap().used_bytes >= 100);
}
