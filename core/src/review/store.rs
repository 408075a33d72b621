//! The review's port: files and links across owners, found by the indexes that scale (a
//! status index, the owner's partition, the by-link index; links by their id), and the moves
//! an admin makes (a release is a settlement, a deletion a purge with its receipt).

use async_trait::async_trait;

use super::{ReviewCursor, ReviewFilter};
use crate::files::{Purging, Settling};
use crate::links::{Link, LinkStore};
use crate::{CoreError, FileId, FileRecord, LinkId, OwnerId};

/// One page of files across owners, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewPage {
    pub files: Vec<FileRecord>,
    /// The last file of this page when more may follow.
    pub next: Option<ReviewCursor>,
}

impl ReviewPage {
    /// Cuts a listing fetched with one file more than `limit`.
    pub fn from_overfetch(mut files: Vec<FileRecord>, limit: usize) -> Self {
        let next = if files.len() > limit {
            files.truncate(limit);
            files.last().map(ReviewCursor::of)
        } else {
            None
        };
        Self { files, next }
    }
}

/// One slice of every link, in the store's order.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSlice {
    pub links: Vec<Link>,
    /// The last link of this slice (owner, id) when more may follow.
    pub next: Option<(OwnerId, LinkId)>,
}

#[async_trait]
pub trait ReviewStore: Settling + Purging + LinkStore {
    /// Files in `filter.status` within `filter.scope`, newest first (by creation time across
    /// owners, by id, which grows with time, within one owner or link), at most `limit`, after
    /// the cursor of the previous page. Files in the trash are listed too.
    async fn review_files(
        &self,
        filter: &ReviewFilter,
        limit: usize,
        after: Option<&ReviewCursor>,
    ) -> Result<ReviewPage, CoreError>;
    /// The file `id`, whoever owns it.
    async fn find_file(&self, id: &FileId) -> Result<Option<FileRecord>, CoreError>;
    /// Every owner's links, `limit` at most, after `after` (a slice may hold fewer and still
    /// have a next one).
    async fn all_links(
        &self,
        limit: usize,
        after: Option<&(OwnerId, LinkId)>,
    ) -> Result<LinkSlice, CoreError>;
    /// The link `id`, whoever owns it.
    async fn link_by_id(&self, id: &LinkId) -> Result<Option<Link>, CoreError>;
}
