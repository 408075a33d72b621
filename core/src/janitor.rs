//! The janitor: pending files whose upload URL expired (plus a grace period) become `expired`,
//! their reservation is released and any object removed; files whose malware scan never
//! answered within the scan timeout are rejected `scan_timeout` and their bytes removed. A drop through an upload link gets a
//! shorter grace, so that its reservation is released within `DROP_IDLE_SECS` (see
//! [`crate::links::idle`]).

use std::sync::Arc;

use crate::clock::Clock;
use crate::files::remove_and_mark;
use crate::files::{JanitorLedger, Settlement};
use crate::lifecycle::{
    DeletedBy, DeletionReason, DeletionReceipt, goes_to_trash, purge_cutoff, trashed_by_retention,
};
use crate::links::idle;
use crate::multipart::MultipartStore;
use crate::objects::ObjectStore;
use crate::scan::{REASON_SCAN_TIMEOUT, ScanRecord, ScanStatus};
use crate::{CoreError, FileRecord, FileStatus, Settings};

pub const REASON_UPLOAD_TIMEOUT: &str = "upload_timeout";

#[derive(Clone)]
pub struct Janitor {
    pub ledger: Arc<dyn JanitorLedger>,
    pub store: Arc<dyn ObjectStore>,
    /// Aborts the multipart uploads of large files that never completed.
    pub multipart: Arc<dyn MultipartStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Sweep {
    pub expired: Vec<FileRecord>,
    /// Files rejected because their scan never answered.
    pub timed_out: Vec<FileRecord>,
    /// Files in the trash past their days, purged with their receipts.
    pub purged: Vec<FileRecord>,
    /// Files whose `delete_after` came: into the trash, or gone with their receipts.
    pub retained: Vec<FileRecord>,
    /// Records whose deletion for good was cut short after its mark, finished with their
    /// receipts.
    pub finished: Vec<FileRecord>,
    /// Objects of rejected or expired files removed on a retry.
    pub cleaned: usize,
    pub failed: usize,
}

impl Janitor {
    /// Finishes interrupted object removals, rejects up to `limit` files whose scan timed out,
    /// purges the due trash, applies retention, finishes deletions cut short after their mark,
    /// then expires up to `limit` stale pending files.
    /// A file that fails is left for the next run.
    pub async fn sweep(&self, limit: usize) -> Result<Sweep, CoreError> {
        let now = self.clock.now();
        let mut sweep = Sweep::default();
        for file in self.ledger.awaiting_cleanup(limit).await? {
            if remove_and_mark(&*self.ledger, &*self.store, &file).await {
                sweep.cleaned += 1;
            } else {
                sweep.failed += 1;
            }
        }
        self.time_out_scans(now, limit, &mut sweep).await?;
        self.purge_trash(now, limit, &mut sweep).await?;
        self.apply_retention(now, limit, &mut sweep).await?;
        self.finish_deletions(now, limit, &mut sweep).await?;
        // The shortest grace of any file: each file is then held to its own.
        let grace = self
            .settings
            .pending_grace
            .min(idle::drop_grace(&self.settings));
        let cutoff = crate::time::before(now, grace);
        let stale = self.ledger.stale_pending(cutoff, limit).await?;
        // Each expiry's `upload.expired` notice is an outbox entry of its settlement.
        for file in stale {
            if idle::released_at(&self.settings, &file) >= now {
                continue;
            }
            match self.expire(&file, now).await {
                Ok(Some((expired, removed))) => {
                    sweep.expired.push(expired);
                    if !removed {
                        sweep.failed += 1;
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "expiry failed; left for the next run");
                    sweep.failed += 1;
                }
            }
        }
        Ok(sweep)
    }

