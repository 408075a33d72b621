//! In-memory fakes of every port, for tests of the domain and of the handlers.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::Digest;

use crate::links::{DropReservation, Link, LinkDrop, LinkPage, LinkStore};
use crate::notification::{EventType, Notification};
use crate::outbox::OutboxEntry;
use crate::ports::*;
use crate::quota::{QuotaDelta, QuotaUsage, fits};
use crate::ratelimit::Counters;
use crate::{CoreError, FileId, FileRecord, FileStatus, LinkId, OwnerId};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default, Debug, Clone, Copy)]
struct Q {
    used: i64,
    reserved: i64,
    files: i64,
}

impl Q {
    fn apply(&mut self, d: QuotaDelta) {
        self.used += d.used;
        self.reserved += d.reserved;
        self.files += d.files;
    }
}

type Files = BTreeMap<(OwnerId, FileId), FileRecord>;
type Quotas = HashMap<OwnerId, Q>;
type Links = BTreeMap<(OwnerId, LinkId), Link>;
/// Receipt hash -> the file it follows.
type Receipts = HashMap<String, (OwnerId, FileId)>;

fn entry(file: &FileRecord, event: EventType, at: DateTime<Utc>) -> OutboxEntry {
    OutboxEntry {
        share: None,
        id: OutboxEntry::key(at, file, event),
        event,
        file: file.clone(),
        at,
    }
}

/// A ledger (and link store) in memory; each method is atomic under one lock, like the store's
/// transactions.
#[derive(Default)]
pub struct MemLedger {
    state: Mutex<(Files, Quotas)>,
    links: Mutex<(Links, Receipts)>,
    /// Upload-log entries, in order of settlement.
    pub log: Mutex<Vec<(FileId, FileStatus)>>,
    /// The outbox: every entry a settlement or an announced removal wrote, in order.
    pub outbox: Mutex<Vec<OutboxEntry>>,
    /// Files whose object removal is not yet confirmed.
    pub cleanup: Mutex<std::collections::BTreeSet<(OwnerId, FileId)>>,
}

#[async_trait]
impl FileLookup for MemLedger {
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
        let from = cur.status;
        cur.status = s.status;
        cur.detected_type = s.detected_type.clone();
        cur.reason = s.reason.clone();
        if let Some(size) = s.stored_size {
            cur.stored = Some(crate::file::StoredObject {
                size,
                etag: s.stored_etag.clone(),
            });
        }
        let settled = cur.clone();
        st.1.entry(file.owner.clone())
            .or_default()
            .apply(QuotaDelta::transition(from, s.status, file.size));
        if s.give_back_link
            && let Some(origin) = &file.link
            && let Some(link) = lock(&self.links)
                .0
                .get_mut(&(file.owner.clone(), origin.link_id.clone()))
            // As the store's condition: counters that do not hold the file's use stay.
            && link.uploads_used >= 1
            && link.bytes_used >= file.size
        {
            link.uploads_used -= 1;
            link.bytes_used -= file.size;
        }
        lock(&self.log).push((file.id.clone(), s.status));
        if let Some(event) = EventType::settled(s.status) {
            lock(&self.outbox).push(entry(&settled, event, s.at));
        }
        if s.status != FileStatus::Accepted {
            lock(&self.cleanup).insert(k);
        }
        Ok(true)
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
        if !fits((q.used + q.reserved) as u64, file.size, limit) {
            return Ok(Reservation::QuotaExceeded);
        }
        // As the store's conditional put: never a second record (or reservation) under one id.
        if st.0.contains_key(&(file.owner.clone(), file.id.clone())) {
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
                .cloned()
                .collect();
        files.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(Page::from_overfetch(files, limit))
    }

