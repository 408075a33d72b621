//! The object store's contract: what every [`ObjectStore`] must do, run against the in-memory
//! `MemStore` (`core/tests/contract.rs`) and the S3 adapter on the emulator
//! (`local/tests/stack/infra_adapters.rs`). Bytes reach the store as a client sends them,
//! through the presigned requests the store hands out ([`Client`]). Each check uses keys of its
//! own (`<prefix>/...`), so the checks can share a bucket with other tests.

use std::time::Duration;

pub use futures_util::future::BoxFuture;

use crate::objects::{ObjectStore, PresignedRequest};

const TTL: Duration = Duration::from_secs(900);

/// What a store answered a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The ETag, without quotes, when the store gave one.
    pub etag: Option<String>,
    pub body: Vec<u8>,
    /// The `Content-Disposition` the store answered with.
    pub content_disposition: Option<String>,
    /// The `Content-Type` the store answered with.
    pub content_type: Option<String>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What the checks need beyond the port: a client that sends a presigned request exactly as
/// the store handed it out (method, URL, every header), with `body`.
/// (A boxed future rather than `async_trait`, so that implementors need no macro crate.)
pub trait Client: Send + Sync {
    fn send<'a>(&'a self, req: &'a PresignedRequest, body: Vec<u8>) -> BoxFuture<'a, Answer>;
}

/// The in-memory store's side of its own `mem://` URLs, as S3 serves presigned requests: a
/// PUT never replaces an object (the `If-None-Match: *` production signs), a part goes to its
/// upload, a GET answers with the disposition it was signed with.
impl Client for crate::fakes::MemStore {
    fn send<'a>(&'a self, req: &'a PresignedRequest, body: Vec<u8>) -> BoxFuture<'a, Answer> {
        let answer = |status, etag, body, content_disposition| Answer {
            status,
            etag,
            body,
            content_disposition,
            content_type: None,
        };
        let rest = req.url.strip_prefix("mem://").unwrap_or(&req.url);
        let (key, query) = rest.split_once('?').unwrap_or((rest, ""));
        // The disposition is the query's last parameter and is not encoded: it may hold `&`.
        let (query, cd) = match query.split_once("&cd=") {
            Some((q, cd)) => (q, Some(cd.to_owned())),
            None => (query, None),
        };
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        };
        let out = match (req.method.as_str(), param("uploadId"), param("partNumber")) {
            ("PUT", Some(upload), Some(number)) => {
                let number: u32 = number.parse().unwrap_or(0);
                if self.uploads.lock().unwrap().contains_key(upload) {
                    let etag = self.put_part(upload, number, body);
                    answer(200, Some(etag), vec![], None)
                } else {
                    answer(404, None, vec![], None)
                }
            }
            ("PUT", ..) => {
                if self.has(key) {
                    answer(412, None, vec![], None)
                } else {
                    let etag = crate::fakes::etag_of(&body);
                    // A header the client adds is stored as S3 stores it, signed or not.
                    match req.headers.get("content-encoding") {
                        Some(e) => self.put_encoded(key, body, e),
                        None => self.put(key, body),
                    }
                    answer(200, Some(etag), vec![], None)
                }
            }
            ("GET", ..) => match self.objects.lock().unwrap().get(key) {
                Some(b) => Answer {
                    content_type: param("ct").map(str::to_owned),
                    ..answer(200, Some(crate::fakes::etag_of(b)), b.clone(), cd)
                },
                None => answer(404, None, vec![], None),
            },
            _ => answer(405, None, vec![], None),
        };
        Box::pin(async move { out })
    }
}

/// `len` bytes that differ from offset to offset, so a sample from the wrong place shows.
pub fn bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Puts `body` at `key` through a presigned PUT, as a client does; the ETag it answered.
pub async fn upload(s: &dyn ObjectStore, c: &dyn Client, key: &str, body: &[u8]) -> String {
    let req = s
        .presign_put(key, body.len() as u64, "application/octet-stream", TTL)
        .await
        .unwrap();
    let a = c.send(&req, body.to_vec()).await;
    assert!(a.ok(), "PUT {key}: {}", a.status);
    a.etag.expect("a PUT answers with the object's ETag")
}

/// Every check, each on keys of its own under `prefix`.
pub async fn check_all(s: &dyn ObjectStore, c: &dyn Client, prefix: &str) {
    presigns_what_it_signs(s, c, prefix).await;
    samples_at_most_the_asked_bytes(s, c, prefix).await;
    never_lets_a_put_replace_an_object(s, c, prefix).await;
    deletes_idempotently(s, c, prefix).await;
    samples_tell_the_stored_content_encoding(s, c, prefix).await;
}

/// A presigned PUT signs neither `Content-Encoding` nor its absence: a client may add one, the
/// store keeps it and would serve it, and the sample says so (the pipeline refuses it).
pub async fn samples_tell_the_stored_content_encoding(
    s: &dyn ObjectStore,
    c: &dyn Client,
    prefix: &str,
) {
    let plain = format!("{prefix}/encoding/plain");
    upload(s, c, &plain, b"plain").await;
    let got = s.sample(&plain, 100).await.unwrap().expect("the object");
    assert_eq!(got.content_encoding, None, "no encoding was sent");

    let key = format!("{prefix}/encoding/br");
    let mut put = s.presign_put(&key, 5, "text/plain", TTL).await.unwrap();
    assert!(!put.headers.contains_key("content-encoding"), "{put:?}");
    put.headers.insert("content-encoding".into(), "br".into());
    let a = c.send(&put, b"\x1b\x04\0\xf8\x03".to_vec()).await;
    assert!(a.ok(), "a PUT with an unsigned Content-Encoding: {a:?}");
    let got = s.sample(&key, 100).await.unwrap().expect("the object");
    assert_eq!(got.content_encoding.as_deref(), Some("br"));
    assert_eq!(got.bytes.len(), 5, "the stored bytes, not decoded");
    s.delete(&key).await.unwrap();
    assert!(s.sample(&key, 100).await.unwrap().is_none());
}

