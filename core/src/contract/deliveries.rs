//! The [`DeliveryLog`] contract: a delivery is kept once (a repeated open changes nothing), its
//! attempts raise its count and never lower it, the log lists newest first in pages whose
//! cursors chain, a cursor the log did not give is refused, an owner never reaches
//! another's deliveries, and parked jobs are kept per webhook until unparked.

use std::sync::Arc;

use crate::OwnerId;
use crate::webhooks::deliveries::{AttemptRecord, Delivery, DeliveryJob, DeliveryLog, delivery_id};

fn delivery(hook: &str, event: &str) -> Delivery {
    Delivery {
        id: delivery_id(hook, event),
        webhook_id: hook.to_owned(),
        event_id: event.to_owned(),
        kind: "file.accepted".into(),
        body: format!("{{\"id\":\"{event}\"}}"),
        attempts: 0,
        created_at: "2026-12-04T20:00:00.000Z".into(),
    }
}

fn attempt(d: &Delivery, n: u32, second: u32, status: Option<u16>) -> AttemptRecord {
    AttemptRecord {
        id: d.id.clone(),
        event_id: d.event_id.clone(),
        kind: d.kind.clone(),
        attempt: n,
        status_code: status,
        error: status.is_none().then(|| "could not connect".to_owned()),
        duration_ms: 12,
        at: format!("2026-12-04T20:00:{second:02}.000Z"),
        next_attempt_at: status
            .is_none()
            .then(|| "2026-12-04T20:01:00.000Z".to_owned()),
    }
}

/// `tag` keeps the owners of one run apart from another's on a shared store.
pub async fn check_all(log: Arc<dyn DeliveryLog>, tag: &str) {
    let ada = OwnerId::parse(&format!("dlv-ada-{tag}")).unwrap();
    let bob = OwnerId::parse(&format!("dlv-bob-{tag}")).unwrap();
    let l = log.as_ref();
    let d1 = delivery("w1", "e1");
    assert_eq!(l.delivery(&ada, "w1", &d1.id).await.unwrap(), None);
    l.open(&ada, &d1).await.unwrap();
    assert_eq!(
        l.delivery(&ada, "w1", &d1.id).await.unwrap(),
        Some(d1.clone())
    );
    assert_eq!(l.delivery(&bob, "w1", &d1.id).await.unwrap(), None);
    assert_eq!(l.delivery(&ada, "w2", &d1.id).await.unwrap(), None);

    // Attempts raise the count; a repeated open keeps it.
    let a1 = attempt(&d1, 1, 1, None);
    l.record(&ada, "w1", &a1).await.unwrap();
    let a2 = attempt(&d1, 2, 2, Some(204));
    l.record(&ada, "w1", &a2).await.unwrap();
    l.open(&ada, &d1).await.unwrap();
    assert_eq!(
        l.delivery(&ada, "w1", &d1.id)
            .await
            .unwrap()
            .unwrap()
            .attempts,
        2
    );
    l.record(&ada, "w1", &attempt(&d1, 1, 3, Some(500)))
        .await
        .unwrap();
    assert_eq!(
        l.delivery(&ada, "w1", &d1.id)
            .await
            .unwrap()
            .unwrap()
            .attempts,
        2,
        "never lowered"
    );

    // Newest first, in pages that chain.
    let d2 = delivery("w1", "e2");
    l.open(&ada, &d2).await.unwrap();
    let b1 = attempt(&d2, 1, 4, Some(200));
    l.record(&ada, "w1", &b1).await.unwrap();
    let (all, next) = l.list(&ada, "w1", None, 10).await.unwrap();
    assert_eq!(next, None);
    let seen: Vec<(String, u32)> = all.iter().map(|r| (r.at.clone(), r.attempt)).collect();
    assert_eq!(seen.len(), 4);
    assert_eq!(all[0], b1);
    assert_eq!(all[2], a2);
    assert_eq!(all[3], a1);
    let (first, next) = l.list(&ada, "w1", None, 3).await.unwrap();
    assert_eq!(first, all[..3].to_vec());
    let cursor = next.expect("a fourth record");
    let (rest, next) = l.list(&ada, "w1", Some(&cursor), 3).await.unwrap();
    assert_eq!(rest, all[3..].to_vec());
    assert_eq!(next, None);
    for bad in ["junk", "w1#x", "2026-12-04T20:00:00.000Z#dlv_zz#0001"] {
        let e = l.list(&ada, "w1", Some(bad), 3).await.unwrap_err();
        assert_eq!(e.code(), "invalid_cursor", "{bad}");
    }

    // Another owner's, another webhook's: nothing.
    assert!(l.list(&bob, "w1", None, 10).await.unwrap().0.is_empty());
    assert!(l.list(&ada, "w2", None, 10).await.unwrap().0.is_empty());

    check_parking(l, &ada, &bob).await;
}

fn job(owner: &OwnerId, hook: &str, event: &str, attempt: u32) -> DeliveryJob {
    DeliveryJob {
        owner: owner.to_string(),
        webhook_id: hook.to_owned(),
        delivery_id: delivery_id(hook, event),
        attempt,
        due_at: (attempt > 1).then(|| "2026-12-04T20:00:05.000Z".to_owned()),
        manual: false,
        wake: None,
    }
}

/// Parked jobs: kept per owner and webhook, one per delivery (parked again, replaced), read
/// back as parked, at most `limit`, gone once unparked.
async fn check_parking(l: &dyn DeliveryLog, ada: &OwnerId, bob: &OwnerId) {
    assert!(l.parked(ada, "w1", 10).await.unwrap().is_empty());
    let jobs: Vec<DeliveryJob> = (0..3)
        .map(|i| job(ada, "w1", &format!("p{i}"), 1))
        .collect();
    l.park(ada, "w1", &jobs[..1]).await.unwrap();
    l.park(ada, "w1", &jobs[1..]).await.unwrap();
    let again = job(ada, "w1", "p0", 2);
    l.park(ada, "w1", std::slice::from_ref(&again))
        .await
        .unwrap();
    let mut got = l.parked(ada, "w1", 10).await.unwrap();
    got.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    let mut want = vec![again.clone(), jobs[1].clone(), jobs[2].clone()];
    want.sort_by(|a, b| a.delivery_id.cmp(&b.delivery_id));
    assert_eq!(got, want);
    assert_eq!(l.parked(ada, "w1", 2).await.unwrap().len(), 2);
    assert!(l.parked(bob, "w1", 10).await.unwrap().is_empty());
    assert!(l.parked(ada, "w2", 10).await.unwrap().is_empty());
    l.unpark(bob, "w1", &jobs[1].delivery_id).await.unwrap();
    l.unpark(ada, "w1", &jobs[1].delivery_id).await.unwrap();
    l.unpark(ada, "w1", &jobs[1].delivery_id).await.unwrap();
    let left: Vec<String> = l
        .parked(ada, "w1", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.delivery_id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&jobs[1].delivery_id));
    for id in left {
        l.unpark(ada, "w1", &id).await.unwrap();
    }
    assert!(l.parked(ada, "w1", 10).await.unwrap().is_empty());
    // Many at once (more than one batch of writes), all read back.
    let many: Vec<DeliveryJob> = (0..30)
        .map(|i| job(ada, "w3", &format!("m{i}"), 1))
        .collect();
    l.park(ada, "w3", &many).await.unwrap();
    assert_eq!(l.parked(ada, "w3", 100).await.unwrap().len(), 30);
    for j in &many {
        l.unpark(ada, "w3", &j.delivery_id).await.unwrap();
    }
    assert!(l.parked(ada, "w3", 100).await.unwrap().is_empty());
}
