//! The S3 multipart adapter against the emulator: parts go up through the presigned URLs exactly
//! as a client sends them, and what S3 (moto) answers is mapped as the port promises.
//!
//! ListParts' pagination (1000 parts a page) is held by unit tests in infra/src/s3_multipart.rs:
//! over 1000 parts of S3's 5 MiB minimum is too heavy for the emulator.

use std::sync::Arc;
use std::time::Duration;

use dropgate_core::contract::multipart;
use dropgate_core::fakes::{FixedClock, SeqIds};
use dropgate_core::files::{FileLookup, FileService, NewUpload};
use dropgate_core::janitor::Janitor;
use dropgate_core::multipart::{MultipartStore, Multiparts, PartTag, StoredPart};
use dropgate_core::{FileId, FileStatus, OwnerId, Settings};
use dropgate_infra::s3::S3Store;

use crate::common::receive_until;
use crate::infra_adapters::{Env, Http, env, ledger};

const MIB: usize = 1024 * 1024;
const TTL: Duration = Duration::from_secs(900);

/// The functions' S3 client (the emulator launcher mends moto's ListParts answer, whose root
/// the SDK would refuse: local/emulator.py).
fn store(e: &Env) -> S3Store {
    S3Store {
        client: e.clients.s3().clone(),
        bucket: e.r.bucket.clone(),
    }
}

fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// PUTs `body` as part `number` through its presigned URL, with exactly the headers the store
/// gave; returns the ETag S3 answered, without quotes.
async fn put_part(s: &S3Store, key: &str, upload: &str, number: u32, body: &[u8]) -> String {
    let req = s
        .presign_part(key, upload, number, body.len() as u64, TTL)
        .await
        .unwrap();
    assert_eq!(req.method, "PUT");
    let mut put = reqwest::Client::new().put(&req.url).body(body.to_vec());
    for (k, v) in &req.headers {
        put = put.header(k, v);
    }
    let resp = put.send().await.unwrap();
    assert!(resp.status().is_success(), "part {number}: {resp:?}");
    resp.headers()
        .get("etag")
        .expect("S3 answers a part with its ETag")
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_owned()
}

