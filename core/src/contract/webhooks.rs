//! The [`WebhookStore`] contract: a webhook is read back as kept, listed oldest first, edited,
//! removed; the limit holds, also under concurrent inserts, and a removal frees a place; an
//! owner never reaches another's webhook. The stall window and the leases of attempts in
//! flight hold under many callers at once.

use std::sync::Arc;

use futures_util::future::join_all;

use crate::OwnerId;
use crate::events::EventKind;
use crate::webhooks::{Webhook, WebhookEdit, WebhookState, WebhookStore};

pub(super) fn hook(owner: &OwnerId, id: &str) -> Webhook {
    Webhook {
        id: id.to_owned(),
        owner: owner.clone(),
        url: format!("https://hooks.example.com/{id}"),
        events: vec![EventKind::FileAccepted, EventKind::FileRejected],
        description: Some("CI intake".into()),
        sealed_secret: format!("sealed-{id}"),
        created_at: "2026-12-04T20:00:00Z".into(),
        state: WebhookState::Active,
        stalled_until: None,
        cap_wait_until: None,
    }
}

/// `tag` keeps the owners of one run apart from another's on a shared store.
pub async fn check_all(store: Arc<dyn WebhookStore>, tag: &str) {
    let ada = OwnerId::parse(&format!("hook-ada-{tag}")).unwrap();
    let bob = OwnerId::parse(&format!("hook-bob-{tag}")).unwrap();
    let s = store.as_ref();
    assert!(s.list(&ada).await.unwrap().is_empty());
    assert_eq!(s.get(&ada, "w1").await.unwrap(), None);

    let w1 = hook(&ada, "w1");
    assert!(s.insert(&w1, 3).await.unwrap());
    let mut w2 = hook(&ada, "w2");
    w2.description = None;
    assert!(s.insert(&w2, 3).await.unwrap());
    assert_eq!(s.get(&ada, "w1").await.unwrap(), Some(w1.clone()));
    assert_eq!(s.list(&ada).await.unwrap(), vec![w1.clone(), w2.clone()]);

    // Another owner's is not there for bob, whatever he does.
    assert_eq!(s.get(&bob, "w1").await.unwrap(), None);
    assert!(s.list(&bob).await.unwrap().is_empty());
    let pause = WebhookEdit {
        events: None,
        state: Some(WebhookState::Paused),
    };
    assert_eq!(s.edit(&bob, "w1", &pause).await.unwrap(), None);
    assert!(!s.remove(&bob, "w1").await.unwrap());
    assert_eq!(s.get(&ada, "w1").await.unwrap(), Some(w1.clone()));

    // Edits change what they name, and only that.
    let paused = s.edit(&ada, "w1", &pause).await.unwrap().unwrap();
    assert_eq!(paused.state, WebhookState::Paused);
    assert_eq!(paused.events, w1.events);
    let retyped = WebhookEdit {
        events: Some(vec![EventKind::FileDeleted]),
        state: None,
    };
    let edited = s.edit(&ada, "w1", &retyped).await.unwrap().unwrap();
    assert_eq!(edited.events, vec![EventKind::FileDeleted]);
    assert_eq!(edited.state, WebhookState::Paused);
    assert_eq!(edited.url, w1.url);
    assert_eq!(edited.sealed_secret, w1.sealed_secret);
    assert_eq!(s.get(&ada, "w1").await.unwrap(), Some(edited));
    assert_eq!(s.edit(&ada, "nope", &pause).await.unwrap(), None);

    // The limit: a third fits under 3, a fourth does not; a removal frees a place.
    assert!(s.insert(&hook(&ada, "w3"), 3).await.unwrap());
    assert!(!s.insert(&hook(&ada, "w4"), 3).await.unwrap());
    assert_eq!(s.get(&ada, "w4").await.unwrap(), None);
    assert!(s.remove(&ada, "w2").await.unwrap());
    assert!(!s.remove(&ada, "w2").await.unwrap(), "removed once");
    assert!(s.insert(&hook(&ada, "w4"), 3).await.unwrap());
    let ids: Vec<String> = s
        .list(&ada)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(ids, ["w1", "w3", "w4"]);

    // Concurrent inserts never pass the limit.
    let racers: Vec<Webhook> = (0..8).map(|i| hook(&bob, &format!("c{i}"))).collect();
    let kept = join_all(racers.iter().map(|h| s.insert(h, 5))).await;
    assert_eq!(kept.into_iter().filter(|k| *k.as_ref().unwrap()).count(), 5);
    assert_eq!(s.list(&bob).await.unwrap().len(), 5);

    // Outcomes: failures count up in a row, a success starts again from 0; another owner's
    // webhook is not counted; pausing happens once; resuming starts the count again.
    assert_eq!(s.count_outcome(&ada, "w3", false).await.unwrap(), Some(1));
    assert_eq!(s.count_outcome(&ada, "w3", false).await.unwrap(), Some(2));
    assert_eq!(s.count_outcome(&ada, "w3", true).await.unwrap(), Some(0));
    assert_eq!(s.count_outcome(&ada, "w3", false).await.unwrap(), Some(1));
    assert_eq!(s.count_outcome(&bob, "w3", false).await.unwrap(), None);
    assert_eq!(s.count_outcome(&ada, "gone", false).await.unwrap(), None);
    assert!(!s.pause_if_active(&bob, "w3").await.unwrap());
    let paused = join_all((0..4).map(|_| s.pause_if_active(&ada, "w3"))).await;
    assert_eq!(
        paused.into_iter().filter(|p| *p.as_ref().unwrap()).count(),
        1
    );
    let w3 = s.get(&ada, "w3").await.unwrap().unwrap();
    assert_eq!(w3.state, WebhookState::Paused);
    let resume = WebhookEdit {
        events: None,
        state: Some(WebhookState::Active),
    };
    s.edit(&ada, "w3", &resume).await.unwrap().unwrap();
    assert_eq!(s.count_outcome(&ada, "w3", false).await.unwrap(), Some(1));

    check_stall(s, &ada, &bob).await;
    check_leases(s, &ada, &bob).await;
}

