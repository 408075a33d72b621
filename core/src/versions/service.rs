//! The owner's versions of a file: a new version's upload, the list, a version's download, a
//! restore and a deletion; and the pruning past `MAX_VERSIONS` once a new one is accepted.
//! Every removal of a version goes through [`remove_one`], so a guard (a legal hold, say) has
//! one place to stand.

use std::sync::Arc;

use serde::Serialize;

use super::{VersionLedger, VersionOf, VersionReservation, prune_victim};
use crate::clock::Clock;
use crate::files::{CreatedUpload, FileLookup, NewUpload, validate_upload};
use crate::ids::IdSource;
use crate::multipart::Multiparts;
use crate::objects::{ObjectStore, PresignedRequest};
use crate::time::rfc3339;
use crate::{CoreError, FileId, FileRecord, FileStatus, OwnerId, Settings};

/// One version as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionView {
    pub n: u32,
    pub size: u64,
    pub detected_type: Option<String>,
    pub status: FileStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: String,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionList {
    pub versions: Vec<VersionView>,
}

#[derive(Clone)]
pub struct VersionService {
    pub files: Arc<dyn FileLookup>,
    pub versions: Arc<dyn VersionLedger>,
    pub store: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub multipart: Multiparts,
    pub settings: Settings,
}

/// Tries at a write that lost a race for the file's record.
const ATTEMPTS: usize = 5;

fn not_found() -> CoreError {
    CoreError::missing("version_not_found", "no such version of this file")
}

impl VersionService {
    /// One of the owner's live files (not a version record, not in the trash, not being
    /// deleted for good).
    pub async fn file(&self, owner: &OwnerId, id: &str) -> Result<FileRecord, CoreError> {
        let id = FileId::parse(id)?;
        self.files
            .get_file(owner, &id)
            .await?
            .filter(|f| {
                !f.in_trash() && f.versioning.of.is_none() && f.lifecycle.deleting_at.is_none()
            })
            .ok_or(CoreError::NotFound)
    }

    /// Reserves a new version of an accepted file and answers how to upload it, as a new file.
    pub async fn create(
        &self,
        owner: &OwnerId,
        id: &str,
        size: u64,
        content_type: String,
        owner_email: Option<String>,
    ) -> Result<CreatedUpload, CoreError> {
        for _ in 0..ATTEMPTS {
            let file = self.file(owner, id).await?;
            if file.status != FileStatus::Accepted {
                return Err(CoreError::conflict(
                    "not_ready",
                    format!(
                        "file is {}; only accepted files take new versions",
                        file.status.as_str()
                    ),
                ));
            }
            let req = NewUpload {
                name: file.name.clone(),
                size,
                content_type: content_type.clone(),
                owner_email: owner_email.clone(),
            };
            let (name, content_type) = validate_upload(&self.settings, &req)?;
            let now = self.clock.now();
            let mut record = FileRecord::pending(
                self.ids.file_id(),
                owner.clone(),
                name,
                size,
                content_type,
                now,
                self.settings.upload_url_ttl,
            );
            record.owner_email = req.owner_email;
            record.versioning.of = Some(VersionOf {
                file: file.id.clone(),
                n: file.versioning.head.next_n(),
            });
            self.multipart.prepare(&mut record).await?;
            let limit = self.settings.quota_bytes;
            let reserved = self.versions.create_version(&file, &record, limit).await;
            if !matches!(reserved, Ok(VersionReservation::Reserved)) {
                self.multipart.abandon(&record).await;
            }
            match reserved? {
                VersionReservation::Reserved => {}
                VersionReservation::FileChanged => continue,
                VersionReservation::QuotaExceeded => {
                    let u = self.files.usage(owner, limit).await?;
                    return Err(CoreError::QuotaExceeded {
                        requested: size,
                        used: u.used_bytes,
                        reserved: u.reserved_bytes,
                        limit: u.limit_bytes,
                    });
                }
            }
            // A version whose instructions fail stays pending: the janitor expires it and
            // gives its reservation back.
            let upload = self.multipart.instructions(&record).await?;
            tracing::info!(owner = %owner, file_id = %file.id, version_id = %record.id, version = record.versioning.of.as_ref().map_or(0, |o| o.n), decision = "version_reserved", "new version reserved");
            return Ok(CreatedUpload {
                file: record.owner_view(&self.settings.allowed_types),
                upload,
            });
        }
        Err(CoreError::conflict(
            "conflict",
            "the file changed while a version was being added; retry",
        ))
    }

