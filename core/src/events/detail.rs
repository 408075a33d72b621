//! What an event's `detail` holds: for a file's events the file as the change left it (and,
//! for a share's download or lock, the share); for a link's or a share's own life (created,
//! used up, expired, revoked) the link or the share, in ids, counts and times. Its JSON Schemas
//! are `docs/events/<type>.json`; a test holds them to this.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetailFile {
    pub id: String,
    /// The name the owner or the uploader gave (already held to the name rules).
    pub name: String,
    pub size: u64,
    pub declared_type: String,
    pub detected_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detail {
    pub schema_version: u32,
    /// The event's stable id, here too: EventBridge gives each put its own id, so this is the
    /// one a target drops duplicates by.
    pub id: String,
    /// Also here (not only beside the detail) so that bus rules can match on it.
    pub owner: String,
    pub file: DetailFile,
    /// Why a file was rejected, held or expired; `null` otherwise.
    pub reason: Option<String>,
    /// The upload link the file came through, `null` for the owner's own uploads.
    pub via_link: Option<String>,
    /// A new version's verdict only: its number (`file` is the file it is a version of).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_version: Option<u32>,
    /// `file.downloaded` and `share.locked` only: the share's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share: Option<String>,
    /// `file.downloaded` and `share.locked` only: what the share has left (`null`: unlimited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloads_left: Option<Option<u32>>,
    /// `share.locked` only: until when every password attempt is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
}

/// The `detail` of a `link.*` event: the link's id, the owner's own label for it, its counts
/// and its expiry. Never its token or its URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkDetail {
    pub schema_version: u32,
    pub id: String,
    pub owner: String,
    pub link: String,
    pub label: String,
    pub max_uploads: u32,
    pub uploads_used: u32,
    pub uploads_left: u32,
    pub expires_at: String,
}

/// The `detail` of a share's own events (`share.created`, `share.exhausted`, `share.revoked`):
/// the share's id, its file's id, the owner's label, its counts and its expiry. Never its
/// token, its URL or anything of its password.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareDetail {
    pub schema_version: u32,
    pub id: String,
    pub owner: String,
    pub share: String,
    pub file_id: String,
    pub label: Option<String>,
    pub max_downloads: Option<u32>,
    pub downloads: u32,
    /// `null`: unlimited.
    pub downloads_left: Option<u32>,
    pub password_protected: bool,
    pub expires_at: String,
}

/// The file of a `file.expiring` event: its id, name and size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpiringFileFacts {
    pub id: String,
    pub name: String,
    pub size: u64,
}

/// The `detail` of a `file.expiring` event: the file retention will delete, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpiringFileDetail {
    pub schema_version: u32,
    pub id: String,
    pub owner: String,
    pub file: ExpiringFileFacts,
    pub delete_after: String,
}

/// An event's `detail`, by what the event is about (serialized as that detail alone).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EventDetail {
    File(Detail),
    Link(LinkDetail),
    Share(ShareDetail),
    ExpiringFile(ExpiringFileDetail),
}

impl EventDetail {
    /// The event's stable id, whatever the detail.
    pub fn id(&self) -> &str {
        match self {
            Self::File(d) => &d.id,
            Self::Link(d) => &d.id,
            Self::Share(d) => &d.id,
            Self::ExpiringFile(d) => &d.id,
        }
    }

    /// The file's detail, for a file's events (and a share's download or lock).
    pub fn file(&self) -> Option<&Detail> {
        match self {
            Self::File(d) => Some(d),
            _ => None,
        }
    }
}

impl From<Detail> for EventDetail {
    fn from(d: Detail) -> Self {
        Self::File(d)
    }
}
