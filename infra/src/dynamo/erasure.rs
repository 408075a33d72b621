//! [`ErasureStore`] over DynamoDB. The marker is attributes of the owner's account record in
//! the quotas table (`erasing_at`, `erased_files`, `erased_bytes`, `erased_links`,
//! `erased_shares`, with `disabled` set, which the standing check reads); every other removal
//! is a query of the owner's partition (or the token index) read page by page, each item
//! deleted by its key, so a removal cut short is finished by the next one. Single deletes
//! rather than batch writes: the functions' roles grant `DeleteItem` already, and an erasure
//! is rare.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue};
use chrono::{DateTime, Utc};
use dropgate_core::apikeys::KeyId;
use dropgate_core::erasure::{ErasureStore, Marker, Remnant, Tally};
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, FileRecord, OwnerId};
use futures_util::{StreamExt, TryStreamExt, stream};

use super::files::{file_key, from_item};
use super::pointers::pointer_key;
use super::{corrupt, get_item, get_n, get_time, n, names, s, values};
use crate::error::sdk_error;

const ERASING_AT: &str = "erasing_at";
const TALLY: [&str; 4] = [
    "erased_files",
    "erased_bytes",
    "erased_links",
    "erased_shares",
];
/// Deletes in flight at once.
const PARALLEL: usize = 8;

/// Every table an owner has items in.
pub struct DynamoErasure {
    pub client: aws_sdk_dynamodb::Client,
    pub files_table: String,
    pub quotas_table: String,
    pub log_table: String,
    pub links_table: String,
    pub shares_table: String,
    pub download_log_table: String,
    pub webhooks_table: String,
    pub api_keys_table: String,
}

fn owner_key(owner: &OwnerId) -> HashMap<String, Av> {
    HashMap::from([("owner".to_string(), s(owner.as_str()))])
}

fn marker_of(item: &HashMap<String, Av>) -> Result<Option<Marker>, CoreError> {
    if !item.contains_key(ERASING_AT) {
        return Ok(None);
    }
    let started_at = get_time(item, ERASING_AT)?;
    let counts: Option<Vec<u64>> = TALLY
        .iter()
        .map(|k| get_n(item, k).map(|v| v.max(0) as u64))
        .collect();
    let tally = counts.map(|c| Tally {
        files: c[0],
        bytes: c[1],
        links: c[2],
        shares: c[3],
    });
    Ok(Some(Marker { started_at, tally }))
}

