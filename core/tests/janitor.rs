//! The janitor: stale pending uploads expire, their reservation is released, their object
//! removed; everything else is left alone.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::clock::Clock;
use dropgate_core::files::{FileLookup, NewUpload};
use dropgate_core::janitor::REASON_UPLOAD_TIMEOUT;
use dropgate_core::notify::EventType;
use dropgate_core::pipeline::{Decision, ObjectEvent};
use dropgate_core::{FileId, FileRecord, FileStatus, OwnerId, Settings};

mod common;

type World = common::Lifecycle;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

/// Upload URLs live 10 minutes; pending files get 5 more minutes of grace.
fn world() -> World {
    let settings = Settings {
        upload_url_ttl: Duration::from_secs(10 * 60),
        pending_grace: Duration::from_secs(5 * 60),
        ..Settings::default().without_scanning()
    };
    common::lifecycle(t0(), settings)
}

fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.resize(len, 0);
    v
}

async fn pending(w: &World, size: u64) -> (FileId, String) {
    let c = w
        .files
        .create_upload(
            &owner(),
            NewUpload {
                name: "late.png".into(),
                size,
                content_type: "image/png".into(),
                owner_email: Some("owner@example.org".into()),
            },
        )
        .await
        .unwrap();
    let id = FileId::parse(&c.file.id).unwrap();
    let key = format!("uploads/{id}");
    (id, key)
}

async fn record(w: &World, id: &FileId) -> FileRecord {
    w.ledger.get_file(&owner(), id).await.unwrap().unwrap()
}

async fn usage(w: &World) -> (u64, u64, u64) {
    let u = w.ledger.usage(&owner(), 1 << 40).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

fn minutes(m: i64) -> chrono::Duration {
    chrono::Duration::minutes(m)
}

/// The `upload.expired` notices the sweeps so far announced: the outbox's entries as the
/// notifier would publish them.
fn expiry_notices(w: &World) -> Vec<dropgate_core::notify::Notification> {
    w.ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event == dropgate_core::notify::EventType::UploadExpired)
        .map(dropgate_core::notify::OutboxEntry::notification)
        .collect()
}

