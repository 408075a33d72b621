//! The shared world of the pipeline tests: a file service and the pipeline over the in-memory
//! fakes, uploads of given bytes, and sample files of each type.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::allowed::TypePolicy;
use dropgate_core::fakes::{FixedClock, MemLedger, MemStore, SeqIds};
use dropgate_core::files::{FileLookup, FileService, LinkOrigin, NewUpload, OwnerLedger};
use dropgate_core::notify::{EventType, Mail, Notification, verdict_mail};
use dropgate_core::pipeline::{Decision, ObjectEvent, Pipeline};
use dropgate_core::{FileId, FileRecord, FileStatus, LinkId, OwnerId, Settings};

pub struct World {
    pub files: FileService,
    pub pipeline: Pipeline,
    pub ledger: Arc<MemLedger>,
    pub store: Arc<MemStore>,
    pub clock: Arc<FixedClock>,
    /// Owners' standing: a test stops an account here.
    pub standing: Arc<dropgate_core::fakes::MemStanding>,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

/// The type verdict's world: the scan is tested in `scanning.rs`.
pub fn world() -> World {
    world_with(Settings::default().without_scanning())
}

pub fn world_with(settings: Settings) -> World {
    let ledger = Arc::new(MemLedger::default());
    let store = Arc::new(MemStore::default());
    let clock = Arc::new(FixedClock::at(t0()));
    let standing = Arc::new(dropgate_core::fakes::MemStanding::default());
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
            clock: clock.clone(),
            standing: standing.clone(),
            settings,
        },
        ledger,
        store,
        clock,
        standing,
    }
}

pub fn owner() -> OwnerId {
    OwnerId::parse("owner-1").unwrap()
}

pub struct Up {
    pub id: FileId,
    pub key: String,
}

/// Creates a pending file declared as `declared` with the size of `bytes`, and stores `bytes`.
pub async fn uploaded(w: &World, declared: &str, bytes: Vec<u8>) -> Up {
    uploaded_with(w, declared, bytes.len() as u64, bytes, None).await
}

pub fn settled_file(d: &Decision) -> Option<&FileRecord> {
    match d {
        Decision::Settled { file, .. } => Some(file),
        _ => None,
    }
}

/// The operators' notice and the owner's mail (without a link's uploads-left figure).
pub fn notices(d: &Decision, at: chrono::DateTime<Utc>) -> (Option<Notification>, Option<Mail>) {
    (
        settled_file(d)
            .and_then(|f| EventType::settled(f.status).map(|e| Notification::new(e, f, at))),
        settled_file(d).and_then(|f| verdict_mail(f, None)),
    )
}

/// A pending file that came through link `via`, allowing `allowed`, with `bytes` stored.
pub async fn dropped(w: &World, via: &str, allowed: &[&str], declared: &str, bytes: Vec<u8>) -> Up {
    dropped_under(w, via, TypePolicy::only(allowed), declared, bytes).await
}

/// A file dropped through link `via`, whose own policy is `allowed`.
pub async fn dropped_under(
    w: &World,
    via: &str,
    allowed: TypePolicy,
    declared: &str,
    bytes: Vec<u8>,
) -> Up {
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
        allowed_types: allowed,
        uploader: None,
    });
    w.ledger.create_pending(&f, 1 << 40).await.unwrap();
    let key = format!("uploads/{id}");
    w.store.put(&key, bytes);
    Up { id, key }
}

pub async fn uploaded_with(
    w: &World,
    declared: &str,
    declared_size: u64,
    bytes: Vec<u8>,
    via_link: Option<&str>,
) -> Up {
    if let Some(via) = via_link {
        assert_eq!(declared_size, bytes.len() as u64);
        // A link without a list of its own: the deployment's policy.
        return dropped_under(w, via, TypePolicy::AllButActiveContent, declared, bytes).await;
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
    let key = format!("uploads/{id}");
    w.store.put(&key, bytes);
    Up { id, key }
}

pub async fn decide(w: &World, key: &str) -> Decision {
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

pub async fn record(w: &World, id: &FileId) -> FileRecord {
    w.ledger.get_file(&owner(), id).await.unwrap().unwrap()
}

pub async fn usage(w: &World) -> (u64, u64, u64) {
    let u = w.ledger.usage(&owner(), 1 << 40).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

pub fn log(w: &World) -> Vec<(FileId, FileStatus)> {
    w.ledger.log.lock().unwrap().clone()
}

pub fn padded(head: &[u8], len: usize) -> Vec<u8> {
    let mut v = head.to_vec();
    v.resize(len, 0);
    v
}

pub fn png() -> Vec<u8> {
    padded(
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02",
        300,
    )
}

pub fn jpeg() -> Vec<u8> {
    padded(
        b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0",
        300,
    )
}

pub fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n".to_vec()
}

pub fn mp3() -> Vec<u8> {
    let mut v = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    v.extend_from_slice(&[0xff, 0xfb, 0x90, 0x64]);
    v.resize(400, 0x55);
    v
}

pub fn wav() -> Vec<u8> {
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

pub fn elf() -> Vec<u8> {
    padded(
        b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0",
        128,
    )
}

/// A minimal PE: DOS header with `e_lfanew` pointing at a `PE\0\0` signature.
pub fn pe() -> Vec<u8> {
    let mut v = vec![0u8; 256];
    v[0] = b'M';
    v[1] = b'Z';
    v[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    v[0x80..0x84].copy_from_slice(b"PE\0\0");
    v[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
    v
}

pub fn zip() -> Vec<u8> {
    let mut v = b"PK\x03\x04\x14\0\0\0\x08\0".to_vec();
    v.extend_from_slice(&[0; 20]);
    v.extend_from_slice(b"notes.txt");
    v.extend_from_slice(b"compressed-bytes");
    v
}
