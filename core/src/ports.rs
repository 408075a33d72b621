//! Ports: what the domain needs from the outside world. Adapters over AWS live in
//! `dropgate-infra`; in-memory fakes in [`crate::fakes`].

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::notification::Notification;
use crate::quota::QuotaUsage;
use crate::{CoreError, FileId, FileRecord, FileStatus, LinkId, OwnerId};

/// A request the client performs itself, straight against the object store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Exactly the headers the client must send (they are signed).
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

/// The first bytes of an object and its full size.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSample {
    pub bytes: Vec<u8>,
    pub size: u64,
    /// The object's ETag, without quotes, when the store says.
    pub etag: Option<String>,
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A presigned PUT that signs content-length and content-type and refuses to overwrite.
    async fn presign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError>;
    /// A presigned GET whose response carries `content_disposition`.
    async fn presign_get(
        &self,
        key: &str,
        content_disposition: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError>;
    /// At most `max_bytes` from the start of the object (a ranged read, never the whole
    /// object), or `None` if there is no such object.
    async fn sample(&self, key: &str, max_bytes: u64) -> Result<Option<ObjectSample>, CoreError>;
    /// Removes the object; removing a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), CoreError>;
}

/// The outcome of a reservation attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    Reserved,
    QuotaExceeded,
}

/// A pending file's move to a terminal state, with its upload-log entry.
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
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub files: Vec<FileRecord>,
    /// The last id of this page when more may follow.
    pub next_after: Option<FileId>,
}

impl Page {
    /// Cuts a listing fetched with one record more than `limit` (newest first): the extra
    /// record only says that another page exists.
    pub fn from_overfetch(mut files: Vec<FileRecord>, limit: usize) -> Self {
        let more = files.len() > limit;
        files.truncate(limit);
        let next_after = if more {
            files.last().map(|f| f.id.clone())
        } else {
            None
        };
        Self { files, next_after }
    }
}

/// Files and quotas, which change together: every method that moves quota does it in the same
/// atomic write as the file record it concerns.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Reserves `file.size` against `limit` and writes the pending record, atomically.
    async fn create_pending(&self, file: &FileRecord, limit: u64)
    -> Result<Reservation, CoreError>;
    async fn get_file(&self, owner: &OwnerId, id: &FileId)
    -> Result<Option<FileRecord>, CoreError>;
    /// Several records in one round trip (strongly consistent); missing ones are absent.
    async fn get_files(&self, ids: &[(OwnerId, FileId)]) -> Result<Vec<FileRecord>, CoreError>;
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
    /// Moves the record from `file.status` to `s.status` (a pending file to its verdict, or an
    /// accepted one whose bytes changed to rejected), settles the quota and writes the
    /// upload-log entry (the outbox entry that announces it, see [`crate::outbox`]),
    /// atomically. `false` (and no change at all) if the record is no longer in `file.status`.
    async fn settle(&self, file: &FileRecord, s: &Settlement) -> Result<bool, CoreError>;
    async fn usage(&self, owner: &OwnerId, limit: u64) -> Result<QuotaUsage, CoreError>;
    /// Pending files whose upload URL expired before `before`, at most `limit`.
    async fn stale_pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError>;
    /// Rejected or expired files whose object may still exist: `settle` to those states marks
    /// them, [`Ledger::mark_cleaned`] clears the mark once the object is gone. The janitor
    /// retries what a failed removal left.
    async fn awaiting_cleanup(&self, limit: usize) -> Result<Vec<FileRecord>, CoreError>;
    async fn mark_cleaned(&self, file: &FileRecord) -> Result<(), CoreError>;
}

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Publishes every message (batched where the transport allows).
    async fn publish(&self, messages: &[Notification]) -> Result<(), CoreError>;
}

/// A plain-text email to an owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), CoreError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Where new ids and secrets come from (time-ordered ids and the OS's CSPRNG in production).
pub trait IdSource: Send + Sync {
    fn file_id(&self) -> FileId;
    fn link_id(&self) -> LinkId;
    /// Fresh random bytes for a bearer secret (see [`crate::tokens`]); an error when the
    /// system's random source fails (no secret is better than a guessable one).
    fn secret(&self) -> Result<[u8; crate::tokens::SECRET_BYTES], CoreError>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
