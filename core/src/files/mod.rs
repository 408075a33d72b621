//! Files: a file's record and the state machine of its life:
//! `pending -> accepted | rejected | expired`; deletion removes the record from any state.
//! Here the model; in the children the upload rules, the account users' service, the quota
//! arithmetic and the ledger ports (files and quotas change together).

mod ledger;
mod quota;
mod rules;
mod service;

pub use ledger::{
    FileLookup, JanitorLedger, Ledger, OwnerLedger, Page, PipelineLedger, Reservation, Settlement,
    Settling,
};
pub use quota::{QuotaDelta, QuotaUsage, fits, headroom};
pub use rules::{NewUpload, validate_upload};
pub use service::{
    CreatedUpload, FileService, Listing, decode_cursor, encode_cursor, presign_download,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{KeyScheme, UploadKey};
use crate::time::rfc3339;
use crate::{FileId, LinkId, OwnerId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Pending,
    Accepted,
    Rejected,
    Expired,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            "expired" => Self::Expired,
            _ => return None,
        })
    }

    /// A pending file moves to a terminal state, once: this is what makes a replayed event a
    /// no-op. The one move out of a terminal state: an accepted file whose bytes were replaced
    /// behind the pipeline's back and no longer pass becomes rejected (`content_changed`).
    pub fn can_become(self, next: FileStatus) -> bool {
        match self {
            Self::Pending => next != Self::Pending,
            Self::Accepted => next == Self::Rejected,
            Self::Rejected | Self::Expired => false,
        }
    }

    /// Whether the file's bytes count against the quota as reserved (pending) or used (accepted).
    pub fn holds_quota(self) -> bool {
        matches!(self, Self::Pending | Self::Accepted)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    pub id: FileId,
    pub owner: OwnerId,
    pub name: String,
    /// Declared size: what was reserved and what the presigned PUT signs.
    pub size: u64,
    /// Declared (normalized) content type.
    pub content_type: String,
    pub status: FileStatus,
    pub detected_type: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the presigned upload URL stops working.
    pub upload_expires_at: DateTime<Utc>,
    /// The upload link this file came through, if any.
    pub link: Option<LinkOrigin>,
    /// Where the owner is told about this file (from the owner's verified token).
    pub owner_email: Option<String>,
    /// The object the verdict judged (size and ETag), once settled: a later event for the same
    /// object with another ETag or size means the bytes were replaced.
    pub stored: Option<StoredObject>,
    /// The multipart upload of a large file, while and after it is pending.
    pub multipart: Option<crate::multipart::MultipartUpload>,
    /// How its object is keyed: [`KeyScheme::File`] for every new file (nothing of the owner
    /// in a URL a stranger gets), [`KeyScheme::Owner`] for files created before.
    pub key_scheme: KeyScheme,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    /// Without quotes; `None` when the store did not say.
    pub etag: Option<String>,
}

/// Who dropped a file through an upload link, as they said (nothing here is verified).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Uploader {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// What a file that came through an upload link carries of it: enough for the pipeline to
/// apply the link's rules and for the owner's mail, without reading the link again.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOrigin {
    pub link_id: LinkId,
    pub label: String,
    /// The link's allowed types: the pipeline judges the bytes against these.
    pub allowed_types: Vec<String>,
    pub uploader: Option<Uploader>,
}

/// What clients see of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileView {
    pub id: String,
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub status: FileStatus,
    pub detected_type: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    /// The upload link the file came through, if any.
    pub via_link: Option<String>,
    pub uploader: Option<Uploader>,
}

impl FileRecord {
    /// A new pending record: its upload URL lives `ttl` from `now`.
    pub fn pending(
        id: FileId,
        owner: OwnerId,
        name: String,
        size: u64,
        content_type: String,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> Self {
        Self {
            id,
            owner,
            name,
            size,
            content_type,
            status: FileStatus::Pending,
            detected_type: None,
            reason: None,
            created_at: now,
            upload_expires_at: crate::time::after(now, ttl),
            link: None,
            owner_email: None,
            stored: None,
            multipart: None,
            key_scheme: KeyScheme::File,
        }
    }

    pub fn view(&self) -> FileView {
        FileView {
            id: self.id.to_string(),
            name: self.name.clone(),
            size: self.size,
            content_type: self.content_type.clone(),
            status: self.status,
            detected_type: self.detected_type.clone(),
            reason: self.reason.clone(),
            created_at: rfc3339(self.created_at),
            via_link: self.via_link().map(str::to_owned),
            uploader: self.link.as_ref().and_then(|l| l.uploader.clone()),
        }
    }

    pub fn via_link(&self) -> Option<&str> {
        self.link.as_ref().map(|l| l.link_id.as_str())
    }

    /// The types this file's bytes may turn out to be: its link's list when it came through one
    /// (always a subset of the deployment's), else the deployment's.
    pub fn allowed_types<'a>(&'a self, deployment: &'a [String]) -> &'a [String] {
        match &self.link {
            Some(l) => &l.allowed_types,
            None => deployment,
        }
    }

    /// Where its object lives: what its record says, so old files keep their keys.
    pub fn upload_key(&self) -> UploadKey {
        UploadKey::of(self.key_scheme, &self.owner, &self.id)
    }

    pub fn key(&self) -> String {
        self.upload_key().render()
    }
}

#[cfg(test)]
mod tests {
    use super::FileStatus::*;

    #[test]
    fn only_pending_moves_and_only_forward() {
        assert!(Pending.can_become(Accepted));
        assert!(Pending.can_become(Rejected));
        assert!(Pending.can_become(Expired));
        assert!(!Pending.can_become(Pending));
        for terminal in [Accepted, Rejected, Expired] {
            for next in [Pending, Accepted, Rejected, Expired] {
                let replaced_bytes = terminal == Accepted && next == Rejected;
                assert_eq!(
                    terminal.can_become(next),
                    replaced_bytes,
                    "{terminal:?} -> {next:?}"
                );
            }
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in [Pending, Accepted, Rejected, Expired] {
            assert_eq!(super::FileStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(super::FileStatus::parse("deleted"), None);
    }
}