/// The leases of attempts in flight: a slot is taken by one of many at once and held until its
/// holder frees it or it ends; only the holder frees it; the wait on the cap is recorded by one
/// of many, never over one running, and read back by a free; the webhook is otherwise as it
/// was; another owner's webhook is never touched; the leases go with the webhook.
async fn check_leases(s: &dyn WebhookStore, ada: &OwnerId, bob: &OwnerId) {
    let now = "2026-12-05T11:00:00.000Z";
    let lease = |n: u32| format!("2026-12-05T11:00:30.000Z|dlv_{n}#1");
    let w5 = hook(ada, "w5");
    assert!(s.insert(&w5, 10).await.unwrap());
    let racers: Vec<String> = (0..4).map(lease).collect();
    let takes = join_all(racers.iter().map(|l| s.take_lease(ada, "w5", 0, l, now))).await;
    let won: Vec<u32> = (0..4)
        .filter(|i| *takes[*i as usize].as_ref().unwrap())
        .collect();
    assert_eq!(won.len(), 1, "one of many takes a slot");
    let holder = lease(won[0]);
    assert!(!s.take_lease(ada, "w5", 0, &lease(9), now).await.unwrap());
    assert!(s.take_lease(ada, "w5", 1, &lease(8), now).await.unwrap());
    assert!(!s.take_lease(bob, "w5", 2, &lease(7), now).await.unwrap());
    assert!(!s.take_lease(ada, "gone", 0, &lease(7), now).await.unwrap());
    // Not its holder: nothing is freed.
    assert_eq!(s.free_lease(ada, "w5", 0, &lease(9)).await.unwrap(), None);
    assert_eq!(s.free_lease(bob, "w5", 0, &holder).await.unwrap(), None);
    assert!(!s.take_lease(ada, "w5", 0, &lease(9), now).await.unwrap());
    // Held at its end, taken over after it; the first holder's late free changes nothing.
    let at_end = "2026-12-05T11:00:30.000Z";
    let after_end = "2026-12-05T11:00:30.001Z";
    let next = "2026-12-05T11:01:00.001Z|dlv_6#1";
    assert!(!s.take_lease(ada, "w5", 0, next, at_end).await.unwrap());
    assert!(s.take_lease(ada, "w5", 0, next, after_end).await.unwrap());
    assert_eq!(s.free_lease(ada, "w5", 0, &holder).await.unwrap(), None);
    assert!(
        !s.take_lease(ada, "w5", 0, &holder, after_end)
            .await
            .unwrap()
    );
    // The wait: recorded, not over one running on, by one of many once it has ended.
    let (t1, t2) = ("2026-12-05T11:00:32.000Z", "2026-12-05T11:01:10.000Z");
    assert!(
        s.wait_on_cap(ada, "w5", t1, "2026-12-05T11:00:02.000Z")
            .await
            .unwrap()
    );
    assert!(
        !s.wait_on_cap(ada, "w5", t2, "2026-12-05T11:00:10.000Z")
            .await
            .unwrap(),
        "one running on covers"
    );
    assert!(!s.wait_on_cap(bob, "w5", t2, t2).await.unwrap());
    let from = "2026-12-05T11:00:40.000Z";
    let recorded = join_all((0..4).map(|_| s.wait_on_cap(ada, "w5", t2, from))).await;
    assert_eq!(
        recorded
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count(),
        1
    );
    let kept = s.get(ada, "w5").await.unwrap().unwrap();
    assert_eq!(kept.cap_wait_until.as_deref(), Some(t2));
    assert_eq!(
        Webhook {
            cap_wait_until: None,
            ..kept
        },
        w5,
        "otherwise as it was"
    );
    assert!(
        !s.wait_on_cap(ada, "w5", t2, t2).await.unwrap(),
        "at `unless_from`"
    );
    // A free answers the wait and clears it (the next free answers none); the slot is free.
    assert_eq!(
        s.free_lease(ada, "w5", 1, &lease(8))
            .await
            .unwrap()
            .as_deref(),
        Some(t2)
    );
    assert_eq!(
        s.get(ada, "w5").await.unwrap().unwrap().cap_wait_until,
        None
    );
    assert!(s.take_lease(ada, "w5", 1, &lease(5), now).await.unwrap());
    assert_eq!(s.free_lease(ada, "w5", 1, &lease(5)).await.unwrap(), None);
    assert!(s.take_lease(ada, "w5", 1, &lease(5), now).await.unwrap());
    // A stalled webhook's slot is not taken, however free, until its window has ended.
    assert!(
        s.stall(ada, "w5", "2026-12-05T11:00:10.000Z", None)
            .await
            .unwrap()
    );
    assert!(!s.take_lease(ada, "w5", 3, &lease(2), now).await.unwrap());
    let ended = "2026-12-05T11:00:10.001Z";
    assert!(s.take_lease(ada, "w5", 3, &lease(2), ended).await.unwrap());
    assert_eq!(s.count_outcome(ada, "w5", true).await.unwrap(), Some(0));
    // Removed and registered again: no lease is left.
    assert!(s.remove(ada, "w5").await.unwrap());
    assert!(!s.take_lease(ada, "w5", 0, &lease(4), now).await.unwrap());
    assert!(s.insert(&w5, 10).await.unwrap());
    assert!(s.take_lease(ada, "w5", 0, &lease(4), now).await.unwrap());
    assert!(s.take_lease(ada, "w5", 1, &lease(3), now).await.unwrap());
    assert_eq!(s.get(ada, "w5").await.unwrap(), Some(w5));
    assert!(s.remove(ada, "w5").await.unwrap());
}

