//! Erasing an account: every object, record, link, share, token, webhook, reservation,
//! upload-log entry, setting and deletion receipt of one owner, then its directory user; what
//! remains is the audit entry (ids and counts) and, for a while, the marker that keeps the
//! account stopped. One service for both doors, an admin's `DELETE /admin/users/{id}` and the
//! owner's `DELETE /account` (docs/DESIGN.md, "Erasure").

mod service;
mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use service::{Eraser, receipt_mail};
pub use store::ErasureStore;

/// What an erasure removed (counted once, before anything is removed, and kept on the marker,
/// so that an erasure resumed after a crash answers the same counts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Files in any state (live, trashed, pending, rejected ...).
    pub files: u64,
    /// Their bytes: the stored size when known, else the declared one.
    pub bytes: u64,
    pub links: u64,
    pub shares: u64,
}

/// The mark of an erasure under way, on the owner's account record: while it is there every
/// request of the account is refused (as a stopped account's), and it says when the erasure
/// began and what it counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub started_at: DateTime<Utc>,
    /// `None` until counted.
    pub tally: Option<Tally>,
}

/// The kinds of items an erasure removes after the files, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remnant {
    /// Upload links with their drop receipts.
    Links,
    /// Share links with their download log.
    Shares,
    Webhooks,
    /// API tokens.
    ApiKeys,
    /// The upload log.
    UploadLog,
    /// Deletion receipts of files that left before.
    Receipts,
}

impl Remnant {
    pub const ALL: [Remnant; 6] = [
        Remnant::Links,
        Remnant::Shares,
        Remnant::Webhooks,
        Remnant::ApiKeys,
        Remnant::UploadLog,
        Remnant::Receipts,
    ];
}

/// What `DELETE /admin/users/{id}` and `DELETE /account` answer (the owner's answer leaves out
/// the id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasureView {
    pub id: String,
    pub files: u64,
    pub bytes: u64,
    pub links: u64,
    pub shares: u64,
    /// RFC 3339: when the erasure began.
    pub at: String,
}

#[cfg(test)]
mod service_tests;
