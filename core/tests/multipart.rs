//! Large files in parts, against the in-memory fakes: the plan, part URLs, resume, completion
//! (only when every part is there at its planned size), the quota held throughout, delete and
//! the janitor aborting, the pipeline judging the assembled object, and drops through a link.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::fakes::{FixedClock, MemCounters, MemLedger, MemStore, SeqIds, multiparts};
use dropgate_core::files::{CreatedUpload, FileLookup, FileService, NewUpload};
use dropgate_core::janitor::Janitor;
use dropgate_core::links::{DropService, DropUpload, LinkService, NewLink};
use dropgate_core::multipart::{MIB, PartTag, UploadInstructions};
use dropgate_core::pipeline::{ObjectEvent, Pipeline};
use dropgate_core::ratelimit::RateLimiter;
use dropgate_core::{CoreError, FileId, FileStatus, OwnerId, Settings};

const SIZE: u64 = 17 * MIB; // parts of 8, 8 and 1 MiB
const SRC: &str = "203.0.113.9";

struct World {
    files: FileService,
    links: LinkService,
    drops: DropService,
    janitor: Janitor,
    pipeline: Pipeline,
    ledger: Arc<MemLedger>,
    store: Arc<MemStore>,
    clock: Arc<FixedClock>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn world_with(quota: u64) -> World {
    let settings = Settings {
        single_put_max_bytes: MIB,
        quota_bytes: quota,
        max_file_size: 100 * MIB,
        multipart_upload_ttl: Duration::from_secs(3600),
        pending_grace: Duration::from_secs(300),
        ..Settings::default().without_scanning()
    }
    .clamped();
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(t0()));
    let ids = Arc::new(SeqIds::default());
    World {
        files: FileService {
            ledger: ledger.clone(),
            store: store.clone(),
            clock: clock.clone(),
            ids: ids.clone(),
            multipart: multiparts(&store, &settings),
            settings: settings.clone(),
        },
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
            multipart: multiparts(&store, &settings),
            clock: clock.clone(),
            ids,
            profiles: Arc::new(dropgate_core::fakes::MemProfiles::default()),
            limiter: RateLimiter {
                counters: Arc::new(MemCounters::default()),
                clock: clock.clone(),
                scope: "drop",
                limit: 1000,
                window: Duration::from_secs(60),
            },
            standing: Arc::new(dropgate_core::fakes::MemStanding::default()),
            settings: settings.clone(),
        },
        janitor: Janitor {
            ledger: ledger.clone(),
            store: store.clone(),
            multipart: store.clone(),
            clock: clock.clone(),
            settings: settings.clone(),
        },
        pipeline: Pipeline {
            ledger: ledger.clone(),
            store: store.clone(),
            clock: clock.clone(),
            standing: std::sync::Arc::new(dropgate_core::fakes::MemStanding::default()),
            settings,
        },
        ledger,
        store,
        clock,
    }
}

fn world() -> World {
    world_with(1 << 30)
}

fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

fn new_upload(size: u64) -> NewUpload {
    NewUpload {
        name: "video.mp4".into(),
        size,
        content_type: "video/mp4".into(),
        owner_email: None,
    }
}

/// An MP4's first bytes (an `ftyp` box) followed by filler up to `len`.
fn mp4_bytes(len: usize) -> Vec<u8> {
    let mut b = vec![
        0u8, 0, 0, 0x18, b'f', b't', b'y', b'p', b'i', b's', b'o', b'm',
    ];
    b.extend_from_slice(&[0, 0, 2, 0, b'i', b's', b'o', b'm', b'm', b'p', b'4', b'1']);
    b.resize(len, 7);
    b
}

/// The upload id and object key of a file, as the record keeps them.
async fn upload_of(w: &World, id: &str) -> (String, String) {
    let id = FileId::parse(id).unwrap();
    let f = w.ledger.get_file(&owner(), &id).await.unwrap().unwrap();
    (f.multipart.clone().unwrap().upload_id, f.key())
}

