//! Upload links over the in-memory fakes: the owner's side (create, list, read, revoke, the
//! files of a link), the stranger's side (info, drop, receipt), every refusal, atomicity under
//! concurrency, the give-back rule with the owner's mails, and the limit on failed lookups.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::clock::Clock;
use dropgate_core::fakes::{FixedClock, MemCounters, MemLedger, MemStore, SeqIds};
use dropgate_core::files::{FileLookup, OwnerLedger, Uploader};
use dropgate_core::janitor::Janitor;
use dropgate_core::links::{
    DropInfo, DropService, DropUpload, DroppedFile, Link, LinkService, LinkState, LinkStore,
    NewLink, gives_back_on,
};
use dropgate_core::notify::verdict_mails;
use dropgate_core::pipeline::{Decision, ObjectEvent, Pipeline};
use dropgate_core::ratelimit::RateLimiter;
use dropgate_core::{
    CoreError, ErrorKind, FileId, FileRecord, FileStatus, OwnerId, Settings, tokens,
};

const BASE: &str = "https://drop.example.org";
const QUOTA: u64 = 10_000;
const MAX_FILE: u64 = 1_000;
const OWNER_EMAIL: &str = "owner@example.org";
/// The stranger's address, as the edge passes it.
const SRC: &str = "203.0.113.9";

struct World {
    links: LinkService,
    drops: DropService,
    pipeline: Pipeline,
    janitor: Janitor,
    ledger: Arc<MemLedger>,
    store: Arc<MemStore>,
    clock: Arc<FixedClock>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

/// Upload URLs live 10 minutes, pending files get 5 more; failed lookups are limited so
/// loosely that only the rate-limit tests meet the limit.
fn settings() -> Settings {
    Settings {
        max_file_size: MAX_FILE,
        quota_bytes: QUOTA,
        upload_url_ttl: Duration::from_secs(10 * 60),
        pending_grace: Duration::from_secs(5 * 60),
        public_base_url: BASE.to_owned(),
        lookup_failure_limit: 1_000,
        lookup_failure_window: Duration::from_secs(600),
        ..Settings::default()
    }
}

fn world_with(settings: Settings) -> World {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(t0()));
    // One id source for both services: link tokens and receipts never collide.
    let ids = Arc::new(SeqIds::default());
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
        },
        pipeline: Pipeline {
            ledger: ledger.clone(),
            store: store.clone(),
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
        ledger,
        store,
        clock,
    }
}

fn world() -> World {
    world_with(settings())
}

fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

fn other() -> OwnerId {
    OwnerId::parse("owner-2").unwrap()
}

fn new_link(label: &str) -> NewLink {
    NewLink {
        label: label.to_owned(),
        ..NewLink::default()
    }
}

