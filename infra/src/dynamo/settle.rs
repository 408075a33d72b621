//! Settling over DynamoDB: a record's move between states, with its quota, its upload-log entry
//! (when the move announces one), its pointer's expiry and its link's release, in one
//! transaction; and a scan result recorded on a record that is not ready to move yet.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue as Av, TransactWriteItem, Update};
use dropgate_core::files::{QuotaDelta, Settlement, Settling, StoredObject};
use dropgate_core::notify::EventType;
use dropgate_core::scan::ScanRecord;
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileRecord, FileStatus};

use super::files::{CLEANUP, KEEP_REJECTED_DAYS, SCANNING, epoch_after, file_key, shard_label};
use super::scan::{SCAN_STARTED_AT, ScanWrite};
use super::{DynamoLedger, n, names, s, update_if};

/// An update expression's clauses and values, built up piece by piece.
#[derive(Default)]
struct Clauses {
    set: Vec<String>,
    remove: Vec<String>,
    values: HashMap<String, Av>,
}

impl Clauses {
    fn set(&mut self, attr: &str, placeholder: &str, v: Av) {
        self.set.push(format!("{attr} = {placeholder}"));
        self.values.insert(placeholder.to_owned(), v);
    }

    fn scan(&mut self, scan: &ScanRecord) {
        let w = ScanWrite::of(scan);
        self.set.extend(w.set);
        self.remove.extend(w.remove.into_iter().map(str::to_owned));
        self.values.extend(w.values);
    }

    fn expression(&self) -> String {
        let mut e = format!("SET {}", self.set.join(", "));
        if !self.remove.is_empty() {
            e.push_str(&format!(" REMOVE {}", self.remove.join(", ")));
        }
        e
    }
}

#[async_trait]
impl Settling for DynamoLedger {
    async fn settle(&self, file: &FileRecord, st: &Settlement) -> Result<bool, CoreError> {
        if !file.status.can_become(st.status) {
            return Ok(false);
        }
        let mut c = Clauses::default();
        c.set("#st", ":new", s(st.status.as_str()));
        c.values.insert(":from".into(), s(file.status.as_str()));
        if let Some(size) = st.stored_size {
            c.set("stored_size", ":ss", n(size));
        }
        if let Some(etag) = &st.stored_etag {
            c.set("stored_etag", ":se", s(etag));
        }
        if let Some(t) = &st.detected_type {
            c.set("detected_type", ":dt", s(t));
        }
        if let Some(r) = &st.reason {
            c.set("reason", ":reason", s(r));
        }
        if let Some(scan) = &st.scan {
            c.scan(scan);
        }
        let mut ttl = None;
        match st.status {
            // Not settled yet: the bytes wait for their scan, found by the janitor's timeout
            // pass through their own partitions of the index.
            FileStatus::Scanning => {
                c.set(SCAN_STARTED_AT, ":started", s(rfc3339(st.at)));
                let label = shard_label(SCANNING, &file.id, self.pending_shards);
                c.set("pending_shard", ":shard", s(label));
            }
            FileStatus::Accepted | FileStatus::Held => {
                c.set("settled_at", ":at", s(rfc3339(st.at)));
                c.remove.push("pending_shard".into());
            }
            _ => {
                c.set("settled_at", ":at", s(rfc3339(st.at)));
                let at = epoch_after(st.at, KEEP_REJECTED_DAYS);
                ttl = Some(at);
                c.set("expires_at", ":ttl", n(at));
                let label = shard_label(CLEANUP, &file.id, self.pending_shards);
                c.set("pending_shard", ":cleanup", s(label));
            }
        }
        let update = Update::builder()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression(c.expression())
            // Only a file still in the status it was read in moves: a replayed event finds it
            // settled and changes nothing.
            .condition_expression("#st = :from")
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(Some(c.values))
            .build()
            .map_err(CoreError::upstream)?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        let delta = QuotaDelta::transition(file.status, st.status, file.size);
        // A move that changes no counter (scanning to accepted, say) leaves the quota item
        // alone: one contended item less in the transaction.
        if !delta.is_zero() {
            items.push(self.quota_update(&file.owner, delta)?);
        }
        // Moves that wait for a scan announce nothing: the final verdict is announced once.
        if let Some(event) = EventType::settled(st.status) {
            items.push(self.outbox_put(&settled(file, st), event, st.at)?);
        }
        // An accepted version becomes its file's current one in the same transaction.
        items.extend(self.switch_current(&settled(file, st))?);
        // A settled-away record expires, and its pointer with it.
        if ttl.is_some() {
            items.extend(self.pointer_follows(file, ttl)?);
        }
        // A pending link file releases its link's pending bytes (and, on expiry, may give its
        // use back) in the same transaction.
        let link_tries = self.link_releases(file, file.status, st.give_back_link)?;
        self.with_link_release("settle", items, link_tries).await
    }

    async fn record_scan(&self, file: &FileRecord, scan: &ScanRecord) -> Result<bool, CoreError> {
        let mut c = Clauses::default();
        c.scan(scan);
        c.values.insert(":from".into(), s(file.status.as_str()));
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression(c.expression())
            // Recorded only while the record waits as it was read: a record that moved meanwhile
            // is judged by whoever moved it.
            .condition_expression("#st = :from")
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(Some(c.values));
        update_if(update).await
    }

    async fn mark_cleaned(&self, file: &FileRecord) -> Result<(), CoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression("REMOVE pending_shard")
            .condition_expression("attribute_exists(file_id)");
        // `false`: deleted meanwhile, nothing left to clean.
        update_if(update).await?;
        Ok(())
    }
}

/// The record as `st` leaves it: what its upload-log entry carries.
fn settled(file: &FileRecord, st: &Settlement) -> FileRecord {
    FileRecord {
        status: st.status,
        detected_type: st.detected_type.clone(),
        reason: st.reason.clone(),
        stored: st.stored_size.map(|size| StoredObject {
            size,
            etag: st.stored_etag.clone(),
        }),
        scan: st.scan.clone().or_else(|| file.scan.clone()),
        scan_started_at: match st.status {
            FileStatus::Scanning => Some(st.at),
            _ => file.scan_started_at,
        },
        ..file.clone()
    }
}
