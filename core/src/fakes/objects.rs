//! [`MemStore`]: an object store in memory. The same store also keeps multipart uploads (its
//! [`MultipartStore`](crate::multipart::MultipartStore) side is in `multipart.rs`), since a
//! completion turns an upload's parts into one of its objects.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sha2::Digest;

use super::lock::lock;
use crate::CoreError;
use crate::objects::{ObjectSample, ObjectStore, PresignedRequest};

/// An object store in memory that counts the bytes it hands out, and fails reads or deletes of
/// chosen keys as S3 does when it throttles or errs.
#[derive(Default)]
pub struct MemStore {
    pub objects: Mutex<HashMap<String, Vec<u8>>>,
    /// The `Content-Encoding` objects were stored with, by key (none: no entry).
    pub encodings: Mutex<HashMap<String, String>>,
    pub bytes_read: AtomicU64,
    /// Keys whose sample fails with `Throttled`.
    pub failing_samples: Mutex<HashSet<String>>,
    /// Keys whose delete fails with an upstream error.
    pub failing_deletes: Mutex<HashSet<String>>,
    /// Multipart uploads in progress, by upload id.
    pub uploads: Mutex<BTreeMap<String, MemUpload>>,
    pub(super) next_upload: AtomicU64,
    /// Called with the key at the start of every delete: a test does something at that
    /// moment (an admin placing a legal hold while the bytes go, say).
    pub before_delete: Mutex<Option<KeyHook>>,
}

/// What [`MemStore::before_delete`] calls.
pub type KeyHook = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

impl MemStore {
    pub fn put(&self, key: &str, bytes: Vec<u8>) {
        lock(&self.encodings).remove(key);
        lock(&self.objects).insert(key.to_owned(), bytes);
    }
    /// What a client's PUT with an added `Content-Encoding` header stores.
    pub fn put_encoded(&self, key: &str, bytes: Vec<u8>, content_encoding: &str) {
        lock(&self.objects).insert(key.to_owned(), bytes);
        lock(&self.encodings).insert(key.to_owned(), content_encoding.to_owned());
    }
    pub fn has(&self, key: &str) -> bool {
        lock(&self.objects).contains_key(key)
    }
    /// What a client's `UploadPart` through a presigned URL does; returns the part's ETag.
    pub fn put_part(&self, upload_id: &str, number: u32, bytes: Vec<u8>) -> String {
        let etag = etag_of(&bytes);
        let mut uploads = lock(&self.uploads);
        let (_, parts) = uploads.get_mut(upload_id).expect("no such upload");
        parts.insert(number, bytes);
        etag
    }
}

/// A multipart upload in progress: its key and its parts by number.
pub type MemUpload = (String, BTreeMap<u32, Vec<u8>>);

/// Like S3's ETag of a single PUT: a digest of the content.
pub fn etag_of(bytes: &[u8]) -> String {
    hex::encode(&sha2::Sha256::digest(bytes)[..16])
}

#[async_trait]
impl ObjectStore for MemStore {
    async fn presign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        let headers = BTreeMap::from([
            ("content-length".to_owned(), size.to_string()),
            ("content-type".to_owned(), content_type.to_owned()),
        ]);
        Ok(PresignedRequest {
            method: "PUT".into(),
            url: format!("mem://{key}?ttl={}", ttl.as_secs()),
            headers,
            expires_at: String::new(),
        })
    }

    async fn presign_get(
        &self,
        key: &str,
        content_disposition: &str,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        Ok(PresignedRequest {
            method: "GET".into(),
            url: format!(
                "mem://{key}?ttl={}&ct={content_type}&cd={content_disposition}",
                ttl.as_secs()
            ),
            headers: BTreeMap::new(),
            expires_at: String::new(),
        })
    }

    async fn sample(&self, key: &str, max_bytes: u64) -> Result<Option<ObjectSample>, CoreError> {
        if lock(&self.failing_samples).contains(key) {
            return Err(CoreError::Throttled);
        }
        let content_encoding = lock(&self.encodings).get(key).cloned();
        let objects = lock(&self.objects);
        Ok(objects.get(key).map(|b| {
            let n = b.len().min(max_bytes as usize);
            self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
            ObjectSample {
                bytes: b[..n].to_vec(),
                size: b.len() as u64,
                etag: Some(etag_of(b)),
                content_encoding,
            }
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), CoreError> {
        let hook = lock(&self.before_delete).clone();
        if let Some(hook) = hook {
            hook(key);
        }
        if lock(&self.failing_deletes).contains(key) {
            return Err(CoreError::upstream("S3 503 SlowDown"));
        }
        lock(&self.objects).remove(key);
        lock(&self.encodings).remove(key);
        Ok(())
    }
}
