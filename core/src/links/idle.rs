//! How long a drop may hold the owner's quota without sending anything.
//!
//! A drop's reservation is released at most `DROP_IDLE_SECS` after its last activity. Its
//! upload deadline (the record's `upload_expires_at`, which the presigned PUT or part URLs
//! never outlive) is set so that the deadline plus the janitor's grace for drops stays within
//! that window: the grace is `PENDING_GRACE_SECS` but at most a third of the window, so the
//! bytes of a PUT sent at the last moment still have time to be judged. A multipart drop's
//! deadline moves forward with each part-URL request, part listing or completion, by the
//! same window, never past the upload's overall limit (`MULTIPART_UPLOAD_TTL_SECS` from its
//! creation). Files of no link keep the deployment's grace.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::time::after;
use crate::{FileRecord, Settings};

/// The grace the janitor gives a drop past its upload deadline.
pub fn drop_grace(s: &Settings) -> Duration {
    s.pending_grace.min(s.drop_idle / 3)
}

/// The grace the janitor gives `file` past its upload deadline before expiring it.
pub fn grace_of(s: &Settings, file: &FileRecord) -> Duration {
    if file.link.is_some() {
        drop_grace(s)
    } else {
        s.pending_grace
    }
}

/// When the janitor may release `file` if its bytes have not come.
pub fn released_at(s: &Settings, file: &FileRecord) -> DateTime<Utc> {
    after(file.upload_expires_at, grace_of(s, file))
}

/// The latest a drop's deadline may ever be: a single PUT's URL lifetime, or the multipart
/// upload's whole allowance, from its creation.
fn bound(s: &Settings, file: &FileRecord) -> DateTime<Utc> {
    let whole = if file.multipart.is_some() {
        s.multipart_upload_ttl
    } else {
        s.upload_url_ttl
    };
    after(file.created_at, whole)
}

/// A drop's upload deadline after activity at `now`: one idle window (less the grace) ahead,
/// within the upload's bound.
pub fn drop_deadline(s: &Settings, file: &FileRecord, now: DateTime<Utc>) -> DateTime<Utc> {
    let window = s.drop_idle.saturating_sub(drop_grace(s));
    after(now, window).min(bound(s, file))
}

/// How long a URL handed out at `now` for a file due at `deadline` may live: never past the
/// deadline, never longer than the deployment allows, at least one second (a URL of zero
/// seconds is no URL; the janitor's grace still covers that second).
pub fn url_ttl(s: &Settings, deadline: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    let left = (deadline - now).to_std().unwrap_or_default();
    left.min(s.upload_url_ttl).max(Duration::from_secs(1))
}

/// The seconds until the first of `pending` (a link's pending drops) is released, rounded
/// up, at least 1: what a refused drop is told to wait.
pub fn retry_after_secs(s: &Settings, pending: &[FileRecord], now: DateTime<Utc>) -> u64 {
    pending
        .iter()
        .map(|f| released_at(s, f))
        .min()
        .map(|t| {
            let ms = (t - now).num_milliseconds().max(0) as u64;
            ms.div_ceil(1000)
        })
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::LinkOrigin;
    use crate::multipart::MultipartUpload;
    use crate::{FileId, LinkId, OwnerId};
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
    }

    fn file(link: bool) -> FileRecord {
        let mut f = FileRecord::pending(
            FileId::parse("f1").unwrap(),
            OwnerId::parse("o1").unwrap(),
            "a.pdf".into(),
            10,
            "application/pdf".into(),
            t0(),
            Duration::from_secs(900),
        );
        f.link = link.then(|| LinkOrigin {
            link_id: LinkId::parse("l1").unwrap(),
            label: "x".into(),
            allowed_types: crate::allowed::TypePolicy::AllButActiveContent,
            uploader: None,
        });
        f
    }

    #[test]
    fn a_silent_drop_is_released_within_the_idle_window() {
        for (idle, grace) in [(900, 300), (60, 300), (3, 0), (7200, 300), (1, 300)] {
            let s = Settings {
                drop_idle: Duration::from_secs(idle),
                pending_grace: Duration::from_secs(grace),
                ..Settings::default()
            }
            .clamped();
            let mut f = file(true);
            f.upload_expires_at = drop_deadline(&s, &f, t0());
            let released = released_at(&s, &f);
            assert!(
                released <= after(t0(), Duration::from_secs(idle)),
                "idle {idle}, grace {grace}: released at {released}"
            );
            assert!(f.upload_expires_at <= after(t0(), s.upload_url_ttl));
        }
        // Defaults: the URL lives 10 minutes, the janitor's grace 5 more.
        let s = Settings::default();
        let mut f = file(true);
        f.upload_expires_at = drop_deadline(&s, &f, t0());
        assert_eq!(f.upload_expires_at, t0() + chrono::Duration::minutes(10));
        assert_eq!(released_at(&s, &f), t0() + chrono::Duration::minutes(15));
        assert_eq!(
            url_ttl(&s, f.upload_expires_at, t0()),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn files_of_no_link_keep_the_deployments_grace() {
        let s = Settings {
            drop_idle: Duration::from_secs(60),
            ..Settings::default()
        };
        assert_eq!(grace_of(&s, &file(false)), s.pending_grace);
        assert_eq!(grace_of(&s, &file(true)), Duration::from_secs(20));
    }

    #[test]
    fn activity_moves_a_multipart_deadline_within_its_bound() {
        let s = Settings::default();
        let mut f = file(true);
        f.multipart = Some(MultipartUpload {
            upload_id: "u".into(),
            part_size: 5 << 20,
            part_count: 3,
        });
        let later = t0() + chrono::Duration::hours(3);
        assert_eq!(
            drop_deadline(&s, &f, later),
            later + chrono::Duration::minutes(10)
        );
        let end = t0() + chrono::Duration::hours(24);
        assert_eq!(
            drop_deadline(&s, &f, end - chrono::Duration::minutes(1)),
            end,
            "never past the upload's own limit"
        );
        // A single PUT cannot be extended past its one URL's lifetime.
        let single = file(true);
        assert_eq!(
            drop_deadline(&s, &single, later),
            t0() + chrono::Duration::minutes(15)
        );
    }

    #[test]
    fn retry_after_is_the_wait_for_the_first_release() {
        let s = Settings::default();
        let mut a = file(true);
        a.upload_expires_at = drop_deadline(&s, &a, t0());
        let mut b = file(true);
        b.upload_expires_at = drop_deadline(&s, &b, t0() + chrono::Duration::minutes(5));
        let now = t0() + chrono::Duration::seconds(100) + chrono::Duration::milliseconds(300);
        assert_eq!(retry_after_secs(&s, &[b.clone(), a.clone()], now), 800);
        assert_eq!(retry_after_secs(&s, &[], now), 1);
        let late = t0() + chrono::Duration::hours(1);
        assert_eq!(retry_after_secs(&s, &[a], late), 1, "overdue: soon");
    }
}
