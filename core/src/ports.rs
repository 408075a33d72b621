//! Ports: what the domain needs from the outside world. Adapters over AWS live in
//! `dropgate-infra`; in-memory fakes in [`crate::fakes`].

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::notification::Notification;
use crate::{CoreError, FileId, LinkId};

mod ledger;

pub use ledger::{
    FileLookup, JanitorLedger, Ledger, OwnerLedger, Page, PipelineLedger, Reservation, Settlement,
    Settling, cut_page,
};

/// A request the client performs itself, straight against the object store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Exactly the headers the client must send (they are signed).
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

/// The first bytes of an object and its full size.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSample {
    pub bytes: Vec<u8>,
    pub size: u64,
    /// The object's ETag, without quotes, when the store says.
    pub etag: Option<String>,
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
    /// A presigned GET whose response carries `content_disposition`.
    async fn presign_get(
        &self,
        key: &str,
        content_disposition: &str,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError>;
    /// At most `max_bytes` from the start of the object (a ranged read, never the whole
    /// object), or `None` if there is no such object.
    async fn sample(&self, key: &str, max_bytes: u64) -> Result<Option<ObjectSample>, CoreError>;
    /// Removes the object; removing a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), CoreError>;
}

/// A part S3 already holds for a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPart {
    pub number: u32,
    pub size: u64,
    /// Without quotes.
    pub etag: String,
}

/// A part of a completion: its number and the ETag S3 gave it (without quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartTag {
    pub number: u32,
    pub etag: String,
}

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

#[async_trait]
pub trait Notifier: Send + Sync {
    /// Publishes every message (batched where the transport allows).
    async fn publish(&self, messages: &[Notification]) -> Result<(), CoreError>;
}

/// A plain-text email to an owner.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), CoreError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Where new ids and secrets come from (time-ordered ids and the OS's CSPRNG in production).
pub trait IdSource: Send + Sync {
    fn file_id(&self) -> FileId;
    fn link_id(&self) -> LinkId;
    fn share_id(&self) -> crate::ShareId;
    /// Fresh random bytes for a bearer secret (see [`crate::tokens`]); an error when the
    /// system's random source fails (no secret is better than a guessable one).
    fn secret(&self) -> Result<[u8; crate::tokens::SECRET_BYTES], CoreError>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
