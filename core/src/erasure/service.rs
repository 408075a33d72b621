//! [`Eraser`]: the one erasure both doors call. The order: the marker (the account stops at
//! once), the count, each file's record marked as being deleted (no hold from then on), its
//! bytes, then its record, the other stores one kind at a time,
//! the account record down to the marker, the audit entry, the directory user. Every step
//! removes what is there and finds nothing the second time, so an erasure cut short is
//! finished by calling it again.

use std::sync::Arc;

use chrono::Duration;
use serde_json::json;

use super::{ErasureStore, ErasureView, Remnant, Tally};
use crate::accounts::{AccountDirectory, PasswordCheck};
use crate::audit::{Actor, ActorKind, AuditEvent, AuditTrail};
use crate::clock::Clock;
use crate::keys::UploadKey;
use crate::links::LinkStore;
use crate::mfa::{TotpDirectory, validate_totp_code, wrong_login_code};
use crate::multipart::MultipartStore;
use crate::notify::{Mail, Mailer};
use crate::objects::ObjectStore;
use crate::shares::ShareStore;
use crate::time::rfc3339;
use crate::users::{Directory, DirectoryUser};
use crate::{CoreError, FileRecord, FileStatus, OwnerId};

/// Records, links and shares are read this many at a time.
const PAGE: usize = 100;
/// Reads of a page whose records kept changing before an erasure gives up (`503`).
const ATTEMPTS: usize = 5;
/// How long the marker outlives its erasure: longer than an id token lives (one hour), so a
/// token issued before the erasure is refused until it expires, then nothing is left.
pub const MARKER_KEEPS_HOURS: i64 = 2;
/// The longest password passed on to the directory.
const MAX_PASSWORD: usize = 256;

#[derive(Clone)]
pub struct Eraser {
    pub store: Arc<dyn ErasureStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub multipart: Arc<dyn MultipartStore>,
    pub directory: Arc<dyn Directory>,
    /// Checks the owner's password before their own erasure.
    pub accounts: Arc<dyn AccountDirectory>,
    /// Checks the owner's second factor, when it is on, before their own erasure.
    pub totp: Arc<dyn TotpDirectory>,
    pub links: Arc<dyn LinkStore>,
    pub shares: Arc<dyn ShareStore>,
    pub audit: Arc<dyn AuditTrail>,
    /// Sends the owner's receipt.
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

fn no_user() -> CoreError {
    CoreError::missing("not_found", "no such user")
}

/// The bytes a file holds: what was stored when known, else what its state says is there.
fn bytes_of(f: &FileRecord) -> u64 {
    match &f.stored {
        Some(s) => s.size,
        None if f.status.holds_usage() => f.size,
        None => 0,
    }
}

impl Eraser {
    /// `DELETE /admin/users/{id}`: an unknown id (or one erased already) is `404 not_found`.
    pub async fn erase_by_admin(
        &self,
        admin: &OwnerId,
        id: &str,
    ) -> Result<ErasureView, CoreError> {
        let id = OwnerId::parse(id).map_err(|_| no_user())?;
        let user = self.directory.user(&id).await?.ok_or_else(no_user)?;
        crate::users::not_own_account(admin, &user.id)?;
        let actor = Actor {
            id: admin.as_str().to_owned(),
            kind: ActorKind::Admin,
        };
        self.erase(actor, &user).await
    }

    /// `DELETE /account`: the owner's own erasure, once `password` is theirs
    /// (`401 invalid_credentials` otherwise) and, with two-factor sign-in on, `code` a current
    /// code of it (`401 invalid_code` when missing or wrong; without TOTP it is ignored); the
    /// receipt goes to `mail_to`, the account's verified address (none: no receipt). A receipt
    /// that cannot be sent is logged, not an error: the erasure is done and cannot be undone.
    pub async fn erase_own(
        &self,
        owner: &OwnerId,
        password: &str,
        code: Option<&str>,
        mail_to: Option<&str>,
    ) -> Result<ErasureView, CoreError> {
        let wrong = || CoreError::unauthorized("invalid_credentials", "the password is wrong");
        if password.is_empty() || password.chars().count() > MAX_PASSWORD {
            return Err(wrong());
        }
        if let PasswordCheck::Totp { session } =
            self.accounts.verify_password(owner, password).await?
        {
            // A stolen session plus the password does not erase an account that has a second
            // factor; a malformed code is refused without asking the directory.
            let code = code
                .and_then(|c| validate_totp_code(c).ok())
                .ok_or_else(|| {
                    tracing::info!(owner = %owner, decision = "code_refused", "own erasure refused: no valid code");
                    wrong_login_code()
                })?;
            // The pool's username is the owner id (the password step used it too).
            self.totp
                .answer_challenge(owner.as_str(), &session, &code)
                .await
                .inspect_err(|e| {
                    tracing::info!(owner = %owner, error = e.code(), decision = "code_refused", "own erasure refused: second factor");
                })?;
        }
        let user = self.directory.user(owner).await?.ok_or_else(wrong)?;
        let actor = Actor {
            id: owner.as_str().to_owned(),
            kind: ActorKind::Owner,
        };
        let done = self.erase(actor, &user).await?;
        if let Some(to) = mail_to
            && let Err(e) = self.mailer.send(&receipt_mail(to, &done)).await
        {
            tracing::warn!(owner = %owner, error = %e, decision = "receipt_unsent", "erasure receipt not sent");
        }
        Ok(done)
    }

