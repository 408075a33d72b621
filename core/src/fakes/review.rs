//! The review port of [`MemLedger`]: files and links across owners, as the store's indexes
//! order them (creation time across owners, id within one owner or link; links by owner and
//! id).

use async_trait::async_trait;

use super::MemLedger;
use super::lock::lock;
use crate::links::Link;
use crate::review::{LinkSlice, ReviewCursor, ReviewFilter, ReviewPage, ReviewScope, ReviewStore};
use crate::time::rfc3339;
use crate::{CoreError, FileId, FileRecord, LinkId, OwnerId};

#[async_trait]
impl ReviewStore for MemLedger {
    async fn review_files(
        &self,
        filter: &ReviewFilter,
        limit: usize,
        after: Option<&ReviewCursor>,
    ) -> Result<ReviewPage, CoreError> {
        let state = lock(&self.state);
        let mut files: Vec<FileRecord> = state
            .0
            .values()
            .filter(|f| f.status == filter.status)
            .filter(|f| match &filter.scope {
                ReviewScope::All => true,
                ReviewScope::Owner(o) => &f.owner == o,
                ReviewScope::Link(l) => f.via_link() == Some(l.as_str()),
            })
            .cloned()
            .collect();
        // Newest first: the status index by (time, owner, id), a partition or the link index
        // by id.
        let all = filter.scope == ReviewScope::All;
        let key = |at: String, owner: &OwnerId, id: &FileId| match all {
            true => (at, owner.to_string(), id.to_string()),
            false => (id.to_string(), String::new(), String::new()),
        };
        files.sort_by_key(|f| std::cmp::Reverse(key(rfc3339(f.created_at), &f.owner, &f.id)));
        if let Some(c) = after {
            let cut = key(c.created_at.clone(), &c.owner, &c.file);
            files.retain(|f| key(rfc3339(f.created_at), &f.owner, &f.id) < cut);
        }
        files.truncate(limit + 1);
        Ok(ReviewPage::from_overfetch(files, limit))
    }

    async fn find_file(&self, id: &FileId) -> Result<Option<FileRecord>, CoreError> {
        Ok(lock(&self.state).0.values().find(|f| &f.id == id).cloned())
    }

    async fn all_links(
        &self,
        limit: usize,
        after: Option<&(OwnerId, LinkId)>,
    ) -> Result<LinkSlice, CoreError> {
        let links = lock(&self.links);
        let mut found: Vec<Link> = links
            .0
            .iter()
            .filter(|(k, _)| after.is_none_or(|a| *k > a))
            .map(|(_, l)| l.clone())
            .take(limit + 1)
            .collect();
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|l| (l.owner.clone(), l.id.clone()))
        } else {
            None
        };
        Ok(LinkSlice { links: found, next })
    }

    async fn link_by_id(&self, id: &LinkId) -> Result<Option<Link>, CoreError> {
        Ok(lock(&self.links).0.values().find(|l| &l.id == id).cloned())
    }
}
