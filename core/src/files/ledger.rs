//! The ledger ports: files and quotas, which change together: every method that moves quota
//! does it in the same atomic write as the file record it concerns.
//!
//! Split by consumer, so that each sees only what it uses: [`FileService`] holds an
//! [`OwnerLedger`], [`Pipeline`] a [`PipelineLedger`], [`Janitor`] a [`JanitorLedger`] and
//! [`DropService`] a [`FileLookup`]. Each method lives in exactly one trait, so a concrete
//! adapter never has two methods of one name. Adapters implement them all and get [`Ledger`],
//! which the contract suite (`crate::contract::ledger`) and the wiring use.
//!
//! [`FileService`]: crate::files::FileService
//! [`Pipeline`]: crate::pipeline::Pipeline
//! [`Janitor`]: crate::janitor::Janitor
//! [`DropService`]: crate::links::DropService

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::QuotaUsage;
use crate::keys::UploadKey;
use crate::paging::cut_page;
use crate::{CoreError, FileId, FileRecord, FileStatus, OwnerId};

/// The outcome of a reservation attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    Reserved,
    QuotaExceeded,
}

/// A file's move to its next state (see [`FileStatus::can_become`]), with its upload-log
/// entry and, for a final verdict, its outbox entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Settlement {
    pub status: FileStatus,
    pub detected_type: Option<String>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    /// Size of the stored object (the log records what actually arrived).
    pub stored_size: Option<u64>,
    /// ETag of the judged object, when known: kept on the record to tell a later event for
    /// replaced bytes from a duplicate.
    pub stored_etag: Option<String>,
    /// Give the file's use and bytes back to the upload link it came through, in the same
    /// atomic write (see [`crate::links::gives_back_on`]). Ignored for files of no link.
    pub give_back_link: bool,
    /// The scan result written with the move, when `Some` (else the record's stays).
    pub scan: Option<crate::scan::ScanRecord>,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub files: Vec<FileRecord>,
    /// The last id of this page when more may follow.
    pub next_after: Option<FileId>,
}

impl Page {
    pub fn from_overfetch(files: Vec<FileRecord>, limit: usize) -> Self {
        let (files, next_after) = cut_page(files, limit, |f| f.id.clone());
        Self { files, next_after }
    }
}

/// Reading one record, and an owner's quota usage: all a link's stranger needs (the drop
/// tells the largest file the link takes now, the owner's free space included), and shared by
/// owner and pipeline.
#[async_trait]
pub trait FileLookup: Send + Sync {
    async fn get_file(&self, owner: &OwnerId, id: &FileId)
    -> Result<Option<FileRecord>, CoreError>;
    async fn usage(&self, owner: &OwnerId, limit: u64) -> Result<QuotaUsage, CoreError>;
}

/// Settling files and confirming their objects gone: the pipeline and the janitor both do it.
#[async_trait]
pub trait Settling: Send + Sync {
    /// Moves the record from `file.status` to `s.status` (a pending file to its verdict, or an
    /// accepted one whose bytes changed to rejected), settles the quota and writes the
    /// upload-log entry (the outbox entry that announces it, see [`crate::outbox`]),
    /// atomically. `false` (and no change at all) if the record is no longer in `file.status`.
    ///
    /// To `scanning`: sets `scan_started_at = s.at`, moves the quota reserved -> used and
    /// writes no outbox entry (nothing is final yet). To `accepted` or `held`: one entry
    /// (`upload.accepted`, `upload.held`). The quota follows [`crate::files::QuotaDelta::transition`];
    /// a link's pending bytes are released whenever the file leaves `pending`.
    async fn settle(&self, file: &FileRecord, s: &Settlement) -> Result<bool, CoreError>;
    /// Writes only the scan result on the record, if it is still in `file.status` (a result
    /// that beat the type verdict, kept for it); `false` (and no change) otherwise.
    async fn record_scan(
        &self,
        file: &FileRecord,
        scan: &crate::scan::ScanRecord,
    ) -> Result<bool, CoreError>;
    async fn mark_cleaned(&self, file: &FileRecord) -> Result<(), CoreError>;
}

