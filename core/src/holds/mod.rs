//! Legal holds: an admin keeps a file (with every version of it) from leaving the system, by
//! anyone's hand or by any schedule, until the hold is lifted. The hold lives on the file's
//! record (its [`crate::files::Lifecycle`]); every deletion path asks [`ensure_deletable`] first
//! and the stores refuse, in the same conditional write, to trash, purge or remove a held
//! record, so a hold placed a moment before a deletion still wins. Here the model and its rules,
//! the admin's service and its port.

mod rules;
mod service;
mod store;

use chrono::{DateTime, Utc};

pub use rules::{MAX_REASON_CHARS, can_hold, clean_reason, ensure_deletable, legal_hold};
pub use service::Holds;
pub use store::HoldStore;

/// A hold on a file: why (an admin's free text, shown to admins only, never in the audit trail
/// or a log line), when and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHold {
    pub reason: String,
    pub placed_at: DateTime<Utc>,
    /// The admin who placed it.
    pub placed_by: String,
}
