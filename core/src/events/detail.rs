//! What an event's `detail` holds: the file as the change left it, and, for a share's events,
//! the share. Its JSON Schemas are `docs/events/<type>.json`; a test holds them to this.

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
