//! Deliveries as kept and queued: a [`Delivery`] (one event for one webhook: its body, kept so
//! that it can be sent again), the [`AttemptRecord`] each attempt leaves in the log, the
//! [`DeliveryJob`] a queue message carries, and the ports they go through: the
//! [`DeliveryLog`], the [`DeliveryQueue`] and the [`WebhookSender`].

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{CoreError, OwnerId};

/// How long deliveries and their log are kept (a TTL on each item).
pub const LOG_DAYS: u64 = 30;

/// The longest delay a queue message can carry (SQS `DelaySeconds`): a longer wait is spent
/// in hops, each message re-enqueued with what is left until it is due.
pub const MAX_QUEUE_DELAY: Duration = Duration::from_secs(900);

/// The type of a test delivery (`POST /webhooks/{id}/test`).
pub const PING: &str = "ping";

/// The id of the delivery of event `event_id` to webhook `webhook_id`: derived, not minted, so
/// the same event fanned out twice (the stream retries a batch) is the same delivery.
pub fn delivery_id(webhook_id: &str, event_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(webhook_id.as_bytes())
        .chain_update(b"\n")
        .chain_update(event_id.as_bytes())
        .finalize();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("dlv_{hex}")
}

/// Whether `s` has the form of a delivery id (anything else is never looked up).
pub fn is_delivery_id(s: &str) -> bool {
    s.strip_prefix("dlv_")
        .is_some_and(|h| h.len() == 24 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// One event for one webhook, as kept for its attempts and for redelivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    /// The event's type, or `ping`.
    pub kind: String,
    /// The signed body, exactly as every attempt sends it (the event's data: no secret).
    pub body: String,
    /// The highest attempt number recorded so far (0: none yet).
    pub attempts: u32,
    pub created_at: String,
}

/// One attempt, as the log keeps it and `GET /webhooks/{id}/deliveries` shows it. Never the
/// URL, the secret, the signature or the receiver's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// The delivery's id (the same on every attempt of one event to one webhook).
    pub id: String,
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// 1 for the first try, then one more per retry or redelivery.
    pub attempt: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    pub duration_ms: u64,
    /// When the attempt was made (RFC 3339).
    pub at: String,
    /// When the next attempt is due, for a failure that is retried.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub next_attempt_at: Option<String>,
}

/// What one queue message asks: make attempt `attempt` of a delivery, not before `due_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub owner: String,
    pub webhook_id: String,
    pub delivery_id: String,
    pub attempt: u32,
    /// When the attempt is due (RFC 3339); `None`: now.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub due_at: Option<String>,
    /// Asked for by the owner (a test or a redelivery): one attempt, no retries, sent even to
    /// a paused webhook.
    #[serde(default)]
    pub manual: bool,
    /// A wake, not an attempt: sent to the end of a stall window (the `stalled_until` it was
    /// queued for; empty: a release to go on with), it releases or probes the webhook's parked
    /// jobs ([`super::parking`]). `delivery_id` is empty then.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wake: Option<String>,
}

impl DeliveryJob {
    /// The wake of `owner`'s webhook `webhook_id` for the window ending at `seen`.
    pub fn wake(owner: &str, webhook_id: &str, seen: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            webhook_id: webhook_id.to_owned(),
            delivery_id: String::new(),
            attempt: 0,
            due_at: None,
            manual: false,
            wake: Some(seen.to_owned()),
        }
    }
}

/// What one attempt came to at the receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    /// The receiver was waited on and never answered: the attempt timed out or the connection
    /// failed (what stalls a webhook). A refusal before sending is not.
    pub unanswered: bool,
}

