//! Upload links: anonymous, expiring, limited-use file requests.
//!
//! An owner creates a link; its token is the only credential a stranger needs. The token is
//! looked up by its SHA-256 and otherwise kept only sealed, for its owner to see the URL again
//! ([`crate::sealing`]); an owner edits a live link's settings and removes an ended one. Each
//! drop through the link uses it once, counts its bytes, reserves the owner's quota and writes
//! the pending file in one atomic step (see [`LinkStore::create_pending_via_link`]). The pipeline then judges the bytes against the
//! link's own allowed types, and the owner is mailed on every verdict.
//!
//! A link's life: `active` until it is revoked, expires, or has no uploads (or bytes) left.
//! The state is derived, never stored, so it cannot drift from the counters.

mod drop;
mod edit;
pub mod idle;
mod note;
mod rules;
mod service;
mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::time::rfc3339;
use crate::{CoreError, LinkId, OwnerId};

pub use drop::{DropInfo, DropService, DropUpload, DroppedFile, ReceiptView};
pub use edit::{LinkChanges, LinkEdit, validate_link_edit};
pub use note::{MAX_NOTE_CHARS, clean_note};
pub use rules::{
    DEFAULT_LINK_TTL_SECS, DEFAULT_MAX_UPLOADS, MAX_MAX_TOTAL_BYTES, MAX_MAX_UPLOADS, NewLink,
    ValidLink, gives_back_on, validate_new_link,
};
pub use service::{CreatedLink, LinkListing, LinkService};
pub use store::{DropReservation, LinkDrop, LinkPage, LinkStore};

/// An upload link as stored (the token itself never is).
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub id: LinkId,
    pub owner: OwnerId,
    /// The owner's address when the link was made (copied onto the files dropped through it).
    /// Never where a mail goes: the notifier reads the owner's current address when it mails.
    pub owner_email: Option<String>,
    pub label: String,
    /// SHA-256 of the token, hex: the lookup key.
    pub token_hash: String,
    /// The token sealed under the stack's key ([`crate::sealing`]), so its owner can see the
    /// URL again; `None` for links made before tokens were sealed.
    pub token_sealed: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub max_uploads: u32,
    pub uploads_used: u32,
    pub max_file_bytes: u64,
    /// `None`: no total beyond the owner's quota.
    pub max_total_bytes: Option<u64>,
    pub bytes_used: u64,
    /// The most bytes the link's drops may hold reserved and not yet judged, together.
    pub max_pending_bytes: u64,
    /// Bytes of the link's drops still pending: added by a drop, released by its settlement
    /// (accepted, rejected, expired) or its deletion.
    pub pending_bytes: u64,
    /// How many uses expiries may give back (`LINK_GIVEBACKS` when the link was made).
    pub max_givebacks: u32,
    pub givebacks: u32,
    /// The link's own list, or the deployment's policy (`AllButActiveContent`: no list).
    pub allowed_types: crate::allowed::TypePolicy,
    pub require_uploader_name: bool,
    pub revoked: bool,
    /// Days every file received through the link is kept, from its drop (retention), apart
    /// from the link's own expiry; `None`: the owner's default applies.
    pub retain_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Active,
    Expired,
    UsedUp,
    Revoked,
}

impl Link {
    pub fn uploads_left(&self) -> u32 {
        self.max_uploads.saturating_sub(self.uploads_used)
    }

    pub fn bytes_left(&self) -> Option<u64> {
        self.max_total_bytes
            .map(|m| m.saturating_sub(self.bytes_used))
    }

    /// Whether an expiry may still give a use back (see [`gives_back_on`]); stores apply it in
    /// the settlement's own write.
    pub fn can_give_back(&self) -> bool {
        self.givebacks < self.max_givebacks
    }

    /// Whether `size` more pending bytes fit under [`Link::max_pending_bytes`].
    pub fn pending_room_for(&self, size: u64) -> bool {
        self.pending_bytes
            .checked_add(size)
            .is_some_and(|p| p <= self.max_pending_bytes)
    }

    /// Revoked wins over expired, expired over used up.
    pub fn state(&self, now: DateTime<Utc>) -> LinkState {
        if self.revoked {
            LinkState::Revoked
        } else if now >= self.expires_at {
            LinkState::Expired
        } else if self.uploads_left() == 0 || self.bytes_left() == Some(0) {
            LinkState::UsedUp
        } else {
            LinkState::Active
        }
    }

