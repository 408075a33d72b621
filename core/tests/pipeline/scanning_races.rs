//! The gate against time and races: the scan that never answers, two events for one object in
//! one batch, a result that lands between the type verdict's read and its move.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use dropgate_core::fakes::{MemLedger, etag_of};
use dropgate_core::files::{FileLookup, PipelineLedger, Settlement, Settling};
use dropgate_core::janitor::Janitor;
use dropgate_core::keys::UploadKey;
use dropgate_core::notify::EventType;
use dropgate_core::pipeline::{ObjectEvent, Pipeline};
use dropgate_core::scan::{ScanOutcome, ScanRecord};
use dropgate_core::settings::UnscannablePolicy;
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus, OwnerId};

use crate::scanning::*;
use crate::world::*;

fn janitor(w: &World) -> Janitor {
    Janitor {
        ledger: w.ledger.clone(),
        store: w.store.clone(),
        multipart: w.store.clone(),
        clock: w.clock.clone(),
        settings: w.pipeline.settings.clone(),
    }
}

#[tokio::test]
async fn a_scan_that_never_answers_ends_rejected_scan_timeout() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    decide(&w, &up.key).await;
    // Within the timeout (900 s, and exactly at it) nothing happens.
    w.clock.advance(chrono::Duration::seconds(900));
    let sweep = janitor(&w).sweep(100).await.unwrap();
    assert!(sweep.timed_out.is_empty());
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Scanning);

    w.clock.advance(chrono::Duration::seconds(1));
    let sweep = janitor(&w).sweep(100).await.unwrap();
    assert_eq!(sweep.timed_out.len(), 1);
    assert_eq!(sweep.failed, 0);
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Rejected);
    assert_eq!(rec.reason.as_deref(), Some("scan_timeout"));
    assert_eq!(
        rec.view().scan.status,
        dropgate_core::scan::ScanStatus::Timeout
    );
    assert!(!w.store.has(&up.key));
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(
        announced(&w),
        vec![(EventType::UploadRejected, Some("scan_timeout".into()))]
    );
    // A result that comes after changes nothing; nor does the next sweep.
    scan(&w, &[result(&up.key, &png(), ScanOutcome::Clean)]).await;
    assert!(janitor(&w).sweep(100).await.unwrap().timed_out.is_empty());
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Rejected);
    assert_eq!(announced(&w).len(), 1);
}

#[tokio::test]
async fn two_events_for_one_object_in_one_batch_are_decided_one_after_the_other() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    let event = ObjectEvent {
        key: up.key.clone(),
        size: Some(png().len() as u64),
        etag: Some(etag_of(&png())),
    };
    let out = w.pipeline.decide_batch(&[event.clone(), event]).await;
    assert!(matches!(&out[0], Ok(d) if settled_file(d).is_some()));
    assert!(
        matches!(
            &out[1],
            Ok(dropgate_core::pipeline::Decision::AlreadySettled { .. })
        ),
        "{:?}",
        out[1]
    );
    // The second saw what the first left: its bytes were never read again.
    let once = w.store.bytes_read.load(Ordering::Relaxed);
    assert_eq!(once, png().len() as u64);
    scan(&w, &[result(&up.key, &png(), ScanOutcome::Clean)]).await;
    assert_eq!(announced(&w), vec![(EventType::UploadAccepted, None)]);
}

#[tokio::test]
async fn bytes_replaced_while_scanning_wait_for_their_own_scan() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    decide(&w, &up.key).await;
    let mut other = png();
    other[100] = 9;
    w.store.put(&up.key, other.clone());
    let event = ObjectEvent {
        key: up.key.clone(),
        size: Some(other.len() as u64),
        etag: Some(etag_of(&other)),
    };
    w.pipeline.decide_batch(&[event]).await.remove(0).unwrap();
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Scanning);
    assert_eq!(rec.stored.unwrap().etag, Some(etag_of(&other)));
    // The first bytes' clean result no longer counts.
    scan(&w, &[result(&up.key, &png(), ScanOutcome::Clean)]).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Scanning);
    scan(&w, &[result(&up.key, &other, ScanOutcome::Clean)]).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);
    assert_eq!(announced(&w), vec![(EventType::UploadAccepted, None)]);
}

/// A ledger where a scan result is kept on the record just before the pipeline's settlement,
/// after the pipeline read it: the result that races the type verdict.
struct Racing {
    inner: Arc<MemLedger>,
    early: ScanRecord,
}

#[async_trait]
impl FileLookup for Racing {
    async fn get_file(
        &self,
        owner: &OwnerId,
        id: &FileId,
    ) -> Result<Option<FileRecord>, CoreError> {
        self.inner.get_file(owner, id).await
    }

    async fn usage(
        &self,
        owner: &OwnerId,
        limit: u64,
    ) -> Result<dropgate_core::files::QuotaUsage, CoreError> {
        self.inner.usage(owner, limit).await
    }
}

#[async_trait]
impl Settling for Racing {
    async fn settle(&self, file: &FileRecord, s: &Settlement) -> Result<bool, CoreError> {
        if file.status == FileStatus::Pending {
            assert!(self.inner.record_scan(file, &self.early).await?);
        }
        self.inner.settle(file, s).await
    }
    async fn record_scan(&self, file: &FileRecord, scan: &ScanRecord) -> Result<bool, CoreError> {
        self.inner.record_scan(file, scan).await
    }
    async fn mark_cleaned(&self, file: &FileRecord) -> Result<(), CoreError> {
        self.inner.mark_cleaned(file).await
    }
}

#[async_trait]
impl PipelineLedger for Racing {
    async fn get_files(&self, keys: &[UploadKey]) -> Result<Vec<FileRecord>, CoreError> {
        self.inner.get_files(keys).await
    }
}

#[tokio::test]
async fn a_result_that_lands_during_the_type_verdict_is_applied_by_it() {
    for (outcome, status) in [
        (ScanOutcome::Clean, FileStatus::Accepted),
        (infected(), FileStatus::Rejected),
    ] {
        let w = scanning_world(UnscannablePolicy::Reject);
        let up = uploaded(&w, "image/png", png()).await;
        let racing = Pipeline {
            ledger: Arc::new(Racing {
                inner: w.ledger.clone(),
                early: result(&up.key, &png(), outcome.clone()).record(),
            }),
            ..w.pipeline.clone()
        };
        let d = racing
            .decide_batch(&[ObjectEvent {
                key: up.key.clone(),
                ..Default::default()
            }])
            .await
            .remove(0)
            .unwrap();
        assert_eq!(settled_file(&d).unwrap().status, status, "{outcome:?}");
        assert_eq!(record(&w, &up.id).await.status, status);
        assert_eq!(announced(&w).len(), 1);
        assert_eq!(w.store.has(&up.key), status == FileStatus::Accepted);
    }
}
