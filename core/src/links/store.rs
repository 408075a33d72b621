//! The links port: what the link capability needs from storage.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Link;
use crate::files::Page;
use crate::notify::LifecycleEntry;
use crate::{CoreError, FileId, FileRecord, LinkId, OwnerId};

/// One page of an owner's links, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPage {
    pub links: Vec<Link>,
    pub next_after: Option<LinkId>,
}

impl LinkPage {
    /// Cuts a listing fetched with one link more than `limit`.
    pub fn from_overfetch(links: Vec<Link>, limit: usize) -> Self {
        let (links, next_after) = crate::paging::cut_page(links, limit, |l| l.id.clone());
        Self { links, next_after }
    }
}

/// One drop through a link, as the store must apply it: all or nothing.
#[derive(Debug, Clone)]
pub struct LinkDrop<'a> {
    /// The link as read just before; its counters may have changed since, and so may its
    /// limits (an owner's edit): the drop then counts as made before the edit.
    pub link: &'a Link,
    /// The pending record to write (its `size` is what is reserved and counted).
    pub file: &'a FileRecord,
    /// SHA-256 of the receipt handed to the uploader.
    pub receipt_hash: &'a str,
    /// The owner's quota.
    pub quota_limit: u64,
    pub now: DateTime<Utc>,
    /// The `link.used_up` entry, when this drop takes the link's last use
    /// ([`LifecycleEntry::used_up_by_next`] of `link`): then the drop goes through only while
    /// the link's count and limit are still those of `link`. Without it, only while a use is
    /// left after this one, so that no drop takes the last use unannounced (the caller reads
    /// the link again and retries).
    pub used_up: Option<&'a LifecycleEntry>,
}

impl LinkDrop<'_> {
    /// The largest `uploads_used` that still leaves a use for this drop.
    pub fn max_uploads_used(&self) -> u32 {
        self.link.max_uploads.saturating_sub(1)
    }

    /// The largest `bytes_used` that still leaves room for this file; `None` when the link
    /// has no total limit. Callers refuse a file larger than the whole total before asking.
    pub fn max_bytes_used(&self) -> Option<u64> {
        self.link
            .max_total_bytes
            .map(|m| m.saturating_sub(self.file.size))
    }

    /// The largest `pending_bytes` that still leaves room for this file under the link's
    /// `max_pending_bytes`; `None` when the file alone is larger (the drop is refused).
    pub fn max_pending_used(&self) -> Option<u64> {
        self.link.max_pending_bytes.checked_sub(self.file.size)
    }
}

/// How a drop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReservation {
    /// The link was used, the quota reserved, the file and its receipt written.
    Reserved,
    /// The owner's quota has no room; the link was not used.
    QuotaExceeded,
    /// The link was revoked, expired or used up meanwhile, or its pending bytes have no room
    /// for this file; nothing was written.
    LinkRefused,
}

#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Writes a new link with its `link.created` outbox entry ([`LifecycleEntry::of_link`] at
    /// its `created_at`), all or nothing; never over a stored link.
    async fn put_link(&self, link: &Link) -> Result<(), CoreError>;
    async fn get_link(&self, owner: &OwnerId, id: &LinkId) -> Result<Option<Link>, CoreError>;
    /// Several links in one round trip; missing ones are absent.
    async fn get_links(&self, keys: &[(OwnerId, LinkId)]) -> Result<Vec<Link>, CoreError>;
    /// Newest first, at most `limit`, after `after`.
    async fn list_links(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&LinkId>,
    ) -> Result<LinkPage, CoreError>;
    /// Marks the link revoked (again is fine); `false` when the owner has no such link. The
    /// first revocation writes the `link.revoked` outbox entry (the link as read, at `at`) in
    /// the same transaction; a second one writes nothing.
    async fn revoke_link(
        &self,
        owner: &OwnerId,
        id: &LinkId,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError>;
    /// Writes the owner's settings of `link` (label, expiry, limits, allowed types, whether a
    /// name is required) over the stored link, only while it is not revoked and not expired at
    /// `now`; its counters are left as they are. `false`, and nothing written, otherwise (or
    /// when there is no such link).
    async fn update_link(&self, link: &Link, now: DateTime<Utc>) -> Result<bool, CoreError>;
    /// Removes an ended link (revoked, or expired at `now`, or used up) from the owner's
    /// links; files that came through it stay. `false`, and nothing removed, when there is no
    /// such link or it is still active.
    async fn remove_link(
        &self,
        owner: &OwnerId,
        id: &LinkId,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError>;
    /// The link whose token hashes to `token_hash`.
    async fn find_link(&self, token_hash: &str) -> Result<Option<Link>, CoreError>;
    /// Uses the link once (one upload, `file.size` bytes, counted also as pending bytes under
    /// `max_pending_bytes`), reserves the owner's quota, and writes the pending record and its
    /// receipt: one atomic step. A refused quota never uses the link; a used link always has
    /// its file. Settling a pending link file (see [`crate::files::Settling::settle`]) or
    /// removing it releases its pending bytes in the same write; an expiry with
    /// `give_back_link` gives the use back only while [`Link::can_give_back`], counting it.
    async fn create_pending_via_link(
        &self,
        drop: &LinkDrop<'_>,
    ) -> Result<DropReservation, CoreError>;
    /// Moves the upload deadline of a pending drop forward to `until` (never back): activity
    /// on a multipart drop keeps its reservation. `false` when the file is no longer pending.
    async fn extend_drop(&self, file: &FileRecord, until: DateTime<Utc>)
    -> Result<bool, CoreError>;
    /// The file a receipt follows.
    async fn find_receipt(
        &self,
        receipt_hash: &str,
    ) -> Result<Option<(OwnerId, FileId)>, CoreError>;
    /// The files that came through one link, newest first; none in the trash.
    async fn list_link_files(
        &self,
        owner: &OwnerId,
        link: &LinkId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError>;
}
