//! The multipart store's contract: what every [`MultipartStore`] must do, run against the
//! in-memory `MemStore` (`core/tests/contract.rs`) and the S3 adapter on the emulator
//! (`local/tests/stack/infra_multipart.rs`). Parts reach the store as a client sends them,
//! through the presigned requests the store hands out ([`Client`]); the assembled object is
//! read back through the [`ObjectStore`] of the same bucket. Each check uses keys of its own
//! (`<prefix>/...`), so the checks can share a bucket with other tests.
//!
//! A retried completion of an upload that already completed is left out: S3 may answer it
//! either way for a while, and callers look for the object instead.

use std::time::Duration;

use super::objects::{Client, bytes, upload};
use crate::CoreError;
use crate::multipart::{MultipartStore, PartTag, StoredPart};
use crate::objects::ObjectStore;

const TTL: Duration = Duration::from_secs(900);
/// S3's smallest part, but for the last.
pub const MIN_PART: usize = 5 * 1024 * 1024;

/// The stores of one bucket: its multipart side, its objects, and a client of both.
pub struct Bucket<'a> {
    pub parts: &'a dyn MultipartStore,
    pub objects: &'a dyn ObjectStore,
    pub client: &'a dyn Client,
}

impl Bucket<'_> {
    /// PUTs `body` as part `number` through its presigned URL; the ETag the store answered.
    async fn put_part(&self, key: &str, upload: &str, number: u32, body: &[u8]) -> String {
        let req = self
            .parts
            .presign_part(key, upload, number, body.len() as u64, TTL)
            .await
            .unwrap();
        assert_eq!(req.method, "PUT");
        assert_eq!(
            req.headers.get("content-length"),
            Some(&body.len().to_string()),
            "the part's size is signed and handed to the client"
        );
        let a = self.client.send(&req, body.to_vec()).await;
        assert!(a.ok(), "part {number}: {a:?}");
        a.etag.expect("a part's PUT answers with its ETag")
    }

    async fn object(&self, key: &str) -> Option<(Vec<u8>, u64)> {
        self.objects
            .sample(key, 1 << 30)
            .await
            .unwrap()
            .map(|s| (s.bytes, s.size))
    }
}

fn tag(number: u32, etag: &str) -> PartTag {
    PartTag {
        number,
        etag: etag.to_owned(),
    }
}

fn tags(parts: &[StoredPart]) -> Vec<PartTag> {
    parts.iter().map(|p| tag(p.number, &p.etag)).collect()
}

