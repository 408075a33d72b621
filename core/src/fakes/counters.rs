//! [`MemCounters`]: the rate limiter's counters in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock::lock;
use crate::CoreError;
use crate::ratelimit::Counters;

/// Fixed-window counters in memory.
#[derive(Default)]
pub struct MemCounters {
    pub counts: Mutex<HashMap<String, u64>>,
}

#[async_trait]
impl Counters for MemCounters {
    async fn count(&self, key: &str) -> Result<u64, CoreError> {
        Ok(lock(&self.counts).get(key).copied().unwrap_or(0))
    }

    async fn increment(&self, key: &str, _expires: DateTime<Utc>) -> Result<u64, CoreError> {
        let mut c = lock(&self.counts);
        let n = c.entry(key.to_owned()).or_insert(0);
        *n += 1;
        Ok(*n)
    }
}
