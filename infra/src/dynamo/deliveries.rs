//! [`DeliveryLog`] on the webhooks table, beside the registrations (PK `owner`): a delivery is
//! the item `sk = "dlv#<webhook>#<delivery>"` (its body, for redelivery, and its highest
//! attempt), an attempt the item `sk = "log#<webhook>#<at>#<delivery>#<attempt>"`, so that a
//! query of the prefix lists a webhook's log newest first, and a parked job the item
//! `sk = "park#<webhook>#<delivery>"` (the job as its queue message would carry it). All expire
//! [`LOG_DAYS`] after they were written (the table's TTL, `expires_at`).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::webhooks::deliveries::{
    AttemptRecord, Delivery, DeliveryJob, DeliveryLog, LOG_DAYS, check_cursor, log_key,
};
use dropgate_core::{CoreError, OwnerId};

use super::paged::OwnerPrefix;
use super::{corrupt, get_n, get_s, n, s, values};
use crate::error::sdk_error;

pub struct DynamoDeliveries {
    pub client: aws_sdk_dynamodb::Client,
    /// The webhooks table.
    pub table: String,
}

fn key(owner: &OwnerId, sk: String) -> HashMap<String, Av> {
    HashMap::from([
        ("owner".to_owned(), s(owner.as_str())),
        ("sk".to_owned(), s(sk)),
    ])
}

fn delivery_sk(webhook_id: &str, id: &str) -> String {
    format!("dlv#{webhook_id}#{id}")
}

fn log_prefix(webhook_id: &str) -> String {
    format!("log#{webhook_id}#")
}

/// How many times items a BatchWriteItem left unprocessed (throttled) are sent again, with a
/// growing pause, before the park fails (and its message or stream batch is retried).
const UNPROCESSED_ROUNDS: u32 = 5;

fn park_prefix(webhook_id: &str) -> String {
    format!("park#{webhook_id}#")
}

fn expires_at() -> Av {
    let secs = LOG_DAYS * 86_400;
    n(chrono::Utc::now().timestamp() + i64::try_from(secs).unwrap_or(i64::MAX / 2))
}

fn conditional(e: &aws_sdk_dynamodb::error::SdkError<impl ConditionCheck>) -> bool {
    e.as_service_error().is_some_and(ConditionCheck::failed)
}

/// The conditional-check failure of the two calls that make one.
trait ConditionCheck: std::error::Error + Send + Sync + 'static {
    fn failed(&self) -> bool;
}

