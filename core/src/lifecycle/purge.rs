//! Removing a file for good with no moment at which a legal hold could lose its bytes
//! (docs/DESIGN.md 2.4): the record is marked `deleting` on condition that it is not held,
//! then its bytes go, then the record with its receipt. A marked record refuses a hold, so a
//! hold either lands before the mark (the mark fails, nothing is touched) or is refused. The
//! mark stays until the record goes, so a purge cut short is found and finished by the next
//! attempt (or by the janitor, once the mark is older than `DELETION_GRACE`: the mark keeps
//! what the receipt says). Every purge (the owner's, the trash's, retention's, an admin's, the
//! janitor's finishing of one cut short) comes through here.

use chrono::{DateTime, Utc};

use super::DeletionReceipt;
use crate::files::Purging;
use crate::objects::ObjectStore;
use crate::{CoreError, FileRecord};

/// Marks `file`, removes its bytes (every kept version's too), then its record with `receipt`.
/// `false` if the record changed meanwhile (held, settled, restored, gone): before the mark
/// nothing was touched; after it the caller reads the record again and retries.
pub async fn purge(
    ledger: &dyn Purging,
    store: &dyn ObjectStore,
    file: &FileRecord,
    receipt: &DeletionReceipt,
    at: DateTime<Utc>,
) -> Result<bool, CoreError> {
    if !ledger.mark_deleting(file, receipt, at).await? {
        tracing::info!(file_id = %file.id, owner = %file.owner, decision = "purge_unmarked", "record changed or held before its deletion began");
        return Ok(false);
    }
    crate::versions::remove_version_objects(store, file).await?;
    store.delete(&file.key()).await?;
    let mut marked = file.clone();
    marked.lifecycle.deleting_at.get_or_insert(at);
    marked.lifecycle.deleting_for.get_or_insert(receipt.cause());
    ledger.purge_file(&marked, receipt, at).await
}
