//! Legal holds over the fakes: a held file survives every deletion path (owner delete, the
//! owner's purge of the trash, the janitor's purge, retention, an admin's delete, the owner's
//! erasure), and each path works again once the hold is lifted; the owner sees that it is held,
//! never why; each hold and release is one audit entry, by id. A hold placed at the worst
//! moment of a deletion (a store hook: while the bytes go, or between its read and its first
//! write) never outlives its bytes.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use dropgate_core::audit::ActorKind;
use dropgate_core::files::{FileLookup, OwnerLedger, Settlement, Settling};
use dropgate_core::holds::LegalHold;
use dropgate_core::notify::EventType;
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus};

const TRASH_DAYS: u32 = 7;

mod common;

use common::{admin, ann};

type World = common::Operated;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap()
}

fn world() -> World {
    world_with(TRASH_DAYS)
}

fn world_with(trash_days: u32) -> World {
    common::operated(t0(), trash_days, true)
}

/// An accepted file of Ann's, its bytes stored.
async fn accepted(w: &World, id: &str) -> FileRecord {
    let f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        ann(),
        format!("{id}.pdf"),
        10,
        "application/pdf".into(),
        t0(),
        std::time::Duration::from_secs(600),
    );
    let l = &w.mem.ledger;
    l.create_pending(&f, 1 << 20).await.unwrap();
    w.objects.put(&f.key(), vec![1; 10]);
    let s = Settlement {
        status: FileStatus::Accepted,
        detected_type: Some("application/pdf".into()),
        reason: None,
        at: t0(),
        stored_size: Some(10),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    };
    assert!(l.settle(&f, &s).await.unwrap());
    l.get_file(&ann(), &f.id).await.unwrap().unwrap()
}

#[derive(Debug, Clone, Copy)]
enum Path {
    OwnerDelete,
    OwnerPurge,
    JanitorPurge,
    Retention,
    AdminDelete,
    Erasure,
}

/// The file as the path needs it before the hold: in the trash, or due for retention.
async fn prepare(w: &World, path: Path, f: &FileRecord) {
    match path {
        Path::OwnerPurge | Path::JanitorPurge => {
            w.files.delete(&ann(), f.id.as_str()).await.unwrap();
        }
        Path::Retention => {
            let at = dropgate_core::time::rfc3339(t0() + Duration::hours(1));
            w.files
                .set_delete_after(&ann(), f.id.as_str(), Some(&at))
                .await
                .unwrap();
        }
        _ => {}
    }
}

/// Runs the deletion: `Err` is what the caller was answered; `Ok` also when the janitor ran.
async fn run(w: &World, path: Path, f: &FileRecord) -> Result<(), CoreError> {
    let id = f.id.as_str();
    match path {
        Path::OwnerDelete => w.files.delete(&ann(), id).await.map(drop),
        Path::OwnerPurge => w.files.purge(&ann(), id).await.map(drop),
        Path::JanitorPurge | Path::Retention => w.janitor.sweep(100).await.map(drop),
        Path::AdminDelete => w.review.delete_file(&admin(), id).await,
        Path::Erasure => w.eraser.erase_by_admin(&admin(), "u-ann").await.map(drop),
    }
}

fn is_legal_hold(r: &Result<(), CoreError>) -> bool {
    matches!(
        r,
        Err(CoreError::Conflict {
            code: "legal_hold",
            ..
        })
    )
}

