//! The versions' port on [`MemLedger`]: each method atomic under the one lock, as the store's
//! transactions.

use async_trait::async_trait;

use super::ledger::MemLedger;
use super::lock::lock;
use crate::files::{QuotaDelta, fits};
use crate::versions::{CurrentVersion, VersionLedger, VersionReservation};
use crate::{CoreError, FileRecord, FileStatus};

/// Whether the file's record is still as `file` was read, as far as a version's write needs.
fn same_head(cur: &FileRecord, file: &FileRecord) -> bool {
    cur.status == FileStatus::Accepted
        && !cur.in_trash()
        && cur.versioning.head.last_n == file.versioning.head.last_n
}

#[async_trait]
impl VersionLedger for MemLedger {
    async fn create_version(
        &self,
        file: &FileRecord,
        version: &FileRecord,
        limit: u64,
    ) -> Result<VersionReservation, CoreError> {
        let mut st = lock(&self.state);
        let k = (file.owner.clone(), file.id.clone());
        if !st
            .0
            .get(&k)
            .is_some_and(|cur| same_head(cur, file) && cur.lifecycle.deleting_at.is_none())
        {
            return Ok(VersionReservation::FileChanged);
        }
        let q = st.1.entry(file.owner.clone()).or_default();
        if !fits((q.used + q.reserved) as u64, version.size, q.limit(limit)) {
            return Ok(VersionReservation::QuotaExceeded);
        }
        if super::ledger::collides(&st.0, version) {
            return Err(CoreError::upstream("file id collision"));
        }
        let Some(of) = &version.versioning.of else {
            return Err(CoreError::upstream("a version without its file"));
        };
        st.1.entry(file.owner.clone())
            .or_default()
            .apply(QuotaDelta::reserve(version.size));
        let n = of.n;
        st.0.insert((version.owner.clone(), version.id.clone()), version.clone());
        if let Some(cur) = st.0.get_mut(&k) {
            cur.versioning.head.last_n = n;
            cur.versioning.head.kept.push((n, version.id.clone()));
            cur.versioning.head.kept.sort();
        }
        Ok(VersionReservation::Reserved)
    }

    async fn versions_of(&self, file: &FileRecord) -> Result<Vec<FileRecord>, CoreError> {
        let st = lock(&self.state);
        Ok(file
            .versioning
            .head
            .kept
            .iter()
            .filter_map(|(_, id)| st.0.get(&(file.owner.clone(), id.clone())).cloned())
            .collect())
    }

    async fn make_current(
        &self,
        file: &FileRecord,
        to: Option<&FileRecord>,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let target = match to {
            None => None,
            Some(v) => match st.0.get(&(v.owner.clone(), v.id.clone())) {
                Some(cur) if cur.status == FileStatus::Accepted => CurrentVersion::of(cur),
                _ => return Ok(false),
            },
        };
        match st.0.get_mut(&(file.owner.clone(), file.id.clone())) {
            Some(cur)
                if !cur.in_trash()
                    && cur.versioning.head.current_n() == file.versioning.head.current_n()
                    && (to.is_some() || !cur.versioning.head.first_removed) =>
            {
                cur.versioning.head.current = target;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn remove_version(
        &self,
        file: &FileRecord,
        version: &FileRecord,
    ) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let fk = (file.owner.clone(), file.id.clone());
        let vk = (version.owner.clone(), version.id.clone());
        let file_ok = st.0.get(&fk).is_some_and(|cur| {
            cur.versioning
                .head
                .current
                .as_ref()
                .is_none_or(|c| c.id != version.id)
        });
        let version_ok = st.0.get(&vk).is_some_and(|v| v.status == version.status);
        if !file_ok || !version_ok {
            return Ok(false);
        }
        st.0.remove(&vk);
        lock(&self.cleanup).remove(&vk);
        st.1.entry(version.owner.clone())
            .or_default()
            .apply(QuotaDelta::remove(version.status, version.size));
        if let Some(cur) = st.0.get_mut(&fk) {
            cur.versioning.head.kept.retain(|(_, id)| id != &version.id);
        }
        Ok(true)
    }

    async fn remove_first(&self, file: &FileRecord) -> Result<bool, CoreError> {
        let mut st = lock(&self.state);
        let k = (file.owner.clone(), file.id.clone());
        let Some(cur) = st.0.get_mut(&k) else {
            return Ok(false);
        };
        let head = &cur.versioning.head;
        if head.current.is_none() || head.first_removed || cur.status != FileStatus::Accepted {
            return Ok(false);
        }
        cur.versioning.head.first_removed = true;
        let size = cur.size;
        st.1.entry(file.owner.clone())
            .or_default()
            .apply(QuotaDelta::remove(FileStatus::Accepted, size));
        Ok(true)
    }
}
