//! [`MemShares`]: shares and their download log in memory, with the adapter's conditions.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::notify::{EventType, LifecycleEntry, OutboxEntry};
use crate::shares::{
    DownloadCount, DownloadEntry, DownloadPage, Share, ShareLock, SharePage, ShareStore,
};
use crate::{CoreError, FileId, OwnerId, ShareId};

/// Shares and their download log in memory, with the adapter's conditions.
#[derive(Default)]
pub struct MemShares {
    pub(super) shares: Mutex<BTreeMap<(OwnerId, ShareId), Share>>,
    pub downloads: Mutex<Vec<DownloadEntry>>,
    /// The outbox entries counted downloads wrote.
    pub announced: Mutex<Vec<OutboxEntry>>,
    /// The outbox entries of the shares' own life (created, exhausted, revoked).
    pub lifecycle: Mutex<Vec<LifecycleEntry>>,
    /// Shares whose expiry the janitor closed (announced or passed over).
    pub(super) expiry_closed: Mutex<std::collections::BTreeSet<(OwnerId, ShareId)>>,
}

#[async_trait]
impl ShareStore for MemShares {
    async fn put_share(&self, share: &Share) -> Result<(), CoreError> {
        let mut shares = self.shares.lock().unwrap();
        let key = (share.owner.clone(), share.id.clone());
        if shares.insert(key, share.clone()).is_some() {
            // A test's rewrite of a stored share: not a new one.
            return Ok(());
        }
        self.lifecycle
            .lock()
            .unwrap()
            .push(LifecycleEntry::of_share(
                EventType::ShareCreated,
                share,
                share.created_at,
            ));
        Ok(())
    }

    async fn get_share(&self, owner: &OwnerId, id: &ShareId) -> Result<Option<Share>, CoreError> {
        Ok(self
            .shares
            .lock()
            .unwrap()
            .get(&(owner.clone(), id.clone()))
            .cloned())
    }

    async fn find_share(&self, token_hash: &str) -> Result<Option<Share>, CoreError> {
        Ok(self
            .shares
            .lock()
            .unwrap()
            .values()
            .find(|s| s.token_hash == token_hash)
            .cloned())
    }

    async fn list_shares(
        &self,
        owner: &OwnerId,
        file: Option<&FileId>,
        limit: usize,
        after: Option<&ShareId>,
    ) -> Result<SharePage, CoreError> {
        let all: Vec<Share> = self
            .shares
            .lock()
            .unwrap()
            .values()
            .rev()
            .filter(|s| &s.owner == owner)
            .filter(|s| file.is_none_or(|f| &s.file_id == f))
            .filter(|s| after.is_none_or(|a| &s.id < a))
            .take(limit + 1)
            .cloned()
            .collect();
        Ok(SharePage::from_overfetch(all, limit))
    }

    async fn update_share(
        &self,
        share: &Share,
        now: DateTime<Utc>,
        new_password: bool,
    ) -> Result<bool, CoreError> {
        let mut shares = self.shares.lock().unwrap();
        match shares.get_mut(&(share.owner.clone(), share.id.clone())) {
            Some(s) if !s.revoked && now < s.expires_at => {
                s.label = share.label.clone();
                s.expires_at = share.expires_at;
                s.max_downloads = share.max_downloads;
                s.notify_owner = share.notify_owner;
                if new_password {
                    s.password_hash = share.password_hash.clone();
                    s.failures = 0;
                    s.locked_until = None;
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn remove_share(
        &self,
        owner: &OwnerId,
        id: &ShareId,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let mut shares = self.shares.lock().unwrap();
        let key = (owner.clone(), id.clone());
        match shares.get(&key) {
            Some(s) if s.state(now) != crate::shares::ShareState::Active => {
                shares.remove(&key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_share(&self, owner: &OwnerId, id: &ShareId) -> Result<bool, CoreError> {
        match self
            .shares
            .lock()
            .unwrap()
            .get_mut(&(owner.clone(), id.clone()))
        {
            Some(s) => {
                if !s.revoked {
                    let e = LifecycleEntry::of_share(EventType::ShareRevoked, s, Utc::now());
                    s.revoked = true;
                    self.lifecycle.lock().unwrap().push(e);
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn count_download(&self, c: &DownloadCount<'_>) -> Result<bool, CoreError> {
        let mut shares = self.shares.lock().unwrap();
        let Some(s) = shares.get_mut(&(c.share.owner.clone(), c.share.id.clone())) else {
            return Ok(false);
        };
        let open = !s.revoked
            && c.now < s.expires_at
            && s.max_downloads.is_none_or(|m| s.downloads < m)
            && (!c.claim_mail || s.mailed_at == c.share.mailed_at)
            && match (c.exhausted, c.share.max_downloads) {
                (Some(_), _) => {
                    s.downloads == c.share.downloads && s.max_downloads == c.share.max_downloads
                }
                (None, Some(m)) => s.downloads + 1 < m,
                (None, None) => true,
            };
        if !open {
            return Ok(false);
        }
        s.downloads += 1;
        if c.claim_mail {
            s.mailed_at = Some(c.now);
        }
        self.downloads.lock().unwrap().push(c.entry.clone());
        if let Some(e) = c.announce {
            self.announced.lock().unwrap().push(e.clone());
        }
        if let Some(e) = c.exhausted {
            self.lifecycle.lock().unwrap().push(e.clone());
        }
        Ok(true)
    }

    async fn add_failure(
        &self,
        owner: &OwnerId,
        id: &ShareId,
        now: DateTime<Utc>,
    ) -> Result<Option<u32>, CoreError> {
        let mut shares = self.shares.lock().unwrap();
        let Some(s) = shares.get_mut(&(owner.clone(), id.clone())) else {
            return Ok(None);
        };
        if s.locked_until.is_some_and(|u| now < u) {
            return Ok(None);
        }
        s.failures += 1;
        Ok(Some(s.failures))
    }

    async fn lock_share(&self, l: &ShareLock<'_>) -> Result<bool, CoreError> {
        let mut shares = self.shares.lock().unwrap();
        let Some(s) = shares.get_mut(&(l.share.owner.clone(), l.share.id.clone())) else {
            return Ok(false);
        };
        if s.failures < l.max_failures || s.locked_until.is_some_and(|u| l.now < u) {
            return Ok(false);
        }
        s.failures = 0;
        s.locked_until = Some(l.until);
        self.announced.lock().unwrap().push(l.announce.clone());
        Ok(true)
    }

    async fn list_downloads(
        &self,
        share: &ShareId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<DownloadPage, CoreError> {
        let mut all: Vec<DownloadEntry> = self
            .downloads
            .lock()
            .unwrap()
            .iter()
            .filter(|d| &d.share == share)
            .filter(|d| after.is_none_or(|a| d.key.as_str() < a))
            .cloned()
            .collect();
        all.sort_by(|a, b| b.key.cmp(&a.key));
        Ok(DownloadPage::from_overfetch(all, limit))
    }
}
