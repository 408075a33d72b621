//! The pipeline's decisions (sniff, verdict, settle once) and whom they tell.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::fakes::{FixedClock, MemLedger, MemStore, SeqIds};
use dropgate_core::files::{FileLookup, FileService, LinkOrigin, NewUpload, OwnerLedger};
use dropgate_core::notify::{EventType, Mail, Notification, verdict_mail};
use dropgate_core::pipeline::{Decision, ObjectEvent, Pipeline};
use dropgate_core::policy::{RejectReason, Verdict};
use dropgate_core::sniff::SAMPLE_BYTES;
use dropgate_core::{FileId, FileRecord, FileStatus, LinkId, OwnerId, Settings};
use sha2::Digest;

struct World {
    files: FileService,
    pipeline: Pipeline,
    ledger: Arc<MemLedger>,
    store: Arc<MemStore>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn world() -> World {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(t0()));
    let settings = Settings::default();
    World {
        files: FileService {
            ledger: ledger.clone(),
            store: store.clone(),
            clock: clock.clone(),
            ids: Arc::new(SeqIds::default()),
            multipart: dropgate_core::fakes::multiparts(&store, &settings),
            settings: settings.clone(),
        },
        pipeline: Pipeline {
            ledger: ledger.clone(),
            store: store.clone(),
            clock,
            settings,
        },
        ledger,
        store,
    }
}

fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

struct Up {
    id: FileId,
    key: String,
}

/// Creates a pending file declared as `declared` with the size of `bytes`, and stores `bytes`.
async fn uploaded(w: &World, declared: &str, bytes: Vec<u8>) -> Up {
    uploaded_with(w, declared, bytes.len() as u64, bytes, None).await
}

fn settled_file(d: &Decision) -> Option<&FileRecord> {
    match d {
        Decision::Settled { file, .. } => Some(file),
        _ => None,
    }
}

/// The operators' notice and the owner's mail (without a link's uploads-left figure).
fn notices(d: &Decision, at: chrono::DateTime<Utc>) -> (Option<Notification>, Option<Mail>) {
    (
        settled_file(d)
            .and_then(|f| EventType::settled(f.status).map(|e| Notification::new(e, f, at))),
        settled_file(d).and_then(|f| verdict_mail(f, None)),
    )
}

/// A pending file that came through link `via`, allowing `allowed`, with `bytes` stored.
async fn dropped(w: &World, via: &str, allowed: &[&str], declared: &str, bytes: Vec<u8>) -> Up {
    let id = FileId::parse(&format!("fl{}", bytes.len())).unwrap();
    let mut f = FileRecord::pending(
        id.clone(),
        owner(),
        "the file.bin".into(),
        bytes.len() as u64,
        declared.into(),
        t0(),
        std::time::Duration::from_secs(900),
    );
    f.owner_email = Some("owner@example.org".into());
    f.link = Some(LinkOrigin {
        link_id: LinkId::parse(via).unwrap(),
        label: "Client documents".into(),
        allowed_types: allowed.iter().map(|t| t.to_string()).collect(),
        uploader: None,
    });
    w.ledger.create_pending(&f, 1 << 40).await.unwrap();
    let key = format!("uploads/owner-1/{id}");
    w.store.put(&key, bytes);
    Up { id, key }
}

async fn uploaded_with(
    w: &World,
    declared: &str,
    declared_size: u64,
    bytes: Vec<u8>,
    via_link: Option<&str>,
) -> Up {
    if let Some(via) = via_link {
        assert_eq!(declared_size, bytes.len() as u64);
        let all: Vec<&str> = w
            .pipeline
            .settings
            .allowed_types
            .iter()
            .map(String::as_str)
            .collect();
        return dropped(w, via, &all, declared, bytes).await;
    }
    let c = w
        .files
        .create_upload(
            &owner(),
            NewUpload {
                name: "the file.bin".into(),
                size: declared_size,
                content_type: declared.into(),
                owner_email: Some("owner@example.org".into()),
            },
        )
        .await
        .unwrap();
    let id = FileId::parse(&c.file.id).unwrap();
    let key = format!("uploads/owner-1/{id}");
    w.store.put(&key, bytes);
    Up { id, key }
}

