//! The [`AuditStore`] port: where the chain is kept. The store links nothing itself: it keeps
//! the head and refuses an entry that does not follow it, so concurrent writers never fork the
//! chain ([`super::AuditChain`] retries the loser on the new head).

use async_trait::async_trait;

use super::{AuditEntry, AuditQuery, Head};
use crate::CoreError;

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// The last entry's seq and hash; `None` before the first entry.
    async fn head(&self) -> Result<Option<Head>, CoreError>;

    /// Writes `entry` and moves the head to it, both or neither, only if the head is still
    /// `entry.seq - 1` with hash `entry.prev_hash` (genesis: no head yet). `false`, writing
    /// nothing, when another writer moved the head first. Never writes over an entry.
    async fn append_after(&self, entry: &AuditEntry) -> Result<bool, CoreError>;

    /// Up to `limit` entries matching `q`, in `q`'s order, after the entry `after` (a seq, in
    /// that order); and where the next page starts (`None`: nothing more matches). A page may
    /// hold fewer than `limit` entries and still name a next one (a store reads a bounded
    /// amount per call).
    async fn page(
        &self,
        q: &AuditQuery,
        after: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, Option<u64>), CoreError>;

    /// The entry `seq`, as stored.
    async fn entry(&self, seq: u64) -> Result<Option<AuditEntry>, CoreError>;
}
