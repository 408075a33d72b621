//! Account users' files: create an upload, list, read, download, delete, and the quota view.

use std::sync::Arc;

use serde::Serialize;

use super::{
    FileView, NewUpload, OwnerLedger, QuotaUsage, Reservation, RetentionAsk, validate_upload,
};
use crate::clock::Clock;
use crate::ids::IdSource;
use crate::multipart::{Multiparts, PartTag, PartsListing, PresignedPart, UploadInstructions};
use crate::objects::{ObjectStore, PresignedRequest};
use crate::paging::parse_limit;
use crate::{CoreError, FileId, FileRecord, FileStatus, OwnerId, Settings, names};

#[derive(Debug, Clone, Serialize)]
pub struct CreatedUpload {
    pub file: FileView,
    pub upload: UploadInstructions,
}

#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub files: Vec<FileView>,
    pub next_cursor: Option<String>,
}

#[derive(Clone)]
pub struct FileService {
    pub ledger: Arc<dyn OwnerLedger>,
    pub store: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub multipart: Multiparts,
    pub settings: Settings,
}

impl FileService {
    pub async fn create_upload(
        &self,
        owner: &OwnerId,
        req: NewUpload,
    ) -> Result<CreatedUpload, CoreError> {
        self.create_retained(owner, req, RetentionAsk::default())
            .await
    }

    /// [`FileService::create_upload`] with when the file is to be deleted: its own
    /// `delete_after`, else its owner's default (`lifecycle::delete_after_for`).
    pub async fn create_retained(
        &self,
        owner: &OwnerId,
        req: NewUpload,
        retention: RetentionAsk,
    ) -> Result<CreatedUpload, CoreError> {
        let (name, content_type) = validate_upload(&self.settings, &req)?;
        let now = self.clock.now();
        let own = retention
            .delete_after
            .as_deref()
            .map(|raw| crate::lifecycle::parse_delete_after(raw, now))
            .transpose()?;
        let ttl = self.settings.upload_url_ttl;
        let mut record = FileRecord::pending(
            self.ids.file_id(),
            owner.clone(),
            name,
            req.size,
            content_type,
            now,
            ttl,
        );
        record.lifecycle.delete_after =
            crate::lifecycle::delete_after_for(own, None, retention.owner_days, now);
        record.owner_email = req.owner_email;
        self.multipart.prepare(&mut record).await?;
        let limit = self.settings.quota_bytes;
        let reserved = self.ledger.create_pending(&record, limit).await;
        if !matches!(reserved, Ok(Reservation::Reserved)) {
            self.multipart.abandon(&record).await;
        }
        if reserved? == Reservation::QuotaExceeded {
            let u = self.ledger.usage(owner, limit).await?;
            return Err(CoreError::QuotaExceeded {
                requested: req.size,
                used: u.used_bytes,
                reserved: u.reserved_bytes,
                limit: u.limit_bytes,
            });
        }
        match self.multipart.instructions(&record).await {
            Ok(upload) => Ok(CreatedUpload {
                file: record.owner_view(&self.settings.allowed_types),
                upload,
            }),
            Err(e) => {
                // Give the reservation back rather than leave it to the janitor (which expires
                // the record anyway if this fails too).
                if let Err(undo) = self.ledger.remove_file(&record, None).await {
                    tracing::warn!(file_id = %record.id, owner = %record.owner, error = %undo, "reservation not released; the janitor will expire it");
                }
                Err(e)
            }
        }
    }

    /// Presigned URLs for parts of one of the owner's pending multipart uploads.
    pub async fn presign_parts(
        &self,
        owner: &OwnerId,
        id: &str,
        numbers: &[u32],
    ) -> Result<Vec<PresignedPart>, CoreError> {
        let file = self.get(owner, id).await?;
        self.multipart.presign(&file, numbers).await
    }

    /// The parts already uploaded, for a client that resumes.
    pub async fn parts(&self, owner: &OwnerId, id: &str) -> Result<PartsListing, CoreError> {
        let file = self.get(owner, id).await?;
        self.multipart.listing(&file).await
    }

    /// Completes a multipart upload; the file stays pending until the pipeline's verdict.
    pub async fn complete(
        &self,
        owner: &OwnerId,
        id: &str,
        given: &[PartTag],
    ) -> Result<FileRecord, CoreError> {
        let file = self.get(owner, id).await?;
        self.multipart.complete(&file, given).await?;
        Ok(file)
    }

    /// One of the owner's files; a file in the trash is not there for anything but the trash's
    /// own routes, and one whose deletion for good began is deleted (its bytes may be gone).
    pub async fn get(&self, owner: &OwnerId, id: &str) -> Result<FileRecord, CoreError> {
        self.get_any(owner, id)
            .await?
            .filter(|f| !f.in_trash() && !f.is_deleting())
            .ok_or(CoreError::NotFound)
    }

    /// One of the owner's files itself, never one of its version records (those are reached
    /// through the file's versions).
    pub async fn head(&self, owner: &OwnerId, id: &str) -> Result<FileRecord, CoreError> {
        let file = self.get(owner, id).await?;
        if file.is_version() {
            return Err(CoreError::NotFound);
        }
        Ok(file)
    }