async fn decide(w: &World, key: &str) -> Decision {
    let mut out = w
        .pipeline
        .decide_batch(&[ObjectEvent {
            key: key.to_owned(),
            ..Default::default()
        }])
        .await;
    assert_eq!(out.len(), 1);
    out.remove(0).unwrap()
}

async fn record(w: &World, id: &FileId) -> FileRecord {
    w.ledger.get_file(&owner(), id).await.unwrap().unwrap()
}

async fn usage(w: &World) -> (u64, u64, u64) {
    let u = w.ledger.usage(&owner(), 1 << 40).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

fn log(w: &World) -> Vec<(FileId, FileStatus)> {
    w.ledger.log.lock().unwrap().clone()
}

fn padded(head: &[u8], len: usize) -> Vec<u8> {
    let mut v = head.to_vec();
    v.resize(len, 0);
    v
}

fn png() -> Vec<u8> {
    padded(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02",
        300,
    )
}

fn jpeg() -> Vec<u8> {
    padded(
        b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0",
        300,
    )
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n".to_vec()
}

fn mp3() -> Vec<u8> {
    let mut v = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    v.extend_from_slice(&[0xff, 0xfb, 0x90, 0x64]);
    v.resize(400, 0x55);
    v
}

fn wav() -> Vec<u8> {
    let mut v = b"RIFF".to_vec();
    v.extend_from_slice(&(36u32 + 64).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&[16, 0, 0, 0, 1, 0, 1, 0]);
    v.extend_from_slice(&44_100u32.to_le_bytes());
    v.extend_from_slice(&88_200u32.to_le_bytes());
    v.extend_from_slice(&[2, 0, 16, 0]);
    v.extend_from_slice(b"data");
    v.extend_from_slice(&64u32.to_le_bytes());
    v.resize(44 + 64, 0);
    v
}

fn elf() -> Vec<u8> {
    padded(
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0",
        128,
    )
}

/// A minimal PE: DOS header with `e_lfanew` pointing at a `PE\0\0` signature.
fn pe() -> Vec<u8> {
    let mut v = vec![0u8; 256];
    v[0] = b'M';
    v[1] = b'Z';
    v[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    v[0x80..0x84].copy_from_slice(b"PE\0\0");
    v[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
    v
}

fn zip() -> Vec<u8> {
    let mut v = b"PK\x03\x04\x14\0\0\0\x08\0".to_vec();
    v.extend_from_slice(&[0; 20]);
    v.extend_from_slice(b"notes.txt");
    v.extend_from_slice(b"compressed-bytes");
    v
}

// ---------------------------------------------------------------- accepted

#[tokio::test]
async fn well_declared_files_are_accepted() {
    for (declared, bytes, detected) in [
        ("image/png", png(), "image/png"),
        ("image/jpeg", jpeg(), "image/jpeg"),
        ("image/jpg", jpeg(), "image/jpeg"),
        ("application/pdf", pdf(), "application/pdf"),
        ("audio/mpeg", mp3(), "audio/mpeg"),
        ("audio/wav", wav(), "audio/x-wav"),
        ("application/zip", zip(), "application/zip"),
        ("text/plain", b"hello, world\n".to_vec(), "text/plain"),
        ("text/csv", b"a,b\n1,2\n".to_vec(), "text/plain"),
    ] {
        let w = world();
        let len = bytes.len() as u64;
        let up = uploaded(&w, declared, bytes).await;
        assert_eq!(usage(&w).await, (0, len, 1), "{declared}");

        let d = decide(&w, &up.key).await;
        let Decision::Settled {
            file,
            verdict,
            sampled_bytes,
            stored_size,
        } = &d
        else {
            panic!("{declared}: expected Settled, got {d:?}");
        };
        assert_eq!(*verdict, Verdict::Accepted, "{declared}");
        assert_eq!(file.status, FileStatus::Accepted, "{declared}");
        assert_eq!(file.detected_type.as_deref(), Some(detected), "{declared}");
        assert_eq!(file.reason, None);
        assert_eq!(*sampled_bytes as u64, len);
        assert_eq!(*stored_size, len);

        let rec = record(&w, &up.id).await;
        assert_eq!(rec.status, FileStatus::Accepted, "{declared}");
        assert_eq!(rec.detected_type.as_deref(), Some(detected));
        assert_eq!(usage(&w).await, (len, 0, 1), "{declared}: reserved -> used");
        assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Accepted)]);
        assert!(w.store.has(&up.key), "{declared}: accepted bytes stay");
    }
}

