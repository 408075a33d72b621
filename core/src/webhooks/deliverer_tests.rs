use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::*;
use crate::accounts::AccountDirectory;
use crate::events::{Detail, DetailFile, Event, EventKind};
use crate::fakes::{
    FixedClock, MemAccountDirectory, MemDeliveryLog, MemDeliveryQueue, MemMailer, MemResolver,
    MemSealer, MemWebhooks, ScriptedSender, SeqIds,
};
use crate::webhooks::deliveries::PING;
use crate::webhooks::signature::verify;
use crate::webhooks::{Dispatch, NewWebhook, WebhookService};

struct World {
    hooks: WebhookService,
    dispatch: Dispatch,
    deliverer: Deliverer,
    queue: Arc<MemDeliveryQueue>,
    log: Arc<MemDeliveryLog>,
    sender: Arc<ScriptedSender>,
    mailer: Arc<MemMailer>,
    accounts: Arc<MemAccountDirectory>,
    clock: Arc<FixedClock>,
}

fn world(disable_after: u32) -> World {
    let store = Arc::new(MemWebhooks::default());
    let log = Arc::new(MemDeliveryLog::default());
    let queue = Arc::new(MemDeliveryQueue::default());
    let sender = Arc::new(ScriptedSender::default());
    let mailer = Arc::new(MemMailer::default());
    let accounts = Arc::new(MemAccountDirectory::default());
    let sealer = Arc::new(MemSealer::default());
    let clock = Arc::new(FixedClock::at(
        Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap(),
    ));
    let ids = Arc::new(SeqIds::default());
    let resolver = Arc::new(MemResolver::default());
    resolver.set("hooks.example.com", &["93.184.216.34"]);
    World {
        hooks: WebhookService {
            store: store.clone(),
            sealer: sealer.clone(),
            resolver,
            clock: clock.clone(),
            ids: ids.clone(),
            max_webhooks: 10,
            allow_loopback: false,
        },
        dispatch: Dispatch {
            store: store.clone(),
            log: log.clone(),
            queue: queue.clone(),
            clock: clock.clone(),
            ids,
        },
        deliverer: Deliverer {
            store,
            log: log.clone(),
            queue: queue.clone(),
            sender: sender.clone(),
            sealer,
            mailer: mailer.clone(),
            addresses: accounts.clone(),
            clock: clock.clone(),
            backoff_scale: 1.0,
            disable_after,
            max_in_flight: crate::webhooks::inflight::DEFAULT_MAX_IN_FLIGHT,
            room: Arc::new(crate::webhooks::inflight::WaitingRoom::new(
                std::time::Duration::from_millis(50),
                std::time::Duration::from_secs(2),
            )),
        },
        queue,
        log,
        sender,
        mailer,
        accounts,
        clock,
    }
}

fn owner(s: &str) -> OwnerId {
    OwnerId::parse(s).unwrap()
}

fn event(owner: &str, n: u32, kind: EventKind) -> Event {
    let id = format!("2026-12-04T20:00:00.000Z#f{n}#x");
    Event {
        id: id.clone(),
        kind,
        time: "2026-12-04T20:00:00.000Z".into(),
        owner: owner.into(),
        detail: Detail {
            schema_version: 1,
            id,
            owner: owner.into(),
            file: DetailFile {
                id: format!("f{n}"),
                name: "scan.pdf".into(),
                size: 1,
                declared_type: "application/pdf".into(),
                detected_type: None,
            },
            reason: None,
            via_link: None,
            file_version: None,
            share: None,
            downloads_left: None,
            locked_until: None,
        }
        .into(),
    }
}

impl World {
    /// Registers a webhook of `who`, whose account (made on first use) is at
    /// `<who>@example.com`.
    async fn register(&self, who: &str, events: &[&str]) -> (String, String) {
        if self.accounts.email_of(&owner(who)).is_none() {
            self.accounts
                .add(&owner(who), &format!("{who}@example.com"));
        }
        let c = self
            .hooks
            .create(
                &owner(who),
                &NewWebhook {
                    url: "https://hooks.example.com/in".into(),
                    events: events.iter().map(|e| (*e).to_owned()).collect(),
                    description: None,
                },
            )
            .await
            .unwrap();
        (c.view.id, c.secret)
    }

