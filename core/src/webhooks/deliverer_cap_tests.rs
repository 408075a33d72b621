//! The cap on one webhook's attempts in flight: a receiver that just went dead holds at most
//! the cap's attempts, the jobs that find it full are parked without a request, and they come
//! back when a lease frees, when the window's probe is answered, or at the wait's end if a
//! holder crashed; the owner's own test is sent whatever the cap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Semaphore;

use super::*;
use crate::webhooks::inflight::{DEFAULT_MAX_IN_FLIGHT, InFlight, LEASE_FOR, lease};
use crate::webhooks::parking::PARK_MARGIN;

/// A receiver whose answers wait until the test lets them out (the scripted answer then).
struct Gate {
    entered: AtomicUsize,
    open: Semaphore,
    inner: ScriptedSender,
}

impl Gate {
    fn closed() -> Arc<Self> {
        Arc::new(Self {
            entered: AtomicUsize::new(0),
            open: Semaphore::new(0),
            inner: ScriptedSender::default(),
        })
    }
}

#[async_trait]
impl WebhookSender for Gate {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: String) -> Sent {
        self.entered.fetch_add(1, Ordering::SeqCst);
        self.open.acquire().await.unwrap().forget();
        self.inner.post(url, headers, body).await
    }
}

/// A receiver that answers `204` after letting other work run a few times.
#[derive(Default)]
struct Brief(ScriptedSender);

#[async_trait]
impl WebhookSender for Brief {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: String) -> Sent {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        self.0.post(url, headers, body).await
    }
}

/// A receiver that answers `204` after the given time (real time: the room waits in it).
struct Slow(Duration, ScriptedSender);

#[async_trait]
impl WebhookSender for Slow {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: String) -> Sent {
        tokio::time::sleep(self.0).await;
        self.1.post(url, headers, body).await
    }
}

fn events(who: &str, n: u32) -> Vec<Event> {
    (1..=n)
        .map(|i| event(who, i, EventKind::FileAccepted))
        .collect()
}

/// Ada's webhook with `n` events fanned out; answers its id and the jobs, the queue emptied.
async fn jobs(w: &World, n: u32) -> (String, Vec<DeliveryJob>) {
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.dispatch.fan_out(&events("ada", n)).await.unwrap();
    (
        id,
        std::iter::from_fn(|| w.queue.pop()).map(|j| j.0).collect(),
    )
}

/// Starts `jobs` on a deliverer that sends through `gate`, and waits until all of them have
/// either reached the receiver or finished; answers the tasks.
async fn start(
    w: &World,
    gate: &Arc<Gate>,
    jobs: &[DeliveryJob],
) -> Vec<tokio::task::JoinHandle<Outcome>> {
    let d = Deliverer {
        sender: gate.clone(),
        ..w.deliverer.clone()
    };
    let tasks: Vec<_> = jobs
        .iter()
        .map(|j| {
            let (d, j) = (d.clone(), j.clone());
            tokio::spawn(async move { d.run(&j).await.unwrap() })
        })
        .collect();
    // Those that find the cap full wait their turn in the process for a while (real time).
    for _ in 0..500 {
        let done = tasks.iter().filter(|t| t.is_finished()).count();
        if gate.entered.load(Ordering::SeqCst) + done == jobs.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tasks
}

/// Every one of ada's webhook's leases taken for 30 s by holders that never free them.
async fn hold_every_lease(w: &World, id: &str) {
    let now = rfc3339(w.clock.now());
    let until = rfc3339(w.clock.now() + chrono::Duration::seconds(30));
    let ada = owner("ada");
    for slot in 0..DEFAULT_MAX_IN_FLIGHT {
        let l = lease(&until, &format!("gone#{slot}"));
        let took = w.deliverer.store.take_lease(&ada, id, slot, &l, &now);
        assert!(took.await.unwrap());
    }
}

fn delivered(out: &[Outcome]) -> std::collections::BTreeSet<String> {
    attempts(out)
        .into_iter()
        .filter(|r| r.status_code == Some(204))
        .map(|r| r.event_id)
        .collect()
}

#[tokio::test]
async fn a_dead_receiver_holds_at_most_the_cap_and_every_delivery_arrives_once_it_answers() {
    let w = world(50);
    let (id, all) = jobs(&w, 6).await;
    let gate = Gate::closed();
    gate.inner.answer(&[None, None]);
    let tasks = start(&w, &gate, &all).await;
    // Six jobs at once: two attempts reach the receiver, the other four are parked unsent.
    assert_eq!(gate.entered.load(Ordering::SeqCst), 2);
    let capped = tasks.iter().filter(|t| t.is_finished()).count();
    assert_eq!(capped, 4);
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 4);
    // One wake for the wait, past the end of every lease held.
    let (wake, delay) = w.queue.pop().unwrap();
    assert_eq!(wake, DeliveryJob::wake("ada", &id, ""));
    assert_eq!(delay, LEASE_FOR + PARK_MARGIN);
    assert!(w.queue.is_empty());
    // Both time out: the webhook is stalled, and the parked jobs wait for the window's probe.
    gate.open.add_permits(2);
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    assert_eq!(out.iter().filter(|o| **o == Outcome::Capped).count(), 4);
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 4);
    let hook = w.deliverer.store.get(&owner("ada"), &id).await.unwrap();
    assert!(hook.unwrap().stalled_until.is_some());
    // The receiver answers again (the scripted sender, 204): every event arrives, none twice.
    w.queue.enqueue(&wake, delay).await.unwrap();
    let out = w.drain().await;
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
    assert_eq!(delivered(&out).len(), 6);
    let sent = w.sender.received().len();
    assert_eq!(sent, 6, "one probe, then the other five released: {out:?}");
}

