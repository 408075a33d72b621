//! The operator's review: files across owners by status (the review queue: `held` files wait
//! here for a release or a deletion), by owner or by the link they came through; and every
//! link across owners, which an admin may revoke. Every change appends one audit entry (ids
//! only).

mod rules;
mod service;
mod store;

use serde::Serialize;

use crate::FileRecord;
use crate::files::Uploader;
use crate::links::{Link, LinkState};
use crate::time::rfc3339;

/// The reason an accepted file carries once an operator released it from `held`: the owner's
/// mail says so, and so does every view.
pub const RELEASED: &str = "released";

pub use rules::{ReviewCursor, ReviewFilter, ReviewScope, parse_status};
pub use service::Review;
pub use store::{LinkSlice, ReviewPage, ReviewStore};

/// Who owns a thing, as an admin sees it (`email` is `null` when the directory no longer knows
/// the account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerRef {
    pub id: String,
    pub email: Option<String>,
}

/// A file as `GET /admin/files` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdminFile {
    pub id: String,
    pub owner: OwnerRef,
    pub name: String,
    pub size: u64,
    pub detected_type: Option<String>,
    pub status: crate::FileStatus,
    pub reason: Option<String>,
    /// What the scan found, when it found something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threats: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via_link: Option<String>,
    /// Who dropped it through a link, as they said (name and address only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uploader: Option<Uploader>,
    pub created_at: String,
    /// Whether a legal hold keeps it, and why (the admin's own words; admins only).
    pub legal_hold: bool,
    pub hold_reason: Option<String>,
}

impl AdminFile {
    pub fn of(f: &FileRecord, owner: OwnerRef) -> Self {
        let threats = f
            .scan
            .as_ref()
            .map(|s| s.threats.clone())
            .filter(|t| !t.is_empty());
        let uploader = f
            .link
            .as_ref()
            .and_then(|l| l.uploader.as_ref())
            .filter(|u| u.name.is_some() || u.email.is_some())
            .map(|u| Uploader {
                note: None,
                ..u.clone()
            });
        Self {
            id: f.id.to_string(),
            owner,
            name: f.name.clone(),
            size: f.size,
            detected_type: f.detected_type.clone(),
            status: f.status,
            reason: f.reason.clone(),
            threats,
            via_link: f.via_link().map(str::to_owned),
            uploader,
            created_at: rfc3339(f.created_at),
            legal_hold: f.lifecycle.legal_hold.is_some(),
            hold_reason: f.lifecycle.legal_hold.as_ref().map(|h| h.reason.clone()),
        }
    }
}

/// A page of files across owners.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdminFilePage {
    pub files: Vec<AdminFile>,
    pub next_cursor: Option<String>,
}

/// A link as `GET /admin/links` shows it: never its token nor its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminLink {
    pub id: String,
    pub owner: OwnerRef,
    pub label: String,
    pub state: LinkState,
    pub revoked: bool,
    pub created_at: String,
    pub expires_at: String,
    pub uploads_used: u32,
    pub max_uploads: u32,
    pub bytes_used: u64,
}

impl AdminLink {
    pub fn of(l: &Link, owner: OwnerRef, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            id: l.id.to_string(),
            owner,
            label: l.label.clone(),
            state: l.state(now),
            revoked: l.revoked,
            created_at: rfc3339(l.created_at),
            expires_at: rfc3339(l.expires_at),
            uploads_used: l.uploads_used,
            max_uploads: l.max_uploads,
            bytes_used: l.bytes_used,
        }
    }
}

/// A page of links across owners.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminLinkPage {
    pub links: Vec<AdminLink>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod service_tests;
