//! FileService against the in-memory fakes: validation, quota, listing, ownership, download
//! and deletion.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::allowed::TypePolicy;
use dropgate_core::fakes::{FixedClock, MemLedger, MemStore, SeqIds};
use dropgate_core::files::{
    FileLookup, FileService, NewUpload, Settlement, Settling, decode_cursor, encode_cursor,
};
use dropgate_core::names::content_disposition;
use dropgate_core::notify::EventType;
use dropgate_core::{CoreError, ErrorKind, FileId, FileStatus, OwnerId, Settings};

const LIMIT: u64 = 1_000;
const MAX: u64 = 600;

struct World {
    svc: FileService,
    ledger: Arc<MemLedger>,
    store: Arc<MemStore>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn settings() -> Settings {
    Settings {
        max_file_size: MAX,
        quota_bytes: LIMIT,
        ..Settings::default()
    }
}

fn world_with(settings: Settings) -> World {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let svc = FileService {
        ledger: ledger.clone(),
        store: store.clone(),
        clock: Arc::new(FixedClock::at(t0())),
        ids: Arc::new(SeqIds::default()),
        multipart: dropgate_core::fakes::multiparts(&store, &settings),
        settings,
    };
    World { svc, ledger, store }
}

fn world() -> World {
    world_with(settings())
}

fn owner(s: &str) -> OwnerId {
    OwnerId::parse(s).unwrap()
}

fn upload(name: &str, size: u64, content_type: &str) -> NewUpload {
    NewUpload {
        name: name.to_owned(),
        size,
        content_type: content_type.to_owned(),
        owner_email: Some("ada@example.org".to_owned()),
    }
}

async fn create(w: &World, o: &OwnerId, size: u64) -> FileId {
    let c = w
        .svc
        .create_upload(o, upload("photo.png", size, "image/png"))
        .await
        .unwrap();
    FileId::parse(&c.file.id).unwrap()
}

async fn settle(w: &World, o: &OwnerId, id: &FileId, status: FileStatus) {
    let file = w.ledger.get_file(o, id).await.unwrap().unwrap();
    let s = Settlement {
        status,
        detected_type: Some("image/png".to_owned()),
        reason: None,
        at: t0(),
        stored_size: Some(file.size),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    };
    assert!(w.ledger.settle(&file, &s).await.unwrap());
}

async fn usage(w: &World, o: &OwnerId) -> (u64, u64, u64) {
    let u = w.svc.quota(o).await.unwrap();
    assert_eq!(u.limit_bytes, LIMIT);
    (u.used_bytes, u.reserved_bytes, u.files)
}

fn code<T: std::fmt::Debug>(r: Result<T, CoreError>) -> &'static str {
    r.unwrap_err().code()
}

// ---------------------------------------------------------------- create_upload

/// The `file.deleted` notices the deletions so far announced: the outbox's entries as the
/// notifier would publish them.
fn deletion_notices(w: &World) -> Vec<dropgate_core::notify::Notification> {
    w.ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.event == dropgate_core::notify::EventType::FileDeleted)
        .map(dropgate_core::notify::OutboxEntry::notification)
        .collect()
}

