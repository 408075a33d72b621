//! The object store port: single-PUT uploads and downloads through presigned requests, the
//! pipeline's ranged sample, removal. Adapter over S3 in `dropgate-infra`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

use crate::CoreError;

/// A request the client performs itself, straight against the object store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Exactly the headers the client must send (they are signed).
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

/// The first bytes of an object, its full size, and what the store says of it with them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectSample {
    pub bytes: Vec<u8>,
    pub size: u64,
    /// The object's ETag, without quotes, when the store says.
    pub etag: Option<String>,
    /// The `Content-Encoding` the object was stored with (a client may add one to a presigned
    /// PUT: it is not signed), as the store answers it on every GET; `None` when it has none.
    pub content_encoding: Option<String>,
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// A presigned PUT that signs content-length and content-type and refuses to overwrite.
    async fn presign_put(
        &self,
        key: &str,
        size: u64,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError>;
    /// A presigned GET whose response carries `content_disposition` and `content_type`
    /// (whatever the object was stored with: the bytes are served as the verdict judged them).
    async fn presign_get(
        &self,
        key: &str,
        content_disposition: &str,
        content_type: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError>;
    /// At most `max_bytes` from the start of the object (a ranged read, never the whole
    /// object), or `None` if there is no such object.
    async fn sample(&self, key: &str, max_bytes: u64) -> Result<Option<ObjectSample>, CoreError>;
    /// Removes the object; removing a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), CoreError>;
}