/// The owner starts a large file (`SIZE`, in parts): the answer, its upload id and its key.
async fn start_large(w: &World) -> (CreatedUpload, String, String) {
    let c = w
        .files
        .create_upload(&owner(), new_upload(SIZE))
        .await
        .unwrap();
    let (upload, key) = upload_of(w, &c.file.id).await;
    (c, upload, key)
}

/// Uploads parts `numbers` of `bytes` as a client would through the presigned URLs.
fn put_parts(w: &World, upload: &str, bytes: &[u8], numbers: &[u32]) -> Vec<PartTag> {
    numbers
        .iter()
        .map(|&n| {
            let start = (u64::from(n) - 1) * 8 * MIB;
            let end = (start + 8 * MIB).min(bytes.len() as u64);
            let etag = w
                .store
                .put_part(upload, n, bytes[start as usize..end as usize].to_vec());
            PartTag { number: n, etag }
        })
        .collect()
}

#[tokio::test]
async fn a_large_file_is_planned_in_parts_and_reserved_whole() {
    let w = world();
    let c = w
        .files
        .create_upload(&owner(), new_upload(SIZE))
        .await
        .unwrap();
    match &c.upload {
        UploadInstructions::Multipart {
            method,
            part_size,
            part_count,
            expires_at,
        } => {
            assert_eq!(*method, "multipart");
            assert_eq!((*part_size, *part_count), (8 * MIB, 3));
            // The upload's deadline, not a URL's 15 minutes.
            assert_eq!(expires_at, "2026-11-22T11:00:00.000Z");
        }
        other => panic!("expected multipart, got {other:?}"),
    }
    let json = serde_json::to_value(&c.upload).unwrap();
    assert_eq!(json["method"], "multipart");
    assert!(json.get("url").is_none());
    let q = w.files.quota(&owner()).await.unwrap();
    assert_eq!(q.reserved_bytes, SIZE);
    assert_eq!(w.store.uploads.lock().unwrap().len(), 1);

    // At the threshold itself: one PUT.
    let c = w
        .files
        .create_upload(&owner(), new_upload(MIB))
        .await
        .unwrap();
    assert_eq!(c.upload.put().unwrap().method, "PUT");
}

#[tokio::test]
async fn part_urls_sign_each_parts_exact_length_and_only_real_parts() {
    let w = world();
    let c = w
        .files
        .create_upload(&owner(), new_upload(SIZE))
        .await
        .unwrap();
    let parts = w
        .files
        .presign_parts(&owner(), &c.file.id, &[3, 1])
        .await
        .unwrap();
    assert_eq!(parts[0].number, 3);
    assert_eq!(parts[0].request.headers["content-length"], MIB.to_string());
    assert!(parts[0].request.url.contains("partNumber=3"));
    assert_eq!(
        parts[1].request.headers["content-length"],
        (8 * MIB).to_string()
    );
    for bad in [0, 4] {
        let e = w
            .files
            .presign_parts(&owner(), &c.file.id, &[bad])
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_part_number", "{bad}");
    }
    // Another owner's file, a single-PUT file: not found.
    let stranger = OwnerId::parse("owner-2").unwrap();
    let e = w
        .files
        .presign_parts(&stranger, &c.file.id, &[1])
        .await
        .unwrap_err();
    assert_eq!(e, CoreError::NotFound);
    let small = w
        .files
        .create_upload(&owner(), new_upload(10))
        .await
        .unwrap();
    let e = w
        .files
        .presign_parts(&owner(), &small.file.id, &[1])
        .await
        .unwrap_err();
    assert_eq!(e, CoreError::NotFound);
    assert_eq!(
        w.files.parts(&owner(), &small.file.id).await.unwrap_err(),
        CoreError::NotFound
    );
}

