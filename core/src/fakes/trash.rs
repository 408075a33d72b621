//! [`MemLedger`]'s trash and deletion receipts, as the store keeps them: a file in the trash
//! stays in the files (with its quota) and carries when it went there; a purge removes the
//! record and writes its receipt in one step.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemLedger;
use super::ledger::entry;
use super::lock::lock;
use crate::files::{Page, Purging, QuotaDelta};
use crate::lifecycle::{DeletionReceipt, ReceiptPage};
use crate::notify::EventType;
use crate::paging::cut_page;
use crate::{CoreError, FileId, FileRecord, FileStatus, OwnerId};

impl MemLedger {
    pub(super) fn trash_in(&self, file: &FileRecord, at: DateTime<Utc>) -> bool {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur)
                if cur.status == file.status
                    && !cur.in_trash()
                    && cur.lifecycle.legal_hold.is_none() =>
            {
                cur.lifecycle.trashed_at = Some(at);
                true
            }
            _ => false,
        }
    }

    pub(super) fn restore_in(&self, file: &FileRecord, not_due_before: DateTime<Utc>) -> bool {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur)
                if cur.lifecycle.trashed_at.is_some()
                    && cur.lifecycle.trashed_at == file.lifecycle.trashed_at
                    && cur.lifecycle.trashed_at >= Some(not_due_before) =>
            {
                cur.lifecycle.trashed_at = None;
                cur.lifecycle.delete_after = file.lifecycle.delete_after;
                true
            }
            _ => false,
        }
    }

    pub(super) fn expedite_in(&self, file: &FileRecord) -> bool {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur)
                if cur.lifecycle.trashed_at.is_some()
                    && cur.lifecycle.trashed_at == file.lifecycle.trashed_at
                    && cur.lifecycle.legal_hold.is_none() =>
            {
                cur.lifecycle.trashed_at = Some(DateTime::UNIX_EPOCH);
                true
            }
            _ => false,
        }
    }

    pub(super) fn trash_page(&self, owner: &OwnerId, limit: usize, after: Option<&FileId>) -> Page {
        let st = lock(&self.state);
        let mut files: Vec<FileRecord> =
            st.0.values()
                .filter(|f| &f.owner == owner && f.in_trash())
                .filter(|f| after.is_none_or(|a| &f.id < a))
                .cloned()
                .collect();
        files.sort_by(|a, b| b.id.cmp(&a.id));
        Page::from_overfetch(files, limit)
    }

    pub(super) fn due_in(&self, before: DateTime<Utc>, limit: usize) -> Vec<FileRecord> {
        let st = lock(&self.state);
        let mut due: Vec<FileRecord> =
            st.0.values()
                .filter(|f| f.lifecycle.trashed_at.is_some_and(|t| t < before))
                .filter(|f| f.lifecycle.legal_hold.is_none())
                .cloned()
                .collect();
        due.sort_by_key(|f| f.lifecycle.trashed_at);
        due.truncate(limit);
        due
    }

    /// The store's index of marked records: a ledger's mark (with its cause) puts a record
    /// in, the erasure's takes it out; held records are never marked.
    pub(super) fn marked_in(&self, before: DateTime<Utc>, limit: usize) -> Vec<FileRecord> {
        let st = lock(&self.state);
        let mut due: Vec<FileRecord> =
            st.0.values()
                .filter(|f| f.lifecycle.deleting_for.is_some())
                .filter(|f| f.lifecycle.deleting_at.is_some_and(|t| t < before))
                .filter(|f| f.lifecycle.legal_hold.is_none())
                .cloned()
                .collect();
        due.sort_by_key(|f| f.lifecycle.deleting_at);
        due.truncate(limit);
        due
    }

    pub(super) fn receipt_page(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<ReceiptPage, CoreError> {
        let after = after
            .map(crate::lifecycle::decode_receipt_cursor)
            .transpose()?;
        let book = lock(&self.receipts);
        let newest_first: Vec<(String, DeletionReceipt)> = book
            .iter()
            .rev()
            .filter(|((o, k), _)| o == owner && after.as_ref().is_none_or(|a| k < a))
            .map(|((_, k), r)| (k.clone(), r.clone()))
            .collect();
        let (page, next) = cut_page(newest_first, limit, |(k, _)| k.clone());
        Ok(ReceiptPage {
            receipts: page.into_iter().map(|(_, r)| r).collect(),
            next_cursor: next.as_deref().map(crate::lifecycle::encode_receipt_cursor),
        })
    }

    /// Every receipt written, oldest first: for tests.
    pub fn receipts(&self) -> Vec<DeletionReceipt> {
        let mut all: Vec<DeletionReceipt> = lock(&self.receipts).values().cloned().collect();
        all.sort_by(|a, b| a.deleted_at.cmp(&b.deleted_at));
        all
    }
}

#[async_trait]
impl Purging for MemLedger {
    async fn mark_deleting(
        &self,
        file: &FileRecord,
        receipt: &DeletionReceipt,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        Ok(mark_deleting(self, file, at, Some(receipt.cause())))
    }

    async fn purge_file(
        &self,
        file: &FileRecord,
        receipt: &DeletionReceipt,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let k = (file.owner.clone(), file.id.clone());
        match st.0.get(&k) {
            Some(cur)
                if cur.status == file.status
                    && cur.lifecycle.trashed_at == file.lifecycle.trashed_at
                    && cur.lifecycle.legal_hold.is_none() =>
            {
                let cur = &cur.clone();
                // Its versions leave with it, each releasing what it held.
                let versions: Vec<FileRecord> = cur
                    .versioning
                    .head
                    .kept
                    .iter()
                    .filter_map(|(_, id)| st.0.get(&(file.owner.clone(), id.clone())).cloned())
                    .collect();
                let receipt = &receipt.clone().counting(cur, &versions);
                for v in &versions {
                    st.0.remove(&(v.owner.clone(), v.id.clone()));
                    st.1.entry(v.owner.clone())
                        .or_default()
                        .apply(QuotaDelta::remove(v.status, v.size));
                }
                let announced = crate::lifecycle::announced_deletion(cur, receipt);
                lock(&self.outbox).push(entry(&announced, EventType::FileDeleted, at));
                st.0.remove(&k);
                lock(&self.cleanup).remove(&k);
                if file.status == FileStatus::Pending {
                    super::ledger::release_pending(self, file);
                }
                st.1.entry(file.owner.clone())
                    .or_default()
                    .apply(crate::versions::own_removal(file));
                lock(&self.receipts)
                    .insert((file.owner.clone(), receipt.sort_key()), receipt.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// The deletion mark, as the store writes it: on a record still there and not held; a mark
/// already there stays, and so does its cause. Also the erasure's (`fakes/erasure.rs`), over
/// the same state: its mark (`cause` `None`) takes the cause off, so the janitor leaves the
/// record to the erasure.
pub(crate) fn mark_deleting(
    ledger: &MemLedger,
    file: &FileRecord,
    at: DateTime<Utc>,
    cause: Option<crate::lifecycle::DeletionCause>,
) -> bool {
    let hook = lock(&ledger.before_mark).clone();
    if let Some(hook) = hook {
        hook();
    }
    let mut st = lock(&ledger.state);
    match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
        Some(cur) if cur.lifecycle.legal_hold.is_none() => {
            cur.lifecycle.deleting_at.get_or_insert(at);
            match cause {
                Some(c) => {
                    cur.lifecycle.deleting_for.get_or_insert(c);
                }
                None => cur.lifecycle.deleting_for = None,
            }
            true
        }
        _ => false,
    }
}
