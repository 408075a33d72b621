//! The owner's trash: what they deleted, kept for `TRASH_DAYS` so one mistaken click can be
//! undone; a restore, a purge now, and the deletion receipts of whatever left for good.

use super::{FileService, Listing, decode_cursor, encode_cursor};
use crate::lifecycle::{
    DeletedBy, DeletionReason, DeletionReceipt, ReceiptPage, purge_at, purge_cutoff,
};
use crate::paging::parse_limit;
use crate::time::rfc3339;
use crate::{CoreError, FileRecord, OwnerId};

/// A file this close to its purge is not restored: the janitor, whose clock may run a little
/// ahead, may be removing its bytes.
const RESTORE_MARGIN: chrono::Duration = chrono::Duration::seconds(60);

impl FileService {
    /// The owner's files in the trash, newest first, each with when it is purged.
    pub async fn trash(
        &self,
        owner: &OwnerId,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Listing, CoreError> {
        let limit = parse_limit(limit)?;
        let after = cursor.map(decode_cursor).transpose()?;
        let page = self.ledger.list_trash(owner, limit, after.as_ref()).await?;
        let days = self.settings.trash_days;
        Ok(Listing {
            files: page
                .files
                .iter()
                // A purge cut short is gone for its owner (the janitor finishes it).
                .filter(|f| !f.is_deleting())
                .map(|f| {
                    let mut v = f.view();
                    v.purge_at = f.lifecycle.trashed_at.map(|t| rfc3339(purge_at(t, days)));
                    v
                })
                .collect(),
            next_cursor: page.next_after.as_ref().map(encode_cursor),
        })
    }

    /// One of the owner's files in the trash; anything else is not found.
    pub async fn trashed(&self, owner: &OwnerId, id: &str) -> Result<FileRecord, CoreError> {
        self.get_any(owner, id)
            .await?
            .filter(FileRecord::in_trash)
            .ok_or(CoreError::NotFound)
    }

    /// Takes a file out of the trash: it is listed, downloadable and shareable again (its
    /// old shares stay revoked: the caller revokes them).
    pub async fn restore(&self, owner: &OwnerId, id: &str) -> Result<FileRecord, CoreError> {
        let file = self.trashed(owner, id).await?;
        let now = self.clock.now();
        let due = purge_cutoff(now, self.settings.trash_days) + RESTORE_MARGIN;
        let mut restored = file;
        // A retention time already past is dropped: the owner brought the file back on purpose,
        // and retention would otherwise trash it again at its next run.
        restored.lifecycle.delete_after = restored
            .lifecycle
            .delete_after
            .filter(|t| !crate::lifecycle::retention_due(*t, now));
        if !self.ledger.restore_file(&restored, due).await? {
            // Purged, restored or due meanwhile.
            return Err(CoreError::NotFound);
        }
        restored.lifecycle.trashed_at = None;
        Ok(restored)
    }

    /// Purges a file in the trash now: its bytes, then its record, with its receipt.
    pub async fn purge(&self, owner: &OwnerId, id: &str) -> Result<FileRecord, CoreError> {
        let mut file = self.trashed(owner, id).await?;
        crate::holds::ensure_deletable(&file)?;
        if !self.ledger.expedite_purge(&file).await? {
            // Purged or restored meanwhile, or held a moment ago.
            let now = self.trashed(owner, id).await?;
            crate::holds::ensure_deletable(&now)?;
            return Err(CoreError::NotFound);
        }
        file.lifecycle.trashed_at = Some(chrono::DateTime::UNIX_EPOCH);
        if !self.purge_now(&file, DeletionReason::Purged).await? {
            // Held before its deletion began (nothing touched), or gone meanwhile.
            let now = self.trashed(owner, id).await?;
            crate::holds::ensure_deletable(&now)?;
            return Err(CoreError::NotFound);
        }
        Ok(file)
    }

    /// The owner's deletion receipts, newest first.
    pub async fn receipts(
        &self,
        owner: &OwnerId,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<ReceiptPage, CoreError> {
        let limit = parse_limit(limit)?;
        self.ledger.list_receipts(owner, limit, cursor).await
    }

    /// Marks the record, removes the bytes, then the record with its receipt, the owner having
    /// decided it (`lifecycle::purge`). `false` if the record changed meanwhile: the caller
    /// reads it again (a hold placed before the mark is then `409 legal_hold`).
    pub(super) async fn purge_now(
        &self,
        file: &FileRecord,
        reason: DeletionReason,
    ) -> Result<bool, CoreError> {
        let now = self.clock.now();
        let receipt = DeletionReceipt::of(file, reason, DeletedBy::Owner, now);
        crate::lifecycle::purge(&*self.ledger, &*self.store, file, &receipt, now).await
    }
}
