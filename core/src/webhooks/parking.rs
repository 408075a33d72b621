//! Parking: a stalled webhook's jobs wait in the delivery log, off the shared queue, until its
//! window ends. A queue holding every delivery of every dead receiver as delayed messages
//! costs every other owner (the emulator's `SendMessage` slows with the messages a queue
//! holds; on AWS each deferral is a message sent and received again per window), and the
//! notifier's fan-out already knows which webhooks are stalled. Every write of a window
//! (`stalled_until`) is preceded by a wake queued for its end ([`DeliveryJob::wake`]); the wake
//! probes with one parked job, and the parked jobs are released (put on the queue, spread over
//! a window) once the webhook answers or is no longer stalled.
//!
//! At least once: a job is parked before its message is deleted (or, in the fan-out, before
//! the stream batch is reported done), and unparked only after it is back on the queue or its
//! attempt recorded. A park that raced a release (the release had already looked) is caught by
//! reading the webhook again after the park: a window not clearly still running puts the job on
//! the queue itself (a duplicate is dropped as "attempt already made").

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::WebhookStore;
use super::deliveries::{DeliveryJob, DeliveryLog, DeliveryQueue};
use super::delivery::queue_delay;
use super::stall::{Stall, spread, stall_of};
use crate::{CoreError, OwnerId};

/// How long before its window's end a parked job is no longer left to the wake: the clocks of
/// two functions may differ by this much, and a wake that ran early must not miss it.
pub const PARK_MARGIN: Duration = Duration::from_secs(2);

/// Parked jobs released per page, and pages per call: a longer release goes on in a wake of
/// its own (a function's time is bounded).
pub const RELEASE_PAGE: usize = 100;
pub const RELEASE_PAGES: usize = 5;

/// Whether a job of a webhook stalled until `until` may be parked at `now`: the window runs on
/// for longer than the margin.
pub fn parks(until: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    (until - now).to_std().is_ok_and(|left| left > PARK_MARGIN)
}

/// What became of a job offered for parking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parked {
    /// Parked: the window's wake takes it from there.
    Parked,
    /// The window ended (or is about to) meanwhile: put on the queue instead (after the
    /// window, if it runs on at all).
    Queued,
}

/// The ports parking goes through.
pub struct Parking<'a> {
    pub store: &'a dyn WebhookStore,
    pub log: &'a dyn DeliveryLog,
    pub queue: &'a dyn DeliveryQueue,
}

impl Parking<'_> {
    /// Parks `jobs` of `owner`'s stalled webhook `webhook_id` (one write for many: the
    /// fan-out parks a batch's at once), then reads the webhook again: a window not clearly
    /// running on (its wake may have looked already) sends the jobs to the queue, each to come
    /// back after the window at its place in the next (`spread_over`), and unparks them.
    pub async fn park(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        jobs: &[DeliveryJob],
        now: impl Fn() -> DateTime<Utc>,
        spread_over: Duration,
    ) -> Result<Parked, CoreError> {
        if jobs.is_empty() {
            return Ok(Parked::Parked);
        }
        self.log.park(owner, webhook_id, jobs).await?;
        let hook = self.store.get(owner, webhook_id).await?;
        let now = now();
        let end = match hook.map(|h| stall_of(&h, now)) {
            Some(Stall::Until(t)) if parks(t, now) => return Ok(Parked::Parked),
            Some(Stall::Until(t)) => queue_delay(now, t),
            _ => Duration::ZERO,
        };
        for job in jobs {
            let back = match end {
                Duration::ZERO => Duration::ZERO,
                end => end + spread(&job.delivery_id, spread_over),
            };
            self.queue.enqueue(job, back).await?;
            self.log.unpark(owner, webhook_id, &job.delivery_id).await?;
        }
        Ok(Parked::Queued)
    }

    /// Puts the webhook's parked jobs back on the queue, each at its place in one window
    /// (`window`) so that they do not come back at once; at most [`RELEASE_PAGES`] pages, then
    /// a wake goes on with the rest. Answers how many were released.
    pub async fn release(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        window: Duration,
    ) -> Result<usize, CoreError> {
        let mut released = 0;
        for _ in 0..RELEASE_PAGES {
            let page = self.log.parked(owner, webhook_id, RELEASE_PAGE).await?;
            for job in &page {
                self.queue
                    .enqueue(job, spread(&job.delivery_id, window))
                    .await?;
                self.log.unpark(owner, webhook_id, &job.delivery_id).await?;
            }
            released += page.len();
            if page.len() < RELEASE_PAGE {
                return Ok(released);
            }
        }
        let more = DeliveryJob::wake(owner.as_str(), webhook_id, "");
        self.queue.enqueue(&more, Duration::ZERO).await?;
        Ok(released)
    }
}
