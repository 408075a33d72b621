//! The stall window in the deliverer: an attempt without an answer stalls its webhook, its
//! other jobs (and the fan-out's new ones) are parked off the queue unsent, uncounted and
//! unlogged, the window's wake probes with one of them, an answer releases the rest, and no
//! other webhook notices.

use std::time::Duration;

use async_trait::async_trait;

use super::*;
use crate::webhooks::stall::{STALL_WINDOW, spread};
use crate::webhooks::{Webhook, WebhookEdit};

async fn stalled_until(w: &World, who: &str, id: &str) -> Option<String> {
    let hook = w.deliverer.store.get(&owner(who), id).await;
    hook.unwrap().unwrap().stalled_until
}

fn events(who: &str, n: u32) -> Vec<Event> {
    (1..=n)
        .map(|i| event(who, i, EventKind::FileAccepted))
        .collect()
}

fn parked(w: &World, who: &str, id: &str) -> usize {
    w.log.parked_count(&owner(who), id)
}

#[tokio::test]
async fn a_timeout_stalls_the_webhook_and_its_other_jobs_are_parked_off_the_queue() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 2)).await.unwrap();
    let start = w.clock.now();
    let first = w.queue.pop().unwrap().0;
    assert!(matches!(
        w.deliverer.run(&first).await.unwrap(),
        Outcome::Attempted(_)
    ));
    let until = rfc3339(start + chrono::Duration::seconds(30));
    assert_eq!(stalled_until(&w, "ada", &id).await, Some(until.clone()));
    // The window's wake was queued for its end, before the retry.
    let second = w.queue.pop().unwrap().0;
    let wake = w.queue.pop().unwrap();
    assert_eq!(wake.0, DeliveryJob::wake("ada", &id, &until));
    assert_eq!(wake.1, STALL_WINDOW);
    let retry = w.queue.pop().unwrap();
    assert_eq!((retry.0.attempt, retry.1), (2, Duration::from_secs(5)));
    // The second event's job and the retry are parked, not put back on the queue.
    assert_eq!(w.deliverer.run(&second).await.unwrap(), Outcome::Parked);
    w.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(w.deliverer.run(&retry.0).await.unwrap(), Outcome::Parked);
    assert!(w.queue.is_empty());
    assert_eq!(parked(&w, "ada", &id), 2);
    assert_eq!(w.sender.received().len(), 1, "one attempt went out");
    let page = w
        .dispatch
        .deliveries(&owner("ada"), &id, None)
        .await
        .unwrap();
    assert_eq!(page.deliveries.len(), 1, "a parked job leaves no log entry");
    // New events of the stalled webhook are parked by the fan-out itself.
    assert_eq!(
        w.dispatch.fan_out(&events_from("ada", 3, 2)).await.unwrap(),
        2
    );
    assert!(w.queue.is_empty(), "nothing of a stalled webhook is queued");
    assert_eq!(parked(&w, "ada", &id), 4);
}

fn events_from(who: &str, first: u32, n: u32) -> Vec<Event> {
    (first..first + n)
        .map(|i| event(who, i, EventKind::FileAccepted))
        .collect()
}

#[tokio::test]
async fn a_fast_failing_answer_does_not_stall() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[Some(500)]);
    w.dispatch.fan_out(&events("ada", 2)).await.unwrap();
    let out = w.drain().await;
    assert_eq!(stalled_until(&w, "ada", &id).await, None);
    assert!(!out.contains(&Outcome::Deferred));
    assert_eq!(attempts(&out).len(), 3, "two events, one retry");
}

