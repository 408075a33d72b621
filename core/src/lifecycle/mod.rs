//! A file's life after its verdict: the trash (a deleted file is kept for `TRASH_DAYS`, then
//! purged), and the deletion receipt kept for every file that leaves the system, so an owner can
//! show when and why each one went. Here the model and its rules; the owner's routes are in
//! `files::FileService` (`files/trash.rs`), the janitor's purge in [`crate::janitor`], the
//! ports' methods in `files/ledger.rs` (they change files and quotas together).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::time::rfc3339;
use crate::{FileRecord, FileStatus};

mod cause;
mod purge;
mod retention;
mod unfinished;

pub use crate::files::Lifecycle;
pub use cause::{DeletedBy, DeletionCause, DeletionReason};
pub use purge::purge;
pub use retention::{
    MAX_RETENTION_DAYS, announced_deletion, delete_after_for, parse_delete_after, retention_days,
    retention_due, trashed_by_retention,
};
pub use unfinished::{DELETION_GRACE, finish_marked, unfinished_cutoff};

/// Whether a deletion of a file in `status` goes through the trash: only an accepted file's
/// bytes are worth forgiving a click for; anything else (still pending, waiting for a scan or
/// an operator, refused) is removed at once, as it always was.
pub fn goes_to_trash(status: FileStatus, trash_days: u32) -> bool {
    trash_days > 0 && status == FileStatus::Accepted
}

/// When a file trashed at `trashed_at` is purged.
pub fn purge_at(trashed_at: DateTime<Utc>, trash_days: u32) -> DateTime<Utc> {
    trashed_at + chrono::Duration::days(i64::from(trash_days))
}

/// The latest trash time that is due for purging at `now`: a file trashed strictly before it
/// is purged, so nothing goes a second early.
pub fn purge_cutoff(now: DateTime<Utc>, trash_days: u32) -> DateTime<Utc> {
    now - chrono::Duration::days(i64::from(trash_days))
}

/// The proof that a file left the system, written in the same atomic write that removes its
/// record (after its bytes are gone). It never carries the name in clear: only its SHA-256,
/// which an owner who kept the name can match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionReceipt {
    pub file_id: String,
    pub name_sha256: String,
    /// Every kept version's bytes.
    pub size: u64,
    /// The current version's ETag, when the store said.
    pub etag: Option<String>,
    /// How many versions left with it.
    pub versions: u32,
    pub reason: DeletionReason,
    pub deleted_by: DeletedBy,
    pub deleted_at: String,
}

impl DeletionReceipt {
    pub fn of(file: &FileRecord, reason: DeletionReason, by: DeletedBy, at: DateTime<Utc>) -> Self {
        Self {
            file_id: file.id.to_string(),
            name_sha256: hex::encode(Sha256::digest(file.name.as_bytes())),
            // Bytes held as used: a file removed before its bytes came counts none.
            size: if file.status.holds_usage() {
                file.size
            } else {
                0
            },
            etag: file.stored.as_ref().and_then(|s| s.etag.clone()),
            versions: u32::from(file.status.holds_usage()),
            reason,
            deleted_by: by,
            deleted_at: rfc3339(at),
        }
    }
}

impl DeletionReceipt {
    /// The receipt counting every kept version of `file` (its own bytes unless removed, and
    /// `versions`, its version records as read): what the store writes when it purges them.
    pub fn counting(mut self, file: &FileRecord, versions: &[FileRecord]) -> Self {
        let (size, count) = kept_bytes(file, versions);
        self.size = size;
        self.versions = count;
        // The current version's ETag, when another than the first is current.
        if let Some(c) = &file.versioning.head.current {
            self.etag = c.etag.clone();
        }
        self
    }

    /// What a deletion's mark keeps of it (`Purging::mark_deleting`).
    pub fn cause(&self) -> DeletionCause {
        DeletionCause {
            reason: self.reason,
            by: self.deleted_by,
        }
    }

