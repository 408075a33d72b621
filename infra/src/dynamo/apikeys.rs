//! [`ApiKeyStore`] on its own table, keyed by the secret's hash (`pk`): the gate's lookup is one
//! strongly consistent `GetItem`, so a revocation counts on the next request. The owner's list
//! and revocation go through the `by-owner` index (owner, `created_at`). The files an upload
//! token created are items of the same table, `created#<token>#<file>` (not in the index: they
//! have no owner attribute).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use chrono::{DateTime, Duration, Utc};
use dropgate_core::apikeys::{ApiKey, ApiKeyStore, KeyId, Scope};
use dropgate_core::{CoreError, FileId, OwnerId};

use super::{corrupt, get_item, get_s, get_time, n, names, s, update_if, values};
use crate::error::sdk_error;

/// The owner's tokens, newest first.
pub const OWNER_INDEX: &str = "by-owner";

/// How long DynamoDB keeps a token past its expiry (its TTL): its owner still sees it listed,
/// expired, for that long.
const KEEP_EXPIRED_DAYS: i64 = 30;
/// How long the note that a token created a file is kept: longer than any token lives.
const KEEP_CREATED_DAYS: i64 = 400;

pub struct DynamoApiKeys {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

pub(crate) fn created_pk(id: &KeyId, file: &FileId) -> String {
    format!("created#{}#{}", id.as_str(), file.as_str())
}

fn item(k: &ApiKey) -> HashMap<String, Av> {
    let mut item = HashMap::from([
        ("pk".to_owned(), s(&k.hash)),
        ("id".to_owned(), s(k.id.as_str())),
        ("owner".to_owned(), s(k.owner.as_str())),
        ("name".to_owned(), s(&k.name)),
        ("scope".to_owned(), s(k.scope.as_str())),
        ("created_at".to_owned(), s(k.created_at.to_rfc3339())),
        ("expires_at".to_owned(), s(k.expires_at.to_rfc3339())),
        (
            "purge_at".to_owned(),
            n((k.expires_at + Duration::days(KEEP_EXPIRED_DAYS)).timestamp()),
        ),
    ]);
    if let Some(t) = k.last_used_at {
        item.insert("last_used_at".to_owned(), s(t.to_rfc3339()));
    }
    if let Some(t) = k.revoked_at {
        item.insert("revoked_at".to_owned(), s(t.to_rfc3339()));
    }
    item
}

fn key_of(item: &HashMap<String, Av>) -> Result<ApiKey, CoreError> {
    let text = |k: &str| get_s(item, k).ok_or_else(|| corrupt(k));
    let time = |k: &str| item.get(k).map(|_| get_time(item, k)).transpose();
    Ok(ApiKey {
        id: KeyId::parse(text("id")?).map_err(|_| corrupt("id"))?,
        owner: OwnerId::parse(text("owner")?).map_err(|_| corrupt("owner"))?,
        name: text("name")?.to_owned(),
        scope: Scope::parse(text("scope")?).map_err(|_| corrupt("scope"))?,
        hash: text("pk")?.to_owned(),
        created_at: get_time(item, "created_at")?,
        expires_at: get_time(item, "expires_at")?,
        last_used_at: time("last_used_at")?,
        revoked_at: time("revoked_at")?,
    })
}

impl DynamoApiKeys {
    fn pk(&self, pk: &str) -> HashMap<String, Av> {
        HashMap::from([("pk".to_owned(), s(pk))])
    }

    async fn query_owner(
        &self,
        owner: &OwnerId,
        id: Option<&KeyId>,
    ) -> Result<Vec<ApiKey>, CoreError> {
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OWNER_INDEX)
            .key_condition_expression("#owner = :o")
            .scan_index_forward(false);
        let mut vals = vec![(":o", s(owner.as_str()))];
        let mut nms = vec![("#owner", "owner")];
        if let Some(id) = id {
            q = q.filter_expression("#id = :id");
            vals.push((":id", s(id.as_str())));
            nms.push(("#id", "id"));
        }
        let pages = q
            .set_expression_attribute_names(names(&nms))
            .set_expression_attribute_values(values(vals))
            .into_paginator()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut keys = Vec::new();
        for page in pages {
            let page = page.map_err(|e| sdk_error("Query", e))?;
            for i in page.items() {
                keys.push(key_of(i)?);
            }
        }
        Ok(keys)
    }
}

#[async_trait]
impl ApiKeyStore for DynamoApiKeys {
    async fn put(&self, key: &ApiKey) -> Result<(), CoreError> {
        let r = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item(key)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Err(CoreError::conflict(
                    "key_exists",
                    "a token with this secret exists",
                ))
            }
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    async fn by_hash(&self, hash: &str) -> Result<Option<ApiKey>, CoreError> {
        get_item(&self.client, &self.table, self.pk(hash))
            .await?
            .filter(|i| i.contains_key("owner"))
            .map(|i| key_of(&i))
            .transpose()
    }

    async fn list(&self, owner: &OwnerId) -> Result<Vec<ApiKey>, CoreError> {
        let mut keys = self.query_owner(owner, None).await?;
        // Newest first; ties (one second) by id, as the fake orders them.
        keys.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        Ok(keys)
    }

    async fn revoke(
        &self,
        owner: &OwnerId,
        id: &KeyId,
        at: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        let Some(key) = self.query_owner(owner, Some(id)).await?.into_iter().next() else {
            return Err(CoreError::NotFound);
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.pk(&key.hash)))
            .update_expression("SET revoked_at = :at")
            .condition_expression(
                "attribute_exists(pk) AND #owner = :o AND attribute_not_exists(revoked_at)",
            )
            .set_expression_attribute_names(names(&[("#owner", "owner")]))
            .set_expression_attribute_values(values(vec![
                (":at", s(at.to_rfc3339())),
                (":o", s(owner.as_str())),
            ]));
        if update_if(update).await? {
            Ok(())
        } else {
            Err(CoreError::NotFound)
        }
    }

    async fn touch(&self, hash: &str, at: DateTime<Utc>) -> Result<(), CoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.pk(hash)))
            .update_expression("SET last_used_at = :at")
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_values(values(vec![(":at", s(at.to_rfc3339()))]));
        update_if(update).await.map(|_| ())
    }

    async fn record_created(&self, id: &KeyId, file: &FileId) -> Result<(), CoreError> {
        let keep = (Utc::now() + Duration::days(KEEP_CREATED_DAYS)).timestamp();
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(HashMap::from([
                ("pk".to_owned(), s(created_pk(id, file))),
                ("purge_at".to_owned(), n(keep)),
            ])))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    async fn created(&self, id: &KeyId, file: &FileId) -> Result<bool, CoreError> {
        Ok(
            get_item(&self.client, &self.table, self.pk(&created_pk(id, file)))
                .await?
                .is_some(),
        )
    }
}
