//! The ledger over DynamoDB: the files table, the quotas table and the upload log. Every
//! change to a quota is in the same transaction as the file record it concerns.
//! Attribute names go through `#placeholders`: `owner`, `size`, `name`, `status` are reserved.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use dropgate_core::file::rfc3339;
use dropgate_core::ports::{Ledger, Page, Reservation, Settlement};
use dropgate_core::quota::{QuotaDelta, QuotaUsage, headroom};
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus, OwnerId};

use crate::error::sdk_error;

pub const PENDING_INDEX: &str = "pending-by-deadline";
/// `pending_shard` values in the sparse index: pending files, and settled-away files whose
/// object removal is not yet confirmed.
const PENDING_SHARD: &str = "p";
const CLEANUP_SHARD: &str = "c";
/// Settled-away records (rejected, expired) and log entries are kept this long, then TTL
/// cleans them up.
const KEEP_REJECTED_DAYS: i64 = 30;
const KEEP_LOG_DAYS: i64 = 90;

pub struct DynamoLedger {
    pub client: aws_sdk_dynamodb::Client,
    pub files_table: String,
    pub quotas_table: String,
    pub log_table: String,
}

fn s(v: impl Into<String>) -> Av {
    Av::S(v.into())
}

fn n(v: impl ToString) -> Av {
    Av::N(v.to_string())
}

fn names(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn values(pairs: Vec<(&str, Av)>) -> Option<HashMap<String, Av>> {
    Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn file_key(owner: &OwnerId, id: &FileId) -> HashMap<String, Av> {
    HashMap::from([
        ("owner".to_string(), s(owner.as_str())),
        ("file_id".to_string(), s(id.as_str())),
    ])
}

fn epoch_after(t: DateTime<Utc>, days: i64) -> i64 {
    (t + chrono::Duration::days(days)).timestamp()
}

fn to_item(f: &FileRecord) -> HashMap<String, Av> {
    let mut item = file_key(&f.owner, &f.id);
    item.insert("name".into(), s(&f.name));
    item.insert("size".into(), n(f.size));
    item.insert("content_type".into(), s(&f.content_type));
    item.insert("status".into(), s(f.status.as_str()));
    item.insert("created_at".into(), s(rfc3339(f.created_at)));
    item.insert("upload_expires_at".into(), s(rfc3339(f.upload_expires_at)));
    if f.status == FileStatus::Pending {
        item.insert("pending_shard".into(), s(PENDING_SHARD));
    }
    let optional = [
        ("detected_type", &f.detected_type),
        ("reason", &f.reason),
        ("via_link", &f.via_link),
        ("owner_email", &f.owner_email),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            item.insert(k.into(), s(v));
        }
    }
    item
}

fn corrupt(what: &str) -> CoreError {
    CoreError::upstream(format!("corrupt file record: {what}"))
}

fn get_s<'a>(item: &'a HashMap<String, Av>, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn get_n(item: &HashMap<String, Av>, k: &str) -> Option<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

fn get_time(item: &HashMap<String, Av>, k: &str) -> Result<DateTime<Utc>, CoreError> {
    get_s(item, k)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| corrupt(k))
}

fn from_item(item: &HashMap<String, Av>) -> Result<FileRecord, CoreError> {
    let req = |k: &str| get_s(item, k).ok_or_else(|| corrupt(k));
    Ok(FileRecord {
        id: FileId::parse(req("file_id")?).map_err(|_| corrupt("file_id"))?,
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
        via_link: get_s(item, "via_link").map(str::to_owned),
        owner_email: get_s(item, "owner_email").map(str::to_owned),
    })
}

/// How a transaction ended, when it did not fail outright.
enum Tx {
    Committed,
    /// Which items' conditions failed, by position.
    ConditionFailed(Vec<bool>),
}

