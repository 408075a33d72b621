//! Concurrency: concurrent deliveries, deletes racing the pipeline, batches decided together.

use std::sync::Arc;

use dropgate_core::FileStatus;
use dropgate_core::fakes::MemStore;
use dropgate_core::files::FileLookup;
use dropgate_core::pipeline::{Decision, ObjectEvent, Pipeline};

use crate::world::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_deliveries_of_one_event_settle_once() {
    for (bytes, expected) in [(png(), (300, 0, 1)), (elf(), (0, 0, 0))] {
        let w = world();
        let up = uploaded(&w, "image/png", bytes).await;
        let pipeline = Arc::new(w.pipeline.clone());
        let barrier = Arc::new(tokio::sync::Barrier::new(10));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let p = pipeline.clone();
            let b = barrier.clone();
            let key = up.key.clone();
            tasks.push(tokio::spawn(async move {
                b.wait().await;
                p.decide_batch(&[ObjectEvent {
                    key,
                    ..Default::default()
                }])
                .await
                .remove(0)
            }));
        }
        let mut settled = 0;
        let mut noticed = 0;
        for t in tasks {
            let d = t.await.unwrap().unwrap();
            if matches!(d, Decision::Settled { .. }) {
                settled += 1;
            }
            if notices(&d, t0()).0.is_some() {
                noticed += 1;
            }
        }
        assert_eq!(settled, 1);
        assert_eq!(noticed, 1);
        assert_eq!(log(&w).len(), 1);
        assert_eq!(usage(&w).await, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_racing_the_pipeline_leaves_nothing_behind() {
    for _ in 0..50 {
        // A final delete (the trash off): the race is between removal and settlement.
        let w = world_with(dropgate_core::Settings {
            trash_days: 0,
            ..dropgate_core::Settings::default().without_scanning()
        });
        let up = uploaded(&w, "image/png", png()).await;
        let files = Arc::new(w.files.clone());
        let pipeline = Arc::new(w.pipeline.clone());
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let (b1, b2) = (barrier.clone(), barrier);
        let key = up.key.clone();
        let id = up.id.to_string();
        let decide = tokio::spawn(async move {
            b1.wait().await;
            pipeline
                .decide_batch(&[ObjectEvent {
                    key,
                    ..Default::default()
                }])
                .await
                .remove(0)
        });
        let delete = tokio::spawn(async move {
            b2.wait().await;
            files.delete(&owner(), &id).await
        });
        decide.await.unwrap().unwrap();
        delete.await.unwrap().unwrap();
        assert!(w.ledger.get_file(&owner(), &up.id).await.unwrap().is_none());
        assert!(!w.store.has(&up.key));
        assert_eq!(usage(&w).await, (0, 0, 0));
    }
}

/// A store whose ranged reads each wait until `n` of them are in flight at once.
struct Gathering {
    inner: Arc<MemStore>,
    barrier: tokio::sync::Barrier,
}

#[async_trait::async_trait]
impl dropgate_core::objects::ObjectStore for Gathering {
    async fn presign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: std::time::Duration,
    ) -> Result<dropgate_core::objects::PresignedRequest, dropgate_core::CoreError> {
        self.inner.presign_put(key, size, content_type, ttl).await
    }
    async fn presign_get(
        &self,
        key: &str,
        cd: &str,
        ct: &str,
        ttl: std::time::Duration,
    ) -> Result<dropgate_core::objects::PresignedRequest, dropgate_core::CoreError> {
        self.inner.presign_get(key, cd, ct, ttl).await
    }
    async fn sample(
        &self,
        key: &str,
        max: u64,
    ) -> Result<Option<dropgate_core::objects::ObjectSample>, dropgate_core::CoreError> {
        self.barrier.wait().await;
        self.inner.sample(key, max).await
    }
    async fn delete(&self, key: &str) -> Result<(), dropgate_core::CoreError> {
        self.inner.delete(key).await
    }
}

#[tokio::test]
async fn a_batch_is_decided_concurrently_with_results_in_order() {
    let w = world();
    let mut ups = Vec::new();
    for i in 0..10 {
        let bytes = if i % 3 == 0 { elf() } else { png() };
        ups.push(uploaded(&w, "image/png", bytes).await);
    }
    // Each read waits for all ten: a pipeline deciding one object after another never gets
    // past the first, and the bound below turns that into a failure instead of a hang.
    let pipeline = Pipeline {
        store: Arc::new(Gathering {
            inner: w.store.clone(),
            barrier: tokio::sync::Barrier::new(10),
        }),
        ..w.pipeline.clone()
    };
    let events: Vec<ObjectEvent> = ups
        .iter()
        .map(|u| ObjectEvent {
            key: u.key.clone(),
            ..Default::default()
        })
        .collect();
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        pipeline.decide_batch(&events),
    )
    .await
    .expect("the ten reads were in flight together");
    for (i, (d, up)) in out.into_iter().zip(&ups).enumerate() {
        let Decision::Settled { file, .. } = d.unwrap() else {
            panic!("object {i} not settled")
        };
        assert_eq!(file.id, up.id, "results come back in event order");
        let want = if i % 3 == 0 {
            FileStatus::Rejected
        } else {
            FileStatus::Accepted
        };
        assert_eq!(file.status, want, "object {i}");
    }
}