fn types(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

/// Creates a link of the owner's; returns its token and id.
async fn link(w: &World, req: NewLink) -> (String, String) {
    let c = w
        .links
        .create(&owner(), Some(OWNER_EMAIL.to_owned()), &req)
        .await
        .unwrap();
    (c.link.token.unwrap(), c.link.id)
}

fn upload(name: &str, size: u64, content_type: &str) -> DropUpload {
    DropUpload {
        name: name.to_owned(),
        size,
        content_type: content_type.to_owned(),
        uploader: None,
    }
}

fn by(name: &str, size: u64, content_type: &str, uploader: &str) -> DropUpload {
    DropUpload {
        uploader: Some(Uploader {
            name: Some(uploader.to_owned()),
            email: None,
        }),
        ..upload(name, size, content_type)
    }
}

async fn drop_file(w: &World, token: &str, req: DropUpload) -> Result<DroppedFile, CoreError> {
    w.drops.upload(token, SRC, req).await
}

/// The link as the owner's store holds it now.
async fn stored(w: &World, id: &str) -> Link {
    w.links.get(&owner(), id).await.unwrap()
}

/// The link's counters: (uploads_used, bytes_used).
async fn used(w: &World, id: &str) -> (u32, u64) {
    let l = stored(w, id).await;
    (l.uploads_used, l.bytes_used)
}

/// The owner's quota: (used, reserved, files).
async fn usage(w: &World) -> (u64, u64, u64) {
    let u = w.ledger.usage(&owner(), QUOTA).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

async fn record(w: &World, id: &str) -> FileRecord {
    w.ledger
        .get_file(&owner(), &FileId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
}

fn code<T: std::fmt::Debug>(r: Result<T, CoreError>) -> &'static str {
    r.unwrap_err().code()
}

fn kind<T: std::fmt::Debug>(r: Result<T, CoreError>) -> (&'static str, ErrorKind) {
    let e = r.unwrap_err();
    (e.code(), e.kind())
}

fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec();
    v.resize(len, b' ');
    v
}

fn elf(len: usize) -> Vec<u8> {
    let mut v = b"\x7fELF".to_vec();
    v.resize(len, 0);
    v
}

fn key(file_id: &str) -> String {
    format!("uploads/owner-1/{file_id}")
}

async fn settle(w: &World, file_id: &str, bytes: Vec<u8>) -> Decision {
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

// ---------------------------------------------------------------------------------------------
// The owner's side

#[tokio::test]
async fn create_answers_the_token_once_and_stores_only_its_hash() {
    let w = world();
    let c = w
        .links
        .create(
            &owner(),
            Some(OWNER_EMAIL.to_owned()),
            &NewLink {
                max_uploads: Some(3),
                allowed_types: Some(types(&["application/pdf", "image/png"])),
                ..new_link(" Q3 receipts ")
            },
        )
        .await
        .unwrap()
        .link;
    let token = c.token.clone().unwrap();
    assert_eq!(token.len(), 43);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}"
    );
    assert_eq!(c.url.as_deref(), Some(format!("{BASE}/d/{token}").as_str()));
    assert_eq!(c.label, "Q3 receipts");
    assert_eq!(c.created_at, "2026-11-22T10:00:00.000Z");
    assert_eq!(
        c.expires_at, "2026-11-25T10:00:00.000Z",
        "3 days by default"
    );
    assert_eq!((c.max_uploads, c.uploads_used, c.uploads_left), (3, 0, 3));
    assert_eq!((c.max_file_bytes, c.max_total_bytes), (MAX_FILE, None));
    assert_eq!((c.bytes_used, c.bytes_left), (0, None));
    assert_eq!(c.allowed_types, types(&["application/pdf", "image/png"]));
    assert!(!c.require_uploader_name && !c.revoked);
    assert_eq!(c.state, LinkState::Active);

    let s = w
        .ledger
        .get_link(&owner(), &dropgate_core::LinkId::parse(&c.id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.token_hash, tokens::hash(&token));
    assert_eq!(s.token_hash.len(), 64);
    assert_eq!(s.owner_email.as_deref(), Some(OWNER_EMAIL));
    assert!(
        !format!("{s:?}").contains(&token),
        "the stored link must not hold the token"
    );
    // The token resolves the link only through its hash.
    assert_eq!(w.ledger.find_link(&token).await.unwrap(), None);
    assert_eq!(
        w.ledger.find_link(&tokens::hash(&token)).await.unwrap(),
        Some(s)
    );

    let second = link(&w, new_link("Q4")).await;
    assert_ne!(second.0, token, "every link has a token of its own");
}

#[tokio::test]
async fn views_after_creation_carry_no_token_or_url() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;

    let one = w.links.view(&owner(), &id).await.unwrap();
    assert_eq!((one.token.as_deref(), one.url.as_deref()), (None, None));
    let listed = w.links.list(&owner(), None, None).await.unwrap();
    assert_eq!(listed.links.len(), 1);
    assert_eq!(listed.links[0], one);
    for v in [
        serde_json::to_value(&one).unwrap(),
        serde_json::to_value(&listed).unwrap()["links"][0].clone(),
    ] {
        assert!(v.get("token").is_none() && v.get("url").is_none(), "{v}");
        assert_eq!(v["id"], id.as_str());
        assert_eq!(v["state"], "active");
        assert!(!v.to_string().contains(&token));
    }
}

#[tokio::test]
async fn list_is_newest_first_with_cursor_paging() {
    let w = world();
    for label in ["one", "two", "three"] {
        link(&w, new_link(label)).await;
    }
    w.links
        .create(&other(), None, &new_link("someone else's"))
        .await
        .unwrap();
    let labels = |l: &dropgate_core::links::LinkListing| {
        l.links.iter().map(|v| v.label.clone()).collect::<Vec<_>>()
    };

    let first = w.links.list(&owner(), Some("2"), None).await.unwrap();
    assert_eq!(labels(&first), ["three", "two"]);
    let cursor = first.next_cursor.clone().expect("a second page");
    let second = w
        .links
        .list(&owner(), Some("2"), Some(&cursor))
        .await
        .unwrap();
    assert_eq!(labels(&second), ["one"]);
    assert_eq!(second.next_cursor, None);

    let all = w.links.list(&owner(), None, None).await.unwrap();
    assert_eq!(labels(&all), ["three", "two", "one"]);
    assert_eq!(all.next_cursor, None);
    let theirs = w.links.list(&other(), None, None).await.unwrap();
    assert_eq!(labels(&theirs), ["someone else's"]);

    assert_eq!(
        code(w.links.list(&owner(), Some("2"), Some("zz")).await),
        "invalid_cursor"
    );
    assert_eq!(
        code(w.links.list(&owner(), Some("0"), None).await),
        "invalid_limit"
    );
}

