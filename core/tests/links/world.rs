//! The shared world of the upload-link tests: the services over the in-memory fakes, the
//! settings, and the helpers every section uses.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::fakes::{FixedClock, MemCounters, MemLedger, MemStore, SeqIds};
use dropgate_core::files::{FileLookup, Uploader};
use dropgate_core::janitor::Janitor;
use dropgate_core::links::{DropService, DropUpload, DroppedFile, Link, LinkService, NewLink};
use dropgate_core::pipeline::{Decision, ObjectEvent, Pipeline};
use dropgate_core::ratelimit::RateLimiter;
use dropgate_core::{CoreError, ErrorKind, FileId, FileRecord, OwnerId, Settings};

pub const BASE: &str = "https://drop.example.org";
pub const QUOTA: u64 = 10_000;
pub const MAX_FILE: u64 = 1_000;
pub const OWNER_EMAIL: &str = "owner@example.org";
/// The stranger's address, as the edge passes it.
pub const SRC: &str = "203.0.113.9";

pub struct World {
    pub links: LinkService,
    pub drops: DropService,
    pub pipeline: Pipeline,
    pub janitor: Janitor,
    pub ledger: Arc<MemLedger>,
    pub store: Arc<MemStore>,
    pub clock: Arc<FixedClock>,
    /// The owners' settings (their default retention reaches their drops).
    pub profiles: Arc<dropgate_core::fakes::MemProfiles>,
    /// Owners' standing: a test stops an account here.
    pub standing: Arc<dropgate_core::fakes::MemStanding>,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

/// Upload URLs live 10 minutes, pending files get 5 more; failed lookups are limited so
/// loosely that only the rate-limit tests meet the limit.
pub fn settings() -> Settings {
    Settings {
        max_file_size: MAX_FILE,
        quota_bytes: QUOTA,
        upload_url_ttl: Duration::from_secs(10 * 60),
        pending_grace: Duration::from_secs(5 * 60),
        public_base_url: BASE.to_owned(),
        lookup_failure_limit: 1_000,
        lookup_failure_window: Duration::from_secs(600),
        ..Settings::default().without_scanning()
    }
}

pub fn world_with(settings: Settings) -> World {
    let ledger = Arc::new(MemLedger::default());
    let standing = Arc::new(dropgate_core::fakes::MemStanding::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(t0()));
    // One id source for both services: link tokens and receipts never collide.
    let ids = Arc::new(SeqIds::default());
    let profiles = Arc::new(dropgate_core::fakes::MemProfiles::default());
    let limiter = RateLimiter {
        counters: Arc::new(MemCounters::default()),
        clock: clock.clone(),
        scope: "drop",
        limit: settings.lookup_failure_limit,
        window: settings.lookup_failure_window,
    };
    World {
        links: LinkService {
            links: ledger.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            sealer: Arc::new(dropgate_core::fakes::MemSealer::default()),
            settings: settings.clone(),
        },
        drops: DropService {
            links: ledger.clone(),
            ledger: ledger.clone(),
            multipart: dropgate_core::fakes::multiparts(&store, &settings),
            clock: clock.clone(),
            ids,
            settings: settings.clone(),
            limiter,
            profiles: profiles.clone(),
            standing: standing.clone(),
        },
        pipeline: Pipeline {
            ledger: ledger.clone(),
            store: store.clone(),
            clock: clock.clone(),
            standing: standing.clone(),
            settings: settings.clone(),
        },
        janitor: Janitor {
            ledger: ledger.clone(),
            store: store.clone(),
            multipart: store.clone(),
            clock: clock.clone(),
            settings,
        },
        ledger,
        store,
        clock,
        profiles,
        standing,
    }
}

pub fn world() -> World {
    world_with(settings())
}

pub fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

pub fn other() -> OwnerId {
    OwnerId::parse("owner-2").unwrap()
}

pub fn new_link(label: &str) -> NewLink {
    NewLink {
        label: label.to_owned(),
        ..NewLink::default()
    }
}

pub fn types(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

/// A link's list as stored and shown.
pub fn only(list: &[&str]) -> dropgate_core::allowed::TypePolicy {
    dropgate_core::allowed::TypePolicy::only(list)
}

/// Creates a link of the owner's; returns its token and id.
pub async fn link(w: &World, req: NewLink) -> (String, String) {
    let c = w
        .links
        .create(&owner(), Some(OWNER_EMAIL.to_owned()), &req)
        .await
        .unwrap();
    (c.link.token.unwrap(), c.link.id)
}

pub fn upload(name: &str, size: u64, content_type: &str) -> DropUpload {
    DropUpload {
        name: name.to_owned(),
        size,
        content_type: content_type.to_owned(),
        uploader: None,
    }
}

pub fn by(name: &str, size: u64, content_type: &str, uploader: &str) -> DropUpload {
    DropUpload {
        uploader: Some(Uploader {
            name: Some(uploader.to_owned()),
            email: None,
            note: None,
        }),
        ..upload(name, size, content_type)
    }
}

pub async fn drop_file(w: &World, token: &str, req: DropUpload) -> Result<DroppedFile, CoreError> {
    w.drops.upload(token, SRC, req).await
}

/// The link as the owner's store holds it now.
pub async fn stored(w: &World, id: &str) -> Link {
    w.links.get(&owner(), id).await.unwrap()
}

/// The link's counters: (uploads_used, bytes_used).
pub async fn used(w: &World, id: &str) -> (u32, u64) {
    let l = stored(w, id).await;
    (l.uploads_used, l.bytes_used)
}

/// The owner's quota: (used, reserved, files).
pub async fn usage(w: &World) -> (u64, u64, u64) {
    let u = w.ledger.usage(&owner(), QUOTA).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

pub async fn record(w: &World, id: &str) -> FileRecord {
    w.ledger
        .get_file(&owner(), &FileId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
}

pub fn code<T: std::fmt::Debug>(r: Result<T, CoreError>) -> &'static str {
    r.unwrap_err().code()
}

pub fn kind<T: std::fmt::Debug>(r: Result<T, CoreError>) -> (&'static str, ErrorKind) {
    let e = r.unwrap_err();
    (e.code(), e.kind())
}

pub fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec();
    v.resize(len, b' ');
    v
}

pub fn elf(len: usize) -> Vec<u8> {
    let mut v = b"\x7fELF".to_vec();
    v.resize(len, 0);
    v
}

pub fn key(file_id: &str) -> String {
    format!("uploads/{file_id}")
}

pub async fn settle(w: &World, file_id: &str, bytes: Vec<u8>) -> Decision {
    w.store.put(&key(file_id), bytes);
    let mut out = w
        .pipeline
        .decide_batch(&[ObjectEvent {
            key: key(file_id),
            ..Default::default()
        }])
        .await;
    out.remove(0).unwrap()
}
