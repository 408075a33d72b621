use chrono::{TimeZone, Utc};

use super::*;
use crate::allowed::TypePolicy;

fn link(used: u32) -> Link {
    let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    Link {
        id: LinkId::parse("l1").unwrap(),
        owner: OwnerId::parse("o1").unwrap(),
        owner_email: Some("o@example.com".into()),
        label: "Q3".into(),
        token_hash: "ab".repeat(32),
        token_sealed: Some("sealed".into()),
        created_at: t,
        expires_at: t + chrono::Duration::hours(1),
        max_uploads: 2,
        uploads_used: used,
        max_file_bytes: 100,
        max_total_bytes: None,
        bytes_used: 0,
        max_pending_bytes: 100,
        pending_bytes: 0,
        max_givebacks: 3,
        givebacks: 0,
        allowed_types: TypePolicy::only(["application/pdf"]),
        require_uploader_name: false,
        revoked: false,
        retain_days: None,
    }
}

fn share(downloads: u32, max: Option<u32>) -> Share {
    let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    Share {
        id: ShareId::parse("s1").unwrap(),
        owner: OwnerId::parse("o1").unwrap(),
        file_id: FileId::parse("f1").unwrap(),
        label: None,
        token_hash: "cd".repeat(32),
        token_sealed: Some("sealed".into()),
        created_at: t,
        expires_at: t + chrono::Duration::days(7),
        max_downloads: max,
        downloads,
        password_hash: Some("$argon2id$v=19$secret".into()),
        notify_owner: false,
        owner_email: Some("o@example.com".into()),
        revoked: false,
        mailed_at: None,
        failures: 0,
        locked_until: None,
        version: None,
    }
}

#[test]
fn only_the_last_use_announces_a_used_up_link_or_an_exhausted_share() {
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 5, 0).unwrap();
    assert!(LifecycleEntry::used_up_by_next(&link(0), at).is_none());
    let e = LifecycleEntry::used_up_by_next(&link(1), at).unwrap();
    assert_eq!(e.event, EventType::LinkUsedUp);
    let Subject::Link(l) = &e.subject else {
        panic!("a link's entry")
    };
    assert_eq!(l.uploads_used, 2, "the link as the drop leaves it");
    assert!(LifecycleEntry::used_up_by_next(&link(2), at).is_none());

    assert!(LifecycleEntry::exhausted_by_next(&share(0, None), at).is_none());
    assert!(LifecycleEntry::exhausted_by_next(&share(0, Some(2)), at).is_none());
    let e = LifecycleEntry::exhausted_by_next(&share(1, Some(2)), at).unwrap();
    assert_eq!(e.event, EventType::ShareExhausted);
    assert!(e.id.ends_with("#s1#share.exhausted"), "{}", e.id);
}

#[test]
fn a_lifecycle_event_names_ids_counts_and_times_and_no_secret() {
    let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 5, 0).unwrap();
    let l = LifecycleEntry::of_link(EventType::LinkCreated, &link(0), at);
    let ev = l.event();
    assert_eq!(ev.kind.as_str(), "link.created");
    assert_eq!(ev.owner, "o1");
    let d = serde_json::to_value(&ev.detail).unwrap();
    assert_eq!(d["link"], "l1");
    assert_eq!(d["label"], "Q3");
    assert_eq!(d["uploads_left"], 2);
    assert_eq!(d["id"], ev.id.as_str());

    let s = LifecycleEntry::of_share(EventType::ShareRevoked, &share(1, Some(3)), at);
    let d = serde_json::to_value(s.event().detail).unwrap();
    assert_eq!(d["file_id"], "f1");
    assert_eq!(d["downloads_left"], 2);
    assert_eq!(d["password_protected"], true);

    // The SNS notice: the same id, the owner, no file.
    let n = s.notification();
    assert_eq!(n.id, s.id);
    assert_eq!(n.owner_id(), "o1");
    let body = n.body();
    assert!(body.contains("\"type\":\"share.revoked\""), "{body}");
    assert!(!body.contains("\"file\""), "{body}");
    for text in [body, l.notification().body(), l.event().detail_json()] {
        for secret in ["abab", "cdcd", "sealed", "argon2", "@", "http"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
