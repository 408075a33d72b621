//! The published `detail` schemas (`docs/events/<type>.json`) held to the code: one file per
//! event type and no other, and every detail the code makes for a type validates against its
//! schema (which refuses unknown fields, so a field added to the code without the schema fails).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use dropgate_core::events::{EventKind, SCHEMA_VERSION};
use dropgate_core::files::{LinkOrigin, Uploader};
use dropgate_core::links::Link;
use dropgate_core::notify::{EventType, LifecycleEntry, OutboxEntry, ShareNotice};
use dropgate_core::shares::Share;
use dropgate_core::{FileId, FileRecord, FileStatus, LinkId, OwnerId, ShareId};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/events")
}

fn schema(kind: EventKind) -> Value {
    let path = dir().join(format!("{}.json", kind.as_str()));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The part of JSON Schema (2020-12) the published schemas use; any other keyword is an error,
/// so a schema can never lean on something this check would silently skip.
fn validate(schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let s = schema
        .as_object()
        .ok_or(format!("{at}: schema not an object"))?;
    for (k, rule) in s {
        match k.as_str() {
            "$schema" | "$id" | "title" | "description" | "schema_version" => {}
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => return Err(format!("{at}: bad type")),
                };
                let ok = types.iter().any(|t| match *t {
                    "string" => v.is_string(),
                    "integer" => v.is_u64() || v.is_i64(),
                    "object" => v.is_object(),
                    "null" => v.is_null(),
                    "boolean" => v.is_boolean(),
                    _ => false,
                });
                if !ok {
                    return Err(format!("{at}: {v} is not of type {types:?}"));
                }
            }
            "const" if rule != v => return Err(format!("{at}: {v} is not {rule}")),
            "const" => {}
            "minimum" => {
                if let (Some(n), Some(min)) = (v.as_f64(), rule.as_f64())
                    && n < min
                {
                    return Err(format!("{at}: {n} below {min}"));
                }
            }
            "format" => {
                if rule != "date-time" {
                    return Err(format!("{at}: unknown format {rule}"));
                }
                if let Some(t) = v.as_str()
                    && chrono::DateTime::parse_from_rfc3339(t).is_err()
                {
                    return Err(format!("{at}: {t} is not RFC 3339"));
                }
            }
            "required" => {
                for r in rule.as_array().into_iter().flatten() {
                    let name = r.as_str().unwrap_or_default();
                    if v.get(name).is_none() {
                        return Err(format!("{at}: {name} missing"));
                    }
                }
            }
            "additionalProperties" => {
                if rule != &Value::Bool(false) {
                    return Err(format!("{at}: additionalProperties must be false"));
                }
                let known = s.get("properties").and_then(Value::as_object);
                for key in v.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !known.is_some_and(|p| p.contains_key(key)) {
                        return Err(format!("{at}: {key} is not in the schema"));
                    }
                }
            }
            "properties" => {
                for (name, sub) in rule.as_object().into_iter().flatten() {
                    if let Some(field) = v.get(name) {
                        validate(sub, field, &format!("{at}.{name}"))?;
                    }
                }
            }
            other => return Err(format!("{at}: keyword {other} is not checked here")),
        }
    }
    Ok(())
}

fn file(status: FileStatus, via_link: bool) -> FileRecord {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    let mut f = FileRecord::pending(
        FileId::parse("f1").unwrap(),
        OwnerId::parse("owner-1").unwrap(),
        "report.pdf".into(),
        42,
        "application/pdf".into(),
        at,
        Duration::from_secs(900),
    );
    f.status = status;
    match status {
        FileStatus::Accepted => f.detected_type = Some("application/pdf".into()),
        FileStatus::Rejected => {
            f.detected_type = Some("application/x-executable".into());
            f.reason = Some("type_not_allowed".into());
        }
        FileStatus::Held => {
            f.detected_type = Some("application/zip".into());
            f.reason = Some("scan_unsupported".into());
        }
        FileStatus::Expired => f.reason = Some("upload_timeout".into()),
        _ => {}
    }
    if via_link {
        f.link = Some(LinkOrigin {
            link_id: LinkId::parse("link-1").unwrap(),
            label: "Client docs".into(),
            allowed_types: Default::default(),
            uploader: Some(Uploader {
                name: Some("Bea".into()),
                email: Some("bea@example.com".into()),
                note: Some("a note".into()),
            }),
        });
    }
    f
}

