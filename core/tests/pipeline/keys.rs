//! Object keys of both schemes: new files are keyed `uploads/{file}` and found from that key
//! alone; files created before keep `uploads/{owner}/{file}` and are judged under it.

use dropgate_core::files::OwnerLedger;
use dropgate_core::keys::KeyScheme;
use dropgate_core::pipeline::Decision;
use dropgate_core::{FileId, FileRecord, FileStatus};

use crate::world::*;

#[tokio::test]
async fn a_new_file_is_keyed_without_its_owner_and_judged_from_that_key() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    assert_eq!(up.key, format!("uploads/{}", up.id));
    assert!(!up.key.contains(owner().as_str()));
    let d = decide(&w, &up.key).await;
    let file = settled_file(&d).expect("settled");
    assert_eq!((&file.owner, file.status), (&owner(), FileStatus::Accepted));
    assert_eq!(usage(&w).await, (300, 0, 1));
}

#[tokio::test]
async fn a_legacy_keyed_file_is_judged_under_its_old_key() {
    let w = world();
    let id = FileId::parse("f0000000042").unwrap();
    let legacy = FileRecord {
        key_scheme: KeyScheme::Owner,
        scan: None,
        scan_started_at: None,
        lifecycle: Default::default(),
        versioning: Default::default(),
        ..FileRecord::pending(
            id.clone(),
            owner(),
            "old.png".into(),
            300,
            "image/png".into(),
            t0(),
            std::time::Duration::from_secs(900),
        )
    };
    w.ledger.create_pending(&legacy, 1 << 40).await.unwrap();
    let key = format!("uploads/owner-1/{id}");
    assert_eq!(legacy.key(), key);
    w.store.put(&key, png());
    // The owner-free form of its id is nobody's object: removed, the record untouched.
    let stray = format!("uploads/{id}");
    w.store.put(&stray, png());
    let d = decide(&w, &stray).await;
    assert_eq!(
        d,
        Decision::Orphan {
            owner: None,
            id: id.clone()
        }
    );
    assert!(!w.store.has(&stray) && w.store.has(&key));
    assert_eq!(record(&w, &id).await.status, FileStatus::Pending);
    let d = decide(&w, &key).await;
    assert_eq!(
        settled_file(&d).map(|f| f.status),
        Some(FileStatus::Accepted)
    );
    assert_eq!(record(&w, &id).await.key_scheme, KeyScheme::Owner);
}

#[tokio::test]
async fn a_new_file_is_not_found_under_a_legacy_shaped_key() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let forged = format!("uploads/owner-1/{}", up.id);
    w.store.put(&forged, png());
    let d = decide(&w, &forged).await;
    assert!(
        matches!(&d, Decision::Orphan { owner: Some(o), id } if o == &owner() && id == &up.id),
        "{d:?}"
    );
    assert!(!w.store.has(&forged) && w.store.has(&up.key));
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Pending);
}
