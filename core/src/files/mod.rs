//! Files: a file's record and the state machine of its life (see [`FileStatus::can_become`]):
//! `pending -> scanning -> accepted | rejected | held`, `pending -> rejected | expired`;
//! deletion removes the record from any state.
//! Here the model; in the children the upload rules, the account users' service, the quota
//! arithmetic and the ledger ports (files and quotas change together).

mod cleanup;
mod ledger;
mod quota;
mod rules;
mod service;
mod trash;
pub mod versioning;

pub use cleanup::remove_and_mark;
pub use ledger::{
    FileLookup, JanitorLedger, Ledger, OwnerLedger, Page, PipelineLedger, Purging, Reservation,
    Settlement, Settling,
};
pub use quota::{QuotaDelta, QuotaUsage, fits, headroom};
pub use rules::{NewUpload, RetentionAsk, declared_type, validate_upload};
pub use service::{
    CreatedUpload, FileService, Listing, decode_cursor, encode_cursor, presign_download,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::{KeyScheme, UploadKey};
use crate::scan::{ScanRecord, ScanStatus, ScanView};
use crate::time::rfc3339;
use crate::{FileId, LinkId, OwnerId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileStatus {
    Pending,
    /// The type verdict passed; the malware scan of these bytes has not answered yet.
    Scanning,
    /// The scanner could not judge the bytes and the policy holds them for an operator.
    Held,
    Accepted,
    Rejected,
    Expired,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Scanning => "scanning",
            Self::Held => "held",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "scanning" => Self::Scanning,
            "held" => Self::Held,
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            "expired" => Self::Expired,
            _ => return None,
        })
    }

    /// The moves a settlement may make; every other is refused, which is what makes a
    /// replayed event or a duplicated scan result a no-op. Bytes are served only from
    /// `accepted`, which needs both verdicts: the type's (pending -> scanning) and a clean scan
    /// (scanning -> accepted). Pending goes straight to accepted only when scanning is off or a
    /// clean result for exactly these bytes came first. Replaced bytes of a file that keeps its
    /// bytes (scanning, held, accepted) go back to scanning (they pass the type verdict: the
    /// scan of the old bytes no longer counts) or to rejected (`content_changed`). Held files
    /// otherwise wait for an operator to release or delete them.
    pub fn can_become(self, next: FileStatus) -> bool {
        use FileStatus::*;
        match self {
            Pending => matches!(next, Scanning | Accepted | Rejected | Expired),
            Scanning => matches!(next, Scanning | Accepted | Rejected | Held),
            Accepted => matches!(next, Scanning | Rejected),
            Held => matches!(next, Scanning | Accepted | Rejected),
            Rejected | Expired => false,
        }
    }

    /// Whether the file's bytes count against the quota: as reserved while pending, as used
    /// once they are there (scanning, held, accepted).
    pub fn holds_quota(self) -> bool {
        !matches!(self, Self::Rejected | Self::Expired)
    }

    /// Whether its bytes are in the store and counted as used.
    pub fn holds_usage(self) -> bool {
        matches!(self, Self::Scanning | Self::Held | Self::Accepted)
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
    /// The owner's address when the file was made (from their verified token). Never where a
    /// mail goes: the notifier reads the owner's current address when it mails.
    pub owner_email: Option<String>,
    /// The object the verdict judged (size and ETag), once settled: a later event for the same
    /// object with another ETag or size means the bytes were replaced.
    pub stored: Option<StoredObject>,
    /// The multipart upload of a large file, while and after it is pending.
    pub multipart: Option<crate::multipart::MultipartUpload>,
    /// How its object is keyed: [`KeyScheme::File`] for every new file (nothing of the owner
    /// in a URL a stranger gets), [`KeyScheme::Owner`] for files created before.
    pub key_scheme: KeyScheme,
    /// The malware scan's latest result for this file (`None`: never answered, or a record
    /// from before scanning).
    pub scan: Option<ScanRecord>,
    /// When it last became `scanning`: the janitor's scan timeout counts from here.
    pub scan_started_at: Option<DateTime<Utc>>,
    /// Its life beyond its status: the trash.
    pub lifecycle: Lifecycle,
    /// As a version, whose; as a file, the versions it keeps (see [`crate::versions`]).
    pub versioning: versioning::Versioning,
}

/// Where a file stands in its life beyond its status: whether it is in the trash, and since
/// when (the rules are in [`crate::lifecycle`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// When its owner deleted it into the trash; `None` while it is live.
    pub trashed_at: Option<DateTime<Utc>>,
    /// When retention deletes it (`crate::lifecycle::delete_after_for`); `None`: never.
    pub delete_after: Option<DateTime<Utc>>,
    /// The legal hold that keeps it from every deletion (`crate::holds`); `None`: not held.
    pub legal_hold: Option<crate::holds::LegalHold>,
    /// When a deletion for good began (`Purging::mark_deleting`): from then on no hold can be
    /// placed, so the bytes removed next are never a held file's; `None`: none began.
    pub deleting_at: Option<DateTime<Utc>>,
    /// What the receipt of the deletion that marked it says (`Purging::mark_deleting`), so
    /// the janitor can finish one cut short as it would have ended
    /// (`crate::lifecycle::finish_marked`); `None` for an erasure's mark (the erasure's own
    /// resume finishes those) and for a record not marked.
    pub deleting_for: Option<crate::lifecycle::DeletionCause>,
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
    /// A short note for the owner (see `links::clean_note`); only the owner ever sees it.
    #[serde(default)]
    pub note: Option<String>,
}