#[tokio::test]
async fn create_upload_records_a_pending_file_and_signs_the_put() {
    let w = world();
    let o = owner("owner-1");
    let c = w
        .svc
        .create_upload(
            &o,
            upload(
                "../../secret dir/Report \u{2713}.pdf",
                123,
                " Application/PDF; charset=binary",
            ),
        )
        .await
        .unwrap();

    assert_eq!(c.file.id, "f0000000001");
    assert_eq!(c.file.name, "Report \u{2713}.pdf");
    assert_eq!(c.file.size, 123);
    assert_eq!(c.file.content_type, "application/pdf");
    assert_eq!(c.file.status, FileStatus::Pending);
    assert_eq!(c.file.detected_type, None);
    assert_eq!(c.file.created_at, "2026-11-22T10:00:00.000Z");

    // Owner-free: the URL goes to whoever holds it, and says nothing of the owner.
    let key = "uploads/f0000000001";
    assert!(!c.upload.put().unwrap().url.contains("owner-1"));
    assert_eq!(c.upload.put().unwrap().method, "PUT");
    assert_eq!(c.upload.put().unwrap().url, format!("mem://{key}?ttl=900"));
    assert_eq!(c.upload.put().unwrap().headers.len(), 2);
    assert_eq!(c.upload.put().unwrap().headers["content-length"], "123");
    assert_eq!(
        c.upload.put().unwrap().headers["content-type"],
        "application/pdf"
    );
    for user_text in ["Report", "secret", "..", "pdf", "\u{2713}"] {
        assert!(
            !c.upload.put().unwrap().url.contains(user_text),
            "{user_text}"
        );
    }

    let id = FileId::parse(&c.file.id).unwrap();
    let rec = w.ledger.get_file(&o, &id).await.unwrap().unwrap();
    assert_eq!(rec.key(), key);
    assert_eq!(rec.status, FileStatus::Pending);
    assert_eq!(rec.name, "Report \u{2713}.pdf");
    assert_eq!(rec.owner_email.as_deref(), Some("ada@example.org"));
    assert_eq!(rec.created_at, t0());
    assert_eq!(rec.upload_expires_at, t0() + chrono::Duration::minutes(15));
    assert_eq!(usage(&w, &o).await, (0, 123, 1));
}

#[tokio::test]
async fn names_are_cut_to_their_last_segment() {
    let w = world();
    let o = owner("o");
    for (raw, clean) in [
        ("a/b/c.txt", "c.txt"),
        ("C:\\Users\\x\\evil.exe.txt", "evil.exe.txt"),
        ("  spaced name.txt  ", "spaced name.txt"),
        // The raw name is long, the last segment is not.
        (&format!("{}ok.txt", "d/".repeat(300)), "ok.txt"),
        (&"x".repeat(255), &"x".repeat(255)),
    ] {
        let c = w
            .svc
            .create_upload(&o, upload(raw, 1, "text/plain"))
            .await
            .unwrap();
        assert_eq!(c.file.name, clean);
        assert!(!c.upload.put().unwrap().url.contains(clean));
    }
}

