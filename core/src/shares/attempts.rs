//! Password attempts on a share, at the download and at the unlock alike: the share's lockout
//! first (every address together, see [`super::lockout`]), then the per-address limits, then
//! the verify; a wrong password counts toward both.

use super::lockout::{Lockout, locked, lockout_check};
use super::store::ShareLock;
use super::{ShareAccess, verify_password};
use crate::notify::{EventType, OutboxEntry, ShareNotice};
use crate::time::{after, rfc3339};
use crate::{CoreError, FileRecord};

use super::Share;

fn wrong_password() -> CoreError {
    CoreError::unauthorized("wrong_password", "the password is wrong")
}

impl ShareAccess {
    /// `Ok` when `share` needs no password or `password` is its password and the share is
    /// not locked. A locked share refuses every attempt, right or wrong (`429 share_locked`).
    pub(super) async fn check_password(
        &self,
        share: &Share,
        file: &FileRecord,
        password: Option<&str>,
        source: &str,
    ) -> Result<(), CoreError> {
        let Some(phc) = &share.password_hash else {
            return Ok(());
        };
        let Some(given) = password.filter(|p| !p.is_empty()) else {
            return Err(CoreError::unauthorized(
                "password_required",
                "this share needs its password",
            ));
        };
        let max = self.settings.share_max_failures;
        let now = self.clock.now();
        match lockout_check(share, now, max) {
            Lockout::Open => {}
            Lockout::Locked { until } => {
                tracing::warn!(share_id = %share.id, decision = "share_locked", "password attempt refused");
                return Err(locked(now, until));
            }
            Lockout::Due => {
                // The attempt that reached the limit did not write the lock (it failed, or is
                // still writing): refused all the same, and the lock written now.
                let until = self.lock(share, file).await;
                tracing::warn!(share_id = %share.id, decision = "share_locked", "password attempt refused");
                return Err(locked(now, until));
            }
        }
        self.per_source.check(source).await?;
        self.per_share
            .take(&format!("{}#{source}", share.id))
            .await?;
        let ok = given.len() <= super::rules::MAX_PASSWORD_BYTES && verify_password(given, phc)?;
        if ok {
            return Ok(());
        }
        self.per_source.failed(source).await;
        // Fails closed: a wrong password that cannot be counted is not answered as one.
        match self
            .shares
            .add_failure(&share.owner, &share.id, self.clock.now())
            .await?
        {
            Some(n) if n >= max.max(1) => {
                self.lock(share, file).await;
                tracing::warn!(share_id = %share.id, failures = n, decision = "wrong_password", "password refused; the share's limit is reached");
            }
            Some(n) => {
                tracing::warn!(share_id = %share.id, failures = n, decision = "wrong_password", "password refused");
            }
            None => {
                // Locked by a concurrent attempt since it was read (or gone: then no more
                // than a wrong password).
                let now = self.clock.now();
                if let Some(fresh) = self.shares.get_share(&share.owner, &share.id).await?
                    && let Lockout::Locked { until } = lockout_check(&fresh, now, max)
                {
                    tracing::warn!(share_id = %share.id, decision = "share_locked", "password attempt refused");
                    return Err(locked(now, until));
                }
                tracing::warn!(share_id = %share.id, decision = "wrong_password", "password refused");
            }
        }
        Err(wrong_password())
    }

    /// Locks `share` for `SHARE_LOCKOUT_SECS` from now, with the `share.locked` outbox entry
    /// that mails its owner; the lock's end. Of concurrent callers exactly one writes it (the
    /// store's condition); the others, and a failed write, are logged: the count stays at the
    /// limit, so the share stays refused and the next attempt writes the lock again.
    async fn lock(&self, share: &Share, file: &FileRecord) -> chrono::DateTime<chrono::Utc> {
        let now = self.clock.now();
        let until = after(now, self.settings.share_lockout);
        let announce = OutboxEntry {
            id: format!(
                "{}#{}#{}#{}",
                rfc3339(now),
                file.id,
                EventType::ShareLocked.as_str(),
                share.id
            ),
            event: EventType::ShareLocked,
            file: file.clone(),
            at: now,
            share: Some(ShareNotice {
                share: share.id.clone(),
                label: share.label.clone(),
                downloads_left: share.downloads_left(),
                mail: true,
                locked_until: Some(until),
            }),
        };
        let lock = ShareLock {
            share,
            now,
            until,
            max_failures: self.settings.share_max_failures.max(1),
            announce: &announce,
        };
        match self.shares.lock_share(&lock).await {
            Ok(true) => {
                tracing::warn!(share_id = %share.id, locked_until = %rfc3339(until), decision = "share_locked", "share locked after too many wrong passwords; owner to be mailed");
                self.record_lock(share, until).await;
            }
            Ok(false) => {
                tracing::info!(share_id = %share.id, decision = "lock_taken", "share already locked by a concurrent attempt");
            }
            Err(e) => {
                tracing::error!(share_id = %share.id, error = %e, decision = "lock_not_written", "share lock not written; it stays refused and the next attempt writes it");
            }
        }
        until
    }

    /// The lockout's audit entry, by the one attempt that wrote the lock. The lock stands
    /// whatever the log answers: a failed append is logged, never a reason to unlock.
    async fn record_lock(&self, share: &Share, until: chrono::DateTime<chrono::Utc>) {
        let event = crate::audit::AuditEvent::new(
            crate::audit::Actor {
                id: "api".into(),
                kind: crate::audit::ActorKind::System,
            },
            "share.locked",
            "share",
            share.id.as_str(),
            serde_json::json!({
                "owner": share.owner.as_str(),
                "file": share.file_id.as_str(),
                "locked_until": rfc3339(until),
            }),
        );
        if let Err(e) = self.audit.append(event).await {
            tracing::error!(share_id = %share.id, error = %e, "audit entry not appended: share locked");
        }
    }
}