    async fn erase(&self, actor: Actor, user: &DirectoryUser) -> Result<ErasureView, CoreError> {
        let owner = &user.id;
        // A court's hold outranks a deletion request: nothing is touched while one file is
        // held.
        self.refuse_if_held(owner).await?;
        let marker = self.store.mark(owner, self.clock.now()).await?;
        let tally = match marker.tally {
            Some(t) => t,
            None => {
                let t = self.count(owner).await?;
                self.store.record_tally(owner, &t).await?;
                t
            }
        };
        tracing::info!(owner = %owner, actor = %actor.id, files = tally.files, decision = "erasing", "account erasure under way");
        let mut changed = 0;
        loop {
            let page = self.store.files(owner, None, PAGE).await?;
            if page.is_empty() {
                break;
            }
            // Held since the check above: the erasure stops (the account stays stopped) and
            // finishes when called again after the hold is lifted.
            if let Some(held) = page.iter().find(|f| f.lifecycle.legal_hold.is_some()) {
                tracing::warn!(owner = %owner, file_id = %held.id, decision = "erasure_held", "erasure stopped by a legal hold");
                return Err(crate::holds::legal_hold());
            }
            // Every record of the page is marked before any of its bytes go: a hold placed
            // after the read fails its mark (the page is read again, and the check above
            // stops the erasure), and a marked record refuses a hold.
            if !self.mark_page(&page).await? {
                changed += 1;
                if changed >= ATTEMPTS {
                    return Err(CoreError::upstream("erasure: files kept changing"));
                }
                continue;
            }
            for f in &page {
                self.remove_bytes(f).await?;
            }
            let ids: Vec<_> = page.iter().map(|f| f.id.clone()).collect();
            self.store.forget_files(owner, &ids).await?;
        }
        for what in Remnant::ALL {
            self.store.forget(owner, what).await?;
        }
        let until = self.clock.now() + Duration::hours(MARKER_KEEPS_HOURS);
        self.store.finish(owner, until).await?;
        // Before the directory user goes: a failure here leaves the user, so the call can be
        // repeated (a repeat after a failure of the last step records the erasure twice,
        // rather than never).
        self.audit
            .append(AuditEvent::new(
                actor.clone(),
                "account.erased",
                "user",
                owner.as_str(),
                json!({"files": tally.files, "bytes": tally.bytes, "links": tally.links, "shares": tally.shares}),
            ))
            .await?;
        self.directory.delete(user).await?;
        tracing::info!(owner = %owner, actor = %actor.id, files = tally.files, bytes = tally.bytes, links = tally.links, shares = tally.shares, decision = "erased", "account erased");
        Ok(ErasureView {
            id: owner.as_str().to_owned(),
            files: tally.files,
            bytes: tally.bytes,
            links: tally.links,
            shares: tally.shares,
            at: rfc3339(marker.started_at),
        })
    }

    /// Marks every record of `page` as being deleted; `false` if one changed meanwhile (held,
    /// or gone).
    async fn mark_page(&self, page: &[FileRecord]) -> Result<bool, CoreError> {
        let at = self.clock.now();
        for f in page {
            if !self.store.mark_deleting(f, at).await? {
                tracing::info!(owner = %f.owner, file_id = %f.id, decision = "erasure_unmarked", "file changed before its erasure began; read again");
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The file's bytes: an unfinished multipart upload is aborted, the object removed (both
    /// answer success for what is gone already).
    async fn remove_bytes(&self, f: &FileRecord) -> Result<(), CoreError> {
        let key = UploadKey::of(f.key_scheme, &f.owner, &f.id).render();
        if let (Some(mp), FileStatus::Pending) = (&f.multipart, f.status) {
            self.multipart.abort_multipart(&key, &mp.upload_id).await?;
        }
        self.objects.delete(&key).await
    }

    /// `409 legal_hold` if any of the owner's files is held.
    async fn refuse_if_held(&self, owner: &OwnerId) -> Result<(), CoreError> {
        let mut after = None;
        loop {
            let page = self.store.files(owner, after.as_ref(), PAGE).await?;
            if let Some(held) = page.iter().find(|f| f.lifecycle.legal_hold.is_some()) {
                tracing::info!(owner = %owner, file_id = %held.id, decision = "erasure_refused_held", "erasure refused: a file is under a legal hold");
                return Err(crate::holds::legal_hold());
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.id.clone()),
                _ => return Ok(()),
            }
        }
    }

    async fn count(&self, owner: &OwnerId) -> Result<Tally, CoreError> {
        let mut t = Tally::default();
        let mut after = None;
        loop {
            let page = self.store.files(owner, after.as_ref(), PAGE).await?;
            t.files += page.len() as u64;
            t.bytes += page.iter().map(bytes_of).sum::<u64>();
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.id.clone()),
                _ => break,
            }
        }
        let mut after = None;
        loop {
            let page = self.links.list_links(owner, PAGE, after.as_ref()).await?;
            t.links += page.links.len() as u64;
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut after = None;
        loop {
            let page = self
                .shares
                .list_shares(owner, None, PAGE, after.as_ref())
                .await?;
            t.shares += page.shares.len() as u64;
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(t)
    }
}

/// The receipt mailed to the owner after their own erasure: counts and the time, no names.
pub fn receipt_mail(to: &str, e: &ErasureView) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Your Dropgate account was deleted".into(),
        body: format!(
            "Your Dropgate account was deleted at {}, as you asked.\n\n\
             Removed: {} files ({} bytes), {} upload links, {} share links, with your API \
             tokens, webhooks and settings. Nothing of the account is kept but an audit entry \
             that holds ids and these counts.\n",
            e.at, e.files, e.bytes, e.links, e.shares
        ),
    }
}
