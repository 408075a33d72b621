//! [`MemLedger`]'s legal holds: the mark on the record, set and cleared conditionally, as the
//! store does.

use async_trait::async_trait;

use super::MemLedger;
use super::lock::lock;
use crate::holds::{HoldStore, LegalHold};
use crate::{CoreError, FileRecord};

#[async_trait]
impl HoldStore for MemLedger {
    async fn place_hold(&self, file: &FileRecord, hold: &LegalHold) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur)
                if cur.status == file.status
                    && cur.lifecycle.trashed_at == file.lifecycle.trashed_at =>
            {
                cur.lifecycle.legal_hold = Some(hold.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
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
