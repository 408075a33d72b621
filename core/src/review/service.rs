//! The operator's review service: list files and links across owners (each with its owner's
//! id and address), release a held file, delete a file for good, revoke any link. Every change
//! appends one audit entry (ids only) and one log line.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::try_join_all;
use serde_json::json;

use super::rules::{decode_link_cursor, encode_link_cursor};
use super::{
    AdminFile, AdminFilePage, AdminLink, AdminLinkPage, OwnerRef, ReviewCursor, ReviewFilter,
    ReviewStore,
};
use crate::audit::{Actor, ActorKind, AuditEvent, AuditTrail};
use crate::clock::Clock;
use crate::files::Settlement;
use crate::lifecycle::{DeletedBy, DeletionReason, DeletionReceipt};
use crate::multipart::Multiparts;
use crate::objects::ObjectStore;
use crate::paging::parse_limit;
use crate::users::Directory;
use crate::{CoreError, FileId, FileRecord, FileStatus, LinkId, OwnerId};

/// How many times a move is retried when the record changed under it.
const ATTEMPTS: usize = 5;

#[derive(Clone)]
pub struct Review {
    pub store: Arc<dyn ReviewStore>,
    pub directory: Arc<dyn Directory>,
    pub objects: Arc<dyn ObjectStore>,
    pub multipart: Multiparts,
    pub audit: Arc<dyn AuditTrail>,
    pub clock: Arc<dyn Clock>,
}

fn no_file() -> CoreError {
    CoreError::missing("not_found", "no such file")
}

fn no_link() -> CoreError {
    CoreError::missing("not_found", "no such link")
}

fn admin_actor(admin: &OwnerId) -> Actor {
    Actor {
        id: admin.as_str().to_owned(),
        kind: ActorKind::Admin,
    }
}

