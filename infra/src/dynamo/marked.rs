//! Deletions cut short over DynamoDB (docs/DESIGN.md 2.4). The mark a removal for good writes
//! (`deleting_at`) carries, when the ledger writes it, what the receipt will say
//! (`deleting_for = <reason>:<by>`) and `deleting_shard = d<n>` (the file's shard, as
//! `pending_shard`): the key of the sparse `deleting-since` index, whose sort key is
//! `deleting_at` itself. The janitor asks each partition for marks older than its grace with a
//! key condition, so a run reads only the deletions it finishes, never the files. The erasure's
//! mark takes both off: its own resume finishes those, and it writes no receipt.

use chrono::{DateTime, Utc};
use dropgate_core::lifecycle::DeletionCause;
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileRecord};

use super::due::DueIndex;
use super::files::{file_key, from_item, shard_label};
use super::hold_attrs::{DELETING_AT, DELETING_FOR, DELETING_SHARD, NOT_HELD};
use super::{DynamoLedger, s, update_if, values};

pub const MARKED_INDEX: &str = "deleting-since";
/// `d<n>`: records a removal for good marked and has not finished.
const MARKED: &str = "d";

/// Who writes the mark: a removal of the ledger (its cause and the record's shard in the
/// index), or the erasure (out of the index).
pub(crate) enum Marker {
    Ledger { cause: DeletionCause, shard: String },
    Erasure,
}

/// The deletion mark of `file`'s record at `at` (a mark already there stays, and its cause), on
/// condition that the record is there and not held: the ledger's purges and the erasure both
/// write it.
pub(crate) async fn mark_deleting(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    file: &FileRecord,
    at: DateTime<Utc>,
    by: Marker,
) -> Result<bool, CoreError> {
    let mut vals = vec![(":at", s(rfc3339(at)))];
    let set = format!("SET {DELETING_AT} = if_not_exists({DELETING_AT}, :at)");
    let expression = match by {
        Marker::Ledger { cause, shard } => {
            vals.push((":for", s(cause.encode())));
            vals.push((":d", s(shard)));
            format!(
                "{set}, {DELETING_FOR} = if_not_exists({DELETING_FOR}, :for), {DELETING_SHARD} = :d"
            )
        }
        Marker::Erasure => format!("{set} REMOVE {DELETING_FOR}, {DELETING_SHARD}"),
    };
    let update = client
        .update_item()
        .table_name(table)
        .set_key(Some(file_key(&file.owner, &file.id)))
        .update_expression(expression)
        .condition_expression(format!("attribute_exists(file_id) AND {NOT_HELD}"))
        .set_expression_attribute_values(values(vals));
    update_if(update).await
}

impl DynamoLedger {
    pub(crate) fn marked_label(&self, file: &FileRecord) -> String {
        shard_label(MARKED, &file.id, self.pending_shards)
    }

    fn marked_index(&self) -> DueIndex<'_> {
        DueIndex {
            client: &self.client,
            table: &self.files_table,
            index: MARKED_INDEX,
            shard_attr: DELETING_SHARD,
            prefix: MARKED,
            shards: self.pending_shards,
            time_attr: DELETING_AT,
        }
    }

    /// Marks older than `before` in every `d<n>` partition, the oldest first, `limit` at
    /// most. Times are kept to the millisecond, so "strictly before" is "at most a
    /// millisecond earlier".
    pub(super) async fn marks_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let until = before - chrono::Duration::milliseconds(1);
        let mut found = Vec::new();
        for item in self.marked_index().due(None, until, limit).await? {
            let f = from_item(&item)?;
            // The index is eventually consistent: an erasure's mark a moment ago may linger.
            if f.lifecycle.deleting_for.is_some() && f.lifecycle.legal_hold.is_none() {
                found.push(f);
            }
        }
        found.sort_by_key(|f| f.lifecycle.deleting_at);
        found.truncate(limit);
        Ok(found)
    }
}
