//! The multipart side of [`MemStore`], and the multipart flow over one in-memory store.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;

use super::MemStore;
use super::lock::lock;
use super::objects::etag_of;
use crate::multipart::{MultipartStore, Multiparts, PartTag, StoredPart};
use crate::objects::PresignedRequest;
use crate::{CoreError, Settings};

/// S3's smallest part, but for the last.
const MIN_PART_BYTES: usize = 5 * 1024 * 1024;

#[async_trait]
impl MultipartStore for MemStore {
    async fn start_multipart(&self, key: &str, _content_type: &str) -> Result<String, CoreError> {
        let id = format!("mp-{}", self.next_upload.fetch_add(1, Ordering::Relaxed));
        lock(&self.uploads).insert(id.clone(), (key.to_owned(), BTreeMap::new()));
        Ok(id)
    }

    async fn presign_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u32,
        size: u64,
        ttl: Duration,
    ) -> Result<PresignedRequest, CoreError> {
        Ok(PresignedRequest {
            method: "PUT".into(),
            url: format!(
                "mem://{key}?uploadId={upload_id}&partNumber={number}&ttl={}",
                ttl.as_secs()
            ),
            headers: BTreeMap::from([("content-length".to_owned(), size.to_string())]),
            expires_at: String::new(),
        })
    }

    async fn list_parts(
        &self,
        _key: &str,
        upload_id: &str,
    ) -> Result<Option<Vec<StoredPart>>, CoreError> {
        Ok(lock(&self.uploads).get(upload_id).map(|(_, parts)| {
            parts
                .iter()
                .map(|(n, b)| StoredPart {
                    number: *n,
                    size: b.len() as u64,
                    etag: etag_of(b),
                })
                .collect()
        }))
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[PartTag],
    ) -> Result<(), CoreError> {
        let mut uploads = lock(&self.uploads);
        let Some((_, held)) = uploads.get(upload_id) else {
            return Err(CoreError::conflict("upload_gone", "no such upload"));
        };
        let mut object = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            // As S3: ascending part numbers (InvalidPartOrder), every part but the last at
            // least 5 MiB (EntityTooSmall).
            let ordered = i == 0 || parts[i - 1].number < p.number;
            let last = i + 1 == parts.len();
            match held.get(&p.number) {
                Some(b)
                    if ordered && etag_of(b) == p.etag && (last || b.len() >= MIN_PART_BYTES) =>
                {
                    object.extend_from_slice(b)
                }
                _ => return Err(CoreError::conflict("incomplete_upload", "invalid part")),
            }
        }
        let mut objects = lock(&self.objects);
        if objects.contains_key(key) {
            return Err(CoreError::conflict("object_exists", "the object exists"));
        }
        objects.insert(key.to_owned(), object);
        uploads.remove(upload_id);
        Ok(())
    }

    async fn abort_multipart(&self, _key: &str, upload_id: &str) -> Result<(), CoreError> {
        lock(&self.uploads).remove(upload_id);
        Ok(())
    }
}

/// The multipart flow over one in-memory store.
pub fn multiparts(store: &Arc<MemStore>, settings: &Settings) -> Multiparts {
    Multiparts {
        store: store.clone(),
        objects: store.clone(),
        settings: settings.clone(),
    }
}
