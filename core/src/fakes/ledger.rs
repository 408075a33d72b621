//! [`MemLedger`]: the ledger ports in memory (files, quotas, the upload log and the outbox);
//! each method atomic under one lock, like the store's transactions. Its link store is in
//! `links.rs`: links and files share the one state, as they share a table in production.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::lock::lock;
use crate::files::{
    FileLookup, JanitorLedger, OwnerLedger, Page, PipelineLedger, QuotaDelta, QuotaUsage,
    Reservation, Settlement, Settling, fits,
};
use crate::keys::{KeyScheme, UploadKey};
use crate::links::Link;
use crate::notify::{EventType, OutboxEntry};
use crate::{CoreError, FileId, FileRecord, FileStatus, LinkId, OwnerId};

#[derive(Default, Debug, Clone, Copy)]
pub(super) struct Q {
    pub(super) used: i64,
    pub(super) reserved: i64,
    pub(super) files: i64,
    /// The owner's own limit, when an admin set one.
    pub(super) own: Option<u64>,
}

impl Q {
    /// The limit a reservation is held to: the owner's own, else `default`.
    pub(super) fn limit(&self, default: u64) -> u64 {
        self.own.unwrap_or(default)
    }

    pub(super) fn apply(&mut self, d: QuotaDelta) {
        self.used += d.used;
        self.reserved += d.reserved;
        self.files += d.files;
    }
}

pub(super) type Files = BTreeMap<(OwnerId, FileId), FileRecord>;
pub(super) type Quotas = HashMap<OwnerId, Q>;
pub(super) type Links = BTreeMap<(OwnerId, LinkId), Link>;
/// Deletion receipts by owner, then by their sort key (`<deleted_at>#<file id>`), as the
/// store's partition keeps them.
pub(super) type ReceiptBook = BTreeMap<(OwnerId, String), crate::lifecycle::DeletionReceipt>;
/// Receipt hash -> the file it follows.
pub(super) type Receipts = HashMap<String, (OwnerId, FileId)>;

/// Whether `file` cannot be created: a record under its owner and id, or (as the store's
/// pointer from an owner-free key to its owner) another owner-free file of its id.
pub(crate) fn collides(files: &Files, file: &FileRecord) -> bool {
    files.contains_key(&(file.owner.clone(), file.id.clone()))
        || (file.key_scheme == KeyScheme::File
            && files
                .values()
                .any(|f| f.id == file.id && f.key_scheme == KeyScheme::File))
}

pub(super) fn entry(file: &FileRecord, event: EventType, at: DateTime<Utc>) -> OutboxEntry {
    OutboxEntry {
        share: None,
        id: OutboxEntry::key(at, file, event),
        event,
        file: file.clone(),
        at,
    }
}

/// What a pending link file's settlement or removal does to its link, as the store's
/// conditional update: its pending bytes are released; with `give_back`, its use and bytes
/// return while the link may still give back ([`Link::can_give_back`]), counted. Counters
/// that do not hold the file's use stay (a link that was reset); a missing link is skipped.
fn release_link(links: &mut Links, file: &FileRecord, give_back: bool) {
    let Some(origin) = &file.link else { return };
    let Some(link) = links.get_mut(&(file.owner.clone(), origin.link_id.clone())) else {
        return;
    };
    link.pending_bytes = link.pending_bytes.saturating_sub(file.size);
    if give_back && link.can_give_back() && link.uploads_used >= 1 && link.bytes_used >= file.size {
        link.uploads_used -= 1;
        link.bytes_used -= file.size;
        link.givebacks += 1;
    }
}

/// A removed pending link file releases its link's pending bytes.
pub(super) fn release_pending(ledger: &MemLedger, file: &FileRecord) {
    release_link(&mut lock(&ledger.links).0, file, false);
}

/// A ledger (and link store) in memory; each method is atomic under one lock, like the store's
/// transactions.
#[derive(Default)]
pub struct MemLedger {
    pub(super) state: Mutex<(Files, Quotas)>,
    pub(super) links: Mutex<(Links, Receipts)>,
    /// Upload-log entries, in order of settlement.
    pub log: Mutex<Vec<(FileId, FileStatus)>>,
    /// The outbox: every entry a settlement or an announced removal wrote, in order.
    pub outbox: Mutex<Vec<OutboxEntry>>,
    /// The outbox entries of the links' own life (created, used up, expired, revoked).
    pub lifecycle: Mutex<Vec<crate::notify::LifecycleEntry>>,
    /// The reminders' "reminded" markers: the time each link or file was reminded of.
    pub(super) reminded: Mutex<HashMap<String, DateTime<Utc>>>,
    /// The reminder entries (one per owner per run), in order.
    pub reminders: Mutex<Vec<crate::reminders::Reminder>>,
    /// Links whose expiry the janitor closed (announced or passed over).
    pub(super) expiry_closed: Mutex<std::collections::BTreeSet<(OwnerId, LinkId)>>,
    /// Files whose object removal is not yet confirmed.
    pub cleanup: Mutex<std::collections::BTreeSet<(OwnerId, FileId)>>,
    /// Deletion receipts by owner and their sort key (see `trash.rs`).
    pub(super) receipts: Mutex<ReceiptBook>,
    /// The accounts' standing, when a test links it: the store keeps it on the same quota
    /// record, which [`crate::users::QuotaLimits::records`] reads with the usage.
    standing: Mutex<Option<std::sync::Arc<super::MemStanding>>>,
    /// Called at the start of every `mark_deleting` (the ledger's and the erasure's): a test
    /// places a legal hold at that moment, between a deletion's read and its first write.
    pub before_mark: Mutex<Option<std::sync::Arc<dyn Fn() + Send + Sync>>>,
}

