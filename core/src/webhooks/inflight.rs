//! The cap on one webhook's attempts in flight. The stall window ([`super::stall`]) is known
//! only once an attempt has timed out: until then every job of a receiver that just went dead
//! starts its attempt, and each holds its batch (a Lambda invocation, a pump slot) for the 10 s
//! timeout, so that other owners' deliveries wait. So an attempt first takes one of its
//! webhook's leases (`WEBHOOK_MAX_IN_FLIGHT`, a conditional write on the webhook's item) and
//! frees it after: a receiver that just went dead holds at most that many batches while it is
//! discovered. The owner's own tests and redeliveries, and a window's probe (one per window),
//! take none.
//!
//! A lease is held only while the request is out (from just before it is sent to just after it
//! is answered or timed out), and a job first waits its turn among the attempts of this
//! process ([`WaitingRoom`], while it moves: [`LOCAL_WAIT`] without a place taken or freed at
//! most): a fast receiver's jobs, however many, then take the leases one after another instead
//! of finding them held.
//!
//! A job that finds every lease held is parked ([`super::parking`]) and comes back when one
//! frees: the wait is recorded on the webhook (`cap_wait_until`, then its wake queued), the
//! holder whose free clears a running wait releases the parked jobs, and the wake releases them
//! anyway at the wait's end, which is past the end of every lease held when it was recorded (so
//! a holder that crashed holds nothing for long). After its park a job tries once more: a lease
//! freed between its first try and the record was freed by a holder that saw no wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::deliveries::{DeliveryJob, DeliveryLog, DeliveryQueue};
use super::parking::PARK_MARGIN;
use super::{Webhook, WebhookStore};
use crate::time::{after, parse_rfc3339, rfc3339};
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

/// How long a job waits in this process for its turn at one of its webhook's leases while no
/// place is taken or freed, before it is parked: long against a fast receiver's request (milliseconds, a
/// few writes), short against the 10 s a dead one holds a lease, so that a batch holding a dead
/// receiver's jobs is kept this long at most, not for the timeout. While places free (the
/// receiver answers), the job waits on: a backlog of a fast receiver's jobs (the bench's,
/// after a dead receiver's discovery held two of the pump's slots) is sent in turn rather than
/// parked, released and sent again.
pub const LOCAL_WAIT: Duration = Duration::from_secs(1);

/// The longest a job waits for its turn in all, however often places free: a batch is held by
/// the waits no longer than by one attempt's timeout.
pub const LOCAL_WAIT_MOST: Duration = super::delivery::TIMEOUT;

/// One webhook's places in a [`WaitingRoom`], and when one was last taken or given back.
struct Room {
    places: Arc<Semaphore>,
    moved: Mutex<Instant>,
}

impl Room {
    fn moved(&self) -> Instant {
        *self.moved.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn moves(&self) {
        *self.moved.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }
}

/// The attempts of this process (an invocation on AWS, the whole local pump) waiting their
/// turn at a webhook's leases: `cap` places per webhook, so that the jobs of one batch take
/// the leases one after another instead of finding them held by each other.
pub struct WaitingRoom {
    wait: Duration,
    most: Duration,
    rooms: Mutex<HashMap<String, Arc<Room>>>,
}

impl Default for WaitingRoom {
    fn default() -> Self {
        Self::new(LOCAL_WAIT, LOCAL_WAIT_MOST)
    }
}

impl WaitingRoom {
    /// A room whose jobs wait `wait` without a place taken or freed, `most` in all.
    pub fn new(wait: Duration, most: Duration) -> Self {
        Self {
            wait,
            most,
            rooms: Mutex::new(HashMap::new()),
        }
    }

    fn rooms(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Room>>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place among the `cap` of webhook `key`; `None` when none came while the room stood
    /// still for its wait (no place taken or freed), or in its most in all. The job keeps its
    /// turn (first come, first in) however long it waits. A room that has already stood still
    /// that long (its places held by attempts a receiver does not answer) turns the job away
    /// at once: after the first second of a dead receiver its jobs no longer hold their batch
    /// for a second each.
    pub async fn enter(&self, key: &str, cap: u32) -> Option<OwnedSemaphorePermit> {
        let room = self
            .rooms()
            .entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(Room {
                    places: Arc::new(Semaphore::new(cap as usize)),
                    moved: Mutex::new(Instant::now()),
                })
            })
            .clone();
        let end = Instant::now() + self.most;
        let acquire = room.places.clone().acquire_owned();
        tokio::pin!(acquire);
        loop {
            let since = room.moved();
            let deadline = (since + self.wait).min(end);
            // A place free now is taken whatever the deadline (the future is polled first).
            match tokio::time::timeout_at(deadline, acquire.as_mut()).await {
                Ok(place) => {
                    room.moves();
                    return place.ok();
                }
                // A place was taken or freed meanwhile: the room moves, wait on.
                Err(_) if room.moved() > since && deadline < end => {}
                Err(_) => return None,
            }
        }
    }

    /// Gives the place back; the webhook's room is forgotten once nobody is in it or waits.
    pub fn leave(&self, key: &str, place: OwnedSemaphorePermit) {
        let mut rooms = self.rooms();
        if let Some(room) = rooms.get(key) {
            room.moves();
        }
        drop(place);
        if rooms
            .get(key)
            .is_some_and(|r| Arc::strong_count(r) == 1 && Arc::strong_count(&r.places) == 1)
        {
            rooms.remove(key);
        }
    }
}

