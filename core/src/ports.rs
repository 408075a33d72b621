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
