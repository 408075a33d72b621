//! The trash and deletion receipts over DynamoDB. A file in the trash keeps its record (and its
//! quota) with `trashed_at`, and `pending_shard = t<n>` so that the janitor finds what is due
//! through the same sparse index as every other overdue file. A purge deletes the record and
//! puts its receipt in one transaction; receipts live in the files table under the partition
//! `receipts#<owner>` (`#` is outside the owner id alphabet, so no listing, quota or index of
//! an owner's files ever sees one), sorted by `<deleted_at>#<file id>`, kept for good.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue as Av, Delete, TransactWriteItem};
use chrono::{DateTime, Utc};
use dropgate_core::files::{Page, Purging, QuotaDelta};
use dropgate_core::lifecycle::{DeletedBy, DeletionReason, DeletionReceipt, ReceiptPage};
use dropgate_core::notify::EventType;
use dropgate_core::paging::cut_page;
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, FileRecord, OwnerId};

use super::files::{DELETE_AFTER, PENDING_INDEX, TRASH, file_key, from_item, shard_label};
use super::hold_attrs::{HELD, NOT_HELD};
use super::paged::NewestFirst;
use super::retention::RETENTION_SHARD;
use super::{DynamoLedger, corrupt, get_n, get_s, n, names, put_op, s, update_if, values};
use crate::error::sdk_error;

const RECEIPTS: &str = "receipts#";

/// The partition of the owner's deletion receipts.
pub(crate) fn receipts_partition(owner: &OwnerId) -> String {
    format!("{RECEIPTS}{}", owner.as_str())
}

fn receipt_item(owner: &OwnerId, r: &DeletionReceipt) -> HashMap<String, Av> {
    let mut item = HashMap::from([
        (
            "owner".to_string(),
            s(format!("{RECEIPTS}{}", owner.as_str())),
        ),
        ("file_id".to_string(), s(r.sort_key())),
        ("receipt_of".to_string(), s(&r.file_id)),
        ("name_sha256".to_string(), s(&r.name_sha256)),
        ("size".to_string(), n(r.size)),
        ("versions".to_string(), n(r.versions)),
        ("reason".to_string(), s(r.reason.as_str())),
        ("deleted_by".to_string(), s(r.deleted_by.as_str())),
        ("deleted_at".to_string(), s(&r.deleted_at)),
    ]);
    if let Some(e) = &r.etag {
        item.insert("etag".into(), s(e));
    }
    item
}

fn receipt_of(item: &HashMap<String, Av>) -> Result<DeletionReceipt, CoreError> {
    let req = |k: &str| get_s(item, k).ok_or_else(|| corrupt(k));
    let num = |k: &str| {
        get_n(item, k)
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| corrupt(k))
    };
    Ok(DeletionReceipt {
        file_id: req("receipt_of")?.to_owned(),
        name_sha256: req("name_sha256")?.to_owned(),
        size: num("size")?,
        etag: get_s(item, "etag").map(str::to_owned),
        versions: u32::try_from(num("versions")?).map_err(|_| corrupt("versions"))?,
        reason: DeletionReason::parse(req("reason")?).ok_or_else(|| corrupt("reason"))?,
        deleted_by: DeletedBy::parse(req("deleted_by")?).ok_or_else(|| corrupt("deleted_by"))?,
        deleted_at: req("deleted_at")?.to_owned(),
    })
}

impl DynamoLedger {
    pub(super) async fn trash(
        &self,
        file: &FileRecord,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            // Out of the retention index: the trash's own pass finds it now.
            .update_expression(format!(
                "SET trashed_at = :t, pending_shard = :shard REMOVE {RETENTION_SHARD}"
            ))
            .condition_expression(format!(
                "#st = :st AND attribute_not_exists(trashed_at) AND {NOT_HELD}"
            ))
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(values(vec![
                (":t", s(rfc3339(at))),
                (
                    ":shard",
                    s(shard_label(TRASH, &file.id, self.pending_shards)),
                ),
                (":st", s(file.status.as_str())),
            ]));
        update_if(update).await
    }

