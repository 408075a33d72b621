//! The worlds the lifecycle tests share, over the fakes: each test file builds the one it needs
//! and keeps its own fixtures. Not every test file uses every item.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dropgate_core::erasure::Eraser;
use dropgate_core::fakes::{
    FixedClock, MemAccountDirectory, MemAudit, MemDirectory, MemErasure, MemLedger, MemMailer,
    MemStanding, MemStore, MemTotp, SeqIds, multiparts,
};
use dropgate_core::files::FileService;
use dropgate_core::holds::Holds;
use dropgate_core::janitor::Janitor;
use dropgate_core::pipeline::Pipeline;
use dropgate_core::review::Review;
use dropgate_core::{OwnerId, Settings};

/// An owner's files, the janitor and the pipeline over one ledger, one store and one clock.
pub struct Lifecycle {
    pub files: FileService,
    pub janitor: Janitor,
    pub pipeline: Pipeline,
    pub ledger: Arc<MemLedger>,
    pub store: Arc<MemStore>,
    pub clock: Arc<FixedClock>,
}

/// The lifecycle world at `start`, with `settings`.
pub fn lifecycle(start: DateTime<Utc>, settings: Settings) -> Lifecycle {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(start));
    let (files, janitor) = owner_and_janitor(&ledger, &store, &clock, &settings);
    Lifecycle {
        files,
        janitor,
        pipeline: Pipeline {
            ledger: ledger.clone(),
            store: store.clone(),
            clock: clock.clone(),
            standing: Arc::new(MemStanding::default()),
            settings,
        },
        ledger,
        store,
        clock,
    }
}

/// The owner's files service and the janitor over one ledger, store and clock.
fn owner_and_janitor(
    ledger: &Arc<MemLedger>,
    store: &Arc<MemStore>,
    clock: &Arc<FixedClock>,
    settings: &Settings,
) -> (FileService, Janitor) {
    let files = FileService {
        ledger: ledger.clone(),
        store: store.clone(),
        clock: clock.clone(),
        ids: Arc::new(SeqIds::default()),
        multipart: multiparts(store, settings),
        settings: settings.clone(),
    };
    let janitor = Janitor {
        ledger: ledger.clone(),
        store: store.clone(),
        multipart: store.clone(),
        clock: clock.clone(),
        settings: settings.clone(),
    };
    (files, janitor)
}

/// Settings with the trash kept `trash_days` and no scanner.
pub fn trash_days(trash_days: u32) -> Settings {
    Settings {
        trash_days,
        ..Settings::default().without_scanning()
    }
}

/// Ann, the owner of the operator's world, and the admin who acts on her files.
pub fn ann() -> OwnerId {
    OwnerId::parse("u-ann").unwrap()
}

pub fn admin() -> OwnerId {
    OwnerId::parse("u-admin").unwrap()
}

pub const ANN_EMAIL: &str = "ann@example.com";

/// Ann's files seen by their owner, the janitor and an operator (review, holds, erasure), over
/// the erasure's fakes: every table an erasure reaches.
pub struct Operated {
    pub files: FileService,
    pub janitor: Janitor,
    pub review: Review,
    pub holds: Holds,
    pub eraser: Eraser,
    pub mem: MemErasure,
    pub objects: Arc<MemStore>,
    pub audit: Arc<MemAudit>,
    /// The user pool's own view of Ann (empty unless `with_account`).
    pub accounts: Arc<MemAccountDirectory>,
    pub clock: Arc<FixedClock>,
}

/// The operated world at `start`, the trash kept `trash_days`; Ann is in the admins'
/// directory, and in the user pool's own view when `with_account`.
pub fn operated(start: DateTime<Utc>, trash_days_kept: u32, with_account: bool) -> Operated {
    let mem = MemErasure::default();
    let ledger = mem.ledger.clone();
    let objects = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(start));
    let audit = Arc::new(MemAudit::default());
    let directory = Arc::new(MemDirectory::default());
    directory.add(ann().as_str(), ANN_EMAIL, start);
    let accounts = Arc::new(MemAccountDirectory::default());
    if with_account {
        accounts.add(&ann(), ANN_EMAIL);
    }
    let settings = trash_days(trash_days_kept);
    let (files, janitor) = owner_and_janitor(&ledger, &objects, &clock, &settings);
    Operated {
        files,
        janitor,
        review: Review {
            store: ledger.clone(),
            directory: directory.clone(),
            objects: objects.clone(),
            multipart: multiparts(&objects, &settings),
            audit: audit.clone(),
            clock: clock.clone(),
        },
        holds: Holds {
            files: ledger.clone(),
            store: ledger.clone(),
            directory: directory.clone(),
            audit: audit.clone(),
            clock: clock.clone(),
        },
        eraser: Eraser {
            store: Arc::new(mem.clone()),
            objects: objects.clone(),
            multipart: objects.clone(),
            directory,
            accounts: accounts.clone(),
            links: ledger.clone(),
            shares: mem.shares.clone(),
            audit: audit.clone(),
            mailer: Arc::new(MemMailer::default()),
            totp: Arc::new(MemTotp::new(clock.clone())),
            clock: clock.clone(),
        },
        mem,
        objects,
        audit,
        accounts,
        clock,
    }
}