impl DynamoLedger {
    fn quota_update(&self, owner: &OwnerId, d: QuotaDelta) -> Result<TransactWriteItem, CoreError> {
        let update = Update::builder()
            .table_name(&self.quotas_table)
            .key("owner", s(owner.as_str()))
            .update_expression(
                "SET used_bytes = used_bytes + :du, reserved_bytes = reserved_bytes + :dr, \
                 committed_bytes = committed_bytes + :dc, #files = #files + :df",
            )
            .condition_expression("attribute_exists(committed_bytes)")
            .set_expression_attribute_names(names(&[("#files", "files")]))
            .set_expression_attribute_values(values(vec![
                (":du", n(d.used)),
                (":dr", n(d.reserved)),
                (":dc", n(d.committed())),
                (":df", n(d.files)),
            ]))
            .build()
            .map_err(CoreError::upstream)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Runs a transaction, retrying conflicts with other transactions a few times.
    async fn transact(&self, op: &str, items: Vec<TransactWriteItem>) -> Result<Tx, CoreError> {
        let mut delay = Duration::from_millis(20);
        for attempt in 0.. {
            let r = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match r {
                Ok(_) => return Ok(Tx::Committed),
                Err(e) => e,
            };
            let reasons: Vec<String> = err
                .as_service_error()
                .and_then(|se| match se {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(tc) => Some(tc),
                    _ => None,
                })
                .map(|tc| {
                    tc.cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            if reasons.iter().any(|c| c == "TransactionConflict") && attempt < 8 {
                tokio::time::sleep(delay).await;
                delay *= 2;
                continue;
            }
            if !reasons.is_empty() && reasons.iter().any(|c| c == "ConditionalCheckFailed") {
                return Ok(Tx::ConditionFailed(
                    reasons
                        .iter()
                        .map(|c| c == "ConditionalCheckFailed")
                        .collect(),
                ));
            }
            return Err(sdk_error(op, err));
        }
        unreachable!("the loop returns")
    }
}

#[async_trait]
impl Ledger for DynamoLedger {
    async fn create_pending(
        &self,
        file: &FileRecord,
        limit: u64,
    ) -> Result<Reservation, CoreError> {
        let Some(room) = headroom(limit, file.size) else {
            return Ok(Reservation::QuotaExceeded);
        };
        let reserve = Update::builder()
            .table_name(&self.quotas_table)
            .key("owner", s(file.owner.as_str()))
            .update_expression(
                "SET used_bytes = if_not_exists(used_bytes, :zero), \
                 reserved_bytes = if_not_exists(reserved_bytes, :zero) + :size, \
                 committed_bytes = if_not_exists(committed_bytes, :zero) + :size, \
                 #files = if_not_exists(#files, :zero) + :one",
            )
            // The quota invariant: used + reserved never exceeds the limit.
            .condition_expression(
                "attribute_not_exists(committed_bytes) OR committed_bytes <= :room",
            )
            .set_expression_attribute_names(names(&[("#files", "files")]))
            .set_expression_attribute_values(values(vec![
                (":zero", n(0)),
                (":one", n(1)),
                (":size", n(file.size)),
                (":room", n(room)),
            ]))
            .build()
            .map_err(CoreError::upstream)?;
        let put = Put::builder()
            .table_name(&self.files_table)
            .set_item(Some(to_item(file)))
            .condition_expression("attribute_not_exists(file_id)")
            .build()
            .map_err(CoreError::upstream)?;
        let items = vec![
            TransactWriteItem::builder().update(reserve).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        match self.transact("create_pending", items).await? {
            Tx::Committed => Ok(Reservation::Reserved),
            Tx::ConditionFailed(which) if which.first() == Some(&true) => {
                Ok(Reservation::QuotaExceeded)
            }
            Tx::ConditionFailed(_) => Err(CoreError::upstream("file id collision")),
        }
    }

    async fn get_file(
        &self,
        owner: &OwnerId,
        id: &FileId,
    ) -> Result<Option<FileRecord>, CoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(owner, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        out.item().map(from_item).transpose()
    }

    async fn get_files(&self, ids: &[(OwnerId, FileId)]) -> Result<Vec<FileRecord>, CoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let keys: Vec<_> = chunk.iter().map(|(o, f)| file_key(o, f)).collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(true)
                    .build()
                    .map_err(CoreError::upstream)?,
            );
            let mut rounds = 0;
            while let Some(req) = request.take() {
                rounds += 1;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.files_table, req)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchGetItem", e))?;
                if let Some(items) = out.responses().and_then(|r| r.get(&self.files_table)) {
                    for item in items {
                        found.push(from_item(item)?);
                    }
                }
                request = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.files_table))
                    .filter(|k| !k.keys().is_empty())
                    .cloned();
                if request.is_some() {
                    if rounds > 6 {
                        return Err(CoreError::Throttled);
                    }
                    tokio::time::sleep(Duration::from_millis(25 << rounds)).await;
                }
            }
        }
        Ok(found)
    }

    async fn list_files(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<Page, CoreError> {
        let mut vals = vec![(":o", s(owner.as_str()))];
        let mut cond = "#o = :o".to_string();
        if let Some(a) = after {
            cond.push_str(" AND file_id < :after");
            vals.push((":after", s(a.as_str())));
        }
        // One more than asked tells whether another page exists.
        let out = self
            .client
            .query()
            .table_name(&self.files_table)
            .key_condition_expression(cond)
            .set_expression_attribute_names(names(&[("#o", "owner")]))
            .set_expression_attribute_values(values(vals))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(limit as i32 + 1)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let files = out
            .items()
            .iter()
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(files, limit))
    }

    async fn remove_file(&self, file: &FileRecord) -> Result<bool, CoreError> {
        let delete = Delete::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .condition_expression("#st = :st")
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(values(vec![(":st", s(file.status.as_str()))]))
            .build()
            .map_err(CoreError::upstream)?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
        let delta = QuotaDelta::remove(file.status, file.size);
        if !delta.is_zero() {
            items.push(self.quota_update(&file.owner, delta)?);
        }
        Ok(matches!(
            self.transact("remove_file", items).await?,
            Tx::Committed
        ))
    }

    async fn settle(&self, file: &FileRecord, st: &Settlement) -> Result<bool, CoreError> {
        let at = rfc3339(st.at);
        let mut set = vec!["#st = :new", "settled_at = :at"];
        let mut vals = vec![
            (":new", s(st.status.as_str())),
            (":pending", s(FileStatus::Pending.as_str())),
            (":at", s(&at)),
        ];
        if let Some(t) = &st.detected_type {
            set.push("detected_type = :dt");
            vals.push((":dt", s(t)));
        }
        if let Some(r) = &st.reason {
            set.push("reason = :reason");
            vals.push((":reason", s(r)));
        }
        let mut remove = "";
        if st.status == FileStatus::Accepted {
            remove = " REMOVE pending_shard";
        } else {
            set.push("expires_at = :ttl");
            vals.push((":ttl", n(epoch_after(st.at, KEEP_REJECTED_DAYS))));
            set.push("pending_shard = :cleanup");
            vals.push((":cleanup", s(CLEANUP_SHARD)));
        }
        let update = Update::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression(format!("SET {}{remove}", set.join(", ")))
            // Only a pending file moves: a replayed event finds it settled and changes nothing.
            .condition_expression("#st = :pending")
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(values(vals))
            .build()
            .map_err(CoreError::upstream)?;
        let delta = if st.status == FileStatus::Accepted {
            QuotaDelta::accept(file.size)
        } else {
            QuotaDelta::release(file.size)
        };
        let mut entry = HashMap::from([
            ("owner".to_string(), s(file.owner.as_str())),
            ("entry".to_string(), s(format!("{at}#{}", file.id))),
            ("file_id".to_string(), s(file.id.as_str())),
            ("status".to_string(), s(st.status.as_str())),
            ("size".to_string(), n(file.size)),
            ("content_type".to_string(), s(&file.content_type)),
            (
                "expires_at".to_string(),
                n(epoch_after(st.at, KEEP_LOG_DAYS)),
            ),
        ]);
        if let Some(v) = st.stored_size {
            entry.insert("stored_size".into(), n(v));
        }
        for (k, v) in [
            ("detected_type", &st.detected_type),
            ("reason", &st.reason),
            ("via_link", &file.via_link),
        ] {
            if let Some(v) = v {
                entry.insert(k.into(), s(v));
            }
        }
        let log = Put::builder()
            .table_name(&self.log_table)
            .set_item(Some(entry))
            .build()
            .map_err(CoreError::upstream)?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            self.quota_update(&file.owner, delta)?,
            TransactWriteItem::builder().put(log).build(),
        ];
        Ok(matches!(
            self.transact("settle", items).await?,
            Tx::Committed
        ))
    }

    async fn usage(&self, owner: &OwnerId, limit: u64) -> Result<QuotaUsage, CoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.quotas_table)
            .key("owner", s(owner.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        let item = out.item().cloned().unwrap_or_default();
        let get = |k: &str| get_n(&item, k).unwrap_or(0).max(0) as u64;
        Ok(QuotaUsage {
            used_bytes: get("used_bytes"),
            reserved_bytes: get("reserved_bytes"),
            limit_bytes: limit,
            files: get("files"),
        })
    }

    async fn stale_pending(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.files_table)
            .index_name(PENDING_INDEX)
            .key_condition_expression("pending_shard = :p AND upload_expires_at < :before")
            .set_expression_attribute_values(values(vec![
                (":p", s(PENDING_SHARD)),
                (":before", s(rfc3339(before))),
            ]))
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        out.items().iter().map(from_item).collect()
    }

    async fn awaiting_cleanup(&self, limit: usize) -> Result<Vec<FileRecord>, CoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.files_table)
            .index_name(PENDING_INDEX)
            .key_condition_expression("pending_shard = :c")
            .set_expression_attribute_values(values(vec![(":c", s(CLEANUP_SHARD))]))
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        out.items().iter().map(from_item).collect()
    }

    async fn mark_cleaned(&self, file: &FileRecord) -> Result<(), CoreError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression("REMOVE pending_shard")
            .condition_expression("attribute_exists(file_id)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            // Deleted meanwhile: nothing left to clean.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }
}
