//! Fixed-window counters (rate limiting) over the rate-limit table: one item per window, its
//! `count` added to atomically, forgotten by TTL (`expires_at`).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ReturnValue};
use chrono::{DateTime, Utc};
use dropgate_core::CoreError;
use dropgate_core::ratelimit::Counters;

use super::{get_n, n, names, s, values};
use crate::error::sdk_error;

pub struct DynamoCounters {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

#[async_trait]
impl Counters for DynamoCounters {
    async fn count(&self, key: &str) -> Result<u64, CoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("key", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        Ok(out
            .item()
            .and_then(|i| get_n(i, "count"))
            .map_or(0, |c| c.max(0) as u64))
    }

    async fn increment(&self, key: &str, expires: DateTime<Utc>) -> Result<u64, CoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", s(key))
            .update_expression("ADD #c :one SET expires_at = :exp")
            .set_expression_attribute_names(names(&[("#c", "count")]))
            .set_expression_attribute_values(values(vec![
                (":one", n(1)),
                (":exp", n(expires.timestamp())),
            ]))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        let attrs: Option<&std::collections::HashMap<String, Av>> = out.attributes();
        Ok(attrs
            .and_then(|a| get_n(a, "count"))
            .map_or(0, |c| c.max(0) as u64))
    }
}
