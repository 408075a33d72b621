//! [`FixedClock`]: a clock that moves only when told.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::lock::lock;
use crate::clock::Clock;

/// A clock that moves only when told.
pub struct FixedClock(pub Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(t))
    }
    pub fn advance(&self, d: chrono::Duration) {
        *lock(&self.0) += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}