    async fn remove_file(
        &self,
        file: &FileRecord,
        announce: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let k = (file.owner.clone(), file.id.clone());
        match st.0.get(&k) {
            Some(cur) if cur.status == file.status => {
                if let Some(at) = announce {
                    lock(&self.outbox).push(entry(cur, EventType::FileDeleted, at));
                }
                st.0.remove(&k);
                lock(&self.cleanup).remove(&k);
                st.1.entry(file.owner.clone())
                    .or_default()
                    .apply(QuotaDelta::remove(file.status, file.size));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn usage(&self, owner: &OwnerId, limit: u64) -> Result<QuotaUsage, CoreError> {
        let q = lock(&self.state).1.get(owner).copied().unwrap_or_default();
        Ok(QuotaUsage {
            used_bytes: q.used as u64,
            reserved_bytes: q.reserved as u64,
            limit_bytes: limit,
            files: q.files as u64,
        })
    }
}

#[async_trait]
impl PipelineLedger for MemLedger {
    async fn get_files(&self, ids: &[(OwnerId, FileId)]) -> Result<Vec<FileRecord>, CoreError> {
        let st = lock(&self.state);
        Ok(ids.iter().filter_map(|k| st.0.get(k).cloned()).collect())
    }
}

#[async_trait]
impl JanitorLedger for MemLedger {
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
impl LinkStore for MemLedger {
    async fn put_link(&self, link: &Link) -> Result<(), CoreError> {
        // As the store's conditional put: a link is never written over.
        let mut links = lock(&self.links);
        let key = (link.owner.clone(), link.id.clone());
        if links.0.contains_key(&key) {
            return Err(CoreError::upstream("link id collision"));
        }
        links.0.insert(key, link.clone());
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
        _at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        match lock(&self.links).0.get_mut(&(owner.clone(), id.clone())) {
            Some(l) => {
                l.revoked = true;
                Ok(true)
            }
            None => Ok(false),
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
        // A file larger than the whole quota never fits, whatever the link (as the store,
        // which asks before its transaction).
        if crate::quota::headroom(d.quota_limit, d.file.size).is_none() {
            return Ok(DropReservation::QuotaExceeded);
        }
        // Lock order: files and quotas, then links (as `settle` does).
        let mut st = lock(&self.state);
        let mut links = lock(&self.links);
        let key = (d.link.owner.clone(), d.link.id.clone());
        let Some(link) = links.0.get(&key) else {
            return Ok(DropReservation::LinkRefused);
        };
        let fits_link = !link.revoked
            && d.now < link.expires_at
            && link.uploads_used <= d.max_uploads_used()
            && d.max_bytes_used().is_none_or(|m| link.bytes_used <= m);
        if !fits_link {
            return Ok(DropReservation::LinkRefused);
        }
        let q = st.1.entry(d.file.owner.clone()).or_default();
        if !fits((q.used + q.reserved) as u64, d.file.size, d.quota_limit) {
            return Ok(DropReservation::QuotaExceeded);
        }
        // As the store's conditional put: never a second file under one id.
        if st
            .0
            .contains_key(&(d.file.owner.clone(), d.file.id.clone()))
        {
            return Err(CoreError::upstream("file id collision"));
        }
        let q = st.1.entry(d.file.owner.clone()).or_default();
        q.apply(QuotaDelta::reserve(d.file.size));
        st.0.insert((d.file.owner.clone(), d.file.id.clone()), d.file.clone());
        if let Some(link) = links.0.get_mut(&key) {
            link.uploads_used += 1;
            link.bytes_used += d.file.size;
        }
        links.1.insert(
            d.receipt_hash.to_owned(),
            (d.file.owner.clone(), d.file.id.clone()),
        );
        Ok(DropReservation::Reserved)
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
                })
                .cloned()
                .collect();
        Ok(Page::from_overfetch(files, limit))
    }
}

/// Fixed-window counters in memory.
#[derive(Default)]
pub struct MemCounters {
    pub counts: Mutex<HashMap<String, u64>>,
}

#[async_trait]
impl Counters for MemCounters {
    async fn count(&self, key: &str) -> Result<u64, CoreError> {
        Ok(lock(&self.counts).get(key).copied().unwrap_or(0))
    }

    async fn increment(&self, key: &str, _expires: DateTime<Utc>) -> Result<u64, CoreError> {
        let mut c = lock(&self.counts);
        let n = c.entry(key.to_owned()).or_insert(0);
        *n += 1;
        Ok(*n)
    }
}

/// An object store in memory that counts the bytes it hands out, and fails reads or deletes of
/// chosen keys as S3 does when it throttles or errs.
#[derive(Default)]
pub struct MemStore {
    pub objects: Mutex<HashMap<String, Vec<u8>>>,
    pub bytes_read: AtomicU64,
    /// Keys whose sample fails with `Throttled`.
    pub failing_samples: Mutex<std::collections::HashSet<String>>,
    /// Keys whose delete fails with an upstream error.
    pub failing_deletes: Mutex<std::collections::HashSet<String>>,
    /// Multipart uploads in progress, by upload id.
    pub uploads: Mutex<BTreeMap<String, MemUpload>>,
    next_upload: AtomicU64,
}

impl MemStore {
    pub fn put(&self, key: &str, bytes: Vec<u8>) {
        lock(&self.objects).insert(key.to_owned(), bytes);
    }
    pub fn has(&self, key: &str) -> bool {
        lock(&self.objects).contains_key(key)
    }
    /// What a client's `UploadPart` through a presigned URL does; returns the part's ETag.
    pub fn put_part(&self, upload_id: &str, number: u32, bytes: Vec<u8>) -> String {
        let etag = etag_of(&bytes);
        let mut uploads = lock(&self.uploads);
        let (_, parts) = uploads.get_mut(upload_id).expect("no such upload");
        parts.insert(number, bytes);
        etag
    }
}

/// S3's smallest part, but for the last.
const MIN_PART_BYTES: usize = 5 * 1024 * 1024;

/// A multipart upload in progress: its key and its parts by number.
pub type MemUpload = (String, BTreeMap<u32, Vec<u8>>);

/// Like S3's ETag of a single PUT: a digest of the content.
pub fn etag_of(bytes: &[u8]) -> String {
    hex::encode(&sha2::Sha256::digest(bytes)[..16])
}

#[async_trait]
impl MultipartStore for MemStore {
    async fn start_multipart(&self, key: &str, _content_type: &str) -> Result<String, CoreError> {
        let id = format!("mp-{}", self.next_upload.fetch_add(1, Ordering::Relaxed));
        lock(&self.uploads).insert(id.clone(), (key.to_owned(), BTreeMap::new()));
        Ok(id)
    }

    async fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        size: u64,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        Ok(PresignedRequest {
            method: "PUT".into(),
            url: format!(
                "mem://{key}?uploadId={upload_id}&partNumber={number}&ttl={}",
                ttl.as_secs()
            ),
            headers: BTreeMap::from([("content-length".to_owned(), size.to_string())]),
            expires_at: String::new(),
        })
    }

    async fn list_parts(
        &self,
        _key: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<StoredPart>>, CoreError> {
        Ok(lock(&self.uploads).get(upload_id).map(|(_, parts)| {
            parts
                .iter()
                .map(|(n, b)| StoredPart {
                    number: *n,
                    size: b.len() as u64,
                    etag: etag_of(b),
                })
                .collect()
        }))
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartTag],
    ) -> Result<(), CoreError> {
        let mut uploads = lock(&self.uploads);
        let Some((_, held)) = uploads.get(upload_id) else {
            return Err(CoreError::conflict("upload_gone", "no such upload"));
        };
        let mut object = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            // As S3: ascending part numbers (InvalidPartOrder), every part but the last at
            // least 5 MiB (EntityTooSmall).
            let ordered = i == 0 || parts[i - 1].number < p.number;
            let last = i + 1 == parts.len();
            match held.get(&p.number) {
                Some(b)
                    if ordered && etag_of(b) == p.etag && (last || b.len() >= MIN_PART_BYTES) =>
                {
                    object.extend_from_slice(b)
                }
                _ => return Err(CoreError::conflict("incomplete_upload", "invalid part")),
            }
        }
        let mut objects = lock(&self.objects);
        if objects.contains_key(key) {
            return Err(CoreError::conflict("object_exists", "the object exists"));
        }
        objects.insert(key.to_owned(), object);
        uploads.remove(upload_id);
        Ok(())
    }

    async fn abort_multipart(&self, _key: &str, upload_id: &str) -> Result<(), CoreError> {
        lock(&self.uploads).remove(upload_id);
        Ok(())
    }
}

#[async_trait]
impl ObjectStore for MemStore {
    async fn presign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        let headers = BTreeMap::from([
            ("content-length".to_owned(), size.to_string()),
            ("content-type".to_owned(), content_type.to_owned()),
        ]);
        Ok(PresignedRequest {
            method: "PUT".into(),
            url: format!("mem://{key}?ttl={}", ttl.as_secs()),
            headers,
            expires_at: String::new(),
        })
    }