    pub(super) async fn restore(
        &self,
        file: &FileRecord,
        not_due_before: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        let Some(t) = file.lifecycle.trashed_at else {
            return Ok(false);
        };
        let mut vals = vec![(":t", s(rfc3339(t))), (":due", s(rfc3339(not_due_before)))];
        // Back into the retention index with the time the caller kept, if any, unless held
        // (as read, which the condition holds it to): a held file stays out of it.
        let held = file.lifecycle.legal_hold.is_some();
        let expression = match file.lifecycle.delete_after {
            Some(d) if held => {
                vals.push((":d", s(rfc3339(d))));
                format!("SET {DELETE_AFTER} = :d REMOVE trashed_at, pending_shard")
            }
            Some(d) => {
                vals.push((":d", s(rfc3339(d))));
                vals.push((":r", s(self.retention_label(file))));
                format!(
                    "SET {DELETE_AFTER} = :d, {RETENTION_SHARD} = :r REMOVE trashed_at, pending_shard"
                )
            }
            None => format!("REMOVE trashed_at, pending_shard, {DELETE_AFTER}, {RETENTION_SHARD}"),
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression(expression)
            // Times are fixed-width RFC 3339, so they compare as strings.
            .condition_expression(format!(
                "trashed_at = :t AND trashed_at >= :due AND {}",
                if held { HELD } else { NOT_HELD }
            ))
            .set_expression_attribute_values(values(vals));
        update_if(update).await
    }

    pub(super) async fn expedite(&self, file: &FileRecord) -> Result<bool, CoreError> {
        let Some(t) = file.lifecycle.trashed_at else {
            return Ok(false);
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression("SET trashed_at = :epoch")
            .condition_expression(format!("trashed_at = :t AND {NOT_HELD}"))
            .set_expression_attribute_values(values(vec![
                (":t", s(rfc3339(t))),
                (":epoch", s(rfc3339(DateTime::UNIX_EPOCH))),
            ]));
        update_if(update).await
    }

    pub(super) async fn trash_page(
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
        .filter("attribute_exists(trashed_at)")
        .fetch(limit)
        .await?;
        let files = items.iter().map(from_item).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(files, limit))
    }

    /// Files trashed before `before` in every `t<n>` partition (no legacy one: nothing was in
    /// the trash before the index was sharded), the longest there first.
    pub(super) async fn due(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let queries = (0..self.pending_shards.max(1))
            .map(|k| self.due_in(format!("{TRASH}{k}"), before, limit));
        let mut found = Vec::new();
        for part in futures_util::future::join_all(queries).await {
            found.extend(part?);
        }
        found.sort_by_key(|f| f.lifecycle.trashed_at);
        found.truncate(limit);
        Ok(found)
    }

    /// The index is sorted by upload deadline, not by trash time, so the time is a filter and
    /// the query pages on until it has `limit` or the partition ends.
    async fn due_in(
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
                .filter_expression(format!("trashed_at < :before AND {NOT_HELD}"))
                .set_expression_attribute_values(values(vec![
                    (":p", s(&label)),
                    (":before", s(rfc3339(before))),
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

    pub(super) async fn receipt_page(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<ReceiptPage, CoreError> {
        let after = after
            .map(dropgate_core::lifecycle::decode_receipt_cursor)
            .transpose()?;
        let items = NewestFirst::new(
            &self.client,
            &self.files_table,
            "#o = :o",
            vec![(":o", s(format!("{RECEIPTS}{}", owner.as_str())))],
        )
        .names(&[("#o", "owner")])
        .below("file_id", after.as_deref())
        .fetch(limit)
        .await?;
        let receipts = items
            .iter()
            .map(receipt_of)
            .collect::<Result<Vec<_>, _>>()?;
        let (receipts, next) = cut_page(receipts, limit, DeletionReceipt::sort_key);
        Ok(ReceiptPage {
            receipts,
            next_cursor: next
                .as_deref()
                .map(dropgate_core::lifecycle::encode_receipt_cursor),
        })
    }
}

#[async_trait::async_trait]
impl Purging for DynamoLedger {
    async fn mark_deleting(
        &self,
        file: &FileRecord,
        receipt: &DeletionReceipt,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        // Into the index of marks, so the janitor finishes the deletion should it be cut short.
        let by = super::marked::Marker::Ledger {
            cause: receipt.cause(),
            shard: self.marked_label(file),
        };
        super::marked::mark_deleting(&self.client, &self.files_table, file, at, by).await
    }

    async fn purge_file(
        &self,
        file: &FileRecord,
        receipt: &DeletionReceipt,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        // Its versions leave with it in the same transaction, each releasing what it held.
        let versions = dropgate_core::versions::VersionLedger::versions_of(self, file).await?;
        let receipt = &receipt.clone().counting(file, &versions);
        let mut vals = vec![(":st", s(file.status.as_str()))];
        let cond = match file.lifecycle.trashed_at {
            Some(t) => {
                vals.push((":t", s(rfc3339(t))));
                "#st = :st AND trashed_at = :t"
            }
            None => "#st = :st AND attribute_not_exists(trashed_at)",
        };
        let cond = format!("{cond} AND {NOT_HELD}");
        let delete = Delete::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .condition_expression(cond)
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(values(vals))
            .build()
            .map_err(CoreError::upstream)?;
        let mut items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.outbox_put(
                &dropgate_core::lifecycle::announced_deletion(file, receipt),
                EventType::FileDeleted,
                at,
            )?,
            put_op(&self.files_table, receipt_item(&file.owner, receipt))?,
        ];
        let mut delta = dropgate_core::versions::own_removal(file);
        for v in &versions {
            let delete = Delete::builder()
                .table_name(&self.files_table)
                .set_key(Some(file_key(&v.owner, &v.id)))
                .condition_expression("#st = :st")
                .set_expression_attribute_names(names(&[("#st", "status")]))
                .set_expression_attribute_values(values(vec![(":st", s(v.status.as_str()))]))
                .build()
                .map_err(CoreError::upstream)?;
            items.push(TransactWriteItem::builder().delete(delete).build());
            items.extend(self.pointer_follows(v, None)?);
            let d = QuotaDelta::remove(v.status, v.size);
            delta = QuotaDelta {
                used: delta.used + d.used,
                reserved: delta.reserved + d.reserved,
                files: delta.files + d.files,
            };
        }
        if !delta.is_zero() {
            items.push(self.quota_update(&file.owner, delta)?);
        }
        items.extend(self.pointer_follows(file, None)?);
        // A pending drop deleted by its owner releases its link's pending bytes.
        let link_tries = self.link_releases(file, file.status, false)?;
        self.with_link_release("purge_file", items, link_tries)
            .await
    }
}