// ---------------------------------------------------------------- rejected

async fn assert_rejected(
    declared: &str,
    bytes: Vec<u8>,
    reason: RejectReason,
    detected: Option<&str>,
) {
    let w = world();
    let up = uploaded(&w, declared, bytes).await;
    let d = decide(&w, &up.key).await;
    let Decision::Settled { file, verdict, .. } = &d else {
        panic!("expected Settled, got {d:?}");
    };
    assert_eq!(*verdict, Verdict::Rejected(reason));
    assert_eq!(file.status, FileStatus::Rejected);
    assert_eq!(file.reason.as_deref(), Some(reason.code()));
    assert_eq!(file.detected_type.as_deref(), detected);

    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Rejected);
    assert_eq!(rec.reason.as_deref(), Some(reason.code()));
    assert!(!w.store.has(&up.key), "rejected bytes must leave uploads/");
    assert_eq!(usage(&w).await, (0, 0, 0), "reservation released");
    assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Rejected)]);
}

#[tokio::test]
async fn an_elf_declared_as_png_is_rejected() {
    assert_rejected(
        "image/png",
        elf(),
        RejectReason::TypeNotAllowed,
        Some("application/x-executable"),
    )
    .await;
}

#[tokio::test]
async fn a_pe_declared_as_png_is_rejected() {
    assert_rejected(
        "image/png",
        pe(),
        RejectReason::TypeNotAllowed,
        Some("application/vnd.microsoft.portable-executable"),
    )
    .await;
}

#[tokio::test]
async fn a_zip_declared_as_text_is_a_type_mismatch() {
    assert_rejected(
        "text/plain",
        zip(),
        RejectReason::TypeMismatch,
        Some("application/zip"),
    )
    .await;
}

#[tokio::test]
async fn a_jpeg_declared_as_png_is_a_type_mismatch() {
    assert_rejected(
        "image/png",
        jpeg(),
        RejectReason::TypeMismatch,
        Some("image/jpeg"),
    )
    .await;
}

#[tokio::test]
async fn unrecognisable_bytes_are_rejected() {
    let mut bytes = vec![0u8, 0xff, 0x13, 0x37];
    bytes.resize(64, 0);
    assert_rejected(
        "application/pdf",
        bytes,
        RejectReason::TypeUnrecognized,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_size_other_than_declared_is_rejected() {
    for (declared_size, actual) in [(1_000u64, png()), (10, png())] {
        let w = world();
        let up = uploaded_with(&w, "image/png", declared_size, actual, None).await;
        assert_eq!(usage(&w).await, (0, declared_size, 1));
        let d = decide(&w, &up.key).await;
        let Decision::Settled {
            file,
            verdict,
            stored_size,
            ..
        } = &d
        else {
            panic!("expected Settled, got {d:?}");
        };
        assert_eq!(*verdict, Verdict::Rejected(RejectReason::SizeMismatch));
        assert_eq!(file.reason.as_deref(), Some("size_mismatch"));
        assert_eq!(*stored_size, 300);
        assert!(!w.store.has(&up.key));
        assert_eq!(usage(&w).await, (0, 0, 0));
        assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Rejected)]);
    }
}

// ---------------------------------------------------------------- exactly once

#[tokio::test]
async fn replayed_events_change_nothing() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    assert!(matches!(
        decide(&w, &up.key).await,
        Decision::Settled { .. }
    ));
    for _ in 0..3 {
        let d = decide(&w, &up.key).await;
        let Decision::AlreadySettled { file } = &d else {
            panic!("expected AlreadySettled, got {d:?}");
        };
        assert_eq!(file.status, FileStatus::Accepted);
        assert_eq!(file.id, up.id);
        assert_eq!(notices(&d, t0()), (None, None));
    }
    assert_eq!(usage(&w).await, (300, 0, 1));
    assert_eq!(log(&w).len(), 1);
}

#[tokio::test]
async fn replayed_events_of_a_rejected_file_change_nothing() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    decide(&w, &up.key).await;
    for _ in 0..3 {
        let d = decide(&w, &up.key).await;
        assert!(
            matches!(&d, Decision::AlreadySettled { file } if file.status == FileStatus::Rejected),
            "{d:?}"
        );
        assert_eq!(notices(&d, t0()), (None, None));
    }
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Rejected)]);
}