#[tokio::test]
async fn a_pending_file_past_its_grace_expires() {
    let w = world();
    let (id, key) = pending(&w, 100).await;
    // The client's PUT landed but its event was lost: the janitor must clean up the bytes too.
    w.store.put(&key, png(100));
    assert_eq!(usage(&w).await, (0, 100, 1));

    w.clock.advance(minutes(15) + chrono::Duration::seconds(1));
    let sweep = w.janitor.sweep(100).await.unwrap();

    assert_eq!(sweep.failed, 0);
    assert_eq!(sweep.expired.len(), 1);
    assert_eq!(sweep.expired[0].id, id);
    assert_eq!(sweep.expired[0].status, FileStatus::Expired);
    assert_eq!(
        sweep.expired[0].reason.as_deref(),
        Some(REASON_UPLOAD_TIMEOUT)
    );

    let rec = record(&w, &id).await;
    assert_eq!(rec.status, FileStatus::Expired);
    assert_eq!(rec.reason.as_deref(), Some("upload_timeout"));
    assert_eq!(usage(&w).await, (0, 0, 0), "reservation released");
    assert!(!w.store.has(&key), "object removed");
    assert_eq!(
        w.ledger.log.lock().unwrap().clone(),
        vec![(id.clone(), FileStatus::Expired)]
    );

    let sent = expiry_notices(&w);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event_type, EventType::UploadExpired);
    assert_eq!(sent[0].file.as_ref().unwrap().id, id.to_string());
    assert_eq!(sent[0].reason.as_deref(), Some("upload_timeout"));
    assert_eq!(sent[0].at, "2026-11-22T10:15:01.000Z");
    assert_eq!(
        sent[0].attributes()[0],
        ("event_type", "upload.expired".to_owned())
    );

    // A second sweep finds nothing more to do.
    w.clock.advance(minutes(60));
    let again = w.janitor.sweep(100).await.unwrap();
    assert!(again.expired.is_empty());
    assert_eq!(expiry_notices(&w).len(), 1);
    assert_eq!(w.ledger.log.lock().unwrap().len(), 1);
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_pending_file_without_an_object_expires_too() {
    let w = world();
    let (id, key) = pending(&w, 100).await;
    w.clock.advance(minutes(16));
    let sweep = w.janitor.sweep(10).await.unwrap();
    assert_eq!(sweep.expired.len(), 1);
    assert_eq!(record(&w, &id).await.status, FileStatus::Expired);
    assert!(!w.store.has(&key));
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_pending_file_within_its_grace_is_untouched() {
    let w = world();
    let (id, key) = pending(&w, 100).await;
    w.store.put(&key, png(100));
    for step in [minutes(9), minutes(1), minutes(4), minutes(1)] {
        // t0+9m (URL alive), +10m (URL just expired), +14m, +15m (exactly the grace).
        w.clock.advance(step);
        let sweep = w.janitor.sweep(100).await.unwrap();
        assert!(sweep.expired.is_empty(), "at {}", w.clock.now());
        assert_eq!(sweep.failed, 0);
        assert_eq!(record(&w, &id).await.status, FileStatus::Pending);
        assert!(w.store.has(&key));
        assert_eq!(usage(&w).await, (0, 100, 1));
    }
    assert!(expiry_notices(&w).is_empty());
    assert!(w.ledger.log.lock().unwrap().is_empty());

    // One second more and it goes.
    w.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(w.janitor.sweep(100).await.unwrap().expired.len(), 1);
}

#[tokio::test]
async fn settled_files_are_untouched() {
    let w = world();
    let (accepted, accepted_key) = pending(&w, 100).await;
    w.store.put(&accepted_key, png(100));
    let (rejected, rejected_key) = pending(&w, 50).await;
    w.store.put(&rejected_key, png(49)); // size mismatch -> rejected
    let out = w
        .pipeline
        .decide_batch(&[
            ObjectEvent {
                key: accepted_key.clone(),
                ..Default::default()
            },
            ObjectEvent {
                key: rejected_key.clone(),
                ..Default::default()
            },
        ])
        .await;
    assert!(matches!(out[0], Ok(Decision::Settled { .. })));
    assert!(matches!(out[1], Ok(Decision::Settled { .. })));
    assert_eq!(usage(&w).await, (100, 0, 1));

    w.clock.advance(minutes(24 * 60));
    let sweep = w.janitor.sweep(100).await.unwrap();
    assert!(sweep.expired.is_empty());
    assert_eq!(sweep.failed, 0);
    assert_eq!(record(&w, &accepted).await.status, FileStatus::Accepted);
    assert_eq!(record(&w, &rejected).await.status, FileStatus::Rejected);
    assert!(w.store.has(&accepted_key), "accepted bytes must stay");
    assert_eq!(usage(&w).await, (100, 0, 1));
    assert!(expiry_notices(&w).is_empty());
    assert_eq!(w.ledger.log.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn only_stale_files_expire_and_the_limit_bounds_a_run() {
    let w = world();
    let mut old = Vec::new();
    for _ in 0..3 {
        old.push(pending(&w, 10).await.0);
    }
    w.clock.advance(minutes(10));
    let (fresh, _) = pending(&w, 20).await;
    // The old ones are 5m + 1s past their grace, the fresh one is at its URL's expiry.
    w.clock.advance(minutes(5) + chrono::Duration::seconds(1));

    let first = w.janitor.sweep(2).await.unwrap();
    assert_eq!(first.expired.len(), 2);
    let second = w.janitor.sweep(2).await.unwrap();
    assert_eq!(second.expired.len(), 1);
    let third = w.janitor.sweep(2).await.unwrap();
    assert!(third.expired.is_empty());

    let mut swept: Vec<FileId> = first
        .expired
        .iter()
        .chain(&second.expired)
        .map(|f| f.id.clone())
        .collect();
    swept.sort();
    assert_eq!(swept, old);
    for id in &old {
        assert_eq!(record(&w, id).await.status, FileStatus::Expired);
    }
    assert_eq!(record(&w, &fresh).await.status, FileStatus::Pending);
    assert_eq!(usage(&w).await, (0, 20, 1));
    let sent = expiry_notices(&w);
    assert_eq!(sent.len(), 3);
    assert!(
        sent.iter()
            .all(|n| n.event_type == EventType::UploadExpired)
    );
}

#[tokio::test]
async fn a_late_event_after_expiry_changes_nothing() {
    let w = world();
    let (id, key) = pending(&w, 100).await;
    w.clock.advance(minutes(20));
    assert_eq!(w.janitor.sweep(10).await.unwrap().expired.len(), 1);
    // The event of an object that arrived just before the janitor deleted it.
    let out = w
        .pipeline
        .decide_batch(&[ObjectEvent {
            key: key.clone(),
            ..Default::default()
        }])
        .await;
    assert!(
        matches!(&out[0], Ok(Decision::AlreadySettled { file }) if file.status == FileStatus::Expired),
        "{out:?}"
    );
    assert_eq!(record(&w, &id).await.status, FileStatus::Expired);
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(w.ledger.log.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_object_that_lands_after_expiry_is_removed() {
    let w = world();
    let (_, key) = pending(&w, 100).await;
    w.clock.advance(minutes(20));
    assert_eq!(w.janitor.sweep(10).await.unwrap().expired.len(), 1);
    // A slow PUT signed before the URL expired completes after the janitor's sweep.
    w.store.put(&key, png(100));
    let out = w
        .pipeline
        .decide_batch(&[ObjectEvent {
            key: key.clone(),
            ..Default::default()
        }])
        .await;
    assert!(
        matches!(&out[0], Ok(Decision::AlreadySettled { .. })),
        "{out:?}"
    );
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert!(
        !w.store.has(&key),
        "an object whose record is expired holds no quota and must be removed"
    );
}

#[tokio::test]
async fn a_failed_object_removal_is_retried_by_the_next_sweep() {
    let w = world();
    let janitor = w.janitor.clone();
    let (id, key) = pending(&w, 100).await;
    w.store.put(&key, png(100));
    w.store.failing_deletes.lock().unwrap().insert(key.clone());
    w.clock.advance(minutes(20));

    let first = janitor.sweep(10).await.unwrap();
    assert_eq!(first.failed, 1, "the failure is reported");
    assert_eq!(first.expired.len(), 1, "the expiry itself stands");
    assert!(w.store.has(&key));

    // S3 recovers; the next run's cleanup pass finishes the removal.
    w.store.failing_deletes.lock().unwrap().clear();
    w.clock.advance(minutes(5));
    let second = janitor.sweep(10).await.unwrap();
    assert_eq!((second.cleaned, second.failed), (1, 0));
    assert_eq!(record(&w, &id).await.status, FileStatus::Expired);
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert!(
        !w.store.has(&key),
        "the stale object must be removed eventually"
    );
    let sent = expiry_notices(&w);
    assert_eq!(sent.len(), 1, "upload.expired is published once");
    assert_eq!(sent[0].event_type, EventType::UploadExpired);
}
