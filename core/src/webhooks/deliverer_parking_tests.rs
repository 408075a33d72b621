//! Parking's edges: a park that races the window's end goes on the queue itself, a wake that
//! is not its window's does nothing, a paused or cleared webhook's parked jobs are released,
//! and a long release goes on in a wake of its own.

use std::time::Duration;

use super::*;
use crate::webhooks::parking::{PARK_MARGIN, Parked, Parking, RELEASE_PAGE, RELEASE_PAGES, parks};
use crate::webhooks::stall::{STALL_WINDOW, spread};

fn events(who: &str, first: u32, n: u32) -> Vec<Event> {
    (first..first + n)
        .map(|i| event(who, i, EventKind::FileAccepted))
        .collect()
}

/// Ada's webhook, stalled by one attempt without an answer; the queue emptied. Answers its id
/// and the window's end as stored.
async fn stalled(w: &World) -> (String, String) {
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 1, 1)).await.unwrap();
    let job = w.queue.pop().unwrap().0;
    w.deliverer.run(&job).await.unwrap();
    while w.queue.pop().is_some() {}
    let hook = w.deliverer.store.get(&owner("ada"), &id).await.unwrap();
    (id, hook.unwrap().stalled_until.unwrap())
}

fn parking(w: &World) -> Parking<'_> {
    Parking {
        store: w.deliverer.store.as_ref(),
        log: w.deliverer.log.as_ref(),
        queue: w.deliverer.queue.as_ref(),
    }
}

#[test]
fn a_job_is_parked_only_while_the_window_runs_on_past_the_margin() {
    let now = Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap();
    let margin = chrono::Duration::from_std(PARK_MARGIN).unwrap();
    assert!(parks(now + margin + chrono::Duration::milliseconds(1), now));
    assert!(!parks(now + margin, now));
    assert!(!parks(now, now));
    assert!(!parks(now - chrono::Duration::seconds(5), now));
}

#[tokio::test]
async fn a_park_as_the_window_ends_goes_on_the_queue_after_it_and_is_not_left_parked() {
    let w = world(50);
    let (id, _) = stalled(&w).await;
    w.clock.advance(chrono::Duration::seconds(29));
    let job = DeliveryJob {
        owner: "ada".into(),
        webhook_id: id.clone(),
        delivery_id: "dlv_000000000000000000000009".into(),
        attempt: 1,
        due_at: None,
        manual: false,
        wake: None,
    };
    let out = parking(&w)
        .park(
            &owner("ada"),
            &id,
            std::slice::from_ref(&job),
            || w.clock.now(),
            STALL_WINDOW,
        )
        .await
        .unwrap();
    let back = Duration::from_secs(1) + spread(&job.delivery_id, STALL_WINDOW);
    assert_eq!(out, Parked::Queued);
    assert_eq!(w.queue.pop().unwrap(), (job, back));
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
    // The fan-out does the same: queued, not parked, so no wake is needed for it.
    w.dispatch.fan_out(&events("ada", 2, 1)).await.unwrap();
    assert_eq!(w.queue.len(), 1);
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
}

#[tokio::test]
async fn a_wake_that_is_not_its_window_s_does_nothing() {
    let w = world(50);
    let (id, until) = stalled(&w).await;
    w.dispatch.fan_out(&events("ada", 2, 2)).await.unwrap();
    let older = DeliveryJob::wake("ada", &id, "2026-12-04T19:00:00.000Z");
    let out = w.deliverer.run(&older).await.unwrap();
    assert_eq!(out, Outcome::Dropped("a later window has its own wake"));
    assert!(w.queue.is_empty());
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 2);
    assert_eq!(w.sender.received().len(), 1);
    // Its own, at the end, probes.
    w.clock.advance(chrono::Duration::seconds(30));
    let own = DeliveryJob::wake("ada", &id, &until);
    assert!(matches!(
        w.deliverer.run(&own).await.unwrap(),
        Outcome::Attempted(_)
    ));
}

#[tokio::test]
async fn a_paused_webhook_s_parked_jobs_are_released_and_dropped_as_they_come_back() {
    let w = world(50);
    let (id, until) = stalled(&w).await;
    w.dispatch.fan_out(&events("ada", 2, 3)).await.unwrap();
    assert!(
        w.deliverer
            .store
            .pause_if_active(&owner("ada"), &id)
            .await
            .unwrap()
    );
    let wake = DeliveryJob::wake("ada", &id, &until);
    assert_eq!(w.deliverer.run(&wake).await.unwrap(), Outcome::Released(3));
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
    let out = w.drain().await;
    assert_eq!(out, vec![Outcome::Dropped("webhook paused"); 3]);
    assert_eq!(w.sender.received().len(), 1);
}

#[tokio::test]
async fn a_long_release_goes_on_in_a_wake_of_its_own_and_nothing_is_lost() {
    let w = world(50);
    let (id, _) = stalled(&w).await;
    let many = u32::try_from(RELEASE_PAGE * RELEASE_PAGES).unwrap() + 7;
    w.dispatch.fan_out(&events("ada", 2, many)).await.unwrap();
    assert!(w.queue.is_empty());
    assert_eq!(w.log.parked_count(&owner("ada"), &id), many as usize);
    // The receiver answers the owner's test: the stall ends and the parked jobs are released.
    w.dispatch.ping(&owner("ada"), &id).await.unwrap();
    let ping = w.queue.pop().unwrap().0;
    w.deliverer.run(&ping).await.unwrap();
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 7);
    assert_eq!(w.queue.len(), RELEASE_PAGE * RELEASE_PAGES + 1);
    let out = w.drain().await;
    assert!(out.contains(&Outcome::Released(7)), "the wake went on");
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
    let delivered: std::collections::BTreeSet<String> = attempts(&out)
        .into_iter()
        .filter(|r| r.status_code == Some(204) && r.kind != PING)
        .map(|r| r.event_id)
        .collect();
    assert_eq!(delivered.len(), many as usize);
}
