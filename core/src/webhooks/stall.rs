//! The stall window: a circuit breaker per webhook, so that one receiver that never answers
//! holds one attempt's slot per window instead of one per delivery (its attempts wait out the
//! 10 s timeout, and a batch, a pump slot or a Lambda invocation, lasts as long as its slowest
//! attempt). An attempt that timed out or could not connect stalls its webhook; while it is
//! stalled its other jobs go back on the queue until the window ends, unsent, uncounted and
//! unlogged; when it ends one job claims the probe: a success clears the stall, another attempt
//! without an answer stalls it again. The jobs put back come back spread over the window that
//! follows the end ([`spread`]), never all at once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::Webhook;
use super::deliveries::Sent;

/// How long a webhook stays stalled after an attempt without an answer: long against the 10 s
/// timeout (so a dead receiver holds a slot a third of the time at most), short against the
/// retry ladder's 1 min (so a receiver that comes back loses little).
pub const STALL_WINDOW: Duration = Duration::from_secs(30);

/// The window, multiplied by `scale` (`WEBHOOK_BACKOFF_SCALE`, as the ladder is).
pub fn window(scale: f64) -> Duration {
    let scale = if scale.is_finite() && scale >= 0.0 {
        scale
    } else {
        1.0
    };
    STALL_WINDOW.mul_f64(scale)
}

/// Whether an attempt stalls its webhook: it waited on the receiver and got no answer (timed
/// out, or the connection failed). An answer, even a failing one, came fast and held no slot;
/// a refusal before sending held none either.
pub fn stalls(sent: &Sent) -> bool {
    sent.status_code.is_none() && sent.unanswered
}

/// How long after the window's end a deferred job comes back: a share of one window drawn from
/// its delivery id. A stalled webhook's jobs (all of its deliveries while it was dead) would
/// otherwise all come back the moment the window ends, a burst that takes every slot from
/// other owners' deliveries for as long as it lasts (the bench saw 9 s of it).
pub fn spread(delivery_id: &str, window: Duration) -> Duration {
    let d = Sha256::digest(delivery_id.as_bytes());
    window.mul_f64(f64::from(u16::from_be_bytes([d[0], d[1]])) / 65536.0)
}

/// Where a webhook stands against its window at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stall {
    /// Not stalled: attempt as usual.
    Clear,
    /// Stalled until then: the job waits, unsent.
    Until(DateTime<Utc>),
    /// The window (the value as stored) has ended: the job that claims it probes.
    Ended(String),
}

/// The stall of `hook` at `now`. A value that is not a time reads as not stalled (the
/// deliveries go out as they would without the window).
pub fn stall_of(hook: &Webhook, now: DateTime<Utc>) -> Stall {
    let Some(seen) = hook.stalled_until.as_deref() else {
        return Stall::Clear;
    };
    match DateTime::parse_from_rfc3339(seen) {
        Ok(t) if t.with_timezone(&Utc) > now => Stall::Until(t.with_timezone(&Utc)),
        Ok(_) => Stall::Ended(seen.to_owned()),
        Err(_) => Stall::Clear,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OwnerId;
    use crate::webhooks::WebhookState;

    fn hook(stalled_until: Option<&str>) -> Webhook {
        Webhook {
            id: "w1".into(),
            owner: OwnerId::parse("ada").unwrap(),
            url: "https://hooks.example.com/".into(),
            events: vec![],
            description: None,
            sealed_secret: "sealed".into(),
            created_at: "2026-12-04T12:00:00Z".into(),
            state: WebhookState::Active,
            stalled_until: stalled_until.map(str::to_owned),
            cap_wait_until: None,
        }
    }

    fn sent(status_code: Option<u16>, unanswered: bool) -> Sent {
        Sent {
            status_code,
            error: None,
            duration_ms: 10_000,
            unanswered,
        }
    }

    #[test]
    fn the_window_is_long_against_the_timeout_short_against_the_ladder_and_scales() {
        let w = window(1.0);
        assert!(w >= 2 * super::super::delivery::TIMEOUT);
        assert!(w < super::super::delivery::BACKOFF[1]);
        assert_eq!(window(0.01), Duration::from_millis(300));
        assert_eq!(window(f64::NAN), STALL_WINDOW);
    }

    #[test]
    fn only_an_attempt_without_an_answer_stalls() {
        assert!(stalls(&sent(None, true)));
        assert!(!stalls(&sent(None, false)), "refused before sending");
        assert!(!stalls(&sent(Some(500), false)), "a fast failure");
        assert!(!stalls(&sent(Some(204), true)));
    }

    #[test]
    fn deferred_jobs_come_back_spread_over_one_window() {
        let w = STALL_WINDOW;
        let ids: Vec<String> = (0..400)
            .map(|i| crate::webhooks::deliveries::delivery_id("wh_1", &format!("e{i}")))
            .collect();
        let mut quarters = [0; 4];
        for id in &ids {
            let s = spread(id, w);
            assert!(s < w, "{s:?}");
            assert_eq!(s, spread(id, w), "the same job, the same place");
            quarters[(s.as_secs_f64() / w.as_secs_f64() * 4.0) as usize] += 1;
        }
        assert!(
            quarters.iter().all(|q| (60..140).contains(q)),
            "{quarters:?}"
        );
    }

    #[test]
    fn a_stall_is_clear_running_or_ended() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T20:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(stall_of(&hook(None), now), Stall::Clear);
        assert_eq!(stall_of(&hook(Some("garbage")), now), Stall::Clear);
        let later = "2026-12-04T20:00:30.000Z";
        assert_eq!(
            stall_of(&hook(Some(later)), now),
            Stall::Until(now + chrono::Duration::seconds(30))
        );
        for ended in ["2026-12-04T20:00:00.000Z", "2026-12-04T19:59:00.000Z"] {
            assert_eq!(
                stall_of(&hook(Some(ended)), now),
                Stall::Ended(ended.into())
            );
        }
    }
}
