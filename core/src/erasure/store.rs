//! The port an erasure needs beyond the stores it shares with the rest of the system: the
//! marker on the account record, every file record of the owner whatever its state, and the
//! removal, by owner, of what each store holds of them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Marker, Remnant, Tally};
use crate::{CoreError, FileId, FileRecord, OwnerId};

#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// The erasure under way (or finished, while its marker lasts) for `owner`.
    async fn marker(&self, owner: &OwnerId) -> Result<Option<Marker>, CoreError>;
    /// Marks the account as being erased from `at` unless it already is; answers the marker
    /// in force. From this write on, the account's standing is `disabled` (every request is
    /// refused, its links and shares answer `410`), whatever an admin does to it meanwhile.
    async fn mark(&self, owner: &OwnerId, at: DateTime<Utc>) -> Result<Marker, CoreError>;
    /// Keeps the counts on the marker (the first count stays: a resumed erasure counts less).
    async fn record_tally(&self, owner: &OwnerId, tally: &Tally) -> Result<(), CoreError>;
    /// The owner's file records in any state (the trash included), by id, after `after`, at
    /// most `limit`.
    async fn files(
        &self,
        owner: &OwnerId,
        after: Option<&FileId>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError>;
    /// Marks the record as being deleted at `at` (`deleting_at`, kept if already there) if it
    /// is still there and not under a legal hold; `false` otherwise. From then on it refuses a
    /// hold, so its bytes can go; the mark stays until the record goes, so an erasure cut short
    /// finds the record (and its key) again.
    async fn mark_deleting(&self, file: &FileRecord, at: DateTime<Utc>) -> Result<bool, CoreError>;
    /// Removes these records and what points at them (the object key's pointer, the marks of
    /// the API tokens that created them), leaving no deletion receipt. Removing what is gone
    /// already is no error.
    async fn forget_files(&self, owner: &OwnerId, files: &[FileId]) -> Result<(), CoreError>;
    /// Removes every item of `what` the owner has; answers how many went.
    async fn forget(&self, owner: &OwnerId, what: Remnant) -> Result<u64, CoreError>;
    /// Replaces the account record (counters, own quota, settings, profile, standing) with the
    /// marker alone, which expires at `until`: till then, a token issued before the erasure is
    /// still refused; afterwards nothing of the account is left.
    async fn finish(&self, owner: &OwnerId, until: DateTime<Utc>) -> Result<(), CoreError>;
}
