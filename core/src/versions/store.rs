//! The versions' port: what the owner's versions need of the ledger beyond what every file
//! does. Quota moves in the same atomic write as the record it concerns, as everywhere.

use async_trait::async_trait;

use crate::{CoreError, FileRecord};

/// The outcome of reserving a new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionReservation {
    Reserved,
    QuotaExceeded,
    /// The file changed since it was read (another version took the number, it was deleted or
    /// trashed): read it again.
    FileChanged,
}

#[async_trait]
pub trait VersionLedger: Send + Sync {
    /// Reserves `version.size` against `limit`, writes the pending version record (and its
    /// pointer) and records on `file` the number and id it took, atomically; only while `file`
    /// is still accepted, out of the trash and its last number still `file`'s as read.
    async fn create_version(
        &self,
        file: &FileRecord,
        version: &FileRecord,
        limit: u64,
    ) -> Result<VersionReservation, CoreError>;
    /// The version records `file` keeps (its `head.kept`), by number; one gone meanwhile is
    /// left out.
    async fn versions_of(&self, file: &FileRecord) -> Result<Vec<FileRecord>, CoreError>;
    /// Makes `to` (an accepted version record of `file`; `None`: the file's own first bytes)
    /// the version served, if the file still serves the one it did as read. `false` (and no
    /// change) otherwise.
    async fn make_current(
        &self,
        file: &FileRecord,
        to: Option<&FileRecord>,
    ) -> Result<bool, CoreError>;
    /// Removes `version`'s record if it is still as read and not the current one, releasing
    /// what it held and taking it from `file`'s kept versions, atomically. `false` otherwise.
    async fn remove_version(
        &self,
        file: &FileRecord,
        version: &FileRecord,
    ) -> Result<bool, CoreError>;
    /// Marks `file`'s own first bytes removed and releases their usage, if version 1 is not
    /// current and not removed already. `false` (and no change) otherwise.
    async fn remove_first(&self, file: &FileRecord) -> Result<bool, CoreError>;
}
