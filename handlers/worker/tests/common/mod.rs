//! The world both worker test suites run in: the handler's dependencies over the in-memory
//! fakes, with the file service that creates the uploads it is given events about.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dropgate_core::fakes::{FixedClock, MemLedger, MemStore, SeqIds};
use dropgate_core::files::{FileLookup, FileService, NewUpload};
use dropgate_core::pipeline::Pipeline;
use dropgate_core::{FileId, FileStatus, OwnerId, Settings};
use dropgate_worker::Deps;

pub const OWNER: &str = "0b5e2f6a-1c1d-4e7e-9a8b-3c2d1e0f9a8b";

pub struct World {
    pub deps: Deps,
    pub files: FileService,
    pub ledger: Arc<MemLedger>,
    pub store: Arc<MemStore>,
    /// What the worker recorded in the audit log (read by the scan tests only).
    #[allow(dead_code)]
    pub audit: Arc<dropgate_core::fakes::MemAudit>,
}

/// A world whose clock stands still at `now`.
pub fn world(now: DateTime<Utc>, settings: Settings) -> World {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(now));
    let files = FileService {
        ledger: ledger.clone(),
        store: store.clone(),
        clock: clock.clone(),
        ids: Arc::new(SeqIds::default()),
        multipart: dropgate_core::fakes::multiparts(&store, &settings),
        settings: settings.clone(),
    };
    let audit = Arc::new(dropgate_core::fakes::MemAudit::default());
    let deps = Deps::of(
        Pipeline {
            ledger: ledger.clone(),
            store: store.clone(),
            clock,
            standing: Arc::new(dropgate_core::fakes::MemStanding::default()),
            settings,
        },
        audit.clone(),
    );
    World {
        deps,
        files,
        ledger,
        store,
        audit,
    }
}

pub fn owner() -> OwnerId {
    OwnerId::parse(OWNER).unwrap()
}

pub fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.resize(len, 0);
    v
}

/// Creates a pending file named `name` and stores `bytes` at its key; returns the id.
pub async fn pending(w: &World, name: &str, declared: &str, bytes: Vec<u8>) -> FileId {
    let c = w
        .files
        .create_upload(
            &owner(),
            NewUpload {
                name: name.into(),
                size: bytes.len() as u64,
                content_type: declared.into(),
                owner_email: Some("alice@example.com".into()),
            },
        )
        .await
        .unwrap();
    let id = FileId::parse(&c.file.id).unwrap();
    w.store.put(&format!("uploads/{id}"), bytes);
    id
}

pub async fn status(w: &World, id: &FileId) -> FileStatus {
    w.ledger
        .get_file(&owner(), id)
        .await
        .unwrap()
        .unwrap()
        .status
}
