//! The expiry announcements over DynamoDB (`dropgate_core::expiry`). A link or a share still to
//! be looked at when its time comes carries `expiry_shard = x<n>`: the key of the sparse
//! `due-for-expiry` index of its table, whose sort key is `expires_at` itself, so the janitor
//! reads only what is due (the shared read of `due.rs`). A close is ONE transaction: the item's
//! `REMOVE expiry_shard, SET expiry_closed_for = <its expiry>` on condition that it is as read,
//! with its `link.expired` / `share.expired` entry when it has one. A revocation takes the
//! attribute away too (announced then); a used-up link keeps it (an expiry may give a use back)
//! and is closed without an entry when its time comes.
//!
//! Links and shares stored before the index existed get the attribute from a one-off backfill
//! the janitor runs (a Scan, once per table: a marker item records that it is done).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, TransactWriteItem, Update};
use chrono::{DateTime, TimeDelta, Utc};
use dropgate_core::CoreError;
use dropgate_core::expiry::{LinkExpiries, ShareExpiries};
use dropgate_core::links::Link;
use dropgate_core::notify::LifecycleEntry;
use dropgate_core::shares::Share;
use dropgate_core::time::rfc3339;

use super::due::DueIndex;
use super::links::{LINK_PREFIX, link_key};
use super::outbox_lifecycle::lifecycle_put;
use super::shares::{DynamoShares, share_key};
use super::{DynamoLedger, Tx, get_item, get_s, n, names, s, transact, update_if, values};
use crate::error::sdk_error;

pub use super::expiry_attrs::EXPIRY_INDEX;
use super::expiry_attrs::{EXPIRING, EXPIRY_CLOSED_FOR, EXPIRY_SHARD, EXPIRY_SHARDS, expiry_label};
/// The backfill's "done" marker, in each table under an owner no account has.
const BACKFILL_OWNER: &str = "#janitor";
const BACKFILL_ITEM: &str = "backfill#due-for-expiry";
/// The backfill gives the attribute to what expires after this long before it runs: what
/// expired before the upgrade was never to be announced; the upgrade's own window is.
const BACKFILL_LOOKBACK_HOURS: i64 = 24;

fn index<'a>(client: &'a aws_sdk_dynamodb::Client, table: &'a str) -> DueIndex<'a> {
    DueIndex {
        client,
        table,
        index: EXPIRY_INDEX,
        shard_attr: EXPIRY_SHARD,
        prefix: EXPIRING,
        shards: EXPIRY_SHARDS,
        time_attr: "expires_at",
    }
}

/// The close: the marker on condition the item is as read (`cond` adds its own counts).
fn close_update(
    table: &str,
    key: HashMap<String, Av>,
    expires_at: DateTime<Utc>,
    revoked: bool,
    cond: &str,
    mut vals: Vec<(&'static str, Av)>,
) -> Result<TransactWriteItem, CoreError> {
    vals.extend([
        (":exp", s(rfc3339(expires_at))),
        (":rev", Av::Bool(revoked)),
    ]);
    let update = Update::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(format!(
            "SET {EXPIRY_CLOSED_FOR} = :exp REMOVE {EXPIRY_SHARD}"
        ))
        .condition_expression(format!(
            "attribute_exists({EXPIRY_SHARD}) AND expires_at = :exp AND revoked = :rev AND {cond}"
        ))
        .set_expression_attribute_values(values(vals))
        .build()
        .map_err(CoreError::upstream)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

async fn close(
    client: &aws_sdk_dynamodb::Client,
    log_table: &str,
    op: &str,
    marker: TransactWriteItem,
    entry: Option<&LifecycleEntry>,
) -> Result<bool, CoreError> {
    let mut items = vec![marker];
    if let Some(e) = entry {
        items.push(lifecycle_put(log_table, e)?);
    }
    Ok(matches!(transact(client, op, items).await?, Tx::Committed))
}

/// The one-off backfill of `table`: every live item (one of `prefix` on `sort_attr`, if given) that
/// neither carries the attribute nor was closed, and expires after the lookback, is given it;
/// then the marker. `0` at once when the marker is there.
async fn backfill(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    sort_attr: &str,
    prefix: Option<&str>,
    id_attr: &str,
    now: DateTime<Utc>,
) -> Result<usize, CoreError> {
    let marker = HashMap::from([
        ("owner".to_owned(), s(BACKFILL_OWNER)),
        (sort_attr.to_owned(), s(BACKFILL_ITEM)),
    ]);
    if get_item(client, table, marker.clone()).await?.is_some() {
        return Ok(0);
    }
    let since = now - TimeDelta::hours(BACKFILL_LOOKBACK_HOURS);
    let mut given = 0;
    let mut start = None;
    loop {
        let mut filter = format!(
            "attribute_exists({id_attr}) AND attribute_not_exists({EXPIRY_SHARD}) \
             AND attribute_not_exists({EXPIRY_CLOSED_FOR}) AND revoked = :f AND expires_at > :since"
        );
        let mut vals = vec![(":f", Av::Bool(false)), (":since", s(rfc3339(since)))];
        let mut attr_names = None;
        if let Some(p) = prefix {
            filter.push_str(" AND begins_with(#k, :prefix)");
            vals.push((":prefix", s(p)));
            attr_names = names(&[("#k", sort_attr)]);
        }
        let out = client
            .scan()
            .table_name(table)
            .filter_expression(filter)
            .set_expression_attribute_names(attr_names)
            .set_expression_attribute_values(values(vals))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| sdk_error("Scan", e))?;
        for item in out.items() {
            let (Some(owner), Some(k), Some(id)) = (
                get_s(item, "owner"),
                get_s(item, sort_attr),
                get_s(item, id_attr),
            ) else {
                continue;
            };
            let update = client
                .update_item()
                .table_name(table)
                .key("owner", s(owner))
                .key(sort_attr, s(k))
                .update_expression(format!("SET {EXPIRY_SHARD} = :x"))
                .condition_expression(format!(
                    "attribute_exists({id_attr}) AND attribute_not_exists({EXPIRY_CLOSED_FOR}) \
                     AND revoked = :f"
                ))
                .set_expression_attribute_values(values(vec![
                    (":x", expiry_label(id)),
                    (":f", Av::Bool(false)),
                ]));
            if update_if(update).await? {
                given += 1;
            }
        }
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            break;
        }
    }
    client
        .update_item()
        .table_name(table)
        .set_key(Some(marker))
        .update_expression("SET done_at = :t")
        .set_expression_attribute_values(values(vec![(":t", s(rfc3339(now)))]))
        .send()
        .await
        .map_err(|e| sdk_error("UpdateItem", e))?;
    tracing::info!(
        table,
        given,
        decision = "expiry_backfilled",
        "expiry index backfilled"
    );
    Ok(given)
}

