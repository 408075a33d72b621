//! The rate limiter's counters' contract: what every [`Counters`] must do, run against the
//! in-memory `MemCounters` (`core/tests/contract.rs`) and the DynamoDB adapter on the emulator
//! (`local/tests/stack/infra_links.rs`). Each check uses keys of its own (`<prefix>-...`), so
//! the checks can share a table with other tests.
//!
//! Forgetting after `expires` is the store's TTL, which runs when it likes: no check waits for
//! it, they only hold that a counter is there until then.

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;

use crate::ratelimit::Counters;

fn key(prefix: &str, name: &str) -> String {
    format!("{prefix}#{name}#60")
}

/// Every check, each on keys of its own under `prefix`.
pub async fn check_all(c: &dyn Counters, prefix: &str, now: DateTime<Utc>) {
    counts_from_zero_one_at_a_time(c, prefix, now).await;
    keeps_keys_apart(c, prefix, now).await;
    counts_concurrent_increments_exactly(c, prefix, now).await;
}

pub async fn counts_from_zero_one_at_a_time(c: &dyn Counters, prefix: &str, now: DateTime<Utc>) {
    let k = key(prefix, "count");
    let expires = now + TimeDelta::seconds(120);
    assert_eq!(c.count(&k).await.unwrap(), 0, "no counter counts 0");
    assert_eq!(
        c.count(&k).await.unwrap(),
        0,
        "reading creates nothing to count"
    );
    assert_eq!(c.increment(&k, expires).await.unwrap(), 1);
    assert_eq!(c.increment(&k, expires).await.unwrap(), 2);
    assert_eq!(c.count(&k).await.unwrap(), 2);
    // A later expiry (a limiter's window moved on) keeps the count.
    let later = expires + TimeDelta::seconds(60);
    assert_eq!(c.increment(&k, later).await.unwrap(), 3);
    assert_eq!(c.count(&k).await.unwrap(), 3);
}

pub async fn keeps_keys_apart(c: &dyn Counters, prefix: &str, now: DateTime<Utc>) {
    let (a, b) = (key(prefix, "apart-a"), key(prefix, "apart-b"));
    let expires = now + TimeDelta::seconds(120);
    assert_eq!(c.increment(&a, expires).await.unwrap(), 1);
    assert_eq!(c.increment(&a, expires).await.unwrap(), 2);
    assert_eq!(c.count(&b).await.unwrap(), 0, "keys are separate");
    assert_eq!(c.increment(&b, expires).await.unwrap(), 1);
    assert_eq!(
        (c.count(&a).await.unwrap(), c.count(&b).await.unwrap()),
        (2, 1)
    );
}

pub async fn counts_concurrent_increments_exactly(
    c: &dyn Counters,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let k = key(prefix, "busy");
    let expires = now + TimeDelta::seconds(120);
    // Every count from 1 to 10 is handed out once: an increment is one atomic step.
    let mut seen: Vec<u64> = join_all((0..10).map(|_| c.increment(&k, expires)))
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (1..=10).collect::<Vec<u64>>());
    assert_eq!(c.count(&k).await.unwrap(), 10);
}