#[tokio::test]
async fn another_owners_link_is_not_found() {
    let w = world();
    let (token, id) = link(&w, new_link("mine")).await;
    drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();

    assert_eq!(
        kind(w.links.get(&other(), &id).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(w.links.view(&other(), &id).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(w.links.revoke(&other(), &id).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(w.links.files(&other(), &id, None, None).await),
        ("not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        code(w.links.get(&owner(), "l9999999999").await),
        "not_found"
    );

    // Nothing the other owner tried changed the link.
    let l = stored(&w, &id).await;
    assert!(!l.revoked);
    assert_eq!(l.state(w.clock.now()), LinkState::Active);
    assert_eq!(
        w.links
            .files(&owner(), &id, None, None)
            .await
            .unwrap()
            .files
            .len(),
        1
    );
}

#[tokio::test]
async fn revoke_is_idempotent_and_keeps_the_files() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;
    let f = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();

    w.links.revoke(&owner(), &id).await.unwrap();
    w.links.revoke(&owner(), &id).await.unwrap();

    let v = w.links.view(&owner(), &id).await.unwrap();
    assert!(v.revoked);
    assert_eq!(v.state, LinkState::Revoked);
    let files = w.links.files(&owner(), &id, None, None).await.unwrap();
    assert_eq!(files.files.len(), 1);
    assert_eq!(files.files[0].id, f.file.id);
    assert_eq!(record(&w, &f.file.id).await.status, FileStatus::Pending);
    assert_eq!(usage(&w).await, (0, 10, 1));
}

// ---------------------------------------------------------------------------------------------
// The stranger's side

#[tokio::test]
async fn drop_info_shows_the_links_label_and_limits_and_nothing_of_the_owner() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            expires_in: Some(3600),
            max_uploads: Some(3),
            max_file_bytes: Some(500),
            max_total_bytes: Some(2_000),
            allowed_types: Some(types(&["application/pdf", "image/png"])),
            require_uploader_name: true,
            ..new_link("Smith & Co tax")
        },
    )
    .await;

    let info = w.drops.info(&token, SRC).await.unwrap();
    assert_eq!(
        info,
        DropInfo {
            label: "Smith & Co tax".into(),
            expires_at: "2026-11-22T11:00:00.000Z".into(),
            uploads_left: 3,
            max_file_bytes: 500,
            bytes_left: Some(2_000),
            allowed_types: types(&["application/pdf", "image/png"]),
            require_uploader_name: true,
        }
    );
    let json = serde_json::to_value(&info).unwrap();
    let mut fields: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "allowed_types",
            "bytes_left",
            "expires_at",
            "label",
            "max_file_bytes",
            "require_uploader_name",
            "uploads_left"
        ]
    );
    let text = json.to_string();
    for secret in [OWNER_EMAIL, "owner-1", id.as_str(), token.as_str()] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn a_drop_makes_a_pending_file_of_the_owner_through_the_link() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(3),
            max_total_bytes: Some(2_000),
            allowed_types: Some(types(&["application/pdf", "image/png"])),
            ..new_link("Client documents")
        },
    )
    .await;

    let d = drop_file(
        &w,
        &token,
        DropUpload {
            uploader: Some(Uploader {
                name: Some(" Ann Smith ".into()),
                email: Some("Ann@Example.org".into()),
            }),
            ..upload("scans/tax return.pdf", 300, "Application/PDF")
        },
    )
    .await
    .unwrap();

    let ann = Uploader {
        name: Some("Ann Smith".into()),
        email: Some("ann@example.org".into()),
    };
    assert_eq!(d.file.name, "tax return.pdf");
    assert_eq!(d.file.size, 300);
    assert_eq!(d.file.content_type, "application/pdf");
    assert_eq!(d.file.status, FileStatus::Pending);
    assert_eq!(d.file.via_link.as_deref(), Some(id.as_str()));
    assert_eq!(d.file.uploader.as_ref(), Some(&ann));
    assert_eq!(d.upload.put().unwrap().method, "PUT");
    assert!(
        d.upload
            .put()
            .unwrap()
            .url
            .starts_with(&format!("mem://{}?", key(&d.file.id))),
        "{}",
        d.upload.put().unwrap().url
    );
    assert_eq!(d.upload.put().unwrap().headers["content-length"], "300");
    assert_eq!(
        d.upload.put().unwrap().headers["content-type"],
        "application/pdf"
    );
    assert_eq!(d.receipt.len(), 43);
    assert_ne!(d.receipt, token);

    // The file is the owner's, carries its link, and counts against the owner's quota.
    let r = record(&w, &d.file.id).await;
    assert_eq!(r.owner, owner());
    assert_eq!(r.status, FileStatus::Pending);
    assert_eq!(r.owner_email.as_deref(), Some(OWNER_EMAIL));
    let origin = r.link.clone().unwrap();
    assert_eq!(origin.link_id.as_str(), id);
    assert_eq!(origin.label, "Client documents");
    assert_eq!(
        origin.allowed_types,
        types(&["application/pdf", "image/png"])
    );
    assert_eq!(origin.uploader, Some(ann));
    assert_eq!(usage(&w).await, (0, 300, 1));

    // The link's counters moved, and the stranger sees what is left.
    assert_eq!(used(&w, &id).await, (1, 300));
    let v = w.links.view(&owner(), &id).await.unwrap();
    assert_eq!((v.uploads_left, v.bytes_left), (2, Some(1_700)));
    let info = w.drops.info(&token, SRC).await.unwrap();
    assert_eq!((info.uploads_left, info.bytes_left), (2, Some(1_700)));

    // The owner finds it among the link's files and among their own.
    let files = w.links.files(&owner(), &id, None, None).await.unwrap();
    assert_eq!(files.files, vec![d.file.clone()]);
    let own = w.ledger.list_files(&owner(), 10, None).await.unwrap();
    assert_eq!(own.files.len(), 1);
    assert_eq!(own.files[0].id.as_str(), d.file.id);
}

