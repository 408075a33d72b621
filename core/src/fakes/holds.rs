//! [`MemLedger`]'s legal holds: the mark on the record, set and cleared conditionally, as the
//! store does.

use async_trait::async_trait;

use super::MemLedger;
use super::lock::lock;
use crate::holds::{HoldStore, LegalHold};
use crate::{CoreError, FileId, FileRecord, OwnerId};

impl MemLedger {
    /// What an admin's `Holds::place` does at this very instant, synchronously (for a test's
    /// hook): reads the record, refuses what cannot be held, places the hold on the record as
    /// read. Whether it was placed.
    pub fn hold_now(&self, owner: &OwnerId, id: &FileId, hold: &LegalHold) -> bool {
        let read = lock(&self.state)
            .0
            .get(&(owner.clone(), id.clone()))
            .cloned();
        match read {
            Some(file) if crate::holds::can_hold(&file) => self.place(&file, hold),
            _ => false,
        }
    }

    fn place(&self, file: &FileRecord, hold: &LegalHold) -> bool {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            // A record whose deletion began takes no hold: its bytes may be going.
            Some(cur)
                if cur.status == file.status
                    && cur.lifecycle.trashed_at == file.lifecycle.trashed_at
                    && cur.lifecycle.deleting_at.is_none() =>
            {
                cur.lifecycle.legal_hold = Some(hold.clone());
                true
            }
            _ => false,
        }
    }
}

#[async_trait]
impl HoldStore for MemLedger {
    async fn place_hold(&self, file: &FileRecord, hold: &LegalHold) -> Result<bool, CoreError> {
        Ok(self.place(file, hold))
    }

    async fn lift_hold(&self, file: &FileRecord) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let placed = file.lifecycle.legal_hold.as_ref().map(|h| h.placed_at);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur)
                if placed.is_some()
                    && cur.lifecycle.legal_hold.as_ref().map(|h| h.placed_at) == placed
                    && cur.lifecycle.trashed_at == file.lifecycle.trashed_at =>
            {
                cur.lifecycle.legal_hold = None;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