    /// Why the link cannot take a drop now, as the error a stranger is answered.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<CoreError> {
        match self.state(now) {
            LinkState::Active => None,
            LinkState::Revoked => Some(CoreError::gone(
                "link_revoked",
                "this upload link was revoked by its owner",
            )),
            LinkState::Expired => Some(CoreError::gone(
                "link_expired",
                "this upload link has expired",
            )),
            LinkState::UsedUp => Some(CoreError::gone(
                "link_used_up",
                "this upload link has no uploads left",
            )),
        }
    }

    /// What the owner sees. `url` is filled in by the service (it opens the sealed token);
    /// `token` only in the answer that created the link.
    pub fn view(&self, now: DateTime<Utc>) -> LinkView {
        LinkView {
            id: self.id.to_string(),
            label: self.label.clone(),
            url: None,
            token: None,
            expires_at: rfc3339(self.expires_at),
            max_uploads: self.max_uploads,
            uploads_used: self.uploads_used,
            uploads_left: self.uploads_left(),
            max_file_bytes: self.max_file_bytes,
            max_total_bytes: self.max_total_bytes,
            bytes_used: self.bytes_used,
            bytes_left: self.bytes_left(),
            max_pending_bytes: self.max_pending_bytes,
            pending_bytes: self.pending_bytes,
            allowed_types: self.allowed_types.clone(),
            require_uploader_name: self.require_uploader_name,
            retain_days: self.retain_days,
            revoked: self.revoked,
            state: self.state(now),
            created_at: rfc3339(self.created_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkView {
    pub id: String,
    pub label: String,
    /// `null` when the token cannot be shown again (a link made before tokens were sealed).
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub expires_at: String,
    pub max_uploads: u32,
    pub uploads_used: u32,
    pub uploads_left: u32,
    pub max_file_bytes: u64,
    pub max_total_bytes: Option<u64>,
    pub bytes_used: u64,
    pub bytes_left: Option<u64>,
    pub max_pending_bytes: u64,
    pub pending_bytes: u64,
    /// The list, or `"all_but_active_content"`.
    pub allowed_types: crate::allowed::TypePolicy,
    pub require_uploader_name: bool,
    /// Days each file received through it is kept; `null`: the owner's default.
    pub retain_days: Option<u32>,
    pub revoked: bool,
    pub state: LinkState,
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn link() -> Link {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        Link {
            id: LinkId::parse("l1").unwrap(),
            owner: OwnerId::parse("o1").unwrap(),
            owner_email: None,
            label: "Q3".into(),
            token_hash: "00".into(),
            token_sealed: None,
            created_at: t,
            expires_at: t + chrono::Duration::hours(1),
            max_uploads: 2,
            uploads_used: 0,
            max_file_bytes: 100,
            max_total_bytes: Some(150),
            bytes_used: 0,
            max_pending_bytes: 100,
            pending_bytes: 0,
            max_givebacks: 3,
            givebacks: 0,
            allowed_types: crate::allowed::TypePolicy::only(["application/pdf"]),
            require_uploader_name: false,
            revoked: false,
            retain_days: None,
        }
    }

    #[test]
    fn state_is_derived_with_precedence() {
        let l = link();
        let now = l.created_at;
        let later = l.expires_at;
        assert_eq!(l.state(now), LinkState::Active);
        assert_eq!(l.state(later), LinkState::Expired);
        let used = Link {
            uploads_used: 2,
            ..l.clone()
        };
        assert_eq!(used.state(now), LinkState::UsedUp);
        assert_eq!(used.state(later), LinkState::Expired);
        let full = Link {
            bytes_used: 150,
            ..l.clone()
        };
        assert_eq!(full.state(now), LinkState::UsedUp);
        let revoked = Link {
            revoked: true,
            ..used
        };
        assert_eq!(revoked.state(later), LinkState::Revoked);
        assert_eq!(revoked.refusal(now).unwrap().code(), "link_revoked");
        assert_eq!(full.refusal(now).unwrap().code(), "link_used_up");
        assert_eq!(l.refusal(later).unwrap().code(), "link_expired");
        assert!(l.refusal(now).is_none());
    }

    #[test]
    fn views_carry_no_secret_unless_created() {
        let v = serde_json::to_value(link().view(link().created_at)).unwrap();
        assert!(v.get("token").is_none() && v["url"].is_null());
        assert_eq!(v["state"], "active");
        assert_eq!(v["uploads_left"], 2);
        assert_eq!(v["bytes_left"], 150);
        assert_eq!(
            (v["max_pending_bytes"].as_u64(), v["pending_bytes"].as_u64()),
            (Some(100), Some(0))
        );
    }

    #[test]
    fn pending_bytes_and_give_backs_are_capped() {
        let l = Link {
            pending_bytes: 60,
            ..link()
        };
        assert!(l.pending_room_for(40));
        assert!(!l.pending_room_for(41));
        assert!(!l.pending_room_for(u64::MAX), "no overflow");
        assert!(l.can_give_back());
        let spent = Link {
            givebacks: 3,
            ..link()
        };
        assert!(!spent.can_give_back());
        let never = Link {
            max_givebacks: 0,
            ..link()
        };
        assert!(!never.can_give_back());
    }
}
