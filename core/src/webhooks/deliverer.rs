//! Making one attempt of a delivery, and what follows it: the attempt is signed and sent, its
//! outcome recorded in the log, the webhook's consecutive failures counted (pausing it, and
//! mailing its owner once, at `WEBHOOK_DISABLE_AFTER`), and a failure retried on the ladder.
//! An attempt without an answer stalls its webhook ([`super::stall`]): its other jobs are
//! parked off the queue ([`super::parking`]) until the window's wake, which probes with one of
//! them; the answer releases them. Every other attempt holds one of its webhook's leases while
//! in flight ([`super::inflight`]): a job that finds them all held is parked until one frees.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::deliveries::{
    AttemptRecord, Delivery, DeliveryJob, DeliveryLog, DeliveryQueue, Sent, WebhookSender,
};
use super::delivery::{Next, after_attempt, headers, pauses, queue_delay};
use super::inflight::{InFlight, Lease, WaitingRoom};
use super::parking::{Parked, Parking};
use super::stall::{Stall, stall_of, stalls, window};
use super::{SEAL_PURPOSE, Webhook, WebhookState, WebhookStore, key_of};
use crate::accounts::OwnerAddress;
use crate::clock::Clock;
use crate::notify::{Mail, Mailer};
use crate::sealing::{SealContext, TokenSealer};
use crate::time::rfc3339;
use crate::{CoreError, OwnerId};

#[derive(Clone)]
pub struct Deliverer {
    pub store: Arc<dyn WebhookStore>,
    pub log: Arc<dyn DeliveryLog>,
    pub queue: Arc<dyn DeliveryQueue>,
    pub sender: Arc<dyn WebhookSender>,
    pub sealer: Arc<dyn TokenSealer>,
    pub mailer: Arc<dyn Mailer>,
    /// Where the pause mail goes: the owner's address as it is when the webhook pauses.
    pub addresses: Arc<dyn OwnerAddress>,
    pub clock: Arc<dyn Clock>,
    /// `WEBHOOK_BACKOFF_SCALE`: multiplies the retry ladder and the stall window.
    pub backoff_scale: f64,
    /// `WEBHOOK_DISABLE_AFTER`: consecutive failed attempts that pause a webhook.
    pub disable_after: u32,
    /// `WEBHOOK_MAX_IN_FLIGHT`: one webhook's attempts in flight at most (0: no cap).
    pub max_in_flight: u32,
    /// This process's attempts waiting their turn at a webhook's leases (built once).
    pub room: Arc<WaitingRoom>,
}

