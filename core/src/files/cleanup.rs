//! Removing the bytes of a file settled away (rejected or expired): the pipeline, the scan gate
//! and the janitor all do it the same way.

use super::Settling;
use crate::FileRecord;
use crate::objects::ObjectStore;

/// Removes a settled-away file's object and clears its cleanup mark; a failure is logged and
/// left to the janitor's cleanup pass.
pub async fn remove_and_mark(
    ledger: &dyn Settling,
    store: &dyn ObjectStore,
    file: &FileRecord,
) -> bool {
    let done = match store.delete(&file.key()).await {
        Ok(()) => ledger.mark_cleaned(file).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "object removal failed; the janitor will retry");
            false
        }
    }
}
