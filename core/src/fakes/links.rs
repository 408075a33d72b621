//! The link store of [`MemLedger`]: links, their receipts, and drops that reserve a link's use
//! and the owner's quota in one step, under the ledger's locks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemLedger;
use super::lock::lock;
use crate::files::{Page, QuotaDelta, fits, headroom};
use crate::links::{DropReservation, Link, LinkDrop, LinkPage, LinkStore};
use crate::notify::{EventType, LifecycleEntry};
use crate::{CoreError, FileId, FileRecord, LinkId, OwnerId};

#[async_trait]
impl LinkStore for MemLedger {
    async fn put_link(&self, link: &Link) -> Result<(), CoreError> {
        // As the store's conditional put: a link is never written over.
        let mut links = lock(&self.links);
        let key = (link.owner.clone(), link.id.clone());
        if links.0.contains_key(&key) {
            return Err(CoreError::upstream("link id collision"));
        }
        links.0.insert(key, link.clone());
        lock(&self.lifecycle).push(LifecycleEntry::of_link(
            EventType::LinkCreated,
            link,
            link.created_at,
        ));
        Ok(())
    }

    async fn get_link(&self, owner: &OwnerId, id: &LinkId) -> Result<Option<Link>, CoreError> {
        Ok(lock(&self.links)
            .0
            .get(&(owner.clone(), id.clone()))
            .cloned())
    }

    async fn get_links(&self, keys: &[(OwnerId, LinkId)]) -> Result<Vec<Link>, CoreError> {
        let l = lock(&self.links);
        Ok(keys.iter().filter_map(|k| l.0.get(k).cloned()).collect())
    }

    async fn list_links(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&LinkId>,
    ) -> Result<LinkPage, CoreError> {
        let l = lock(&self.links);
        let links: Vec<Link> =
            l.0.values()
                .rev()
                .filter(|k| &k.owner == owner && after.is_none_or(|a| &k.id < a))
                .cloned()
                .collect();
        Ok(LinkPage::from_overfetch(links, limit))
    }

    async fn revoke_link(
        &self,
        owner: &OwnerId,
        id: &LinkId,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        match lock(&self.links).0.get_mut(&(owner.clone(), id.clone())) {
            Some(l) => {
                if !l.revoked {
                    let e = LifecycleEntry::of_link(EventType::LinkRevoked, l, at);
                    l.revoked = true;
                    lock(&self.lifecycle).push(e);
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn update_link(&self, link: &Link, now: DateTime<Utc>) -> Result<bool, CoreError> {
        let mut links = lock(&self.links);
        match links.0.get_mut(&(link.owner.clone(), link.id.clone())) {
            Some(l) if !l.revoked && now < l.expires_at => {
                l.label = link.label.clone();
                l.expires_at = link.expires_at;
                l.max_uploads = link.max_uploads;
                l.max_file_bytes = link.max_file_bytes;
                l.max_total_bytes = link.max_total_bytes;
                l.max_pending_bytes = link.max_pending_bytes;
                l.allowed_types = link.allowed_types.clone();
                l.require_uploader_name = link.require_uploader_name;
                l.retain_days = link.retain_days;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn remove_link(
        &self,
        owner: &OwnerId,
        id: &LinkId,
        now: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let mut links = lock(&self.links);
        let key = (owner.clone(), id.clone());
        match links.0.get(&key) {
            Some(l) if l.state(now) != crate::links::LinkState::Active => {
                links.0.remove(&key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn find_link(&self, token_hash: &str) -> Result<Option<Link>, CoreError> {
        Ok(lock(&self.links)
            .0
            .values()
            .find(|l| l.token_hash == token_hash)
            .cloned())
    }

    async fn create_pending_via_link(
        &self,
        d: &LinkDrop<'_>,
    ) -> Result<DropReservation, CoreError> {
        // Lock order: files and quotas, then links (as `settle` does).
        let mut st = lock(&self.state);
        // A file larger than the whole quota never fits, whatever the link (as the store,
        // which asks before its transaction).
        let limit =
            st.1.get(&d.file.owner)
                .map_or(d.quota_limit, |q| q.limit(d.quota_limit));
        if headroom(limit, d.file.size).is_none() {
            return Ok(DropReservation::QuotaExceeded);
        }
        let mut links = lock(&self.links);
        let key = (d.link.owner.clone(), d.link.id.clone());
        let Some(link) = links.0.get(&key) else {
            return Ok(DropReservation::LinkRefused);
        };
        let fits_link = !link.revoked
            && d.now < link.expires_at
            && link.uploads_used <= d.max_uploads_used()
            && d.max_bytes_used().is_none_or(|m| link.bytes_used <= m)
            && d.max_pending_used()
                .is_some_and(|m| link.pending_bytes <= m)
            && match d.used_up {
                Some(_) => {
                    link.uploads_used == d.link.uploads_used
                        && link.max_uploads == d.link.max_uploads
                }
                None => link.uploads_used + 1 < d.link.max_uploads,
            };
        if !fits_link {
            return Ok(DropReservation::LinkRefused);
        }
        let q = st.1.entry(d.file.owner.clone()).or_default();
        if !fits((q.used + q.reserved) as u64, d.file.size, limit) {
            return Ok(DropReservation::QuotaExceeded);
        }
        // As the store's conditional put: never a second file under one id.
        if super::ledger::collides(&st.0, d.file) {
            return Err(CoreError::upstream("file id collision"));
        }
        let q = st.1.entry(d.file.owner.clone()).or_default();
        q.apply(QuotaDelta::reserve(d.file.size));
        st.0.insert((d.file.owner.clone(), d.file.id.clone()), d.file.clone());
        if let Some(link) = links.0.get_mut(&key) {
            link.uploads_used += 1;
            link.bytes_used += d.file.size;
            link.pending_bytes += d.file.size;
        }
        links.1.insert(
            d.receipt_hash.to_owned(),
            (d.file.owner.clone(), d.file.id.clone()),
        );
        if let Some(e) = d.used_up {
            lock(&self.lifecycle).push(e.clone());
        }
        Ok(DropReservation::Reserved)
    }

    async fn extend_drop(
        &self,
        file: &FileRecord,
        until: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur) if cur.status == crate::FileStatus::Pending => {
                cur.upload_expires_at = cur.upload_expires_at.max(until);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn find_receipt(
        &self,
        receipt_hash: &str,
    ) -> Result<Option<(OwnerId, FileId)>, CoreError> {
        Ok(lock(&self.links).1.get(receipt_hash).cloned())
    }

    async fn list_link_files(
        &self,
        owner: &OwnerId,
        link: &LinkId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError> {
        let st = lock(&self.state);
        let files: Vec<FileRecord> =
            st.0.values()
                .rev()
                .filter(|f| {
                    &f.owner == owner
                        && f.link.as_ref().is_some_and(|l| &l.link_id == link)
                        && after.is_none_or(|a| &f.id < a)
                        && !f.in_trash()
                })
                .cloned()
                .collect();
        Ok(Page::from_overfetch(files, limit))
    }
}
