//! The recipient's side of a share: what it is, and the download that counts.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use serde::Serialize;

use super::store::{DownloadCount, DownloadEntry};
use super::{MAIL_EVERY, Share, ShareState, ShareStore};
use crate::clock::Clock;
use crate::files::{FileLookup, presign_download};
use crate::ids::IdSource;
use crate::notify::{EventType, LifecycleEntry, OutboxEntry, ShareNotice};
use crate::objects::ObjectStore;
use crate::profile::Profiles;
use crate::ratelimit::RateLimiter;
use crate::time::rfc3339;
use crate::{CoreError, FileRecord, FileStatus, Settings, tokens};

/// How long the presigned GET of a counted download lives: long enough to start it, too short
/// to pass around.
pub const DOWNLOAD_URL_TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// Concurrent downloads racing for the owner's mail make a count retry; bounded.
const COUNT_ATTEMPTS: usize = 4;

/// What a share holds, once its password (if any) was shown: `POST /share/{token}/unlock`,
/// and `GET /share/{token}` of a share without a password. Of the owner, only the display
/// name they chose to show (never their email).
#[derive(Debug, Clone, Serialize)]
pub struct ShareUnlocked {
    pub name: String,
    /// The owner's display name as it is now, or `None` when they set none.
    pub shared_by: Option<String>,
    pub size: u64,
    pub content_type: String,
    pub expires_at: String,
    pub downloads_left: Option<u32>,
    /// The version served, once the file has more than one (or the share names one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
}

