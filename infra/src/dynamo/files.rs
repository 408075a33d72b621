//! The ledger over DynamoDB: the files table, the quotas table and the upload log. Every
//! change to a quota is in the same transaction as the file record it concerns.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, Delete, TransactWriteItem};
use chrono::{DateTime, Utc};
use dropgate_core::files::{
    FileLookup, JanitorLedger, Lifecycle, LinkOrigin, OwnerLedger, Page, PipelineLedger,
    QuotaDelta, QuotaUsage, Reservation, StoredObject, Uploader,
};
use dropgate_core::keys::{KeyScheme, UploadKey, file_upload_key};
use dropgate_core::multipart::MultipartUpload;
use dropgate_core::notify::EventType;
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus, LinkId, OwnerId};

use super::hold_attrs::NOT_HELD;
use super::own_quota::{Try, usage_of};
use super::paged::NewestFirst;
use super::scan::{SCAN_STARTED_AT, put_scan, scan_of};
use super::{
    DynamoLedger, Tx, corrupt, get_item, get_n, get_s, get_time, n, names, s, transact, values,
};
use crate::error::sdk_error;

pub const PENDING_INDEX: &str = "pending-by-deadline";
/// `pending_shard` values in the sparse index: `p<n>` for pending files and `c<n>` for
/// settled-away files whose object removal is not yet confirmed, `n` the file's shard
/// (`keys::pending_shard`). Records written before the index was sharded carry `p` or `c`:
/// those partitions are still read, so nothing written by an older version is stranded.
const PENDING: &str = "p";
pub(crate) const CLEANUP: &str = "c";
/// `s<n>`: files waiting for their malware scan, found by the janitor's timeout pass. No
/// legacy partition: nothing was scanning before the index was sharded.
pub(crate) const SCANNING: &str = "s";
/// `t<n>`: files in the trash, found by the janitor's purge pass (see `trash.rs`).
pub(crate) const TRASH: &str = "t";

pub(crate) fn shard_label(kind: &str, file: &FileId, shards: u32) -> String {
    format!("{kind}{}", dropgate_core::keys::pending_shard(file, shards))
}

/// Every partition of `kind` a query must read: the shards, then the legacy one.
fn shard_labels(kind: &str, shards: u32) -> Vec<String> {
    (0..shards.max(1))
        .map(|n| format!("{kind}{n}"))
        .chain(std::iter::once(kind.to_owned()))
        .collect()
}
/// Settled-away records (rejected, expired) and log entries are kept this long, then TTL
/// cleans them up.
pub(crate) const KEEP_REJECTED_DAYS: i64 = 30;

pub(crate) const TRASHED_AT: &str = "trashed_at";
/// When retention deletes the file (RFC 3339, fixed width: compares as a time).
pub(crate) const DELETE_AFTER: &str = "delete_after";
/// The filter of every listing of live files.
pub(crate) const NOT_IN_TRASH: &str = "attribute_not_exists(trashed_at)";
/// The owner's listing: live files, not their versions (`versions.rs`).
const LISTED: &str = "attribute_not_exists(trashed_at) AND attribute_not_exists(version_of)";

/// A record's life beyond its status, from the attributes `to_item` writes.
pub(crate) fn lifecycle_of(item: &HashMap<String, Av>) -> Result<Lifecycle, CoreError> {
    let trashed_at = match get_s(item, TRASHED_AT) {
        None => None,
        Some(_) => Some(super::get_time(item, TRASHED_AT)?),
    };
    let delete_after = match get_s(item, DELETE_AFTER) {
        None => None,
        Some(_) => Some(super::get_time(item, DELETE_AFTER)?),
    };
    Ok(Lifecycle {
        trashed_at,
        delete_after,
        legal_hold: super::hold_attrs::hold_of(item)?,
        deleting_at: match get_s(item, super::hold_attrs::DELETING_AT) {
            None => None,
            Some(_) => Some(super::get_time(item, super::hold_attrs::DELETING_AT)?),
        },
        deleting_for: super::hold_attrs::cause_of(item)?,
    })
}

