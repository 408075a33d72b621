//! An outbox entry as the integrators' typed event (`crate::events`): the same id as the SNS
//! notice, the file as the change left it, a share's figures for a share's events, and nothing
//! the notice holds that grants anything or names a person (the uploader's contact and note
//! stay out).

use super::{EventType, OutboxEntry};
use crate::events::{Detail, DetailFile, Event, EventKind, SCHEMA_VERSION};

impl EventType {
    /// The event type of a notice. The SNS notice keeps its version-1 names (`upload.*`) for
    /// existing subscribers; events name the file, as every other type does.
    pub fn kind(self) -> EventKind {
        match self {
            Self::UploadAccepted => EventKind::FileAccepted,
            Self::UploadRejected => EventKind::FileRejected,
            Self::UploadHeld => EventKind::FileHeld,
            Self::UploadExpired => EventKind::FileExpired,
            Self::FileDeleted => EventKind::FileDeleted,
            Self::FileDownloaded => EventKind::FileDownloaded,
            Self::ShareLocked => EventKind::ShareLocked,
            Self::LinkCreated => EventKind::LinkCreated,
            Self::LinkUsedUp => EventKind::LinkUsedUp,
            Self::LinkExpired => EventKind::LinkExpired,
            Self::LinkRevoked => EventKind::LinkRevoked,
            Self::ShareCreated => EventKind::ShareCreated,
            Self::ShareExhausted => EventKind::ShareExhausted,
            Self::ShareRevoked => EventKind::ShareRevoked,
            Self::LinkExpiring => EventKind::LinkExpiring,
            Self::FileExpiring => EventKind::FileExpiring,
            Self::ShareExpired => EventKind::ShareExpired,
        }
    }
}

impl OutboxEntry {
    pub fn event(&self) -> Event {
        let n = self.notification();
        let f = &self.file;
        let kind = self.event.kind();
        let share = self.share.as_ref();
        let with_share = matches!(kind, EventKind::FileDownloaded | EventKind::ShareLocked);
        Event {
            id: self.id.clone(),
            kind,
            time: n.at.clone(),
            owner: f.owner.to_string(),
            detail: Detail {
                schema_version: SCHEMA_VERSION,
                id: self.id.clone(),
                owner: f.owner.to_string(),
                file: DetailFile {
                    // A version's verdict is told of its file, as the SNS notice is.
                    id: n
                        .file
                        .as_ref()
                        .map_or_else(|| f.id.to_string(), |x| x.id.clone()),
                    name: f.name.clone(),
                    size: f.size,
                    declared_type: f.content_type.clone(),
                    detected_type: f.detected_type.clone(),
                },
                reason: n.reason,
                via_link: n.via_link,
                file_version: n.file_version,
                share: share.filter(|_| with_share).map(|s| s.share.to_string()),
                downloads_left: share.filter(|_| with_share).map(|s| s.downloads_left),
                locked_until: share
                    .filter(|_| kind == EventKind::ShareLocked)
                    .and_then(|s| s.locked_until)
                    .map(crate::time::rfc3339),
            }
            .into(),
        }
    }
}

#[cfg(test)]
#[path = "typed_tests.rs"]
mod tests;