/// One attempt's hold on its webhook's cap: its lease, and its place in this process's room.
struct Slot {
    lease: Lease,
    place: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// What one attempt came to, for what follows it.
struct Made {
    outcome: Outcome,
    /// The receiver took it (`2xx`).
    ok: bool,
    /// It stalled the webhook.
    stalled: bool,
    /// Its lease's free found jobs waiting on the cap.
    waiting: bool,
}

fn room_key(owner: &OwnerId, webhook_id: &str) -> String {
    format!("{owner}/{webhook_id}")
}

/// What became of one job.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not due yet: put back on the queue for the time left.
    Waiting,
    /// Nothing to send: the webhook or the delivery is gone, the webhook is paused, or this
    /// attempt was already made (a repeated message).
    Dropped(&'static str),
    /// The webhook is stalled (or another job is probing it): parked off the queue until the
    /// window's wake; nothing sent, counted or logged.
    Parked,
    /// As [`Outcome::Parked`], but the window was about to end: put back on the queue as it
    /// was, to come back after it.
    Deferred,
    /// Every one of the webhook's leases was held: parked until one frees (nothing sent,
    /// counted or logged).
    Capped,
    /// A wake put this many parked jobs back on the queue.
    Released(usize),
    /// Sent; what the log recorded.
    Attempted(AttemptRecord),
}

impl Deliverer {
    /// Runs one job. An error is an AWS failure (the queue hands the job back, and the
    /// attempt is made again: at least once).
    pub async fn run(&self, job: &DeliveryJob) -> Result<Outcome, CoreError> {
        if let Some(seen) = &job.wake {
            return self.wake(job, seen).await;
        }
        let now = self.clock.now();
        if let Some(due) = job.due_at.as_deref().and_then(crate::time::parse_rfc3339)
            && due > now
        {
            // A wait longer than the queue's delay is spent in hops.
            self.queue.enqueue(job, queue_delay(now, due)).await?;
            return Ok(Outcome::Waiting);
        }
        let Ok(owner) = OwnerId::parse(&job.owner) else {
            return Ok(Outcome::Dropped("bad owner"));
        };
        let Some(hook) = self.store.get(&owner, &job.webhook_id).await? else {
            return Ok(Outcome::Dropped("webhook removed"));
        };
        if hook.state == WebhookState::Paused && !job.manual {
            return Ok(Outcome::Dropped("webhook paused"));
        }
        // The owner's own test or redelivery is attempted whatever the window (they asked).
        let stall = match window(self.backoff_scale) {
            w if job.manual || w.is_zero() => Stall::Clear,
            _ => stall_of(&hook, now),
        };
        if let Stall::Until(_) = stall {
            return self.park(&owner, job).await;
        }
        let d = match self.due(&owner, &hook.id, job).await? {
            Ok(d) => d,
            Err(dropped) => return Ok(dropped),
        };
        let slot = match stall {
            Stall::Ended(seen) => {
                // Of the jobs that find the window ended, the one that moves it on probes (with
                // no lease: one per window); the others are parked for the new window (which
                // only the probe's outcome ends or extends, and whose wake probes again).
                if !self.claim(&owner, &hook.id, &seen, now).await? {
                    return self.park(&owner, job).await;
                }
                None
            }
            _ => match self.lease(&owner, &hook, job).await? {
                Ok(slot) => slot,
                Err(capped) => return Ok(capped),
            },
        };
        let Made {
            outcome,
            ok,
            stalled,
            waiting,
        } = self.attempt(&owner, &hook, job, d, now, slot).await?;
        if ok && hook.stalled_until.is_some() {
            self.release(&owner, &hook.id, window(self.backoff_scale))
                .await?;
        } else if waiting && !stalled {
            // A slot is free now: the jobs parked for it come back at once. After an attempt
            // that stalled the webhook they wait for the window's probe instead.
            self.release(&owner, &hook.id, std::time::Duration::ZERO)
                .await?;
        }
        Ok(outcome)
    }

    fn in_flight(&self) -> InFlight<'_> {
        InFlight {
            store: self.store.as_ref(),
            log: self.log.as_ref(),
            queue: self.queue.as_ref(),
            cap: self.max_in_flight,
        }
    }

    /// A lease for `job`'s attempt (`None`: the owner asked for it, or there is no cap), or
    /// what became of the job when every lease was held. It first waits its turn in this
    /// process (while its turn comes nearer; [`super::inflight::WaitingRoom`]), so that a
    /// batch's jobs of one webhook take the leases in turn.
    async fn lease(
        &self,
        owner: &OwnerId,
        hook: &Webhook,
        job: &DeliveryJob,
    ) -> Result<Result<Option<Slot>, Outcome>, CoreError> {
        if job.manual || self.max_in_flight == 0 {
            return Ok(Ok(None));
        }
        let cap = self.in_flight();
        let key = room_key(owner, &hook.id);
        let place = self.room.enter(&key, self.max_in_flight).await;
        if place.is_some()
            && let Some(lease) = cap.take(owner, &hook.id, job, self.clock.now()).await?
        {
            return Ok(Ok(Some(Slot { lease, place })));
        }
        match cap.wait(owner, hook, job, || self.clock.now()).await? {
            Some(lease) => Ok(Ok(Some(Slot { lease, place }))),
            None => {
                if let Some(place) = place {
                    self.room.leave(&key, place);
                }
                Ok(Err(Outcome::Capped))
            }
        }
    }