/// What a file that came through an upload link carries of it: enough for the pipeline to
/// apply the link's rules and for the owner's mail, without reading the link again.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOrigin {
    pub link_id: LinkId,
    pub label: String,
    /// The link's allowed types: the pipeline judges the bytes against these, within the
    /// deployment's.
    pub allowed_types: crate::allowed::TypePolicy,
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
    /// The malware scan as far as it went (always present).
    pub scan: ScanView,
    /// What was allowed, when the file was refused for its type (the owner's views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<crate::allowed::TypePolicy>,
    /// In the trash since (only files in the trash carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trashed_at: Option<String>,
    /// When the trash purges it (only files in the trash carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<String>,
    /// When retention deletes it: in every owner view, `null` for never (`Some(None)`);
    /// absent from anyone else's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after: Option<Option<String>>,
    /// Whether a legal hold keeps it (never why): in every owner view, absent from anyone
    /// else's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<bool>,
    /// The version served, once the file has more than one (the owner's views only); on a
    /// new version's own record, its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// On a new version's own record: the file it is a version of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_of: Option<String>,
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
            scan: None,
            scan_started_at: None,
            lifecycle: Default::default(),
            versioning: Default::default(),
        }
    }

    /// The owner's view: threat names included.
    pub fn view(&self) -> FileView {
        let mut v = self.public_view();
        v.scan = self.scan_view();
        v.uploader = self.link.as_ref().and_then(|l| l.uploader.clone());
        v.trashed_at = self.lifecycle.trashed_at.map(rfc3339);
        v.delete_after = Some(self.lifecycle.delete_after.map(rfc3339));
        v.legal_hold = Some(self.lifecycle.legal_hold.is_some());
        // A file with versions shows the one it serves.
        if let Some(c) = &self.versioning.head.current {
            v.size = c.size;
            v.detected_type = c.detected_type.clone();
        }
        if self.versioning.head.last_n > 1 {
            v.version = Some(self.versioning.head.current_n());
        }
        if let Some(of) = &self.versioning.of {
            v.version = Some(of.n);
            v.version_of = Some(of.file.to_string());
        }
        if let Some(threats) = self.scan.as_ref().map(|s| &s.threats)
            && !threats.is_empty()
            && v.scan.status != ScanStatus::Pending
        {
            v.scan.threats = Some(threats.clone());
        }
        v
    }

    /// The owner's view: [`FileRecord::view`], and for a file refused for its type, what the
    /// deployment (narrowed by the file's link) allowed, so the refusal says what would pass.
    pub fn owner_view(&self, deployment: &crate::allowed::TypePolicy) -> FileView {
        let mut v = self.view();
        if self.reason.as_deref() == Some(crate::policy::RejectReason::TypeNotAllowed.code()) {
            v.allowed = Some(self.allowed_types(deployment));
        }
        v
    }

    /// What the scan says, never naming threats: a pending or scanning file is `pending` (a
    /// result kept for it, or one of bytes it no longer has, is not its verdict yet); a file
    /// never scanned (scanning off, or from before scanning) is `off`.
    pub fn scan_view(&self) -> ScanView {
        let waiting = matches!(self.status, FileStatus::Pending | FileStatus::Scanning);
        let (status, scanned_at) = match &self.scan {
            _ if waiting => (ScanStatus::Pending, None),
            // Never scanned: no scan time, so nobody takes the file for scanned.
            Some(r) if r.status == ScanStatus::Off => (ScanStatus::Off, None),
            Some(r) => (r.status, r.at.map(rfc3339)),
            None => (ScanStatus::Off, None),
        };
        ScanView {
            status,
            threats: None,
            scanned_at,
        }
    }

    /// A view for anyone but the owner (a drop's answer): no threat names.
    pub fn public_view(&self) -> FileView {
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
            // The note is for the owner alone: a drop's answer carries only who dropped it.
            uploader: self
                .link
                .as_ref()
                .and_then(|l| l.uploader.as_ref())
                .filter(|u| u.name.is_some() || u.email.is_some())
                .map(|u| Uploader {
                    note: None,
                    ..u.clone()
                }),
            scan: self.public_scan_view(),
            allowed: None,
            trashed_at: None,
            purge_at: None,
            delete_after: None,
            legal_hold: None,
            version: None,
            version_of: None,
        }
    }

    /// The scan as a stranger sees it: a file the scan refused for malware says `refused`,
    /// nothing of what was found (its receipt's reason says `refused_for_safety`).
    pub fn public_scan_view(&self) -> ScanView {
        let mut view = self.scan_view();
        if view.status == ScanStatus::Infected {
            view.status = ScanStatus::Refused;
        }
        view.threats = None;
        view
    }

    pub fn via_link(&self) -> Option<&str> {
        self.link.as_ref().map(|l| l.link_id.as_str())
    }

    /// The types this file's bytes may turn out to be: its link's, within the deployment's,
    /// when it came through one, else the deployment's.
    pub fn allowed_types(
        &self,
        deployment: &crate::allowed::TypePolicy,
    ) -> crate::allowed::TypePolicy {
        match &self.link {
            Some(l) => deployment.narrowed_by(&l.allowed_types),
            None => deployment.clone(),
        }
    }

    /// Whether it is in the trash (hidden from lists, downloads and shares, still counted).
    pub fn in_trash(&self) -> bool {
        self.lifecycle.trashed_at.is_some()
    }

    /// Whether its deletion for good began (`deleting_at`): its bytes may be gone, so its
    /// owner sees it as deleted (not listed, not found, not downloaded).
    pub fn is_deleting(&self) -> bool {
        self.lifecycle.deleting_at.is_some()
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

    const ALL: [super::FileStatus; 6] = [Pending, Scanning, Held, Accepted, Rejected, Expired];

    #[test]
    fn every_allowed_move_and_every_refused_one() {
        let allowed = [
            (Pending, Scanning),
            (Pending, Accepted),
            (Pending, Rejected),
            (Pending, Expired),
            (Scanning, Scanning),
            (Scanning, Accepted),
            (Scanning, Rejected),
            (Scanning, Held),
            (Accepted, Scanning),
            (Accepted, Rejected),
            (Held, Scanning),
            (Held, Accepted),
            (Held, Rejected),
        ];
        for from in ALL {
            for to in ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn bytes_hold_quota_until_they_are_refused() {
        for s in ALL {
            assert_eq!(s.holds_quota(), !matches!(s, Rejected | Expired), "{s:?}");
            assert_eq!(
                s.holds_usage(),
                matches!(s, Scanning | Held | Accepted),
                "{s:?}"
            );
        }
    }

    #[test]
    fn the_owners_view_of_a_file_refused_for_its_type_says_what_was_allowed() {
        use crate::allowed::TypePolicy;
        let mut f = super::FileRecord::pending(
            crate::FileId::parse("f1").unwrap(),
            crate::OwnerId::parse("o1").unwrap(),
            "a.exe".into(),
            1,
            "application/octet-stream".into(),
            chrono::Utc::now(),
            std::time::Duration::from_secs(60),
        );
        let deployment = TypePolicy::only(["application/pdf", "image/png"]);
        assert_eq!(f.owner_view(&deployment).allowed, None, "not refused");
        f.status = Rejected;
        f.reason = Some("type_mismatch".into());
        assert_eq!(
            f.owner_view(&deployment).allowed,
            None,
            "refused, not for its type"
        );
        f.reason = Some("type_not_allowed".into());
        assert_eq!(f.owner_view(&deployment).allowed, Some(deployment.clone()));
        assert_eq!(f.public_view().allowed, None);
    }

    #[test]
    fn views_say_how_far_the_scan_went_and_only_the_owner_sees_threats() {
        use crate::scan::{ScanRecord, ScanStatus};
        let now = chrono::Utc::now();
        let mut f = super::FileRecord::pending(
            crate::FileId::parse("f1").unwrap(),
            crate::OwnerId::parse("o1").unwrap(),
            "a.pdf".into(),
            1,
            "application/pdf".into(),
            now,
            std::time::Duration::from_secs(60),
        );
        let json = |v: &super::FileView| serde_json::to_value(&v.scan).unwrap();
        assert_eq!(json(&f.view()), serde_json::json!({"status": "pending"}));
        let infected = ScanRecord {
            status: ScanStatus::Infected,
            etag: Some("e".into()),
            threats: vec!["EICAR".into()],
            at: Some(now),
        };
        // A result kept for the type verdict is not shown before it counts.
        f.scan = Some(infected.clone());
        assert_eq!(json(&f.view()), serde_json::json!({"status": "pending"}));
        f.status = Scanning;
        assert_eq!(json(&f.view()), serde_json::json!({"status": "pending"}));
        f.status = Rejected;
        let at = crate::time::rfc3339(now);
        assert_eq!(
            json(&f.view()),
            serde_json::json!({"status": "infected", "threats": ["EICAR"], "scanned_at": at})
        );
        assert_eq!(
            json(&f.public_view()),
            serde_json::json!({"status": "refused", "scanned_at": at})
        );
        f.scan = None;
        f.status = Accepted;
        assert_eq!(json(&f.view()), serde_json::json!({"status": "off"}));
        f.scan = Some(ScanRecord::off(now));
        assert_eq!(json(&f.view()), serde_json::json!({"status": "off"}));
    }

    #[test]
    fn statuses_round_trip() {
        for s in ALL {
            assert_eq!(super::FileStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(super::FileStatus::parse("deleted"), None);
    }
}