impl DynamoLedger {
    pub(crate) fn link_expiry_index(&self) -> DueIndex<'_> {
        index(&self.client, &self.links_table)
    }
}

#[async_trait]
impl LinkExpiries for DynamoLedger {
    async fn links_expired(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Link>, CoreError> {
        let mut found = Vec::new();
        for item in self.link_expiry_index().due(None, now, limit).await? {
            found.push(super::links::from_item(&item)?);
        }
        found.sort_by_key(|l| l.expires_at);
        found.truncate(limit);
        Ok(found)
    }

    async fn close_link(
        &self,
        link: &Link,
        entry: Option<&LifecycleEntry>,
    ) -> Result<bool, CoreError> {
        let marker = close_update(
            &self.links_table,
            link_key(&link.owner, &link.id),
            link.expires_at,
            link.revoked,
            "uploads_used = :used",
            vec![(":used", n(link.uploads_used))],
        )?;
        close(
            &self.client,
            &self.log_table,
            "close_link_expiry",
            marker,
            entry,
        )
        .await
    }

    async fn backfill_links(&self, now: DateTime<Utc>) -> Result<usize, CoreError> {
        backfill(
            &self.client,
            &self.links_table,
            "item",
            Some(LINK_PREFIX),
            "link_id",
            now,
        )
        .await
    }
}

#[async_trait]
impl ShareExpiries for DynamoShares {
    async fn shares_expired(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Share>, CoreError> {
        let mut found = Vec::new();
        for item in index(&self.client, &self.shares_table)
            .due(None, now, limit)
            .await?
        {
            found.push(super::shares::from_item(&item)?);
        }
        found.sort_by_key(|s| s.expires_at);
        found.truncate(limit);
        Ok(found)
    }

    async fn close_share(
        &self,
        share: &Share,
        entry: Option<&LifecycleEntry>,
    ) -> Result<bool, CoreError> {
        let marker = close_update(
            &self.shares_table,
            share_key(&share.owner, &share.id),
            share.expires_at,
            share.revoked,
            "downloads = :downloads",
            vec![(":downloads", n(share.downloads))],
        )?;
        close(
            &self.client,
            &self.log_table,
            "close_share_expiry",
            marker,
            entry,
        )
        .await
    }

    async fn backfill_shares(&self, now: DateTime<Utc>) -> Result<usize, CoreError> {
        // The shares table holds only shares (and the marker): `file_id` marks a share.
        backfill(
            &self.client,
            &self.shares_table,
            "share_id",
            None,
            "file_id",
            now,
        )
        .await
    }
}
