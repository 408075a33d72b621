//! [`Holds`]: an admin places or lifts a legal hold on any owner's file. Each change appends
//! one audit entry (`file.legal_hold_placed` / `file.legal_hold_removed`, ids only: the reason
//! stays on the record) and one log line.

use std::sync::Arc;

use serde_json::json;

use super::{HoldStore, LegalHold, can_hold, clean_reason};
use crate::audit::{Actor, ActorKind, AuditEvent, AuditTrail};
use crate::clock::Clock;
use crate::review::{AdminFile, OwnerRef, ReviewStore};
use crate::users::Directory;
use crate::{CoreError, FileId, FileRecord, OwnerId};

/// How many times a change is retried when the record changed under it.
const ATTEMPTS: usize = 5;

#[derive(Clone)]
pub struct Holds {
    /// Finds a file whoever owns it.
    pub files: Arc<dyn ReviewStore>,
    pub store: Arc<dyn HoldStore>,
    pub directory: Arc<dyn Directory>,
    pub audit: Arc<dyn AuditTrail>,
    pub clock: Arc<dyn Clock>,
}

fn no_file() -> CoreError {
    CoreError::missing("not_found", "no such file")
}

impl Holds {
    /// `POST /admin/files/{id}/hold {reason}`: the file (live or in the trash) is held; a
    /// file held already gets the new reason. Only a file that keeps its bytes can be held
    /// (`409 not_holdable`).
    pub async fn place(
        &self,
        admin: &OwnerId,
        id: &str,
        reason: Option<&str>,
    ) -> Result<AdminFile, CoreError> {
        let reason = clean_reason(reason)?;
        for _ in 0..ATTEMPTS {
            let file = self.find(id).await?;
            if !can_hold(&file) {
                return Err(CoreError::conflict(
                    "not_holdable",
                    if file.lifecycle.deleting_at.is_some() {
                        "the file is being deleted; its bytes are not kept".to_owned()
                    } else {
                        format!(
                            "the file is {}; only accepted or held files keep bytes to hold",
                            file.status.as_str()
                        )
                    },
                ));
            }
            let hold = LegalHold {
                reason: reason.clone(),
                placed_at: self.clock.now(),
                placed_by: admin.as_str().to_owned(),
            };
            if !self.store.place_hold(&file, &hold).await? {
                continue;
            }
            self.record(admin, "file.legal_hold_placed", &file).await?;
            tracing::info!(admin = %admin, owner = %file.owner, file_id = %file.id, decision = "legal_hold_placed", "legal hold placed");
            let mut held = file;
            held.lifecycle.legal_hold = Some(hold);
            return self.view(&held).await;
        }
        Err(changed())
    }

    /// `DELETE /admin/files/{id}/hold`: the hold is lifted; a file not held is answered as it
    /// is (nothing changes, nothing is audited).
    pub async fn lift(&self, admin: &OwnerId, id: &str) -> Result<AdminFile, CoreError> {
        for _ in 0..ATTEMPTS {
            let file = self.find(id).await?;
            if file.lifecycle.legal_hold.is_none() {
                return self.view(&file).await;
            }
            if !self.store.lift_hold(&file).await? {
                continue;
            }
            self.record(admin, "file.legal_hold_removed", &file).await?;
            tracing::info!(admin = %admin, owner = %file.owner, file_id = %file.id, decision = "legal_hold_removed", "legal hold removed");
            let mut free = file;
            free.lifecycle.legal_hold = None;
            return self.view(&free).await;
        }
        Err(changed())
    }

    async fn find(&self, id: &str) -> Result<FileRecord, CoreError> {
        let id = FileId::parse(id).map_err(|_| no_file())?;
        self.files.find_file(&id).await?.ok_or_else(no_file)
    }

    async fn record(
        &self,
        admin: &OwnerId,
        action: &str,
        file: &FileRecord,
    ) -> Result<(), CoreError> {
        let actor = Actor {
            id: admin.as_str().to_owned(),
            kind: ActorKind::Admin,
        };
        self.audit
            .append(AuditEvent::new(
                actor,
                action,
                "file",
                file.id.as_str(),
                json!({"owner": file.owner.as_str()}),
            ))
            .await
    }

    async fn view(&self, file: &FileRecord) -> Result<AdminFile, CoreError> {
        let email = self.directory.user(&file.owner).await?.map(|u| u.email);
        Ok(AdminFile::of(
            file,
            OwnerRef {
                id: file.owner.as_str().to_owned(),
                email,
            },
        ))
    }
}

fn changed() -> CoreError {
    CoreError::conflict("conflict", "the file changed meanwhile; retry")
}
