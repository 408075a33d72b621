//! Deletions cut short after their mark (docs/DESIGN.md 2.4): a removal for good marks the
//! record (`deleting_at`, and what its receipt says), removes the bytes, then the record. A
//! `503` or a crash between the mark and the record's removal, with nobody trying again,
//! would leave the marked record for good. The janitor finishes every such record whose mark
//! is older than [`DELETION_GRACE`], as the interrupted removal would have ended: the same
//! `purge`, a receipt naming the same reason and actor, the multipart upload of a pending file
//! aborted. The record's own conditional removal makes a race with any other attempt end once
//! (one receipt, the quota released once).

use chrono::{DateTime, Utc};

use super::DeletionReceipt;
use crate::files::Purging;
use crate::multipart::MultipartStore;
use crate::objects::ObjectStore;
use crate::{CoreError, FileRecord, FileStatus};

/// How old a mark must be before the janitor finishes its deletion. A removal runs inside one
/// Lambda invocation, which lives 15 minutes at most (900 s, the service's limit), and its mark
/// is written during it: a mark older than that belongs to no removal still running, so the
/// janitor never races one in flight (were it to, the conditional writes still end it once).
pub const DELETION_GRACE: chrono::Duration = chrono::Duration::minutes(15);

/// The latest mark time the janitor finishes at `now`: marks strictly before it.
pub fn unfinished_cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    now - DELETION_GRACE
}

/// Finishes the deletion of a record marked by a removal cut short: `true` once its record
/// went with its receipt; `false` if it is not one to finish here (an erasure's mark, held)
/// or changed meanwhile (the next run reads it again).
pub async fn finish_marked(
    ledger: &dyn Purging,
    store: &dyn ObjectStore,
    multipart: &dyn MultipartStore,
    file: &FileRecord,
    now: DateTime<Utc>,
) -> Result<bool, CoreError> {
    let (Some(_), Some(cause)) = (file.lifecycle.deleting_at, file.lifecycle.deleting_for) else {
        return Ok(false);
    };
    // A mark refuses a hold, so none can be here; should one be, it wins.
    if crate::holds::ensure_deletable(file).is_err() {
        return Ok(false);
    }
    // A large file still uploading: its parts are freed, as the removal would have (again is
    // no error).
    if let (Some(m), FileStatus::Pending) = (&file.multipart, file.status) {
        multipart.abort_multipart(&file.key(), &m.upload_id).await?;
    }
    let receipt = DeletionReceipt::of(file, cause.reason, cause.by, now);
    super::purge(ledger, store, file, &receipt, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_finished_only_once_the_grace_is_over() {
        let now: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
        assert_eq!(
            unfinished_cutoff(now),
            "2026-01-01T09:45:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