/// The stall window: set, claimed by one of many at once, kept by a failure and an edit,
/// cleared by a success; another owner's webhook is never touched.
async fn check_stall(s: &dyn WebhookStore, ada: &OwnerId, bob: &OwnerId) {
    let (t1, t2) = ("2026-12-04T20:00:30Z", "2026-12-04T20:01:00Z");
    assert_eq!(s.get(ada, "w4").await.unwrap().unwrap().stalled_until, None);
    assert!(s.stall(ada, "w4", t1, None).await.unwrap());
    assert!(!s.stall(bob, "w4", t2, None).await.unwrap());
    assert!(!s.stall(ada, "gone", t2, None).await.unwrap());
    let w4 = s.get(ada, "w4").await.unwrap().unwrap();
    assert_eq!(w4.stalled_until.as_deref(), Some(t1));
    // Many jobs find the window ended at once: one claims the probe.
    let claims = join_all((0..4).map(|_| s.stall(ada, "w4", t2, Some(t1)))).await;
    assert_eq!(
        claims.into_iter().filter(|c| *c.as_ref().unwrap()).count(),
        1
    );
    assert!(!s.stall(ada, "w4", t1, Some(t1)).await.unwrap(), "stale");
    let retyped = WebhookEdit {
        events: Some(vec![EventKind::FileAccepted]),
        state: None,
    };
    let edited = s.edit(ada, "w4", &retyped).await.unwrap().unwrap();
    assert_eq!(edited.stalled_until.as_deref(), Some(t2));
    assert_eq!(s.count_outcome(ada, "w4", false).await.unwrap(), Some(1));
    let w4 = s.get(ada, "w4").await.unwrap().unwrap();
    assert_eq!(w4.stalled_until.as_deref(), Some(t2), "a failure keeps it");
    assert_eq!(s.count_outcome(ada, "w4", true).await.unwrap(), Some(0));
    let w4 = s.get(ada, "w4").await.unwrap().unwrap();
    assert_eq!(w4.stalled_until, None, "a success clears it");
    assert!(!s.stall(ada, "w4", t1, Some(t2)).await.unwrap());
    assert_eq!(s.list(ada).await.unwrap()[2], w4);
}