    /// Asserts that `who`'s webhook `id` is paused and that the one mail, about it, went out;
    /// answers where it went.
    async fn paused_and_mailed(&self, who: &str, id: &str) -> String {
        let hook = self.hooks.get(&owner(who), id).await.unwrap();
        assert_eq!(hook.state, WebhookState::Paused);
        let mails = self.mailer.sent.lock().unwrap().clone();
        assert_eq!(mails.len(), 1);
        assert!(mails[0].body.contains(id));
        mails[0].to.clone()
    }

    /// Runs every queued job, the clock moved by each job's delay first (as the queue holds
    /// it back); answers the outcomes in order.
    /// Runs every job as the queue would hand it out: the soonest due first (in the order
    /// enqueued among equals), the clock moved on to it.
    async fn drain(&self) -> Vec<Outcome> {
        let mut out = Vec::new();
        let mut pending: Vec<(chrono::DateTime<Utc>, usize, DeliveryJob)> = Vec::new();
        let mut seq = 0;
        loop {
            while let Some((job, delay)) = self.queue.pop() {
                let at = self.clock.now() + chrono::Duration::from_std(delay).unwrap();
                pending.push((at, seq, job));
                seq += 1;
            }
            let Some(i) = (0..pending.len()).min_by_key(|&i| (pending[i].0, pending[i].1)) else {
                return out;
            };
            let (at, _, job) = pending.remove(i);
            if at > self.clock.now() {
                self.clock.advance(at - self.clock.now());
            }
            out.push(self.deliverer.run(&job).await.unwrap());
        }
    }
}

fn attempts(outcomes: &[Outcome]) -> Vec<AttemptRecord> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Attempted(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_subscribed_event_is_signed_and_sent_once_and_an_unsubscribed_one_never() {
    let w = world(50);
    let (id, secret) = w.register("ada", &["file.accepted"]).await;
    w.register("bob", &["file.accepted"]).await;
    let events = [
        event("ada", 1, EventKind::FileAccepted),
        event("ada", 2, EventKind::FileRejected),
    ];
    assert_eq!(w.dispatch.fan_out(&events).await.unwrap(), 1);
    // The stream retries the batch: the same delivery, not a second send.
    assert_eq!(w.dispatch.fan_out(&events).await.unwrap(), 1);
    let out = w.drain().await;
    assert_eq!(attempts(&out).len(), 1);
    assert!(out.contains(&Outcome::Dropped("attempt already made")));
    let got = w.sender.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    let header = |n: &str| r.headers.iter().find(|(k, _)| *k == n).unwrap().1.clone();
    assert_eq!(header("webhook-id"), events[0].id);
    let ts: i64 = header("webhook-timestamp").parse().unwrap();
    let key = crate::webhooks::key_of(&secret).unwrap();
    let sig = header("webhook-signature");
    assert_eq!(
        verify(&key, &events[0].id, ts, r.body.as_bytes(), &sig, ts),
        Ok(())
    );
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["type"], "file.accepted");
    assert_eq!(body["data"]["owner"], "ada");
    let page = w
        .dispatch
        .deliveries(&owner("ada"), &id, None)
        .await
        .unwrap();
    assert_eq!(page.deliveries.len(), 1);
    assert_eq!(page.deliveries[0].status_code, Some(204));
    assert_eq!(page.deliveries[0].next_attempt_at, None);
    // No secret, key or signature in the log.
    let logged = serde_json::to_string(&page).unwrap();
    assert!(!logged.contains(&secret) && !logged.contains(&sig));
}

