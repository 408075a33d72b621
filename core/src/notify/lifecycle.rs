//! The outbox entries of a link's and a share's own life: created, used up (a link) or
//! exhausted (a share), expired, revoked. Written in the same transaction as the change
//! (expiry: by the janitor, with its marker, see [`crate::expiry`]), delivered as every entry
//! is: the SNS notice, the event on the bus, the subscribed webhooks. They carry ids, the
//! owner's own label, counts and times: never a token, a URL or anything of a password.

use chrono::{DateTime, Utc};

use super::{EventType, Notification};
use crate::events::{EventDetail, LinkDetail, SCHEMA_VERSION, ShareDetail};
use crate::links::Link;
use crate::shares::Share;
use crate::time::rfc3339;
use crate::{FileId, LinkId, OwnerId, ShareId};

/// A link as its entry keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkFacts {
    pub link: LinkId,
    pub label: String,
    pub max_uploads: u32,
    pub uploads_used: u32,
    pub expires_at: DateTime<Utc>,
}

/// A share as its entry keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareFacts {
    pub share: ShareId,
    pub file: FileId,
    pub label: Option<String>,
    pub max_downloads: Option<u32>,
    pub downloads: u32,
    pub password_protected: bool,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Link(LinkFacts),
    Share(ShareFacts),
}

/// One entry of a link's or a share's life.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleEntry {
    /// The entry's key in the log, the event's and the SNS notice's `id`.
    pub id: String,
    pub event: EventType,
    pub owner: OwnerId,
    pub at: DateTime<Utc>,
    pub subject: Subject,
}

impl LifecycleEntry {
    /// `link`'s entry for `event` at `at`, with the link's figures as given (the caller passes
    /// the link as the change leaves it).
    pub fn of_link(event: EventType, link: &Link, at: DateTime<Utc>) -> Self {
        Self {
            id: key(at, link.id.as_str(), event),
            event,
            owner: link.owner.clone(),
            at,
            subject: Subject::Link(LinkFacts {
                link: link.id.clone(),
                label: link.label.clone(),
                max_uploads: link.max_uploads,
                uploads_used: link.uploads_used,
                expires_at: link.expires_at,
            }),
        }
    }

    /// `share`'s entry for `event` at `at` (the share as the change leaves it).
    pub fn of_share(event: EventType, share: &Share, at: DateTime<Utc>) -> Self {
        Self {
            id: key(at, share.id.as_str(), event),
            event,
            owner: share.owner.clone(),
            at,
            subject: Subject::Share(ShareFacts {
                share: share.id.clone(),
                file: share.file_id.clone(),
                label: share.label.clone(),
                max_downloads: share.max_downloads,
                downloads: share.downloads,
                password_protected: share.password_hash.is_some(),
                expires_at: share.expires_at,
            }),
        }
    }

    /// The link's use that this drop makes, announced when it is the last: the entry of
    /// `link.used_up` with the link as the drop leaves it.
    pub fn used_up_by_next(link: &Link, at: DateTime<Utc>) -> Option<Self> {
        (link.max_uploads > 0 && link.uploads_used + 1 == link.max_uploads).then(|| {
            let mut after = link.clone();
            after.uploads_used += 1;
            Self::of_link(EventType::LinkUsedUp, &after, at)
        })
    }

    /// The download that this count makes, announced when it is the share's last: the entry
    /// of `share.exhausted` with the share as the count leaves it.
    pub fn exhausted_by_next(share: &Share, at: DateTime<Utc>) -> Option<Self> {
        share
            .max_downloads
            .filter(|&m| share.downloads + 1 == m)
            .map(|_| {
                let mut after = share.clone();
                after.downloads += 1;
                Self::of_share(EventType::ShareExhausted, &after, at)
            })
    }

    pub fn detail(&self) -> EventDetail {
        match &self.subject {
            Subject::Link(l) => EventDetail::Link(LinkDetail {
                schema_version: SCHEMA_VERSION,
                id: self.id.clone(),
                owner: self.owner.to_string(),
                link: l.link.to_string(),
                label: l.label.clone(),
                max_uploads: l.max_uploads,
                uploads_used: l.uploads_used,
                uploads_left: l.max_uploads.saturating_sub(l.uploads_used),
                expires_at: rfc3339(l.expires_at),
            }),
            Subject::Share(s) => EventDetail::Share(ShareDetail {
                schema_version: SCHEMA_VERSION,
                id: self.id.clone(),
                owner: self.owner.to_string(),
                share: s.share.to_string(),
                file_id: s.file.to_string(),
                label: s.label.clone(),
                max_downloads: s.max_downloads,
                downloads: s.downloads,
                downloads_left: s.max_downloads.map(|m| m.saturating_sub(s.downloads)),
                password_protected: s.password_protected,
                expires_at: rfc3339(s.expires_at),
            }),
        }
    }

    /// The operators' SNS notice: no file, the owner and the detail instead.
    pub fn notification(&self) -> Notification {
        Notification {
            id: self.id.clone(),
            version: 1,
            event_type: self.event,
            file: None,
            file_version: None,
            owner: Some(self.owner.to_string()),
            detail: Some(self.detail()),
            reason: None,
            via_link: None,
            share: None,
            downloads_left: None,
            locked_until: None,
            at: rfc3339(self.at),
        }
    }

    pub fn event(&self) -> crate::events::Event {
        crate::events::Event {
            id: self.id.clone(),
            kind: self.event.kind(),
            time: rfc3339(self.at),
            owner: self.owner.to_string(),
            detail: self.detail(),
        }
    }
}

/// Time first (an owner's entries list in order), then the link or share and the event (each
/// has at most one of each, except revocation's, which is written once: the first).
fn key(at: DateTime<Utc>, thing: &str, event: EventType) -> String {
    format!("{}#{}#{}", rfc3339(at), thing, event.as_str())
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
