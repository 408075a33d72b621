//! The shares port: what the share capability needs from storage.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Share;
use crate::notify::{LifecycleEntry, OutboxEntry};
use crate::{CoreError, FileId, OwnerId, ShareId};

/// One page of an owner's shares, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SharePage {
    pub shares: Vec<Share>,
    pub next_after: Option<ShareId>,
}

impl SharePage {
    /// Cuts a listing fetched with one share more than `limit`.
    pub fn from_overfetch(shares: Vec<Share>, limit: usize) -> Self {
        let (shares, next_after) = crate::paging::cut_page(shares, limit, |s| s.id.clone());
        Self { shares, next_after }
    }
}

/// One counted download, as the download log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadEntry {
    pub share: ShareId,
    /// Unique within the share, time first: `<RFC 3339>#<random>`.
    pub key: String,
    pub at: DateTime<Utc>,
    pub user_agent: String,
    /// Only when the deployment logs downloaders' addresses (`LOG_DOWNLOADER_IP`).
    pub source_ip: Option<String>,
    /// When the entry is removed (TTL); set exactly when `source_ip` is.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DownloadPage {
    pub downloads: Vec<DownloadEntry>,
    pub next_after: Option<String>,
}

impl DownloadPage {
    /// Cuts a listing fetched with one entry more than `limit`, newest first.
    pub fn from_overfetch(downloads: Vec<DownloadEntry>, limit: usize) -> Self {
        let (downloads, next_after) = crate::paging::cut_page(downloads, limit, |d| d.key.clone());
        Self {
            downloads,
            next_after,
        }
    }
}

/// A download to count, all or nothing: the share's counter (only while the share is not
/// revoked, not expired at `now` and has a download left), the log entry, and the outbox
/// entry that announces it.
#[derive(Debug, Clone)]
pub struct DownloadCount<'a> {
    /// The share as read just before; its counters may have changed since, and so may its
    /// settings (an owner's edit): the download then counts as made before the edit.
    pub share: &'a Share,
    pub now: DateTime<Utc>,
    pub entry: &'a DownloadEntry,
    /// Claims the owner's mail: sets `mailed_at` to `now`, only if it is still what `share`
    /// says (a concurrent download that claimed it first makes this count fail; the caller
    /// counts again without the claim).
    pub claim_mail: bool,
    /// The `file.downloaded` entry, when the owner asked to be told.
    pub announce: Option<&'a OutboxEntry>,
    /// The `share.exhausted` entry, when this download is the share's last
    /// ([`LifecycleEntry::exhausted_by_next`] of `share`): then it counts only while the
    /// share's count and limit are still those of `share`. Without it, a share with a limit
    /// counts only while this download leaves one more, so that no count takes the last
    /// download unannounced (a lost race reads again).
    pub exhausted: Option<&'a LifecycleEntry>,
}

/// The lock of a share after too many wrong passwords, all or nothing: `locked_until` set to
/// `until` and the failure count back to zero (counting starts again once the lock ends), with
/// the `share.locked` outbox entry that mails the owner. Only while the share has at least
/// `max_failures` failures and is not locked at `now`: of concurrent attempts exactly one
/// locks it, so the owner is mailed once per lockout.
#[derive(Debug, Clone)]
pub struct ShareLock<'a> {
    pub share: &'a Share,
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub max_failures: u32,
    pub announce: &'a OutboxEntry,
}

#[async_trait]
pub trait ShareStore: Send + Sync {
    /// Writes a new share with its `share.created` outbox entry
    /// ([`LifecycleEntry::of_share`] at its `created_at`), all or nothing.
    async fn put_share(&self, share: &Share) -> Result<(), CoreError>;
    async fn get_share(&self, owner: &OwnerId, id: &ShareId) -> Result<Option<Share>, CoreError>;
    /// The share whose token hashes to `token_hash`.
    async fn find_share(&self, token_hash: &str) -> Result<Option<Share>, CoreError>;
    /// Newest first, at most `limit`, after `after`; only `file`'s when given.
    async fn list_shares(
        &self,
        owner: &OwnerId,
        file: Option<&FileId>,
        limit: usize,
        after: Option<&ShareId>,
    ) -> Result<SharePage, CoreError>;
    /// Writes the owner's settings of `share` (label, expiry, download limit, password,
    /// whether to notify) over the stored share, only while it is not revoked and not expired
    /// at `now`; its counters are left as they are, but with `new_password` its wrong-password
    /// count and lock are cleared (the guesses were at the old one). `false`, and nothing
    /// written, otherwise (or when there is no such share).
    async fn update_share(
        &self,
        share: &Share,
        now: DateTime<Utc>,
        new_password: bool,
    ) -> Result<bool, CoreError>;
    /// Removes an ended share (revoked, or expired at `now`, or out of downloads) from the
    /// owner's shares. `false`, and nothing removed, when there is no such share or it is
    /// still active.
    async fn remove_share(
        &self,
        owner: &OwnerId,
        id: &ShareId,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError>;
    /// `false` when there is no such share of `owner`. Revoking again is fine. The first
    /// revocation writes the `share.revoked` outbox entry (the share as it was read, at the
    /// time of the write) in the same transaction; a second one writes nothing.
    async fn revoke_share(&self, owner: &OwnerId, id: &ShareId) -> Result<bool, CoreError>;
    /// `true` when counted (and everything in `c` written); `false`, and nothing written, when
    /// a condition failed.
    async fn count_download(&self, c: &DownloadCount<'_>) -> Result<bool, CoreError>;
    /// Adds one wrong password to the share's count, atomically, unless the share is locked at
    /// `now`: the new count, or `None` (and nothing written) when it is locked or gone.
    async fn add_failure(
        &self,
        owner: &OwnerId,
        id: &ShareId,
        now: DateTime<Utc>,
    ) -> Result<Option<u32>, CoreError>;
    /// `true` when this call locked the share (see [`ShareLock`]); `false`, and nothing
    /// written, when a condition failed.
    async fn lock_share(&self, l: &ShareLock<'_>) -> Result<bool, CoreError>;
    /// A share's downloads, newest first.
    async fn list_downloads(
        &self,
        share: &ShareId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<DownloadPage, CoreError>;
}
