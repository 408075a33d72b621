//! Legal holds over DynamoDB: the hold is three attributes on the file's record
//! (`legal_hold_at`, `legal_hold_by`, `legal_hold_reason`). Placing one takes the record out of
//! the janitor's sparse indexes (`retention_shard`, and a trashed file's `pending_shard`), so a
//! run never reads a held file; lifting it puts them back as the record as read says. The
//! ledger's trash, purge and removal writes carry `NOT_HELD` (`hold_attrs.rs`) in their conditions: a hold
//! placed a moment before a deletion wins.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::holds::{HoldStore, LegalHold};
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileRecord};

use super::files::{DELETE_AFTER, TRASH, file_key, shard_label};
use super::hold_attrs::{HOLD_AT, HOLD_BY, HOLD_REASON, NOT_DELETING};
use super::retention::RETENTION_SHARD;
use super::{DynamoLedger, names, s, update_if, values};

/// The condition that the record is in or out of the trash as `file` was read, with its value.
fn trash_as_read(file: &FileRecord, vals: &mut Vec<(&'static str, Av)>) -> &'static str {
    match file.lifecycle.trashed_at {
        Some(t) => {
            vals.push((":t", s(rfc3339(t))));
            "trashed_at = :t"
        }
        None => "attribute_not_exists(trashed_at)",
    }
}

#[async_trait]
impl HoldStore for DynamoLedger {
    async fn place_hold(&self, file: &FileRecord, hold: &LegalHold) -> Result<bool, CoreError> {
        let mut vals = vec![
            (":st", s(file.status.as_str())),
            (":a", s(rfc3339(hold.placed_at))),
            (":b", s(&hold.placed_by)),
            (":r", s(&hold.reason)),
        ];
        let trash = trash_as_read(file, &mut vals);
        // Out of the janitor's passes: retention's index, and the trash's for a trashed file.
        let mut remove = vec![RETENTION_SHARD];
        if file.in_trash() {
            remove.push("pending_shard");
        }
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression(format!(
                "SET {HOLD_AT} = :a, {HOLD_BY} = :b, {HOLD_REASON} = :r REMOVE {}",
                remove.join(", ")
            ))
            // A record whose deletion began takes no hold: its bytes may be going.
            .condition_expression(format!("#st = :st AND {trash} AND {NOT_DELETING}"))
            .set_expression_attribute_names(names(&[("#st", "status")]))
            .set_expression_attribute_values(values(vals));
        update_if(update).await
    }

    async fn lift_hold(&self, file: &FileRecord) -> Result<bool, CoreError> {
        let Some(hold) = &file.lifecycle.legal_hold else {
            return Ok(false);
        };
        let mut vals = vec![(":h", s(rfc3339(hold.placed_at)))];
        let trash = trash_as_read(file, &mut vals);
        // Back into the janitor's passes as the record as read says; its retention time is
        // part of the condition, so the index and the time agree.
        let mut set = Vec::new();
        let retention = match file.lifecycle.delete_after {
            Some(d) => {
                vals.push((":d", s(rfc3339(d))));
                if !file.in_trash() {
                    vals.push((":rs", s(self.retention_label(file))));
                    set.push(format!("{RETENTION_SHARD} = :rs"));
                }
                format!("{DELETE_AFTER} = :d")
            }
            None => format!("attribute_not_exists({DELETE_AFTER})"),
        };
        if file.in_trash() {
            vals.push((":ps", s(shard_label(TRASH, &file.id, self.pending_shards))));
            set.push("pending_shard = :ps".into());
        }
        let set = if set.is_empty() {
            String::new()
        } else {
            format!("SET {} ", set.join(", "))
        };
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .update_expression(format!("{set}REMOVE {HOLD_AT}, {HOLD_BY}, {HOLD_REASON}"))
            .condition_expression(format!("{HOLD_AT} = :h AND {trash} AND {retention}"))
            .set_expression_attribute_values(values(vals));
        update_if(update).await
    }
}
