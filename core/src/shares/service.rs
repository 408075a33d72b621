//! The owner's side of shares: create, list, revoke, see the downloads.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use serde::Serialize;

use super::{NewShare, Share, ShareStore, ShareView, hash_password, validate_new_share};
use crate::clock::Clock;
use crate::files::FileLookup;
use crate::ids::IdSource;
use crate::paging::parse_limit;
use crate::time::rfc3339;
use crate::{CoreError, FileId, FileStatus, OwnerId, Settings, ShareId, tokens};

#[derive(Debug, Clone, Serialize)]
pub struct CreatedShare {
    pub share: ShareView,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShareListing {
    pub shares: Vec<ShareView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadView {
    pub at: String,
    pub user_agent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadListing {
    pub downloads: Vec<DownloadView>,
    pub next_cursor: Option<String>,
}

#[derive(Clone)]
pub struct ShareService {
    pub shares: Arc<dyn ShareStore>,
    pub files: Arc<dyn FileLookup>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub settings: Settings,
}

fn bad_cursor() -> CoreError {
    CoreError::invalid("invalid_cursor", "cursor is not one this API returned")
}

fn decode_share_cursor(raw: &str) -> Result<ShareId, CoreError> {
    let bytes = hex::decode(raw).map_err(|_| bad_cursor())?;
    let s = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    ShareId::parse(&s).map_err(|_| bad_cursor())
}

impl ShareService {
    /// The page a recipient opens.
    pub fn url(&self, token: &str) -> String {
        format!("{}/s/{token}", self.settings.public_base_url)
    }

    /// Shares one of the owner's accepted files (`409 not_ready` for any other state).
    pub async fn create(
        &self,
        owner: &OwnerId,
        owner_email: Option<String>,
        file_id: &str,
        req: &NewShare,
    ) -> Result<CreatedShare, CoreError> {
        let v = validate_new_share(&self.settings, req)?;
        let file_id = FileId::parse(file_id)?;
        let file = self
            .files
            .get_file(owner, &file_id)
            .await?
            .ok_or(CoreError::NotFound)?;
        if file.status != FileStatus::Accepted {
            return Err(CoreError::conflict(
                "not_ready",
                "only an accepted file can be shared",
            ));
        }
        let token = tokens::encode(&self.ids.secret()?);
        let password_hash = match &v.password {
            Some(p) => {
                let secret = self.ids.secret()?;
                let mut salt = [0u8; 16];
                salt.copy_from_slice(&secret[..16]);
                Some(hash_password(p, &salt)?)
            }
            None => None,
        };
        let now = self.clock.now();
        let share = Share {
            id: self.ids.share_id(),
            owner: owner.clone(),
            file_id,
            label: v.label,
            token_hash: tokens::hash(&token),
            created_at: now,
            // The TTL is bounded by the clamped MAX_SHARE_TTL_SECS, so this cannot overflow.
            expires_at: ChronoDuration::from_std(v.ttl)
                .ok()
                .and_then(|d| now.checked_add_signed(d))
                .ok_or_else(|| {
                    CoreError::invalid("invalid_expires_in", "expires_in is too large")
                })?,
            max_downloads: v.max_downloads,
            downloads: 0,
            password_hash,
            notify_owner: v.notify_owner,
            owner_email,
            revoked: false,
            mailed_at: None,
            failures: 0,
            locked_until: None,
        };
        self.shares.put_share(&share).await?;
        let mut view = share.view(now);
        view.url = Some(self.url(&token));
        view.token = Some(token);
        Ok(CreatedShare { share: view })
    }

    async fn get(&self, owner: &OwnerId, id: &str) -> Result<Share, CoreError> {
        let id = ShareId::parse(id)?;
        self.shares
            .get_share(owner, &id)
            .await?
            .ok_or(CoreError::NotFound)
    }

    /// The owner's shares (of one file when `file` is given; `404` unless it is theirs).
    pub async fn list(
        &self,
        owner: &OwnerId,
        file: Option<&str>,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<ShareListing, CoreError> {
        let file = match file {
            Some(f) => {
                let id = FileId::parse(f)?;
                self.files
                    .get_file(owner, &id)
                    .await?
                    .ok_or(CoreError::NotFound)?;
                Some(id)
            }
            None => None,
        };
        let limit = parse_limit(limit)?;
        let after = cursor.map(decode_share_cursor).transpose()?;
        let page = self
            .shares
            .list_shares(owner, file.as_ref(), limit, after.as_ref())
            .await?;
        let now = self.clock.now();
        Ok(ShareListing {
            shares: page.shares.iter().map(|s| s.view(now)).collect(),
            next_cursor: page.next_after.map(|id| hex::encode(id.as_str())),
        })
    }

    pub async fn revoke(&self, owner: &OwnerId, id: &str) -> Result<(), CoreError> {
        let id = ShareId::parse(id)?;
        if self.shares.revoke_share(owner, &id).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound)
        }
    }

    /// Revokes every share of a file (its deletion). Each is revoked on its own; a share left
    /// unrevoked by a failure still answers `410 file_gone`.
    pub async fn revoke_file(&self, owner: &OwnerId, file: &FileId) -> Result<u32, CoreError> {
        let mut revoked = 0;
        let mut after: Option<ShareId> = None;
        loop {
            let page = self
                .shares
                .list_shares(owner, Some(file), 100, after.as_ref())
                .await?;
            for s in page.shares.iter().filter(|s| !s.revoked) {
                self.shares.revoke_share(owner, &s.id).await?;
                revoked += 1;
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(revoked),
            }
        }
    }

    pub async fn downloads(
        &self,
        owner: &OwnerId,
        id: &str,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<DownloadListing, CoreError> {
        let share = self.get(owner, id).await?;
        let limit = parse_limit(limit)?;
        let after = match cursor {
            Some(c) => Some(
                hex::decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|k| !k.is_empty() && k.len() <= 100)
                    .ok_or_else(bad_cursor)?,
            ),
            None => None,
        };
        let page = self
            .shares
            .list_downloads(&share.id, limit, after.as_deref())
            .await?;
        Ok(DownloadListing {
            downloads: page
                .downloads
                .into_iter()
                .map(|d| DownloadView {
                    at: rfc3339(d.at),
                    user_agent: d.user_agent,
                    source_ip: d.source_ip,
                })
                .collect(),
            next_cursor: page.next_after.map(hex::encode),
        })
    }
}
