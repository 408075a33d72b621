//! The cap on one webhook's attempts in flight. The stall window ([`super::stall`]) is known
//! only once an attempt has timed out: until then every job of a receiver that just went dead
//! starts its attempt, and each holds its batch (a Lambda invocation, a pump slot) for the 10 s
//! timeout, so that other owners' deliveries wait. So an attempt first takes one of its
//! webhook's leases (`WEBHOOK_MAX_IN_FLIGHT`, a conditional write on the webhook's item) and
//! frees it after: a receiver that just went dead holds at most that many batches while it is
//! discovered. The owner's own tests and redeliveries, and a window's probe (one per window),
//! take none.
//!
//! A job that finds every lease held is parked ([`super::parking`]) and comes back when one
//! frees: the wait is recorded on the webhook (`cap_wait_until`, its wake queued first), a
//! holder that frees its lease and sees a wait running releases the parked jobs, and the wake
//! releases them anyway at the wait's end, which is past the end of every lease held when it
//! was recorded (so a holder that crashed holds nothing for long). After its park a job tries
//! once more: a lease freed between its first try and the record was freed by a holder that saw
//! no wait.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::deliveries::{DeliveryJob, DeliveryLog, DeliveryQueue};
use super::parking::{PARK_MARGIN, parks};
use super::{Webhook, WebhookStore};
use crate::time::{after, rfc3339};
use crate::{CoreError, OwnerId};

/// Attempts in flight per webhook unless `WEBHOOK_MAX_IN_FLIGHT` says otherwise. One would
/// serve a slow but working receiver one request at a time; two keep it at half the pump's 4
/// slots locally and a fifth of the deliverer's `MaximumConcurrency` (10) on AWS.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 2;

/// The most the setting may be: the deliverer's `MaximumConcurrency` (a cap at or above it caps
/// nothing a receiver can hold), and the most slots a full cap costs to find full.
pub const MAX_IN_FLIGHT_LIMIT: u32 = 10;

/// How long a lease holds unless freed: the deliverer's function timeout (30 s), which no
/// invocation outlives, so a lease ends only after its attempt has (however it ended).
pub const LEASE_FOR: Duration = Duration::from_secs(30);

/// A lease as stored: its end first (so that comparing it with a time tells whether it ended),
/// then its holder (so that only the holder frees it).
pub fn lease(until: &str, holder: &str) -> String {
    format!("{until}|{holder}")
}

/// The slots an attempt tries, in order: from one drawn from its holder, so that attempts at
/// once start on different slots (a full cap costs `cap` writes to find, a free one mostly one).
pub fn slots(holder: &str, cap: u32) -> impl Iterator<Item = u32> {
    let d = Sha256::digest(holder.as_bytes());
    let n = cap.max(1);
    let first = u32::from(u16::from_be_bytes([d[0], d[1]])) % n;
    (0..cap).map(move |i| (first + i) % n)
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether the wait recorded on `hook` covers a job parked at `now`: its wake is still to come,
/// by more than the margin (the clocks of two functions may differ by that).
pub fn wait_covers(hook: &Webhook, now: DateTime<Utc>) -> bool {
    hook.cap_wait_until
        .as_deref()
        .and_then(parse)
        .is_some_and(|t| parks(t, now))
}

/// Whether a holder that freed its lease at `now` releases the parked jobs: a wait is running
/// (one that ended has had its wake). A value that is not a time releases (fail safe).
pub fn waiting(cap_wait_until: &str, now: DateTime<Utc>) -> bool {
    parse(cap_wait_until).is_none_or(|t| t > now)
}

/// One attempt's hold on a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub slot: u32,
    pub value: String,
}

/// The ports the cap goes through, and the cap.
pub struct InFlight<'a> {
    pub store: &'a dyn WebhookStore,
    pub log: &'a dyn DeliveryLog,
    pub queue: &'a dyn DeliveryQueue,
    pub cap: u32,
}

