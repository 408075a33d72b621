//! The owner's side of shares: create, list, edit, revoke, remove, see the downloads.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use serde::Serialize;

use super::{
    NewShare, Share, ShareEdit, ShareState, ShareStore, ShareView, hash_password,
    validate_new_share, validate_share_edit,
};
use crate::clock::Clock;
use crate::files::FileLookup;
use crate::ids::IdSource;
use crate::paging::parse_limit;
use crate::sealing::{SealContext, TokenSealer, open_all};
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
    /// Keeps each token so that the owner can see the URL again.
    pub sealer: Arc<dyn TokenSealer>,
    pub settings: Settings,
}

/// What a share's token is sealed for: only this share of this owner.
fn seal_context(share: &Share) -> SealContext<'_> {
    SealContext {
        purpose: "share",
        owner: &share.owner,
        id: share.id.as_str(),
    }
}

fn ended(state: ShareState) -> CoreError {
    let what = match state {
        ShareState::Revoked => "was revoked",
        ShareState::Expired => "has expired",
        _ => "has no downloads left",
    };
    CoreError::conflict(
        "share_ended",
        format!("this share {what}: its settings can no longer change"),
    )
}

fn active() -> CoreError {
    CoreError::conflict(
        "share_active",
        "this share is still active: revoke it before removing it",
    )
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
        self.create_pinned(owner, owner_email, file_id, req, None)
            .await
    }

    /// [`ShareService::create`], serving version `version` of the file (an accepted one) rather
    /// than whichever is current, when given.
    pub async fn create_pinned(
        &self,
        owner: &OwnerId,
        owner_email: Option<String>,
        file_id: &str,
        req: &NewShare,
        version: Option<u32>,
    ) -> Result<CreatedShare, CoreError> {
        let v = validate_new_share(&self.settings, req)?;
        let file_id = FileId::parse(file_id)?;
        let file = self
            .files
            .get_file(owner, &file_id)
            .await?
            // A version is shared through its file.
            .filter(|f| !f.in_trash() && !f.is_version() && !f.is_deleting())
            .ok_or(CoreError::NotFound)?;
        if file.status != FileStatus::Accepted {
            return Err(CoreError::conflict(
                "not_ready",
                "only an accepted file can be shared",
            ));
        }
        if let Some(n) = version {
            crate::versions::pinned(&*self.files, &file, n)
                .await?
                .ok_or_else(|| {
                    CoreError::missing("version_not_found", "no accepted version of that number")
                })?;
        }
        let token = tokens::encode(&self.ids.secret()?);
        let password_hash = self.hash(v.password.as_deref())?;
        let now = self.clock.now();
        let id = self.ids.share_id();
        let ctx = SealContext {
            purpose: "share",
            owner,
            id: id.as_str(),
        };
        // Sealed before anything is stored: a share whose URL could not be shown again is
        // never made.
        let token_sealed = Some(self.sealer.seal(&ctx, &token).await?);
        let share = Share {
            id,
            owner: owner.clone(),
            file_id,
            label: v.label,
            token_hash: tokens::hash(&token),
            token_sealed,
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
            version,
        };
        self.shares.put_share(&share).await?;
        let mut view = share.view(now);
        view.url = Some(self.url(&token));
        view.token = Some(token);
        Ok(CreatedShare { share: view })
    }

    /// A password's Argon2id hash under a fresh salt.
    fn hash(&self, password: Option<&str>) -> Result<Option<String>, CoreError> {
        match password {
            Some(p) => {
                let secret = self.ids.secret()?;
                let mut salt = [0u8; 16];
                salt.copy_from_slice(&secret[..16]);
                Ok(Some(hash_password(p, &salt)?))
            }
            None => Ok(None),
        }
    }

    /// The owner's views of `shares`, each with its URL when its token can be opened.
    async fn views(&self, shares: &[Share]) -> Result<Vec<ShareView>, CoreError> {
        let now = self.clock.now();
        let sealed: Vec<_> = shares
            .iter()
            .map(|s| (seal_context(s), s.token_sealed.as_deref()))
            .collect();
        let tokens = open_all(self.sealer.as_ref(), &sealed).await?;
        Ok(shares
            .iter()
            .zip(tokens)
            .map(|(s, token)| {
                if token.is_none() && s.token_sealed.is_some() {
                    tracing::warn!(share_id = %s.id, "sealed share token did not open");
                }
                let mut v = s.view(now);
                v.url = token.map(|t| self.url(&t));
                v
            })
            .collect())
    }

    /// One of the owner's shares.
    pub async fn view(&self, owner: &OwnerId, id: &str) -> Result<ShareView, CoreError> {
        let share = self.get(owner, id).await?;
        Ok(self.views(&[share]).await?.remove(0))
    }

    /// Changes a live share's settings (`409 share_ended` once it is revoked, expired or out
    /// of downloads). A new password (or none) clears the count of wrong ones and any lock.
    pub async fn edit(
        &self,
        owner: &OwnerId,
        id: &str,
        edit: &ShareEdit,
    ) -> Result<ShareView, CoreError> {
        let now = self.clock.now();
        let changes = validate_share_edit(&self.settings, edit, now)?;
        let share = self.get(owner, id).await?;
        if share.state(now) != ShareState::Active {
            return Err(ended(share.state(now)));
        }
        let new_password = changes.password.is_some();
        let hash = match &changes.password {
            Some(p) => self.hash(p.as_deref())?,
            None => None,
        };
        let edited = changes.applied_to(&share, hash);
        if !self.shares.update_share(&edited, now, new_password).await? {
            let now_share = self.get(owner, id).await?;
            return Err(ended(now_share.state(self.clock.now())));
        }
        self.view(owner, id).await
    }

    /// Removes an ended share from the owner's list (`409 share_active` while it is live:
    /// revoke it first), with nothing else: its download log goes by its own expiry.
    pub async fn remove(&self, owner: &OwnerId, id: &str) -> Result<(), CoreError> {
        let share = self.get(owner, id).await?;
        let now = self.clock.now();
        if share.state(now) == ShareState::Active {
            return Err(active());
        }
        if self.shares.remove_share(owner, &share.id, now).await? {
            Ok(())
        } else if self.shares.get_share(owner, &share.id).await?.is_some() {
            Err(active())
        } else {
            Err(CoreError::NotFound)
        }
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
        Ok(ShareListing {
            shares: self.views(&page.shares).await?,
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