    /// Every version of the file, oldest first: its own first bytes (unless removed), then
    /// each version record kept, with the one served marked current.
    pub async fn list(&self, owner: &OwnerId, id: &str) -> Result<VersionList, CoreError> {
        let file = self.file(owner, id).await?;
        let versions = self.versions.versions_of(&file).await?;
        Ok(VersionList {
            versions: views(&file, &versions),
        })
    }

    /// The file and version `n` of it (`None` for the file's own first bytes).
    async fn version(
        &self,
        owner: &OwnerId,
        id: &str,
        n: &str,
    ) -> Result<(FileRecord, Option<FileRecord>), CoreError> {
        let n: u32 = n.parse().map_err(|_| not_found())?;
        let file = self.file(owner, id).await?;
        if n == 1 {
            if file.versioning.head.first_removed {
                return Err(not_found());
            }
            return Ok((file, None));
        }
        let vid = file.versioning.head.id_of(n).ok_or_else(not_found)?.clone();
        let version = self
            .files
            .get_file(owner, &vid)
            .await?
            .ok_or_else(not_found)?;
        Ok((file, Some(version)))
    }

    /// A presigned GET of version `n`'s bytes (accepted only), under the file's name.
    pub async fn download(
        &self,
        owner: &OwnerId,
        id: &str,
        n: &str,
    ) -> Result<PresignedRequest, CoreError> {
        let (file, version) = self.version(owner, id, n).await?;
        let served = match version {
            None => file.clone(),
            Some(v) => FileRecord {
                name: file.name.clone(),
                ..v
            },
        };
        if served.status != FileStatus::Accepted || file.status != FileStatus::Accepted {
            return Err(CoreError::conflict(
                "not_ready",
                format!(
                    "version is {}; only accepted versions can be downloaded",
                    served.status.as_str()
                ),
            ));
        }
        crate::files::presign_download(self.store.as_ref(), &served, self.settings.download_url_ttl)
            .await
    }

    /// Makes version `n` the one served: only its pointer moves, no bytes are copied.
    pub async fn restore(
        &self,
        owner: &OwnerId,
        id: &str,
        n: &str,
    ) -> Result<VersionList, CoreError> {
        for _ in 0..ATTEMPTS {
            let (file, version) = self.version(owner, id, n).await?;
            if let Some(v) = &version
                && v.status != FileStatus::Accepted
            {
                return Err(CoreError::conflict(
                    "not_ready",
                    format!(
                        "version is {}; only accepted versions can be restored",
                        v.status.as_str()
                    ),
                ));
            }
            let target = version.as_ref().and_then(|v| v.versioning.of.as_ref());
            let n = target.map_or(1, |o| o.n);
            if n != file.versioning.head.current_n()
                && !self.versions.make_current(&file, version.as_ref()).await?
            {
                continue;
            }
            tracing::info!(owner = %owner, file_id = %file.id, version = n, decision = "version_restored", "version made current");
            return self.list(owner, id).await;
        }
        Err(CoreError::conflict(
            "conflict",
            "the file changed while being restored; retry",
        ))
    }

    /// Deletes version `n`; the current one cannot be.
    pub async fn delete(&self, owner: &OwnerId, id: &str, n: &str) -> Result<(), CoreError> {
        let (file, version) = self.version(owner, id, n).await?;
        let n = version
            .as_ref()
            .and_then(|v| v.versioning.of.as_ref())
            .map_or(1, |o| o.n);
        if n == file.versioning.head.current_n() {
            return Err(CoreError::conflict(
                "current_version",
                "the current version cannot be deleted; restore another first",
            ));
        }
        if !remove_one(&*self.versions, &*self.store, &file, version.as_ref()).await? {
            return Err(CoreError::conflict(
                "conflict",
                "the file changed while its version was being deleted; retry",
            ));
        }
        // A version still uploading in parts (its upload cancelled): its parts are freed with
        // the upload, after its record went (a hold on the file refuses the record first).
        if let Some(v) = &version
            && let Err(e) = self.multipart.abort(v).await
        {
            tracing::warn!(owner = %owner, file_id = %file.id, version = n, error = %e, "deleted version's upload not aborted; the bucket's lifecycle rule will");
        }
        tracing::info!(owner = %owner, file_id = %file.id, version = n, decision = "version_deleted", "version deleted");
        Ok(())
    }
}