impl MemLedger {
    /// Links the standing that [`crate::users::QuotaLimits::records`] answers beside usage.
    pub fn with_standing(&self, standing: std::sync::Arc<super::MemStanding>) {
        *lock(&self.standing) = Some(standing);
    }
}

#[async_trait]
impl FileLookup for MemLedger {
    async fn usage(&self, owner: &OwnerId, limit: u64) -> Result<QuotaUsage, CoreError> {
        let q = lock(&self.state).1.get(owner).copied().unwrap_or_default();
        Ok(QuotaUsage {
            used_bytes: q.used as u64,
            reserved_bytes: q.reserved as u64,
            limit_bytes: q.limit(limit),
            files: q.files as u64,
            custom: q.own.is_some(),
        })
    }

    async fn get_file(
        &self,
        owner: &OwnerId,
        id: &FileId,
    ) -> Result<Option<FileRecord>, CoreError> {
        Ok(lock(&self.state)
            .0
            .get(&(owner.clone(), id.clone()))
            .cloned())
    }
}

#[async_trait]
impl Settling for MemLedger {
    async fn settle(&self, file: &FileRecord, s: &Settlement) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let k = (file.owner.clone(), file.id.clone());
        let Some(cur) = st.0.get_mut(&k) else {
            return Ok(false);
        };
        if cur.status != file.status || !cur.status.can_become(s.status) {
            return Ok(false);
        }
        // A version accepted moves its file's pointer in the same write: no file, no move.
        if s.status == FileStatus::Accepted
            && let Some(of) = &file.versioning.of
            && !st.0.contains_key(&(file.owner.clone(), of.file.clone()))
        {
            return Ok(false);
        }
        let Some(cur) = st.0.get_mut(&k) else {
            return Ok(false);
        };
        let from = cur.status;
        cur.status = s.status;
        cur.detected_type = s.detected_type.clone();
        cur.reason = s.reason.clone();
        if let Some(size) = s.stored_size {
            cur.stored = Some(crate::files::StoredObject {
                size,
                etag: s.stored_etag.clone(),
            });
        }
        if let Some(scan) = &s.scan {
            cur.scan = Some(scan.clone());
        }
        if s.status == FileStatus::Scanning {
            cur.scan_started_at = Some(s.at);
        }
        let settled = cur.clone();
        if let Some((parent, current)) = crate::versions::switch_on_accept(&settled)
            && let Some(p) = st.0.get_mut(&(file.owner.clone(), parent))
        {
            p.versioning.head.current = Some(current);
        }
        st.1.entry(file.owner.clone())
            .or_default()
            .apply(QuotaDelta::transition(from, s.status, file.size));
        if from == FileStatus::Pending {
            let mut links = lock(&self.links);
            release_link(&mut links.0, file, s.give_back_link);
        }
        // As the store: the upload log holds what was announced; a move to scanning is not.
        if let Some(event) = EventType::settled(s.status) {
            lock(&self.log).push((file.id.clone(), s.status));
            lock(&self.outbox).push(entry(&settled, event, s.at));
        }
        if !s.status.holds_quota() {
            lock(&self.cleanup).insert(k);
        }
        Ok(true)
    }

    async fn record_scan(
        &self,
        file: &FileRecord,
        scan: &crate::scan::ScanRecord,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur) if cur.status == file.status => {
                cur.scan = Some(scan.clone());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn mark_cleaned(&self, file: &FileRecord) -> Result<(), CoreError> {
        lock(&self.cleanup).remove(&(file.owner.clone(), file.id.clone()));
        Ok(())
    }
}

#[async_trait]
impl OwnerLedger for MemLedger {
    async fn create_pending(
        &self,
        file: &FileRecord,
        limit: u64,
    ) -> Result<Reservation, CoreError> {
        let mut st = lock(&self.state);
        let q = st.1.entry(file.owner.clone()).or_default();
        if !fits((q.used + q.reserved) as u64, file.size, q.limit(limit)) {
            return Ok(Reservation::QuotaExceeded);
        }
        // As the store's conditional put: never a second record (or reservation) under one id.
        if collides(&st.0, file) {
            return Err(CoreError::upstream("file id collision"));
        }
        let q = st.1.entry(file.owner.clone()).or_default();
        q.apply(QuotaDelta::reserve(file.size));
        st.0.insert((file.owner.clone(), file.id.clone()), file.clone());
        Ok(Reservation::Reserved)
    }

