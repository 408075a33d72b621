//! Retention: a file's own `delete_after` (at creation or set later), over its owner's
//! default; checked times; the janitor deletes what is due (through the trash while it is on),
//! not a second early, with a retention receipt and notice, and retries what failed.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dropgate_core::fakes::etag_of;
use dropgate_core::files::{FileLookup, NewUpload, RetentionAsk};
use dropgate_core::lifecycle::{DeletedBy, DeletionReason};
use dropgate_core::notify::EventType;
use dropgate_core::pipeline::ObjectEvent;
use dropgate_core::time::rfc3339;
use dropgate_core::{CoreError, FileId, OwnerId};

mod common;

type World = common::Lifecycle;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn world() -> World {
    world_with(7)
}

fn world_with(trash_days: u32) -> World {
    common::lifecycle(t0(), common::trash_days(trash_days))
}

fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.resize(len, 0);
    v
}

/// An accepted file to be deleted `after` from now.
async fn accepted(w: &World, after: Duration) -> FileId {
    let id = create(
        w,
        RetentionAsk {
            delete_after: Some(rfc3339(w.clock_now() + after)),
            owner_days: None,
        },
    )
    .await
    .unwrap();
    let key = format!("uploads/{id}");
    let bytes = png(10);
    let etag = etag_of(&bytes);
    w.store.put(&key, bytes);
    let d = w
        .pipeline
        .decide_batch(&[ObjectEvent {
            key,
            size: Some(10),
            etag: Some(etag),
        }])
        .await;
    assert!(d[0].is_ok());
    id
}

impl World {
    fn clock_now(&self) -> DateTime<Utc> {
        use dropgate_core::clock::Clock;
        self.clock.now()
    }

    fn retention_notices(&self) -> Vec<Option<String>> {
        self.ledger
            .outbox
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.event == EventType::FileDeleted)
            .map(|e| e.file.reason.clone())
            .collect()
    }

    async fn receipts(&self) -> Vec<(String, DeletionReason, DeletedBy)> {
        let page = self.files.receipts(&owner(), None, None).await.unwrap();
        page.receipts
            .into_iter()
            .map(|r| (r.file_id, r.reason, r.deleted_by))
            .collect()
    }
}

fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

fn upload() -> NewUpload {
    NewUpload {
        name: "scan.png".into(),
        size: 10,
        content_type: "image/png".into(),
        owner_email: None,
    }
}

async fn create(w: &World, ask: RetentionAsk) -> Result<FileId, CoreError> {
    let c = w.files.create_retained(&owner(), upload(), ask).await?;
    Ok(FileId::parse(&c.file.id).unwrap())
}

async fn stored(w: &World, id: &FileId) -> Option<DateTime<Utc>> {
    let f = w.ledger.get_file(&owner(), id).await.unwrap().unwrap();
    f.lifecycle.delete_after
}

fn code(e: CoreError) -> &'static str {
    match e {
        CoreError::Invalid { code, .. } => code,
        e => panic!("not invalid: {e:?}"),
    }
}

#[tokio::test]
async fn a_file_keeps_its_own_time_over_its_owners_default() {
    let w = world();
    let own = t0() + Duration::days(2);
    let id = create(
        &w,
        RetentionAsk {
            delete_after: Some(rfc3339(own)),
            owner_days: Some(30),
        },
    )
    .await
    .unwrap();
    assert_eq!(stored(&w, &id).await, Some(own));

    let id = create(
        &w,
        RetentionAsk {
            delete_after: None,
            owner_days: Some(30),
        },
    )
    .await
    .unwrap();
    assert_eq!(stored(&w, &id).await, Some(t0() + Duration::days(30)));

    let id = create(&w, RetentionAsk::default()).await.unwrap();
    assert_eq!(stored(&w, &id).await, None);
    // Every owner view says it, null included.
    let view = w.files.get(&owner(), id.as_str()).await.unwrap().view();
    assert_eq!(
        serde_json::to_value(&view).unwrap()["delete_after"],
        serde_json::Value::Null
    );
    assert!(
        serde_json::to_value(&view)
            .unwrap()
            .as_object()
            .unwrap()
            .contains_key("delete_after")
    );
}

#[tokio::test]
async fn a_time_in_the_past_or_not_a_time_is_refused_and_nothing_is_reserved() {
    let w = world();
    for bad in [
        rfc3339(t0()),
        rfc3339(t0() - Duration::seconds(1)),
        "soon".into(),
    ] {
        let e = create(
            &w,
            RetentionAsk {
                delete_after: Some(bad),
                owner_days: None,
            },
        )
        .await
        .unwrap_err();
        assert_eq!(code(e), "invalid_delete_after");
    }
    assert_eq!(w.ledger.usage(&owner(), 1 << 30).await.unwrap().files, 0);
}