fn conflict_code(r: Result<(), CoreError>) -> &'static str {
    match r {
        Err(CoreError::Conflict { code, .. }) => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

/// Every check, each on keys of its own under `prefix`.
pub async fn check_all(b: &Bucket<'_>, prefix: &str) {
    assembles_the_parts_in_order(b, prefix).await;
    refuses_missing_changed_small_or_unordered_parts(b, prefix).await;
    aborts_idempotently(b, prefix).await;
    never_replaces_an_object(b, prefix).await;
}

pub async fn assembles_the_parts_in_order(b: &Bucket<'_>, prefix: &str) {
    let key = format!("{prefix}/assemble/f1");
    let body = bytes(MIN_PART + 1024);
    let (first, last) = body.split_at(MIN_PART);
    let upload = b
        .parts
        .start_multipart(&key, "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(
        b.parts.list_parts(&key, &upload).await.unwrap(),
        Some(vec![]),
        "a new upload holds no part"
    );
    // Parts may arrive in any order; the listing is by number.
    let e2 = b.put_part(&key, &upload, 2, last).await;
    let e1 = b.put_part(&key, &upload, 1, first).await;
    let parts = b.parts.list_parts(&key, &upload).await.unwrap().unwrap();
    assert_eq!(
        parts,
        vec![
            StoredPart {
                number: 1,
                size: MIN_PART as u64,
                etag: e1.clone()
            },
            StoredPart {
                number: 2,
                size: 1024,
                etag: e2.clone()
            },
        ]
    );
    assert!(parts.iter().all(|p| !p.etag.contains('"')), "bare ETags");
    assert_eq!(b.object(&key).await, None, "nothing before completion");

    b.parts
        .complete_multipart(&key, &upload, &[tag(1, &e1), tag(2, &e2)])
        .await
        .unwrap();
    let (got, size) = b.object(&key).await.expect("the assembled object");
    assert_eq!(size, body.len() as u64);
    assert!(got == body, "the bytes round-trip, part 1 then part 2");
    assert_eq!(
        b.parts.list_parts(&key, &upload).await.unwrap(),
        None,
        "a completed upload no longer exists"
    );
    b.parts.abort_multipart(&key, &upload).await.unwrap();
    assert!(
        b.object(&key).await.is_some(),
        "aborting it after is a no-op"
    );

    // A part sent again replaces the earlier one.
    let again = format!("{prefix}/assemble/f2");
    let upload = b.parts.start_multipart(&again, "text/plain").await.unwrap();
    let old = b.put_part(&again, &upload, 1, b"first").await;
    let new = b.put_part(&again, &upload, 1, b"second!").await;
    let parts = b.parts.list_parts(&again, &upload).await.unwrap().unwrap();
    assert_eq!(
        parts,
        vec![StoredPart {
            number: 1,
            size: 7,
            etag: new.clone()
        }]
    );
    assert_eq!(
        conflict_code(
            b.parts
                .complete_multipart(&again, &upload, &[tag(1, &old)])
                .await
        ),
        "incomplete_upload",
        "the replaced part's ETag names bytes that are gone"
    );
    b.parts
        .complete_multipart(&again, &upload, &[tag(1, &new)])
        .await
        .unwrap();
    assert_eq!(b.object(&again).await, Some((b"second!".to_vec(), 7)));
}

pub async fn refuses_missing_changed_small_or_unordered_parts(b: &Bucket<'_>, prefix: &str) {
    let key = format!("{prefix}/refused/f1");
    let upload = b.parts.start_multipart(&key, "text/plain").await.unwrap();
    let first = b.put_part(&key, &upload, 1, &bytes(MIN_PART)).await;
    let last = b.put_part(&key, &upload, 2, b"tail").await;

    let cases: [(&str, Vec<PartTag>); 3] = [
        ("a part never sent", vec![tag(1, &first), tag(3, &last)]),
        (
            "a part's bytes changed",
            vec![tag(1, "0123456789abcdef0123456789abcdef"), tag(2, &last)],
        ),
        ("parts out of order", vec![tag(2, &last), tag(1, &first)]),
    ];
    for (what, parts) in cases {
        assert_eq!(
            conflict_code(b.parts.complete_multipart(&key, &upload, &parts).await),
            "incomplete_upload",
            "{what}"
        );
    }
    assert_eq!(b.object(&key).await, None, "nothing was assembled");
    assert_eq!(
        tags(&b.parts.list_parts(&key, &upload).await.unwrap().unwrap()),
        [tag(1, &first), tag(2, &last)],
        "the parts are still there"
    );

    // Every part but the last must hold S3's minimum.
    let small = format!("{prefix}/refused/f2");
    let upload = b.parts.start_multipart(&small, "text/plain").await.unwrap();
    let e1 = b.put_part(&small, &upload, 1, b"too small").await;
    let e2 = b.put_part(&small, &upload, 2, b"tail").await;
    assert_eq!(
        conflict_code(
            b.parts
                .complete_multipart(&small, &upload, &[tag(1, &e1), tag(2, &e2)])
                .await
        ),
        "incomplete_upload",
        "a small part before the last"
    );
    assert_eq!(b.object(&small).await, None);
    // ... while a single small part is a whole object.
    b.parts
        .complete_multipart(&small, &upload, &[tag(1, &e1)])
        .await
        .unwrap();
    assert_eq!(b.object(&small).await, Some((b"too small".to_vec(), 9)));
}

pub async fn aborts_idempotently(b: &Bucket<'_>, prefix: &str) {
    let key = format!("{prefix}/abort/f1");
    let upload = b.parts.start_multipart(&key, "text/plain").await.unwrap();
    let other = b.parts.start_multipart(&key, "text/plain").await.unwrap();
    assert_ne!(upload, other, "each start is an upload of its own");
    let e1 = b.put_part(&key, &upload, 1, b"bytes").await;
    b.put_part(&key, &other, 1, b"other").await;

    b.parts.abort_multipart(&key, &upload).await.unwrap();
    assert_eq!(b.parts.list_parts(&key, &upload).await.unwrap(), None);
    assert_eq!(
        b.parts
            .list_parts(&key, &other)
            .await
            .unwrap()
            .map(|p| p.len()),
        Some(1),
        "only the named upload goes"
    );
    b.parts.abort_multipart(&key, &upload).await.unwrap();
    b.parts
        .abort_multipart(&key, "no-such-upload")
        .await
        .unwrap();
    assert_eq!(
        conflict_code(
            b.parts
                .complete_multipart(&key, &upload, &[tag(1, &e1)])
                .await
        ),
        "upload_gone"
    );
    assert_eq!(
        b.object(&key).await,
        None,
        "an aborted upload leaves no object"
    );
    // A part sent to it now finds nothing to join.
    let req = b
        .parts
        .presign_part(&key, &upload, 2, 4, TTL)
        .await
        .unwrap();
    // (S3 answers 404 NoSuchUpload, the emulator a 500: refused either way.)
    let late = b.client.send(&req, b"late".to_vec()).await;
    assert!(!late.ok(), "{late:?}");
    b.parts.abort_multipart(&key, &other).await.unwrap();
}

pub async fn never_replaces_an_object(b: &Bucket<'_>, prefix: &str) {
    let key = format!("{prefix}/exists/f1");
    upload(b.objects, b.client, &key, b"judged bytes").await;
    let upload = b.parts.start_multipart(&key, "text/plain").await.unwrap();
    let e1 = b.put_part(&key, &upload, 1, b"other bytes").await;
    assert_eq!(
        conflict_code(
            b.parts
                .complete_multipart(&key, &upload, &[tag(1, &e1)])
                .await
        ),
        "object_exists"
    );
    assert_eq!(b.object(&key).await, Some((b"judged bytes".to_vec(), 12)));
    b.parts.abort_multipart(&key, &upload).await.unwrap();
}
