//! Failed public lookups (guessing upload-link tokens or receipts) are limited per source
//! address, with fixed-window counters kept in the store so that the limit holds across every
//! function instance. Every public lookup checks first; only failures count, so people with a
//! good link are never slowed by others on the same network.
//!
//! Counter keys hold a truncated SHA-256 of the address, never the address itself.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::CoreError;
use crate::clock::Clock;

#[async_trait]
pub trait Counters: Send + Sync {
    /// The count under `key` (0 when there is none).
    async fn count(&self, key: &str) -> Result<u64, CoreError>;
    /// Adds one under `key`, which may be forgotten after `expires`; returns the new count.
    async fn increment(&self, key: &str, expires: DateTime<Utc>) -> Result<u64, CoreError>;
}

/// One window of one source: its counter key and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub key: String,
    pub ends: DateTime<Utc>,
}

/// The window that `now` falls in, for `source` under `scope`.
pub fn window(scope: &str, source: &str, now: DateTime<Utc>, length: Duration) -> Window {
    let len = length.as_secs().max(1) as i64;
    let start = now.timestamp().div_euclid(len) * len;
    let digest = hex::encode(Sha256::digest(source.as_bytes()));
    Window {
        key: format!("{scope}#{}#{start}", &digest[..16]),
        ends: DateTime::from_timestamp(start + len, 0).unwrap_or(now),
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    pub counters: Arc<dyn Counters>,
    pub clock: Arc<dyn Clock>,
    pub scope: &'static str,
    /// Failures allowed per window; the next lookup is refused.
    pub limit: u64,
    pub window: Duration,
}

impl RateLimiter {
    fn current(&self, source: &str) -> Window {
        window(self.scope, source, self.clock.now(), self.window)
    }

    fn refused(&self, w: &Window) -> CoreError {
        // Rounded up: a client that waits exactly this long must find the window over.
        let ms = (w.ends - self.clock.now()).num_milliseconds();
        let left = ((ms + 999) / 1000).max(1) as u64;
        CoreError::RateLimited {
            retry_after_secs: left,
        }
    }

    /// `RateLimited` once `source` has failed `limit` times in this window.
    pub async fn check(&self, source: &str) -> Result<(), CoreError> {
        let w = self.current(source);
        if self.counters.count(&w.key).await? >= self.limit {
            tracing::warn!(
                scope = self.scope,
                decision = "rate_limited",
                "public lookup refused"
            );
            return Err(self.refused(&w));
        }
        Ok(())
    }

    /// Counts one failed lookup. A counter that cannot be written is logged, not fatal: the
    /// caller's answer (404, 410) is already decided.
    pub async fn failed(&self, source: &str) {
        let w = self.current(source);
        // Kept one window longer than needed, so a late reader never sees it vanish early.
        let expires = crate::time::after(w.ends, self.window);
        if let Err(e) = self.counters.increment(&w.key, expires).await {
            tracing::warn!(scope = self.scope, error = %e, "failed-lookup counter not written");
        }
    }

    /// Counts one attempt first, then refuses it when it is over the limit: unlike
    /// [`RateLimiter::check`], a burst of concurrent attempts cannot pass before any is
    /// counted. A counter that cannot be written refuses (fails closed): this guards a
    /// password.
    pub async fn take(&self, source: &str) -> Result<(), CoreError> {
        let w = self.current(source);
        let expires = crate::time::after(w.ends, self.window);
        if self.counters.increment(&w.key, expires).await? > self.limit {
            tracing::warn!(
                scope = self.scope,
                decision = "rate_limited",
                "attempt refused"
            );
            return Err(self.refused(&w));
        }
        Ok(())
    }

    /// Runs a lookup under the limit: refused when over it, counted when it fails with a
    /// not-found or gone answer.
    pub async fn guard<T>(
        &self,
        source: &str,
        lookup: impl std::future::Future<Output = Result<T, CoreError>>,
    ) -> Result<T, CoreError> {
        self.check(source).await?;
        let r = lookup.await;
        if let Err(e) = &r
            && matches!(
                e.kind(),
                crate::ErrorKind::NotFound | crate::ErrorKind::Gone
            )
        {
            self.failed(source).await;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test]
    async fn retry_after_rounds_up_to_the_windows_end() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 54).unwrap()
            + chrono::Duration::milliseconds(300);
        let clock = Arc::new(crate::fakes::FixedClock::at(t));
        let limiter = RateLimiter {
            counters: Arc::new(crate::fakes::MemCounters::default()),
            clock: clock.clone(),
            scope: "s",
            limit: 1,
            window: Duration::from_secs(60),
        };
        limiter.failed("a").await;
        let e = limiter.check("a").await.unwrap_err();
        // 5.7 s left: 6, so that waiting exactly that long lands in the next window.
        assert_eq!(
            e,
            CoreError::RateLimited {
                retry_after_secs: 6
            }
        );
        clock.advance(chrono::Duration::seconds(6));
        assert!(limiter.check("a").await.is_ok());
    }

    #[test]
    fn windows_are_fixed_and_keys_hide_the_address() {
        let len = Duration::from_secs(600);
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 3, 0).unwrap();
        let a = window("drop", "203.0.113.9", t, len);
        let b = window("drop", "203.0.113.9", t + chrono::Duration::minutes(6), len);
        let c = window("drop", "203.0.113.9", t + chrono::Duration::minutes(7), len);
        assert_eq!(a, b);
        assert_ne!(a.key, c.key);
        assert_eq!(
            a.ends,
            Utc.with_ymd_and_hms(2026, 11, 22, 10, 10, 0).unwrap()
        );
        assert!(!a.key.contains("203.0.113.9"));
        assert_ne!(a.key, window("drop", "203.0.113.10", t, len).key);
    }
}