impl InFlight<'_> {
    /// A lease for `job`'s attempt at `now`; `None` when every one of the `cap` is held.
    pub async fn take(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        job: &DeliveryJob,
        now: DateTime<Utc>,
    ) -> Result<Option<Lease>, CoreError> {
        let holder = format!("{}#{}", job.delivery_id, job.attempt);
        let value = lease(&rfc3339(after(now, LEASE_FOR)), &holder);
        let now = rfc3339(now);
        for slot in slots(&holder, self.cap) {
            if self
                .store
                .take_lease(owner, webhook_id, slot, &value, &now)
                .await?
            {
                return Ok(Some(Lease { slot, value }));
            }
        }
        Ok(None)
    }

    /// Frees `lease`; answers whether jobs wait on the cap (the caller releases them).
    pub async fn free(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        lease: &Lease,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let wait = self
            .store
            .free_lease(owner, webhook_id, lease.slot, &lease.value)
            .await?;
        Ok(wait.is_some_and(|w| waiting(&w, now)))
    }

    /// `job` found every lease of `hook` held: parks it, records the wait (its wake queued
    /// first) unless `hook` shows one that covers it, and tries once more. Answers a lease when
    /// that try got one: the job is unparked then, for the caller to attempt.
    pub async fn wait(
        &self,
        owner: &OwnerId,
        hook: &Webhook,
        job: &DeliveryJob,
        now: impl Fn() -> DateTime<Utc>,
    ) -> Result<Option<Lease>, CoreError> {
        self.log
            .park(owner, &hook.id, std::slice::from_ref(job))
            .await?;
        let at = now();
        if !wait_covers(hook, at) {
            // Past the end of every lease held now, whoever took it.
            let wait = LEASE_FOR + PARK_MARGIN;
            let wake = DeliveryJob::wake(owner.as_str(), &hook.id, "");
            self.queue.enqueue(&wake, wait).await?;
            let until = rfc3339(after(at, wait));
            let from = rfc3339(after(at, PARK_MARGIN));
            self.store
                .wait_on_cap(owner, &hook.id, &until, &from)
                .await?;
        }
        let Some(lease) = self.take(owner, &hook.id, job, now()).await? else {
            return Ok(None);
        };
        self.log.unpark(owner, &hook.id, &job.delivery_id).await?;
        Ok(Some(lease))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhooks::delivery::TIMEOUT;

    fn at(s: &str) -> DateTime<Utc> {
        parse(s).unwrap()
    }

    #[test]
    fn a_lease_outlives_its_attempt_and_compares_with_the_time_by_its_end() {
        assert!(LEASE_FOR >= 2 * TIMEOUT);
        let l = lease("2026-12-05T11:00:30.000Z", "dlv_1#1");
        assert!(l.as_str() >= "2026-12-05T11:00:30.000Z", "held at its end");
        assert!(l.as_str() >= "2026-12-05T11:00:29.999Z");
        assert!(l.as_str() < "2026-12-05T11:00:30.001Z", "ended after it");
    }

    #[test]
    fn every_slot_is_tried_once_starting_anywhere() {
        let mut firsts = std::collections::BTreeSet::new();
        for i in 0..50 {
            let holder = format!("dlv_{i}#1");
            let mut order: Vec<u32> = slots(&holder, 3).collect();
            firsts.insert(order[0]);
            order.sort_unstable();
            assert_eq!(order, [0, 1, 2]);
        }
        assert_eq!(firsts.len(), 3, "attempts at once start on different slots");
        assert_eq!(slots("x", 1).collect::<Vec<_>>(), [0]);
        assert_eq!(slots("x", 0).collect::<Vec<_>>(), Vec::<u32>::new());
    }

    #[test]
    fn a_recorded_wait_covers_a_park_only_while_its_wake_is_well_ahead() {
        let now = at("2026-12-05T11:00:00.000Z");
        let mut hook = Webhook {
            id: "w1".into(),
            owner: OwnerId::parse("ada").unwrap(),
            url: "https://hooks.example.com/".into(),
            events: vec![],
            description: None,
            sealed_secret: "sealed".into(),
            created_at: "2026-12-04T12:00:00Z".into(),
            state: crate::webhooks::WebhookState::Active,
            email: None,
            stalled_until: None,
            cap_wait_until: None,
        };
        assert!(!wait_covers(&hook, now));
        hook.cap_wait_until = Some("2026-12-05T11:00:10.000Z".into());
        assert!(wait_covers(&hook, now));
        hook.cap_wait_until = Some("2026-12-05T11:00:02.000Z".into());
        assert!(!wait_covers(&hook, now), "within the margin");
        hook.cap_wait_until = Some("garbage".into());
        assert!(!wait_covers(&hook, now));
    }

    #[test]
    fn a_holder_releases_while_a_wait_runs() {
        let now = at("2026-12-05T11:00:00.000Z");
        assert!(waiting("2026-12-05T11:00:00.001Z", now));
        assert!(!waiting("2026-12-05T11:00:00.000Z", now));
        assert!(!waiting("2026-12-05T10:59:00.000Z", now));
        assert!(waiting("garbage", now));
    }
}