#[tokio::test]
async fn a_held_file_survives_every_deletion_path_until_the_hold_is_lifted() {
    use Path::*;
    for path in [
        OwnerDelete,
        OwnerPurge,
        JanitorPurge,
        Retention,
        AdminDelete,
        Erasure,
    ] {
        let w = world();
        let f = accepted(&w, "f-held").await;
        prepare(&w, path, &f).await;
        w.holds
            .place(&admin(), f.id.as_str(), Some("case 2026-114"))
            .await
            .unwrap();
        // Past any trash or retention time.
        w.clock.advance(Duration::days(i64::from(TRASH_DAYS) + 1));
        let r = run(&w, path, &f).await;
        match path {
            JanitorPurge | Retention => assert!(r.is_ok(), "{path:?}: {r:?}"),
            _ => assert!(is_legal_hold(&r), "{path:?}: {r:?}"),
        }
        let kept = w.mem.ledger.get_file(&ann(), &f.id).await.unwrap();
        let kept = kept.unwrap_or_else(|| panic!("{path:?}: the record went"));
        assert!(kept.lifecycle.legal_hold.is_some(), "{path:?}");
        assert!(w.objects.has(&f.key()), "{path:?}: the bytes went");
        assert!(w.mem.ledger.receipts().is_empty(), "{path:?}");
        let deleted = w
            .mem
            .ledger
            .outbox
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.event == EventType::FileDeleted)
            .count();
        assert_eq!(deleted, 0, "{path:?}");
        if let Retention = path {
            assert!(!kept.in_trash(), "retention did not trash it");
        }

        // Lifted: the same path deletes it (the test can fail).
        w.holds.lift(&admin(), f.id.as_str()).await.unwrap();
        if let OwnerPurge | JanitorPurge = path {
            assert!(kept.in_trash(), "{path:?}: still in the trash");
        }
        let r = run(&w, path, &f).await;
        assert!(r.is_ok(), "{path:?} after the lift: {r:?}");
        if let Retention = path {
            // Into the trash, as retention does with an accepted file.
            let trashed = w.mem.ledger.get_file(&ann(), &f.id).await.unwrap().unwrap();
            assert!(trashed.in_trash(), "{path:?}");
        } else if let OwnerDelete = path {
            assert!(w.files.trashed(&ann(), f.id.as_str()).await.is_ok());
        } else {
            assert!(
                w.mem
                    .ledger
                    .get_file(&ann(), &f.id)
                    .await
                    .unwrap()
                    .is_none(),
                "{path:?}"
            );
            assert!(!w.objects.has(&f.key()), "{path:?}");
        }
    }
}

#[tokio::test]
async fn the_owner_sees_the_hold_but_not_why_and_admins_see_both() {
    let w = world();
    let f = accepted(&w, "f-1").await;
    let view = w.files.get(&ann(), "f-1").await.unwrap().view();
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["legal_hold"], false, "always present for the owner");
    assert!(
        serde_json::to_value(f.public_view()).unwrap()["legal_hold"].is_null(),
        "a stranger's view says nothing of it"
    );

    let admin_view = w
        .holds
        .place(&admin(), "f-1", Some("  subpoena 17  "))
        .await
        .unwrap();
    assert!(admin_view.legal_hold);
    assert_eq!(admin_view.hold_reason.as_deref(), Some("subpoena 17"));
    let view = w.files.get(&ann(), "f-1").await.unwrap().view();
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["legal_hold"], true);
    assert!(!json.to_string().contains("subpoena"));
    let listed = w.files.list(&ann(), None, None).await.unwrap();
    assert_eq!(listed.files[0].legal_hold, Some(true));

    let page = w
        .review
        .files(Some("accepted"), Some("u-ann"), None, None, None)
        .await
        .unwrap();
    assert_eq!(page.files[0].hold_reason.as_deref(), Some("subpoena 17"));

    // Audited by id only, the reason kept out.
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.action, "file.legal_hold_placed");
    assert_eq!(e.actor.kind, ActorKind::Admin);
    assert_eq!(
        (e.target.kind.as_str(), e.target.id.as_str()),
        ("file", "f-1")
    );
    assert_eq!(e.detail, serde_json::json!({"owner": "u-ann"}));

    let lifted = w.holds.lift(&admin(), "f-1").await.unwrap();
    assert!(!lifted.legal_hold && lifted.hold_reason.is_none());
    // Lifting again changes nothing and is not audited.
    w.holds.lift(&admin(), "f-1").await.unwrap();
    let events = w.audit.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].action, "file.legal_hold_removed");
    assert_eq!(events[1].detail, serde_json::json!({"owner": "u-ann"}));
}

#[tokio::test]
async fn a_hold_needs_a_reason_a_known_file_and_bytes_to_keep() {
    let w = world();
    accepted(&w, "f-1").await;
    for bad in [None, Some(""), Some("  ")] {
        let e = w.holds.place(&admin(), "f-1", bad).await.unwrap_err();
        assert!(
            matches!(
                e,
                CoreError::Invalid {
                    code: "invalid_reason",
                    ..
                }
            ),
            "{bad:?}: {e:?}"
        );
    }
    for id in ["f-404", "../x"] {
        let e = w.holds.place(&admin(), id, Some("r")).await.unwrap_err();
        assert_eq!(e.kind(), dropgate_core::ErrorKind::NotFound, "{id}");
        let e = w.holds.lift(&admin(), id).await.unwrap_err();
        assert_eq!(e.kind(), dropgate_core::ErrorKind::NotFound, "{id}");
    }
    let pending = FileRecord::pending(
        FileId::parse("f-p").unwrap(),
        ann(),
        "p.pdf".into(),
        10,
        "application/pdf".into(),
        t0(),
        std::time::Duration::from_secs(600),
    );
    w.mem
        .ledger
        .create_pending(&pending, 1 << 20)
        .await
        .unwrap();
    let e = w.holds.place(&admin(), "f-p", Some("r")).await.unwrap_err();
    assert!(matches!(
        e,
        CoreError::Conflict {
            code: "not_holdable",
            ..
        }
    ));
    assert!(w.audit.events().is_empty());
}