#[tokio::test]
async fn a_batch_of_one_webhook_s_jobs_to_a_fast_receiver_takes_the_leases_in_turn() {
    let w = world(50);
    let (id, all) = jobs(&w, 8).await;
    // Each request is out for a moment, so that the batch's attempts overlap.
    let d = Deliverer {
        sender: Arc::new(Brief::default()),
        ..w.deliverer.clone()
    };
    let out = futures_util::future::join_all(all.iter().map(|j| d.run(j))).await;
    let out: Vec<Outcome> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!(delivered(&out).len(), 8, "none parked: {out:?}");
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
    assert!(w.queue.is_empty(), "no wait recorded, no wake queued");
}

#[tokio::test]
async fn a_backlog_of_a_fast_receiver_s_jobs_waits_its_turn_longer_than_the_wait_unparked() {
    let w = world(50);
    let (id, all) = jobs(&w, 12).await;
    // 12 at once, 2 at a time, 20 ms each: the last waits about 100 ms for its turn, twice the
    // room's wait, but a place frees every 10 ms or so.
    let d = Deliverer {
        sender: Arc::new(Slow(Duration::from_millis(20), ScriptedSender::default())),
        ..w.deliverer.clone()
    };
    let out = futures_util::future::join_all(all.iter().map(|j| d.run(j))).await;
    let out: Vec<Outcome> = out.into_iter().map(Result::unwrap).collect();
    assert_eq!(delivered(&out).len(), 12, "none capped: {out:?}");
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
    assert!(w.queue.is_empty(), "no wait recorded, no wake queued");
}

#[tokio::test]
async fn a_job_parked_for_the_cap_comes_back_as_soon_as_a_lease_frees() {
    let w = world(50);
    let (id, all) = jobs(&w, 3).await;
    let gate = Gate::closed();
    let tasks = start(&w, &gate, &all).await;
    assert_eq!(gate.entered.load(Ordering::SeqCst), 2);
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 1);
    let (wake, _) = w.queue.pop().unwrap();
    gate.open.add_permits(2);
    for t in tasks {
        t.await.unwrap();
    }
    // The first holder to finish saw the wait and released it at once.
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
    let (back, delay) = w.queue.pop().unwrap();
    assert_eq!(delay, Duration::ZERO);
    assert!(w.queue.is_empty());
    assert!(matches!(
        w.deliverer.run(&back).await.unwrap(),
        Outcome::Attempted(_)
    ));
    assert_eq!(w.deliverer.run(&wake).await.unwrap(), Outcome::Released(0));
    assert_eq!(gate.inner.received().len() + w.sender.received().len(), 3);
}

#[tokio::test]
async fn a_crashed_holder_s_lease_ends_and_the_wait_s_wake_brings_the_job_back() {
    let w = world(50);
    let (id, all) = jobs(&w, 1).await;
    hold_every_lease(&w, &id).await;
    assert_eq!(w.deliverer.run(&all[0]).await.unwrap(), Outcome::Capped);
    assert!(w.sender.received().is_empty());
    let out = w.drain().await;
    assert!(out.contains(&Outcome::Released(1)), "{out:?}");
    assert_eq!(delivered(&out).len(), 1);
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0);
}

#[tokio::test]
async fn a_lease_freed_before_the_wait_was_recorded_is_found_by_the_second_try() {
    let w = world(50);
    let (id, all) = jobs(&w, 1).await;
    let cap = InFlight {
        store: w.deliverer.store.as_ref(),
        log: w.deliverer.log.as_ref(),
        queue: w.deliverer.queue.as_ref(),
        cap: 1,
    };
    let holder = cap.take(&owner("ada"), &id, &all[0], w.clock.now()).await;
    let holder = holder.unwrap().unwrap();
    let other = DeliveryJob {
        delivery_id: "dlv_000000000000000000000002".into(),
        ..all[0].clone()
    };
    let full = cap.take(&owner("ada"), &id, &other, w.clock.now()).await;
    assert_eq!(full.unwrap(), None);
    // The holder frees before the wait is recorded: it sees none and releases nothing.
    let freed = cap.free(&owner("ada"), &id, &holder, w.clock.now()).await;
    assert!(!freed.unwrap());
    let hook = w
        .deliverer
        .store
        .get(&owner("ada"), &id)
        .await
        .unwrap()
        .unwrap();
    let got = cap
        .wait(&owner("ada"), &hook, &other, || w.clock.now())
        .await;
    assert!(
        got.unwrap().is_some(),
        "the second try takes the freed slot"
    );
    assert_eq!(w.log.parked_count(&owner("ada"), &id), 0, "and unparks it");
}

#[tokio::test]
async fn the_owner_s_test_is_sent_whatever_the_cap_and_no_cap_takes_no_lease() {
    let w = world(50);
    let (id, all) = jobs(&w, 1).await;
    hold_every_lease(&w, &id).await;
    w.dispatch.ping(&owner("ada"), &id).await.unwrap();
    let ping = w.queue.pop().unwrap().0;
    let r = attempts(&[w.deliverer.run(&ping).await.unwrap()]);
    assert_eq!(r[0].kind, PING);
    let uncapped = Deliverer {
        max_in_flight: 0,
        ..w.deliverer.clone()
    };
    assert!(matches!(
        uncapped.run(&all[0]).await.unwrap(),
        Outcome::Attempted(_)
    ));
}
