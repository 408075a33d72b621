//! [`MemStanding`]: account standing in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock::lock;
use crate::standing::{Standing, StandingStore};
use crate::{CoreError, OwnerId};

#[derive(Default)]
pub struct MemStanding {
    pub(super) records: Mutex<HashMap<OwnerId, Standing>>,
    /// Erasure markers (see `erasure.rs`): an account marked is stopped whatever `records` say,
    /// as the store reads the marker on the account record.
    pub(super) erasing: Mutex<HashMap<OwnerId, crate::erasure::Marker>>,
    /// Set by a test: every read answers `Unavailable`, as a store that cannot be reached.
    pub unreadable: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl StandingStore for MemStanding {
    async fn standing(&self, owner: &OwnerId) -> Result<Standing, CoreError> {
        if self.unreadable.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(CoreError::Unavailable("standing unreadable (test)".into()));
        }
        let mut s = lock(&self.records).get(owner).copied().unwrap_or_default();
        s.disabled |= lock(&self.erasing).contains_key(owner);
        Ok(s)
    }

    async fn sign_out_all(&self, owner: &OwnerId, cut: DateTime<Utc>) -> Result<(), CoreError> {
        let mut records = lock(&self.records);
        let s = records.entry(owner.clone()).or_default();
        s.signed_out_at = Some(s.signed_out_at.map_or(cut, |old| old.max(cut)));
        Ok(())
    }

    async fn set_disabled(&self, owner: &OwnerId, disabled: bool) -> Result<(), CoreError> {
        lock(&self.records)
            .entry(owner.clone())
            .or_default()
            .disabled = disabled;
        Ok(())
    }
}