#[tokio::test]
async fn the_owner_sets_changes_and_removes_a_files_time() {
    let w = world();
    let id = create(&w, RetentionAsk::default()).await.unwrap();
    let at = t0() + Duration::hours(5);
    let f = w
        .files
        .set_delete_after(&owner(), id.as_str(), Some(&rfc3339(at)))
        .await
        .unwrap();
    assert_eq!(f.lifecycle.delete_after, Some(at));
    assert_eq!(stored(&w, &id).await, Some(at));
    let e = w
        .files
        .set_delete_after(&owner(), id.as_str(), Some(&rfc3339(t0())))
        .await
        .unwrap_err();
    assert_eq!(code(e), "invalid_delete_after");
    assert_eq!(stored(&w, &id).await, Some(at));
    w.files
        .set_delete_after(&owner(), id.as_str(), None)
        .await
        .unwrap();
    assert_eq!(stored(&w, &id).await, None);
    // Another owner's file is not found.
    let other = OwnerId::parse("owner-2").unwrap();
    let e = w
        .files
        .set_delete_after(&other, id.as_str(), Some(&rfc3339(at)))
        .await
        .unwrap_err();
    assert!(matches!(e, CoreError::NotFound));
    let _ = &w.clock;
}

#[tokio::test]
async fn the_janitor_deletes_at_the_time_not_a_second_before_with_its_receipt() {
    let w = world_with(0);
    let id = accepted(&w, Duration::hours(1)).await;
    w.clock.advance(Duration::hours(1) - Duration::seconds(1));
    let s = w.janitor.sweep(100).await.unwrap();
    assert!(s.retained.is_empty());
    assert!(w.ledger.get_file(&owner(), &id).await.unwrap().is_some());
    w.clock.advance(Duration::seconds(1));
    let s = w.janitor.sweep(100).await.unwrap();
    assert_eq!(s.retained.len(), 1);
    assert!(w.ledger.get_file(&owner(), &id).await.unwrap().is_none());
    assert!(!w.store.has(&format!("uploads/{id}")), "bytes gone");
    assert_eq!(
        w.receipts().await,
        [(
            id.to_string(),
            DeletionReason::Retention,
            DeletedBy::Retention
        )]
    );
    assert_eq!(w.retention_notices(), [Some("retention".to_owned())]);
    assert_eq!(w.ledger.usage(&owner(), 1 << 30).await.unwrap().files, 0);
    // Nothing more on the next run.
    assert!(w.janitor.sweep(100).await.unwrap().retained.is_empty());
}

#[tokio::test]
async fn with_the_trash_on_retention_goes_through_it_and_its_purge_says_retention() {
    let w = world_with(7);
    let kept = accepted(&w, Duration::days(30)).await;
    let id = accepted(&w, Duration::hours(1)).await;
    w.clock.advance(Duration::hours(1));
    let s = w.janitor.sweep(100).await.unwrap();
    assert_eq!(s.retained.len(), 1);
    let trashed = w.files.trashed(&owner(), id.as_str()).await.unwrap();
    assert!(trashed.in_trash());
    assert!(
        w.retention_notices().is_empty(),
        "file.deleted waits for the bytes"
    );
    assert!(w.receipts().await.is_empty());
    // Seven days in the trash, then purged with a retention receipt.
    w.clock.advance(Duration::days(7) + Duration::seconds(1));
    let s = w.janitor.sweep(100).await.unwrap();
    assert_eq!(s.purged.len(), 1);
    assert_eq!(
        w.receipts().await,
        [(
            id.to_string(),
            DeletionReason::Retention,
            DeletedBy::Retention
        )]
    );
    assert_eq!(w.retention_notices(), [Some("retention".to_owned())]);
    assert!(w.ledger.get_file(&owner(), &kept).await.unwrap().is_some());
}

#[tokio::test]
async fn a_restored_file_drops_the_time_that_trashed_it() {
    let w = world_with(7);
    let id = accepted(&w, Duration::hours(1)).await;
    w.clock.advance(Duration::hours(2));
    w.janitor.sweep(100).await.unwrap();
    let back = w.files.restore(&owner(), id.as_str()).await.unwrap();
    assert_eq!(back.lifecycle.delete_after, None);
    assert!(w.janitor.sweep(100).await.unwrap().retained.is_empty());
    assert!(w.files.get(&owner(), id.as_str()).await.is_ok());
}

#[tokio::test]
async fn a_failed_deletion_is_retried_on_the_next_run() {
    let w = world_with(0);
    let id = accepted(&w, Duration::hours(1)).await;
    w.clock.advance(Duration::hours(1));
    let key = format!("uploads/{id}");
    w.store.failing_deletes.lock().unwrap().insert(key.clone());
    let s = w.janitor.sweep(100).await.unwrap();
    assert!(s.retained.is_empty());
    assert_eq!(s.failed, 1);
    assert!(w.ledger.get_file(&owner(), &id).await.unwrap().is_some());
    w.store.failing_deletes.lock().unwrap().remove(&key);
    let s = w.janitor.sweep(100).await.unwrap();
    assert_eq!(s.retained.len(), 1);
    assert!(w.ledger.get_file(&owner(), &id).await.unwrap().is_none());
}
