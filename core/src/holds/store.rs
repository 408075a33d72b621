//! The hold's port: placing and lifting it on a file's record, conditionally. The stores that
//! delete (the ledger's trash, purge and removal) refuse a held record in the same write, so
//! the port only sets and clears the mark.

use async_trait::async_trait;

use super::LegalHold;
use crate::{CoreError, FileRecord};

#[async_trait]
pub trait HoldStore: Send + Sync {
    /// Puts `hold` on the file's record (replacing one already there) if the record is still
    /// there in `file.status` and in or out of the trash as read; `false` (and no change)
    /// otherwise. A held file leaves the janitor's retention and trash passes: from then on
    /// `due_retention` and `due_trash` do not answer it.
    async fn place_hold(&self, file: &FileRecord, hold: &LegalHold) -> Result<bool, CoreError>;
    /// Lifts the hold the record carries if it is still `file`'s (placed at the same time) and
    /// the file is in or out of the trash as read; `false` (and no change) otherwise. The file
    /// is back in the janitor's passes: due retention or a due purge happen at its next run.
    async fn lift_hold(&self, file: &FileRecord) -> Result<bool, CoreError>;
}
