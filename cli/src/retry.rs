//! When to try a request again and how long to wait first. Pure functions, so the policy is
//! tested without a clock or a network.

use std::time::Duration;

/// Exponential backoff with jitter: the ceiling doubles per attempt up to `cap`; the delay is
/// half the ceiling plus a random share of the other half, so it never collapses to zero and
/// parallel parts that failed together do not retry in lockstep.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Tries in all, the first included.
    pub max_attempts: u32,
}

/// Parts and single PUTs to storage: at most about a minute of waits in all before giving up.
pub const STORAGE: Backoff = Backoff {
    base: Duration::from_millis(500),
    cap: Duration::from_secs(30),
    max_attempts: 8,
};

/// API calls: the API already retries AWS for up to 8 s, so fewer, shorter tries here.
pub const API: Backoff = Backoff {
    base: Duration::from_millis(500),
    cap: Duration::from_secs(4),
    max_attempts: 3,
};

/// The most a `Retry-After` may make us sleep before a retry.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

impl Backoff {
    /// The wait before retry number `retry` (1 = the first retry); `jitter` in `[0, 1)`.
    pub fn delay(&self, retry: u32, jitter: f64) -> Duration {
        let doublings = retry.saturating_sub(1).min(30);
        let ceiling = self.base.saturating_mul(1 << doublings).min(self.cap);
        let half = ceiling / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// Whether another try follows try number `attempt` (1-based).
    pub fn allows_another(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }
}

/// What to do with a storage (S3) answer to a PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageAnswer {
    Done,
    /// Transient: the same request again after a backoff.
    Retry,
    /// The presigned URL expired or was refused: ask the API for a new one.
    NewUrl,
    Fail,
}

pub fn storage_answer(status: u16) -> StorageAnswer {
    match status {
        200..=299 => StorageAnswer::Done,
        403 => StorageAnswer::NewUrl,
        408 | 429 | 500..=599 => StorageAnswer::Retry,
        _ => StorageAnswer::Fail,
    }
}

/// API answers worth repeating for a request that is safe to repeat: gateway hiccups,
/// `503 unavailable|throttled`, `429` (with its `Retry-After`).
pub fn api_status_retries(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Seconds of a `Retry-After` header (the date form is not used by S3 or the API), capped.
pub fn retry_after(header: Option<&str>) -> Option<Duration> {
    let secs: u64 = header?.trim().parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// Whether a transport failure is worth another try: the connection failed, timed out or broke
/// mid-body. Not a request that could not even be built, nor a redirect loop.
pub fn network_error_retries(e: &reqwest::Error) -> bool {
    !(e.is_builder() || e.is_redirect() || e.is_decode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_up_to_the_cap_and_stays_within_jitter() {
        let b = STORAGE;
        let ms = |d: Duration| d.as_millis();
        assert_eq!(ms(b.delay(1, 0.0)), 250);
        assert_eq!(ms(b.delay(1, 0.999_999)), 499);
        assert_eq!(ms(b.delay(2, 0.0)), 500);
        assert_eq!(ms(b.delay(3, 0.0)), 1000);
        assert_eq!(ms(b.delay(4, 0.0)), 2000);
        // 0.5 s * 2^6 = 32 s: capped at 30 s.
        assert_eq!(ms(b.delay(7, 0.0)), 15_000);
        assert_eq!(ms(b.delay(7, 1.0)), 30_000);
        assert_eq!(ms(b.delay(100, 0.5)), 22_500);
        // Out-of-range jitter is clamped; attempt 0 is treated as the first retry.
        assert_eq!(ms(b.delay(1, 7.0)), 500);
        assert_eq!(ms(b.delay(0, 0.0)), 250);
        for retry in 1..20 {
            for j in [0.0, 0.3, 0.99] {
                let d = b.delay(retry, j);
                assert!(d > Duration::ZERO && d <= b.cap);
                assert!(b.delay(retry + 1, j) >= d, "never shorter on a later retry");
            }
        }
    }

    #[test]
    fn the_whole_storage_budget_is_minutes_not_hours() {
        let worst: Duration = (1..STORAGE.max_attempts)
            .map(|r| STORAGE.delay(r, 1.0))
            .sum();
        assert!(worst < Duration::from_secs(150), "{worst:?}");
        assert!(STORAGE.allows_another(7));
        assert!(!STORAGE.allows_another(8));
    }

    #[test]
    fn which_storage_answers_retry() {
        assert_eq!(storage_answer(200), StorageAnswer::Done);
        assert_eq!(storage_answer(204), StorageAnswer::Done);
        assert_eq!(storage_answer(403), StorageAnswer::NewUrl);
        for s in [408, 429, 500, 502, 503, 504] {
            assert_eq!(storage_answer(s), StorageAnswer::Retry, "{s}");
        }
        for s in [400, 404, 411, 412] {
            assert_eq!(storage_answer(s), StorageAnswer::Fail, "{s}");
        }
    }

    #[test]
    fn which_api_answers_retry() {
        assert!(api_status_retries(503));
        assert!(api_status_retries(429));
        assert!(
            !api_status_retries(500),
            "500 internal is a bug, not a hiccup"
        );
        assert!(!api_status_retries(409));
        assert!(!api_status_retries(401));
    }

    #[test]
    fn retry_after_seconds_are_capped() {
        assert_eq!(retry_after(Some("3")), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(Some(" 7 ")), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(Some("86400")), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after(None), None);
    }
}
