//! Retention over DynamoDB. A live file with a `delete_after` carries
//! `retention_shard = r<n>` (its shard, as `pending_shard`), the key of the sparse
//! `due-for-retention` index whose sort key is `delete_after` itself: the janitor asks each
//! partition for what is due with a key condition, so a run reads only the files it deletes,
//! never the files kept for years. A file in the trash leaves the index (the trash's own pass
//! finds it); a restore brings it back.

use chrono::{DateTime, Utc};
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileRecord};

use super::due::DueIndex;
use super::files::{DELETE_AFTER, file_key, from_item, shard_label};
use super::hold_attrs::{HELD, NOT_HELD};
use super::{DynamoLedger, s, update_if, values};

pub const RETENTION_INDEX: &str = "due-for-retention";
pub(crate) const RETENTION_SHARD: &str = "retention_shard";
/// `r<n>`: live files with a `delete_after`.
pub(crate) const RETAINED: &str = "r";

impl DynamoLedger {
    pub(crate) fn retention_label(&self, file: &FileRecord) -> String {
        shard_label(RETAINED, &file.id, self.pending_shards)
    }

    pub(super) async fn retain(
        &self,
        file: &FileRecord,
        at: Option<DateTime<Utc>>,
    ) -> Result<bool, CoreError> {
        // A held file (as read, which the condition holds it to) keeps its time out of the
        // index: the hold's lift puts it in.
        let held = file.lifecycle.legal_hold.is_some();
        let update = self
            .client
            .update_item()
            .table_name(&self.files_table)
            .set_key(Some(file_key(&file.owner, &file.id)))
            .condition_expression(format!(
                "attribute_exists(file_id) AND attribute_not_exists(trashed_at) AND {}",
                if held { HELD } else { NOT_HELD }
            ));
        let update = match at {
            Some(t) if held => update
                .update_expression(format!("SET {DELETE_AFTER} = :d"))
                .set_expression_attribute_values(values(vec![(":d", s(rfc3339(t)))])),
            Some(t) => update
                .update_expression(format!("SET {DELETE_AFTER} = :d, {RETENTION_SHARD} = :r"))
                .set_expression_attribute_values(values(vec![
                    (":d", s(rfc3339(t))),
                    (":r", s(self.retention_label(file))),
                ])),
            None => update.update_expression(format!("REMOVE {DELETE_AFTER}, {RETENTION_SHARD}")),
        };
        update_if(update).await
    }

    /// The retention index, as the shared "due before T" read sees it.
    pub(crate) fn retention_index(&self) -> DueIndex<'_> {
        DueIndex {
            client: &self.client,
            table: &self.files_table,
            index: RETENTION_INDEX,
            shard_attr: RETENTION_SHARD,
            prefix: RETAINED,
            shards: self.pending_shards,
            time_attr: DELETE_AFTER,
        }
    }

    /// What is due in every `r<n>` partition: a key condition on the time, so only due files
    /// are read; the longest due first, `limit` at most.
    pub(super) async fn due_for_retention(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<FileRecord>, CoreError> {
        let mut found = Vec::new();
        for item in self.retention_index().due(None, now, limit).await? {
            let f = from_item(&item)?;
            // The index is eventually consistent: a file trashed a moment ago may linger.
            if !f.in_trash() && f.lifecycle.legal_hold.is_none() {
                found.push(f);
            }
        }
        found.sort_by_key(|f| f.lifecycle.delete_after);
        found.truncate(limit);
        Ok(found)
    }
}