    /// Frees `slot` once its request is over (what the cap counts is requests out); answers
    /// whether jobs wait on the cap. A free that fails is logged, not an error: the attempt was
    /// made and is to be recorded, and the lease ends by itself (the wait's wake releases what
    /// waits).
    async fn free(&self, owner: &OwnerId, webhook_id: &str, slot: Slot) -> bool {
        let now = self.clock.now();
        let waiting = match self
            .in_flight()
            .free(owner, webhook_id, &slot.lease, now)
            .await
        {
            Ok(waiting) => waiting,
            Err(e) => {
                tracing::warn!(owner = %owner, webhook_id, error = %e, decision = "lease left", "lease not freed; it ends by itself");
                false
            }
        };
        if let Some(place) = slot.place {
            self.room.leave(&room_key(owner, webhook_id), place);
        }
        waiting
    }

    /// The delivery `job` attempts, or why there is nothing to send.
    async fn due(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        job: &DeliveryJob,
    ) -> Result<Result<Delivery, Outcome>, CoreError> {
        let Some(d) = self
            .log
            .delivery(owner, webhook_id, &job.delivery_id)
            .await?
        else {
            return Ok(Err(Outcome::Dropped("delivery expired")));
        };
        if d.attempts >= job.attempt {
            return Ok(Err(Outcome::Dropped("attempt already made")));
        }
        Ok(Ok(d))
    }

    /// Makes attempt `job.attempt` of delivery `d` (the window and the cap allowing it: `slot`
    /// is freed as soon as the request is over), records it, counts it and queues its retry.
    async fn attempt(
        &self,
        owner: &OwnerId,
        hook: &Webhook,
        job: &DeliveryJob,
        d: Delivery,
        now: DateTime<Utc>,
        slot: Option<Slot>,
    ) -> Result<Made, CoreError> {
        let sent = self.send(hook, &d, now).await;
        let w = window(self.backoff_scale);
        let stalled = sent.as_ref().is_ok_and(stalls) && !w.is_zero();
        if stalled {
            // From the end of the attempt: the window is the time its slot is left alone. Its
            // wake is queued first, so that no window is ever written without one. Written
            // before the lease is freed: no lease is taken while the webhook is stalled, so the
            // freed one is not taken by another attempt to a receiver now known dead.
            let end = self.clock.now();
            let until = rfc3339(crate::time::after(end, w));
            self.queue_wake(owner, &hook.id, &until, w).await?;
            self.store.stall(owner, &hook.id, &until, None).await?;
        }
        let waiting = match slot {
            Some(slot) => self.free(owner, &hook.id, slot).await,
            None => false,
        };
        let sent = sent?;
        let ok = sent.status_code.is_some_and(super::delivery::succeeded);
        let next = after_attempt(job.attempt, ok, job.manual, self.backoff_scale);
        let next_at = match next {
            Next::Retry(wait) => Some(crate::time::after(now, wait)),
            _ => None,
        };
        let record = AttemptRecord {
            id: d.id.clone(),
            event_id: d.event_id.clone(),
            kind: d.kind.clone(),
            attempt: job.attempt,
            status_code: sent.status_code,
            error: sent.error.clone(),
            duration_ms: sent.duration_ms,
            at: rfc3339(now),
            next_attempt_at: next_at.map(rfc3339),
        };
        self.log.record(owner, &hook.id, &record).await?;
        let decision = match next {
            Next::Done if ok => "delivered",
            Next::Done => "failed once",
            Next::Retry(_) => "retry",
            Next::GiveUp => "given up",
        };
        tracing::info!(owner = %owner, webhook_id = hook.id, delivery_id = d.id, event_id = d.event_id, attempt = job.attempt, status_code = sent.status_code, error = sent.error.as_deref(), duration_ms = sent.duration_ms, stalled = stalls(&sent), decision, "webhook attempt");
        self.count(owner, hook, ok).await?;
        if let (Next::Retry(wait), Some(due)) = (next, next_at) {
            let retry = DeliveryJob {
                attempt: job.attempt + 1,
                due_at: Some(rfc3339(due)),
                ..job.clone()
            };
            self.queue
                .enqueue(&retry, wait.min(super::deliveries::MAX_QUEUE_DELAY))
                .await?;
        }
        Ok(Made {
            outcome: Outcome::Attempted(record),
            ok,
            stalled,
            waiting,
        })
    }

