//! Expiry announcements: the janitor writes `link.expired` once for each upload link whose
//! time ran out and `share.expired` once for each share whose time ran out, each in ONE store
//! transaction with a marker on the link or share ("announced"), so a run repeated after a
//! crash writes nothing twice. What was revoked, or used up (a link's last upload taken) or
//! exhausted (a share's last download counted), was announced then: its expiry is not, the
//! marker alone is written.
//!
//! The stores keep every link and share that is still to be looked at in a sparse index by
//! expiry (sharded as the retention index): the janitor reads only what is due, never the
//! whole table; the marker takes the item out of it.

mod service;

pub use service::{Expiries, ExpiryRun};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::CoreError;
use crate::links::Link;
use crate::notify::LifecycleEntry;
use crate::shares::Share;

/// The links' side: what is due and the one atomic close of each.
#[async_trait]
pub trait LinkExpiries: Send + Sync {
    /// Links not yet closed (announced or passed over) whose `expires_at` is at or before
    /// `now`, at most `limit`, soonest first. A superset: [`link_outcome`] decides.
    async fn links_expired(&self, now: DateTime<Utc>, limit: usize)
    -> Result<Vec<Link>, CoreError>;
    /// Marks `link` closed and, with `entry`, writes its `link.expired` entry, all or nothing,
    /// on condition that it is still as read: not closed, the same expiry, not revoked, the
    /// same uses counted. `false`: it changed (or was closed), nothing written.
    async fn close_link(
        &self,
        link: &Link,
        entry: Option<&LifecycleEntry>,
    ) -> Result<bool, CoreError>;
    /// Gives links stored before the index existed their place in it, once per store (the
    /// store records that it is done); how many it gave. A store with nothing older: 0.
    async fn backfill_links(&self, _now: DateTime<Utc>) -> Result<usize, CoreError> {
        Ok(0)
    }
}

/// The shares' side, as [`LinkExpiries`].
#[async_trait]
pub trait ShareExpiries: Send + Sync {
    async fn shares_expired(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Share>, CoreError>;
    /// As [`LinkExpiries::close_link`]: the same expiry, not revoked, the same downloads.
    async fn close_share(
        &self,
        share: &Share,
        entry: Option<&LifecycleEntry>,
    ) -> Result<bool, CoreError>;
    async fn backfill_shares(&self, _now: DateTime<Utc>) -> Result<usize, CoreError> {
        Ok(0)
    }
}

/// What the janitor does with a candidate at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Its time has not come (an extension moved it, or the index lagged): left alone.
    NotDue,
    /// Revoked, used up or exhausted: announced then; closed without an entry.
    PassOver,
    /// Written: its `*.expired` entry with the marker.
    Announce,
}

/// A link: expired at `expires_at` (not a moment before), announced unless revoked or its
/// last upload was taken (`link.used_up` told of it).
pub fn link_outcome(l: &Link, now: DateTime<Utc>) -> Outcome {
    if l.expires_at > now {
        Outcome::NotDue
    } else if l.revoked || (l.max_uploads > 0 && l.uploads_left() == 0) {
        Outcome::PassOver
    } else {
        Outcome::Announce
    }
}

/// A share: as a link, unless revoked or exhausted (`share.exhausted` told of it).
pub fn share_outcome(s: &Share, now: DateTime<Utc>) -> Outcome {
    if s.expires_at > now {
        Outcome::NotDue
    } else if s.revoked || s.downloads_left() == Some(0) {
        Outcome::PassOver
    } else {
        Outcome::Announce
    }
}

#[cfg(test)]
mod tests;
