//! Events that carry the object's size and ETag: a duplicate for an accepted file costs no
//! read, and replaced bytes are judged again.

use std::sync::atomic::Ordering;

use dropgate_core::FileStatus;
use dropgate_core::pipeline::{Decision, ObjectEvent};
use sha2::Digest;

use crate::world::*;

/// The event S3 sends for the object now at `key` in the fake store (its size and ETag).
fn event_for(w: &World, key: &str) -> ObjectEvent {
    let bytes = w.store.objects.lock().unwrap().get(key).cloned().unwrap();
    ObjectEvent {
        key: key.to_owned(),
        size: Some(bytes.len() as u64),
        etag: Some(hex::encode(&sha2::Sha256::digest(&bytes)[..16])),
    }
}

async fn decide_event(w: &World, e: ObjectEvent) -> Decision {
    w.pipeline.decide_batch(&[e]).await.remove(0).unwrap()
}

#[tokio::test]
async fn a_duplicate_event_for_an_accepted_file_costs_no_read() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let first = event_for(&w, &up.key);
    decide_event(&w, first.clone()).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);
    let read = w.store.bytes_read.load(Ordering::Relaxed);
    let again = decide_event(&w, first).await;
    assert!(
        matches!(again, Decision::AlreadySettled { .. }),
        "{again:?}"
    );
    assert_eq!(
        w.store.bytes_read.load(Ordering::Relaxed),
        read,
        "no S3 read"
    );
}

#[tokio::test]
async fn replaced_bytes_that_no_longer_pass_reject_an_accepted_file() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    decide_event(&w, event_for(&w, &up.key)).await;
    assert_eq!(usage(&w).await, (300, 0, 1));
    // Someone with bucket access overwrites the object with an executable of the same size.
    let mut evil = elf();
    evil.resize(300, 0);
    w.store.put(&up.key, evil);
    let d = decide_event(&w, event_for(&w, &up.key)).await;
    let Decision::Settled { file, .. } = &d else {
        panic!("{d:?}")
    };
    assert_eq!(file.status, FileStatus::Rejected);
    let now = record(&w, &up.id).await;
    assert_eq!(now.status, FileStatus::Rejected);
    assert_eq!(now.reason.as_deref(), Some("content_changed"));
    assert_eq!(usage(&w).await, (0, 0, 0), "its usage is released");
    assert!(!w.store.has(&up.key), "the replaced bytes are removed");
    let entries = w.ledger.outbox.lock().unwrap().clone();
    let last = entries.last().unwrap();
    assert_eq!(last.event, dropgate_core::notify::EventType::UploadRejected);
    assert_eq!(last.file.reason.as_deref(), Some("content_changed"));
    let (_, mail) = notices(&d, t0());
    assert!(
        mail.unwrap().subject.contains("rejected"),
        "the owner is told"
    );
}

#[tokio::test]
async fn replaced_bytes_that_still_pass_change_nothing() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    decide_event(&w, event_for(&w, &up.key)).await;
    let mut other = png();
    other[299] = 7;
    w.store.put(&up.key, other);
    let d = decide_event(&w, event_for(&w, &up.key)).await;
    assert!(matches!(d, Decision::AlreadySettled { .. }), "{d:?}");
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);
    assert_eq!(usage(&w).await, (300, 0, 1));
}