impl DynamoErasure {
    /// The keys (`pk`, and `sk` when the table has one) of every item under `pk = value`,
    /// or of `index`'s items under it.
    async fn keys(
        &self,
        table: &str,
        index: Option<&str>,
        pk: (&str, &str),
        key_names: &[&str],
    ) -> Result<Vec<HashMap<String, Av>>, CoreError> {
        let mut found = Vec::new();
        let mut start = None;
        let projection: Vec<String> = (0..key_names.len()).map(|i| format!("#k{i}")).collect();
        let mut nms: Vec<(String, String)> = key_names
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("#k{i}"), (*k).to_owned()))
            .collect();
        nms.push(("#p".into(), pk.0.to_owned()));
        loop {
            let mut q = self
                .client
                .query()
                .table_name(table)
                .key_condition_expression("#p = :p")
                .projection_expression(projection.join(", "))
                .set_expression_attribute_names(Some(nms.iter().cloned().collect()))
                .set_expression_attribute_values(values(vec![(":p", s(pk.1))]))
                .set_exclusive_start_key(start);
            q = match index {
                Some(i) => q.index_name(i),
                None => q.consistent_read(true),
            };
            let out = q.send().await.map_err(|e| sdk_error("Query", e))?;
            for item in out.items() {
                let key: HashMap<String, Av> = key_names
                    .iter()
                    .filter_map(|k| item.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                    .collect();
                if key.len() == key_names.len() {
                    found.push(key);
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// Deletes each key (what is gone already is no error); answers how many were asked.
    async fn delete_all(
        &self,
        table: &str,
        keys: Vec<HashMap<String, Av>>,
    ) -> Result<u64, CoreError> {
        let count = keys.len() as u64;
        stream::iter(keys)
            .map(|key| async move {
                self.client
                    .delete_item()
                    .table_name(table)
                    .set_key(Some(key))
                    .send()
                    .await
                    .map_err(|e| sdk_error("DeleteItem", e))
                    .map(|_| ())
            })
            .buffer_unordered(PARALLEL)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(count)
    }

    /// Every item of `table` under `pk = value`.
    async fn clear(&self, table: &str, pk: (&str, &str), sk: &str) -> Result<u64, CoreError> {
        let keys = self.keys(table, None, pk, &[pk.0, sk]).await?;
        self.delete_all(table, keys).await
    }

    /// The ids of the owner's API tokens, and their items' keys.
    async fn api_keys(
        &self,
        owner: &OwnerId,
    ) -> Result<Vec<(KeyId, HashMap<String, Av>)>, CoreError> {
        let keys = self
            .keys(
                &self.api_keys_table,
                Some(super::apikeys::OWNER_INDEX),
                ("owner", owner.as_str()),
                &["pk", "id"],
            )
            .await?;
        Ok(keys
            .into_iter()
            .filter_map(|mut k| {
                let id = KeyId::parse(k.remove("id")?.as_s().ok()?).ok()?;
                Some((id, k))
            })
            .collect())
    }
}

#[async_trait]
impl ErasureStore for DynamoErasure {
    async fn marker(&self, owner: &OwnerId) -> Result<Option<Marker>, CoreError> {
        match get_item(&self.client, &self.quotas_table, owner_key(owner)).await? {
            Some(item) => marker_of(&item),
            None => Ok(None),
        }
    }

    async fn mark(&self, owner: &OwnerId, at: DateTime<Utc>) -> Result<Marker, CoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.quotas_table)
            .set_key(Some(owner_key(owner)))
            .update_expression(format!(
                "SET {ERASING_AT} = if_not_exists({ERASING_AT}, :at), #d = :t"
            ))
            .set_expression_attribute_names(names(&[("#d", "disabled")]))
            .set_expression_attribute_values(values(vec![
                (":at", s(rfc3339(at))),
                (":t", Av::Bool(true)),
            ]))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        let item = out.attributes.unwrap_or_default();
        marker_of(&item)?.ok_or_else(|| corrupt(ERASING_AT))
    }

    async fn mark_deleting(&self, file: &FileRecord, at: DateTime<Utc>) -> Result<bool, CoreError> {
        // Out of the janitor's index of marks: the erasure's own resume finishes it.
        let by = super::marked::Marker::Erasure;
        super::marked::mark_deleting(&self.client, &self.files_table, file, at, by).await
    }

    async fn record_tally(&self, owner: &OwnerId, tally: &Tally) -> Result<(), CoreError> {
        let sets: Vec<String> = TALLY
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = if_not_exists({k}, :v{i})"))
            .collect();
        let counts = [tally.files, tally.bytes, tally.links, tally.shares];
        self.client
            .update_item()
            .table_name(&self.quotas_table)
            .set_key(Some(owner_key(owner)))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(format!("attribute_exists({ERASING_AT})"))
            .set_expression_attribute_values(values(vec![
                (":v0", n(counts[0])),
                (":v1", n(counts[1])),
                (":v2", n(counts[2])),
                (":v3", n(counts[3])),
            ]))
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }

    async fn files(
        &self,
        owner: &OwnerId,
        after: Option<&FileId>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.files_table)
            .key_condition_expression("#o = :o")
            .set_expression_attribute_names(names(&[("#o", "owner")]))
            .set_expression_attribute_values(values(vec![(":o", s(owner.as_str()))]))
            .set_exclusive_start_key(after.map(|id| file_key(owner, id)))
            .limit(limit.clamp(1, 1000) as i32)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        out.items().iter().map(from_item).collect()
    }

    async fn forget_files(&self, owner: &OwnerId, files: &[FileId]) -> Result<(), CoreError> {
        let tokens = self.api_keys(owner).await?;
        let mut keys: Vec<HashMap<String, Av>> = Vec::new();
        for id in files {
            keys.push(file_key(owner, id));
            keys.push(pointer_key(id));
        }
        self.delete_all(&self.files_table, keys).await?;
        // The marks of the files an upload token created.
        let created = tokens
            .iter()
            .flat_map(|(key, _)| {
                files.iter().map(move |f| {
                    HashMap::from([("pk".to_owned(), s(super::apikeys::created_pk(key, f)))])
                })
            })
            .collect();
        self.delete_all(&self.api_keys_table, created).await?;
        Ok(())
    }

    async fn forget(&self, owner: &OwnerId, what: Remnant) -> Result<u64, CoreError> {
        let o = owner.as_str();
        match what {
            Remnant::Links => self.clear(&self.links_table, ("owner", o), "item").await,
            Remnant::Shares => {
                let keys = self
                    .keys(
                        &self.shares_table,
                        None,
                        ("owner", o),
                        &["owner", "share_id"],
                    )
                    .await?;
                for k in &keys {
                    if let Some(Av::S(id)) = k.get("share_id") {
                        self.clear(&self.download_log_table, ("share_id", id), "entry")
                            .await?;
                    }
                }
                self.delete_all(&self.shares_table, keys).await
            }
            Remnant::Webhooks => self.clear(&self.webhooks_table, ("owner", o), "sk").await,
            Remnant::ApiKeys => {
                let keys = self.api_keys(owner).await?;
                let keys = keys.into_iter().map(|(_, k)| k).collect();
                self.delete_all(&self.api_keys_table, keys).await
            }
            Remnant::UploadLog => self.clear(&self.log_table, ("owner", o), "entry").await,
            Remnant::Receipts => {
                let partition = super::trash::receipts_partition(owner);
                self.clear(&self.files_table, ("owner", &partition), "file_id")
                    .await
            }
        }
    }

    async fn finish(&self, owner: &OwnerId, until: DateTime<Utc>) -> Result<(), CoreError> {
        let item = get_item(&self.client, &self.quotas_table, owner_key(owner))
            .await?
            .unwrap_or_default();
        if marker_of(&item)?.is_none() {
            return Err(CoreError::upstream("no erasure marker"));
        }
        // The marker alone: the counters, own quota, settings and profile go.
        let mut kept = owner_key(owner);
        for k in std::iter::once(ERASING_AT).chain(TALLY) {
            if let Some(v) = item.get(k) {
                kept.insert(k.to_owned(), v.clone());
            }
        }
        kept.insert("disabled".into(), Av::Bool(true));
        kept.insert("expires_at".into(), n(until.timestamp()));
        self.client
            .put_item()
            .table_name(&self.quotas_table)
            .set_item(Some(kept))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }
}
