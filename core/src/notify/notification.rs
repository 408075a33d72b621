//! The notification message, version 1 (see DESIGN.md), published to the operators' topic.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::FileRecord;
use crate::time::rfc3339;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    #[serde(rename = "upload.accepted")]
    UploadAccepted,
    #[serde(rename = "upload.rejected")]
    UploadRejected,
    #[serde(rename = "upload.expired")]
    UploadExpired,
    /// The scanner could not judge the bytes and the policy holds them for an operator.
    #[serde(rename = "upload.held")]
    UploadHeld,
    #[serde(rename = "file.deleted")]
    FileDeleted,
    /// A share link's download was counted.
    #[serde(rename = "file.downloaded")]
    FileDownloaded,
    /// A share was locked after too many wrong passwords.
    #[serde(rename = "share.locked")]
    ShareLocked,
    // A link's and a share's own life: the same names as their events.
    #[serde(rename = "link.created")]
    LinkCreated,
    #[serde(rename = "link.used_up")]
    LinkUsedUp,
    #[serde(rename = "link.expired")]
    LinkExpired,
    #[serde(rename = "link.revoked")]
    LinkRevoked,
    #[serde(rename = "share.created")]
    ShareCreated,
    #[serde(rename = "share.exhausted")]
    ShareExhausted,
    #[serde(rename = "share.revoked")]
    ShareRevoked,
    /// A share's time ran out (announced by the janitor, once).
    #[serde(rename = "share.expired")]
    ShareExpired,
    // Reminders (`crate::reminders`): one per item of an owner's reminder entry.
    #[serde(rename = "link.expiring")]
    LinkExpiring,
    #[serde(rename = "file.expiring")]
    FileExpiring,
}

impl EventType {
    /// The event a settlement to `status` announces: only final verdicts are announced, so a
    /// move to `scanning` tells nobody anything.
    pub fn settled(status: crate::FileStatus) -> Option<Self> {
        use crate::FileStatus::*;
        match status {
            Accepted => Some(Self::UploadAccepted),
            Rejected => Some(Self::UploadRejected),
            Expired => Some(Self::UploadExpired),
            Held => Some(Self::UploadHeld),
            Pending | Scanning => None,
        }
    }

    pub const ALL: [Self; 17] = [
        Self::UploadAccepted,
        Self::UploadRejected,
        Self::UploadExpired,
        Self::UploadHeld,
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

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UploadAccepted => "upload.accepted",
            Self::UploadRejected => "upload.rejected",
            Self::UploadExpired => "upload.expired",
            Self::UploadHeld => "upload.held",
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

    /// A link's or a share's own life (not a file's): its entry is a
    /// [`LifecycleEntry`](super::LifecycleEntry).
    pub fn is_lifecycle(self) -> bool {
        matches!(
            self,
            Self::LinkCreated
                | Self::LinkUsedUp
                | Self::LinkExpired
                | Self::LinkRevoked
                | Self::ShareCreated
                | Self::ShareExhausted
                | Self::ShareRevoked
                | Self::ShareExpired
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotifiedFile {
    pub id: String,
    pub owner: String,
    pub name: String,
    pub size: u64,
    pub declared_type: String,
    pub detected_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// The outbox entry's key: the same on every redelivery, so subscribers can drop
    /// duplicates (delivery is at least once).
    pub id: String,
    pub version: u32,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The file, for a file's notices; absent from a link's or a share's own (whose `owner`
    /// and `detail` say what changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<NotifiedFile>,
    /// A new version's verdict only: its number (`file` is the file it is a version of;
    /// `version` stays the message format's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_version: Option<u32>,
    /// A link's or a share's own notice only: the owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// A link's or a share's own notice only: the event's detail (ids, counts, times).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<crate::events::EventDetail>,
    pub reason: Option<String>,
    pub via_link: Option<String>,
    /// `file.downloaded` and `share.locked` only: the share that was used (or locked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    /// `file.downloaded` and `share.locked` only: what the share has left (`null`: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloads_left: Option<Option<u32>>,
    /// `share.locked` only: until when every password attempt is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
    pub at: String,
}

impl Notification {
    pub fn new(event_type: EventType, file: &FileRecord, at: DateTime<Utc>) -> Self {
        Self {
            id: String::new(),
            version: 1,
            event_type,
            file: Some(NotifiedFile {
                // A version's verdict is told of its file.
                id: file
                    .versioning
                    .of
                    .as_ref()
                    .map_or(&file.id, |o| &o.file)
                    .to_string(),
                owner: file.owner.to_string(),
                name: file.name.clone(),
                size: file.size,
                declared_type: file.content_type.clone(),
                detected_type: file.detected_type.clone(),
            }),
            file_version: file.versioning.of.as_ref().map(|o| o.n),
            owner: None,
            detail: None,
            reason: file.reason.clone(),
            via_link: file.via_link().map(str::to_owned),
            share: None,
            downloads_left: None,
            locked_until: None,
            at: rfc3339(at),
        }
    }

    pub fn with_id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    /// Message attributes for subscription filter policies.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        vec![
            ("event_type", self.event_type.as_str().to_owned()),
            ("owner", self.owner_id().to_owned()),
            (
                "detected_type",
                self.file
                    .as_ref()
                    .and_then(|f| f.detected_type.clone())
                    .unwrap_or_else(|| "unknown".to_owned()),
            ),
        ]
    }

    /// The owner the notice is about.
    pub fn owner_id(&self) -> &str {
        match &self.file {
            Some(f) => &f.owner,
            None => self.owner.as_deref().unwrap_or_default(),
        }
    }

    pub fn body(&self) -> String {
        // Serializing plain owned strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}