#[tokio::test]
async fn completion_waits_for_every_part_at_its_size_then_the_pipeline_judges() {
    let w = world();
    let (c, up, key) = start_large(&w).await;
    let bytes = mp4_bytes(SIZE as usize);

    // Two of three parts: resume sees them, completion names the missing one.
    let tags = put_parts(&w, &up, &bytes, &[1, 3]);
    let listing = w.files.parts(&owner(), &c.file.id).await.unwrap();
    let numbers: Vec<u32> = listing.parts.iter().map(|p| p.number).collect();
    assert_eq!(numbers, vec![1, 3]);
    assert_eq!(listing.parts[1].size, MIB);
    let e = w
        .files
        .complete(&owner(), &c.file.id, &tags)
        .await
        .unwrap_err();
    let CoreError::IncompleteUpload(i) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(i.missing, vec![2]);
    assert_eq!(e.code(), "incomplete_upload");
    assert!(!w.store.has(&key));

    // A part the plan does not have is the client's mistake, named as such.
    for number in [0, 4] {
        let bad = [PartTag {
            number,
            etag: "abc".into(),
        }];
        let e = w
            .files
            .complete(&owner(), &c.file.id, &bad)
            .await
            .unwrap_err();
        assert!(
            matches!(e, CoreError::InvalidPartNumber { number: n, part_count: 3 } if n == number),
            "{e:?}"
        );
    }

    // A resized part: refused, nothing assembled.
    w.store.put_part(&up, 2, vec![1; 100]);
    let e = w
        .files
        .complete(&owner(), &c.file.id, &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, CoreError::IncompleteUpload(i) if i.wrong_size == vec![2]),
        "{e:?}"
    );
    assert!(!w.store.has(&key));

    // All three: assembled, pending until the verdict; completing again is fine.
    let tags = put_parts(&w, &up, &bytes, &[1, 2, 3]);
    let f = w.files.complete(&owner(), &c.file.id, &tags).await.unwrap();
    assert_eq!(f.status, FileStatus::Pending);
    assert_eq!(w.store.objects.lock().unwrap()[&key], bytes);
    w.files.complete(&owner(), &c.file.id, &tags).await.unwrap();
    assert_eq!(
        w.files.parts(&owner(), &c.file.id).await.unwrap_err(),
        CoreError::NotFound
    );

    let read_before = w
        .store
        .bytes_read
        .load(std::sync::atomic::Ordering::Relaxed);
    let d = w
        .pipeline
        .decide_batch(&[ObjectEvent {
            key,
            size: Some(SIZE),
            etag: None,
        }])
        .await;
    assert!(d[0].is_ok(), "{d:?}");
    let f = w.files.get(&owner(), &c.file.id).await.unwrap();
    assert_eq!(f.status, FileStatus::Accepted, "{f:?}");
    let q = w.files.quota(&owner()).await.unwrap();
    assert_eq!((q.used_bytes, q.reserved_bytes), (SIZE, 0));
    // The pipeline read the first bytes only, whatever the size.
    let read = w
        .store
        .bytes_read
        .load(std::sync::atomic::Ordering::Relaxed)
        - read_before;
    assert!(read <= 8192, "{read}");
}

