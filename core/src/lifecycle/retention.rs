//! Retention: when a file is deleted on its own. A file carries its own `delete_after`; without
//! one it gets its upload link's `retain_days`, else its owner's `file_retention_days`, counted
//! from its creation and fixed then (a default set later never reaches older files).

use chrono::{DateTime, Utc};

use crate::CoreError;

/// The longest retention a default may ask for, in days (about a century), and the furthest a
/// `delete_after` may be: times stay four-digit years, so their RFC 3339 keys sort as times.
pub const MAX_RETENTION_DAYS: u64 = 36_500;

/// A `delete_after` the owner gave: RFC 3339, strictly after `now` (a time already past would
/// delete the file at once, which is what `DELETE` is for), within [`MAX_RETENTION_DAYS`].
pub fn parse_delete_after(raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, CoreError> {
    let at = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| {
            CoreError::invalid(
                "invalid_delete_after",
                "delete_after must be an RFC 3339 time, or null",
            )
        })?
        .with_timezone(&Utc);
    if at <= now {
        return Err(CoreError::invalid(
            "invalid_delete_after",
            "delete_after must be in the future",
        ));
    }
    if at > now + chrono::Duration::days(MAX_RETENTION_DAYS as i64) {
        return Err(CoreError::invalid(
            "invalid_delete_after",
            format!("delete_after must be within {MAX_RETENTION_DAYS} days"),
        ));
    }
    Ok(at)
}

/// A retention in days (an owner's default, a link's `retain_days`): 1 to
/// [`MAX_RETENTION_DAYS`]; `code` is the field's own.
pub fn retention_days(v: u64, code: &'static str, field: &str) -> Result<u32, CoreError> {
    if (1..=MAX_RETENTION_DAYS).contains(&v) {
        Ok(v as u32)
    } else {
        Err(CoreError::invalid(
            code,
            format!("{field} must be a whole number of days, 1 to {MAX_RETENTION_DAYS}, or null"),
        ))
    }
}

/// When a file created at `created_at` is deleted: its own time wins over its link's days, the
/// link's over its owner's; none of them, never.
pub fn delete_after_for(
    own: Option<DateTime<Utc>>,
    link_days: Option<u32>,
    owner_days: Option<u32>,
    created_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    own.or_else(|| {
        link_days
            .or(owner_days)
            .map(|d| created_at + chrono::Duration::days(i64::from(d)))
    })
}

/// Whether a file whose `delete_after` is `at` is due at `now`: at that instant, not a second
/// before.
pub fn retention_due(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    at <= now
}

/// Whether a file in the trash went there by retention: it was trashed at or after its own
/// `delete_after` (an owner's delete before that time keeps its time ahead of the trash time).
/// Its purge's receipt then says `retention`.
pub fn trashed_by_retention(l: &crate::files::Lifecycle) -> bool {
    matches!((l.delete_after, l.trashed_at), (Some(d), Some(t)) if d <= t)
}

/// The record a deletion's `file.deleted` notice announces: a retention deletion says so in
/// its `reason` (`"retention"`), any other is the file as it was.
pub fn announced_deletion(
    file: &crate::FileRecord,
    receipt: &super::DeletionReceipt,
) -> crate::FileRecord {
    let mut announced = file.clone();
    if receipt.reason == super::DeletionReason::Retention {
        announced.reason = Some(super::DeletionReason::Retention.as_str().to_owned());
    }
    announced
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_delete_after_must_be_a_future_time_within_the_limit() {
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(
            parse_delete_after("2026-01-02T00:00:00+01:00", now).unwrap(),
            at("2026-01-01T23:00:00Z")
        );
        for bad in [
            "2025-12-31T23:59:59Z",
            "2026-01-01T00:00:00Z",
            "tomorrow",
            "",
            "2026-01-02",
            "9999-01-01T00:00:00Z",
        ] {
            let e = parse_delete_after(bad, now).unwrap_err();
            assert!(
                matches!(
                    e,
                    CoreError::Invalid {
                        code: "invalid_delete_after",
                        ..
                    }
                ),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn retention_days_are_one_to_the_limit() {
        assert_eq!(retention_days(1, "c", "f").unwrap(), 1);
        assert_eq!(retention_days(36_500, "c", "f").unwrap(), 36_500);
        for bad in [0, 36_501, u64::MAX] {
            assert!(matches!(
                retention_days(bad, "c", "f"),
                Err(CoreError::Invalid { code: "c", .. })
            ));
        }
    }

    #[test]
    fn the_file_wins_over_the_link_and_the_link_over_the_owner() {
        let created = at("2026-01-01T10:00:00Z");
        let own = at("2026-03-01T00:00:00Z");
        assert_eq!(
            delete_after_for(Some(own), Some(5), Some(9), created),
            Some(own)
        );
        assert_eq!(
            delete_after_for(None, Some(5), Some(9), created),
            Some(at("2026-01-06T10:00:00Z"))
        );
        assert_eq!(
            delete_after_for(None, None, Some(9), created),
            Some(at("2026-01-10T10:00:00Z"))
        );
        assert_eq!(delete_after_for(None, None, None, created), None);
    }

    #[test]
    fn only_a_file_trashed_at_or_after_its_time_went_by_retention() {
        let l = |d: Option<&str>, t: Option<&str>| crate::files::Lifecycle {
            delete_after: d.map(at),
            trashed_at: t.map(at),
            legal_hold: None,
            deleting_at: None,
            deleting_for: None,
        };
        let (d, t) = ("2026-01-10T10:00:00Z", "2026-01-10T10:00:00Z");
        assert!(trashed_by_retention(&l(Some(d), Some(t))));
        assert!(trashed_by_retention(&l(
            Some(d),
            Some("2026-01-11T00:00:00Z")
        )));
        assert!(!trashed_by_retention(&l(
            Some(d),
            Some("2026-01-10T09:59:59Z")
        )));
        assert!(!trashed_by_retention(&l(None, Some(t))));
        assert!(!trashed_by_retention(&l(Some(d), None)));
    }

    #[test]
    fn due_at_its_time_and_not_a_second_earlier() {
        let t = at("2026-01-10T10:00:00Z");
        assert!(!retention_due(t, at("2026-01-10T09:59:59Z")));
        assert!(retention_due(t, t));
        assert!(retention_due(t, at("2026-01-10T10:00:01Z")));
    }
}