/// A record's attribute naming its object's key; absent on files created before owner-free
/// keys, which are under `uploads/{owner}/{file}`.
const OBJECT_KEY: &str = "object_key";

pub(crate) fn file_key(owner: &OwnerId, id: &FileId) -> HashMap<String, Av> {
    HashMap::from([
        ("owner".to_string(), s(owner.as_str())),
        ("file_id".to_string(), s(id.as_str())),
    ])
}

pub(crate) fn epoch_after(t: DateTime<Utc>, days: i64) -> i64 {
    (t + chrono::Duration::days(days)).timestamp()
}

pub(crate) fn to_item(f: &FileRecord) -> HashMap<String, Av> {
    let mut item = file_key(&f.owner, &f.id);
    item.insert("name".into(), s(&f.name));
    item.insert("size".into(), n(f.size));
    item.insert("content_type".into(), s(&f.content_type));
    item.insert("status".into(), s(f.status.as_str()));
    item.insert("created_at".into(), s(rfc3339(f.created_at)));
    item.insert("upload_expires_at".into(), s(rfc3339(f.upload_expires_at)));
    let uploader = f.link.as_ref().and_then(|l| l.uploader.as_ref());
    let optional = [
        ("detected_type", f.detected_type.as_deref()),
        ("reason", f.reason.as_deref()),
        ("via_link", f.via_link()),
        ("link_label", f.link.as_ref().map(|l| l.label.as_str())),
        ("uploader_name", uploader.and_then(|u| u.name.as_deref())),
        ("uploader_email", uploader.and_then(|u| u.email.as_deref())),
        ("uploader_note", uploader.and_then(|u| u.note.as_deref())),
        ("owner_email", f.owner_email.as_deref()),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            item.insert(k.into(), s(v));
        }
    }
    if let Some(st) = &f.stored {
        item.insert("stored_size".into(), n(st.size));
        if let Some(e) = &st.etag {
            item.insert("stored_etag".into(), s(e));
        }
    }
    if let Some(m) = &f.multipart {
        item.insert("upload_id".into(), s(&m.upload_id));
        item.insert("part_size".into(), n(m.part_size));
        item.insert("part_count".into(), n(u64::from(m.part_count)));
    }
    if let Some(l) = &f.link {
        item.insert("allowed_types".into(), super::policy_attr(&l.allowed_types));
    }
    if f.key_scheme == KeyScheme::File {
        item.insert(OBJECT_KEY.into(), s(f.key()));
    }
    put_scan(&mut item, f.scan.as_ref(), f.scan_started_at);
    if let Some(t) = f.lifecycle.trashed_at {
        item.insert(TRASHED_AT.into(), s(rfc3339(t)));
    }
    if let Some(t) = f.lifecycle.delete_after {
        item.insert(DELETE_AFTER.into(), s(rfc3339(t)));
    }
    super::hold_attrs::put_hold(&mut item, f.lifecycle.legal_hold.as_ref());
    if let Some(t) = f.lifecycle.deleting_at {
        item.insert(super::hold_attrs::DELETING_AT.into(), s(rfc3339(t)));
    }
    if let Some(c) = f.lifecycle.deleting_for {
        item.insert(super::hold_attrs::DELETING_FOR.into(), s(c.encode()));
    }
    super::version_attrs::put_versioning(&mut item, &f.versioning);
    item
}

/// How a record's object is keyed, from the attribute `to_item` writes: a key other than the
/// one its id makes is a corrupt record, never a key to follow.
fn key_scheme(item: &HashMap<String, Av>, id: &FileId) -> Result<KeyScheme, CoreError> {
    match get_s(item, OBJECT_KEY) {
        None => Ok(KeyScheme::Owner),
        Some(k) if k == file_upload_key(id) => Ok(KeyScheme::File),
        Some(_) => Err(corrupt(OBJECT_KEY)),
    }
}