/// Whether a holder that freed its lease at `now` releases the parked jobs: a wait is running
/// (one that ended has had its wake). A value that is not a time releases (fail safe).
pub fn waiting(cap_wait_until: &str, now: DateTime<Utc>) -> bool {
    parse_rfc3339(cap_wait_until).is_none_or(|t| t > now)
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

    /// Frees `lease`; answers whether jobs wait on the cap (the caller releases them: the free
    /// cleared the wait, so no other holder does).
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

    /// `job` found every lease of `hook` held: parks it, records the wait unless one running on
    /// past the margin covers it (and then queues the wait's wake), and tries once more.
    /// Answers a lease when that try got one: the job is unparked then, for the caller to
    /// attempt.
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
        // Past the end of every lease held now, whoever took it.
        let wait = LEASE_FOR + PARK_MARGIN;
        let until = rfc3339(after(at, wait));
        let from = rfc3339(after(at, PARK_MARGIN));
        // One wake per wait recorded, not per job parked (a queue of delayed wakes costs the
        // emulator's queue, docs/BENCHMARKS.md). Should the wake not be queued (an error, and
        // the message comes back), a holder's free still releases, and the next wait recorded
        // after this one ended has a wake that releases whatever is parked.
        if self
            .store
            .wait_on_cap(owner, &hook.id, &until, &from)
            .await?
        {
            let wake = DeliveryJob::wake(owner.as_str(), &hook.id, "");
            self.queue.enqueue(&wake, wait).await?;
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
        parse_rfc3339(s).unwrap()
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

    #[tokio::test]
    async fn a_process_lets_the_cap_s_attempts_in_at_once_and_the_next_when_one_leaves() {
        let room = WaitingRoom::new(Duration::from_millis(50), Duration::from_secs(1));
        let a = room.enter("w1", 2).await.unwrap();
        let b = room.enter("w1", 2).await.unwrap();
        let (c, ()) = tokio::join!(room.enter("w1", 2), async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            room.leave("w1", a);
        });
        let c = c.expect("a place that frees lets the next in");
        assert!(
            room.enter("w1", 2).await.is_none(),
            "the third waits, then gives up"
        );
        assert!(
            room.enter("w2", 2).await.is_some(),
            "another webhook has its own room"
        );
        room.leave("w1", b);
        assert!(room.rooms().contains_key("w1"), "still in use");
        room.leave("w1", c);
        assert!(!room.rooms().contains_key("w1"), "forgotten once empty");
    }

    #[tokio::test]
    async fn a_job_waits_on_while_places_free_and_gives_up_when_the_room_stands_still() {
        let room = Arc::new(WaitingRoom::new(
            Duration::from_millis(60),
            Duration::from_millis(600),
        ));
        let first = room.enter("w1", 1).await.unwrap();
        // Five jobs behind one place, each holding it 30 ms: the last waits about 150 ms in
        // all, more than the wait, but the room never stands still that long.
        let queued: Vec<_> = (0..5)
            .map(|_| {
                let room = room.clone();
                tokio::spawn(async move {
                    let place = room.enter("w1", 1).await?;
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    room.leave("w1", place);
                    Some(())
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(30)).await;
        room.leave("w1", first);
        for q in queued {
            assert_eq!(q.await.unwrap(), Some(()), "none gave up");
        }
        // A place held on (a receiver that does not answer): the next gives up after the wait.
        let held = room.enter("w1", 1).await.unwrap();
        let t = Instant::now();
        assert!(room.enter("w1", 1).await.is_none());
        let waited = t.elapsed();
        assert!(waited >= Duration::from_millis(60), "{waited:?}");
        assert!(waited < Duration::from_millis(400), "{waited:?}");
        // The room has stood still for its wait: the next is turned away at once.
        let t = Instant::now();
        assert!(room.enter("w1", 1).await.is_none());
        assert!(t.elapsed() < Duration::from_millis(40), "{:?}", t.elapsed());
        room.leave("w1", held);
        assert!(room.enter("w1", 1).await.is_some(), "a free place is taken");
    }

    #[tokio::test]
    async fn a_job_waits_its_most_in_all_however_often_places_free() {
        let room = Arc::new(WaitingRoom::new(
            Duration::from_millis(300),
            Duration::from_millis(600),
        ));
        let first = room.enter("w1", 1).await.unwrap();
        // Three jobs ahead, each holding the one place 200 ms: the room moves every 200 ms,
        // and the last one's turn comes about 650 ms after the first leaves.
        let ahead: Vec<_> = (0..3)
            .map(|_| {
                let room = room.clone();
                tokio::spawn(async move {
                    let place = room.enter("w1", 1).await?;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    room.leave("w1", place);
                    Some(())
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let t = Instant::now();
        let (last, ()) = tokio::join!(room.enter("w1", 1), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            room.leave("w1", first);
        });
        let waited = t.elapsed();
        assert!(last.is_none(), "its turn came after its most");
        assert!(waited >= Duration::from_millis(600), "{waited:?}");
        for a in ahead {
            assert_eq!(a.await.unwrap(), Some(()), "the room moved for them");
        }
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
