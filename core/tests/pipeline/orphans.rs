//! Not ours, and orphans: keys outside uploads, objects without records, other owners' keys.

use std::sync::atomic::Ordering;

use dropgate_core::pipeline::{Decision, ObjectEvent};
use dropgate_core::policy::{RejectReason, Verdict};
use dropgate_core::{FileId, FileStatus};

use crate::world::*;

#[tokio::test]
async fn keys_outside_uploads_are_ignored() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let keys = [
        "quarantine/owner-1/f0000000001",
        "uploads/",
        "uploads/owner-1/f0000000001 x",
        "uploads/owner-1/f0000000001/extra",
        "uploads//f0000000001",
        "uploads/owner-1/",
        "other/thing.png",
        "",
        "Uploads/owner-1/f0000000001",
        "uploads/owner 1/f0000000001",
        "uploads/owner-1/../f0000000001",
    ];
    for k in keys {
        w.store.put(k, elf());
    }
    let events: Vec<ObjectEvent> = keys
        .iter()
        .map(|k| ObjectEvent {
            key: k.to_string(),
            ..Default::default()
        })
        .collect();
    let out = w.pipeline.decide_batch(&events).await;
    assert_eq!(out.len(), keys.len());
    for (k, d) in keys.iter().zip(out) {
        assert_eq!(d.unwrap(), Decision::Ignored { key: k.to_string() });
        assert!(w.store.has(k), "{k:?} must not be touched");
    }
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Pending);
    assert!(log(&w).is_empty());
    assert_eq!(w.store.bytes_read.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn an_object_without_a_record_is_an_orphan_and_removed() {
    let w = world();
    let key = "uploads/owner-1/f0000000999";
    w.store.put(key, png());
    let d = decide(&w, key).await;
    assert_eq!(
        d,
        Decision::Orphan {
            owner: Some(owner()),
            id: FileId::parse("f0000000999").unwrap()
        }
    );
    assert!(!w.store.has(key));
    assert!(log(&w).is_empty());
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(notices(&d, t0()), (None, None));
}

#[tokio::test]
async fn another_owners_key_does_not_settle_the_real_owners_file() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    // Same file id under another owner's prefix: no such record there.
    let forged = format!("uploads/mallory/{}", up.id);
    w.store.put(&forged, png());
    let d = decide(&w, &forged).await;
    assert!(matches!(d, Decision::Orphan { .. }), "{d:?}");
    assert!(!w.store.has(&forged));
    assert!(w.store.has(&up.key));
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Pending);
}

#[tokio::test]
async fn a_pending_file_whose_object_is_gone_is_left_pending() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    w.store.objects.lock().unwrap().remove(&up.key);
    let d = decide(&w, &up.key).await;
    assert!(matches!(d, Decision::ObjectMissing { .. }), "{d:?}");
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Pending);
    assert_eq!(usage(&w).await, (0, 300, 1));
    assert!(log(&w).is_empty());
}

#[tokio::test]
async fn one_batch_decides_each_event_on_its_own() {
    let w = world();
    let good = uploaded(&w, "image/png", png()).await;
    let bad = uploaded(&w, "image/png", elf()).await;
    let events = [
        ObjectEvent {
            key: "other/x".into(),
            ..Default::default()
        },
        ObjectEvent {
            key: bad.key.clone(),
            ..Default::default()
        },
        ObjectEvent {
            key: "uploads/owner-1/nope".into(),
            ..Default::default()
        },
        ObjectEvent {
            key: good.key.clone(),
            ..Default::default()
        },
    ];
    let out: Vec<Decision> = w
        .pipeline
        .decide_batch(&events)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(matches!(out[0], Decision::Ignored { .. }));
    assert!(matches!(
        &out[1],
        Decision::Settled { verdict: Verdict::Rejected(RejectReason::TypeNotAllowed), file, .. } if file.id == bad.id
    ));
    assert!(matches!(out[2], Decision::Orphan { .. }));
    assert!(matches!(
        &out[3],
        Decision::Settled { verdict: Verdict::Accepted, file, .. } if file.id == good.id
    ));
    assert_eq!(usage(&w).await, (300, 0, 1));
}
