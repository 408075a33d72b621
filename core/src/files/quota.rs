//! Quota arithmetic. Stores keep `committed = used + reserved` beside the two parts, because a
//! conditional write can compare an attribute with a value but cannot add attributes: a
//! reservation of `size` is allowed exactly when `committed <= limit - size`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct QuotaUsage {
    pub used_bytes: u64,
    pub reserved_bytes: u64,
    /// The effective limit: the owner's own when an admin set one, else the deployment's.
    pub limit_bytes: u64,
    /// Files holding quota (pending or accepted).
    pub files: u64,
    /// Whether `limit_bytes` is the owner's own (an admin set it) rather than the default.
    #[serde(skip)]
    pub custom: bool,
}

/// The largest `committed` value that still leaves room for `size`; `None` if `size` alone
/// exceeds the limit.
pub fn headroom(limit: u64, size: u64) -> Option<u64> {
    limit.checked_sub(size)
}

/// Whether reserving `size` on top of `committed` stays within `limit`.
pub fn fits(committed: u64, size: u64, limit: u64) -> bool {
    headroom(limit, size).is_some_and(|h| committed <= h)
}

/// How a quota changes when a file moves between states. Deltas to `(used, reserved, files)`;
/// `committed` moves by `used + reserved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaDelta {
    pub used: i64,
    pub reserved: i64,
    pub files: i64,
}

impl QuotaDelta {
    pub fn committed(&self) -> i64 {
        self.used + self.reserved
    }

    pub fn is_zero(&self) -> bool {
        self.used == 0 && self.reserved == 0 && self.files == 0
    }

    /// A new pending file.
    pub fn reserve(size: u64) -> Self {
        Self {
            used: 0,
            reserved: size as i64,
            files: 1,
        }
    }

    /// pending -> accepted: the reservation becomes usage.
    pub fn accept(size: u64) -> Self {
        Self {
            used: size as i64,
            reserved: -(size as i64),
            files: 0,
        }
    }

    /// pending -> rejected | expired: the reservation is released.
    pub fn release(size: u64) -> Self {
        Self {
            used: 0,
            reserved: -(size as i64),
            files: -1,
        }
    }

    /// A settlement from `from` to `to` (see [`crate::FileStatus::can_become`]): leaving
    /// `pending` for a state that keeps the bytes turns the reservation into usage; leaving it
    /// otherwise releases it; refusing bytes that were kept releases their usage; moves between
    /// states that keep the bytes change nothing.
    pub fn transition(from: crate::FileStatus, to: crate::FileStatus, size: u64) -> Self {
        use crate::FileStatus::*;
        match (from, to) {
            (Pending, _) if to.holds_usage() => Self::accept(size),
            (Pending, _) => Self::release(size),
            (_, Rejected | Expired) => Self::remove(from, size),
            _ => Self::zero(),
        }
    }

    fn zero() -> Self {
        Self {
            used: 0,
            reserved: 0,
            files: 0,
        }
    }

    /// Removal of a record in `status`.
    pub fn remove(status: crate::FileStatus, size: u64) -> Self {
        use crate::FileStatus::*;
        match status {
            Pending => Self::release(size),
            Scanning | Held | Accepted => Self {
                used: -(size as i64),
                reserved: 0,
                files: -1,
            },
            Rejected | Expired => Self::zero(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileStatus;

    #[test]
    fn fits_at_the_edge() {
        assert!(fits(0, 100, 100));
        assert!(fits(60, 40, 100));
        assert!(!fits(61, 40, 100));
        assert!(!fits(0, 101, 100));
        assert!(fits(0, 0, 0));
        assert!(!fits(u64::MAX, 1, u64::MAX));
    }

    #[test]
    fn deltas_keep_committed_consistent() {
        assert_eq!(QuotaDelta::reserve(7).committed(), 7);
        assert_eq!(QuotaDelta::accept(7).committed(), 0);
        assert_eq!(QuotaDelta::release(7).committed(), -7);
        assert_eq!(QuotaDelta::remove(FileStatus::Accepted, 7).committed(), -7);
        assert_eq!(QuotaDelta::remove(FileStatus::Pending, 7).committed(), -7);
        assert!(QuotaDelta::remove(FileStatus::Rejected, 7).is_zero());
        assert!(QuotaDelta::remove(FileStatus::Expired, 7).is_zero());
        use FileStatus::*;
        assert_eq!(
            QuotaDelta::transition(Pending, Accepted, 7),
            QuotaDelta::accept(7)
        );
        assert_eq!(
            QuotaDelta::transition(Pending, Expired, 7),
            QuotaDelta::release(7)
        );
        let changed = QuotaDelta::transition(Accepted, Rejected, 7);
        assert_eq!((changed.used, changed.reserved, changed.files), (-7, 0, -1));
    }

    #[test]
    fn every_allowed_move_keeps_the_books() {
        use FileStatus::*;
        let all = [Pending, Scanning, Held, Accepted, Rejected, Expired];
        let released = QuotaDelta {
            used: -7,
            reserved: 0,
            files: -1,
        };
        for from in all {
            for to in all.into_iter().filter(|t| from.can_become(*t)) {
                let d = QuotaDelta::transition(from, to, 7);
                let want = match (from, to) {
                    (Pending, Scanning | Accepted) => QuotaDelta::accept(7),
                    (Pending, Rejected | Expired) => QuotaDelta::release(7),
                    (Scanning | Held | Accepted, Rejected) => released,
                    (Scanning | Held | Accepted, Scanning | Held | Accepted) => QuotaDelta::zero(),
                    _ => panic!("unexpected move {from:?} -> {to:?}"),
                };
                assert_eq!(d, want, "{from:?} -> {to:?}");
                // What a record holds before, plus the move, is what it holds after.
                let before = QuotaDelta::remove(from, 7);
                let after = QuotaDelta::remove(to, 7);
                assert_eq!(
                    (d.used, d.reserved, d.files),
                    (
                        before.used - after.used,
                        before.reserved - after.reserved,
                        before.files - after.files
                    ),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }
}