    /// Its place among its owner's receipts: time first, so a listing is newest first, then
    /// the file (a file leaves once).
    pub fn sort_key(&self) -> String {
        format!("{}#{}", self.deleted_at, self.file_id)
    }
}

/// Bytes every kept version of `file` holds as used (the file's own unless removed, and each
/// version record's), and how many: what a deletion receipt says left with it.
pub fn kept_bytes(file: &FileRecord, versions: &[FileRecord]) -> (u64, u32) {
    let mut bytes = 0;
    let mut count = 0;
    if file.status.holds_usage() && !file.versioning.head.first_removed {
        bytes += file.size;
        count += 1;
    }
    for v in versions.iter().filter(|v| v.status.holds_usage()) {
        bytes += v.size;
        count += 1;
    }
    (bytes, count)
}

/// Receipt cursors are opaque to clients: the last sort key of a page, hex-encoded.
pub fn encode_receipt_cursor(sort_key: &str) -> String {
    hex::encode(sort_key)
}

pub fn decode_receipt_cursor(raw: &str) -> Result<String, crate::CoreError> {
    hex::decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            crate::CoreError::invalid("invalid_cursor", "cursor is not one this API returned")
        })
}

/// One page of an owner's receipts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceiptPage {
    pub receipts: Vec<DeletionReceipt>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn only_accepted_files_go_to_the_trash_and_only_when_it_is_on() {
        use FileStatus::*;
        for s in [Pending, Scanning, Held, Accepted, Rejected, Expired] {
            assert_eq!(goes_to_trash(s, 7), s == Accepted, "{s:?}");
            assert!(!goes_to_trash(s, 0), "{s:?}");
        }
    }

    #[test]
    fn a_trashed_file_is_due_exactly_its_days_later_not_a_second_earlier() {
        let trashed = at("2026-01-01T10:00:00Z");
        assert_eq!(purge_at(trashed, 7), at("2026-01-08T10:00:00Z"));
        // The janitor purges what was trashed strictly before the cutoff.
        let early = purge_cutoff(at("2026-01-08T09:59:59Z"), 7);
        assert!(trashed >= early);
        let due = purge_cutoff(at("2026-01-08T10:00:01Z"), 7);
        assert!(trashed < due);
    }

    #[test]
    fn a_receipt_never_names_the_file_in_clear() {
        let mut f = FileRecord::pending(
            crate::FileId::parse("f1").unwrap(),
            crate::OwnerId::parse("o1").unwrap(),
            "contract.pdf".into(),
            42,
            "application/pdf".into(),
            at("2026-01-01T00:00:00Z"),
            std::time::Duration::from_secs(60),
        );
        f.status = FileStatus::Accepted;
        f.stored = Some(crate::files::StoredObject {
            size: 42,
            etag: Some("abc".into()),
        });
        let r = DeletionReceipt::of(
            &f,
            DeletionReason::Purged,
            DeletedBy::Owner,
            at("2026-01-02T00:00:00Z"),
        );
        let json = serde_json::to_value(&r).unwrap();
        assert!(!json.to_string().contains("contract"));
        assert_eq!(
            json,
            serde_json::json!({
                "file_id": "f1",
                "name_sha256": hex::encode(Sha256::digest(b"contract.pdf")),
                "size": 42, "etag": "abc", "versions": 1,
                "reason": "purged", "deleted_by": "owner",
                "deleted_at": "2026-01-02T00:00:00.000Z"
            })
        );
        for r in [
            DeletionReason::Retention,
            DeletionReason::Deleted,
            DeletionReason::Purged,
            DeletionReason::Erased,
        ] {
            assert_eq!(DeletionReason::parse(r.as_str()), Some(r));
        }
        for b in [
            DeletedBy::Owner,
            DeletedBy::Admin,
            DeletedBy::Retention,
            DeletedBy::Erasure,
        ] {
            assert_eq!(DeletedBy::parse(b.as_str()), Some(b));
        }
    }
}
