//! The expiry announcements' stores in memory: a set of closed links (of [`MemLedger`]) and
//! shares (of [`MemShares`]) stands for the store's marker; a close writes the marker and its
//! entry under the one lock, as the store's transaction does.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock::lock;
use super::{MemLedger, MemShares};
use crate::CoreError;
use crate::expiry::{LinkExpiries, ShareExpiries};
use crate::links::Link;
use crate::notify::LifecycleEntry;
use crate::shares::Share;

#[async_trait]
impl LinkExpiries for MemLedger {
    async fn links_expired(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Link>, CoreError> {
        let closed = lock(&self.expiry_closed);
        let links = lock(&self.links);
        // As the store's index: a revoked link left it with its revocation.
        let mut out: Vec<Link> = links
            .0
            .values()
            .filter(|l| !l.revoked && l.expires_at <= now)
            .filter(|l| !closed.contains(&(l.owner.clone(), l.id.clone())))
            .cloned()
            .collect();
        out.sort_by_key(|l| l.expires_at);
        out.truncate(limit);
        Ok(out)
    }

    async fn close_link(
        &self,
        link: &Link,
        entry: Option<&LifecycleEntry>,
    ) -> Result<bool, CoreError> {
        let mut closed = lock(&self.expiry_closed);
        let links = lock(&self.links);
        let key = (link.owner.clone(), link.id.clone());
        let as_read = links.0.get(&key).is_some_and(|c| {
            c.expires_at == link.expires_at
                && c.revoked == link.revoked
                && c.uploads_used == link.uploads_used
        });
        if !as_read || closed.contains(&key) {
            return Ok(false);
        }
        closed.insert(key);
        if let Some(e) = entry {
            lock(&self.lifecycle).push(e.clone());
        }
        Ok(true)
    }
}

#[async_trait]
impl ShareExpiries for MemShares {
    async fn shares_expired(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Share>, CoreError> {
        let closed = lock(&self.expiry_closed);
        let shares = lock(&self.shares);
        let mut out: Vec<Share> = shares
            .values()
            .filter(|s| !s.revoked && s.expires_at <= now)
            .filter(|s| !closed.contains(&(s.owner.clone(), s.id.clone())))
            .cloned()
            .collect();
        out.sort_by_key(|s| s.expires_at);
        out.truncate(limit);
        Ok(out)
    }

    async fn close_share(
        &self,
        share: &Share,
        entry: Option<&LifecycleEntry>,
    ) -> Result<bool, CoreError> {
        let mut closed = lock(&self.expiry_closed);
        let shares = lock(&self.shares);
        let key = (share.owner.clone(), share.id.clone());
        let as_read = shares.get(&key).is_some_and(|c| {
            c.expires_at == share.expires_at
                && c.revoked == share.revoked
                && c.downloads == share.downloads
        });
        if !as_read || closed.contains(&key) {
            return Ok(false);
        }
        closed.insert(key);
        if let Some(e) = entry {
            lock(&self.lifecycle).push(e.clone());
        }
        Ok(true)
    }
}