#[tokio::test]
async fn the_window_s_wake_probes_with_a_parked_job_and_its_answer_releases_the_rest() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    // The first attempt and the first probe time out; the second probe is answered.
    w.sender.answer(&[None, None]);
    w.dispatch.fan_out(&events("ada", 1)).await.unwrap();
    let start = w.clock.now();
    let job = w.queue.pop().unwrap().0;
    w.deliverer.run(&job).await.unwrap();
    let (wake, _) = w.queue.pop().unwrap();
    let (retry, _) = w.queue.pop().unwrap();
    w.dispatch.fan_out(&events_from("ada", 2, 3)).await.unwrap();
    w.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(w.deliverer.run(&retry).await.unwrap(), Outcome::Parked);
    assert_eq!(parked(&w, "ada", &id), 4);
    // A wake that comes early waits for what is left of its window.
    assert_eq!(w.deliverer.run(&wake).await.unwrap(), Outcome::Waiting);
    assert_eq!(
        w.queue.pop().unwrap(),
        (wake.clone(), Duration::from_secs(25))
    );
    w.clock.advance(chrono::Duration::seconds(25));
    let probe = w.deliverer.run(&wake).await.unwrap();
    assert!(matches!(probe, Outcome::Attempted(_)), "{probe:?}");
    assert_eq!(w.sender.received().len(), 2, "one probe for four parked");
    assert_eq!(parked(&w, "ada", &id), 3);
    let extended = rfc3339(start + chrono::Duration::seconds(60));
    assert_eq!(stalled_until(&w, "ada", &id).await, Some(extended.clone()));
    // The claim's wake and the stall's (the same end), then the probe's retry.
    let mut wakes = 0;
    let mut next = None;
    while let Some((j, delay)) = w.queue.pop() {
        if j.wake.is_some() {
            assert_eq!(
                (j.wake.as_deref(), delay),
                (Some(extended.as_str()), STALL_WINDOW)
            );
            wakes += 1;
            next = Some(j);
        } else {
            assert_eq!(j.attempt, 2, "the probed job's retry");
        }
    }
    assert_eq!(wakes, 2);
    // The next wake probes again; the answer releases the parked jobs, spread over a window.
    w.clock.advance(chrono::Duration::seconds(30));
    let probe = w.deliverer.run(&next.unwrap()).await.unwrap();
    assert!(matches!(probe, Outcome::Attempted(_)), "{probe:?}");
    assert_eq!(
        stalled_until(&w, "ada", &id).await,
        None,
        "a success clears it"
    );
    assert_eq!(parked(&w, "ada", &id), 0);
    let released: Vec<(DeliveryJob, Duration)> = std::iter::from_fn(|| w.queue.pop())
        .filter(|(j, _)| j.wake.is_none())
        .collect();
    assert_eq!(released.len(), 2);
    for (j, delay) in released {
        assert_eq!(delay, spread(&j.delivery_id, STALL_WINDOW));
    }
}

/// A store whose reads let other work run first: the jobs of one batch all read the webhook
/// before any of them writes it.
struct Interleaved(Arc<dyn WebhookStore>);

#[async_trait]
impl WebhookStore for Interleaved {
    async fn insert(&self, hook: &Webhook, max: u32) -> Result<bool, CoreError> {
        self.0.insert(hook, max).await
    }
    async fn get(&self, owner: &OwnerId, id: &str) -> Result<Option<Webhook>, CoreError> {
        let got = self.0.get(owner, id).await;
        tokio::task::yield_now().await;
        got
    }
    async fn list(&self, owner: &OwnerId) -> Result<Vec<Webhook>, CoreError> {
        self.0.list(owner).await
    }
    async fn edit(
        &self,
        owner: &OwnerId,
        id: &str,
        edit: &WebhookEdit,
    ) -> Result<Option<Webhook>, CoreError> {
        self.0.edit(owner, id, edit).await
    }
    async fn remove(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError> {
        self.0.remove(owner, id).await
    }
    async fn count_outcome(
        &self,
        owner: &OwnerId,
        id: &str,
        ok: bool,
    ) -> Result<Option<u32>, CoreError> {
        self.0.count_outcome(owner, id, ok).await
    }
    async fn pause_if_active(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError> {
        self.0.pause_if_active(owner, id).await
    }
    async fn stall(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        if_seen: Option<&str>,
    ) -> Result<bool, CoreError> {
        self.0.stall(owner, id, until, if_seen).await
    }
    async fn take_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
        now: &str,
    ) -> Result<bool, CoreError> {
        self.0.take_lease(owner, id, slot, lease, now).await
    }
    async fn free_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
    ) -> Result<Option<String>, CoreError> {
        self.0.free_lease(owner, id, slot, lease).await
    }
    async fn wait_on_cap(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        unless_from: &str,
    ) -> Result<bool, CoreError> {
        self.0.wait_on_cap(owner, id, until, unless_from).await
    }
}