/// The link a file came through, from the attributes `to_item` writes.
fn link_origin(item: &HashMap<String, Av>) -> Result<Option<LinkOrigin>, CoreError> {
    let Some(id) = get_s(item, "via_link") else {
        return Ok(None);
    };
    let allowed_types = super::get_policy(item, "allowed_types")?;
    let name = get_s(item, "uploader_name").map(str::to_owned);
    let email = get_s(item, "uploader_email").map(str::to_owned);
    let note = get_s(item, "uploader_note").map(str::to_owned);
    let any = name.is_some() || email.is_some() || note.is_some();
    Ok(Some(LinkOrigin {
        link_id: LinkId::parse(id).map_err(|_| corrupt("via_link"))?,
        label: get_s(item, "link_label").unwrap_or_default().to_owned(),
        allowed_types,
        uploader: any.then_some(Uploader { name, email, note }),
    }))
}

pub(crate) fn from_item(item: &HashMap<String, Av>) -> Result<FileRecord, CoreError> {
    let req = |k: &str| get_s(item, k).ok_or_else(|| corrupt(k));
    let id = FileId::parse(req("file_id")?).map_err(|_| corrupt("file_id"))?;
    let (scan, scan_started_at) = scan_of(item)?;
    Ok(FileRecord {
        key_scheme: key_scheme(item, &id)?,
        id,
        owner: OwnerId::parse(req("owner")?).map_err(|_| corrupt("owner"))?,
        name: req("name")?.to_owned(),
        size: get_n(item, "size")
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| corrupt("size"))?,
        content_type: req("content_type")?.to_owned(),
        status: FileStatus::parse(req("status")?).ok_or_else(|| corrupt("status"))?,
        detected_type: get_s(item, "detected_type").map(str::to_owned),
        reason: get_s(item, "reason").map(str::to_owned),
        created_at: get_time(item, "created_at")?,
        upload_expires_at: get_time(item, "upload_expires_at")?,
        link: link_origin(item)?,
        owner_email: get_s(item, "owner_email").map(str::to_owned),
        stored: get_n(item, "stored_size")
            .and_then(|v| u64::try_from(v).ok())
            .map(|size| StoredObject {
                size,
                etag: get_s(item, "stored_etag").map(str::to_owned),
            }),
        multipart: multipart_upload(item)?,
        scan,
        scan_started_at,
        lifecycle: lifecycle_of(item)?,
        versioning: super::version_attrs::versioning_of(item)?,
    })
}

/// A large file's multipart upload, from the attributes `to_item` writes.
fn multipart_upload(item: &HashMap<String, Av>) -> Result<Option<MultipartUpload>, CoreError> {
    let Some(upload_id) = get_s(item, "upload_id") else {
        return Ok(None);
    };
    let num = |k: &str| get_n(item, k).and_then(|v| u64::try_from(v).ok());
    Ok(Some(MultipartUpload {
        upload_id: upload_id.to_owned(),
        part_size: num("part_size").ok_or_else(|| corrupt("part_size"))?,
        part_count: num("part_count")
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| corrupt("part_count"))?,
    }))
}

impl DynamoLedger {
    /// The `pending_shard` label a new pending record of `file` carries.
    pub(crate) fn pending_label(&self, file: &FileId) -> String {
        shard_label(PENDING, file, self.pending_shards)
    }