#[tokio::test]
async fn bad_names_are_refused_and_reserve_nothing() {
    let w = world();
    let o = owner("o");
    let long_utf8 = "\u{e9}".repeat(128); // 256 bytes
    let long_ascii = "x".repeat(256);
    for bad in [
        "",
        "   ",
        "dir/",
        "a\\",
        ".",
        "..",
        "a/..",
        "nul\0byte.txt",
        "tab\tname",
        "line\nbreak.txt",
        "bell\u{7}",
        "del\u{7f}",
        "c1\u{85}ctl",
        long_utf8.as_str(),
        long_ascii.as_str(),
    ] {
        let e = w
            .svc
            .create_upload(&o, upload(bad, 10, "text/plain"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_name", "{bad:?}");
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{bad:?}");
    }
    assert_eq!(usage(&w, &o).await, (0, 0, 0));
    assert!(w.svc.list(&o, None, None).await.unwrap().files.is_empty());
}

#[tokio::test]
async fn sizes_are_checked() {
    let w = world();
    let o = owner("o");

    let e = w
        .svc
        .create_upload(&o, upload("a.txt", 0, "text/plain"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "invalid_size");
    assert_eq!(e.kind(), ErrorKind::BadRequest);

    let e = w
        .svc
        .create_upload(&o, upload("a.txt", MAX + 1, "text/plain"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::FileTooLarge {
            size: MAX + 1,
            max: MAX
        }
    );
    assert_eq!(e.code(), "file_too_large");
    assert_eq!(e.kind(), ErrorKind::TooLarge);

    let e = w
        .svc
        .create_upload(&o, upload("a.txt", u64::MAX, "text/plain"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "file_too_large");
    assert_eq!(usage(&w, &o).await, (0, 0, 0));

    // Exactly the maximum is fine.
    let c = w
        .svc
        .create_upload(&o, upload("a.txt", MAX, "text/plain"))
        .await
        .unwrap();
    assert_eq!(c.file.size, MAX);
    assert_eq!(usage(&w, &o).await, (0, MAX, 1));
}

#[tokio::test]
async fn disallowed_types_are_refused() {
    let w = world();
    let o = owner("o");
    // The default allows every type but active content and programs.
    for bad in [
        "application/x-msdownload",
        "application/vnd.microsoft.portable-executable",
        "application/x-executable",
        "text/html",
        "image/svg+xml",
        "text/x-shellscript",
    ] {
        let e = w
            .svc
            .create_upload(&o, upload("a.bin", 10, bad))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "unsupported_type", "{bad:?}");
        assert_eq!(e.kind(), ErrorKind::UnsupportedType, "{bad:?}");
    }
    let e = w
        .svc
        .create_upload(&o, upload("a.html", 10, "Text/HTML; charset=utf-8"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::TypeNotAllowed {
            content_type: "text/html".to_owned(),
            allowed: TypePolicy::AllButActiveContent,
        }
    );
    assert_eq!(usage(&w, &o).await, (0, 0, 0));

    // A narrowed deployment refuses what its list does not name, and says what it allows.
    let narrow = world_with(Settings {
        allowed_types: TypePolicy::only(["application/pdf", "image/png"]),
        ..settings()
    });
    for bad in [
        "application/octet-stream",
        "",
        "text/plain",
        "application/zip",
    ] {
        let e = narrow
            .svc
            .create_upload(&o, upload("a.bin", 10, bad))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, CoreError::TypeNotAllowed { allowed, .. }
                if *allowed == TypePolicy::only(["application/pdf", "image/png"])),
            "{bad:?}: {e:?}"
        );
    }

    // Aliases of allowed types are accepted and kept as declared (normalized).
    for (alias, kept) in [
        ("image/jpg", "image/jpg"),
        ("audio/x-wav", "audio/x-wav"),
        ("TEXT/CSV", "text/csv"),
        // What people send: Word, iPhone photos, and bytes of no known type; no declared type
        // at all claims nothing (`application/octet-stream`).
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("image/heic", "image/heic"),
        ("application/octet-stream", "application/octet-stream"),
        (
            "application/x-apple-diskimage",
            "application/x-apple-diskimage",
        ),
        ("", "application/octet-stream"),
        (";", "application/octet-stream"),
    ] {
        let c = w
            .svc
            .create_upload(&o, upload("a", 10, alias))
            .await
            .unwrap();
        assert_eq!(c.file.content_type, kept);
        assert_eq!(
            c.upload.put().unwrap().headers["content-type"],
            c.file.content_type
        );
    }
}

// ---------------------------------------------------------------- quota

#[tokio::test]
async fn reservations_fill_the_quota_exactly_then_stop() {
    let w = world();
    let o = owner("o");
    create(&w, &o, 400).await;
    create(&w, &o, 400).await;
    assert_eq!(usage(&w, &o).await, (0, 800, 2));
    create(&w, &o, 200).await;
    assert_eq!(usage(&w, &o).await, (0, LIMIT, 3));

    let e = w
        .svc
        .create_upload(&o, upload("one-more.png", 1, "image/png"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::QuotaExceeded {
            requested: 1,
            used: 0,
            reserved: LIMIT,
            limit: LIMIT
        }
    );
    assert_eq!(e.code(), "quota_exceeded");
    assert_eq!(e.kind(), ErrorKind::TooLarge);
    assert_eq!(usage(&w, &o).await, (0, LIMIT, 3));
    assert_eq!(w.svc.list(&o, None, None).await.unwrap().files.len(), 3);

    // Another owner has a quota of their own.
    let other = owner("other");
    create(&w, &other, 500).await;
    assert_eq!(usage(&w, &other).await, (0, 500, 1));
    assert_eq!(usage(&w, &o).await, (0, LIMIT, 3));
}

#[tokio::test]
async fn quota_error_carries_used_and_reserved_figures() {
    let w = world();
    let o = owner("o");
    let a = create(&w, &o, 300).await;
    create(&w, &o, 500).await;
    settle(&w, &o, &a, FileStatus::Accepted).await;
    assert_eq!(usage(&w, &o).await, (300, 500, 2));

    let e = w
        .svc
        .create_upload(&o, upload("big.png", 201, "image/png"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::QuotaExceeded {
            requested: 201,
            used: 300,
            reserved: 500,
            limit: LIMIT
        }
    );
    // What is left still fits.
    create(&w, &o, 200).await;
    assert_eq!(usage(&w, &o).await, (300, 700, 3));
}

#[tokio::test]
async fn a_file_larger_than_the_whole_quota_is_quota_exceeded() {
    let w = world_with(Settings {
        max_file_size: 10 * LIMIT,
        quota_bytes: LIMIT,
        ..Settings::default()
    });
    let o = owner("o");
    let e = w
        .svc
        .create_upload(&o, upload("huge.png", LIMIT + 1, "image/png"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::QuotaExceeded {
            requested: LIMIT + 1,
            used: 0,
            reserved: 0,
            limit: LIMIT
        }
    );
    assert_eq!(usage(&w, &o).await, (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_reservations_never_exceed_the_limit() {
    for size in [70u64, 100, 333, 600] {
        let w = world();
        let svc = Arc::new(w.svc.clone());
        let o = owner("racer");
        let barrier = Arc::new(tokio::sync::Barrier::new(20));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let svc = svc.clone();
            let o = o.clone();
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                svc.create_upload(&o, upload(&format!("f{i}.png"), size, "image/png"))
                    .await
            }));
        }
        let mut ok = 0u64;
        let mut exceeded = 0u64;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(CoreError::QuotaExceeded {
                    requested, limit, ..
                }) => {
                    assert_eq!((requested, limit), (size, LIMIT));
                    exceeded += 1;
                }
                Err(e) => panic!("unexpected error {e:?}"),
            }
        }
        let expected = (LIMIT / size).min(20);
        assert_eq!(ok, expected, "size {size}");
        assert_eq!(exceeded, 20 - expected, "size {size}");
        let u = svc.quota(&o).await.unwrap();
        assert_eq!(u.reserved_bytes, expected * size, "size {size}");
        assert!(u.used_bytes + u.reserved_bytes <= LIMIT);
        assert_eq!(u.files, expected);
        let listed = svc.list(&o, Some("100"), None).await.unwrap().files;
        assert_eq!(listed.len() as u64, expected);
    }
}

// ---------------------------------------------------------------- list

#[tokio::test]
async fn list_is_newest_first_and_pages_cover_every_file_once() {
    let w = world();
    let a = owner("alice");
    let b = owner("bob");
    let mut mine = Vec::new();
    for i in 0..7 {
        mine.push(create(&w, &a, 10).await);
        if i % 2 == 0 {
            create(&w, &b, 10).await; // interleaved: another owner's files
        }
    }
    let newest_first: Vec<String> = mine.iter().rev().map(|id| id.to_string()).collect();

    let all = w.svc.list(&a, None, None).await.unwrap();
    let ids: Vec<String> = all.files.iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids, newest_first);
    assert_eq!(all.next_cursor, None);

    for page_size in 1..=8usize {
        let limit = page_size.to_string();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = w
                .svc
                .list(&a, Some(&limit), cursor.as_deref())
                .await
                .unwrap();
            assert!(page.files.len() <= page_size);
            seen.extend(page.files.iter().map(|f| f.id.clone()));
            pages += 1;
            assert!(pages <= 8, "pagination does not end");
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, newest_first, "page size {page_size}");
    }

    let bobs = w.svc.list(&b, None, None).await.unwrap().files;
    assert_eq!(bobs.len(), 4);
    assert!(bobs.iter().all(|f| !newest_first.contains(&f.id)));
}

#[tokio::test]
async fn list_limits_are_checked() {
    let w = world();
    let o = owner("o");
    for _ in 0..3 {
        create(&w, &o, 1).await;
    }
    for bad in [
        "0",
        "101",
        "abc",
        "-1",
        "",
        "1.5",
        " 5",
        "99999999999999999999999",
    ] {
        assert_eq!(
            code(w.svc.list(&o, Some(bad), None).await),
            "invalid_limit",
            "{bad:?}"
        );
    }
    for good in ["1", "100", "50"] {
        assert!(w.svc.list(&o, Some(good), None).await.is_ok(), "{good}");
    }
    let page = w.svc.list(&o, Some("2"), None).await.unwrap();
    assert_eq!(page.files.len(), 2);
    assert!(page.next_cursor.is_some());
}

#[tokio::test]
async fn garbage_cursors_are_refused() {
    let w = world();
    let o = owner("o");
    create(&w, &o, 1).await;
    let not_an_id = hex::encode("../x");
    let bad_utf8 = hex::encode([0xff, 0xfe]);
    for bad in [
        "zz",
        "abc",
        "",
        "f0000000001",
        "%00",
        not_an_id.as_str(),
        bad_utf8.as_str(),
    ] {
        let e = w.svc.list(&o, None, Some(bad)).await.unwrap_err();
        assert_eq!(e.code(), "invalid_cursor", "{bad:?}");
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{bad:?}");
    }
    let id = FileId::parse("f0000000001").unwrap();
    assert_eq!(decode_cursor(&encode_cursor(&id)).unwrap(), id);
}

#[tokio::test]
async fn a_cursor_from_another_owner_shows_nothing_of_theirs() {
    let w = world();
    let a = owner("alice");
    let b = owner("bob");
    let b1 = create(&w, &b, 1).await;
    let a1 = create(&w, &a, 1).await;
    let b2 = create(&w, &b, 1).await;
    let cursor = encode_cursor(&b2);
    let page = w.svc.list(&a, None, Some(&cursor)).await.unwrap();
    let ids: Vec<String> = page.files.iter().map(|f| f.id.clone()).collect();
    assert_eq!(ids, vec![a1.to_string()]);
    assert!(!ids.contains(&b1.to_string()));
}

// ---------------------------------------------------------------- ownership

#[tokio::test]
async fn another_owners_file_is_not_found_on_every_operation() {
    let w = world();
    let a = owner("alice");
    let b = owner("bob");
    let pending = create(&w, &a, 100).await;
    let accepted = create(&w, &a, 200).await;
    settle(&w, &a, &accepted, FileStatus::Accepted).await;
    for id in [&pending, &accepted] {
        let key = format!("uploads/{id}");
        w.store.put(&key, vec![1, 2, 3]);
        let id = id.as_str();
        assert_eq!(w.svc.get(&b, id).await.unwrap_err(), CoreError::NotFound);
        assert_eq!(
            w.svc.download(&b, id).await.unwrap_err(),
            CoreError::NotFound
        );
        assert_eq!(w.svc.delete(&b, id).await.unwrap_err(), CoreError::NotFound);
        assert!(w.store.has(&key), "bob's delete removed alice's object");
        assert_eq!(w.svc.get(&a, id).await.unwrap().id.as_str(), id);
    }
    assert_eq!(usage(&w, &a).await, (200, 100, 2));
    assert!(deletion_notices(&w).is_empty());
    assert!(w.svc.list(&b, None, None).await.unwrap().files.is_empty());
}

#[tokio::test]
async fn malformed_ids_are_not_found() {
    let w = world();
    let a = owner("alice");
    create(&w, &a, 1).await;
    for bad in [
        "",
        "../f0000000001",
        "f0000000001/x",
        "f 1",
        &"x".repeat(65),
    ] {
        assert_eq!(w.svc.get(&a, bad).await.unwrap_err(), CoreError::NotFound);
        assert_eq!(
            w.svc.download(&a, bad).await.unwrap_err(),
            CoreError::NotFound
        );
        assert_eq!(
            w.svc.delete(&a, bad).await.unwrap_err(),
            CoreError::NotFound
        );
    }
    assert_eq!(usage(&w, &a).await, (0, 1, 1));
}

// ---------------------------------------------------------------- download

#[tokio::test]
async fn only_accepted_files_download() {
    let w = world();
    let o = owner("o");
    let c = w
        .svc
        .create_upload(
            &o,
            upload("rapport \"final\" 100%.pdf", 50, "application/pdf"),
        )
        .await
        .unwrap();
    let id = FileId::parse(&c.file.id).unwrap();

    let e = w.svc.download(&o, id.as_str()).await.unwrap_err();
    assert_eq!(e.code(), "not_ready");
    assert_eq!(e.kind(), ErrorKind::Conflict);

    settle(&w, &o, &id, FileStatus::Accepted).await;
    let get = w.svc.download(&o, id.as_str()).await.unwrap();
    assert_eq!(get.method, "GET");
    let cd = content_disposition("rapport \"final\" 100%.pdf");
    assert_eq!(
        get.url,
        format!("mem://uploads/{id}?ttl=300&ct=image/png&cd={cd}"),
        "URL must carry the sanitized disposition"
    );
    assert!(cd.contains("filename*=UTF-8''rapport%20%22final%22%20100%25.pdf"));
}

#[tokio::test]
async fn downloads_are_served_as_judged_and_text_as_opaque_bytes() {
    let w = world();
    let o = owner("o");
    for (detected, served) in [
        ("text/plain", "application/octet-stream"),
        ("application/pdf", "application/pdf"),
    ] {
        let c = w
            .svc
            .create_upload(&o, upload("notes.txt", 10, "text/plain"))
            .await
            .unwrap();
        let file = w
            .ledger
            .get_file(&o, &FileId::parse(&c.file.id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let s = Settlement {
            status: FileStatus::Accepted,
            detected_type: Some(detected.to_owned()),
            reason: None,
            at: t0(),
            stored_size: Some(file.size),
            stored_etag: None,
            give_back_link: false,
            scan: None,
        };
        assert!(w.ledger.settle(&file, &s).await.unwrap());
        let get = w.svc.download(&o, &c.file.id).await.unwrap();
        assert!(get.url.contains(&format!("&ct={served}&")), "{}", get.url);
    }
}

#[tokio::test]
async fn rejected_and_expired_files_do_not_download() {
    let w = world();
    let o = owner("o");
    for status in [FileStatus::Rejected, FileStatus::Expired] {
        let id = create(&w, &o, 10).await;
        settle(&w, &o, &id, status).await;
        let e = w.svc.download(&o, id.as_str()).await.unwrap_err();
        assert_eq!(e.code(), "not_ready", "{status:?}");
        assert_eq!(e.kind(), ErrorKind::Conflict);
    }
}

// ---------------------------------------------------------------- delete

#[tokio::test]
async fn deleting_a_pending_file_releases_its_reservation() {
    let w = world();
    let o = owner("o");
    let keep = create(&w, &o, 100).await;
    let id = create(&w, &o, 300).await;
    let key = format!("uploads/{id}");
    w.store.put(&key, vec![0; 300]);
    assert_eq!(usage(&w, &o).await, (0, 400, 2));

    let removed = w.svc.delete(&o, id.as_str()).await.unwrap();
    assert_eq!(removed.id, id);
    assert_eq!(removed.status, FileStatus::Pending);
    assert!(!w.store.has(&key));
    assert_eq!(
        w.svc.get(&o, id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );
    assert_eq!(usage(&w, &o).await, (0, 100, 1));
    assert!(w.svc.get(&o, keep.as_str()).await.is_ok());

    let sent = deletion_notices(&w);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event_type, EventType::FileDeleted);
    assert_eq!(sent[0].file.as_ref().unwrap().id, id.to_string());
    assert_eq!(sent[0].file.as_ref().unwrap().owner, "o");
    assert_eq!(sent[0].file.as_ref().unwrap().size, 300);
    assert_eq!(sent[0].at, "2026-11-22T10:00:00.000Z");
    assert_eq!(
        sent[0].attributes()[0],
        ("event_type", "file.deleted".to_owned())
    );
}

#[tokio::test]
async fn deleting_an_accepted_file_releases_its_usage() {
    // With the trash off a delete is final (the trash's own tests are in trash.rs).
    let w = world_with(Settings {
        trash_days: 0,
        ..settings()
    });
    let o = owner("o");
    let id = create(&w, &o, 250).await;
    settle(&w, &o, &id, FileStatus::Accepted).await;
    let key = format!("uploads/{id}");
    w.store.put(&key, vec![0; 250]);
    assert_eq!(usage(&w, &o).await, (250, 0, 1));

    w.svc.delete(&o, id.as_str()).await.unwrap();
    assert!(!w.store.has(&key));
    assert_eq!(usage(&w, &o).await, (0, 0, 0));
    assert_eq!(deletion_notices(&w).len(), 1);

    // A second delete finds nothing and changes nothing.
    assert_eq!(
        w.svc.delete(&o, id.as_str()).await.unwrap_err(),
        CoreError::NotFound
    );
    assert_eq!(usage(&w, &o).await, (0, 0, 0));
    assert_eq!(deletion_notices(&w).len(), 1);

    // The freed space can be reserved again, to the byte.
    create(&w, &o, LIMIT.min(MAX)).await;
}

#[tokio::test]
async fn deleting_a_rejected_file_does_not_release_twice() {
    let w = world();
    let o = owner("o");
    let other = create(&w, &o, 100).await;
    let id = create(&w, &o, 200).await;
    settle(&w, &o, &id, FileStatus::Rejected).await;
    assert_eq!(usage(&w, &o).await, (0, 100, 1));
    w.svc.delete(&o, id.as_str()).await.unwrap();
    assert_eq!(usage(&w, &o).await, (0, 100, 1));
    assert!(w.svc.get(&o, other.as_str()).await.is_ok());
    let sent = deletion_notices(&w);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event_type, EventType::FileDeleted);
}

#[tokio::test]
async fn settings_ttls_reach_the_presigned_urls() {
    let w = world_with(Settings {
        upload_url_ttl: Duration::from_secs(60),
        download_url_ttl: Duration::from_secs(30),
        ..settings()
    });
    let o = owner("o");
    let c = w
        .svc
        .create_upload(&o, upload("a.png", 5, "image/png"))
        .await
        .unwrap();
    assert!(
        c.upload.put().unwrap().url.ends_with("?ttl=60"),
        "{}",
        c.upload.put().unwrap().url
    );
    let id = FileId::parse(&c.file.id).unwrap();
    let rec = w.ledger.get_file(&o, &id).await.unwrap().unwrap();
    assert_eq!(rec.upload_expires_at, t0() + chrono::Duration::seconds(60));
    settle(&w, &o, &id, FileStatus::Accepted).await;
    let d = w.svc.download(&o, id.as_str()).await.unwrap();
    assert!(d.url.contains("?ttl=30&"), "{}", d.url);
}