/// Removing a file for good, with its deletion receipt: the owner (a final delete, a purge of
/// the trash), the janitor (a purge that is due) and an admin all do it, in this order:
/// [`Purging::mark_deleting`], the bytes, [`Purging::purge_file`] (`crate::lifecycle::purge`).
#[async_trait]
pub trait Purging: Send + Sync {
    /// Marks the record as being deleted at `at` (`deleting_at`), for what `receipt` says
    /// (`deleting_for`), each kept if already there, if it is still there and not under a
    /// legal hold; `false` (and no change) otherwise. From this write on a hold is refused, so
    /// the bytes removed next are never a held file's; a deletion cut short leaves the mark,
    /// and the next attempt finds the record and finishes, or the janitor does
    /// ([`JanitorLedger::marked_before`]).
    async fn mark_deleting(
        &self,
        file: &FileRecord,
        receipt: &crate::lifecycle::DeletionReceipt,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError>;
    /// Removes the record if it is still as read (its status, and in the trash since the same
    /// time or not in it), releasing what it held, writing its `file.deleted` outbox entry at
    /// `receipt.deleted_at` and `receipt` among the owner's deletion receipts: atomically.
    /// `false` (and no change) if the record changed or vanished meanwhile.
    async fn purge_file(
        &self,
        file: &FileRecord,
        receipt: &crate::lifecycle::DeletionReceipt,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError>;
}

/// An account owner's side: create, list, delete, the trash, receipts and the quota view.
#[async_trait]
pub trait OwnerLedger: FileLookup + Purging {
    /// Reserves `file.size` against `limit` and writes the pending record, atomically.
    async fn create_pending(&self, file: &FileRecord, limit: u64)
    -> Result<Reservation, CoreError>;
    /// Newest first, `limit` at most, starting after `after`.
    async fn list_files(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError>;
    /// Removes the record if it is still in `file.status`, releasing what it held, and, with
    /// `announce` set, writes its `file.deleted` outbox entry at that time: atomically. `false`
    /// if the record changed or vanished meanwhile.
    async fn remove_file(
        &self,
        file: &FileRecord,
        announce: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError>;
    /// Moves the file into the trash at `at` if it is still in `file.status` and not in the
    /// trash: it leaves `list_files` for `list_trash` and keeps its quota. `false` otherwise.
    async fn trash_file(&self, file: &FileRecord, at: DateTime<Utc>) -> Result<bool, CoreError>;
    /// Takes the file out of the trash if it is still there since `file`'s `trashed_at` and
    /// was put there at or after `not_due_before` (a file due for purging may be losing its
    /// bytes right now: it is not restored). `false` (and no change) otherwise. The restored
    /// record's `delete_after` becomes `file`'s (the caller drops one already past).
    async fn restore_file(
        &self,
        file: &FileRecord,
        not_due_before: DateTime<Utc>,
    ) -> Result<bool, CoreError>;
    /// Makes a file in the trash due for purging now (its `trashed_at` the Unix epoch) if it is
    /// still there since `file`'s `trashed_at`: from then on no restore can race the removal of
    /// its bytes, and a purge that fails half-way is finished by the janitor.
    async fn expedite_purge(&self, file: &FileRecord) -> Result<bool, CoreError>;
    /// Sets the file's `delete_after` (`None` removes it) if its record is still there and not
    /// in the trash; `false` (and no change) otherwise.
    async fn set_delete_after(
        &self,
        file: &FileRecord,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError>;
    /// The owner's files in the trash, newest first, like `list_files`.
    async fn list_trash(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError>;
    /// The owner's deletion receipts, newest first, `limit` at most, after the cursor a
    /// previous page returned.
    async fn list_receipts(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<crate::lifecycle::ReceiptPage, CoreError>;
}

/// The pipeline's side: a batch's records found from their object keys alone, then
/// settlements.
#[async_trait]
pub trait PipelineLedger: FileLookup + Settling {
    /// The records whose objects are under `keys`, strongly consistent: a record comes back
    /// only for the key it is stored under (its [`FileRecord::upload_key`]); keys of no record
    /// are absent. An owner-free key (`uploads/{file}`) is resolved through the file's pointer,
    /// written in the transaction that creates the record and removed with it, so an event can
    /// never arrive before its record can be found. One read of pointers and one of records per
    /// call, whatever the number of keys.
    async fn get_files(&self, keys: &[UploadKey]) -> Result<Vec<FileRecord>, CoreError>;
}

/// The janitor's side: what is overdue, then settlements.
#[async_trait]
pub trait JanitorLedger: Settling + Purging {
    /// Files put in the trash before `before`, at most `limit`, the longest there first.
    async fn due_trash(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError>;
    /// Live files (not in the trash) whose `delete_after` is at or before `now`, at most
    /// `limit`, the longest due first.
    async fn due_retention(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError>;
    /// Records marked by a removal for good ([`Purging::mark_deleting`], not the erasure's
    /// mark) before `before`, held ones left out, at most `limit`, the oldest mark first:
    /// deletions cut short, which the janitor finishes. Read through a sparse index of marked
    /// records only, never a scan of the files.
    async fn marked_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError>;
    /// Moves a file whose retention came into the trash, as [`OwnerLedger::trash_file`] does.
    async fn trash_retained(&self, file: &FileRecord, at: DateTime<Utc>)
    -> Result<bool, CoreError>;
    /// Pending files whose upload URL expired before `before`, at most `limit`.
    async fn stale_pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError>;
    /// Files `scanning` since before `before` (their `scan_started_at`), oldest first, at most
    /// `limit`: the scan never answered.
    async fn stale_scanning(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError>;
    /// Rejected or expired files whose object may still exist: `settle` to those states marks
    /// them, [`Settling::mark_cleaned`] clears the mark once the object is gone. The janitor
    /// retries what a failed removal left.
    async fn awaiting_cleanup(&self, limit: usize) -> Result<Vec<FileRecord>, CoreError>;
}

/// The whole ledger: what an adapter provides and the contract suite checks; consumers hold
/// only their narrow trait.
pub trait Ledger: OwnerLedger + PipelineLedger + JanitorLedger {}

impl<T: OwnerLedger + PipelineLedger + JanitorLedger> Ledger for T {}
