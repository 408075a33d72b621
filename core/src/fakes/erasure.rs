//! [`MemErasure`]: the erasure port over the other fakes' state, as the store's adapter works
//! over the same tables as theirs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock::lock;
use super::{MemApiKeys, MemLedger, MemProfiles, MemShares, MemStanding, MemWebhooks};
use crate::erasure::{ErasureStore, Marker, Remnant, Tally};
use crate::{CoreError, FileId, FileRecord, OwnerId};

#[derive(Clone, Default)]
pub struct MemErasure {
    pub ledger: Arc<MemLedger>,
    pub shares: Arc<MemShares>,
    pub webhooks: Arc<MemWebhooks>,
    pub keys: Arc<MemApiKeys>,
    pub profiles: Arc<MemProfiles>,
    pub standing: Arc<MemStanding>,
    /// When each finished erasure's marker expires.
    expiries: Arc<Mutex<HashMap<OwnerId, DateTime<Utc>>>>,
}

impl MemErasure {
    /// Over the fakes a test's other services use.
    pub fn over(
        ledger: Arc<MemLedger>,
        shares: Arc<MemShares>,
        webhooks: Arc<MemWebhooks>,
        keys: Arc<MemApiKeys>,
        profiles: Arc<MemProfiles>,
        standing: Arc<MemStanding>,
    ) -> Self {
        Self {
            ledger,
            shares,
            webhooks,
            keys,
            profiles,
            standing,
            expiries: Arc::default(),
        }
    }

    /// When the marker of `owner` expires (`None`: no marker, or not finished).
    pub fn marker_expiry(&self, owner: &OwnerId) -> Option<DateTime<Utc>> {
        lock(&self.expiries).get(owner).copied()
    }
}

#[async_trait]
impl ErasureStore for MemErasure {
    async fn marker(&self, owner: &OwnerId) -> Result<Option<Marker>, CoreError> {
        Ok(lock(&self.standing.erasing).get(owner).copied())
    }

    async fn mark(&self, owner: &OwnerId, at: DateTime<Utc>) -> Result<Marker, CoreError> {
        Ok(*lock(&self.standing.erasing)
            .entry(owner.clone())
            .or_insert(Marker {
                started_at: at,
                tally: None,
            }))
    }

    async fn record_tally(&self, owner: &OwnerId, tally: &Tally) -> Result<(), CoreError> {
        let mut all = lock(&self.standing.erasing);
        let m = all
            .get_mut(owner)
            .ok_or_else(|| CoreError::upstream("no erasure marker"))?;
        m.tally.get_or_insert(*tally);
        Ok(())
    }

    async fn files(
        &self,
        owner: &OwnerId,
        after: Option<&FileId>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        Ok(lock(&self.ledger.state)
            .0
            .iter()
            .filter(|((o, id), _)| o == owner && after.is_none_or(|a| id > a))
            .take(limit)
            .map(|(_, f)| f.clone())
            .collect())
    }

    async fn mark_deleting(&self, file: &FileRecord, at: DateTime<Utc>) -> Result<bool, CoreError> {
        Ok(super::trash::mark_deleting(&self.ledger, file, at, None))
    }

    async fn forget_files(&self, owner: &OwnerId, files: &[FileId]) -> Result<(), CoreError> {
        {
            let mut state = lock(&self.ledger.state);
            for id in files {
                state.0.remove(&(owner.clone(), id.clone()));
            }
        }
        lock(&self.ledger.log).retain(|(id, _)| !files.contains(id));
        lock(&self.ledger.cleanup).retain(|(o, id)| !(o == owner && files.contains(id)));
        lock(&self.keys.created).retain(|(_, id)| !files.contains(id));
        Ok(())
    }

    async fn forget(&self, owner: &OwnerId, what: Remnant) -> Result<u64, CoreError> {
        let before_after = |before: usize, after: usize| (before - after) as u64;
        Ok(match what {
            Remnant::Links => {
                let mut links = lock(&self.ledger.links);
                let n = links.0.len();
                links.0.retain(|(o, _), _| o != owner);
                links.1.retain(|_, (o, _)| o != owner);
                before_after(n, links.0.len())
            }
            Remnant::Shares => {
                let mut shares = lock(&self.shares.shares);
                let gone: Vec<_> = shares
                    .keys()
                    .filter(|(o, _)| o == owner)
                    .map(|(_, id)| id.clone())
                    .collect();
                shares.retain(|(o, _), _| o != owner);
                lock(&self.shares.downloads).retain(|d| !gone.contains(&d.share));
                gone.len() as u64
            }
            Remnant::Webhooks => lock(&self.webhooks.hooks)
                .remove(owner)
                .map_or(0, |h| h.len() as u64),
            Remnant::ApiKeys => {
                let mut keys = lock(&self.keys.by_hash);
                let n = keys.len();
                keys.retain(|_, k| &k.owner != owner);
                before_after(n, keys.len())
            }
            // The fake's upload log is keyed by file, and went with the files.
            Remnant::UploadLog => 0,
            Remnant::Receipts => {
                let mut receipts = lock(&self.ledger.receipts);
                let n = receipts.len();
                receipts.retain(|(o, _), _| o != owner);
                before_after(n, receipts.len())
            }
        })
    }

    async fn finish(&self, owner: &OwnerId, until: DateTime<Utc>) -> Result<(), CoreError> {
        lock(&self.ledger.state).1.remove(owner);
        lock(&self.standing.records).remove(owner);
        lock(&self.profiles.names).remove(owner);
        lock(&self.profiles.retention).remove(owner);
        lock(&self.expiries).insert(owner.clone(), until);
        Ok(())
    }
}
