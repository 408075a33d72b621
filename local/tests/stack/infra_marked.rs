//! Deletions cut short over DynamoDB and S3 on the emulator: the sparse `deleting-since` index
//! keeps the contract the fake keeps (core/src/contract/marked.rs), and a janitor run
//! (`dropgate_janitor::handle`, its clock fixed) finishes a record marked longer than
//! `DELETION_GRACE` ago, once, and leaves a younger mark and an erasure's.

use std::sync::Arc;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use dropgate_core::erasure::ErasureStore;
use dropgate_core::fakes::FixedClock;
use dropgate_core::files::{FileLookup, OwnerLedger, Purging, Settlement, Settling};
use dropgate_core::janitor::Janitor;
use dropgate_core::lifecycle::{DeletedBy, DeletionReason, DeletionReceipt};
use dropgate_core::objects::ObjectStore;
use dropgate_core::{FileId, FileRecord, FileStatus, OwnerId, Settings};
use dropgate_infra::dynamo::DynamoLedger;

use crate::infra_adapters::{Env, env, ledger, s3_store};
use crate::infra_erasure::erasure;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_marks_keep_the_contract() {
    let e = env().await;
    dropgate_core::contract::marked::check_all(&ledger(&e), &erasure(&e), "ddb", Utc::now()).await;
}

/// An accepted file of `o`, its bytes in the bucket.
async fn accepted(
    e: &Env,
    l: &DynamoLedger,
    o: &OwnerId,
    id: &str,
    now: DateTime<Utc>,
) -> FileRecord {
    let f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        o.clone(),
        format!("{id}.txt"),
        5,
        "text/plain".into(),
        now,
        std::time::Duration::from_secs(600),
    );
    l.create_pending(&f, 1 << 30).await.unwrap();
    e.clients
        .s3()
        .put_object()
        .bucket(&e.r.bucket)
        .key(f.key())
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    let s = Settlement {
        status: FileStatus::Accepted,
        detected_type: Some("text/plain".into()),
        reason: None,
        at: now,
        stored_size: Some(5),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    };
    assert!(l.settle(&f, &s).await.unwrap());
    l.get_file(o, &f.id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_janitor_run_finishes_a_deletion_cut_short_once_its_grace_is_over() {
    let e = env().await;
    let l = Arc::new(ledger(&e));
    let store = Arc::new(s3_store(&e));
    let now = Utc::now()
        .duration_trunc(TimeDelta::milliseconds(1))
        .unwrap();
    let clock = Arc::new(FixedClock::at(now));
    let settings = Settings::default();
    let deps = dropgate_janitor::Deps {
        expiries: dropgate_core::expiry::Expiries {
            links: l.clone(),
            shares: Arc::new(crate::infra_shares::shares(&e)),
            clock: clock.clone(),
        },
        reminders: dropgate_core::reminders::Reminders {
            ledger: l.clone(),
            clock: clock.clone(),
            settings: settings.clone(),
        },
        janitor: Janitor {
            ledger: l.clone(),
            store: store.clone(),
            multipart: store.clone(),
            clock: clock.clone(),
            settings,
        },
    };
    let o = OwnerId::parse("cut-owner").unwrap();
    let old = accepted(&e, &l, &o, "cut-old", now).await;
    let young = accepted(&e, &l, &o, "cut-young", now).await;
    let erased = accepted(&e, &l, &o, "cut-erased", now).await;
    // An admin's delete marked the first and then failed, nobody repeated it; the erasure
    // marked the third (its own resume finishes it).
    let by_admin = DeletionReceipt::of(&old, DeletionReason::Deleted, DeletedBy::Admin, now);
    assert!(l.mark_deleting(&old, &by_admin, now).await.unwrap());
    assert!(erasure(&e).mark_deleting(&erased, now).await.unwrap());
    clock.advance(TimeDelta::minutes(10));
    let later = now + TimeDelta::minutes(10);
    let by_owner = DeletionReceipt::of(&young, DeletionReason::Deleted, DeletedBy::Owner, later);
    assert!(l.mark_deleting(&young, &by_owner, later).await.unwrap());

    let run = || dropgate_janitor::handle(serde_json::json!({}), &deps);
    assert_eq!(
        run().await.unwrap().finished,
        0,
        "every mark within its grace"
    );
    clock.advance(TimeDelta::minutes(6));
    let summary = run().await.unwrap();
    assert_eq!((summary.finished, summary.failed), (1, 0), "{summary:?}");
    assert!(
        l.get_file(&o, &old.id).await.unwrap().is_none(),
        "the record went"
    );
    assert!(
        store.sample(&old.key(), 1).await.unwrap().is_none(),
        "the bytes went"
    );
    for kept in [&young, &erased] {
        assert!(l.get_file(&o, &kept.id).await.unwrap().is_some());
        assert!(store.sample(&kept.key(), 1).await.unwrap().is_some());
    }
    let u = l.usage(&o, 1 << 30).await.unwrap();
    assert_eq!((u.used_bytes, u.files), (10, 2), "released once");
    let receipts = l.list_receipts(&o, 10, None).await.unwrap().receipts;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0].file_id, old.id.as_str());
    assert_eq!(
        (receipts[0].reason, receipts[0].deleted_by),
        (DeletionReason::Deleted, DeletedBy::Admin)
    );

    // The next run: the young mark's grace is over too; the first is not finished twice.
    clock.advance(TimeDelta::minutes(10));
    assert_eq!(run().await.unwrap().finished, 1);
    assert_eq!(run().await.unwrap().finished, 0);
    let receipts = l.list_receipts(&o, 10, None).await.unwrap().receipts;
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    let u = l.usage(&o, 1 << 30).await.unwrap();
    assert_eq!((u.used_bytes, u.files), (5, 1));
    assert!(l.get_file(&o, &erased.id).await.unwrap().is_some());
}
