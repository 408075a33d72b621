//! [`AuditStore`] on the `audit` table: PK `stream`, SK `seq`. Entries live in partitions of
//! 1000 seqs, `stream = "entry#<seq / 1000>"`, one item each, never updated; the head is the one
//! item `stream = "head", seq = 0` (`last_seq`, `last_hash`). Partitions keep a page's read in
//! proportion to the page, whatever the log's length (one partition key would grow without
//! bound: hot in DynamoDB, and read in proportion to its size by the emulator). An append is one transaction: the
//! head moves from the entry's predecessor to the entry (a condition on both), and the entry is
//! put where none is. The loser of a race writes nothing and is told so. IAM lets functions
//! update only the head's partition and put only into the entries' (template.yaml).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, Put, TransactWriteItem, Update};
use chrono::DateTime;
use dropgate_core::CoreError;
use dropgate_core::audit::{
    Actor, ActorKind, AuditEntry, AuditQuery, AuditStore, GENESIS, Head, Target,
};
use dropgate_core::time::rfc3339;
use serde_json::Value;

use super::{Tx, get_item, get_n, get_s, n, s, transact};
use crate::error::sdk_error;

pub const HEAD: &str = "head";
/// Seqs per partition of entries.
pub const PARTITION: u64 = 1000;

/// The partition key of the entry `seq`: `entry#<seq / 1000>`.
pub fn entry_stream(seq: u64) -> String {
    format!("entry#{}", seq / PARTITION)
}

/// Query calls one page may make before it answers with what it found and a cursor: a filter
/// that matches little never holds a request past its budget.
const MAX_CALLS: usize = 8;

pub struct DynamoAudit {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    /// Days until an entry's TTL (`expires_at`) lets DynamoDB remove it.
    pub retention_days: u32,
}

/// The sort key: the seq in 20 digits, so that keys sort as numbers do (every table's keys are
/// strings, as the catalogue and the template declare them).
fn seq_key(seq: u64) -> Av {
    s(format!("{seq:020}"))
}

fn seq_of(item: &HashMap<String, Av>) -> Option<u64> {
    get_s(item, "seq").and_then(|v| v.parse().ok())
}

fn head_key() -> HashMap<String, Av> {
    HashMap::from([
        ("stream".to_owned(), s(HEAD)),
        ("seq".to_owned(), seq_key(0)),
    ])
}

/// A pause of 2-17 ms before a loser tries again, so that racing writers spread out.
async fn jitter() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    tokio::time::sleep(Duration::from_millis(2 + u64::from(nanos % 16))).await;
}

impl DynamoAudit {
    /// The item that holds `e` (public for the benchmark's and tests' seeding).
    pub fn item(&self, e: &AuditEntry) -> HashMap<String, Av> {
        let expires = DateTime::parse_from_rfc3339(&e.at)
            .map(|t| t.timestamp())
            .unwrap_or_default()
            + i64::from(self.retention_days) * 86_400;
        HashMap::from([
            ("stream".to_owned(), s(entry_stream(e.seq))),
            ("seq".to_owned(), seq_key(e.seq)),
            ("at".to_owned(), s(&e.at)),
            ("actor_id".to_owned(), s(&e.actor.id)),
            ("actor_kind".to_owned(), s(e.actor.kind.as_str())),
            ("action".to_owned(), s(&e.action)),
            ("target_kind".to_owned(), s(&e.target.kind)),
            ("target_id".to_owned(), s(&e.target.id)),
            // For the filter `target=KIND:ID`, in one comparison.
            (
                "target".to_owned(),
                s(format!("{}:{}", e.target.kind, e.target.id)),
            ),
            ("detail".to_owned(), s(e.detail.to_string())),
            ("prev_hash".to_owned(), s(&e.prev_hash)),
            ("hash".to_owned(), s(&e.hash)),
            ("expires_at".to_owned(), n(expires)),
        ])
    }
}

/// The entry an item holds. An item someone changed by hand is read as it is (a missing
/// attribute as empty, a detail that is not JSON as its text) so that verification, not
/// reading, is where it shows.
fn entry_of(item: &HashMap<String, Av>) -> AuditEntry {
    let text = |k: &str| get_s(item, k).unwrap_or_default().to_owned();
    let detail = get_s(item, "detail").unwrap_or_default();
    AuditEntry {
        seq: seq_of(item).unwrap_or(0),
        at: text("at"),
        actor: Actor {
            id: text("actor_id"),
            kind: ActorKind::parse(get_s(item, "actor_kind").unwrap_or_default())
                .unwrap_or(ActorKind::System),
        },
        action: text("action"),
        target: Target {
            kind: text("target_kind"),
            id: text("target_id"),
        },
        detail: serde_json::from_str(detail).unwrap_or_else(|_| Value::String(detail.to_owned())),
        prev_hash: text("prev_hash"),
        hash: text("hash"),
    }
}

#[async_trait]
impl AuditStore for DynamoAudit {
    async fn head(&self) -> Result<Option<Head>, CoreError> {
        let Some(item) = get_item(&self.client, &self.table, head_key()).await? else {
            return Ok(None);
        };
        let seq = get_n(&item, "last_seq").and_then(|v| u64::try_from(v).ok());
        Ok(seq.map(|seq| Head {
            seq,
            hash: get_s(&item, "last_hash").unwrap_or(GENESIS).to_owned(),
        }))
    }

