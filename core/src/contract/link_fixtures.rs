//! What the link store's contract checks (`super::links`, `super::link_drops`) build on: the
//! store under test seen as both its ports, links and files of a check's own (`<prefix>-...`),
//! and reading back counters and quota. Times are at millisecond precision (what stores keep).

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::files::Ledger;
use crate::files::{LinkOrigin, Uploader};
use crate::links::{DropReservation, Link, LinkDrop, LinkStore};
use crate::{FileId, FileRecord, LinkId, OwnerId, tokens};

/// The store under test, seen as both ports it implements.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub links: &'a dyn LinkStore,
    pub ledger: &'a dyn Ledger,
}

pub(super) fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

pub(crate) fn link_id(prefix: &str, id: &str) -> LinkId {
    LinkId::parse(&format!("{prefix}-{id}")).unwrap_or_else(|_| panic!("link {prefix}"))
}

pub(super) fn file_id(prefix: &str, id: &str) -> FileId {
    FileId::parse(&format!("{prefix}-{id}")).unwrap_or_else(|_| panic!("file {prefix}"))
}

pub(crate) fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or_else(|_| panic!("{t} truncates"))
}

/// A fresh link of `o`, its token `<prefix>-tok-<id>`, an hour to live from `now`.
pub(crate) fn link(
    o: &OwnerId,
    id: LinkId,
    max_uploads: u32,
    max_total: Option<u64>,
    now: DateTime<Utc>,
) -> Link {
    Link {
        token_hash: tokens::hash(&format!("tok-{id}")),
        token_sealed: None,
        label: format!("label of {id} ✓"),
        id,
        owner: o.clone(),
        owner_email: Some(format!("{o}@example.com")),
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
        max_uploads,
        uploads_used: 0,
        max_file_bytes: 1 << 20,
        max_total_bytes: max_total,
        bytes_used: 0,
        max_pending_bytes: 1 << 40,
        pending_bytes: 0,
        max_givebacks: 3,
        givebacks: 0,
        allowed_types: crate::allowed::TypePolicy::only(["application/pdf", "image/png"]),
        require_uploader_name: false,
        revoked: false,
        // Stored and read back like every other setting.
        retain_days: Some(30),
    }
}

/// A pending file dropped through `l`.
pub(super) fn dropped(l: &Link, id: FileId, size: u64, now: DateTime<Utc>) -> FileRecord {
    let mut f = FileRecord::pending(
        id,
        l.owner.clone(),
        "q3 report ✓.pdf".into(),
        size,
        "application/pdf".into(),
        now,
        std::time::Duration::from_secs(900),
    );
    f.owner_email = l.owner_email.clone();
    f.link = Some(LinkOrigin {
        link_id: l.id.clone(),
        label: l.label.clone(),
        allowed_types: l.allowed_types.clone(),
        uploader: Some(Uploader {
            name: Some("Bob Client".into()),
            email: None,
            // Kept as written, lines and markup alike: the owner's views show it as text.
            note: Some("Q3 figures,\nsee tab <b>2</b>".into()),
        }),
    });
    f
}

/// Each file's receipt, derived from its id (the checks keep no other secret).
pub(super) fn receipt_hash(file: &FileRecord) -> String {
    tokens::hash(&format!("receipt-of-{}", file.id))
}

/// Drops `file` through `l` (as read by the caller, maybe stale) against `quota_limit`.
pub(super) async fn drop_via(
    s: Stores<'_>,
    l: &Link,
    file: &FileRecord,
    quota_limit: u64,
    at: DateTime<Utc>,
) -> DropReservation {
    // As the service drops: the last use with its `link.used_up` entry; a drop lost to
    // another (the count moved) reads the link again, while it is still open.
    let mut read = l.clone();
    loop {
        let used_up = crate::notify::LifecycleEntry::used_up_by_next(&read, at);
        let outcome = s
            .links
            .create_pending_via_link(&LinkDrop {
                link: &read,
                file,
                receipt_hash: &receipt_hash(file),
                quota_limit,
                now: at,
                used_up: used_up.as_ref(),
            })
            .await
            .unwrap();
        if outcome != DropReservation::LinkRefused {
            return outcome;
        }
        match s.links.get_link(&l.owner, &l.id).await.unwrap() {
            Some(again)
                if again.uploads_used != read.uploads_used
                    && !again.revoked
                    && at < again.expires_at
                    && again.uploads_left() > 0 =>
            {
                read = again
            }
            _ => return outcome,
        }
    }
}

pub(super) fn counters(l: &Link) -> (u32, u64) {
    (l.uploads_used, l.bytes_used)
}

pub(super) async fn stored(s: Stores<'_>, l: &Link) -> Link {
    s.links
        .get_link(&l.owner, &l.id)
        .await
        .unwrap()
        .expect("the link")
}

pub(super) async fn usage(s: Stores<'_>, o: &OwnerId) -> (u64, u64, u64) {
    let u = s.ledger.usage(o, u64::MAX).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

pub(super) fn ids(links: &[Link]) -> Vec<&str> {
    links.iter().map(|l| l.id.as_str()).collect()
}

pub(super) fn file_ids(files: &[FileRecord]) -> Vec<&str> {
    files.iter().map(|f| f.id.as_str()).collect()
}