pub async fn presigns_what_it_signs(s: &dyn ObjectStore, c: &dyn Client, prefix: &str) {
    let key = format!("{prefix}/presign/f1");
    let put = s
        .presign_put(&key, 5, "image/png", Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    assert_eq!(
        put.headers.get("content-length").map(String::as_str),
        Some("5"),
        "the size is signed and handed to the client"
    );
    assert_eq!(
        put.headers.get("content-type").map(String::as_str),
        Some("image/png")
    );
    let a = c.send(&put, b"\x89PNG\r".to_vec()).await;
    assert!(a.ok(), "the client's PUT with exactly these headers: {a:?}");

    let cd = "attachment; filename=\"report.png\"";
    // Served as the verdict judged the bytes, not as they were declared at the PUT.
    let get = s
        .presign_get(
            &key,
            cd,
            "application/octet-stream",
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    assert_eq!(get.method, "GET");
    let a = c.send(&get, vec![]).await;
    assert!(a.ok(), "{a:?}");
    assert_eq!(a.body, b"\x89PNG\r");
    assert_eq!(a.content_disposition.as_deref(), Some(cd));
    assert_eq!(a.content_type.as_deref(), Some("application/octet-stream"));
    assert_eq!(
        a.etag.as_deref(),
        s.sample(&key, 1).await.unwrap().unwrap().etag.as_deref()
    );

    // A GET of a missing object is signed all the same, and refused by the store (404, or
    // 403 where the signer may not list the bucket, as here).
    let missing = format!("{prefix}/presign/missing");
    let get = s.presign_get(&missing, cd, "image/png", TTL).await.unwrap();
    let a = c.send(&get, vec![]).await;
    assert!(!a.ok() && a.body.is_empty(), "{a:?}");
}

pub async fn samples_at_most_the_asked_bytes(s: &dyn ObjectStore, c: &dyn Client, prefix: &str) {
    let big = format!("{prefix}/sample/big");
    let body = bytes(100_000);
    let etag = upload(s, c, &big, &body).await;
    let got = s.sample(&big, 8192).await.unwrap().expect("the object");
    assert_eq!((got.bytes.as_slice(), got.size), (&body[..8192], 100_000));
    assert_eq!(got.etag.as_deref(), Some(etag.as_str()), "the PUT's ETag");
    let exact = s.sample(&big, 100_000).await.unwrap().expect("the object");
    assert!(exact.bytes == body, "exactly the whole object");
    let more = s.sample(&big, 1 << 20).await.unwrap().expect("the object");
    assert_eq!((more.bytes.len(), more.size), (100_000, 100_000));

    let small = format!("{prefix}/sample/small");
    upload(s, c, &small, b"abc").await;
    let got = s.sample(&small, 8192).await.unwrap().expect("the object");
    assert_eq!((got.bytes.as_slice(), got.size), (b"abc".as_slice(), 3));

    // An empty object exists and holds nothing.
    let empty = format!("{prefix}/sample/empty");
    upload(s, c, &empty, b"").await;
    let got = s
        .sample(&empty, 8192)
        .await
        .unwrap()
        .expect("an empty object");
    assert_eq!((got.bytes.len(), got.size), (0, 0));

    assert!(
        s.sample(&format!("{prefix}/sample/missing"), 8192)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn never_lets_a_put_replace_an_object(s: &dyn ObjectStore, c: &dyn Client, prefix: &str) {
    let key = format!("{prefix}/once/f1");
    let put = s.presign_put(&key, 5, "text/plain", TTL).await.unwrap();
    assert!(c.send(&put, b"first".to_vec()).await.ok());
    let again = c.send(&put, b"again".to_vec()).await;
    assert_eq!(
        again.status, 412,
        "a second PUT through the same URL: {again:?}"
    );
    let fresh = s.presign_put(&key, 5, "text/plain", TTL).await.unwrap();
    assert_eq!(c.send(&fresh, b"fresh".to_vec()).await.status, 412);
    let got = s.sample(&key, 100).await.unwrap().expect("the object");
    assert_eq!(got.bytes, b"first", "the judged bytes stay");
    // Once deleted, the key takes a new object.
    s.delete(&key).await.unwrap();
    assert!(c.send(&fresh, b"fresh".to_vec()).await.ok());
    assert_eq!(s.sample(&key, 100).await.unwrap().unwrap().bytes, b"fresh");
}

pub async fn deletes_idempotently(s: &dyn ObjectStore, c: &dyn Client, prefix: &str) {
    let (a, b) = (format!("{prefix}/delete/a"), format!("{prefix}/delete/b"));
    upload(s, c, &a, b"aaa").await;
    upload(s, c, &b, b"bbb").await;
    s.delete(&a).await.unwrap();
    assert!(s.sample(&a, 10).await.unwrap().is_none());
    s.delete(&a).await.unwrap();
    s.delete(&format!("{prefix}/delete/never")).await.unwrap();
    assert_eq!(
        s.sample(&b, 10).await.unwrap().expect("b").bytes,
        b"bbb",
        "only the named object goes"
    );
}