#[tokio::test]
async fn a_receipt_follows_its_own_file_and_no_other() {
    let w = world();
    let (token, _) = link(&w, new_link("Client documents")).await;
    let a = drop_file(&w, &token, upload("a.pdf", 100, "application/pdf"))
        .await
        .unwrap();
    let b = drop_file(&w, &token, upload("b.png", 200, "image/png"))
        .await
        .unwrap();
    assert_ne!(a.receipt, b.receipt);

    let ra = w.drops.receipt(&a.receipt, SRC).await.unwrap();
    assert_eq!(
        (ra.file.name.as_str(), ra.file.size, ra.file.status),
        ("a.pdf", 100, FileStatus::Pending)
    );
    assert_eq!((ra.file.reason, ra.file.detected_type), (None, None));

    // A's bytes arrive and are accepted; B's receipt still shows only B, still pending.
    let d = settle(&w, &a.file.id, pdf(100)).await;
    assert!(matches!(d, Decision::Settled { .. }), "{d:?}");
    let ra = w.drops.receipt(&a.receipt, SRC).await.unwrap();
    assert_eq!(ra.file.status, FileStatus::Accepted);
    assert_eq!(ra.file.detected_type.as_deref(), Some("application/pdf"));
    let rb = w.drops.receipt(&b.receipt, SRC).await.unwrap();
    assert_eq!(
        (rb.file.name.as_str(), rb.file.size, rb.file.status),
        ("b.png", 200, FileStatus::Pending)
    );
    let json = serde_json::to_value(&rb).unwrap().to_string();
    assert!(
        !json.contains("a.pdf") && !json.contains(&a.file.id),
        "{json}"
    );

    // Neither secret works as the other.
    assert_eq!(
        code(w.drops.receipt(&token, SRC).await),
        "receipt_not_found"
    );
    assert_eq!(code(w.drops.info(&a.receipt, SRC).await), "link_not_found");
}

#[tokio::test]
async fn an_unknown_receipt_is_receipt_not_found() {
    let w = world();
    assert_eq!(
        kind(w.drops.receipt("no-such-receipt", SRC).await),
        ("receipt_not_found", ErrorKind::NotFound)
    );
    // A receipt whose file the owner deleted follows nothing any more.
    let (token, _) = link(&w, new_link("Q3")).await;
    let d = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    let r = record(&w, &d.file.id).await;
    assert!(w.ledger.remove_file(&r, None).await.unwrap());
    assert_eq!(
        kind(w.drops.receipt(&d.receipt, SRC).await),
        ("receipt_not_found", ErrorKind::NotFound)
    );
}

// ---------------------------------------------------------------------------------------------
// Refusals

#[tokio::test]
async fn an_unknown_token_is_link_not_found() {
    let w = world();
    link(&w, new_link("Q3")).await;
    let unknown = tokens::encode(&[7; tokens::SECRET_BYTES]);
    assert_eq!(
        kind(w.drops.info(&unknown, SRC).await),
        ("link_not_found", ErrorKind::NotFound)
    );
    assert_eq!(
        kind(drop_file(&w, &unknown, upload("a.pdf", 10, "application/pdf")).await),
        ("link_not_found", ErrorKind::NotFound)
    );
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn an_expired_link_is_link_expired() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            expires_in: Some(3600),
            ..new_link("Q3")
        },
    )
    .await;
    w.clock.advance(chrono::Duration::seconds(3599));
    assert!(
        w.drops.info(&token, SRC).await.is_ok(),
        "alive until its end"
    );

    w.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(
        kind(w.drops.info(&token, SRC).await),
        ("link_expired", ErrorKind::Gone)
    );
    assert_eq!(
        kind(drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await),
        ("link_expired", ErrorKind::Gone)
    );
    assert_eq!(
        w.links.view(&owner(), &id).await.unwrap().state,
        LinkState::Expired
    );
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_revoked_link_is_link_revoked() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;
    w.links.revoke(&owner(), &id).await.unwrap();
    assert_eq!(
        kind(w.drops.info(&token, SRC).await),
        ("link_revoked", ErrorKind::Gone)
    );
    assert_eq!(
        kind(drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await),
        ("link_revoked", ErrorKind::Gone)
    );
    // Revoked wins over expired.
    w.clock.advance(chrono::Duration::days(4));
    assert_eq!(code(w.drops.info(&token, SRC).await), "link_revoked");
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_link_with_no_uploads_left_is_link_used_up() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(2),
            ..new_link("Q3")
        },
    )
    .await;
    for name in ["a.pdf", "b.pdf"] {
        drop_file(&w, &token, upload(name, 10, "application/pdf"))
            .await
            .unwrap();
    }
    assert_eq!(
        kind(drop_file(&w, &token, upload("c.pdf", 10, "application/pdf")).await),
        ("link_used_up", ErrorKind::Gone)
    );
    assert_eq!(
        kind(w.drops.info(&token, SRC).await),
        ("link_used_up", ErrorKind::Gone)
    );
    assert_eq!(used(&w, &id).await, (2, 20));
    assert_eq!(usage(&w).await, (0, 20, 2));
    assert_eq!(
        w.links.view(&owner(), &id).await.unwrap().state,
        LinkState::UsedUp
    );
}