    async fn list_files(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError> {
        let st = lock(&self.state);
        let mut files: Vec<FileRecord> =
            st.0.values()
                .filter(|f| &f.owner == owner && after.is_none_or(|a| &f.id < a))
                .filter(|f| !f.in_trash() && !f.is_version())
                .cloned()
                .collect();
        files.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(Page::from_overfetch(files, limit))
    }

    async fn trash_file(&self, file: &FileRecord, at: DateTime<Utc>) -> Result<bool, CoreError> {
        Ok(self.trash_in(file, at))
    }

    async fn restore_file(
        &self,
        file: &FileRecord,
        not_due_before: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        Ok(self.restore_in(file, not_due_before))
    }

    async fn expedite_purge(&self, file: &FileRecord) -> Result<bool, CoreError> {
        Ok(self.expedite_in(file))
    }

    async fn set_delete_after(
        &self,
        file: &FileRecord,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur) if !cur.in_trash() => {
                cur.lifecycle.delete_after = at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn list_trash(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError> {
        Ok(self.trash_page(owner, limit, after))
    }

    async fn list_receipts(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<crate::lifecycle::ReceiptPage, CoreError> {
        self.receipt_page(owner, limit, after)
    }

    async fn remove_file(
        &self,
        file: &FileRecord,
        announce: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let k = (file.owner.clone(), file.id.clone());
        match st.0.get(&k) {
            Some(cur) if cur.status == file.status && cur.lifecycle.legal_hold.is_none() => {
                if let Some(at) = announce {
                    lock(&self.outbox).push(entry(cur, EventType::FileDeleted, at));
                }
                st.0.remove(&k);
                lock(&self.cleanup).remove(&k);
                if file.status == FileStatus::Pending {
                    release_link(&mut lock(&self.links).0, file, false);
                }
                st.1.entry(file.owner.clone())
                    .or_default()
                    .apply(QuotaDelta::remove(file.status, file.size));
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl PipelineLedger for MemLedger {
    async fn get_files(&self, keys: &[UploadKey]) -> Result<Vec<FileRecord>, CoreError> {
        let st = lock(&self.state);
        // Each record only under the key it is stored under, as the store's pointer (owner-free
        // keys) and primary key (legacy keys) find them.
        Ok(st
            .0
            .values()
            .filter(|f| keys.contains(&f.upload_key()))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl JanitorLedger for MemLedger {
    async fn due_trash(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        Ok(self.due_in(before, limit))
    }

    async fn trash_retained(
        &self,
        file: &FileRecord,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        Ok(self.trash_in(file, at))
    }

    async fn marked_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        Ok(self.marked_in(before, limit))
    }

    async fn due_retention(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let st = lock(&self.state);
        let mut due: Vec<FileRecord> =
            st.0.values()
                .filter(|f| !f.in_trash() && f.lifecycle.legal_hold.is_none())
                .filter(|f| {
                    f.lifecycle
                        .delete_after
                        .is_some_and(|d| crate::lifecycle::retention_due(d, now))
                })
                .cloned()
                .collect();
        due.sort_by_key(|f| f.lifecycle.delete_after);
        due.truncate(limit);
        Ok(due)
    }

    async fn stale_pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let st = lock(&self.state);
        Ok(st
            .0
            .values()
            .filter(|f| f.status == FileStatus::Pending && f.upload_expires_at < before)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn stale_scanning(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let st = lock(&self.state);
        let mut stale: Vec<FileRecord> = st
            .0
            .values()
            .filter(|f| {
                f.status == FileStatus::Scanning && f.scan_started_at.is_some_and(|t| t < before)
            })
            .cloned()
            .collect();
        stale.sort_by_key(|f| f.scan_started_at);
        stale.truncate(limit);
        Ok(stale)
    }

    async fn awaiting_cleanup(&self, limit: usize) -> Result<Vec<FileRecord>, CoreError> {
        let st = lock(&self.state);
        Ok(lock(&self.cleanup)
            .iter()
            .filter_map(|k| st.0.get(k).cloned())
            .take(limit)
            .collect())
    }
}

#[async_trait]
impl crate::users::QuotaLimits for MemLedger {
    async fn set_own_limit(&self, owner: &OwnerId, limit: Option<u64>) -> Result<(), CoreError> {
        lock(&self.state).1.entry(owner.clone()).or_default().own = limit;
        Ok(())
    }

    async fn records(
        &self,
        owners: &[OwnerId],
        default: u64,
    ) -> Result<HashMap<OwnerId, crate::users::AccountRecord>, CoreError> {
        use crate::standing::StandingStore;
        if owners.len() > crate::users::MAX_RECORDS_READ {
            return Err(CoreError::upstream("records: too many owners at once"));
        }
        let standing = lock(&self.standing).clone();
        let mut out = HashMap::new();
        for o in owners {
            let usage = self.usage(o, default).await?;
            let standing = match &standing {
                Some(s) => s.standing(o).await?,
                None => crate::standing::Standing::default(),
            };
            out.insert(o.clone(), crate::users::AccountRecord { usage, standing });
        }
        Ok(out)
    }
}