impl ConditionCheck for aws_sdk_dynamodb::operation::put_item::PutItemError {
    fn failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

impl ConditionCheck for aws_sdk_dynamodb::operation::update_item::UpdateItemError {
    fn failed(&self) -> bool {
        self.is_conditional_check_failed_exception()
    }
}

fn record_of(item: &HashMap<String, Av>) -> Result<AttemptRecord, CoreError> {
    let text = |k: &str| get_s(item, k).map(str::to_owned).ok_or_else(|| corrupt(k));
    let num = |k: &str| get_n(item, k).ok_or_else(|| corrupt(k));
    Ok(AttemptRecord {
        id: text("id")?,
        event_id: text("event_id")?,
        kind: text("type")?,
        attempt: u32::try_from(num("attempt")?).map_err(|_| corrupt("attempt"))?,
        status_code: get_n(item, "status_code").and_then(|c| u16::try_from(c).ok()),
        error: get_s(item, "error").map(str::to_owned),
        duration_ms: u64::try_from(num("duration_ms")?).unwrap_or(0),
        at: text("at")?,
        next_attempt_at: get_s(item, "next_attempt_at").map(str::to_owned),
    })
}

#[async_trait]
impl DeliveryLog for DynamoDeliveries {
    async fn open(&self, owner: &OwnerId, d: &Delivery) -> Result<(), CoreError> {
        let mut item = key(owner, delivery_sk(&d.webhook_id, &d.id));
        item.extend([
            ("id".to_owned(), s(&d.id)),
            ("webhook_id".to_owned(), s(&d.webhook_id)),
            ("event_id".to_owned(), s(&d.event_id)),
            ("type".to_owned(), s(&d.kind)),
            ("body".to_owned(), s(&d.body)),
            ("attempts".to_owned(), n(d.attempts)),
            ("created_at".to_owned(), s(&d.created_at)),
            ("expires_at".to_owned(), expires_at()),
        ]);
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(sk)")
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) if conditional(&e) => Ok(()),
            Err(e) => Err(sdk_error("PutItem", e)),
        }
    }

    async fn delivery(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        id: &str,
    ) -> Result<Option<Delivery>, CoreError> {
        let Some(item) = super::get_item(
            &self.client,
            &self.table,
            key(owner, delivery_sk(webhook_id, id)),
        )
        .await?
        else {
            return Ok(None);
        };
        let text = |k: &str| get_s(&item, k).map(str::to_owned).ok_or_else(|| corrupt(k));
        Ok(Some(Delivery {
            id: text("id")?,
            webhook_id: text("webhook_id")?,
            event_id: text("event_id")?,
            kind: text("type")?,
            body: text("body")?,
            attempts: get_n(&item, "attempts")
                .and_then(|a| u32::try_from(a).ok())
                .ok_or_else(|| corrupt("attempts"))?,
            created_at: text("created_at")?,
        }))
    }

    async fn record(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        r: &AttemptRecord,
    ) -> Result<(), CoreError> {
        let mut item = key(owner, format!("{}{}", log_prefix(webhook_id), log_key(r)));
        item.extend([
            ("id".to_owned(), s(&r.id)),
            ("event_id".to_owned(), s(&r.event_id)),
            ("type".to_owned(), s(&r.kind)),
            ("attempt".to_owned(), n(r.attempt)),
            ("duration_ms".to_owned(), n(r.duration_ms)),
            ("at".to_owned(), s(&r.at)),
            ("expires_at".to_owned(), expires_at()),
        ]);
        if let Some(c) = r.status_code {
            item.insert("status_code".to_owned(), n(c));
        }
        if let Some(e) = &r.error {
            item.insert("error".to_owned(), s(e));
        }
        if let Some(t) = &r.next_attempt_at {
            item.insert("next_attempt_at".to_owned(), s(t));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        // Raise the delivery's count, never lower it (a late duplicate changes nothing).
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(owner, delivery_sk(webhook_id, &r.id))))
            .update_expression("SET attempts = :n")
            .condition_expression("attribute_exists(sk) AND attempts < :n")
            .set_expression_attribute_values(values(vec![(":n", n(r.attempt))]))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) if conditional(&e) => Ok(()),
            Err(e) => Err(sdk_error("UpdateItem", e)),
        }
    }

    async fn list(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<AttemptRecord>, Option<String>), CoreError> {
        let cursor = cursor.map(check_cursor).transpose()?;
        let prefix = log_prefix(webhook_id);
        let start = cursor.map(|c| key(owner, format!("{prefix}{c}")));
        // One more than the page tells whether another exists.
        let items = OwnerPrefix::new(&self.client, &self.table, owner, &prefix)
            .newest_first()
            .eventually()
            .start_after(start)
            .fetch(limit + 1)
            .await?
            .iter()
            .map(record_of)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(dropgate_core::paging::cut_page(items, limit, log_key))
    }

    async fn park(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        jobs: &[DeliveryJob],
    ) -> Result<(), CoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        // One BatchWriteItem per 25 (its limit); what it leaves unprocessed is sent again.
        for chunk in jobs.chunks(25) {
            let mut writes = Vec::with_capacity(chunk.len());
            for job in chunk {
                let body = serde_json::to_string(job).map_err(CoreError::upstream)?;
                let mut item = key(
                    owner,
                    format!("{}{}", park_prefix(webhook_id), job.delivery_id),
                );
                item.extend([
                    ("job".to_owned(), s(body)),
                    ("expires_at".to_owned(), expires_at()),
                ]);
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(CoreError::upstream)?;
                writes.push(WriteRequest::builder().put_request(put).build());
            }
            let mut pending = HashMap::from([(self.table.clone(), writes)]);
            for round in 0..UNPROCESSED_ROUNDS {
                if round > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << round)).await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(pending))
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchWriteItem", e))?;
                pending = out.unprocessed_items.unwrap_or_default();
                pending.retain(|_, w| !w.is_empty());
                if pending.is_empty() {
                    break;
                }
            }
            if !pending.is_empty() {
                return Err(CoreError::upstream("BatchWriteItem left items unprocessed"));
            }
        }
        Ok(())
    }

    async fn parked(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryJob>, CoreError> {
        // Consistent: a job parked just before must be seen by the release that follows.
        let prefix = park_prefix(webhook_id);
        OwnerPrefix::new(&self.client, &self.table, owner, &prefix)
            .fetch(limit)
            .await?
            .iter()
            .map(|i| {
                let body = get_s(i, "job").ok_or_else(|| corrupt("job"))?;
                serde_json::from_str(body).map_err(|_| corrupt("job"))
            })
            .collect()
    }

    async fn unpark(
        &self,
        owner: &OwnerId,
        webhook_id: &str,
        delivery_id: &str,
    ) -> Result<(), CoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                owner,
                format!("{}{delivery_id}", park_prefix(webhook_id)),
            )))
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }
}
