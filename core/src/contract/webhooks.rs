//! The [`WebhookStore`] contract: a webhook is read back as kept, listed oldest first, edited,
//! removed; the limit holds, also under concurrent inserts, and a removal frees a place; an
//! owner never reaches another's webhook.

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
        email: Some("ada@example.com".into()),
        stalled_until: None,
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
    assert_eq!(w3.email.as_deref(), Some("ada@example.com"));
    let resume = WebhookEdit {
        events: None,
        state: Some(WebhookState::Active),
    };
    s.edit(&ada, "w3", &resume).await.unwrap().unwrap();
    assert_eq!(s.count_outcome(&ada, "w3", false).await.unwrap(), Some(1));

    check_stall(s, &ada, &bob).await;
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
