//! The lockout of a share's password: wrong passwords are counted per share, from every
//! address together (the per-address limits cannot stop a guesser with many addresses). Once
//! `SHARE_MAX_FAILURES` have been given, every password attempt on the share, right or wrong,
//! is refused with `429 share_locked` for `SHARE_LOCKOUT_SECS`, and the owner is mailed once
//! (the lock's outbox entry). The count and the lock live in the share record, so they hold
//! across every function instance; the lock resets the count, so counting starts again when
//! it ends.

use chrono::{DateTime, Utc};

use super::Share;
use crate::CoreError;

/// Where a share's password stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lockout {
    /// Attempts are heard.
    Open,
    /// Every attempt is refused until then.
    Locked { until: DateTime<Utc> },
    /// Enough failures to lock, but no lock written yet (a concurrent attempt is writing it, or
    /// writing it failed): refused, and the lock is to be written (fails closed).
    Due,
}

/// The state of `share`'s password at `now`, given the deployment's `max_failures`.
pub fn lockout_check(share: &Share, now: DateTime<Utc>, max_failures: u32) -> Lockout {
    match share.locked_until {
        Some(until) if now < until => Lockout::Locked { until },
        _ if share.failures >= max_failures.max(1) => Lockout::Due,
        _ => Lockout::Open,
    }
}

/// `429 share_locked`, with the seconds left until `until` (rounded up: a client that waits
/// exactly that long finds the lock over).
pub fn locked(now: DateTime<Utc>, until: DateTime<Utc>) -> CoreError {
    let ms = (until - now).num_milliseconds();
    CoreError::ShareLocked {
        retry_after_secs: ((ms + 999) / 1000).max(1) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileId, OwnerId, ShareId};
    use chrono::{TimeDelta, TimeZone};

    fn share(failures: u32, locked_until: Option<DateTime<Utc>>) -> Share {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        Share {
            id: ShareId::parse("s1").unwrap(),
            owner: OwnerId::parse("o1").unwrap(),
            file_id: FileId::parse("f1").unwrap(),
            label: None,
            token_hash: "h".into(),
            token_sealed: None,
            created_at: t,
            expires_at: t + TimeDelta::days(1),
            max_downloads: None,
            downloads: 0,
            password_hash: Some("phc".into()),
            notify_owner: false,
            owner_email: None,
            revoked: false,
            mailed_at: None,
            failures,
            locked_until,
            version: None,
        }
    }

    #[test]
    fn a_share_locks_at_the_limit_and_opens_when_the_lock_ends() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap();
        assert_eq!(lockout_check(&share(0, None), now, 50), Lockout::Open);
        assert_eq!(lockout_check(&share(49, None), now, 50), Lockout::Open);
        assert_eq!(lockout_check(&share(50, None), now, 50), Lockout::Due);
        let until = now + TimeDelta::seconds(90);
        assert_eq!(
            lockout_check(&share(0, Some(until)), now, 50),
            Lockout::Locked { until }
        );
        // Ended: counting started again from the reset count.
        assert_eq!(
            lockout_check(&share(0, Some(until)), until, 50),
            Lockout::Open
        );
        assert_eq!(
            lockout_check(&share(50, Some(until)), until, 50),
            Lockout::Due
        );
        // A limit of 0 is read as 1: a share is never locked before any failure.
        assert_eq!(lockout_check(&share(0, None), now, 0), Lockout::Open);
    }

    #[test]
    fn retry_after_is_the_lockouts_seconds_left_rounded_up() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap();
        let e = locked(now, now + TimeDelta::milliseconds(3_599_001));
        assert_eq!(
            e,
            CoreError::ShareLocked {
                retry_after_secs: 3600
            }
        );
        assert_eq!(e.code(), "share_locked");
        assert_eq!(e.kind(), crate::ErrorKind::RateLimited);
        assert_eq!(
            locked(now, now),
            CoreError::ShareLocked {
                retry_after_secs: 1
            }
        );
    }
}
