//! File versions: new bytes for a file the owner keeps, each judged on its own before it is
//! served. A version is a record of its own (its own server-made id and object key
//! `uploads/{version_id}`), marked [`VersionOf`] and hidden from the owner's lists, so the
//! whole pipeline (quota reservation, presign, multipart, both verdicts, expiry) runs on it
//! unchanged. Its settlement to `accepted` moves its file's [`CurrentVersion`] in the same
//! atomic write; a restore moves only that pointer. The file's own first bytes are version 1.
//! Here the model and rules; the port in `store.rs`, the owner's service in `service.rs`.

mod service;
mod store;

pub use service::{
    VersionList, VersionService, VersionView, prune_after, remove_one, remove_version_objects,
};
pub use store::{VersionLedger, VersionReservation};

pub use crate::files::versioning::{CurrentVersion, VersionHead, VersionOf, Versioning};
use crate::{FileId, FileRecord, FileStatus};

/// Versions an owner keeps of one file when `MAX_VERSIONS` is not set.
pub const DEFAULT_MAX_VERSIONS: u32 = 10;
/// The most `MAX_VERSIONS` may say: a file's purge removes all its versions in one
/// transaction (two writes each, within the store's 100).
pub const MAX_MAX_VERSIONS: u32 = 40;

impl CurrentVersion {
    /// The pointer to `version` (an accepted version record).
    pub fn of(version: &FileRecord) -> Option<Self> {
        let of = version.versioning.of.as_ref()?;
        Some(Self {
            n: of.n,
            id: version.id.clone(),
            size: version.stored.as_ref().map_or(version.size, |s| s.size),
            detected_type: version.detected_type.clone(),
            etag: version.stored.as_ref().and_then(|s| s.etag.clone()),
        })
    }
}

/// Which version to remove once `accepted_now` is accepted: beyond `max` accepted versions,
/// the oldest that is not current. `versions` are the file's version records as read.
pub fn prune_victim(file: &FileRecord, versions: &[FileRecord], max: u32) -> Option<u32> {
    let head = &file.versioning.head;
    let current = head.current_n();
    let mut kept: Vec<u32> = versions
        .iter()
        .filter(|v| v.status == FileStatus::Accepted)
        .filter_map(|v| v.versioning.of.as_ref().map(|o| o.n))
        .collect();
    if !head.first_removed && file.status == FileStatus::Accepted {
        kept.push(1);
    }
    kept.sort_unstable();
    if kept.len() as u64 <= u64::from(max.max(1)) {
        return None;
    }
    kept.into_iter().find(|n| *n != current)
}

/// Where a settlement to `accepted` of a version record moves its file's pointer: the file's
/// id and the new current version. `None` for records that are not versions.
pub fn switch_on_accept(settled: &FileRecord) -> Option<(FileId, CurrentVersion)> {
    if settled.status != FileStatus::Accepted {
        return None;
    }
    let of = settled.versioning.of.as_ref()?;
    Some((of.file.clone(), CurrentVersion::of(settled)?))
}

/// `file` as it serves version `n` (the pointer set to it), when `n` is a kept, accepted
/// version; `None` otherwise. One read for a version record, none for the first.
pub async fn pinned(
    files: &dyn crate::files::FileLookup,
    file: &FileRecord,
    n: u32,
) -> Result<Option<FileRecord>, crate::CoreError> {
    let head = &file.versioning.head;
    let current = if n == 1 {
        if head.first_removed || file.status != FileStatus::Accepted {
            return Ok(None);
        }
        None
    } else {
        let Some(id) = head.id_of(n) else {
            return Ok(None);
        };
        match files.get_file(&file.owner, id).await? {
            Some(v) if v.status == FileStatus::Accepted => CurrentVersion::of(&v),
            _ => return Ok(None),
        }
    };
    let mut pinned = file.clone();
    pinned.versioning.head.current = current;
    Ok(Some(pinned))
}

/// What removing `file`'s own record releases: its bytes, unless version 1 was removed
/// already (its bytes went then).
pub fn own_removal(file: &FileRecord) -> crate::files::QuotaDelta {
    if file.versioning.head.first_removed {
        return crate::files::QuotaDelta::remove(FileStatus::Rejected, 0);
    }
    crate::files::QuotaDelta::remove(file.status, file.size)
}

/// A store's string form of a kept version (`n:id`), as a set member.
pub fn kept_member(n: u32, id: &FileId) -> String {
    format!("{n}:{id}")
}

/// Reads [`kept_member`]; `None` for anything else.
pub fn parse_kept(raw: &str) -> Option<(u32, FileId)> {
    let (n, id) = raw.split_once(':')?;
    Some((n.parse().ok()?, FileId::parse(id).ok()?))
}

#[cfg(test)]
mod tests;

impl FileRecord {
    /// The record as a download of the file serves it: the current version's object and
    /// type under the file's own name (the file itself while version 1 is current).
    pub fn served(&self) -> FileRecord {
        let Some(c) = &self.versioning.head.current else {
            return self.clone();
        };
        FileRecord {
            id: c.id.clone(),
            key_scheme: crate::keys::KeyScheme::File,
            size: c.size,
            detected_type: c.detected_type.clone(),
            stored: Some(crate::files::StoredObject {
                size: c.size,
                etag: c.etag.clone(),
            }),
            versioning: Versioning::default(),
            ..self.clone()
        }
    }

    /// Whether this record is a version of another file (hidden from the owner's lists).
    pub fn is_version(&self) -> bool {
        self.versioning.of.is_some()
    }
}
