//! The multipart flow of a pending file, for the owner's routes and the drop routes alike: the
//! caller resolves the file (by owner and id, or by receipt) and this does the rest.

use std::sync::Arc;

use serde::Serialize;

use super::{MultipartStore, PartTag, StoredPart};
use super::{MultipartUpload, PartPlan};
use crate::objects::{ObjectStore, PresignedRequest};
use crate::time::rfc3339;
use crate::{CoreError, FileRecord, FileStatus, Settings};

#[derive(Clone)]
pub struct Multiparts {
    pub store: Arc<dyn MultipartStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub settings: Settings,
}

/// What a client is told to do with its bytes: one presigned PUT, or parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum UploadInstructions {
    Put(PresignedRequest),
    Multipart {
        /// Always `"multipart"`.
        method: &'static str,
        part_size: u64,
        part_count: u32,
        /// The deadline of the whole upload.
        expires_at: String,
    },
}

impl UploadInstructions {
    /// The single presigned PUT, when the file is small enough for one.
    pub fn put(&self) -> Option<&PresignedRequest> {
        match self {
            Self::Put(p) => Some(p),
            Self::Multipart { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PresignedPart {
    pub number: u32,
    #[serde(flatten)]
    pub request: PresignedRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartsListing {
    pub part_size: u64,
    pub part_count: u32,
    pub parts: Vec<StoredPart>,
}

/// The multipart upload of a file that is still waiting for its bytes; anything else is not
/// found, as the API promises (a single-PUT file, a judged one, another owner's).
fn pending_upload(file: &FileRecord) -> Result<&MultipartUpload, CoreError> {
    match (&file.multipart, file.status) {
        (Some(m), FileStatus::Pending) => Ok(m),
        _ => Err(CoreError::NotFound),
    }
}

impl Multiparts {
    /// Starts a multipart upload when `record` is too large for one PUT; its deadline becomes
    /// the upload's. Call before the reservation is written, so the record holds the upload.
    pub async fn prepare(&self, record: &mut FileRecord) -> Result<(), CoreError> {
        if record.size <= self.settings.single_put_max_bytes {
            return Ok(());
        }
        let plan = PartPlan::for_size(record.size);
        let upload_id = self
            .store
            .start_multipart(&record.key(), &record.content_type)
            .await?;
        record.upload_expires_at =
            crate::time::after(record.created_at, self.settings.multipart_upload_ttl);
        record.multipart = Some(MultipartUpload {
            upload_id,
            part_size: plan.part_size,
            part_count: plan.part_count,
        });
        Ok(())
    }

    /// Gives up a started upload whose reservation was refused. A failure only leaves parts
    /// that S3's lifecycle rule aborts later.
    pub async fn abandon(&self, record: &FileRecord) {
        if let Some(m) = &record.multipart
            && let Err(e) = self
                .store
                .abort_multipart(&record.key(), &m.upload_id)
                .await
        {
            tracing::warn!(file_id = %record.id, error = %e, "multipart upload not aborted; the bucket's lifecycle rule will");
        }
    }

    /// The instructions of a freshly reserved file.
    pub async fn instructions(&self, record: &FileRecord) -> Result<UploadInstructions, CoreError> {
        Ok(match &record.multipart {
            Some(m) => UploadInstructions::Multipart {
                method: "multipart",
                part_size: m.part_size,
                part_count: m.part_count,
                expires_at: rfc3339(record.upload_expires_at),
            },
            // The URL never outlives the record's deadline (shorter for a drop, see
            // `crate::links::idle`).
            None => {
                let ttl = (record.upload_expires_at - record.created_at)
                    .to_std()
                    .unwrap_or_default()
                    .min(self.settings.upload_url_ttl)
                    .max(std::time::Duration::from_secs(1));
                UploadInstructions::Put(
                    self.objects
                        .presign_put(&record.key(), record.size, &record.content_type, ttl)
                        .await?,
                )
            }
        })
    }

    /// Presigned `UploadPart` URLs, each signing its part's exact length.
    pub async fn presign(
        &self,
        file: &FileRecord,
        numbers: &[u32],
    ) -> Result<Vec<PresignedPart>, CoreError> {
        self.presign_for(file, numbers, self.settings.upload_url_ttl)
            .await
    }

    /// As [`Self::presign`], the URLs living `ttl` (at most the deployment's URL lifetime).
    pub async fn presign_for(
        &self,
        file: &FileRecord,
        numbers: &[u32],
        ttl: std::time::Duration,
    ) -> Result<Vec<PresignedPart>, CoreError> {
        let ttl = ttl.min(self.settings.upload_url_ttl);
        let m = pending_upload(file)?;
        let plan = PartPlan::of(file.size, m);
        plan.check_numbers(numbers)?;
        let mut parts = Vec::with_capacity(numbers.len());
        for &n in numbers {
            let request = self
                .store
                .presign_part(&file.key(), &m.upload_id, n, plan.part_len(n), ttl)
                .await?;
            parts.push(PresignedPart { number: n, request });
        }
        Ok(parts)
    }

    /// The parts the store already holds: what a resuming client need not send again.
    pub async fn listing(&self, file: &FileRecord) -> Result<PartsListing, CoreError> {
        let m = pending_upload(file)?;
        let parts = self
            .store
            .list_parts(&file.key(), &m.upload_id)
            .await?
            .ok_or(CoreError::NotFound)?;
        Ok(PartsListing {
            part_size: m.part_size,
            part_count: m.part_count,
            parts,
        })
    }

    /// Assembles the object once every part is there at its planned size. Completing again
    /// (a client that lost the first answer) succeeds without doing anything.
    pub async fn complete(&self, file: &FileRecord, given: &[PartTag]) -> Result<(), CoreError> {
        let Some(m) = &file.multipart else {
            return Err(CoreError::NotFound);
        };
        match file.status {
            FileStatus::Pending => {}
            // Its deadline passed: the janitor aborted the upload.
            FileStatus::Expired => {
                return Err(CoreError::conflict(
                    "upload_gone",
                    "the upload expired before it was completed",
                ));
            }
            // Completed and judged: completing again changes nothing.
            FileStatus::Scanning
            | FileStatus::Held
            | FileStatus::Accepted
            | FileStatus::Rejected => return Ok(()),
        }
        let plan = PartPlan::of(file.size, m);
        plan.check_tags(given)?;
        let key = file.key();
        let Some(stored) = self.store.list_parts(&key, &m.upload_id).await? else {
            // Completed before (the object is there, the verdict not yet), or being completed
            // right now (S3 is still assembling it): the record is pending, so nothing aborted it.
            return match self.objects.sample(&key, 1).await? {
                Some(_) => Ok(()),
                None => Err(CoreError::Completing),
            };
        };
        let tags = plan
            .check_complete(&stored, given)
            .map_err(CoreError::IncompleteUpload)?;
        match self
            .store
            .complete_multipart(&key, &m.upload_id, &tags)
            .await
        {
            Ok(()) => Ok(()),
            // A part was uploaded again between the listing and the completion: say which.
            Err(CoreError::Conflict {
                code: "incomplete_upload",
                ..
            }) => {
                let now = self
                    .store
                    .list_parts(&key, &m.upload_id)
                    .await?
                    .unwrap_or_default();
                let mut why = plan.check_complete(&now, &tags).err().unwrap_or_default();
                if why == super::Incomplete::default() {
                    why.mismatched = tags.iter().map(|t| t.number).collect();
                    why.mismatched.truncate(super::MAX_LISTED);
                }
                Err(CoreError::IncompleteUpload(why))
            }
            // A concurrent or retried completion won the race (S3 says the upload is gone, or
            // that the object exists): the object is there under this file's own key.
            Err(CoreError::Conflict {
                code: "upload_gone" | "object_exists",
                ..
            }) if self.objects.sample(&key, 1).await?.is_some() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Aborts the upload of a pending file being deleted or expired, freeing its parts.
    pub async fn abort(&self, file: &FileRecord) -> Result<(), CoreError> {
        match (&file.multipart, file.status) {
            (Some(m), FileStatus::Pending) => {
                self.store.abort_multipart(&file.key(), &m.upload_id).await
            }
            _ => Ok(()),
        }
    }
}