#[tokio::test]
async fn a_receiver_that_fails_three_times_gets_the_fourth_attempt_on_the_ladder() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[Some(500), None, Some(302)]);
    w.dispatch
        .fan_out(&[event("ada", 1, EventKind::FileAccepted)])
        .await
        .unwrap();
    let start = w.clock.now();
    let done = attempts(&w.drain().await);
    assert_eq!(
        done.iter().map(|r| r.attempt).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert_eq!(done[3].status_code, Some(204));
    assert_eq!(done[1].error.as_deref(), Some("could not connect"));
    // 5 s, 1 min and 10 min: each within one queue delay.
    assert_eq!(
        done[3].at,
        rfc3339(start + chrono::Duration::seconds(5 + 60 + 600))
    );
    assert_eq!(
        done[0].next_attempt_at.as_deref(),
        Some(done[1].at.as_str())
    );
    let page = w
        .dispatch
        .deliveries(&owner("ada"), &id, None)
        .await
        .unwrap();
    assert_eq!(
        page.deliveries
            .iter()
            .map(|r| r.attempt)
            .collect::<Vec<_>>(),
        [4, 3, 2, 1]
    );
    assert!(w.mailer.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_wait_longer_than_the_queue_s_delay_is_spent_in_hops() {
    let w = world(50);
    w.register("ada", &["file.accepted"]).await;
    // Four failures: the fourth retry waits an hour, four hops of at most 900 s.
    w.sender.answer(&[Some(500); 4]);
    w.dispatch
        .fan_out(&[event("ada", 1, EventKind::FileAccepted)])
        .await
        .unwrap();
    let out = w.drain().await;
    assert_eq!(attempts(&out).len(), 5);
    assert_eq!(out.iter().filter(|o| **o == Outcome::Waiting).count(), 3);
}

#[tokio::test]
async fn a_dead_receiver_is_given_up_and_its_webhook_paused_with_one_mail() {
    let w = world(3);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[None; 20]);
    let events: Vec<Event> = (1..=3)
        .map(|n| event("ada", n, EventKind::FileAccepted))
        .collect();
    w.dispatch.fan_out(&events).await.unwrap();
    let out = w.drain().await;
    // Three failures in a row pause it; every later job is dropped.
    assert_eq!(attempts(&out).len(), 3);
    assert!(out.contains(&Outcome::Dropped("webhook paused")));
    assert_eq!(w.paused_and_mailed("ada", &id).await, "ada@example.com");
    // Resuming starts the count again: one more failure does not pause it.
    w.hooks
        .edit(&owner("ada"), &id, None, Some("active"))
        .await
        .unwrap();
    w.dispatch
        .fan_out(&[event("ada", 9, EventKind::FileAccepted)])
        .await
        .unwrap();
    w.deliverer.run(&w.queue.pop().unwrap().0).await.unwrap();
    let hook = w.hooks.get(&owner("ada"), &id).await.unwrap();
    assert_eq!(hook.state, WebhookState::Active);
}

/// Fans out three events to a receiver that never answers: enough to pause at three.
async fn pause_after_three(w: &World) {
    w.sender.answer(&[None; 20]);
    let events: Vec<Event> = (1..=3)
        .map(|n| event("ada", n, EventKind::FileAccepted))
        .collect();
    w.dispatch.fan_out(&events).await.unwrap();
    w.drain().await;
}

#[tokio::test]
async fn the_pause_mail_goes_to_the_address_the_owner_has_when_it_pauses() {
    let w = world(3);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    // Ada moves her account to a new address after registering the webhook.
    let token = w.accounts.add(&owner("ada"), "ada@example.com");
    w.accounts
        .start_email_change(&owner("ada"), "ada@new.example.org")
        .await
        .unwrap();
    let code = w.accounts.code_for("ada@new.example.org").unwrap();
    w.accounts
        .confirm_email_change(&token, &code)
        .await
        .unwrap();
    pause_after_three(&w).await;
    assert_eq!(w.paused_and_mailed("ada", &id).await, "ada@new.example.org");
}

#[tokio::test]
async fn an_owner_without_an_address_is_not_mailed_and_the_pause_stands() {
    let mut w = world(3);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    // The directory knows no such account any more.
    w.deliverer.addresses = Arc::new(MemAccountDirectory::default());
    pause_after_three(&w).await;
    let hook = w.hooks.get(&owner("ada"), &id).await.unwrap();
    assert_eq!(hook.state, WebhookState::Paused);
    assert!(w.mailer.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_ladder_ends_in_giving_up() {
    let w = world(50);
    w.register("ada", &["file.accepted"]).await;
    w.sender.answer(&[Some(503); 10]);
    w.dispatch
        .fan_out(&[event("ada", 1, EventKind::FileAccepted)])
        .await
        .unwrap();
    let done = attempts(&w.drain().await);
    assert_eq!(done.len(), 7, "the first try and six retries");
    assert_eq!(done[6].next_attempt_at, None);
    assert!(done[..6].iter().all(|r| r.next_attempt_at.is_some()));
}

#[tokio::test]
async fn a_ping_and_a_redelivery_are_one_attempt_each_even_when_paused() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    let ada = owner("ada");
    w.hooks.edit(&ada, &id, None, Some("paused")).await.unwrap();
    w.sender.answer(&[Some(500)]);
    let ping = w.dispatch.ping(&ada, &id).await.unwrap();
    let done = attempts(&w.drain().await);
    assert_eq!(done.len(), 1, "a failed ping is not retried");
    assert_eq!(done[0].kind, PING);
    assert_eq!(done[0].id, ping);
    let body: serde_json::Value = serde_json::from_str(&w.sender.received()[0].body).unwrap();
    assert_eq!(body["type"], "ping");
    w.dispatch.redeliver(&ada, &id, &ping).await.unwrap();
    let again = attempts(&w.drain().await);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    assert_eq!(again[0].status_code, Some(204));
    assert_eq!(w.sender.received()[1].body, w.sender.received()[0].body);
}

#[tokio::test]
async fn another_owner_s_webhook_and_deliveries_are_not_found() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    let ping = w.dispatch.ping(&owner("ada"), &id).await.unwrap();
    let bob = owner("bob");
    let nf = |e: CoreError| e == CoreError::NotFound;
    assert!(nf(w.dispatch.ping(&bob, &id).await.unwrap_err()));
    assert!(nf(w
        .dispatch
        .redeliver(&bob, &id, &ping)
        .await
        .unwrap_err()));
    assert!(nf(w
        .dispatch
        .deliveries(&bob, &id, None)
        .await
        .unwrap_err()));
    assert!(nf(w
        .dispatch
        .redeliver(&owner("ada"), &id, "dlv_000000000000000000000000")
        .await
        .unwrap_err()));
    assert_eq!(
        w.dispatch
            .deliveries(&owner("ada"), &id, Some("nope"))
            .await
            .unwrap_err()
            .code(),
        "invalid_cursor"
    );
}

#[tokio::test]
async fn a_removed_webhook_s_queued_deliveries_are_dropped() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    w.dispatch
        .fan_out(&[event("ada", 1, EventKind::FileAccepted)])
        .await
        .unwrap();
    w.hooks.remove(&owner("ada"), &id).await.unwrap();
    assert_eq!(w.drain().await, [Outcome::Dropped("webhook removed")]);
    assert!(w.sender.received().is_empty());
}

