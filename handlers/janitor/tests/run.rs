//! A janitor run's summary: what it expired, what it cleaned up after an interrupted removal,
//! and what failed, summed over the run's rounds.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use dropgate_core::fakes::{FixedClock, MemLedger, MemStore, SeqIds};
use dropgate_core::files::{FileService, NewUpload};
use dropgate_core::janitor::Janitor;
use dropgate_core::{OwnerId, Settings};
use dropgate_janitor::{Deps, Summary, handle};

#[tokio::test]
async fn a_run_counts_what_it_expired_cleaned_and_failed() {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
    ));
    let settings = Settings {
        upload_url_ttl: Duration::from_secs(10 * 60),
        pending_grace: Duration::from_secs(5 * 60),
        ..Settings::default()
    };
    let files = FileService {
        ledger: ledger.clone(),
        store: store.clone(),
        clock: clock.clone(),
        ids: Arc::new(SeqIds::default()),
        multipart: dropgate_core::fakes::multiparts(&store, &settings),
        settings: settings.clone(),
    };
    let deps = Deps {
        expiries: dropgate_core::expiry::Expiries {
            links: ledger.clone(),
            shares: Arc::new(dropgate_core::fakes::MemShares::default()),
            clock: clock.clone(),
        },
        reminders: dropgate_core::reminders::Reminders {
            ledger: ledger.clone(),
            clock: clock.clone(),
            settings: settings.clone(),
        },
        janitor: Janitor {
            ledger: ledger.clone(),
            store: store.clone(),
            multipart: store.clone(),
            clock: clock.clone(),
            settings,
        },
    };
    let owner = OwnerId::parse("owner-1").unwrap();
    let mut keys = Vec::new();
    for name in ["a.png", "b.png"] {
        let c = files
            .create_upload(
                &owner,
                NewUpload {
                    name: name.into(),
                    size: 100,
                    content_type: "image/png".into(),
                    owner_email: None,
                },
            )
            .await
            .unwrap();
        // The PUTs landed but their events were lost.
        let key = format!("uploads/{}", c.file.id);
        store.put(&key, vec![0; 100]);
        keys.push(key);
    }
    // S3 refuses to remove the first file's bytes.
    store
        .failing_deletes
        .lock()
        .unwrap()
        .insert(keys[0].clone());
    clock.advance(chrono::Duration::minutes(20));

    let run = |deps| handle(serde_json::json!({}), deps);
    assert_eq!(
        run(&deps).await.unwrap(),
        Summary {
            expired: 2,
            scan_timeouts: 0,
            purged: 0,
            retained: 0,
            cleaned: 0,
            finished: 0,
            failed: 1,
            reminded: 0,
            expiries_announced: 0,
        }
    );
    assert!(store.has(&keys[0]) && !store.has(&keys[1]));

    // S3 recovers: the next run finishes the interrupted removal, and says so.
    store.failing_deletes.lock().unwrap().clear();
    assert_eq!(
        run(&deps).await.unwrap(),
        Summary {
            expired: 0,
            scan_timeouts: 0,
            purged: 0,
            retained: 0,
            cleaned: 1,
            finished: 0,
            failed: 0,
            reminded: 0,
            expiries_announced: 0,
        }
    );
    assert!(!store.has(&keys[0]));

    assert_eq!(run(&deps).await.unwrap(), Summary::default());
}