#[tokio::test]
async fn a_link_with_no_bytes_left_is_link_used_up() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_total_bytes: Some(500),
            ..new_link("Q3")
        },
    )
    .await;
    drop_file(&w, &token, upload("a.pdf", 500, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(
        code(drop_file(&w, &token, upload("b.pdf", 1, "application/pdf")).await),
        "link_used_up"
    );
    let v = w.links.view(&owner(), &id).await.unwrap();
    assert_eq!((v.uploads_left, v.bytes_left), (9, Some(0)));
    assert_eq!(v.state, LinkState::UsedUp);
}

#[tokio::test]
async fn a_type_not_on_the_link_is_unsupported_type() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            allowed_types: Some(types(&["application/pdf"])),
            ..new_link("PDFs only")
        },
    )
    .await;
    // Allowed by the deployment, not by this link.
    let r = drop_file(&w, &token, upload("photo.png", 10, "image/png")).await;
    let e = r.unwrap_err();
    assert_eq!(e, CoreError::TypeNotAllowed("image/png".into()));
    assert_eq!(
        (e.code(), e.kind()),
        ("unsupported_type", ErrorKind::UnsupportedType)
    );
    // Not allowed anywhere.
    assert_eq!(
        kind(drop_file(&w, &token, upload("x.exe", 10, "application/x-msdownload")).await),
        ("unsupported_type", ErrorKind::UnsupportedType)
    );
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
}

#[tokio::test]
async fn a_file_over_the_links_per_file_limit_is_file_too_large() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_file_bytes: Some(500),
            ..new_link("Q3")
        },
    )
    .await;
    let e = drop_file(&w, &token, upload("big.pdf", 501, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::FileTooLarge {
            size: 501,
            max: 500
        }
    );
    assert_eq!(
        (e.code(), e.kind()),
        ("file_too_large", ErrorKind::TooLarge)
    );
    assert_eq!(used(&w, &id).await, (0, 0));

    drop_file(&w, &token, upload("fits.pdf", 500, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (1, 500));
}

#[tokio::test]
async fn a_file_over_the_links_bytes_left_is_file_too_large() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_total_bytes: Some(1_000),
            ..new_link("Q3")
        },
    )
    .await;
    drop_file(&w, &token, upload("a.pdf", 600, "application/pdf"))
        .await
        .unwrap();
    let e = drop_file(&w, &token, upload("b.pdf", 401, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::FileTooLarge {
            size: 401,
            max: 400
        }
    );
    assert_eq!(e.code(), "file_too_large");
    assert_eq!(used(&w, &id).await, (1, 600));
    assert_eq!(usage(&w).await, (0, 600, 1));

    drop_file(&w, &token, upload("c.pdf", 400, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 1_000));
}

#[tokio::test]
async fn a_link_that_asks_for_a_name_refuses_a_drop_without_one() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            require_uploader_name: true,
            ..new_link("Q3")
        },
    )
    .await;
    let without = [
        None,
        Some(Uploader::default()),
        Some(Uploader {
            name: Some("   ".into()),
            email: Some("ann@example.org".into()),
        }),
    ];
    for uploader in without {
        let req = DropUpload {
            uploader: uploader.clone(),
            ..upload("a.pdf", 10, "application/pdf")
        };
        assert_eq!(
            kind(drop_file(&w, &token, req).await),
            ("uploader_name_required", ErrorKind::BadRequest),
            "{uploader:?}"
        );
    }
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));

    let d = drop_file(&w, &token, by("a.pdf", 10, "application/pdf", "Ann"))
        .await
        .unwrap();
    assert_eq!(d.file.uploader.and_then(|u| u.name).as_deref(), Some("Ann"));
}

#[tokio::test]
async fn bidi_controls_in_names_are_invalid_name() {
    let w = world();
    let (token, id) = link(&w, new_link("Q3")).await;
    let cases = [
        upload("invoice\u{202e}fdp.exe", 10, "application/pdf"),
        upload("invoice\u{2066}.pdf", 10, "application/pdf"),
        upload("zero\u{200b}width.pdf", 10, "application/pdf"),
        by("a.pdf", 10, "application/pdf", "Ann\u{202e}htims"),
        by("a.pdf", 10, "application/pdf", "\u{feff}Ann"),
    ];
    for req in cases {
        let shown = format!("{req:?}");
        assert_eq!(
            kind(drop_file(&w, &token, req).await),
            ("invalid_name", ErrorKind::BadRequest),
            "{shown}"
        );
    }
    assert_eq!(used(&w, &id).await, (0, 0));
    assert_eq!(usage(&w).await, (0, 0, 0));
    // And the owner cannot name a link so either.
    assert_eq!(
        code(
            w.links
                .create(&owner(), None, &new_link("tax\u{202e}fdp"))
                .await
        ),
        "invalid_name"
    );
}