fn tags(parts: &[StoredPart]) -> Vec<PartTag> {
    parts
        .iter()
        .map(|p| PartTag {
            number: p.number,
            etag: p.etag.clone(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_go_up_presigned_and_complete_into_the_object() {
    let e = env().await;
    let s = store(&e);
    let key = "uploads/o/big";
    let body = bytes(16 * MIB + 1024);
    // S3's 5 MiB minimum holds for every part but the last.
    let sizes = [8 * MIB, 8 * MIB, 1024];

    let upload = s
        .start_multipart(key, "application/octet-stream")
        .await
        .unwrap();
    let mut etags = Vec::new();
    let mut at = 0;
    for (i, size) in sizes.iter().enumerate() {
        etags.push(put_part(&s, key, &upload, i as u32 + 1, &body[at..at + size]).await);
        at += size;
    }

    let parts = s.list_parts(key, &upload).await.unwrap().unwrap();
    let want: Vec<StoredPart> = sizes
        .iter()
        .zip(&etags)
        .enumerate()
        .map(|(i, (size, etag))| StoredPart {
            number: i as u32 + 1,
            size: *size as u64,
            etag: etag.clone(),
        })
        .collect();
    assert_eq!(parts, want);
    assert!(parts.iter().all(|p| !p.etag.contains('"')));

    s.complete_multipart(key, &upload, &tags(&parts))
        .await
        .unwrap();
    let got = e
        .clients
        .s3()
        .get_object()
        .bucket(&e.r.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_length(), Some(body.len() as i64));
    assert_eq!(got.content_type(), Some("application/octet-stream"));
    let object_etag = got.e_tag().unwrap().trim_matches('"').to_owned();
    assert!(
        object_etag.ends_with("-3"),
        "a multipart ETag: {object_etag}"
    );
    let got = got.body.collect().await.unwrap().into_bytes();
    assert!(got == body.as_slice(), "the bytes round-trip");

    assert_eq!(s.list_parts(key, &upload).await.unwrap(), None);
    // moto answers a completion retried on the object it made with 200 again (idempotent).
    s.complete_multipart(key, &upload, &tags(&parts))
        .await
        .unwrap();
    // Aborting after, and an object never replaced: the contract (multipart::check_all).

    // moto 5.2.5 notifies a completion twice, ObjectCreated:Put then
    // ObjectCreated:CompleteMultipartUpload, both for the finished object (its size, its
    // multipart ETag); S3 itself sends only the second. The pipeline must take both.
    let sqs = e.clients.sqs();
    // Notifications carry the key URL-encoded, as S3's do.
    let encoded = key.replace('/', "%2F");
    let bodies = receive_until(sqs, &e.r.queue_url, 10, |b| {
        b.iter().filter(|m| m.contains(&encoded)).count() >= 2
    })
    .await;
    let mut events = Vec::new();
    for b in &bodies {
        let v: serde_json::Value = serde_json::from_str(b).unwrap();
        for r in v["Records"].as_array().into_iter().flatten() {
            if r["s3"]["object"]["key"] == encoded.as_str() {
                events.push((
                    r["eventName"].as_str().unwrap().to_owned(),
                    r["s3"]["object"]["size"].as_u64().unwrap(),
                    r["s3"]["object"]["eTag"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    let size = body.len() as u64;
    assert_eq!(
        events,
        [
            ("ObjectCreated:Put".to_owned(), size, object_etag.clone()),
            (
                "ObjectCreated:CompleteMultipartUpload".to_owned(),
                size,
                object_etag
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_multipart_store_keeps_the_contract() {
    // The same checks the in-memory store passes (core/tests/contract.rs): refusals mapped to
    // conflicts, aborts, an object never replaced.
    let e = env().await;
    let s = store(&e);
    let bucket = multipart::Bucket {
        parts: &s,
        objects: &s,
        client: &Http(reqwest::Client::new()),
    };
    multipart::check_all(&bucket, "s3").await;
}

/// The janitor on the real adapters, its clock injected: a multipart upload left past its
/// deadline (plus grace) is aborted in S3, the file expired and its reservation released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_janitor_aborts_a_stale_multipart_upload() {
    let e = env().await;
    let s = Arc::new(store(&e));
    let l = Arc::new(ledger(&e));
    let settings = Settings {
        single_put_max_bytes: MIB as u64,
        multipart_upload_ttl: Duration::from_secs(3600),
        pending_grace: Duration::from_secs(300),
        ..Settings::default()
    }
    .clamped();
    let t0 = chrono::Utc::now();
    let files = FileService {
        ledger: l.clone(),
        store: s.clone(),
        clock: Arc::new(FixedClock::at(t0)),
        ids: Arc::new(SeqIds::default()),
        multipart: Multiparts {
            store: s.clone(),
            objects: s.clone(),
            settings: settings.clone(),
        },
        settings: settings.clone(),
    };
    let owner = OwnerId::parse("owner-mp").unwrap();
    let size = 9 * MIB as u64;
    let c = files
        .create_upload(
            &owner,
            NewUpload {
                name: "big.txt".into(),
                size,
                content_type: "text/plain".into(),
                owner_email: None,
            },
        )
        .await
        .unwrap();
    let id = FileId::parse(&c.file.id).unwrap();
    let record = l.get_file(&owner, &id).await.unwrap().unwrap();
    let upload = record.multipart.clone().unwrap().upload_id;
    put_part(&s, &record.key(), &upload, 1, &bytes(8 * MIB)).await;
    assert_eq!(l.usage(&owner, 1 << 40).await.unwrap().reserved_bytes, size);

    let clock = Arc::new(FixedClock::at(t0 + chrono::Duration::minutes(64)));
    let janitor = Janitor {
        ledger: l.clone(),
        store: s.clone(),
        multipart: s.clone(),
        clock: clock.clone(),
        settings,
    };
    // Within the deadline and its grace: left alone.
    assert!(janitor.sweep(100).await.unwrap().expired.is_empty());
    assert!(
        s.list_parts(&record.key(), &upload)
            .await
            .unwrap()
            .is_some()
    );

    clock.advance(chrono::Duration::minutes(2));
    let sweep = janitor.sweep(100).await.unwrap();
    assert_eq!(sweep.expired.len(), 1, "{sweep:?}");
    assert_eq!(sweep.failed, 0);
    assert_eq!(s.list_parts(&record.key(), &upload).await.unwrap(), None);
    let after = l.get_file(&owner, &id).await.unwrap().unwrap();
    assert_eq!(after.status, FileStatus::Expired);
    assert_eq!(l.usage(&owner, 1 << 40).await.unwrap().reserved_bytes, 0);
}
