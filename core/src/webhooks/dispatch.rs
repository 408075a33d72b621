//! Handing deliveries to the queue: the notifier's fan-out (each event to every active webhook
//! of its owner subscribed to its type), the owner's test and redelivery, and the owner's view
//! of the log. Sending is the deliverer's ([`super::Deliverer`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::deliveries::{
    AttemptRecord, Delivery, DeliveryJob, DeliveryLog, DeliveryQueue, PING, delivery_id,
    is_delivery_id,
};
use super::delivery::{body, ping_body, wants};
use super::parking::{Parked, Parking, parks};
use super::stall::{STALL_WINDOW, Stall, stall_of};
use super::{WebhookStore, webhook_not_found};
use crate::clock::Clock;
use crate::events::Event;
use crate::ids::IdSource;
use crate::paging::DEFAULT_PAGE;
use crate::time::rfc3339;
use crate::{CoreError, OwnerId};

#[derive(Clone)]
pub struct Dispatch {
    pub store: Arc<dyn WebhookStore>,
    pub log: Arc<dyn DeliveryLog>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// One page of a webhook's delivery log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryPage {
    pub deliveries: Vec<AttemptRecord>,
    pub next_cursor: Option<String>,
}

fn first_attempt(owner: &OwnerId, d: &Delivery, manual: bool) -> DeliveryJob {
    DeliveryJob {
        owner: owner.to_string(),
        webhook_id: d.webhook_id.clone(),
        delivery_id: d.id.clone(),
        attempt: 1,
        due_at: None,
        manual,
        wake: None,
    }
}

impl Dispatch {
    /// Enqueues one delivery per (webhook, event) for `events`: the owner's active webhooks
    /// subscribed to each event's type; a stalled webhook's are parked instead, all of one
    /// webhook's at once. A repeated fan-out of the same events (the stream retries) keeps the
    /// same delivery ids, and the deliverer sends an attempt it already recorded only once.
    /// Answers how many deliveries were enqueued or parked.
    pub async fn fan_out(&self, events: &[Event]) -> Result<usize, CoreError> {
        let mut by_owner: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
        for e in events {
            by_owner.entry(e.owner.as_str()).or_default().push(e);
        }
        let mut enqueued = 0;
        for (owner, events) in by_owner {
            let Ok(owner) = OwnerId::parse(owner) else {
                continue;
            };
            let hooks = self.store.list(&owner).await?;
            let mut parked: BTreeMap<&str, Vec<DeliveryJob>> = BTreeMap::new();
            for event in events {
                for hook in hooks.iter().filter(|h| wants(h, event)) {
                    let d = Delivery {
                        id: delivery_id(&hook.id, &event.id),
                        webhook_id: hook.id.clone(),
                        event_id: event.id.clone(),
                        kind: event.kind.as_str().to_owned(),
                        body: body(event),
                        attempts: 0,
                        created_at: rfc3339(self.clock.now()),
                    };
                    enqueued += 1;
                    let now = self.clock.now();
                    if let Stall::Until(until) = stall_of(hook, now)
                        && parks(until, now)
                    {
                        // A stalled webhook's delivery is parked, not queued, until the
                        // window's wake: the queue carries only what can be sent.
                        self.log.open(&owner, &d).await?;
                        parked
                            .entry(&hook.id)
                            .or_default()
                            .push(first_attempt(&owner, &d, false));
                        continue;
                    }
                    self.enqueue(&owner, &d, 1, false).await?;
                    tracing::info!(owner = %owner, webhook_id = hook.id, delivery_id = d.id, event_id = event.id, decision = "enqueued", "webhook delivery fanned out");
                }
            }
            for (hook_id, jobs) in parked {
                self.park(&owner, hook_id, &jobs).await?;
            }
        }
        Ok(enqueued)
    }

    /// Parks a stalled webhook's new deliveries ([`super::parking`]), kept already.
    async fn park(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        jobs: &[DeliveryJob],
    ) -> Result<(), CoreError> {
        let parking = Parking {
            store: self.store.as_ref(),
            log: self.log.as_ref(),
            queue: self.queue.as_ref(),
        };
        // The backoff scale is the deliverer's: a job queued after all is spread over the
        // unscaled window.
        let out = parking
            .park(owner, webhook_id, jobs, || self.clock.now(), STALL_WINDOW)
            .await?;
        let decision = match out {
            Parked::Parked => "parked",
            Parked::Queued => "enqueued",
        };
        for j in jobs {
            tracing::info!(owner = %owner, webhook_id, delivery_id = j.delivery_id, decision, "webhook delivery fanned out");
        }
        Ok(())
    }

    async fn enqueue(
        &self,
        owner: &OwnerId,
        d: &Delivery,
        attempt: u32,
        manual: bool,
    ) -> Result<(), CoreError> {
        self.log.open(owner, d).await?;
        let job = DeliveryJob {
            attempt,
            ..first_attempt(owner, d, manual)
        };
        self.queue.enqueue(&job, Duration::ZERO).await
    }

    /// `POST /webhooks/{id}/test`: a `ping` delivery, sent once (even to a paused webhook).
    /// Answers its delivery id.
    pub async fn ping(&self, owner: &OwnerId, webhook_id: &str) -> Result<String, CoreError> {
        let hook = self
            .store
            .get(owner, webhook_id)
            .await?
            .ok_or_else(webhook_not_found)?;
        let now = rfc3339(self.clock.now());
        let event_id = format!("ping_{}", self.ids.webhook_id());
        let d = Delivery {
            id: delivery_id(&hook.id, &event_id),
            webhook_id: hook.id.clone(),
            body: ping_body(&event_id, owner.as_str(), &now, &hook.id),
            event_id,
            kind: PING.to_owned(),
            attempts: 0,
            created_at: now,
        };
        self.enqueue(owner, &d, 1, true).await?;
        Ok(d.id)
    }

    /// `POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`: the same body once more, as
    /// the delivery's next attempt.
    pub async fn redeliver(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        id: &str,
    ) -> Result<(), CoreError> {
        self.store
            .get(owner, webhook_id)
            .await?
            .ok_or_else(webhook_not_found)?;
        if !is_delivery_id(id) {
            return Err(webhook_not_found());
        }
        let d = self
            .log
            .delivery(owner, webhook_id, id)
            .await?
            .ok_or_else(webhook_not_found)?;
        let job = DeliveryJob {
            owner: owner.to_string(),
            webhook_id: webhook_id.to_owned(),
            delivery_id: d.id.clone(),
            attempt: d.attempts + 1,
            due_at: None,
            manual: true,
            wake: None,
        };
        self.queue.enqueue(&job, Duration::ZERO).await
    }

    /// `GET /webhooks/{id}/deliveries`: the webhook's attempts, newest first.
    pub async fn deliveries(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        cursor: Option<&str>,
    ) -> Result<DeliveryPage, CoreError> {
        self.store
            .get(owner, webhook_id)
            .await?
            .ok_or_else(webhook_not_found)?;
        // Opaque to clients and URL-safe like every listing's cursor: the log key, hex-encoded
        // (the key holds `#` and `:`, which a query string would cut or garble).
        let key = cursor
            .map(|c| {
                hex::decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(super::deliveries::bad_cursor)
            })
            .transpose()?;
        let (deliveries, next_key) = self
            .log
            .list(owner, webhook_id, key.as_deref(), DEFAULT_PAGE)
            .await?;
        Ok(DeliveryPage {
            deliveries,
            next_cursor: next_key.map(hex::encode),
        })
    }
}
