//! The one read of a sparse, sharded "due before T" index: items carry `<shard attr> =
//! <prefix><n>` only while something is still to be done with them, and the index's sort key is
//! the time itself, so each partition is asked with a key condition and a run reads only what
//! is due. Used by retention (`due-for-retention`), the reminders and the expiry announcements
//! (`due-for-expiry`).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use chrono::{DateTime, Utc};
use dropgate_core::CoreError;
use dropgate_core::time::rfc3339;

use super::{names, s, values};
use crate::error::sdk_error;

/// A sparse index by shard and time.
pub(crate) struct DueIndex<'a> {
    pub client: &'a aws_sdk_dynamodb::Client,
    pub table: &'a str,
    pub index: &'a str,
    /// The partition attribute and its values' prefix (`<prefix><n>`, `n < shards`).
    pub shard_attr: &'a str,
    pub prefix: &'a str,
    pub shards: u32,
    /// The sort attribute: an RFC 3339 time (fixed width, so it compares as a time).
    pub time_attr: &'a str,
}

impl DueIndex<'_> {
    /// The items of every partition whose time is in `[from, until]` (`from` `None`: any time
    /// up to `until`), at most `limit` from each partition, soonest first in each. The index
    /// is eventually consistent: callers hold what they read to what they need.
    pub(crate) async fn due(
        &self,
        from: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<HashMap<String, Av>>, CoreError> {
        let cond = match from {
            Some(_) => "#p = :p AND #t BETWEEN :from AND :until",
            None => "#p = :p AND #t <= :until",
        };
        let queries = (0..self.shards.max(1)).map(|k| {
            let mut vals = vec![
                (":p", s(format!("{}{k}", self.prefix))),
                (":until", s(rfc3339(until))),
            ];
            if let Some(f) = from {
                vals.push((":from", s(rfc3339(f))));
            }
            self.client_query(cond, vals, limit)
        });
        let mut found = Vec::new();
        for out in futures_util::future::join_all(queries).await {
            found.extend(out?);
        }
        Ok(found)
    }

    async fn client_query(
        &self,
        cond: &str,
        vals: Vec<(&str, Av)>,
        limit: usize,
    ) -> Result<Vec<HashMap<String, Av>>, CoreError> {
        let out = self
            .client
            .query()
            .table_name(self.table)
            .index_name(self.index)
            .key_condition_expression(cond)
            .set_expression_attribute_names(names(&[
                ("#p", self.shard_attr),
                ("#t", self.time_attr),
            ]))
            .set_expression_attribute_values(values(vals))
            .limit(limit.clamp(1, 1000) as i32)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        Ok(out.items().to_vec())
    }
}
