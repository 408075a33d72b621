//! What an outbox entry of a counted share download carries for the notices about it.

use crate::ShareId;

/// What an outbox entry of a counted download carries beyond the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareNotice {
    pub share: ShareId,
    pub label: Option<String>,
    pub downloads_left: Option<u32>,
    /// The owner is mailed about this one (at most one mail per share per [`MAIL_EVERY`](crate::shares::MAIL_EVERY)).
    pub mail: bool,
}