/// Where deliveries and their attempts are kept: per owner and webhook, so another owner's is
/// never reached.
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// Keeps `delivery` unless one with its id is already kept (then nothing changes: a
    /// repeated fan-out does not reset its attempts).
    async fn open(&self, owner: &OwnerId, delivery: &Delivery) -> Result<(), CoreError>;

    /// The owner's delivery `id` of webhook `webhook_id`, if kept.
    async fn delivery(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        id: &str,
    ) -> Result<Option<Delivery>, CoreError>;

    /// Adds `record` to the webhook's log and raises its delivery's `attempts` to
    /// `record.attempt` (never lowers it).
    async fn record(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        record: &AttemptRecord,
    ) -> Result<(), CoreError>;

    /// The webhook's attempts, newest first, at most `limit`, after the cursor a previous page
    /// answered; and the next page's cursor when there is more. A cursor this log did not give
    /// is `400 invalid_cursor`.
    async fn list(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<AttemptRecord>, Option<String>), CoreError>;

    /// Parks `jobs` (a stalled webhook's, off the queue) under their webhook, each keyed by its
    /// delivery: parking the same delivery again replaces it. All are parked when it returns.
    async fn park(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        jobs: &[DeliveryJob],
    ) -> Result<(), CoreError>;

    /// Up to `limit` of the webhook's parked jobs (any order), read after every park that
    /// returned.
    async fn parked(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>, CoreError>;

    /// Removes the parked job of delivery `delivery_id` (nothing when there is none).
    async fn unpark(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<(), CoreError>;
}

/// The deliveries' queue (SQS): each job is handed to the deliverer after `delay` (at most
/// [`MAX_QUEUE_DELAY`]).
#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    async fn enqueue(&self, job: &DeliveryJob, delay: Duration) -> Result<(), CoreError>;
}

/// Sends one attempt (`infra/src/webhook_http.rs`): never fails as a call, the outcome says
/// what happened.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: String) -> Sent;
}

/// Where a record sorts in its webhook's log (and what a cursor names): its time, delivery and
/// attempt, so a listing newest first is a reverse walk of the keys.
pub fn log_key(r: &AttemptRecord) -> String {
    format!("{}#{}#{:04}", r.at, r.id, r.attempt)
}

/// A cursor, checked to have the form [`log_key`] gives; anything else is `400 invalid_cursor`.
pub fn check_cursor(cursor: &str) -> Result<&str, CoreError> {
    let mut parts = cursor.split('#');
    let ok = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(at), Some(id), Some(n), None) => {
            chrono::DateTime::parse_from_rfc3339(at).is_ok()
                && is_delivery_id(id)
                && n.len() == 4
                && n.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if ok { Ok(cursor) } else { Err(bad_cursor()) }
}

/// The error for a cursor the log did not give.
pub fn bad_cursor() -> CoreError {
    CoreError::invalid("invalid_cursor", "cursor is not one this listing gave")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_id_is_derived_from_webhook_and_event() {
        let a = delivery_id("wh_1", "2026-12-04T12:00:00.000Z#f1#upload.accepted");
        assert_eq!(
            a,
            delivery_id("wh_1", "2026-12-04T12:00:00.000Z#f1#upload.accepted")
        );
        assert_ne!(
            a,
            delivery_id("wh_2", "2026-12-04T12:00:00.000Z#f1#upload.accepted")
        );
        assert_ne!(a, delivery_id("wh_1", "other"));
        assert!(is_delivery_id(&a), "{a}");
        assert!(!is_delivery_id("dlv_../../x"));
        assert!(!is_delivery_id("wh_1"));
        let key = format!("2026-12-04T12:00:00.000Z#{a}#0003");
        assert_eq!(check_cursor(&key).unwrap(), key);
        for bad in ["", "x#y#z", &format!("nope#{a}#0003"), &format!("{key}#1")] {
            assert_eq!(check_cursor(bad).unwrap_err().code(), "invalid_cursor");
        }
    }

    #[test]
    fn a_record_shows_only_the_fields_it_has() {
        let r = AttemptRecord {
            id: "dlv_1".into(),
            event_id: "e1".into(),
            kind: "file.accepted".into(),
            attempt: 1,
            status_code: Some(204),
            error: None,
            duration_ms: 3,
            at: "2026-12-04T12:00:00Z".into(),
            next_attempt_at: None,
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["type"], "file.accepted");
        assert_eq!(v["status_code"], 204);
        assert!(v.get("error").is_none() && v.get("next_attempt_at").is_none());
    }
}