#[tokio::test]
async fn an_object_reuploaded_after_rejection_does_not_escape_accounting() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    decide(&w, &up.key).await;
    assert!(!w.store.has(&up.key));
    // The presigned PUT is still valid (15 minutes) and the key is free again, so the
    // client can PUT once more; S3 announces the new object.
    w.store.put(&up.key, elf());
    let d = decide(&w, &up.key).await;
    assert!(matches!(d, Decision::AlreadySettled { .. }), "{d:?}");
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert!(
        !w.store.has(&up.key),
        "an object under uploads/ whose record is rejected holds no quota and must be removed"
    );
}

#[tokio::test]
async fn duplicates_in_one_batch_settle_once() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let ev = ObjectEvent {
        key: up.key.clone(),
        ..Default::default()
    };
    let out = w.pipeline.decide_batch(&[ev.clone(), ev.clone(), ev]).await;
    assert_eq!(out.len(), 3);
    let decisions: Vec<Decision> = out.into_iter().map(Result::unwrap).collect();
    assert!(matches!(decisions[0], Decision::Settled { .. }));
    for d in &decisions[1..] {
        assert!(matches!(d, Decision::AlreadySettled { .. }), "{d:?}");
    }
    let notes = decisions
        .iter()
        .filter(|d| notices(d, t0()).0.is_some())
        .count();
    assert_eq!(notes, 1);
    assert_eq!(usage(&w).await, (300, 0, 1));
    assert_eq!(log(&w).len(), 1);
}

#[tokio::test]
async fn duplicates_of_a_rejected_file_in_one_batch_settle_once() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    let ev = ObjectEvent {
        key: up.key.clone(),
        ..Default::default()
    };
    let out = w.pipeline.decide_batch(&[ev.clone(), ev]).await;
    let decisions: Vec<Decision> = out.into_iter().map(Result::unwrap).collect();
    assert!(matches!(decisions[0], Decision::Settled { .. }));
    assert!(!matches!(decisions[1], Decision::Settled { .. }));
    assert_eq!(notices(&decisions[1], t0()), (None, None));
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(log(&w).len(), 1);
}

// ---------------------------------------------------------------- not ours / orphans

#[tokio::test]
async fn keys_outside_uploads_are_ignored() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let keys = [
        "quarantine/owner-1/f0000000001",
        "uploads/owner-1",
        "uploads/owner-1/f0000000001/extra",
        "uploads//f0000000001",
        "uploads/owner-1/",
        "other/thing.png",
        "",
        "Uploads/owner-1/f0000000001",
        "uploads/owner 1/f0000000001",
        "uploads/owner-1/../f0000000001",
    ];
    for k in keys {
        w.store.put(k, elf());
    }
    let events: Vec<ObjectEvent> = keys
        .iter()
        .map(|k| ObjectEvent {
            key: k.to_string(),
            ..Default::default()
        })
        .collect();
    let out = w.pipeline.decide_batch(&events).await;
    assert_eq!(out.len(), keys.len());
    for (k, d) in keys.iter().zip(out) {
        assert_eq!(d.unwrap(), Decision::Ignored { key: k.to_string() });
        assert!(w.store.has(k), "{k:?} must not be touched");
    }
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Pending);
    assert!(log(&w).is_empty());
    assert_eq!(w.store.bytes_read.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn an_object_without_a_record_is_an_orphan_and_removed() {
    let w = world();
    let key = "uploads/owner-1/f0000000999";
    w.store.put(key, png());
    let d = decide(&w, key).await;
    assert_eq!(
        d,
        Decision::Orphan {
            owner: owner(),
            id: FileId::parse("f0000000999").unwrap()
        }
    );
    assert!(!w.store.has(key));
    assert!(log(&w).is_empty());
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(notices(&d, t0()), (None, None));
}

#[tokio::test]
async fn another_owners_key_does_not_settle_the_real_owners_file() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    // Same file id under another owner's prefix: no such record there.
    let forged = format!("uploads/mallory/{}", up.id);
    w.store.put(&forged, png());
    let d = decide(&w, &forged).await;
    assert!(matches!(d, Decision::Orphan { .. }), "{d:?}");
    assert!(!w.store.has(&forged));
    assert!(w.store.has(&up.key));
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Pending);
}