#[path = "deliverer_stall_tests.rs"]
mod stall;

#[cfg(test)]
#[path = "deliverer_parking_tests.rs"]
mod parking;

#[tokio::test]
async fn the_log_pages_with_a_cursor_a_query_string_carries_as_it_is() {
    let w = world(50);
    let (id, _) = w.register("ada", &["file.accepted"]).await;
    let ada = owner("ada");
    for _ in 0..51 {
        w.dispatch.ping(&ada, &id).await.unwrap();
    }
    assert_eq!(attempts(&w.drain().await).len(), 51);
    let first = w.dispatch.deliveries(&ada, &id, None).await.unwrap();
    assert_eq!(first.deliveries.len(), 50);
    // Opaque and URL-safe, as every other listing's: a client may paste it into `?cursor=`
    // without encoding it (a `#` would end the query).
    let cursor = first.next_cursor.expect("a second page");
    assert!(
        cursor.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{cursor}"
    );
    let second = w
        .dispatch
        .deliveries(&ada, &id, Some(&cursor))
        .await
        .unwrap();
    assert_eq!(second.deliveries.len(), 1);
    assert_eq!(second.next_cursor, None);
    assert!(
        !first
            .deliveries
            .iter()
            .any(|d| d.id == second.deliveries[0].id)
    );
}

#[cfg(test)]
#[path = "deliverer_cap_tests.rs"]
mod cap;