    async fn presign_get(
        &self,
        key: &str,
        content_disposition: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        Ok(PresignedRequest {
            method: "GET".into(),
            url: format!("mem://{key}?ttl={}&cd={content_disposition}", ttl.as_secs()),
            headers: BTreeMap::new(),
            expires_at: String::new(),
        })
    }

    async fn sample(&self, key: &str, max_bytes: u64) -> Result<Option<ObjectSample>, CoreError> {
        if lock(&self.failing_samples).contains(key) {
            return Err(CoreError::Throttled);
        }
        let objects = lock(&self.objects);
        Ok(objects.get(key).map(|b| {
            let n = b.len().min(max_bytes as usize);
            self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
            ObjectSample {
                bytes: b[..n].to_vec(),
                size: b.len() as u64,
                etag: Some(etag_of(b)),
            }
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), CoreError> {
        if lock(&self.failing_deletes).contains(key) {
            return Err(CoreError::upstream("S3 503 SlowDown"));
        }
        lock(&self.objects).remove(key);
        Ok(())
    }
}

#[derive(Default)]
pub struct MemNotifier {
    pub sent: Mutex<Vec<Notification>>,
}

#[async_trait]
impl Notifier for MemNotifier {
    async fn publish(&self, messages: &[Notification]) -> Result<(), CoreError> {
        lock(&self.sent).extend_from_slice(messages);
        Ok(())
    }
}

#[derive(Default)]
pub struct MemMailer {
    pub sent: Mutex<Vec<Mail>>,
}

#[async_trait]
impl Mailer for MemMailer {
    async fn send(&self, mail: &Mail) -> Result<(), CoreError> {
        lock(&self.sent).push(mail.clone());
        Ok(())
    }
}

/// A clock that moves only when told.
pub struct FixedClock(pub Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(t))
    }
    pub fn advance(&self, d: chrono::Duration) {
        *lock(&self.0) += d;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Ids `f0000000001`, `l0000000002`, ...: increasing, like production's time-ordered ids;
/// secrets distinct and predictable (tests only).
#[derive(Default)]
pub struct SeqIds(AtomicU64);

impl SeqIds {
    fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl IdSource for SeqIds {
    fn file_id(&self) -> FileId {
        FileId::parse(&format!("f{:010}", self.next()))
            .unwrap_or_else(|_| unreachable!("ids are alphanumeric"))
    }

    fn link_id(&self) -> LinkId {
        LinkId::parse(&format!("l{:010}", self.next()))
            .unwrap_or_else(|_| unreachable!("ids are alphanumeric"))
    }

    fn share_id(&self) -> crate::ShareId {
        crate::ShareId::parse(&format!("s{:010}", self.next()))
            .unwrap_or_else(|_| unreachable!("ids are alphanumeric"))
    }

    fn secret(&self) -> Result<[u8; crate::tokens::SECRET_BYTES], CoreError> {
        let mut b = [0x5a; crate::tokens::SECRET_BYTES];
        b[..8].copy_from_slice(&self.next().to_be_bytes());
        Ok(b)
    }
}

/// Shares and their download log in memory, with the adapter's conditions.
#[derive(Default)]
pub struct MemShares {
    shares: Mutex<BTreeMap<(OwnerId, crate::ShareId), crate::shares::Share>>,
    pub downloads: Mutex<Vec<crate::shares::DownloadEntry>>,
    /// The outbox entries counted downloads wrote.
    pub announced: Mutex<Vec<OutboxEntry>>,
}

#[async_trait]
impl crate::shares::ShareStore for MemShares {
    async fn put_share(&self, share: &crate::shares::Share) -> Result<(), CoreError> {
        self.shares
            .lock()
            .unwrap()
            .insert((share.owner.clone(), share.id.clone()), share.clone());
        Ok(())
    }

    async fn get_share(
        &self,
        owner: &OwnerId,
        id: &crate::ShareId,
    ) -> Result<Option<crate::shares::Share>, CoreError> {
        Ok(self
            .shares
            .lock()
            .unwrap()
            .get(&(owner.clone(), id.clone()))
            .cloned())
    }

    async fn find_share(
        &self,
        token_hash: &str,
    ) -> Result<Option<crate::shares::Share>, CoreError> {
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
        after: Option<&crate::ShareId>,
    ) -> Result<crate::shares::SharePage, CoreError> {
        let all: Vec<crate::shares::Share> = self
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
        Ok(crate::shares::SharePage::from_overfetch(all, limit))
    }

    async fn revoke_share(&self, owner: &OwnerId, id: &crate::ShareId) -> Result<bool, CoreError> {
        match self
            .shares
            .lock()
            .unwrap()
            .get_mut(&(owner.clone(), id.clone()))
        {
            Some(s) => {
                s.revoked = true;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn count_download(
        &self,
        c: &crate::shares::DownloadCount<'_>,
    ) -> Result<bool, CoreError> {
        let mut shares = self.shares.lock().unwrap();
        let Some(s) = shares.get_mut(&(c.share.owner.clone(), c.share.id.clone())) else {
            return Ok(false);
        };
        let open = !s.revoked
            && c.now < s.expires_at
            && s.max_downloads.is_none_or(|m| s.downloads < m)
            && (!c.claim_mail || s.mailed_at == c.share.mailed_at);
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
        Ok(true)
    }

    async fn list_downloads(
        &self,
        share: &crate::ShareId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<crate::shares::DownloadPage, CoreError> {
        let mut all: Vec<crate::shares::DownloadEntry> = self
            .downloads
            .lock()
            .unwrap()
            .iter()
            .filter(|d| &d.share == share)
            .filter(|d| after.is_none_or(|a| d.key.as_str() < a))
            .cloned()
            .collect();
        all.sort_by(|a, b| b.key.cmp(&a.key));
        Ok(crate::shares::DownloadPage::from_overfetch(all, limit))
    }
}

/// The multipart flow over one in-memory store.
pub fn multiparts(
    store: &std::sync::Arc<MemStore>,
    settings: &crate::Settings,
) -> crate::multipart::Multiparts {
    crate::multipart::Multiparts {
        store: store.clone(),
        objects: store.clone(),
        settings: settings.clone(),
    }
}