impl Review {
    /// `GET /admin/files?status=&owner=&via_link=&cursor=&limit=`.
    pub async fn files(
        &self,
        status: Option<&str>,
        owner: Option<&str>,
        via_link: Option<&str>,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<AdminFilePage, CoreError> {
        let filter = ReviewFilter::parse(status, owner, via_link)?;
        let after = cursor.map(ReviewCursor::decode).transpose()?;
        if let Some(c) = &after {
            c.check_scope(&filter)?;
        }
        let limit = parse_limit(limit)?;
        let page = self
            .store
            .review_files(&filter, limit, after.as_ref())
            .await?;
        let owners = self.owners(page.files.iter().map(|f| &f.owner)).await?;
        Ok(AdminFilePage {
            files: page
                .files
                .iter()
                .map(|f| AdminFile::of(f, owner_ref(&owners, &f.owner)))
                .collect(),
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// `GET /admin/links?cursor=&limit=`.
    pub async fn links(
        &self,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<AdminLinkPage, CoreError> {
        let after = cursor.map(decode_link_cursor).transpose()?;
        let limit = parse_limit(limit)?;
        let slice = self.store.all_links(limit, after.as_ref()).await?;
        let owners = self.owners(slice.links.iter().map(|l| &l.owner)).await?;
        let now = self.clock.now();
        Ok(AdminLinkPage {
            links: slice
                .links
                .iter()
                .map(|l| AdminLink::of(l, owner_ref(&owners, &l.owner), now))
                .collect(),
            next_cursor: slice.next.map(|(o, l)| encode_link_cursor(&o, &l)),
        })
    }

    /// `POST /admin/files/{id}/release`: a held file becomes accepted, and its owner is told
    /// as a clean scan would tell them (the settlement's `upload.accepted` outbox entry).
    pub async fn release(&self, admin: &OwnerId, id: &str) -> Result<AdminFile, CoreError> {
        for _ in 0..ATTEMPTS {
            let file = self.find(id).await?;
            if file.status != FileStatus::Held {
                return Err(not_held(&file));
            }
            let at = self.clock.now();
            let settlement = Settlement {
                status: FileStatus::Accepted,
                detected_type: file.detected_type.clone(),
                reason: Some(super::RELEASED.to_owned()),
                at,
                stored_size: file.stored.as_ref().map(|s| s.size),
                stored_etag: file.stored.as_ref().and_then(|s| s.etag.clone()),
                give_back_link: false,
                scan: None,
            };
            if !self.store.settle(&file, &settlement).await? {
                continue;
            }
            self.record(admin, "file.released", "file", &file.id, &file.owner)
                .await?;
            tracing::info!(admin = %admin, owner = %file.owner, file_id = %file.id, decision = "released", "held file released");
            let released = FileRecord {
                status: FileStatus::Accepted,
                reason: Some(super::RELEASED.to_owned()),
                ..file
            };
            let owners = self.owners([&released.owner]).await?;
            return Ok(AdminFile::of(
                &released,
                owner_ref(&owners, &released.owner),
            ));
        }
        Err(changed())
    }

    /// `DELETE /admin/files/{id}`: the file is gone for good, whatever its state (the trash
    /// included): the record marked (no hold from then on), its bytes, then its record with the
    /// quota it held and a deletion receipt (`deleted_by: admin`), and the owner's
    /// `file.deleted` notice. A held file is refused `409 legal_hold`: a hold binds admins too.
    pub async fn delete_file(&self, admin: &OwnerId, id: &str) -> Result<(), CoreError> {
        for _ in 0..ATTEMPTS {
            let file = self.find(id).await?;
            crate::holds::ensure_deletable(&file)?;
            // A large file still uploading: its parts are freed with the upload.
            self.multipart.abort(&file).await?;
            let at = self.clock.now();
            let receipt = DeletionReceipt::of(&file, DeletionReason::Deleted, DeletedBy::Admin, at);
            if !crate::lifecycle::purge(&*self.store, &*self.objects, &file, &receipt, at).await? {
                continue;
            }
            self.record(admin, "file.deleted", "file", &file.id, &file.owner)
                .await?;
            tracing::info!(admin = %admin, owner = %file.owner, file_id = %file.id, decision = "deleted_by_admin", "file deleted by an admin");
            return Ok(());
        }
        Err(changed())
    }

    /// `DELETE /admin/links/{id}`: revokes any owner's link (again is a no-op, not audited).
    pub async fn revoke_link(&self, admin: &OwnerId, id: &str) -> Result<(), CoreError> {
        let id = LinkId::parse(id).map_err(|_| no_link())?;
        let link = self.store.link_by_id(&id).await?.ok_or_else(no_link)?;
        if link.revoked {
            return Ok(());
        }
        if !self
            .store
            .revoke_link(&link.owner, &link.id, self.clock.now())
            .await?
        {
            return Err(no_link());
        }
        self.audit
            .append(AuditEvent::new(
                admin_actor(admin),
                "link.revoked",
                "link",
                link.id.as_str(),
                json!({"owner": link.owner.as_str()}),
            ))
            .await?;
        tracing::info!(admin = %admin, owner = %link.owner, link_id = %link.id, decision = "link_revoked_by_admin", "link revoked by an admin");
        Ok(())
    }

    async fn find(&self, id: &str) -> Result<FileRecord, CoreError> {
        let id = FileId::parse(id).map_err(|_| no_file())?;
        self.store.find_file(&id).await?.ok_or_else(no_file)
    }

    async fn record(
        &self,
        admin: &OwnerId,
        action: &str,
        kind: &str,
        id: &FileId,
        owner: &OwnerId,
    ) -> Result<(), CoreError> {
        self.audit
            .append(AuditEvent::new(
                admin_actor(admin),
                action,
                kind,
                id.as_str(),
                json!({"owner": owner.as_str()}),
            ))
            .await
    }

    /// The addresses of the distinct owners among `ids`, one directory read each.
    async fn owners<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a OwnerId>,
    ) -> Result<HashMap<OwnerId, Option<String>>, CoreError> {
        let mut distinct: Vec<&OwnerId> = ids.into_iter().collect();
        distinct.sort();
        distinct.dedup();
        let found = try_join_all(distinct.iter().map(|id| self.directory.user(id))).await?;
        Ok(distinct
            .into_iter()
            .zip(found)
            .map(|(id, u)| (id.clone(), u.map(|u| u.email)))
            .collect())
    }
}

fn owner_ref(owners: &HashMap<OwnerId, Option<String>>, id: &OwnerId) -> OwnerRef {
    OwnerRef {
        id: id.as_str().to_owned(),
        email: owners.get(id).cloned().flatten(),
    }
}

fn not_held(file: &FileRecord) -> CoreError {
    CoreError::conflict(
        "not_held",
        format!(
            "the file is {}; only held files can be released",
            file.status.as_str()
        ),
    )
}

fn changed() -> CoreError {
    CoreError::conflict("conflict", "the file changed meanwhile; retry")
}