#[tokio::test]
async fn a_held_file_in_the_trash_can_be_restored_and_stays_held() {
    let w = world();
    accepted(&w, "f-1").await;
    w.files.delete(&ann(), "f-1").await.unwrap();
    let held = w.holds.place(&admin(), "f-1", Some("r")).await.unwrap();
    assert!(held.legal_hold);
    let trash = w.files.trash(&ann(), None, None).await.unwrap();
    assert_eq!(trash.files[0].legal_hold, Some(true));
    let restored = w.files.restore(&ann(), "f-1").await.unwrap();
    assert!(restored.lifecycle.legal_hold.is_some());
    let e = w.files.delete(&ann(), "f-1").await.unwrap_err();
    assert!(matches!(
        e,
        CoreError::Conflict {
            code: "legal_hold",
            ..
        }
    ));
}

#[tokio::test]
async fn a_held_files_versions_are_neither_removed_nor_pruned() {
    use dropgate_core::versions::{
        VersionLedger, VersionOf, VersionReservation, prune_after, remove_one,
    };
    let w = world();
    let f = accepted(&w, "f-vers").await;
    let l = &w.mem.ledger;
    // Version 2, accepted: it becomes current, version 1 is kept.
    let mut v2 = FileRecord::pending(
        FileId::parse("f-vers-2").unwrap(),
        ann(),
        f.name.clone(),
        10,
        "application/pdf".into(),
        t0(),
        std::time::Duration::from_secs(600),
    );
    v2.versioning.of = Some(VersionOf {
        file: f.id.clone(),
        n: f.versioning.head.next_n(),
    });
    assert_eq!(
        l.create_version(&f, &v2, 1 << 20).await.unwrap(),
        VersionReservation::Reserved
    );
    let s = Settlement {
        status: FileStatus::Accepted,
        detected_type: Some("application/pdf".into()),
        reason: None,
        at: t0(),
        stored_size: Some(10),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    };
    assert!(l.settle(&v2, &s).await.unwrap());
    w.objects.put(&v2.key(), vec![2; 10]);
    let v2 = l.get_file(&ann(), &v2.id).await.unwrap().unwrap();
    w.holds
        .place(&admin(), f.id.as_str(), Some("case 2026-115"))
        .await
        .unwrap();
    let held = l.get_file(&ann(), &f.id).await.unwrap().unwrap();
    // The owner's removal of version 1 is refused; past a limit of one, nothing is pruned.
    let r = remove_one(&**l, &*w.objects, &held, None).await.map(drop);
    assert!(is_legal_hold(&r), "{r:?}");
    let pruned = prune_after(&**l, &**l, &*w.objects, 1, &v2).await.unwrap();
    assert_eq!(pruned, None);
    assert!(w.objects.has(&f.key()), "version 1's bytes went");
    assert!(
        !l.get_file(&ann(), &f.id)
            .await
            .unwrap()
            .unwrap()
            .versioning
            .head
            .first_removed
    );
    // Lifted: the same prune removes version 1 (the test can fail).
    w.holds.lift(&admin(), f.id.as_str()).await.unwrap();
    let pruned = prune_after(&**l, &**l, &*w.objects, 1, &v2).await.unwrap();
    assert_eq!(pruned, Some(1));
    assert!(!w.objects.has(&f.key()));
}

fn placed_hold() -> LegalHold {
    LegalHold {
        reason: "case 2026-201".into(),
        placed_at: t0(),
        placed_by: "u-admin".into(),
    }
}

/// Every path that removes bytes for good, with the trash it runs under (0: a final delete).
const BYTE_PATHS: [(Path, u32); 6] = [
    (Path::OwnerDelete, 0),
    (Path::OwnerPurge, TRASH_DAYS),
    (Path::JanitorPurge, TRASH_DAYS),
    (Path::Retention, 0),
    (Path::AdminDelete, TRASH_DAYS),
    (Path::Erasure, TRASH_DAYS),
];

