//! The rules of a hold: what may be held, what a reason must be, and the one guard every
//! deletion path calls.

use crate::{CoreError, FileRecord, FileStatus};

/// The longest reason an admin may give, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The error every deletion of a held file answers (`409 legal_hold`), whoever asks.
pub fn legal_hold() -> CoreError {
    CoreError::conflict(
        "legal_hold",
        "the file is under a legal hold; it cannot be deleted until the hold is lifted",
    )
}

/// The guard of every deletion path (owner delete, trash purge, retention, admin delete,
/// erasure, a version prune): a held file is refused `409 legal_hold`.
pub fn ensure_deletable(file: &FileRecord) -> Result<(), CoreError> {
    if file.lifecycle.legal_hold.is_some() {
        return Err(legal_hold());
    }
    Ok(())
}

/// Whether a file can be held: one whose bytes are kept (accepted, in the trash or not, or held
/// by the malware gate for an operator). A pending or scanning file may still be refused and
/// lose its bytes by its verdict; a refused or expired one has none left to keep; nor has one
/// whose deletion for good began (`deleting_at`: its bytes may be gone already).
pub fn can_hold(file: &FileRecord) -> bool {
    matches!(file.status, FileStatus::Accepted | FileStatus::Held)
        && file.lifecycle.deleting_at.is_none()
}

/// A hold's reason: trimmed, 1 to [`MAX_REASON_CHARS`] characters, no control characters but
/// line breaks and tabs (it is shown as text to admins).
pub fn clean_reason(raw: Option<&str>) -> Result<String, CoreError> {
    let bad = |m: &str| CoreError::invalid("invalid_reason", m.to_owned());
    let reason = raw.map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        return Err(bad("reason is required: say why the file is held"));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(bad(&format!(
            "reason must be at most {MAX_REASON_CHARS} characters"
        )));
    }
    if reason
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(bad("reason must not contain control characters"));
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_trimmed_bounded_and_text() {
        assert_eq!(clean_reason(Some("  case 42 \n")).unwrap(), "case 42");
        assert_eq!(clean_reason(Some("a\nb\tc")).unwrap(), "a\nb\tc");
        let long = "x".repeat(MAX_REASON_CHARS);
        assert_eq!(clean_reason(Some(&long)).unwrap(), long);
        for bad in [None, Some(""), Some("   "), Some("a\u{7}b")] {
            assert!(
                matches!(
                    clean_reason(bad),
                    Err(CoreError::Invalid {
                        code: "invalid_reason",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
        let over = "x".repeat(MAX_REASON_CHARS + 1);
        assert!(clean_reason(Some(&over)).is_err());
    }

    #[test]
    fn only_files_that_keep_their_bytes_can_be_held() {
        use FileStatus::*;
        let mut f = FileRecord::pending(
            crate::FileId::parse("f1").unwrap(),
            crate::OwnerId::parse("o1").unwrap(),
            "a.txt".into(),
            1,
            "text/plain".into(),
            chrono::Utc::now(),
            std::time::Duration::from_secs(60),
        );
        for s in [Pending, Scanning, Held, Accepted, Rejected, Expired] {
            f.status = s;
            assert_eq!(can_hold(&f), matches!(s, Accepted | Held), "{s:?}");
        }
    }

    #[test]
    fn the_guard_refuses_a_held_file_with_legal_hold() {
        let mut f = FileRecord::pending(
            crate::FileId::parse("f1").unwrap(),
            crate::OwnerId::parse("o1").unwrap(),
            "a.txt".into(),
            1,
            "text/plain".into(),
            chrono::Utc::now(),
            std::time::Duration::from_secs(60),
        );
        assert!(ensure_deletable(&f).is_ok());
        f.lifecycle.legal_hold = Some(super::super::LegalHold {
            reason: "r".into(),
            placed_at: chrono::Utc::now(),
            placed_by: "admin".into(),
        });
        assert!(matches!(
            ensure_deletable(&f),
            Err(CoreError::Conflict {
                code: "legal_hold",
                ..
            })
        ));
    }
}