    /// Up to `limit` records from each partition of `kind` (with deadlines before `before`
    /// when given), the partitions queried concurrently.
    async fn query_shards(
        &self,
        kind: &str,
        before: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let queries = shard_labels(kind, self.pending_shards)
            .into_iter()
            .map(|label| {
                let mut q = self
                    .client
                    .query()
                    .table_name(&self.files_table)
                    .index_name(PENDING_INDEX)
                    .limit(limit.clamp(1, 1000) as i32)
                    .expression_attribute_values(":p", s(label));
                q = match before {
                    Some(t) => q
                        .key_condition_expression(
                            "pending_shard = :p AND upload_expires_at < :before",
                        )
                        .expression_attribute_values(":before", s(rfc3339(t))),
                    None => q.key_condition_expression("pending_shard = :p"),
                };
                q.send()
            });
        let mut found = Vec::new();
        for out in futures_util::future::join_all(queries).await {
            let out = out.map_err(|e| sdk_error("Query", e))?;
            for item in out.items() {
                found.push(from_item(item)?);
            }
        }
        Ok(found)
    }

    /// Up to `limit` scanning records of one `s<n>` partition whose scan started before
    /// `before`. The index is sorted by upload deadline, not by scan start, so the start is a
    /// filter and the query pages on until it has `limit` or the partition ends: scanning
    /// files are few at any moment.
    async fn scanning_in(
        &self,
        label: String,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.files_table)
                .index_name(PENDING_INDEX)
                .key_condition_expression("pending_shard = :p")
                .filter_expression(format!("{SCAN_STARTED_AT} < :before AND #st = :scanning"))
                .set_expression_attribute_names(names(&[("#st", "status")]))
                .set_expression_attribute_values(values(vec![
                    (":p", s(&label)),
                    (":before", s(rfc3339(before))),
                    (":scanning", s(FileStatus::Scanning.as_str())),
                ]))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error("Query", e))?;
            for item in out.items() {
                found.push(from_item(item)?);
            }
            start = out.last_evaluated_key;
            if found.len() >= limit || start.is_none() {
                return Ok(found);
            }
        }
    }
}

#[async_trait]
impl FileLookup for DynamoLedger {
    async fn usage(&self, owner: &OwnerId, limit: u64) -> Result<QuotaUsage, CoreError> {
        let key = HashMap::from([("owner".to_string(), s(owner.as_str()))]);
        let item = get_item(&self.client, &self.quotas_table, key)
            .await?
            .unwrap_or_default();
        Ok(usage_of(&item, limit))
    }

    async fn get_file(
        &self,
        owner: &OwnerId,
        id: &FileId,
    ) -> Result<Option<FileRecord>, CoreError> {
        get_item(&self.client, &self.files_table, file_key(owner, id))
            .await?
            .as_ref()
            .map(from_item)
            .transpose()
    }
}

#[async_trait]
impl OwnerLedger for DynamoLedger {
    async fn create_pending(
        &self,
        file: &FileRecord,
        limit: u64,
    ) -> Result<Reservation, CoreError> {
        self.within_limit(
            &file.owner,
            limit,
            Reservation::QuotaExceeded,
            |bound| async move {
                let Some(reserve) = self.reserve_and_put(file, bound)? else {
                    return Ok(Try::OverQuota);
                };
                let mut items = reserve.to_vec();
                items.extend(self.pointer_put(file)?);
                match transact(&self.client, "create_pending", items).await? {
                    Tx::Committed => Ok(Try::Done(Reservation::Reserved)),
                    Tx::ConditionFailed(which) if which.first() == Some(&true) => {
                        Ok(Try::OverQuota)
                    }
                    Tx::ConditionFailed(_) => Err(CoreError::upstream("file id collision")),
                }
            },
        )
        .await
    }

    async fn list_files(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError> {
        let items = NewestFirst::new(
            &self.client,
            &self.files_table,
            "#o = :o",
            vec![(":o", s(owner.as_str()))],
        )
        .names(&[("#o", "owner")])
        .below("file_id", after.map(FileId::as_str))
        // Files in the trash are listed by `list_trash` only; versions by their file.
        .filter(LISTED)
        .fetch(limit)
        .await?;
        let files = items.iter().map(from_item).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(files, limit))
    }

