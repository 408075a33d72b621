//! DynamoDB adapters, one file per capability: [`files`] (the ledger: files, quotas, the upload
//! log; its moves between states in `settle`, a record's scan attributes in `scan`), [`links`]
//! (upload links and receipts), [`shares`] (share links and their download log), [`counters`]
//! (rate-limit windows). This module holds what they share: attribute helpers, the transaction
//! runner and the plain reads and writes they all make; `paged` the newest-first page query of
//! every listing.
//! Attribute names go through `#placeholders`: `owner`, `size`, `name`, `status` are reserved.

pub mod apikeys;
pub mod audit;
pub mod counters;
pub mod deliveries;
mod due;
pub mod erasure;
pub mod expiry;
mod expiry_attrs;
pub mod files;
mod hold_attrs;
mod holds;
mod link_events;
pub mod links;
pub mod marked;
pub mod outbox;
pub mod outbox_lifecycle;
mod own_quota;
mod paged;
mod pointers;
mod profiles;
pub mod reminders;
pub mod retention;
pub mod review;
mod scan;
mod settle;
pub mod shares;
mod standing;
mod trash;
mod version_attrs;
mod versions;
pub mod webhooks;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, KeysAndAttributes, Put, TransactWriteItem, Update,
};
use chrono::{DateTime, Utc};
use dropgate_core::allowed::{ALL_BUT_ACTIVE_CONTENT, TypePolicy};
use dropgate_core::files::QuotaDelta;
use dropgate_core::{CoreError, FileRecord, OwnerId};

use crate::error::sdk_error;

pub use files::PENDING_INDEX;
pub use links::{LINK_FILES_INDEX, TOKEN_INDEX};

/// Files, quotas, the upload log and upload links, which change together in transactions.
pub struct DynamoLedger {
    pub client: aws_sdk_dynamodb::Client,
    pub files_table: String,
    pub quotas_table: String,
    pub log_table: String,
    pub links_table: String,
    /// Partitions of the pending-files index (`Settings::pending_shards`).
    pub pending_shards: u32,
}

pub(crate) fn s(v: impl Into<String>) -> Av {
    Av::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> Av {
    Av::N(v.to_string())
}

pub(crate) fn names(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

pub(crate) fn values(pairs: Vec<(&str, Av)>) -> Option<HashMap<String, Av>> {
    Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

pub(crate) fn corrupt(what: &str) -> CoreError {
    CoreError::upstream(format!("corrupt record: {what}"))
}

/// A type policy as stored: its list, or the string `all_but_active_content` for the default
/// (a link that follows the deployment).
pub(crate) fn policy_attr(p: &TypePolicy) -> Av {
    match p {
        TypePolicy::AllButActiveContent => s(ALL_BUT_ACTIVE_CONTENT),
        TypePolicy::Only(list) => Av::L(list.iter().map(s).collect()),
    }
}

/// The inverse of [`policy_attr`]; anything else is a corrupt record.
pub(crate) fn get_policy(item: &HashMap<String, Av>, k: &str) -> Result<TypePolicy, CoreError> {
    match item.get(k) {
        Some(Av::S(v)) if v == ALL_BUT_ACTIVE_CONTENT => Ok(TypePolicy::AllButActiveContent),
        Some(Av::L(l)) => Ok(TypePolicy::Only(
            l.iter().filter_map(|v| v.as_s().ok().cloned()).collect(),
        )),
        _ => Err(corrupt(k)),
    }
}

pub(crate) fn get_s<'a>(item: &'a HashMap<String, Av>, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(crate) fn get_n(item: &HashMap<String, Av>, k: &str) -> Option<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

pub(crate) fn get_time(item: &HashMap<String, Av>, k: &str) -> Result<DateTime<Utc>, CoreError> {
    get_s(item, k)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| corrupt(k))
}

/// How a transaction ended, when it did not fail outright.
pub(crate) enum Tx {
    Committed,
    /// Which items' conditions failed, by position.
    ConditionFailed(Vec<bool>),
}

/// Runs a transaction, retrying conflicts with other transactions a few times (with backoff).
/// A failed condition is not an error: it is reported with the items whose conditions failed.
pub(crate) async fn transact(
    client: &aws_sdk_dynamodb::Client,
    op: &str,
    items: Vec<TransactWriteItem>,
) -> Result<Tx, CoreError> {
    let mut delay = Duration::from_millis(20);
    for attempt in 0.. {
        let r = client
            .transact_write_items()
            .set_transact_items(Some(items.clone()))
            .send()
            .await;
        let err = match r {
            Ok(_) => return Ok(Tx::Committed),
            Err(e) => e,
        };
        let reasons: Vec<String> = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(tc)) => tc
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect(),
            _ => Vec::new(),
        };
        if reasons.iter().any(|c| c == "TransactionConflict") && attempt < 8 {
            tokio::time::sleep(delay).await;
            delay *= 2;
            continue;
        }
        if reasons.iter().any(|c| c == "ConditionalCheckFailed") {
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

/// The item under `key` in `table`, strongly consistent; `None` when there is none.
pub(crate) async fn get_item(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: HashMap<String, Av>,
) -> Result<Option<HashMap<String, Av>>, CoreError> {
    let out = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| sdk_error("GetItem", e))?;
    Ok(out.item)
}

/// Sends a conditional update: `false`, not an error, when its condition fails.
pub(crate) async fn update_if(update: UpdateItemFluentBuilder) -> Result<bool, CoreError> {
    match update.send().await {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_error("UpdateItem", e)),
    }
}

/// A conditional delete: `false` when its condition failed (nothing was removed).
pub(crate) async fn delete_if(
    delete: aws_sdk_dynamodb::operation::delete_item::builders::DeleteItemFluentBuilder,
) -> Result<bool, CoreError> {
    match delete.send().await {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_error("DeleteItem", e)),
    }
}