/// After `version` (a version record) was accepted: past `max` accepted versions of its file,
/// the oldest that is not current goes, and its quota with it. The version pruned, if any.
pub async fn prune_after(
    files: &dyn FileLookup,
    versions: &dyn VersionLedger,
    store: &dyn ObjectStore,
    max: u32,
    version: &FileRecord,
) -> Result<Option<u32>, CoreError> {
    let Some(of) = &version.versioning.of else {
        return Ok(None);
    };
    if version.status != FileStatus::Accepted {
        return Ok(None);
    }
    for _ in 0..ATTEMPTS {
        let Some(file) = files.get_file(&version.owner, &of.file).await? else {
            return Ok(None);
        };
        if file.lifecycle.legal_hold.is_some() {
            // A held file keeps every version until the hold is lifted; the next accepted
            // version prunes what is then past the limit.
            tracing::info!(owner = %file.owner, file_id = %file.id, decision = "version_prune_held", "legal hold: no version pruned");
            return Ok(None);
        }
        let kept = versions.versions_of(&file).await?;
        let Some(victim) = prune_victim(&file, &kept, max) else {
            return Ok(None);
        };
        let record = kept
            .iter()
            .find(|v| v.versioning.of.as_ref().is_some_and(|o| o.n == victim));
        if remove_one(versions, store, &file, record).await? {
            tracing::info!(owner = %file.owner, file_id = %file.id, version = victim, decision = "version_pruned", "oldest version pruned past MAX_VERSIONS");
            return Ok(Some(victim));
        }
    }
    Err(CoreError::upstream("version pruning kept losing races"))
}

/// Removes one version of `file`: `version`'s record (`None`: the file's own first bytes) with
/// what it held, then its bytes. `false` if the file or the version changed meanwhile (it was
/// made current, say). Every deletion and pruning of a version comes through here.
pub async fn remove_one(
    versions: &dyn VersionLedger,
    store: &dyn ObjectStore,
    file: &FileRecord,
    version: Option<&FileRecord>,
) -> Result<bool, CoreError> {
    // A legal hold keeps every version; the store's write is conditioned on it too.
    crate::holds::ensure_deletable(file)?;
    let (done, key) = match version {
        None => (versions.remove_first(file).await?, file.key()),
        Some(v) => (versions.remove_version(file, v).await?, v.key()),
    };
    if done && let Err(e) = store.delete(&key).await {
        // The record and its quota are gone; the bytes are nobody's and nothing serves them.
        tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "removed version's object not deleted");
    }
    Ok(done)
}

/// Removes the objects of every version `file` keeps beyond its own: what its purge does
/// before it removes the records (the file's own object is removed by the purge itself).
pub async fn remove_version_objects(
    store: &dyn ObjectStore,
    file: &FileRecord,
) -> Result<(), CoreError> {
    for (_, id) in &file.versioning.head.kept {
        store.delete(&crate::keys::file_upload_key(id)).await?;
    }
    Ok(())
}

fn views(file: &FileRecord, versions: &[FileRecord]) -> Vec<VersionView> {
    let current = file.versioning.head.current_n();
    let mut out = Vec::new();
    if !file.versioning.head.first_removed {
        out.push(VersionView {
            n: 1,
            size: file.size,
            detected_type: file.detected_type.clone(),
            status: file.status,
            reason: file.reason.clone(),
            created_at: rfc3339(file.created_at),
            current: current == 1,
        });
    }
    for v in versions {
        let Some(of) = &v.versioning.of else { continue };
        out.push(VersionView {
            n: of.n,
            size: v.size,
            detected_type: v.detected_type.clone(),
            status: v.status,
            reason: v.reason.clone(),
            created_at: rfc3339(v.created_at),
            current: current == of.n,
        });
    }
    out.sort_by_key(|v| v.n);
    out
}
