//! Share links: an owner hands a stranger (or many) an expiring, counted, optionally
//! password-protected download link to one accepted file.
//!
//! Only a person asking for the bytes counts: `POST /share/{token}/download`. The page, the
//! info route, `HEAD`, prefetches and link-preview bots only ever `GET`, and no `GET` counts, so
//! chat apps and scanners cannot burn a one-time link. The count is a conditional update in
//! the same transaction as the download-log entry (and the outbox entry that tells the owner),
//! so a share gives exactly as many downloads as promised, whatever runs concurrently.

mod access;
mod attempts;
mod edit;
mod lockout;
mod passwords;
mod rules;
mod service;
mod store;
mod useragent;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::time::rfc3339;
use crate::{FileId, OwnerId, ShareId};

pub use access::{ShareAccess, ShareDownload, ShareInfo, ShareUnlocked};
pub use edit::{ShareChanges, ShareEdit, validate_share_edit};
pub use lockout::{Lockout, locked as share_locked, lockout_check};
pub use passwords::{hash_password, verify_password};
pub use rules::{
    DEFAULT_SHARE_TTL_SECS, MAIL_EVERY, MAX_MAX_DOWNLOADS, NewShare, ValidShare, validate_new_share,
};
pub use service::{CreatedShare, DownloadListing, ShareListing, ShareService};
pub use store::{DownloadCount, DownloadEntry, DownloadPage, ShareLock, SharePage, ShareStore};
pub use useragent::family as user_agent_family;

/// A share as stored (the token never is; the password only as its Argon2id hash).
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub id: ShareId,
    pub owner: OwnerId,
    pub file_id: FileId,
    pub label: Option<String>,
    /// SHA-256 of the token, hex: the lookup key.
    pub token_hash: String,
    /// The token sealed under the stack's key ([`crate::sealing`]), so its owner can see the
    /// URL again; `None` for shares made before tokens were sealed.
    pub token_sealed: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// `None`: unlimited within the expiry.
    pub max_downloads: Option<u32>,
    pub downloads: u32,
    /// Argon2id, PHC string.
    pub password_hash: Option<String>,
    pub notify_owner: bool,
    /// The owner's address when the share was made: kept for items written before, never
    /// where a mail goes (the notifier reads the owner's current address).
    pub owner_email: Option<String>,
    pub revoked: bool,
    /// When the owner was last mailed about a download (at most one mail per [`MAIL_EVERY`]).
    pub mailed_at: Option<DateTime<Utc>>,
    /// Wrong passwords given since the share was created or last locked, from every address
    /// together (see [`lockout`]).
    pub failures: u32,
    /// Until when every password attempt is refused (`429 share_locked`).
    pub locked_until: Option<DateTime<Utc>>,
    /// The version of the file it serves; `None`: whichever is current.
    pub version: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    Active,
    Expired,
    Exhausted,
    Revoked,
}

impl Share {
    /// Revoked wins over expired, expired over exhausted.
    pub fn state(&self, now: DateTime<Utc>) -> ShareState {
        if self.revoked {
            ShareState::Revoked
        } else if now >= self.expires_at {
            ShareState::Expired
        } else if self.downloads_left() == Some(0) {
            ShareState::Exhausted
        } else {
            ShareState::Active
        }
    }

    /// `None`: unlimited.
    pub fn downloads_left(&self) -> Option<u32> {
        self.max_downloads.map(|m| m.saturating_sub(self.downloads))
    }

    pub fn view(&self, now: DateTime<Utc>) -> ShareView {
        ShareView {
            id: self.id.to_string(),
            file_id: self.file_id.to_string(),
            url: None,
            token: None,
            label: self.label.clone(),
            expires_at: rfc3339(self.expires_at),
            max_downloads: self.max_downloads,
            downloads: self.downloads,
            downloads_left: self.downloads_left(),
            password_protected: self.password_hash.is_some(),
            notify_owner: self.notify_owner,
            state: self.state(now),
            created_at: rfc3339(self.created_at),
            version: self.version,
        }
    }
}

/// A share as its owner sees it; `url` (filled in by the service, `null` when the token
/// cannot be shown again), `token` only in the creation answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareView {
    pub id: String,
    pub file_id: String,
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub label: Option<String>,
    pub expires_at: String,
    pub max_downloads: Option<u32>,
    pub downloads: u32,
    pub downloads_left: Option<u32>,
    pub password_protected: bool,
    pub notify_owner: bool,
    pub state: ShareState,
    pub created_at: String,
    /// The version it serves, when created with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}
