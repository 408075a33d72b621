//! The stall window in the deliverer: an attempt without an answer stalls its webhook, its
//! other jobs wait on the queue unsent, uncounted and unlogged, one probes when the window
//! ends, and no other webhook notices.

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

#[tokio::test]
async fn a_timeout_stalls_the_webhook_and_its_other_jobs_wait_unsent_for_the_window() {
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
    assert_eq!(stalled_until(&w, "ada", &id).await, Some(until));
    // The second event's job is not attempted but put back as it was, for the whole window.
    let second = w.queue.pop().unwrap().0;
    let retry = w.queue.pop().unwrap();
    assert_eq!((retry.0.attempt, retry.1), (2, Duration::from_secs(5)));
    assert_eq!(w.deliverer.run(&second).await.unwrap(), Outcome::Deferred);
    let back = STALL_WINDOW + spread(&second.delivery_id, STALL_WINDOW);
    assert_eq!(w.queue.pop().unwrap(), (second, back));
    // The retry, due inside the window, waits for what is left of it and keeps its due time.
    w.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(w.deliverer.run(&retry.0).await.unwrap(), Outcome::Deferred);
    let back = Duration::from_secs(25) + spread(&retry.0.delivery_id, STALL_WINDOW);
    assert_eq!(w.queue.pop().unwrap(), (retry.0, back));
    assert!(w.queue.is_empty());
    assert_eq!(w.sender.received().len(), 1, "one attempt went out");
    let page = w
        .dispatch
        .deliveries(&owner("ada"), &id, None)
        .await
        .unwrap();
    assert_eq!(page.deliveries.len(), 1, "a deferral leaves no log entry");
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
async fn the_probe_after_the_window_clears_the_stall_or_extends_it() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    // The first attempt and the first probe time out; the second probe is answered.
    w.sender.answer(&[None, None]);
    w.dispatch.fan_out(&events("ada", 1)).await.unwrap();
    let start = w.clock.now();
    let job = w.queue.pop().unwrap().0;
    w.deliverer.run(&job).await.unwrap();
    let (retry, _) = w.queue.pop().unwrap();
    w.clock.advance(chrono::Duration::seconds(30));
    let probe = w.deliverer.run(&retry).await.unwrap();
    let Outcome::Attempted(r) = probe else {
        panic!("the window ended: the job probes, {probe:?}");
    };
    assert_eq!(r.attempt, 2);
    let extended = rfc3339(start + chrono::Duration::seconds(60));
    assert_eq!(stalled_until(&w, "ada", &id).await, Some(extended));
    let (third, delay) = w.queue.pop().unwrap();
    assert_eq!((third.attempt, delay), (3, Duration::from_secs(60)));
    w.clock.advance(chrono::Duration::seconds(60));
    assert!(matches!(
        w.deliverer.run(&third).await.unwrap(),
        Outcome::Attempted(_)
    ));
    assert_eq!(
        stalled_until(&w, "ada", &id).await,
        None,
        "a success clears it"
    );
    assert!(w.queue.is_empty());
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
}

#[tokio::test]
async fn when_the_window_ends_one_job_of_many_probes_and_the_rest_wait_another() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 4)).await.unwrap();
    let first = w.queue.pop().unwrap().0;
    w.deliverer.run(&first).await.unwrap();
    let rest: Vec<DeliveryJob> = (0..3).map(|_| w.queue.pop().unwrap().0).collect();
    let _retry = w.queue.pop().unwrap();
    w.clock.advance(chrono::Duration::seconds(30));
    // A batch of three comes back at the window's end, run side by side.
    let d = Deliverer {
        store: Arc::new(Interleaved(w.deliverer.store.clone())),
        ..w.deliverer.clone()
    };
    let out = futures_util::future::join_all(rest.iter().map(|j| d.run(j))).await;
    let out: Vec<Outcome> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!(attempts(&out).len(), 1, "{out:?}");
    assert_eq!(out.iter().filter(|o| **o == Outcome::Deferred).count(), 2);
    assert_eq!(
        w.sender.received().len(),
        2,
        "the first attempt and one probe"
    );
    // The probe was answered: the stall is cleared; the others wait one window, no more.
    assert_eq!(stalled_until(&w, "ada", &id).await, None);
    for _ in 0..2 {
        let (job, wait) = w.queue.pop().unwrap();
        assert_eq!(wait, STALL_WINDOW + spread(&job.delivery_id, STALL_WINDOW));
    }
    assert!(w.queue.is_empty());
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
    w.queue.pop().unwrap();
    assert!(stalled_until(&w, "ada", &ada_hook).await.is_some());
    w.dispatch.fan_out(&events("bob", 3)).await.unwrap();
    let out = w.drain().await;
    assert_eq!(attempts(&out).len(), 3);
    assert!(!out.contains(&Outcome::Deferred));
    assert_eq!(stalled_until(&w, "bob", &bob_hook).await, None);
}

#[tokio::test]
async fn deferrals_are_not_failures_and_every_delivery_arrives_once_the_receiver_answers() {
    // Two failures in a row would pause it: the deferred jobs must not count.
    let w = world(2);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None]);
    w.dispatch.fan_out(&events("ada", 6)).await.unwrap();
    let out = w.drain().await;
    assert!(out.contains(&Outcome::Deferred));
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
    w.queue.pop().unwrap();
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
    w.queue.pop().unwrap();
    assert_eq!(w.deliverer.run(&second).await.unwrap(), Outcome::Deferred);
    assert_eq!(w.queue.pop().unwrap().1, Duration::from_secs(900));
}
