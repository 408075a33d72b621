//! Events for integrators: every announced change (an outbox entry) as one typed event with a
//! stable id, its time, its owner and a `detail` whose JSON Schema is published in
//! `docs/events/` (one file per type). The notifier puts them on the operators' event bus
//! ([`EventBus`], EventBridge in production); webhooks carry the same `detail` as their `data`.
//! An event never carries a secret: no token, no URL that grants access, no password, no
//! uploader's contact or note, no threat names.

mod bus;
mod detail;

pub use bus::{EventBus, PUT_ATTEMPTS, PUT_BATCH, put_batched};
pub use detail::{
    Detail, DetailFile, EventDetail, ExpiringFileDetail, ExpiringFileFacts, LinkDetail, ShareDetail,
};

use serde::{Deserialize, Serialize};

/// The `source` of every event on the bus.
pub const SOURCE: &str = "dropgate";

/// The version of every `detail` schema in `docs/events/`: raised when a field changes meaning
/// or goes away (adding an optional field does not).
pub const SCHEMA_VERSION: u32 = 1;

/// One type per announced change; the same short names in the API, the CLI, webhook bodies and
/// EventBridge's `detail-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "file.accepted")]
    FileAccepted,
    #[serde(rename = "file.rejected")]
    FileRejected,
    /// The scanner could not judge the bytes and the policy holds them for an operator.
    #[serde(rename = "file.held")]
    FileHeld,
    /// The bytes never came.
    #[serde(rename = "file.expired")]
    FileExpired,
    #[serde(rename = "file.deleted")]
    FileDeleted,
    /// A share's download was counted.
    #[serde(rename = "file.downloaded")]
    FileDownloaded,
    /// A share was locked after too many wrong passwords.
    #[serde(rename = "share.locked")]
    ShareLocked,
    /// An upload link was made.
    #[serde(rename = "link.created")]
    LinkCreated,
    /// A drop used a link's last upload.
    #[serde(rename = "link.used_up")]
    LinkUsedUp,
    /// A link's time ran out (announced by the janitor, once).
    #[serde(rename = "link.expired")]
    LinkExpired,
    #[serde(rename = "link.revoked")]
    LinkRevoked,
    /// A share of a file was made.
    #[serde(rename = "share.created")]
    ShareCreated,
    /// A download used a share's last one.
    #[serde(rename = "share.exhausted")]
    ShareExhausted,
    #[serde(rename = "share.revoked")]
    ShareRevoked,
    /// An upload link that received no file has less than a day left (the janitor, once).
    #[serde(rename = "link.expiring")]
    LinkExpiring,
    /// Retention will delete a file within `RETENTION_NOTICE_DAYS` (the janitor, once).
    #[serde(rename = "file.expiring")]
    FileExpiring,
    /// A share's time ran out (announced by the janitor, once).
    #[serde(rename = "share.expired")]
    ShareExpired,
}

impl EventKind {
    pub const ALL: [Self; 17] = [
        Self::FileAccepted,
        Self::FileRejected,
        Self::FileHeld,
        Self::FileExpired,
        Self::FileDeleted,
        Self::FileDownloaded,
        Self::ShareLocked,
        Self::LinkCreated,
        Self::LinkUsedUp,
        Self::LinkExpired,
        Self::LinkRevoked,
        Self::ShareCreated,
        Self::ShareExhausted,
        Self::ShareRevoked,
        Self::LinkExpiring,
        Self::FileExpiring,
        Self::ShareExpired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FileAccepted => "file.accepted",
            Self::FileRejected => "file.rejected",
            Self::FileHeld => "file.held",
            Self::FileExpired => "file.expired",
            Self::FileDeleted => "file.deleted",
            Self::FileDownloaded => "file.downloaded",
            Self::ShareLocked => "share.locked",
            Self::LinkCreated => "link.created",
            Self::LinkUsedUp => "link.used_up",
            Self::LinkExpired => "link.expired",
            Self::LinkRevoked => "link.revoked",
            Self::ShareCreated => "share.created",
            Self::ShareExhausted => "share.exhausted",
            Self::ShareRevoked => "share.revoked",
            Self::LinkExpiring => "link.expiring",
            Self::FileExpiring => "file.expiring",
            Self::ShareExpired => "share.expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One event, as put on the bus and sent to webhooks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// The outbox entry's key, equal to the SNS notice's `id`: the same on every redelivery.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// When the change happened (RFC 3339, UTC).
    pub time: String,
    pub owner: String,
    pub detail: EventDetail,
}

impl Event {
    /// The `detail` as JSON (EventBridge's `Detail`, a webhook's `data`).
    pub fn detail_json(&self) -> String {
        // Plain owned strings and numbers: serializing cannot fail.
        serde_json::to_string(&self.detail).unwrap_or_default()
    }
}