#[tokio::test]
async fn a_hold_placed_while_the_bytes_go_is_refused_and_the_deletion_finishes() {
    for (path, days) in BYTE_PATHS {
        let w = world_with(days);
        let f = accepted(&w, "f-race").await;
        // The erasure marks a whole page before any bytes go: a hold on the other file is
        // refused too while the first file's bytes go.
        let g = accepted(&w, "f-race2").await;
        prepare(&w, path, &f).await;
        w.clock.advance(Duration::days(i64::from(TRASH_DAYS) + 1));
        let targets = match path {
            Path::Erasure => vec![f.id.clone(), g.id.clone()],
            _ => vec![f.id.clone()],
        };
        let tries = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (ledger, seen) = (w.mem.ledger.clone(), tries.clone());
        *w.objects.before_delete.lock().unwrap() = Some(Arc::new(move |_key: &str| {
            for id in &targets {
                let placed = ledger.hold_now(&ann(), id, &placed_hold());
                seen.lock().unwrap().push(placed);
            }
        }));
        let r = run(&w, path, &f).await;
        assert!(r.is_ok(), "{path:?}: {r:?}");
        let tries = tries.lock().unwrap().clone();
        assert!(!tries.is_empty(), "{path:?}: the hook ran");
        assert!(
            tries.iter().all(|placed| !placed),
            "{path:?}: a hold while the bytes go is refused"
        );
        let left = w.mem.ledger.get_file(&ann(), &f.id).await.unwrap();
        assert!(left.is_none(), "{path:?}: the record went: {left:?}");
        assert!(!w.objects.has(&f.key()), "{path:?}: the bytes went");
        if let Path::Erasure = path {
            assert!(
                w.mem
                    .ledger
                    .get_file(&ann(), &g.id)
                    .await
                    .unwrap()
                    .is_none()
            );
        } else {
            // Not being deleted: the other file takes a hold as ever.
            assert!(w.mem.ledger.hold_now(&ann(), &g.id, &placed_hold()));
        }
    }
}

#[tokio::test]
async fn a_hold_placed_between_the_read_and_the_first_write_keeps_the_file_whole() {
    for (path, days) in BYTE_PATHS {
        let w = world_with(days);
        let f = accepted(&w, "f-race").await;
        prepare(&w, path, &f).await;
        w.clock.advance(Duration::days(i64::from(TRASH_DAYS) + 1));
        let placed = Arc::new(std::sync::Mutex::new(0));
        let (ledger, count, id) = (w.mem.ledger.clone(), placed.clone(), f.id.clone());
        *w.mem.ledger.before_mark.lock().unwrap() = Some(Arc::new(move || {
            if ledger.hold_now(&ann(), &id, &placed_hold()) {
                *count.lock().unwrap() += 1;
            }
        }));
        let r = run(&w, path, &f).await;
        match path {
            Path::JanitorPurge | Path::Retention => assert!(r.is_ok(), "{path:?}: {r:?}"),
            _ => assert!(is_legal_hold(&r), "{path:?}: {r:?}"),
        }
        assert!(
            *placed.lock().unwrap() >= 1,
            "{path:?}: the hold was placed"
        );
        let kept = w.mem.ledger.get_file(&ann(), &f.id).await.unwrap();
        let kept = kept.unwrap_or_else(|| panic!("{path:?}: the record went"));
        assert!(kept.lifecycle.legal_hold.is_some(), "{path:?}");
        assert_eq!(
            kept.lifecycle.deleting_at, None,
            "{path:?}: no deletion began"
        );
        assert!(w.objects.has(&f.key()), "{path:?}: the bytes are kept");
        assert!(w.mem.ledger.receipts().is_empty(), "{path:?}");
    }
}

#[tokio::test]
async fn an_erasure_cut_short_after_the_mark_finds_the_bytes_again_and_no_hold_lands_meanwhile() {
    let w = world();
    let f = accepted(&w, "f-cut").await;
    // The bytes' removal fails once: the erasure answers 503 with the record marked.
    w.objects.failing_deletes.lock().unwrap().insert(f.key());
    let r = run(&w, Path::Erasure, &f).await;
    assert!(r.is_err(), "{r:?}");
    let marked = w.mem.ledger.get_file(&ann(), &f.id).await.unwrap().unwrap();
    assert!(marked.lifecycle.deleting_at.is_some());
    assert!(w.objects.has(&f.key()));
    // Being deleted: an admin's hold is refused (its bytes may be going).
    let refused = w.holds.place(&admin(), f.id.as_str(), Some("late")).await;
    assert!(
        matches!(
            refused,
            Err(CoreError::Conflict {
                code: "not_holdable",
                ..
            })
        ),
        "{refused:?}"
    );
    w.objects.failing_deletes.lock().unwrap().clear();
    run(&w, Path::Erasure, &f).await.unwrap();
    assert!(!w.objects.has(&f.key()), "the next call found the bytes");
    assert!(
        w.mem
            .ledger
            .get_file(&ann(), &f.id)
            .await
            .unwrap()
            .is_none()
    );
}