#[tokio::test]
async fn a_full_owner_quota_is_quota_exceeded_and_does_not_use_the_link() {
    let w = world_with(Settings {
        quota_bytes: 500,
        ..settings()
    });
    let (token, id) = link(&w, new_link("Q3")).await;
    drop_file(&w, &token, upload("a.pdf", 400, "application/pdf"))
        .await
        .unwrap();

    let e = drop_file(&w, &token, upload("b.pdf", 101, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(e, CoreError::OwnerQuotaExceeded);
    assert_eq!(
        (e.code(), e.kind()),
        ("quota_exceeded", ErrorKind::TooLarge)
    );
    let said = e.to_string();
    assert!(
        !said.contains("500") && !said.contains("400"),
        "a stranger is told no figures: {said}"
    );
    assert_eq!(
        used(&w, &id).await,
        (1, 400),
        "the refused drop used nothing"
    );
    assert_eq!(w.drops.info(&token, SRC).await.unwrap().uploads_left, 9);
    let u = w.ledger.usage(&owner(), 500).await.unwrap();
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (0, 400, 1));

    // Exactly what is left still fits.
    drop_file(&w, &token, upload("c.pdf", 100, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 500));
}

// ---------------------------------------------------------------------------------------------
// Atomicity under concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_concurrent_drops_on_a_one_use_link_make_exactly_one_file() {
    for round in 0..20 {
        let w = world();
        let (token, id) = link(
            &w,
            NewLink {
                max_uploads: Some(1),
                ..new_link("once")
            },
        )
        .await;
        let tasks: Vec<_> = (0..5)
            .map(|i| {
                let drops = w.drops.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    drops
                        .upload(
                            &token,
                            SRC,
                            upload(&format!("{i}.pdf"), 10, "application/pdf"),
                        )
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.code(), "link_used_up", "round {round}: {e:?}"),
            }
        }
        assert_eq!(ok, 1, "round {round}");
        assert_eq!(used(&w, &id).await, (1, 10), "round {round}");
        assert_eq!(usage(&w).await, (0, 10, 1), "round {round}");
        let files = w.links.files(&owner(), &id, None, None).await.unwrap();
        assert_eq!(files.files.len(), 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_drops_at_the_quota_edge_never_exceed_it() {
    const LIMIT: u64 = 750;
    const SIZE: u64 = 100;
    const FIT: u64 = LIMIT / SIZE; // 7
    for round in 0..20 {
        let w = Arc::new(world_with(Settings {
            quota_bytes: LIMIT,
            ..settings()
        }));
        let (token, id) = link(
            &w,
            NewLink {
                max_uploads: Some(20),
                ..new_link("edge")
            },
        )
        .await;

        // Watches the quota while the drops race.
        let done = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let watcher = {
            let (w, done, peak) = (w.clone(), done.clone(), peak.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    let u = w.ledger.usage(&owner(), LIMIT).await.unwrap();
                    peak.fetch_max(u.used_bytes + u.reserved_bytes, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            })
        };
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let w = w.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    w.drops
                        .upload(
                            &token,
                            SRC,
                            upload(&format!("{i}.pdf"), SIZE, "application/pdf"),
                        )
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e, CoreError::OwnerQuotaExceeded, "round {round}"),
            }
        }
        done.store(true, Ordering::SeqCst);
        watcher.await.unwrap();

        assert_eq!(ok, FIT, "round {round}");
        let u = w.ledger.usage(&owner(), LIMIT).await.unwrap();
        assert_eq!(
            (u.used_bytes, u.reserved_bytes, u.files),
            (0, FIT * SIZE, FIT),
            "round {round}"
        );
        assert!(peak.load(Ordering::SeqCst) <= LIMIT, "round {round}");
        assert_eq!(
            used(&w, &id).await,
            (FIT as u32, FIT * SIZE),
            "uses match successes, round {round}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The give-back rule

#[tokio::test]
async fn an_expired_link_file_gives_its_use_and_bytes_back() {
    assert!(gives_back_on(FileStatus::Expired));
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(2),
            max_total_bytes: Some(1_000),
            ..new_link("Q3")
        },
    )
    .await;
    let lost = drop_file(&w, &token, upload("lost.pdf", 300, "application/pdf"))
        .await
        .unwrap();
    w.clock.advance(chrono::Duration::minutes(10));
    let later = drop_file(&w, &token, upload("later.pdf", 200, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 500));
    assert_eq!(
        code(w.drops.info(&token, SRC).await),
        "link_used_up",
        "both uses taken"
    );

    // The first file's URL expired 10 minutes after it was made, its grace 5 minutes later.
    w.clock
        .advance(chrono::Duration::minutes(5) + chrono::Duration::seconds(1));
    let sweep = w.janitor.sweep(10).await.unwrap();
    assert_eq!(sweep.expired.len(), 1);
    assert_eq!(sweep.expired[0].id.as_str(), lost.file.id);
    assert_eq!(record(&w, &lost.file.id).await.status, FileStatus::Expired);
    assert_eq!(record(&w, &later.file.id).await.status, FileStatus::Pending);

    assert_eq!(used(&w, &id).await, (1, 200), "the use and bytes came back");
    assert_eq!(usage(&w).await, (0, 200, 1));
    let info = w.drops.info(&token, SRC).await.unwrap();
    assert_eq!((info.uploads_left, info.bytes_left), (1, Some(800)));
    let r = w.drops.receipt(&lost.receipt, SRC).await.unwrap();
    assert_eq!(r.file.status, FileStatus::Expired);
    assert_eq!(r.file.reason.as_deref(), Some("upload_timeout"));

    // A second sweep gives nothing back twice.
    let again = w.janitor.sweep(10).await.unwrap();
    assert!(again.expired.is_empty());
    assert_eq!(used(&w, &id).await, (1, 200));

    // The use came back for real: an honest uploader can try again.
    drop_file(&w, &token, upload("retry.pdf", 300, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 500));
}