#[tokio::test]
async fn a_pending_file_whose_object_is_gone_is_left_pending() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    w.store.objects.lock().unwrap().remove(&up.key);
    let d = decide(&w, &up.key).await;
    assert!(matches!(d, Decision::ObjectMissing { .. }), "{d:?}");
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Pending);
    assert_eq!(usage(&w).await, (0, 300, 1));
    assert!(log(&w).is_empty());
}

#[tokio::test]
async fn one_batch_decides_each_event_on_its_own() {
    let w = world();
    let good = uploaded(&w, "image/png", png()).await;
    let bad = uploaded(&w, "image/png", elf()).await;
    let events = [
        ObjectEvent {
            key: "other/x".into(),
            ..Default::default()
        },
        ObjectEvent {
            key: bad.key.clone(),
            ..Default::default()
        },
        ObjectEvent {
            key: "uploads/owner-1/nope".into(),
            ..Default::default()
        },
        ObjectEvent {
            key: good.key.clone(),
            ..Default::default()
        },
    ];
    let out: Vec<Decision> = w
        .pipeline
        .decide_batch(&events)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(matches!(out[0], Decision::Ignored { .. }));
    assert!(matches!(
        &out[1],
        Decision::Settled { verdict: Verdict::Rejected(RejectReason::TypeNotAllowed), file, .. } if file.id == bad.id
    ));
    assert!(matches!(out[2], Decision::Orphan { .. }));
    assert!(matches!(
        &out[3],
        Decision::Settled { verdict: Verdict::Accepted, file, .. } if file.id == good.id
    ));
    assert_eq!(usage(&w).await, (300, 0, 1));
}

// ---------------------------------------------------------------- bounded reads

#[tokio::test]
async fn a_large_object_is_decided_from_its_first_bytes_only() {
    let w = world();
    let size = 50 * 1024 * 1024;
    let up = uploaded(&w, "image/png", padded(&png(), size)).await;
    let d = decide(&w, &up.key).await;
    let Decision::Settled {
        verdict,
        sampled_bytes,
        stored_size,
        ..
    } = &d
    else {
        panic!("expected Settled, got {d:?}");
    };
    assert_eq!(*verdict, Verdict::Accepted);
    assert_eq!(*stored_size, size as u64);
    assert!(*sampled_bytes as u64 <= SAMPLE_BYTES);
    let read = w.store.bytes_read.load(Ordering::Relaxed);
    assert!(read <= 8 * 1024, "read {read} bytes");
    assert!(read > 0);
    assert_eq!(usage(&w).await, (size as u64, 0, 1));
}

#[tokio::test]
async fn a_large_text_file_cut_inside_a_character_is_still_text() {
    let w = world();
    // 'é' is two bytes; an odd prefix puts a character across the 8 KiB boundary.
    let mut text = b"x".to_vec();
    while text.len() < 20_000 {
        text.extend_from_slice("\u{e9}".as_bytes());
    }
    let up = uploaded(&w, "text/plain", text).await;
    let d = decide(&w, &up.key).await;
    assert!(
        matches!(
            &d,
            Decision::Settled {
                verdict: Verdict::Accepted,
                ..
            }
        ),
        "{d:?}"
    );
    assert!(w.store.bytes_read.load(Ordering::Relaxed) <= SAMPLE_BYTES);
}

// ---------------------------------------------------------------- notices

#[tokio::test]
async fn accepted_files_notify_operators_but_do_not_mail() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let d = decide(&w, &up.key).await;
    let at = t0() + chrono::Duration::seconds(5);
    let (note, mail) = notices(&d, at);
    let note = note.expect("a notification");
    assert_eq!(mail, None, "no mail for an account user's own upload");
    assert_eq!(note.event_type, EventType::UploadAccepted);
    assert_eq!(note.version, 1);
    assert_eq!(note.file.id, up.id.to_string());
    assert_eq!(note.file.owner, "owner-1");
    assert_eq!(note.file.name, "the file.bin");
    assert_eq!(note.file.size, 300);
    assert_eq!(note.file.declared_type, "image/png");
    assert_eq!(note.file.detected_type.as_deref(), Some("image/png"));
    assert_eq!(note.reason, None);
    assert_eq!(note.via_link, None);
    assert_eq!(note.at, "2026-11-22T10:00:05.000Z");
    assert_eq!(
        note.attributes(),
        vec![
            ("event_type", "upload.accepted".to_owned()),
            ("owner", "owner-1".to_owned()),
            ("detected_type", "image/png".to_owned()),
        ]
    );
    let body: serde_json::Value = serde_json::from_str(&note.body()).unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["type"], "upload.accepted");
    assert_eq!(body["file"]["id"], up.id.to_string());
    assert_eq!(body["file"]["detected_type"], "image/png");
    assert_eq!(body["reason"], serde_json::Value::Null);
    assert_eq!(body["via_link"], serde_json::Value::Null);
}