impl DynamoLedger {
    pub(crate) fn quota_update(
        &self,
        owner: &OwnerId,
        d: QuotaDelta,
    ) -> Result<TransactWriteItem, CoreError> {
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

    /// The items under `keys` in `table`, in rounds of 100, strongly consistent, retrying the
    /// keys DynamoDB leaves unprocessed (with backoff; `Throttled` if they never clear).
    /// Missing items are absent.
    pub(crate) async fn batch_get(
        &self,
        table: &str,
        keys: Vec<HashMap<String, Av>>,
    ) -> Result<Vec<HashMap<String, Av>>, CoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
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
                    .request_items(table, req)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchGetItem", e))?;
                if let Some(items) = out.responses().and_then(|r| r.get(table)) {
                    found.extend(items.iter().cloned());
                }
                request = out
                    .unprocessed_keys()
                    .and_then(|u| u.get(table))
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

    /// The two writes that start a pending file: reserve its size against the owner's quota
    /// (`committed <= room` under `bound`, the quota invariant; `own_quota.rs`) and put the
    /// record (never over another). `None` when the size alone is over the bound.
    pub(crate) fn reserve_and_put(
        &self,
        file: &FileRecord,
        bound: own_quota::Bound,
    ) -> Result<Option<[TransactWriteItem; 2]>, CoreError> {
        let Some((condition, room)) = bound.condition(file.size) else {
            return Ok(None);
        };
        let mut vals = vec![(":zero", n(0)), (":one", n(1)), (":size", n(file.size))];
        vals.extend(room);
        let reserve = Update::builder()
            .table_name(&self.quotas_table)
            .key("owner", s(file.owner.as_str()))
            .update_expression(
                "SET used_bytes = if_not_exists(used_bytes, :zero), \
                 reserved_bytes = if_not_exists(reserved_bytes, :zero) + :size, \
                 committed_bytes = if_not_exists(committed_bytes, :zero) + :size, \
                 #files = if_not_exists(#files, :zero) + :one",
            )
            .condition_expression(condition)
            .set_expression_attribute_names(names(&[("#files", "files")]))
            .set_expression_attribute_values(values(vals))
            .build()
            .map_err(CoreError::upstream)?;
        let mut item = files::to_item(file);
        item.insert("pending_shard".into(), s(self.pending_label(&file.id)));
        if file.lifecycle.delete_after.is_some() {
            item.insert(
                retention::RETENTION_SHARD.into(),
                s(self.retention_label(file)),
            );
        }
        let put = Put::builder()
            .table_name(&self.files_table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(file_id)")
            .build()
            .map_err(CoreError::upstream)?;
        Ok(Some([
            TransactWriteItem::builder().update(reserve).build(),
            TransactWriteItem::builder().put(put).build(),
        ]))
    }
}

/// An unconditional put, as one item of a transaction.
/// A put of a new item for a transaction: never over an item with its key (`id`, an attribute
/// every item of the table has, must not exist yet).
pub(crate) fn put_new_op(
    table: &str,
    item: HashMap<String, Av>,
    id: &str,
) -> Result<TransactWriteItem, CoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(format!("attribute_not_exists({id})"))
        .build()
        .map_err(CoreError::upstream)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub(crate) fn put_op(
    table: &str,
    item: HashMap<String, Av>,
) -> Result<TransactWriteItem, CoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map_err(CoreError::upstream)?;
    Ok(TransactWriteItem::builder().put(put).build())
}
