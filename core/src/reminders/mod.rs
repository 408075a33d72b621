//! Expiry reminders: the janitor has an owner mailed once when an upload link that has
//! received no file has less than [`LINK_NOTICE_HOURS`] left (`link.expiring`), and once per
//! file when retention will delete it within `RETENTION_NOTICE_DAYS` (`file.expiring`).
//!
//! One run writes, per owner, ONE outbox entry (a [`Reminder`]) listing that owner's links and
//! files, in the same transaction as a "reminded" marker on each of them. The marker holds the
//! time it reminded of (the link's `expires_at`, the file's `delete_after`): a later run skips
//! what carries a marker equal to its current time (once each, even if a run repeats after a
//! crash: the entry and the markers commit together or not at all), and a file whose
//! `delete_after` changed is reminded again once its new time is within the window. The
//! notifier turns the one entry into one mail (one mail per owner per run) and one
//! `link.expiring` / `file.expiring` notice and event per item.

mod model;
mod service;

pub use model::{ExpiringFile, Marked, REMINDER_EVENT, Reminder};
pub use service::{ReminderRun, Reminders};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use crate::links::Link;
use crate::{CoreError, FileRecord, FileStatus};

/// A link is reminded of when it has less than this left.
pub const LINK_NOTICE_HOURS: i64 = 24;
/// `RETENTION_NOTICE_DAYS` unless set.
pub const DEFAULT_RETENTION_NOTICE_DAYS: u32 = 3;
pub const MAX_RETENTION_NOTICE_DAYS: u32 = 365;
/// One owner's reminder holds at most this many items (a store transaction holds at most 100
/// writes: the entry and one marker per item); the rest wait for the next run.
pub const MAX_ITEMS: usize = 99;

/// The reminders' store: candidates (a superset; [`link_due`] and [`file_due`] decide) and the
/// one atomic write of an owner's reminder with its markers.
#[async_trait]
pub trait ReminderLedger: Send + Sync {
    /// Links not revoked whose `expires_at` is in `(now, until]`, with their marker, at most
    /// `limit`, soonest first.
    async fn links_expiring(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Marked<Link>>, CoreError>;
    /// Live files not held whose `delete_after` is at or before `until`, with their marker, at
    /// most `limit`, soonest first.
    async fn files_expiring(
        &self,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Marked<FileRecord>>, CoreError>;
    /// Writes `r`'s entry and sets every item's marker to the time it reminds of, all or
    /// nothing, on condition that each item is still as read: a link still without a file,
    /// not revoked, with that expiry and no marker of it; a file still live and not held, with
    /// that `delete_after` and no marker of it. `false`: something changed, nothing written.
    async fn write_reminder(&self, r: &Reminder) -> Result<bool, CoreError>;
}

/// Whether `link` is to be reminded of at `now`: it received no file (no use counted, nothing
/// pending), is not revoked, has less than [`LINK_NOTICE_HOURS`] left and was not reminded of
/// this expiry.
pub fn link_due(m: &Marked<Link>, now: DateTime<Utc>) -> bool {
    let l = &m.item;
    !l.revoked
        && l.uploads_used == 0
        && l.pending_bytes == 0
        && l.expires_at > now
        && l.expires_at - now < TimeDelta::hours(LINK_NOTICE_HOURS)
        && m.reminded_for != Some(l.expires_at)
}

/// Whether `file` is to be reminded of at `now`: live (not in the trash), not held (a held
/// file is not deleted), its `delete_after` still ahead and within `notice_days`, and not
/// reminded of this `delete_after`. `notice_days` 0 reminds of nothing.
pub fn file_due(m: &Marked<FileRecord>, now: DateTime<Utc>, notice_days: u32) -> bool {
    let f = &m.item;
    let Some(at) = f.lifecycle.delete_after else {
        return false;
    };
    notice_days > 0
        && f.status == FileStatus::Accepted
        && !f.in_trash()
        && !f.is_deleting()
        && f.lifecycle.legal_hold.is_none()
        && f.versioning.of.is_none()
        && at > now
        && at <= file_window_end(now, notice_days)
        && m.reminded_for != Some(at)
}

/// The latest `delete_after` a run at `now` reminds of.
pub fn file_window_end(now: DateTime<Utc>, notice_days: u32) -> DateTime<Utc> {
    now + TimeDelta::days(i64::from(notice_days))
}

/// The latest link expiry a run at `now` reminds of.
pub fn link_window_end(now: DateTime<Utc>) -> DateTime<Utc> {
    now + TimeDelta::hours(LINK_NOTICE_HOURS)
}

#[cfg(test)]
mod tests;