#[tokio::test]
async fn accepted_files_through_a_link_mail_the_owner() {
    let w = world();
    let len = pdf().len() as u64;
    let up = uploaded_with(&w, "application/pdf", len, pdf(), Some("link-7")).await;
    let d = decide(&w, &up.key).await;
    let (note, mail) = notices(&d, t0());
    let note = note.unwrap();
    assert_eq!(note.event_type, EventType::UploadAccepted);
    assert_eq!(note.via_link.as_deref(), Some("link-7"));
    let mail = mail.expect("the owner is mailed about a link upload");
    assert_eq!(mail.to, "owner@example.org");
    assert!(mail.subject.contains("the file.bin"), "{}", mail.subject);
    assert!(mail.body.contains(&format!("{len} bytes")), "{}", mail.body);
    assert!(mail.body.contains("application/pdf"), "{}", mail.body);
}

#[tokio::test]
async fn link_files_are_judged_by_the_links_own_types() {
    let w = world();
    // A PNG declared as a PDF, and a real PNG declared honestly, on a PDF-only link: both are
    // allowed by the deployment, neither by the link.
    let spoof = dropped(
        &w,
        "link-pdf",
        &["application/pdf"],
        "application/pdf",
        png(),
    )
    .await;
    let d = decide(&w, &spoof.key).await;
    assert_eq!(record(&w, &spoof.id).await.status, FileStatus::Rejected);
    assert_eq!(
        record(&w, &spoof.id).await.reason.as_deref(),
        Some("type_not_allowed"),
        "{d:?}"
    );
    let honest = dropped(&w, "link-pdf", &["application/pdf"], "image/png", {
        let mut b = png();
        b.push(0);
        b
    })
    .await;
    decide(&w, &honest.key).await;
    assert_eq!(
        record(&w, &honest.id).await.reason.as_deref(),
        Some("type_not_allowed")
    );
    assert!(!w.store.has(&honest.key), "rejected bytes are removed");
    let (_, mail) = notices(&decide(&w, &spoof.key).await, t0());
    assert!(mail.is_none(), "a replay mails no one");
    // The same bytes on a link that allows PNG pass.
    let ok = dropped(&w, "link-img", &["image/png"], "image/png", {
        let mut b = png();
        b.extend([0, 0]);
        b
    })
    .await;
    decide(&w, &ok.key).await;
    assert_eq!(record(&w, &ok.id).await.status, FileStatus::Accepted);
}

#[tokio::test]
async fn rejected_files_notify_and_mail_the_owner() {
    let w = world();
    let up = uploaded(&w, "image/png", elf()).await;
    let d = decide(&w, &up.key).await;
    let (note, mail) = notices(&d, t0());
    let note = note.unwrap();
    assert_eq!(note.event_type, EventType::UploadRejected);
    assert_eq!(note.reason.as_deref(), Some("type_not_allowed"));
    assert_eq!(
        note.attributes(),
        vec![
            ("event_type", "upload.rejected".to_owned()),
            ("owner", "owner-1".to_owned()),
            ("detected_type", "application/x-executable".to_owned()),
        ]
    );
    let mail = mail.expect("the owner is mailed about a rejection");
    assert_eq!(mail.to, "owner@example.org");
    assert!(mail.subject.contains("rejected"), "{}", mail.subject);
    assert!(mail.body.contains("type_not_allowed"), "{}", mail.body);
    assert!(
        mail.body.contains("application/x-executable"),
        "{}",
        mail.body
    );
}