/// Every entry the code can write, in its variants (through a link or not, a share with a
/// download limit or none).
fn entries() -> Vec<OutboxEntry> {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    let mut out = Vec::new();
    for via_link in [false, true] {
        for (event, status) in [
            (EventType::UploadAccepted, FileStatus::Accepted),
            (EventType::UploadRejected, FileStatus::Rejected),
            (EventType::UploadHeld, FileStatus::Held),
            (EventType::UploadExpired, FileStatus::Expired),
            (EventType::FileDeleted, FileStatus::Accepted),
            (EventType::FileDeleted, FileStatus::Rejected),
            (EventType::FileDownloaded, FileStatus::Accepted),
            (EventType::ShareLocked, FileStatus::Accepted),
        ] {
            for (left, version) in [(Some(3), None), (None, None), (None, Some(2))] {
                let mut f = file(status, via_link);
                // A new version's verdict: told of its file, with its number.
                if let Some(n) = version {
                    f.id = FileId::parse("f1-v2").unwrap();
                    f.versioning.of = Some(dropgate_core::files::versioning::VersionOf {
                        file: FileId::parse("f1").unwrap(),
                        n,
                    });
                }
                let share = matches!(event, EventType::FileDownloaded | EventType::ShareLocked)
                    .then(|| ShareNotice {
                        share: ShareId::parse("share-1").unwrap(),
                        label: Some("label".into()),
                        downloads_left: left,
                        mail: true,
                        locked_until: (event == EventType::ShareLocked)
                            .then(|| at + chrono::TimeDelta::hours(1)),
                    });
                out.push(OutboxEntry {
                    id: OutboxEntry::key(at, &f, event),
                    event,
                    file: f,
                    at,
                    share,
                });
            }
        }
    }
    out
}

fn link(used: u32) -> Link {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    Link {
        id: LinkId::parse("link-1").unwrap(),
        owner: OwnerId::parse("owner-1").unwrap(),
        owner_email: Some("owner@example.com".into()),
        label: "Client docs".into(),
        token_hash: "ab".repeat(32),
        token_sealed: Some("sealed".into()),
        created_at: at,
        expires_at: at + chrono::TimeDelta::days(7),
        max_uploads: 3,
        uploads_used: used,
        max_file_bytes: 1 << 20,
        max_total_bytes: None,
        bytes_used: 0,
        max_pending_bytes: 1 << 20,
        pending_bytes: 0,
        max_givebacks: 3,
        givebacks: 0,
        allowed_types: Default::default(),
        require_uploader_name: false,
        revoked: false,
        retain_days: None,
    }
}

fn share(max: Option<u32>, label: Option<&str>, password: bool) -> Share {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    Share {
        id: ShareId::parse("share-1").unwrap(),
        owner: OwnerId::parse("owner-1").unwrap(),
        file_id: FileId::parse("f1").unwrap(),
        label: label.map(str::to_owned),
        token_hash: "cd".repeat(32),
        token_sealed: None,
        created_at: at,
        expires_at: at + chrono::TimeDelta::days(7),
        max_downloads: max,
        downloads: max.map_or(5, |m| m - 1),
        password_hash: password.then(|| "$argon2id$v=19$x".into()),
        notify_owner: false,
        owner_email: None,
        revoked: false,
        mailed_at: None,
        failures: 0,
        locked_until: None,
        version: None,
    }
}

/// Every link and share entry the code can write, in its variants.
fn lifecycle_entries() -> Vec<LifecycleEntry> {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    let mut out = Vec::new();
    for event in [
        EventType::LinkCreated,
        EventType::LinkExpired,
        EventType::LinkRevoked,
    ] {
        out.push(LifecycleEntry::of_link(event, &link(1), at));
    }
    out.extend(LifecycleEntry::used_up_by_next(&link(2), at));
    for (max, label, password) in [(Some(3), Some("Q3"), true), (None, None, false)] {
        let sh = share(max, label, password);
        for event in [
            EventType::ShareCreated,
            EventType::ShareRevoked,
            EventType::ShareExpired,
        ] {
            out.push(LifecycleEntry::of_share(event, &sh, at));
        }
        out.extend(LifecycleEntry::exhausted_by_next(&sh, at));
    }
    out
}

/// A reminder with a link and a file: its `link.expiring` and `file.expiring` events.
fn reminder() -> dropgate_core::reminders::Reminder {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    let l = link(0);
    let owner = OwnerId::parse("owner-1").unwrap();
    dropgate_core::reminders::Reminder {
        id: dropgate_core::reminders::Reminder::key(at, &owner),
        owner,
        to: None,
        at,
        links: vec![dropgate_core::notify::LinkFacts {
            link: l.id.clone(),
            label: l.label.clone(),
            max_uploads: l.max_uploads,
            uploads_used: 0,
            expires_at: l.expires_at,
        }],
        files: vec![dropgate_core::reminders::ExpiringFile {
            file: FileId::parse("f1").unwrap(),
            name: "report.pdf".into(),
            size: 10,
            delete_after: at + chrono::TimeDelta::days(2),
        }],
    }
}