    async fn append_after(&self, entry: &AuditEntry) -> Result<bool, CoreError> {
        let mut values = HashMap::from([
            (":s".to_owned(), n(entry.seq)),
            (":h".to_owned(), s(&entry.hash)),
        ]);
        let condition = if entry.seq == 1 && entry.prev_hash == GENESIS {
            "attribute_not_exists(last_seq)"
        } else {
            values.insert(":ps".to_owned(), n(entry.seq.saturating_sub(1)));
            values.insert(":ph".to_owned(), s(&entry.prev_hash));
            "last_seq = :ps AND last_hash = :ph"
        };
        let head = Update::builder()
            .table_name(&self.table)
            .set_key(Some(head_key()))
            .update_expression("SET last_seq = :s, last_hash = :h")
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(CoreError::upstream)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.item(entry)))
            .condition_expression("attribute_not_exists(seq)")
            .build()
            .map_err(CoreError::upstream)?;
        let items = vec![
            TransactWriteItem::builder().update(head).build(),
            TransactWriteItem::builder().put(put).build(),
        ];
        match transact(&self.client, "TransactWriteItems(audit)", items).await? {
            Tx::Committed => Ok(true),
            Tx::ConditionFailed(_) => {
                jitter().await;
                Ok(false)
            }
        }
    }

    async fn page(
        &self,
        q: &AuditQuery,
        after: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, Option<u64>), CoreError> {
        // Past the head there is nothing: an open range ends there, so that the partitions
        // walked are those that hold entries.
        let below = match q.below {
            Some(b) => b,
            None => match self.head().await? {
                Some(h) => h.seq + 1,
                None => return Ok((Vec::new(), None)),
            },
        };
        // The seqs this page may hold: `low` inclusive, `high` exclusive.
        let (low, high) = match (q.newest_first, after) {
            (true, Some(a)) => (1, a.min(below)),
            (false, Some(a)) => (a + 1, below),
            (_, None) => (1, below),
        };
        if high <= low {
            return Ok((Vec::new(), None));
        }
        let mut values: HashMap<String, Av> = HashMap::new();
        let mut filters = Vec::new();
        let mut filter = |expr: &str, key: &str, v: Av| {
            filters.push(expr.to_owned());
            values.insert(key.to_owned(), v);
        };
        if let Some(t) = q.since {
            filter("#at >= :since", ":since", s(rfc3339(t)));
        }
        if let Some(t) = q.until {
            filter("#at < :until", ":until", s(rfc3339(t)));
        }
        if let Some(a) = &q.action {
            filter("#action = :action", ":action", s(a));
        }
        if let Some(a) = &q.actor {
            filter("actor_id = :actor", ":actor", s(a));
        }
        if let Some((k, i)) = &q.target {
            filter("#target = :target", ":target", s(format!("{k}:{i}")));
        }
        let mut names = HashMap::from([
            ("#st".to_owned(), "stream".to_owned()),
            ("#seq".to_owned(), "seq".to_owned()),
        ]);
        if q.since.is_some() || q.until.is_some() {
            names.insert("#at".to_owned(), "at".to_owned());
        }
        if q.action.is_some() {
            names.insert("#action".to_owned(), "action".to_owned());
        }
        if q.target.is_some() {
            names.insert("#target".to_owned(), "target".to_owned());
        }
        let read = if filters.is_empty() { limit + 1 } else { 1000 };
        let filter = (!filters.is_empty()).then(|| filters.join(" AND "));
        // The partitions the range spans, in the order of the page.
        let (first, last) = (low / PARTITION, (high - 1) / PARTITION);
        let parts: Box<dyn Iterator<Item = u64> + Send> = if q.newest_first {
            Box::new((first..=last).rev())
        } else {
            Box::new(first..=last)
        };
        let mut found = Vec::new();
        let mut calls = 0;
        // The seq up to which the range has been examined, for a page cut short.
        let mut examined = None;
        for part in parts {
            let lo = low.max(part * PARTITION);
            let hi = (high - 1).min(part * PARTITION + PARTITION - 1);
            let mut v = values.clone();
            v.insert(":e".to_owned(), s(format!("entry#{part}")));
            v.insert(":lo".to_owned(), seq_key(lo));
            // `high` is exclusive; DynamoDB's BETWEEN is inclusive.
            v.insert(":hi".to_owned(), seq_key(hi));
            let mut start: Option<HashMap<String, Av>> = None;
            loop {
                if calls == MAX_CALLS {
                    return Ok((found, examined));
                }
                calls += 1;
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("#st = :e AND #seq BETWEEN :lo AND :hi")
                    .set_filter_expression(filter.clone())
                    .set_expression_attribute_names(Some(names.clone()))
                    .set_expression_attribute_values(Some(v.clone()))
                    .scan_index_forward(!q.newest_first)
                    .limit(i32::try_from(read).unwrap_or(i32::MAX))
                    .consistent_read(true)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| sdk_error("Query(audit)", e))?;
                found.extend(out.items().iter().map(entry_of));
                if found.len() > limit {
                    found.truncate(limit);
                    let next = found.last().map(|e| e.seq);
                    return Ok((found, next));
                }
                match out.last_evaluated_key {
                    Some(k) => {
                        examined = seq_of(&k);
                        start = Some(k);
                    }
                    None => {
                        examined = Some(if q.newest_first { lo } else { hi });
                        break;
                    }
                }
            }
        }
        Ok((found, None))
    }

    async fn entry(&self, seq: u64) -> Result<Option<AuditEntry>, CoreError> {
        let key = HashMap::from([
            ("stream".to_owned(), s(entry_stream(seq))),
            ("seq".to_owned(), seq_key(seq)),
        ]);
        Ok(get_item(&self.client, &self.table, key)
            .await?
            .as_ref()
            .map(entry_of))
    }
}