#[tokio::test]
async fn unrecognised_types_are_attributed_as_unknown() {
    let w = world();
    let up = uploaded(&w, "application/pdf", vec![0u8; 64]).await;
    let d = decide(&w, &up.key).await;
    let (note, mail) = notices(&d, t0());
    let note = note.unwrap();
    assert_eq!(note.reason.as_deref(), Some("type_unrecognized"));
    assert_eq!(
        note.attributes()[2],
        ("detected_type", "unknown".to_owned())
    );
    assert!(mail.is_some());
}

#[tokio::test]
async fn non_settling_decisions_tell_no_one() {
    let w = world();
    let d = decide(&w, "elsewhere/x").await;
    assert_eq!(notices(&d, t0()), (None, None));
    let d = decide(&w, "uploads/owner-1/ghost").await;
    assert_eq!(notices(&d, t0()), (None, None));
}

// ---------------------------------------------------------------- concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_deliveries_of_one_event_settle_once() {
    for (bytes, expected) in [(png(), (300, 0, 1)), (elf(), (0, 0, 0))] {
        let w = world();
        let up = uploaded(&w, "image/png", bytes).await;
        let pipeline = Arc::new(w.pipeline.clone());
        let barrier = Arc::new(tokio::sync::Barrier::new(10));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let p = pipeline.clone();
            let b = barrier.clone();
            let key = up.key.clone();
            tasks.push(tokio::spawn(async move {
                b.wait().await;
                p.decide_batch(&[ObjectEvent {
                    key,
                    ..Default::default()
                }])
                .await
                .remove(0)
            }));
        }
        let mut settled = 0;
        let mut noticed = 0;
        for t in tasks {
            let d = t.await.unwrap().unwrap();
            if matches!(d, Decision::Settled { .. }) {
                settled += 1;
            }
            if notices(&d, t0()).0.is_some() {
                noticed += 1;
            }
        }
        assert_eq!(settled, 1);
        assert_eq!(noticed, 1);
        assert_eq!(log(&w).len(), 1);
        assert_eq!(usage(&w).await, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_racing_the_pipeline_leaves_nothing_behind() {
    for _ in 0..50 {
        let w = world();
        let up = uploaded(&w, "image/png", png()).await;
        let files = Arc::new(w.files.clone());
        let pipeline = Arc::new(w.pipeline.clone());
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let (b1, b2) = (barrier.clone(), barrier);
        let key = up.key.clone();
        let id = up.id.to_string();
        let decide = tokio::spawn(async move {
            b1.wait().await;
            pipeline
                .decide_batch(&[ObjectEvent {
                    key,
                    ..Default::default()
                }])
                .await
                .remove(0)
        });
        let delete = tokio::spawn(async move {
            b2.wait().await;
            files.delete(&owner(), &id).await
        });
        decide.await.unwrap().unwrap();
        delete.await.unwrap().unwrap();
        assert!(w.ledger.get_file(&owner(), &up.id).await.unwrap().is_none());
        assert!(!w.store.has(&up.key));
        assert_eq!(usage(&w).await, (0, 0, 0));
    }
}

/// A store whose ranged reads each wait until `n` of them are in flight at once.
struct Gathering {
    inner: Arc<MemStore>,
    barrier: tokio::sync::Barrier,
}

#[async_trait::async_trait]
impl dropgate_core::objects::ObjectStore for Gathering {
    async fn presign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: std::time::Duration,
    ) -> Result<dropgate_core::objects::PresignedRequest, dropgate_core::CoreError> {
        self.inner.presign_put(key, size, content_type, ttl).await
    }
    async fn presign_get(
        &self,
        key: &str,
        cd: &str,
        ttl: std::time::Duration,
    ) -> Result<dropgate_core::objects::PresignedRequest, dropgate_core::CoreError> {
        self.inner.presign_get(key, cd, ttl).await
    }
    async fn sample(
        &self,
        key: &str,
        max: u64,
    ) -> Result<Option<dropgate_core::objects::ObjectSample>, dropgate_core::CoreError> {
        self.barrier.wait().await;
        self.inner.sample(key, max).await
    }
    async fn delete(&self, key: &str) -> Result<(), dropgate_core::CoreError> {
        self.inner.delete(key).await
    }
}