#[test]
fn one_schema_per_event_type_and_no_other() {
    let files: BTreeSet<String> = std::fs::read_dir(dir())
        .expect("docs/events")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let kinds: BTreeSet<String> = EventKind::ALL
        .iter()
        .map(|k| format!("{}.json", k.as_str()))
        .collect();
    assert_eq!(files, kinds);
    for k in EventKind::ALL {
        let s = schema(k);
        assert_eq!(s["title"], k.as_str());
        assert_eq!(s["schema_version"], SCHEMA_VERSION);
        assert_eq!(s["properties"]["schema_version"]["const"], SCHEMA_VERSION);
    }
}

#[test]
fn every_detail_the_code_makes_validates_against_its_schema() {
    let mut seen = BTreeSet::new();
    for e in entries() {
        let ev = e.event();
        let detail = serde_json::to_value(&ev.detail).unwrap();
        validate(&schema(ev.kind), &detail, ev.kind.as_str())
            .unwrap_or_else(|why| panic!("{detail}: {why}"));
        seen.insert(ev.kind);
    }
    for e in lifecycle_entries() {
        let ev = e.event();
        let detail = serde_json::to_value(&ev.detail).unwrap();
        validate(&schema(ev.kind), &detail, ev.kind.as_str())
            .unwrap_or_else(|why| panic!("{detail}: {why}"));
        seen.insert(ev.kind);
    }
    for ev in reminder().events() {
        let detail = serde_json::to_value(&ev.detail).unwrap();
        validate(&schema(ev.kind), &detail, ev.kind.as_str())
            .unwrap_or_else(|why| panic!("{detail}: {why}"));
        seen.insert(ev.kind);
    }
    assert_eq!(seen.len(), EventKind::ALL.len(), "every type exercised");
}

#[test]
fn a_versions_verdict_carries_its_number_and_its_files_id() {
    let versioned: Vec<_> = entries()
        .into_iter()
        .filter(|e| e.file.versioning.of.is_some())
        .collect();
    assert!(!versioned.is_empty());
    for e in versioned {
        let ev = e.event();
        let d = serde_json::to_value(&ev.detail).unwrap();
        assert_eq!(d["file_version"], 2, "{d}");
        assert_eq!(d["file"]["id"], "f1", "{d}");
        assert_eq!(e.notification().file_version, Some(2));
    }
    // A first upload's detail has no number at all.
    let d = serde_json::to_value(&entries()[0].event().detail).unwrap();
    assert!(d.get("file_version").is_none(), "{d}");
}

#[test]
fn a_detail_of_another_shape_does_not_validate() {
    // The check can fail: a field the schema does not know, a missing one, a wrong type.
    let accepted = schema(EventKind::FileAccepted);
    let mut d = serde_json::to_value(&entries()[0].event().detail).unwrap();
    assert!(validate(&accepted, &d, "d").is_ok());
    d["token"] = "dl_abc".into();
    assert!(validate(&accepted, &d, "d").is_err());
    d.as_object_mut().unwrap().remove("token");
    d["file"]["size"] = "42".into();
    assert!(validate(&accepted, &d, "d").is_err());
    let locked = schema(EventKind::ShareLocked);
    let d = serde_json::to_value(&entries()[0].event().detail).unwrap();
    assert!(
        validate(&locked, &d, "d").is_err(),
        "no share in a file verdict"
    );
    // A link's detail is no share's, and a share's needs its boolean.
    let created = LifecycleEntry::of_link(EventType::LinkCreated, &link(0), Utc::now());
    let d = serde_json::to_value(created.event().detail).unwrap();
    assert!(validate(&schema(EventKind::LinkCreated), &d, "d").is_ok());
    assert!(validate(&schema(EventKind::ShareCreated), &d, "d").is_err());
    let sh = LifecycleEntry::of_share(
        EventType::ShareCreated,
        &share(None, None, true),
        Utc::now(),
    );
    let mut d = serde_json::to_value(sh.event().detail).unwrap();
    assert!(validate(&schema(EventKind::ShareCreated), &d, "d").is_ok());
    d["password_protected"] = "yes".into();
    assert!(validate(&schema(EventKind::ShareCreated), &d, "d").is_err());
}