    /// Files `scanning` for longer than the scan timeout: no verdict is not a clean verdict.
    async fn time_out_scans(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
        sweep: &mut Sweep,
    ) -> Result<(), CoreError> {
        let cutoff = crate::time::before(now, self.settings.scan_timeout);
        for file in self.ledger.stale_scanning(cutoff, limit).await? {
            let scan = ScanRecord {
                status: ScanStatus::Timeout,
                etag: file.stored.as_ref().and_then(|s| s.etag.clone()),
                threats: Vec::new(),
                at: Some(now),
            };
            let s = Settlement {
                status: FileStatus::Rejected,
                detected_type: file.detected_type.clone(),
                reason: Some(REASON_SCAN_TIMEOUT.to_owned()),
                at: now,
                stored_size: file.stored.as_ref().map(|s| s.size),
                stored_etag: file.stored.as_ref().and_then(|s| s.etag.clone()),
                give_back_link: crate::links::gives_back_on(FileStatus::Rejected),
                scan: Some(scan),
            };
            match self.ledger.settle(&file, &s).await {
                // A result settled it meanwhile: not ours to touch.
                Ok(false) => {}
                Ok(true) => {
                    if !remove_and_mark(&*self.ledger, &*self.store, &file).await {
                        sweep.failed += 1;
                    }
                    sweep.timed_out.push(FileRecord {
                        status: FileStatus::Rejected,
                        reason: s.reason,
                        scan: s.scan,
                        ..file
                    });
                }
                Err(e) => {
                    tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "scan timeout not settled; left for the next run");
                    sweep.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Files in the trash for longer than `TRASH_DAYS`: their bytes, then their records with
    /// their receipts. A failure leaves the file due, so the next run tries again; a restore
    /// cannot race it (a due file is not restored).
    async fn purge_trash(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
        sweep: &mut Sweep,
    ) -> Result<(), CoreError> {
        let cutoff = purge_cutoff(now, self.settings.trash_days);
        for file in self.ledger.due_trash(cutoff, limit).await? {
            // The store leaves held files out; one held a moment ago waits for its release.
            if crate::holds::ensure_deletable(&file).is_err() {
                tracing::info!(file_id = %file.id, owner = %file.owner, decision = "legal_hold_kept", "held file not purged");
                continue;
            }
            // What retention put in the trash leaves with a retention receipt; a deletion cut
            // short with the receipt its mark kept.
            let (reason, by) = if let Some(c) = file.lifecycle.deleting_for {
                (c.reason, c.by)
            } else if trashed_by_retention(&file.lifecycle) {
                (DeletionReason::Retention, DeletedBy::Retention)
            } else {
                (DeletionReason::Purged, DeletedBy::Owner)
            };
            let receipt = DeletionReceipt::of(&file, reason, by, now);
            // Marked first, so a hold placed from here on is refused rather than outlived by
            // its record while its bytes go.
            match crate::lifecycle::purge(&*self.ledger, &*self.store, &file, &receipt, now).await {
                Ok(true) => {
                    tracing::info!(file_id = %file.id, owner = %file.owner, decision = "trash_purged", "file purged from the trash");
                    sweep.purged.push(file);
                }
                // Changed meanwhile: the next run reads it again.
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "purge failed; left for the next run");
                    sweep.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Live files whose `delete_after` came (at that instant, not a second before): an
    /// accepted one into the trash while it is on, anything else removed now, its bytes first,
    /// then its record with its retention receipt and `file.deleted` notice. A failure leaves
    /// the file due, so the next run tries again.
    async fn apply_retention(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
        sweep: &mut Sweep,
    ) -> Result<(), CoreError> {
        for file in self.ledger.due_retention(now, limit).await? {
            if crate::holds::ensure_deletable(&file).is_err() {
                tracing::info!(file_id = %file.id, owner = %file.owner, decision = "legal_hold_kept", "held file not retired");
                continue;
            }
            match self.retire(&file, now).await {
                Ok(true) => {
                    tracing::info!(file_id = %file.id, owner = %file.owner, decision = "retention_deleted", "file deleted by retention");
                    sweep.retained.push(file);
                }
                // Changed meanwhile: the next run reads it again.
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "retention deletion failed; left for the next run");
                    sweep.failed += 1;
                }
            }
        }
        Ok(())
    }

    /// Records marked for deletion longer than `DELETION_GRACE` ago whose removal nobody
    /// finished (a `503`, a crash, and no retry): finished as that removal would have ended.
    /// A failure leaves the mark, so the next run tries again.
    async fn finish_deletions(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: usize,
        sweep: &mut Sweep,
    ) -> Result<(), CoreError> {
        let cutoff = crate::lifecycle::unfinished_cutoff(now);
        for file in self.ledger.marked_before(cutoff, limit).await? {
            let finished = crate::lifecycle::finish_marked(
                &*self.ledger,
                &*self.store,
                &*self.multipart,
                &file,
                now,
            )
            .await;
            match finished {
                Ok(true) => {
                    tracing::info!(file_id = %file.id, owner = %file.owner, decision = "deletion_finished", "deletion cut short finished");
                    sweep.finished.push(file);
                }
                // Changed or gone meanwhile: the next run reads it again, if still marked.
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "deletion not finished; left for the next run");
                    sweep.failed += 1;
                }
            }
        }
        Ok(())
    }

    async fn retire(
        &self,
        file: &FileRecord,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, CoreError> {
        // A deletion for good cut short is finished, not trashed: its bytes may be gone.
        if file.lifecycle.deleting_at.is_none()
            && goes_to_trash(file.status, self.settings.trash_days)
        {
            return self.ledger.trash_retained(file, now).await;
        }
        if let Some(m) = file
            .multipart
            .as_ref()
            .filter(|_| file.status == FileStatus::Pending)
        {
            self.multipart
                .abort_multipart(&file.key(), &m.upload_id)
                .await?;
        }
        // A deletion cut short leaves with the receipt its mark kept.
        let cause = file.lifecycle.deleting_for;
        let (reason, by) = cause.map_or((DeletionReason::Retention, DeletedBy::Retention), |c| {
            (c.reason, c.by)
        });
        let receipt = DeletionReceipt::of(file, reason, by, now);
        crate::lifecycle::purge(&*self.ledger, &*self.store, file, &receipt, now).await
    }

    async fn expire(
        &self,
        file: &FileRecord,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<(FileRecord, bool)>, CoreError> {
        let s = Settlement {
            status: FileStatus::Expired,
            detected_type: None,
            reason: Some(REASON_UPLOAD_TIMEOUT.to_owned()),
            at: now,
            stored_size: None,
            stored_etag: None,
            // The store gives the use back only while the link may (`LINK_GIVEBACKS`).
            give_back_link: crate::links::gives_back_on(FileStatus::Expired),
            scan: None,
        };
        // Settle first: if the worker got there meanwhile, the file is not ours to touch. A
        // failed removal keeps the cleanup mark, and the next run's cleanup pass retries it.
        if !self.ledger.settle(file, &s).await? {
            return Ok(None);
        }
        // The parts of an abandoned large upload are freed in S3 (they cost storage until
        // then); should that fail, the bucket's lifecycle rule aborts them within days.
        let mut aborted = true;
        if let Some(m) = &file.multipart
            && let Err(e) = self
                .multipart
                .abort_multipart(&file.key(), &m.upload_id)
                .await
        {
            tracing::warn!(file_id = %file.id, error = %e, "multipart upload of an expired file not aborted");
            aborted = false;
        }
        let removed = remove_and_mark(&*self.ledger, &*self.store, file).await && aborted;
        let expired = FileRecord {
            status: FileStatus::Expired,
            reason: s.reason,
            ..file.clone()
        };
        Ok(Some((expired, removed)))
    }
}