    async fn trash_file(&self, file: &FileRecord, at: DateTime<Utc>) -> Result<bool, CoreError> {
        self.trash(file, at).await
    }

    async fn restore_file(
        &self,
        file: &FileRecord,
        not_due_before: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        self.restore(file, not_due_before).await
    }

    async fn expedite_purge(&self, file: &FileRecord) -> Result<bool, CoreError> {
        self.expedite(file).await
    }

    async fn set_delete_after(
        &self,
        file: &FileRecord,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError> {
        self.retain(file, at).await
    }

    async fn list_trash(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError> {
        self.trash_page(owner, limit, after).await
    }

    async fn list_receipts(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<dropgate_core::lifecycle::ReceiptPage, CoreError> {
        self.receipt_page(owner, limit, after).await
    }

    async fn remove_file(
        &self,
        file: &FileRecord,
        announce: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError> {
        let delete = Delete::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .condition_expression(format!("#st = :st AND {NOT_HELD}"))
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(values(vec![(":st", s(file.status.as_str()))]))
            .build()
            .map_err(CoreError::upstream)?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
        if let Some(at) = announce {
            items.push(self.outbox_put(file, EventType::FileDeleted, at)?);
        }
        let delta = QuotaDelta::remove(file.status, file.size);
        if !delta.is_zero() {
            items.push(self.quota_update(&file.owner, delta)?);
        }
        items.extend(self.pointer_follows(file, None)?);
        // A pending drop deleted by its owner releases its link's pending bytes.
        let link_tries = self.link_releases(file, file.status, false)?;
        self.with_link_release("remove_file", items, link_tries)
            .await
    }
}

#[async_trait]
impl PipelineLedger for DynamoLedger {
    async fn get_files(&self, keys: &[UploadKey]) -> Result<Vec<FileRecord>, CoreError> {
        let owners = self.pointed_owners(keys).await?;
        let mut wanted: Vec<(OwnerId, FileId)> = keys
            .iter()
            .filter_map(|k| match k {
                UploadKey::Owned(o, f) => Some((o.clone(), f.clone())),
                UploadKey::File(f) => owners.get(f).map(|o| (o.clone(), f.clone())),
            })
            .collect();
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let records = self
            .batch_get(
                &self.files_table,
                wanted.iter().map(|(o, f)| file_key(o, f)).collect(),
            )
            .await?
            .iter()
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        // Each record only for the key it is stored under: a legacy-shaped key of a new file
        // (or the reverse) is nobody's object.
        Ok(records
            .into_iter()
            .filter(|r| keys.contains(&r.upload_key()))
            .collect())
    }
}

#[async_trait]
impl JanitorLedger for DynamoLedger {
    async fn due_trash(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        self.due(before, limit).await
    }

    async fn due_retention(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        self.due_for_retention(now, limit).await
    }

    async fn trash_retained(
        &self,
        file: &FileRecord,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        self.trash(file, at).await
    }

    async fn marked_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        self.marks_before(before, limit).await
    }

    async fn stale_pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let mut found = self.query_shards(PENDING, Some(before), limit).await?;
        // The oldest deadlines first, across the shards.
        found.sort_by_key(|f| f.upload_expires_at);
        found.truncate(limit);
        Ok(found)
    }

    async fn stale_scanning(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let queries = (0..self.pending_shards.max(1))
            .map(|n| self.scanning_in(format!("{SCANNING}{n}"), before, limit));
        let mut found = Vec::new();
        for part in futures_util::future::join_all(queries).await {
            found.extend(part?);
        }
        // The longest waiting first, across the shards.
        found.sort_by_key(|f| f.scan_started_at);
        found.truncate(limit);
        Ok(found)
    }

    async fn awaiting_cleanup(&self, limit: usize) -> Result<Vec<FileRecord>, CoreError> {
        let mut found = self.query_shards(CLEANUP, None, limit).await?;
        found.truncate(limit);
        Ok(found)
    }
}
