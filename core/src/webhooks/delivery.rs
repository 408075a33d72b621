//! What a delivery is, whatever sends it: which webhooks an event goes to, the body and the
//! Standard Webhooks headers, what counts as success, and the retry ladder.

use std::time::Duration;

use serde_json::{Value, json};

use super::signature::sign;
use super::{Webhook, WebhookState};
use crate::events::Event;

/// The waits before each retry: about 5 s, 1 min, 10 min, 1 h, 6 h, 24 h. An event is tried
/// once and retried once per step, then given up.
pub const BACKOFF: [Duration; 6] = [
    Duration::from_secs(5),
    Duration::from_secs(60),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a receiver's answer that is read (the rest is never downloaded).
pub const MAX_RESPONSE_BYTES: usize = 1024;

/// Consecutive failed attempts after which a webhook is paused (and its owner mailed once),
/// unless `WEBHOOK_DISABLE_AFTER` says otherwise.
pub const DEFAULT_DISABLE_AFTER: u32 = 50;

/// The wait before the retry that follows failed attempt `attempt` (1 is the first try), with
/// the ladder multiplied by `scale` (`WEBHOOK_BACKOFF_SCALE`); `None` when the ladder is spent
/// and the event is given up.
pub fn retry_after(attempt: u32, scale: f64) -> Option<Duration> {
    let step = BACKOFF.get(usize::try_from(attempt).ok()?.checked_sub(1)?)?;
    let scale = if scale.is_finite() && scale >= 0.0 {
        scale
    } else {
        1.0
    };
    Some(step.mul_f64(scale))
}

/// Whether `hook` is sent `event`: it is active and subscribed to the event's type.
pub fn wants(hook: &Webhook, event: &Event) -> bool {
    hook.state == WebhookState::Active && hook.events.contains(&event.kind)
}

/// The body of every delivery of `event`: `{id, type, timestamp, data}`, `data` being the
/// event's detail (which carries `owner`).
pub fn body(event: &Event) -> String {
    let data = serde_json::to_value(&event.detail).unwrap_or(Value::Null);
    json!({
        "id": event.id,
        "type": event.kind,
        "timestamp": event.time,
        "data": data,
    })
    .to_string()
}

/// The body of a `ping` (`POST /webhooks/{id}/test`): no event behind it.
pub fn ping_body(id: &str, owner: &str, timestamp: &str, webhook_id: &str) -> String {
    json!({
        "id": id,
        "type": "ping",
        "timestamp": timestamp,
        "data": {"owner": owner, "webhook": webhook_id},
    })
    .to_string()
}

/// The headers of one attempt: `webhook-id` (the event's id, the same on every attempt, for
/// the receiver to drop duplicates), `webhook-timestamp` (unix seconds of this attempt) and
/// `webhook-signature`.
pub fn headers(key: &[u8], id: &str, unix_secs: i64, body: &str) -> [(&'static str, String); 3] {
    [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", unix_secs.to_string()),
        (
            "webhook-signature",
            sign(key, id, unix_secs, body.as_bytes()),
        ),
    ]
}

/// A receiver's answer counts as received only when it is a 2xx (a redirect is not followed,
/// so a 3xx is a failure).
pub fn succeeded(status: u16) -> bool {
    (200..300).contains(&status)
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Received (or a one-off the owner asked for): nothing more.
    Done,
    /// Failed; tried again after this wait.
    Retry(Duration),
    /// Failed, and the ladder is spent: given up.
    GiveUp,
}

/// The rule after attempt `attempt` of a delivery: a success is done; a failure is retried on
/// the ladder (scaled by `scale`) until it is spent. A test or a redelivery (`manual`) is one
/// attempt: its failure is shown in the log, not retried.
pub fn after_attempt(attempt: u32, ok: bool, manual: bool, scale: f64) -> Next {
    if ok || manual {
        return Next::Done;
    }
    retry_after(attempt, scale).map_or(Next::GiveUp, Next::Retry)
}

/// Whether `failures` attempts failed in a row pause a webhook (`WEBHOOK_DISABLE_AFTER`; 0 is
/// read as 1: a webhook is never paused before it failed).
pub fn pauses(failures: u32, disable_after: u32) -> bool {
    failures >= disable_after.max(1)
}

/// How long a queue message for an attempt due at `due` waits from `now`: the time left, at
/// most the queue's longest delay (a longer wait is re-enqueued when this one ends).
pub fn queue_delay(
    now: chrono::DateTime<chrono::Utc>,
    due: chrono::DateTime<chrono::Utc>,
) -> Duration {
    (due - now)
        .to_std()
        .unwrap_or_default()
        .min(super::deliveries::MAX_QUEUE_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OwnerId;
    use crate::events::{Detail, DetailFile, EventKind};
    use crate::webhooks::signature::verify;

    fn event(kind: EventKind) -> Event {
        Event {
            id: "2026-12-04T12:00:00.000Z#f1#upload.accepted".into(),
            kind,
            time: "2026-12-04T12:00:00.000Z".into(),
            owner: "ada".into(),
            detail: Detail {
                schema_version: 1,
                id: "2026-12-04T12:00:00.000Z#f1#upload.accepted".into(),
                owner: "ada".into(),
                file: DetailFile {
                    id: "f1".into(),
                    name: "report.pdf".into(),
                    size: 10,
                    declared_type: "application/pdf".into(),
                    detected_type: Some("application/pdf".into()),
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

    fn hook(state: WebhookState, events: Vec<EventKind>) -> Webhook {
        Webhook {
            id: "w1".into(),
            owner: OwnerId::parse("ada").unwrap(),
            url: "https://hooks.example.com/".into(),
            events,
            description: None,
            sealed_secret: "sealed".into(),
            created_at: "2026-12-04T12:00:00Z".into(),
            state,
            stalled_until: None,
            cap_wait_until: None,
        }
    }

    #[test]
    fn the_ladder_scales_and_ends() {
        assert_eq!(retry_after(1, 1.0), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(6, 1.0), Some(Duration::from_secs(86_400)));
        assert_eq!(retry_after(7, 1.0), None, "seven attempts, then given up");
        assert_eq!(retry_after(0, 1.0), None);
        assert_eq!(retry_after(2, 0.001), Some(Duration::from_millis(60)));
        assert_eq!(retry_after(1, f64::NAN), Some(Duration::from_secs(5)));
    }

    #[test]
    fn after_an_attempt_success_ends_failure_climbs_the_ladder_and_manual_is_one_shot() {
        assert_eq!(after_attempt(1, true, false, 1.0), Next::Done);
        assert_eq!(
            after_attempt(1, false, false, 1.0),
            Next::Retry(Duration::from_secs(5))
        );
        assert_eq!(
            after_attempt(3, false, false, 0.01),
            Next::Retry(Duration::from_secs(6))
        );
        assert_eq!(after_attempt(7, false, false, 1.0), Next::GiveUp);
        assert_eq!(after_attempt(1, false, true, 1.0), Next::Done);
        assert!(!pauses(49, 50) && pauses(50, 50) && pauses(51, 50));
        assert!(pauses(1, 0), "0 is read as 1");
    }

    #[test]
    fn a_queue_delay_is_what_is_left_within_the_queue_s_limit() {
        let now = chrono::Utc::now();
        let s = |n: i64| now + chrono::Duration::seconds(n);
        assert_eq!(queue_delay(now, s(-5)), Duration::ZERO);
        assert_eq!(queue_delay(now, s(60)), Duration::from_secs(60));
        assert_eq!(queue_delay(now, s(3600)), Duration::from_secs(900));
    }

    #[test]
    fn only_active_subscribed_webhooks_are_sent_an_event() {
        let e = event(EventKind::FileAccepted);
        assert!(wants(
            &hook(WebhookState::Active, vec![EventKind::FileAccepted]),
            &e
        ));
        assert!(!wants(
            &hook(WebhookState::Paused, vec![EventKind::FileAccepted]),
            &e
        ));
        assert!(!wants(
            &hook(WebhookState::Active, vec![EventKind::FileRejected]),
            &e
        ));
    }

    #[test]
    fn the_body_and_headers_verify_as_a_receiver_checks_them() {
        let e = event(EventKind::FileAccepted);
        let b = body(&e);
        let v: Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["type"], "file.accepted");
        assert_eq!(v["id"], e.id);
        assert_eq!(v["timestamp"], e.time);
        assert_eq!(v["data"]["owner"], "ada");
        assert_eq!(v["data"]["file"]["name"], "report.pdf");
        let key = [9u8; 32];
        let [(_, id), (_, ts), (_, sig)] = headers(&key, &e.id, 1_796_000_000, &b);
        assert_eq!(id, e.id);
        let ts: i64 = ts.parse().unwrap();
        assert_eq!(verify(&key, &id, ts, b.as_bytes(), &sig, ts), Ok(()));
        assert!(succeeded(204) && !succeeded(301) && !succeeded(500));
    }
}
