//! Exactly once: replayed and duplicated events settle a file once.

use dropgate_core::FileStatus;
use dropgate_core::pipeline::{Decision, ObjectEvent};

use crate::world::*;

#[tokio::test]
async fn replayed_events_change_nothing() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    assert!(matches!(
        decide(&w, &up.key).await,
        Decision::Settled { .. }
    ));
    for _ in 0..3 {
        let d = decide(&w, &up.key).await;
        let Decision::AlreadySettled { file } = &d else {
            panic!("expected AlreadySettled, got {d:?}");
        };
        assert_eq!(file.status, FileStatus::Accepted);
        assert_eq!(file.id, up.id);
        assert_eq!(notices(&d, t0()), (None, None));
    }
    assert_eq!(usage(&w).await, (300, 0, 1));
    assert_eq!(log(&w).len(), 1);
}

#[tokio::test]
async fn replayed_events_of_a_rejected_file_change_nothing() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    decide(&w, &up.key).await;
    for _ in 0..3 {
        let d = decide(&w, &up.key).await;
        assert!(
            matches!(&d, Decision::AlreadySettled { file } if file.status == FileStatus::Rejected),
            "{d:?}"
        );
        assert_eq!(notices(&d, t0()), (None, None));
    }
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Rejected)]);
}

#[tokio::test]
async fn an_object_reuploaded_after_rejection_does_not_escape_accounting() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    decide(&w, &up.key).await;
    assert!(!w.store.has(&up.key));
    // The presigned PUT is still valid (15 minutes) and the key is free again, so the
    // client can PUT once more; S3 announces the new object.
    w.store.put(&up.key, elf());
    let d = decide(&w, &up.key).await;
    assert!(matches!(d, Decision::AlreadySettled { .. }), "{d:?}");
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert!(
        !w.store.has(&up.key),
        "an object under uploads/ whose record is rejected holds no quota and must be removed"
    );
}

#[tokio::test]
async fn duplicates_in_one_batch_settle_once() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let ev = ObjectEvent {
        key: up.key.clone(),
        ..Default::default()
    };
    let out = w.pipeline.decide_batch(&[ev.clone(), ev.clone(), ev]).await;
    assert_eq!(out.len(), 3);
    let decisions: Vec<Decision> = out.into_iter().map(Result::unwrap).collect();
    assert!(matches!(decisions[0], Decision::Settled { .. }));
    for d in &decisions[1..] {
        assert!(matches!(d, Decision::AlreadySettled { .. }), "{d:?}");
    }
    let notes = decisions
        .iter()
        .filter(|d| notices(d, t0()).0.is_some())
        .count();
    assert_eq!(notes, 1);
    assert_eq!(usage(&w).await, (300, 0, 1));
    assert_eq!(log(&w).len(), 1);
}

#[tokio::test]
async fn duplicates_of_a_rejected_file_in_one_batch_settle_once() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    let ev = ObjectEvent {
        key: up.key.clone(),
        ..Default::default()
    };
    let out = w.pipeline.decide_batch(&[ev.clone(), ev]).await;
    let decisions: Vec<Decision> = out.into_iter().map(Result::unwrap).collect();
    assert!(matches!(decisions[0], Decision::Settled { .. }));
    assert!(!matches!(decisions[1], Decision::Settled { .. }));
    assert_eq!(notices(&decisions[1], t0()), (None, None));
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(log(&w).len(), 1);
}