/// `GET /share/{token}`: a share with a password tells only that, and when it expires, until
/// the password is shown (no name, size or type to learn from a token alone).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ShareInfo {
    Open {
        #[serde(flatten)]
        file: ShareUnlocked,
        password_required: bool,
    },
    Protected {
        password_required: bool,
        expires_at: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct ShareDownload {
    pub url: String,
    pub expires_at: String,
}

#[derive(Clone)]
pub struct ShareAccess {
    pub shares: Arc<dyn ShareStore>,
    pub files: Arc<dyn FileLookup>,
    /// The owner's display name, read at each open: a share never holds a copy to go stale.
    pub profiles: Arc<dyn Profiles>,
    pub store: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    /// Failed lookups per source address (shared with the drop routes).
    pub lookups: RateLimiter,
    /// Password attempts per share and source address, counted before the verify (so a burst
    /// cannot pass before any is counted); keyed by both, so one stranger cannot lock the
    /// real recipient out by this limit (the share's lockout, which counts every address
    /// together, is the one that can, and tells the owner).
    pub per_share: RateLimiter,
    /// Wrong passwords per source address, whatever share.
    pub per_source: RateLimiter,
    /// Where a lockout is recorded (`share.locked`).
    pub audit: Arc<dyn crate::audit::AuditTrail>,
    /// The owner's standing: a stopped account's shares serve nothing (`410 share_disabled`).
    pub standing: Arc<dyn crate::standing::StandingStore>,
    pub settings: Settings,
}

fn not_found() -> CoreError {
    CoreError::missing("share_not_found", "no such share")
}

fn refused(state: ShareState) -> Option<CoreError> {
    match state {
        ShareState::Active => None,
        ShareState::Expired => Some(CoreError::gone("share_expired", "this share has expired")),
        ShareState::Revoked => Some(CoreError::gone(
            "share_revoked",
            "this share was withdrawn by its owner",
        )),
        ShareState::Exhausted => Some(CoreError::gone(
            "share_exhausted",
            "this share has no downloads left",
        )),
    }
}

fn unlocked(share: &Share, file: FileRecord, shared_by: Option<String>) -> ShareUnlocked {
    // The page names the version it serves once the file has more than one.
    let head = &file.versioning.head;
    let version = (share.version.is_some() || head.last_n > 1).then(|| head.current_n());
    let served = file.served();
    ShareUnlocked {
        name: served.name,
        shared_by,
        size: served.size,
        content_type: served.detected_type.unwrap_or(served.content_type),
        expires_at: rfc3339(share.expires_at),
        downloads_left: share.downloads_left(),
        version,
    }
}

fn file_gone() -> CoreError {
    CoreError::gone("file_gone", "the shared file no longer exists")
}

impl ShareAccess {
    /// Who shared it, as the owner names themself now.
    async fn shared_by(&self, share: &Share) -> Result<Option<String>, CoreError> {
        Ok(self.profiles.profile(&share.owner).await?.display_name)
    }

    /// The share behind `token` and its file, if both can be used now.
    async fn usable(&self, token: &str) -> Result<(Share, FileRecord), CoreError> {
        if token.is_empty() || token.len() > 128 {
            return Err(not_found());
        }
        let share = self
            .shares
            .find_share(&tokens::hash(token))
            .await?
            .ok_or_else(not_found)?;
        if let Some(e) = refused(share.state(self.clock.now())) {
            return Err(e);
        }
        // Read at each open: restoring the account restores every share that was live.
        if self.standing.standing(&share.owner).await?.disabled {
            tracing::info!(share_id = %share.id, owner = %share.owner, decision = "share_disabled", "share refused: the owner's account is stopped");
            return Err(CoreError::gone(
                "share_disabled",
                "this share's account is stopped by an operator",
            ));
        }
        let file = self
            .files
            .get_file(&share.owner, &share.file_id)
            .await?
            // A file in the trash is gone for its shares (a restore revokes them).
            // Nor one whose deletion for good began: its bytes may be gone.
            .filter(|f| f.status == FileStatus::Accepted && !f.in_trash() && !f.is_deleting())
            .ok_or_else(file_gone)?;
        // A share of one version serves it whatever is current; once it is gone, so is the
        // share's file.
        let file = match share.version {
            None => file,
            Some(n) => crate::versions::pinned(&*self.files, &file, n)
                .await?
                .ok_or_else(file_gone)?,
        };
        Ok((share, file))
    }

    /// What a share offers (only that it needs a password, when it does). Counts nothing.
    pub async fn info(&self, token: &str, source: &str) -> Result<ShareInfo, CoreError> {
        let (share, file) = self.lookups.guard(source, self.usable(token)).await?;
        if share.password_hash.is_some() {
            return Ok(ShareInfo::Protected {
                password_required: true,
                expires_at: rfc3339(share.expires_at),
            });
        }
        let shared_by = self.shared_by(&share).await?;
        Ok(ShareInfo::Open {
            file: unlocked(&share, file, shared_by),
            password_required: false,
        })
    }

    /// What a share holds, for its password (checked, limited and counted toward the lockout
    /// as a download's is). Counts no download.
    pub async fn unlock(
        &self,
        token: &str,
        password: &str,
        source: &str,
    ) -> Result<ShareUnlocked, CoreError> {
        let (share, file) = self.lookups.guard(source, self.usable(token)).await?;
        self.check_password(&share, &file, Some(password), source)
            .await?;
        let shared_by = self.shared_by(&share).await?;
        tracing::info!(share_id = %share.id, decision = "unlocked", "share unlocked");
        Ok(unlocked(&share, file, shared_by))
    }

    /// Checks the password (rate-limited per share and per source), counts one download and
    /// presigns the GET. Exactly `max_downloads` of these ever succeed.
    pub async fn download(
        &self,
        token: &str,
        password: Option<&str>,
        user_agent: &str,
        source: &str,
    ) -> Result<ShareDownload, CoreError> {
        let (share, file) = self.lookups.guard(source, self.usable(token)).await?;
        self.check_password(&share, &file, password, source).await?;
        let downloads_left = self.count(share, &file, user_agent, source).await?;
        // The file's current version, unless the share names one.
        let url = presign_download(self.store.as_ref(), &file.served(), DOWNLOAD_URL_TTL).await?;
        tracing::info!(file_id = %file.id, downloads_left = ?downloads_left, decision = "counted", "share download");
        Ok(ShareDownload {
            url: url.url,
            expires_at: url.expires_at,
        })
    }

    /// Counts one download of `share` (read again after a lost race), with its log and outbox
    /// entries; the downloads left after it.
    async fn count(
        &self,
        mut share: Share,
        file: &FileRecord,
        user_agent: &str,
        source: &str,
    ) -> Result<Option<u32>, CoreError> {
        for _ in 0..COUNT_ATTEMPTS {
            let now = self.clock.now();
            let nonce = hex::encode(&self.ids.secret()?[..8]);
            let keep_ip = self.settings.log_downloader_ip;
            let entry = DownloadEntry {
                share: share.id.clone(),
                key: format!("{}#{nonce}", rfc3339(now)),
                at: now,
                user_agent: super::user_agent_family(user_agent).to_owned(),
                source_ip: keep_ip.then(|| source.to_owned()),
                expires_at: keep_ip.then(|| {
                    now.checked_add_signed(ChronoDuration::days(i64::from(
                        self.settings.download_log_retention_days,
                    )))
                    .unwrap_or(now)
                }),
            };
            let left = share
                .max_downloads
                .map(|m| m.saturating_sub(share.downloads + 1));
            // Whom it goes to is read when it goes out (the owner's current address), not
            // from the share's old copy of it.
            let claim_mail =
                share.notify_owner && share.mailed_at.is_none_or(|t| now - t >= MAIL_EVERY);
            let announce = share.notify_owner.then(|| OutboxEntry {
                id: format!(
                    "{}#{}#{}#{}",
                    rfc3339(now),
                    file.id,
                    EventType::FileDownloaded.as_str(),
                    nonce
                ),
                event: EventType::FileDownloaded,
                file: file.clone(),
                at: now,
                share: Some(ShareNotice {
                    share: share.id.clone(),
                    label: share.label.clone(),
                    downloads_left: left,
                    mail: claim_mail,
                    locked_until: None,
                }),
            });
            let exhausted = LifecycleEntry::exhausted_by_next(&share, now);
            let counted = self
                .shares
                .count_download(&DownloadCount {
                    share: &share,
                    now,
                    entry: &entry,
                    claim_mail,
                    announce: announce.as_ref(),
                    exhausted: exhausted.as_ref(),
                })
                .await?;
            if counted {
                return Ok(left);
            }
            // Lost to a concurrent download (the last one, or the mail claim): read again.
            share = self
                .shares
                .get_share(&share.owner, &share.id)
                .await?
                .ok_or_else(not_found)?;
            if let Some(e) = refused(share.state(self.clock.now())) {
                return Err(e);
            }
        }
        Err(CoreError::Throttled)
    }
}
