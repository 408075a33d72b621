//! The multipart store port: what the flow needs from the object store for uploads in parts.

use std::time::Duration;

use async_trait::async_trait;

use super::{PartTag, StoredPart};
use crate::CoreError;
use crate::objects::PresignedRequest;

/// Multipart uploads in the object store: the bytes go straight from the client to the store,
/// part by part, through presigned URLs; the server only starts, lists, completes and aborts.
#[async_trait]
pub trait MultipartStore: Send + Sync {
    /// Starts a multipart upload of `key`; returns the store's upload id.
    async fn start_multipart(&self, key: &str, content_type: &str) -> Result<String, CoreError>;
    /// A presigned `UploadPart` for part `number` that signs its exact `size`.
    async fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        size: u64,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError>;
    /// Every part the store holds, by number; `None` when the upload no longer exists
    /// (completed or aborted).
    async fn list_parts(
        &self,
        key: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<StoredPart>>, CoreError>;
    /// Assembles the object from `parts` (in order), refusing to replace an existing object.
    /// Refusals: `Conflict` `upload_gone` (no such upload), `incomplete_upload` (parts missing,
    /// changed or too small), `object_exists`; `Completing` while another completion of the
    /// same key is in flight.
    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartTag],
    ) -> Result<(), CoreError>;
    /// Abandons the upload and frees its parts; an upload that no longer exists is not an error.
    async fn abort_multipart(&self, key: &str, upload_id: &str) -> Result<(), CoreError>;
}