#[tokio::test]
async fn when_the_window_ends_one_job_of_many_probes_and_the_rest_are_not_lost() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 4)).await.unwrap();
    let first = w.queue.pop().unwrap().0;
    w.deliverer.run(&first).await.unwrap();
    let rest: Vec<DeliveryJob> = (0..3).map(|_| w.queue.pop().unwrap().0).collect();
    while w.queue.pop().is_some() {}
    w.clock.advance(chrono::Duration::seconds(30));
    // A batch of three comes back at the window's end, run side by side.
    let d = Deliverer {
        store: Arc::new(Interleaved(w.deliverer.store.clone())),
        ..w.deliverer.clone()
    };
    let out = futures_util::future::join_all(rest.iter().map(|j| d.run(j))).await;
    let out: Vec<Outcome> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!(attempts(&out).len(), 1, "{out:?}");
    assert_eq!(
        w.sender.received().len(),
        2,
        "the first attempt and one probe"
    );
    // The probe was answered: the stall is cleared, and the other two are back on the queue
    // (released, or queued by their park when it saw the window gone), none left parked.
    assert_eq!(stalled_until(&w, "ada", &id).await, None);
    assert_eq!(parked(&w, "ada", &id), 0);
    let mut back: Vec<String> = std::iter::from_fn(|| w.queue.pop())
        .filter(|(j, _)| j.wake.is_none())
        .map(|(j, _)| j.delivery_id)
        .collect();
    back.sort();
    let mut want: Vec<String> = rest
        .iter()
        .filter(|j| !attempts(&out).iter().any(|r| r.id == j.delivery_id))
        .map(|j| j.delivery_id.clone())
        .collect();
    want.sort();
    assert_eq!(back, want);
}

#[tokio::test]
async fn another_webhook_s_jobs_go_out_while_one_is_stalled() {
    let w = world(50);
    let (ada_hook, _) = w.register("ada", &["file.accepted"]).await;
    let (bob_hook, _) = w.register("bob", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 1)).await.unwrap();
    let job = w.queue.pop().unwrap().0;
    w.deliverer.run(&job).await.unwrap();
    while w.queue.pop().is_some() {}
    assert!(stalled_until(&w, "ada", &ada_hook).await.is_some());
    w.dispatch.fan_out(&events("bob", 3)).await.unwrap();
    let out = w.drain().await;
    assert_eq!(attempts(&out).len(), 3);
    assert!(!out.contains(&Outcome::Parked) && !out.contains(&Outcome::Deferred));
    assert_eq!(stalled_until(&w, "bob", &bob_hook).await, None);
}

#[tokio::test]
async fn parked_jobs_are_not_failures_and_every_delivery_arrives_once_the_receiver_answers() {
    // Two failures in a row would pause it: the parked jobs must not count.
    let w = world(2);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 6)).await.unwrap();
    let out = w.drain().await;
    assert!(out.contains(&Outcome::Parked));
    assert_eq!(parked(&w, "ada", &id), 0);
    let hook = w.hooks.get(&owner("ada"), &id).await.unwrap();
    assert_eq!(hook.state, WebhookState::Active);
    let done = attempts(&out);
    assert_eq!(done.len(), 7, "six events and the first one's retry");
    assert_eq!(w.sender.received().len(), 7);
    let delivered: std::collections::BTreeSet<&str> = done
        .iter()
        .filter(|r| r.status_code == Some(204))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(delivered.len(), 6);
    assert!(w.mailer.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_owner_s_test_of_a_stalled_webhook_is_sent_and_its_answer_clears_the_stall() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 1)).await.unwrap();
    let job = w.queue.pop().unwrap().0;
    w.deliverer.run(&job).await.unwrap();
    while w.queue.pop().is_some() {}
    assert!(stalled_until(&w, "ada", &id).await.is_some());
    w.dispatch.ping(&owner("ada"), &id).await.unwrap();
    let ping = w.queue.pop().unwrap().0;
    let r = attempts(&[w.deliverer.run(&ping).await.unwrap()]);
    assert_eq!(r[0].kind, PING);
    assert_eq!(stalled_until(&w, "ada", &id).await, None);
}

#[tokio::test]
async fn a_long_window_is_waited_in_hops_of_the_queue_s_delay() {
    let mut w = world(50);
    w.deliverer.backoff_scale = 100.0;
    w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 2)).await.unwrap();
    let first = w.queue.pop().unwrap().0;
    w.deliverer.run(&first).await.unwrap();
    let second = w.queue.pop().unwrap().0;
    let (wake, delay) = w.queue.pop().unwrap();
    assert_eq!(delay, Duration::from_secs(900));
    w.queue.pop().unwrap();
    assert_eq!(w.deliverer.run(&second).await.unwrap(), Outcome::Parked);
    w.clock.advance(chrono::Duration::seconds(900));
    assert_eq!(w.deliverer.run(&wake).await.unwrap(), Outcome::Waiting);
    assert_eq!(w.queue.pop().unwrap(), (wake, Duration::from_secs(900)));
}