    /// The record whether or not it is in the trash.
    pub(super) async fn get_any(
        &self,
        owner: &OwnerId,
        id: &str,
    ) -> Result<Option<FileRecord>, CoreError> {
        let id = FileId::parse(id)?;
        self.ledger.get_file(owner, &id).await
    }

    pub async fn list(
        &self,
        owner: &OwnerId,
        limit: Option<&str>,
        cursor: Option<&str>,
    ) -> Result<Listing, CoreError> {
        let limit = parse_limit(limit)?;
        let after = cursor.map(decode_cursor).transpose()?;
        let page = self.ledger.list_files(owner, limit, after.as_ref()).await?;
        Ok(Listing {
            files: page
                .files
                .iter()
                // A record whose deletion for good began is deleted for its owner.
                .filter(|f| !f.is_deleting())
                .map(|f| f.owner_view(&self.settings.allowed_types))
                .collect(),
            next_cursor: page.next_after.as_ref().map(encode_cursor),
        })
    }

    pub async fn download(&self, owner: &OwnerId, id: &str) -> Result<PresignedRequest, CoreError> {
        let file = self.head(owner, id).await?;
        if file.status != FileStatus::Accepted {
            return Err(CoreError::conflict(
                "not_ready",
                format!(
                    "file is {}; only accepted files can be downloaded",
                    file.status.as_str()
                ),
            ));
        }
        // The current version's bytes.
        presign_download(
            self.store.as_ref(),
            &file.served(),
            self.settings.download_url_ttl,
        )
        .await
    }

    /// Deletes a file: an accepted one goes to the trash while `TRASH_DAYS` is above 0 (it
    /// keeps its bytes and its quota); anything else, or everything with the trash off, is
    /// removed at once: the record is marked (refusing a hold from then on), the object goes,
    /// then the record with whatever quota it held and its deletion receipt. A record that changes state meanwhile (the pipeline settling it) is
    /// read again and the deletion retried.
    pub async fn delete(&self, owner: &OwnerId, id: &str) -> Result<FileRecord, CoreError> {
        for _ in 0..5 {
            // A deletion cut short (marked, so hidden from every other route) is still found
            // here: the owner's repeated delete finishes it.
            let file = self
                .get_any(owner, id)
                .await?
                .filter(|f| !f.in_trash() && !f.is_version())
                .ok_or(CoreError::NotFound)?;
            crate::holds::ensure_deletable(&file)?;
            let now = self.clock.now();
            // A deletion for good that began (and was cut short) is finished, not trashed: its
            // bytes may be gone already.
            if file.lifecycle.deleting_at.is_none()
                && crate::lifecycle::goes_to_trash(file.status, self.settings.trash_days)
            {
                if self.ledger.trash_file(&file, now).await? {
                    let mut trashed = file;
                    trashed.lifecycle.trashed_at = Some(now);
                    return Ok(trashed);
                }
                continue;
            }
            // A large file still uploading: its parts are freed with the upload.
            self.multipart.abort(&file).await?;
            if self
                .purge_now(&file, crate::lifecycle::DeletionReason::Deleted)
                .await?
            {
                return Ok(file);
            }
        }
        Err(CoreError::conflict(
            "conflict",
            "the file changed while being deleted; retry",
        ))
    }

    /// Sets (or with `None` removes) when retention deletes one of the owner's live files;
    /// answers the file as it now is.
    pub async fn set_delete_after(
        &self,
        owner: &OwnerId,
        id: &str,
        raw: Option<&str>,
    ) -> Result<FileRecord, CoreError> {
        let file = self.head(owner, id).await?;
        let at = raw
            .map(|r| crate::lifecycle::parse_delete_after(r, self.clock.now()))
            .transpose()?;
        if !self.ledger.set_delete_after(&file, at).await? {
            // Deleted or trashed meanwhile.
            return Err(CoreError::NotFound);
        }
        tracing::info!(owner = %owner, file_id = %file.id, decision = if at.is_some() { "retention_set" } else { "retention_removed" }, "file retention changed");
        let mut file = file;
        file.lifecycle.delete_after = at;
        Ok(file)
    }

    pub async fn quota(&self, owner: &OwnerId) -> Result<QuotaUsage, CoreError> {
        self.ledger.usage(owner, self.settings.quota_bytes).await
    }
}

/// Cursors are opaque to clients: the last id of a page, hex-encoded.
pub fn encode_cursor(id: &FileId) -> String {
    hex::encode(id.as_str())
}

pub fn decode_cursor(raw: &str) -> Result<FileId, CoreError> {
    let bad = || CoreError::invalid("invalid_cursor", "cursor is not one this API returned");
    let bytes = hex::decode(raw).map_err(|_| bad())?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    FileId::parse(&s).map_err(|_| bad())
}

/// A presigned GET of an accepted file's bytes, served inert whoever asks (its owner or a
/// share's recipient): as an attachment under its own name, typed as the verdict judged it
/// (`policy::served_type`).
pub async fn presign_download(
    store: &dyn ObjectStore,
    file: &FileRecord,
    ttl: std::time::Duration,
) -> Result<PresignedRequest, CoreError> {
    let disposition = names::content_disposition(&file.name);
    let served = crate::policy::served_type(file.detected_type.as_deref());
    store
        .presign_get(&file.key(), &disposition, &served, ttl)
        .await
}