#[tokio::test]
async fn a_rejected_link_file_keeps_its_use_and_the_owner_is_told_why() {
    assert!(!gives_back_on(FileStatus::Rejected));
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(3),
            allowed_types: Some(types(&["application/pdf", "image/png"])),
            ..new_link("Smith & Co tax")
        },
    )
    .await;
    let d = drop_file(
        &w,
        &token,
        by("invoice.pdf", 64, "application/pdf", "Ann Smith"),
    )
    .await
    .unwrap();

    let decision = settle(&w, &d.file.id, elf(64)).await;
    let Decision::Settled { file, .. } = decision else {
        panic!("settled: {decision:?}")
    };
    assert_eq!(file.status, FileStatus::Rejected);
    assert_eq!(file.reason.as_deref(), Some("type_not_allowed"));
    assert_eq!(
        file.detected_type.as_deref(),
        Some("application/x-executable")
    );
    assert!(!w.store.has(&key(&d.file.id)), "rejected bytes are removed");

    assert_eq!(
        used(&w, &id).await,
        (1, 64),
        "a rejected file keeps its use"
    );
    assert_eq!(usage(&w).await, (0, 0, 0), "the quota is released");
    let r = w.drops.receipt(&d.receipt, SRC).await.unwrap();
    assert_eq!(r.file.status, FileStatus::Rejected);
    assert_eq!(r.file.reason.as_deref(), Some("type_not_allowed"));

    let mails: Vec<_> = verdict_mails(&[&file], &*w.ledger)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.to, OWNER_EMAIL);
    assert_eq!(
        m.subject,
        "Dropgate: \u{201c}invoice.pdf\u{201d} rejected via \u{201c}Smith & Co tax\u{201d}"
    );
    for part in [
        "\u{201c}Smith & Co tax\u{201d}",
        "File: \u{201c}invoice.pdf\u{201d}",
        "Size: 64 bytes",
        "Detected type: application/x-executable",
        "Verdict: rejected",
        "Reason: its content is of a type that is not allowed (type_not_allowed)",
        "Uploader: \u{201c}Ann Smith\u{201d}",
        "Uploads left on this link: 2",
    ] {
        assert!(m.body.contains(part), "{part:?} in {}", m.body);
    }
    assert!(!m.body.contains(&token) && !m.body.contains(&d.receipt));
}

// ---------------------------------------------------------------------------------------------
// The limit on failed lookups

fn limited() -> World {
    world_with(Settings {
        lookup_failure_limit: 3,
        ..settings()
    })
}

fn unknown(i: u8) -> String {
    tokens::encode(&[i; tokens::SECRET_BYTES])
}

#[tokio::test]
async fn failed_lookups_are_rate_limited_per_source() {
    let w = limited();
    let (token, id) = link(&w, new_link("Q3")).await;
    for i in 0..3 {
        assert_eq!(code(w.drops.info(&unknown(i), SRC).await), "link_not_found");
    }
    // The fourth lookup is refused before any lookup, even with a valid token.
    let e = w.drops.info(&token, SRC).await.unwrap_err();
    assert_eq!(
        e,
        CoreError::RateLimited {
            retry_after_secs: 600
        }
    );
    assert_eq!(
        (e.code(), e.kind()),
        ("rate_limited", ErrorKind::RateLimited)
    );
    w.clock.advance(chrono::Duration::seconds(30));
    assert!(matches!(
        drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await,
        Err(CoreError::RateLimited {
            retry_after_secs: 570
        })
    ));
    assert_eq!(code(w.drops.receipt("anything", SRC).await), "rate_limited");
    assert_eq!(used(&w, &id).await, (0, 0), "a refused drop uses nothing");

    // Another source is unaffected.
    let info = w.drops.info(&token, "198.51.100.7").await.unwrap();
    assert_eq!(info.uploads_left, 10);
    assert_eq!(
        code(drop_file(&w, &token, upload("a.pdf", 10, "application/pdf")).await),
        "rate_limited"
    );
    w.drops
        .upload(
            &token,
            "198.51.100.7",
            upload("a.pdf", 10, "application/pdf"),
        )
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (1, 10));
}

#[tokio::test]
async fn successful_lookups_do_not_count() {
    let w = limited();
    let (token, _) = link(&w, new_link("Q3")).await;
    let d = drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    for _ in 0..10 {
        w.drops.info(&token, SRC).await.unwrap();
        w.drops.receipt(&d.receipt, SRC).await.unwrap();
    }
    // Failures of every kind count: an unknown token, an unknown receipt, a revoked link.
    assert_eq!(code(w.drops.info(&unknown(1), SRC).await), "link_not_found");
    assert_eq!(
        code(w.drops.receipt(&unknown(2), SRC).await),
        "receipt_not_found"
    );
    w.drops.info(&token, SRC).await.unwrap();
    let (revoked, revoked_id) = link(&w, new_link("old")).await;
    w.links.revoke(&owner(), &revoked_id).await.unwrap();
    assert_eq!(code(w.drops.info(&revoked, SRC).await), "link_revoked");
    // Three failures: now refused.
    assert_eq!(code(w.drops.info(&token, SRC).await), "rate_limited");
}

