//! What an outbox entry of a counted share download, or of a share's lock, carries for the
//! notices about it.

use chrono::{DateTime, Utc};

use crate::ShareId;

/// What an outbox entry of a counted download carries beyond the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareNotice {
    pub share: ShareId,
    pub label: Option<String>,
    pub downloads_left: Option<u32>,
    /// The owner is mailed about this one (at most one mail per share per [`MAIL_EVERY`](crate::shares::MAIL_EVERY)).
    pub mail: bool,
    /// A lock after too many wrong passwords (`share.locked`): until when it holds.
    pub locked_until: Option<DateTime<Utc>>,
}
