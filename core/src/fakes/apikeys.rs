//! [`MemApiKeys`]: API tokens in memory.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock::lock;
use crate::apikeys::{ApiKey, ApiKeyStore, KeyId};
use crate::{CoreError, FileId, OwnerId};

#[derive(Default)]
pub struct MemApiKeys {
    pub(super) by_hash: Mutex<BTreeMap<String, ApiKey>>,
    pub(super) created: Mutex<HashSet<(KeyId, FileId)>>,
}

#[async_trait]
impl ApiKeyStore for MemApiKeys {
    async fn put(&self, key: &ApiKey) -> Result<(), CoreError> {
        let mut keys = lock(&self.by_hash);
        if keys.contains_key(&key.hash) {
            return Err(CoreError::conflict(
                "key_exists",
                "a token with this secret exists",
            ));
        }
        keys.insert(key.hash.clone(), key.clone());
        Ok(())
    }

    async fn by_hash(&self, hash: &str) -> Result<Option<ApiKey>, CoreError> {
        Ok(lock(&self.by_hash).get(hash).cloned())
    }

    async fn list(&self, owner: &OwnerId) -> Result<Vec<ApiKey>, CoreError> {
        let mut keys: Vec<ApiKey> = lock(&self.by_hash)
            .values()
            .filter(|k| &k.owner == owner)
            .cloned()
            .collect();
        keys.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(keys)
    }

    async fn revoke(
        &self,
        owner: &OwnerId,
        id: &KeyId,
        at: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let mut keys = lock(&self.by_hash);
        let key = keys
            .values_mut()
            .find(|k| &k.owner == owner && &k.id == id && k.revoked_at.is_none())
            .ok_or(CoreError::NotFound)?;
        key.revoked_at = Some(at);
        Ok(())
    }

    async fn touch(&self, hash: &str, at: DateTime<Utc>) -> Result<(), CoreError> {
        if let Some(k) = lock(&self.by_hash).get_mut(hash) {
            k.last_used_at = Some(at);
        }
        Ok(())
    }

    async fn record_created(&self, id: &KeyId, file: &FileId) -> Result<(), CoreError> {
        lock(&self.created).insert((id.clone(), file.clone()));
        Ok(())
    }

    async fn created(&self, id: &KeyId, file: &FileId) -> Result<bool, CoreError> {
        Ok(lock(&self.created).contains(&(id.clone(), file.clone())))
    }
}