#[tokio::test]
async fn the_limit_lifts_when_the_window_passes() {
    let w = limited();
    let (token, _) = link(&w, new_link("Q3")).await;
    // t0 is the start of a 10-minute window; fail three times within it.
    w.clock.advance(chrono::Duration::minutes(9));
    for i in 0..3 {
        assert_eq!(code(w.drops.info(&unknown(i), SRC).await), "link_not_found");
    }
    let e = w.drops.info(&token, SRC).await.unwrap_err();
    assert_eq!(
        e,
        CoreError::RateLimited {
            retry_after_secs: 60
        }
    );

    w.clock.advance(chrono::Duration::seconds(59));
    assert_eq!(code(w.drops.info(&token, SRC).await), "rate_limited");
    w.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(w.drops.info(&token, SRC).await.unwrap().label, "Q3");
    // The new window counts from zero.
    for i in 0..2 {
        assert_eq!(code(w.drops.info(&unknown(i), SRC).await), "link_not_found");
    }
    w.drops.info(&token, SRC).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// A race made deterministic: another uploader's drop lands between this drop's read of the link
// and its transaction.

/// A link store that, on the first drop it is asked to write, first writes `rival` (another
/// uploader's drop through the same link, read at the same moment).
struct Racing {
    inner: Arc<MemLedger>,
    rival: std::sync::Mutex<Option<FileRecord>>,
}

#[async_trait::async_trait]
impl LinkStore for Racing {
    async fn put_link(&self, link: &Link) -> Result<(), CoreError> {
        self.inner.put_link(link).await
    }
    async fn get_link(
        &self,
        owner: &OwnerId,
        id: &dropgate_core::LinkId,
    ) -> Result<Option<Link>, CoreError> {
        self.inner.get_link(owner, id).await
    }
    async fn get_links(
        &self,
        keys: &[(OwnerId, dropgate_core::LinkId)],
    ) -> Result<Vec<Link>, CoreError> {
        self.inner.get_links(keys).await
    }
    async fn list_links(
        &self,
        owner: &OwnerId,
        limit: usize,
        after: Option<&dropgate_core::LinkId>,
    ) -> Result<dropgate_core::links::LinkPage, CoreError> {
        self.inner.list_links(owner, limit, after).await
    }
    async fn revoke_link(
        &self,
        owner: &OwnerId,
        id: &dropgate_core::LinkId,
        at: DateTime<Utc>,
    ) -> Result<bool, CoreError> {
        self.inner.revoke_link(owner, id, at).await
    }
    async fn find_link(&self, token_hash: &str) -> Result<Option<Link>, CoreError> {
        self.inner.find_link(token_hash).await
    }
    async fn create_pending_via_link(
        &self,
        d: &dropgate_core::links::LinkDrop<'_>,
    ) -> Result<dropgate_core::links::DropReservation, CoreError> {
        let rival = self.rival.lock().unwrap().take();
        if let Some(file) = rival {
            let won = self
                .inner
                .create_pending_via_link(&dropgate_core::links::LinkDrop {
                    file: &file,
                    receipt_hash: "rival",
                    ..d.clone()
                })
                .await?;
            assert_eq!(won, dropgate_core::links::DropReservation::Reserved);
        }
        self.inner.create_pending_via_link(d).await
    }
    async fn find_receipt(
        &self,
        receipt_hash: &str,
    ) -> Result<Option<(OwnerId, FileId)>, CoreError> {
        self.inner.find_receipt(receipt_hash).await
    }
    async fn list_link_files(
        &self,
        owner: &OwnerId,
        link: &dropgate_core::LinkId,
        limit: usize,
        after: Option<&FileId>,
    ) -> Result<dropgate_core::files::Page, CoreError> {
        self.inner.list_link_files(owner, link, limit, after).await
    }
}

/// A drop that loses the race for the link's last bytes is told its file is too large for what
/// is left (413), not that the link is used up (410): the link still takes smaller files.
#[tokio::test]
async fn a_drop_that_loses_the_links_last_bytes_to_a_rival_is_file_too_large() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_total_bytes: Some(1_000),
            ..new_link("Q3")
        },
    )
    .await;
    let l = stored(&w, &id).await;
    let mut rival = FileRecord::pending(
        FileId::parse("frival").unwrap(),
        owner(),
        "rival.pdf".into(),
        700,
        "application/pdf".into(),
        t0(),
        Duration::from_secs(600),
    );
    rival.link = Some(dropgate_core::files::LinkOrigin {
        link_id: l.id.clone(),
        label: l.label.clone(),
        allowed_types: l.allowed_types.clone(),
        uploader: None,
    });
    let drops = DropService {
        links: Arc::new(Racing {
            inner: w.ledger.clone(),
            rival: std::sync::Mutex::new(Some(rival)),
        }),
        ..w.drops.clone()
    };

    let e = drops
        .upload(&token, SRC, upload("mine.pdf", 600, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::FileTooLarge {
            size: 600,
            max: 300
        }
    );
    assert_eq!(
        used(&w, &id).await,
        (1, 700),
        "only the rival's drop counted"
    );
    assert_eq!(usage(&w).await, (0, 700, 1));
    // The link is still open for what fits.
    assert_eq!(
        stored(&w, &id).await.state(w.clock.now()),
        LinkState::Active
    );
    drops
        .upload(&token, SRC, upload("small.pdf", 300, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(used(&w, &id).await, (2, 1_000));
}