#[tokio::test]
async fn a_part_uploaded_again_meanwhile_is_a_mismatch() {
    let w = world();
    let (c, up, _) = start_large(&w).await;
    let bytes = mp4_bytes(SIZE as usize);
    let tags = put_parts(&w, &up, &bytes, &[1, 2, 3]);
    let mut other = bytes.clone();
    other[0] = 9;
    put_parts(&w, &up, &other, &[1]);
    let e = w
        .files
        .complete(&owner(), &c.file.id, &tags)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, CoreError::IncompleteUpload(i) if i.mismatched == vec![1]),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_refused_reservation_aborts_the_upload_it_started() {
    let w = world_with(10 * MIB);
    let e = w
        .files
        .create_upload(&owner(), new_upload(SIZE))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "quota_exceeded");
    assert!(w.store.uploads.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_large_drop_over_the_owners_free_space_is_file_too_large_and_aborts_its_upload() {
    let w = world_with(10 * MIB);
    let c = w
        .links
        .create(
            &owner(),
            None,
            &NewLink {
                label: "Footage".into(),
                ..NewLink::default()
            },
        )
        .await
        .unwrap();
    let token = c.link.token.unwrap();
    // The link's own limit is 100 MiB; the owner's free space, 10 MiB, is the smallest.
    assert_eq!(
        w.drops.info(&token, SRC).await.unwrap().max_file_bytes,
        10 * MIB
    );
    let e = w
        .drops
        .upload(
            &token,
            SRC,
            DropUpload {
                name: "clip.mp4".into(),
                size: SIZE,
                content_type: "video/mp4".into(),
                uploader: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        e,
        CoreError::DropTooLarge {
            size: SIZE,
            max: 10 * MIB
        }
    );
    assert!(w.store.uploads.lock().unwrap().is_empty());
}

#[tokio::test]
async fn deleting_a_pending_large_file_aborts_it_and_releases_the_quota() {
    let w = world();
    let (c, up, _) = start_large(&w).await;
    put_parts(&w, &up, &mp4_bytes(SIZE as usize), &[1]);
    w.files.delete(&owner(), &c.file.id).await.unwrap();
    assert!(w.store.uploads.lock().unwrap().is_empty());
    let q = w.files.quota(&owner()).await.unwrap();
    assert_eq!((q.used_bytes, q.reserved_bytes, q.files), (0, 0, 0));
}

#[tokio::test]
async fn the_janitor_aborts_a_stale_upload_and_releases_its_reservation() {
    let w = world();
    let (c, up, _) = start_large(&w).await;
    put_parts(&w, &up, &mp4_bytes(SIZE as usize), &[1, 2]);

    // Within its deadline (1 hour) plus grace, an upload is left alone however slow.
    w.clock.advance(chrono::Duration::minutes(64));
    let s = w.janitor.sweep(100).await.unwrap();
    assert!(s.expired.is_empty());
    assert_eq!(w.store.uploads.lock().unwrap().len(), 1);

    w.clock.advance(chrono::Duration::minutes(2));
    let s = w.janitor.sweep(100).await.unwrap();
    assert_eq!(s.expired.len(), 1);
    assert!(w.store.uploads.lock().unwrap().is_empty());
    let f = w.files.get(&owner(), &c.file.id).await.unwrap();
    assert_eq!(f.status, FileStatus::Expired);
    let q = w.ledger.usage(&owner(), 1 << 30).await.unwrap();
    assert_eq!(q.reserved_bytes, 0);
}

#[tokio::test]
async fn a_stranger_drops_a_large_file_through_a_link_and_resumes_by_receipt() {
    let w = world();
    let c = w
        .links
        .create(
            &owner(),
            None,
            &NewLink {
                label: "Footage".into(),
                ..NewLink::default()
            },
        )
        .await
        .unwrap();
    let token = c.link.token.unwrap();
    let d = w
        .drops
        .upload(
            &token,
            SRC,
            DropUpload {
                name: "clip.mp4".into(),
                size: SIZE,
                content_type: "video/mp4".into(),
                uploader: None,
            },
        )
        .await
        .unwrap();
    assert!(d.upload.put().is_none());
    let (up, key) = upload_of(&w, &d.file.id).await;
    let bytes = mp4_bytes(SIZE as usize);

    let urls = w
        .drops
        .presign_parts(&d.receipt, SRC, &[1, 2])
        .await
        .unwrap();
    assert_eq!(urls.len(), 2);
    put_parts(&w, &up, &bytes, &[1]);
    let listing = w.drops.parts(&d.receipt, SRC).await.unwrap();
    assert_eq!(listing.parts.len(), 1);
    let e = w.drops.complete(&d.receipt, SRC, &[]).await.unwrap_err();
    assert_eq!(e.code(), "incomplete_upload");
    put_parts(&w, &up, &bytes, &[2, 3]);
    let v = w.drops.complete(&d.receipt, SRC, &[]).await.unwrap();
    assert_eq!(v.file.size, SIZE);
    assert!(w.store.has(&key));

    // Unknown receipts, and the drop routes on a file that is not uploading in parts.
    let e = w.drops.parts("nope", SRC).await.unwrap_err();
    assert_eq!(e.code(), "receipt_not_found");
    let e = w.drops.parts(&d.receipt, SRC).await.unwrap_err();
    assert_eq!(e.code(), "receipt_not_found");
}