    /// Signs and sends the attempt.
    async fn send(
        &self,
        hook: &Webhook,
        d: &Delivery,
        now: DateTime<Utc>,
    ) -> Result<Sent, CoreError> {
        Ok(match self.key(hook).await? {
            Some(key) => {
                let hs = headers(&key, &d.event_id, now.timestamp(), &d.body);
                self.sender.post(&hook.url, &hs, d.body.clone()).await
            }
            // Fail closed: nothing goes out unsigned.
            None => Sent {
                status_code: None,
                error: Some("the webhook's secret could not be opened".into()),
                duration_ms: 0,
                unanswered: false,
            },
        })
    }

    /// A wake at the end of the window `seen` (empty: a release going on). A window still
    /// running is waited out if it is the one this wake was queued for (it came early), or left
    /// to its own wake; an ended one is claimed, and one parked job probes the receiver; a
    /// webhook no longer stalled (or paused: its jobs are dropped as they come back) has its
    /// parked jobs released.
    async fn wake(&self, job: &DeliveryJob, seen: &str) -> Result<Outcome, CoreError> {
        let Ok(owner) = OwnerId::parse(&job.owner) else {
            return Ok(Outcome::Dropped("bad owner"));
        };
        let Some(hook) = self.store.get(&owner, &job.webhook_id).await? else {
            // Its parked jobs expire with the log.
            return Ok(Outcome::Dropped("webhook removed"));
        };
        let now = self.clock.now();
        let w = window(self.backoff_scale);
        let stall = match hook.state {
            WebhookState::Active if !w.is_zero() => stall_of(&hook, now),
            _ => Stall::Clear,
        };
        match stall {
            Stall::Clear => {
                let n = self.release(&owner, &hook.id, w).await?;
                Ok(Outcome::Released(n))
            }
            Stall::Until(until) if hook.stalled_until.as_deref() == Some(seen) => {
                self.queue.enqueue(job, queue_delay(now, until)).await?;
                Ok(Outcome::Waiting)
            }
            Stall::Until(_) => Ok(Outcome::Dropped("a later window has its own wake")),
            Stall::Ended(ended) => {
                let Some(probe) = self.log.parked(&owner, &hook.id, 1).await?.pop() else {
                    // Nothing waits: the next job to come claims the window as it finds it.
                    return Ok(Outcome::Dropped("nothing parked"));
                };
                let d = match self.due(&owner, &hook.id, &probe).await? {
                    Ok(d) => d,
                    Err(_) => {
                        // Nothing to send for it: gone from the park, and the wake looks again.
                        self.log
                            .unpark(&owner, &hook.id, &probe.delivery_id)
                            .await?;
                        self.queue.enqueue(job, std::time::Duration::ZERO).await?;
                        return Ok(Outcome::Dropped("parked job had nothing to send"));
                    }
                };
                if !self.claim(&owner, &hook.id, &ended, now).await? {
                    return Ok(Outcome::Dropped("another job probes"));
                }
                let made = self.attempt(&owner, &hook, &probe, d, now, None).await?;
                // Only now: until its attempt is recorded, the job stays parked.
                self.log
                    .unpark(&owner, &hook.id, &probe.delivery_id)
                    .await?;
                if made.ok {
                    self.release(&owner, &hook.id, w).await?;
                }
                Ok(made.outcome)
            }
        }
    }

    /// Moves the ended window `seen` on by one window from `now`, for the caller to probe;
    /// `false` when another job did first. The new window's wake is queued before the write.
    async fn claim(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        seen: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let w = window(self.backoff_scale);
        let until = rfc3339(crate::time::after(now, w));
        self.queue_wake(owner, webhook_id, &until, w).await?;
        self.store
            .stall(owner, webhook_id, &until, Some(seen))
            .await
    }

    async fn queue_wake(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        until: &str,
        w: std::time::Duration,
    ) -> Result<(), CoreError> {
        let wake = DeliveryJob::wake(owner.as_str(), webhook_id, until);
        self.queue
            .enqueue(&wake, w.min(super::deliveries::MAX_QUEUE_DELAY))
            .await
    }

