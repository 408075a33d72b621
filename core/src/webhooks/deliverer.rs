//! Making one attempt of a delivery, and what follows it: the attempt is signed and sent, its
//! outcome recorded in the log, the webhook's consecutive failures counted (pausing it, and
//! mailing its owner once, at `WEBHOOK_DISABLE_AFTER`), and a failure retried on the ladder.
//! An attempt without an answer stalls its webhook ([`super::stall`]): its other jobs wait out
//! the window on the queue, and one probes when it ends.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::deliveries::{
    AttemptRecord, DeliveryJob, DeliveryLog, DeliveryQueue, Sent, WebhookSender,
};
use super::delivery::{Next, after_attempt, headers, pauses, queue_delay};
use super::stall::{Stall, spread, stall_of, stalls, window};
use super::{SEAL_PURPOSE, Webhook, WebhookState, WebhookStore, key_of};
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
    pub clock: Arc<dyn Clock>,
    /// `WEBHOOK_BACKOFF_SCALE`: multiplies the retry ladder and the stall window.
    pub backoff_scale: f64,
    /// `WEBHOOK_DISABLE_AFTER`: consecutive failed attempts that pause a webhook.
    pub disable_after: u32,
}

/// What became of one job.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Not due yet: put back on the queue for the time left.
    Waiting,
    /// Nothing to send: the webhook or the delivery is gone, the webhook is paused, or this
    /// attempt was already made (a repeated message).
    Dropped(&'static str),
    /// The webhook is stalled (or another job is probing it): put back on the queue, as it was,
    /// until the window ends; nothing sent, counted or logged.
    Deferred,
    /// Sent; what the log recorded.
    Attempted(AttemptRecord),
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Deliverer {
    /// Runs one job. An error is an AWS failure (the queue hands the job back, and the
    /// attempt is made again: at least once).
    pub async fn run(&self, job: &DeliveryJob) -> Result<Outcome, CoreError> {
        let now = self.clock.now();
        if let Some(due) = job.due_at.as_deref().and_then(parse_time)
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
        if let Stall::Until(until) = stall {
            let back =
                queue_delay(now, until) + spread(&job.delivery_id, window(self.backoff_scale));
            return self.defer(job, back).await;
        }
        let Some(d) = self
            .log
            .delivery(&owner, &hook.id, &job.delivery_id)
            .await?
        else {
            return Ok(Outcome::Dropped("delivery expired"));
        };
        if d.attempts >= job.attempt {
            return Ok(Outcome::Dropped("attempt already made"));
        }
        if let Stall::Ended(seen) = stall {
            // Of the jobs that find the window ended, the one that moves it on probes; the
            // others wait out the new window (which only the probe's outcome ends or extends).
            let w = window(self.backoff_scale);
            let until = rfc3339(crate::time::after(now, w));
            if !self
                .store
                .stall(&owner, &hook.id, &until, Some(&seen))
                .await?
            {
                return self.defer(job, w + spread(&job.delivery_id, w)).await;
            }
        }
        let sent = match self.key(&hook).await? {
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
        };
        let ok = sent.status_code.is_some_and(super::delivery::succeeded);
        if stalls(&sent) {
            // From the end of the attempt: the window is the time its slot is left alone.
            let end = self.clock.now();
            let until = rfc3339(crate::time::after(end, window(self.backoff_scale)));
            self.store.stall(&owner, &hook.id, &until, None).await?;
        }
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
        self.log.record(&owner, &hook.id, &record).await?;
        let decision = match next {
            Next::Done if ok => "delivered",
            Next::Done => "failed once",
            Next::Retry(_) => "retry",
            Next::GiveUp => "given up",
        };
        tracing::info!(owner = %owner, webhook_id = hook.id, delivery_id = d.id, event_id = d.event_id, attempt = job.attempt, status_code = sent.status_code, error = sent.error.as_deref(), duration_ms = sent.duration_ms, stalled = stalls(&sent), decision, "webhook attempt");
        self.count(&owner, &hook, ok).await?;
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
        Ok(Outcome::Attempted(record))
    }

    /// Puts `job` back unchanged (its attempt, due time and delivery): it comes back after the
    /// window ends, at its place in the next one.
    async fn defer(
        &self,
        job: &DeliveryJob,
        wait: std::time::Duration,
    ) -> Result<Outcome, CoreError> {
        let wait = wait.min(super::deliveries::MAX_QUEUE_DELAY);
        self.queue.enqueue(job, wait).await?;
        Ok(Outcome::Deferred)
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
        if let Some(to) = &hook.email {
            let mail = pause_mail(to, hook, failures);
            // The pause stands whatever the mail does; a lost mail is logged, not retried
            // (a retry would send attempts again).
            if let Err(e) = self.mailer.send(&mail).await {
                tracing::error!(owner = %owner, webhook_id = hook.id, error = %e, decision = "mail failed", "pause mail not sent");
            }
        }
        Ok(())
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
