//! The [`ApiKeyStore`] port: where API tokens are kept (a DynamoDB table keyed by the secret's
//! hash in production).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ApiKey, KeyId};
use crate::{CoreError, FileId, OwnerId};

#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new token; never over an existing one (same hash): `Conflict`.
    async fn put(&self, key: &ApiKey) -> Result<(), CoreError>;
    /// The token whose secret hashes to `hash`, revoked or not. Read consistently: a
    /// revocation counts for the very next request.
    async fn by_hash(&self, hash: &str) -> Result<Option<ApiKey>, CoreError>;
    /// The owner's tokens, revoked ones included, newest first.
    async fn list(&self, owner: &OwnerId) -> Result<Vec<ApiKey>, CoreError>;
    /// Marks the owner's token revoked at `at`. `NotFound` when the owner has no such token
    /// (another owner's included) or it was revoked already.
    async fn revoke(&self, owner: &OwnerId, id: &KeyId, at: DateTime<Utc>)
    -> Result<(), CoreError>;
    /// Records that the token was used at `at` (its `last_used_at`); a token gone meanwhile is
    /// not an error.
    async fn touch(&self, hash: &str, at: DateTime<Utc>) -> Result<(), CoreError>;
    /// Records that the token created `file` (an upload-scoped token reads only those).
    async fn record_created(&self, id: &KeyId, file: &FileId) -> Result<(), CoreError>;
    /// Whether the token created `file`.
    async fn created(&self, id: &KeyId, file: &FileId) -> Result<bool, CoreError>;
}