#[tokio::test]
async fn a_batch_is_decided_concurrently_with_results_in_order() {
    let w = world();
    let mut ups = Vec::new();
    for i in 0..10 {
        let bytes = if i % 3 == 0 { elf() } else { png() };
        ups.push(uploaded(&w, "image/png", bytes).await);
    }
    // Each read waits for all ten: a pipeline deciding one object after another never gets
    // past the first, and the bound below turns that into a failure instead of a hang.
    let pipeline = Pipeline {
        store: Arc::new(Gathering {
            inner: w.store.clone(),
            barrier: tokio::sync::Barrier::new(10),
        }),
        ..w.pipeline.clone()
    };
    let events: Vec<ObjectEvent> = ups
        .iter()
        .map(|u| ObjectEvent {
            key: u.key.clone(),
            ..Default::default()
        })
        .collect();
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        pipeline.decide_batch(&events),
    )
    .await
    .expect("the ten reads were in flight together");
    for (i, (d, up)) in out.into_iter().zip(&ups).enumerate() {
        let Decision::Settled { file, .. } = d.unwrap() else {
            panic!("object {i} not settled")
        };
        assert_eq!(file.id, up.id, "results come back in event order");
        let want = if i % 3 == 0 {
            FileStatus::Rejected
        } else {
            FileStatus::Accepted
        };
        assert_eq!(file.status, want, "object {i}");
    }
}

/// The event S3 sends for the object now at `key` in the fake store (its size and ETag).
fn event_for(w: &World, key: &str) -> ObjectEvent {
    let bytes = w.store.objects.lock().unwrap().get(key).cloned().unwrap();
    ObjectEvent {
        key: key.to_owned(),
        size: Some(bytes.len() as u64),
        etag: Some(hex::encode(&sha2::Sha256::digest(&bytes)[..16])),
    }
}

async fn decide_event(w: &World, e: ObjectEvent) -> Decision {
    w.pipeline.decide_batch(&[e]).await.remove(0).unwrap()
}

#[tokio::test]
async fn a_duplicate_event_for_an_accepted_file_costs_no_read() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    let first = event_for(&w, &up.key);
    decide_event(&w, first.clone()).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);
    let read = w.store.bytes_read.load(Ordering::Relaxed);
    let again = decide_event(&w, first).await;
    assert!(
        matches!(again, Decision::AlreadySettled { .. }),
        "{again:?}"
    );
    assert_eq!(
        w.store.bytes_read.load(Ordering::Relaxed),
        read,
        "no S3 read"
    );
}

#[tokio::test]
async fn replaced_bytes_that_no_longer_pass_reject_an_accepted_file() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    decide_event(&w, event_for(&w, &up.key)).await;
    assert_eq!(usage(&w).await, (300, 0, 1));
    // Someone with bucket access overwrites the object with an executable of the same size.
    let mut evil = elf();
    evil.resize(300, 0);
    w.store.put(&up.key, evil);
    let d = decide_event(&w, event_for(&w, &up.key)).await;
    let Decision::Settled { file, .. } = &d else {
        panic!("{d:?}")
    };
    assert_eq!(file.status, FileStatus::Rejected);
    let now = record(&w, &up.id).await;
    assert_eq!(now.status, FileStatus::Rejected);
    assert_eq!(now.reason.as_deref(), Some("content_changed"));
    assert_eq!(usage(&w).await, (0, 0, 0), "its usage is released");
    assert!(!w.store.has(&up.key), "the replaced bytes are removed");
    let entries = w.ledger.outbox.lock().unwrap().clone();
    let last = entries.last().unwrap();
    assert_eq!(last.event, dropgate_core::notify::EventType::UploadRejected);
    assert_eq!(last.file.reason.as_deref(), Some("content_changed"));
    let (_, mail) = notices(&d, t0());
    assert!(
        mail.unwrap().subject.contains("rejected"),
        "the owner is told"
    );
}

#[tokio::test]
async fn replaced_bytes_that_still_pass_change_nothing() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    decide_event(&w, event_for(&w, &up.key)).await;
    let mut other = png();
    other[299] = 7;
    w.store.put(&up.key, other);
    let d = decide_event(&w, event_for(&w, &up.key)).await;
    assert!(matches!(d, Decision::AlreadySettled { .. }), "{d:?}");
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);
    assert_eq!(usage(&w).await, (300, 0, 1));
}