    fn parking(&self) -> Parking<'_> {
        Parking {
            store: self.store.as_ref(),
            log: self.log.as_ref(),
            queue: self.queue.as_ref(),
        }
    }

    /// Parks `job` until its webhook's window ends (unsent, uncounted, unlogged).
    async fn park(&self, owner: &OwnerId, job: &DeliveryJob) -> Result<Outcome, CoreError> {
        let w = window(self.backoff_scale);
        let parked = self
            .parking()
            .park(
                owner,
                &job.webhook_id,
                std::slice::from_ref(job),
                || self.clock.now(),
                w,
            )
            .await?;
        Ok(match parked {
            Parked::Parked => Outcome::Parked,
            Parked::Queued => Outcome::Deferred,
        })
    }

    /// Puts the webhook's parked jobs back on the queue, spread over `spread`.
    async fn release(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        spread: std::time::Duration,
    ) -> Result<usize, CoreError> {
        let n = self.parking().release(owner, webhook_id, spread).await?;
        if n > 0 {
            tracing::info!(owner = %owner, webhook_id, released = n, decision = "released", "parked deliveries back on the queue");
        }
        Ok(n)
    }

    async fn key(&self, hook: &Webhook) -> Result<Option<Vec<u8>>, CoreError> {
        let ctx = SealContext {
            purpose: SEAL_PURPOSE,
            owner: &hook.owner,
            id: &hook.id,
        };
        let secret = self.sealer.open(&ctx, &hook.sealed_secret).await?;
        Ok(secret.as_deref().and_then(key_of))
    }

    /// Counts the outcome; the failure that reaches the limit pauses the webhook, and the one
    /// call that paused it mails the owner.
    async fn count(&self, owner: &OwnerId, hook: &Webhook, ok: bool) -> Result<(), CoreError> {
        let Some(failures) = self.store.count_outcome(owner, &hook.id, ok).await? else {
            return Ok(());
        };
        if ok || !pauses(failures, self.disable_after) {
            return Ok(());
        }
        if !self.store.pause_if_active(owner, &hook.id).await? {
            return Ok(());
        }
        tracing::warn!(owner = %owner, webhook_id = hook.id, failures, decision = "paused", "webhook paused after failed attempts in a row");
        self.mail_pause(owner, hook, failures).await;
        Ok(())
    }

    /// Mails the owner at their address as it is now. The pause stands whatever the mail does:
    /// an address not found or a lost mail is logged, not retried (a retry would send attempts
    /// again).
    async fn mail_pause(&self, owner: &OwnerId, hook: &Webhook, failures: u32) {
        let to = match self.addresses.verified_address(owner).await {
            Ok(Some(to)) => to,
            Ok(None) => {
                tracing::warn!(owner = %owner, webhook_id = hook.id, decision = "no address", "pause mail not sent: the owner has no verified address");
                return;
            }
            Err(e) => {
                tracing::error!(owner = %owner, webhook_id = hook.id, error = %e, decision = "no address", "pause mail not sent: the owner's address could not be read");
                return;
            }
        };
        if let Err(e) = self.mailer.send(&pause_mail(&to, hook, failures)).await {
            tracing::error!(owner = %owner, webhook_id = hook.id, error = %e, decision = "mail failed", "pause mail not sent");
        }
    }
}

/// The one mail that tells an owner their webhook was paused.
pub fn pause_mail(to: &str, hook: &Webhook, failures: u32) -> Mail {
    let mut body = format!(
        "Your Dropgate webhook {} was paused after {failures} delivery attempts in a row failed.\n\n",
        hook.id
    );
    if let Some(d) = &hook.description {
        body.push_str(&format!("Description: {d}\n\n"));
    }
    body.push_str(
        "No events are sent to it until you resume it (account settings, or `dropgate webhook \
         resume ID`). Its delivery log shows what the receiver answered.\n",
    );
    Mail {
        to: to.to_owned(),
        subject: "Dropgate: a webhook was paused".into(),
        body,
    }
}

#[cfg(test)]
#[path = "deliverer_tests.rs"]
mod tests;
