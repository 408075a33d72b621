//! The operator's accounts service: list and read accounts (the directory joined with what
//! each holds), set a user's own quota, stop and restore an account. Every change appends one
//! audit entry (ids only); a patch that changes nothing appends none.

use std::sync::Arc;

use futures_util::future::{try_join, try_join_all};
use serde_json::json;

use super::{
    AccountRecord, AdminUser, Directory, DirectoryUser, QuotaLimits, UserPage, UserPatch,
    UserStatus, not_own_account, parse_cursor, parse_query,
};
use crate::audit::{Actor, ActorKind, AuditEvent, AuditTrail};
use crate::clock::Clock;
use crate::links::LinkStore;
use crate::paging::parse_limit;
use crate::shares::ShareStore;
use crate::standing::{StandingStore, stop_cut};
use crate::time::rfc3339;
use crate::{CoreError, OwnerId, Settings};

/// Links and shares are counted a page at a time, this many each.
const COUNT_PAGE: usize = 100;

#[derive(Clone)]
pub struct UserAdmin {
    pub directory: Arc<dyn Directory>,
    /// The own quota, and the quota records (usage and standing) a page reads at once.
    pub limits: Arc<dyn QuotaLimits>,
    pub links: Arc<dyn LinkStore>,
    pub shares: Arc<dyn ShareStore>,
    pub standing: Arc<dyn StandingStore>,
    pub audit: Arc<dyn AuditTrail>,
    /// When a stop signs the account out everywhere.
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

/// An unknown account, or an id that could be none: the same 404.
fn no_user() -> CoreError {
    CoreError::missing("not_found", "no such user")
}

impl UserAdmin {
    /// `GET /admin/users?query=&cursor=&limit=`: accounts whose email starts with `query`.
    pub async fn list(
        &self,
        query: Option<&str>,
        cursor: Option<&str>,
        limit: Option<&str>,
    ) -> Result<UserPage, CoreError> {
        let prefix = parse_query(query)?;
        let cursor = parse_cursor(cursor)?;
        let limit = parse_limit(limit)?;
        let page = self.directory.find(&prefix, cursor, limit).await?;
        // The page's quota records in one read, not two reads per account.
        let owners: Vec<OwnerId> = page.users.iter().map(|u| u.id.clone()).collect();
        let records = self
            .limits
            .records(&owners, self.settings.quota_bytes)
            .await?;
        let users = try_join_all(page.users.iter().map(|u| {
            let record = records.get(&u.id).copied().unwrap_or_default();
            self.view_with(u, record)
        }))
        .await?;
        Ok(UserPage {
            users,
            next_cursor: page.next,
        })
    }

    /// `GET /admin/users/{id}`.
    pub async fn get(&self, id: &str) -> Result<AdminUser, CoreError> {
        let user = self.find(id).await?;
        self.view(&user).await
    }

    /// `PATCH /admin/users/{id}`: the own quota first, then the switch; one audit entry each
    /// that changes the account (what it is already is answered, not applied or recorded).
    pub async fn update(
        &self,
        admin: &OwnerId,
        id: &str,
        patch: &UserPatch,
    ) -> Result<AdminUser, CoreError> {
        let user = self.find(id).await?;
        // Refused before anything of the patch is applied.
        if patch.disabled == Some(true) {
            not_own_account(admin, &user.id)?;
        }
        let record = self.record_of(&user).await?;
        let asked = patch;
        let patch = &asked.changes(&record, user.enabled);
        if patch.quota_bytes.is_none() && patch.disabled.is_none() {
            tracing::info!(admin = %admin, owner = %user.id, decision = "unchanged", "the patch changes nothing; nothing recorded");
        }
        let actor = Actor {
            id: admin.as_str().to_owned(),
            kind: ActorKind::Admin,
        };
        if let Some(limit) = patch.quota_bytes {
            self.limits.set_own_limit(&user.id, limit).await?;
            let detail = match limit {
                Some(bytes) => json!({"quota_bytes": bytes, "custom": true}),
                None => json!({"quota_bytes": self.settings.quota_bytes, "custom": false}),
            };
            self.record(&actor, "user.quota_changed", &user, detail)
                .await?;
            tracing::info!(admin = %admin, owner = %user.id, custom = limit.is_some(), decision = "quota_changed", "own quota set");
        }
        match patch.disabled {
            Some(true) => {
                // The standing first: from this write on, every request of the account is
                // refused, whatever the directory does next (fail closed). The stop also signs
                // the account out everywhere, so a token taken before it stays refused once
                // the account is restored: those issued before the second of the stop (none
                // can be issued while it is stopped, so a session begun after the restore
                // passes, however soon).
                self.standing.set_disabled(&user.id, true).await?;
                self.standing
                    .sign_out_all(&user.id, stop_cut(self.clock.now()))
                    .await?;
                self.directory.disable(&user).await?;
                self.record(&actor, "user.disabled", &user, json!({}))
                    .await?;
                tracing::info!(admin = %admin, owner = %user.id, decision = "disabled", "account stopped");
            }
            Some(false) => {
                // The directory first: the account serves again only once it can sign in.
                self.directory.enable(&user).await?;
                self.standing.set_disabled(&user.id, false).await?;
                self.record(&actor, "user.enabled", &user, json!({}))
                    .await?;
                tracing::info!(admin = %admin, owner = %user.id, decision = "enabled", "account restored");
            }
            // Stopped already: the directory's side again (idempotent), which finishes a stop
            // whose sign-out everywhere failed; the cut stays the first stop's, nothing is
            // recorded.
            None if asked.disabled == Some(true) => self.directory.disable(&user).await?,
            None => {}
        }
        let user = self.directory.user(&user.id).await?.ok_or_else(no_user)?;
        self.view(&user).await
    }

    async fn find(&self, id: &str) -> Result<DirectoryUser, CoreError> {
        let id = OwnerId::parse(id).map_err(|_| no_user())?;
        self.directory.user(&id).await?.ok_or_else(no_user)
    }

    async fn record(
        &self,
        actor: &Actor,
        action: &str,
        user: &DirectoryUser,
        detail: serde_json::Value,
    ) -> Result<(), CoreError> {
        self.audit
            .append(AuditEvent::new(
                actor.clone(),
                action,
                "user",
                user.id.as_str(),
                detail,
            ))
            .await
    }

    /// The account's quota record (usage with the effective limit, and standing).
    async fn record_of(&self, user: &DirectoryUser) -> Result<AccountRecord, CoreError> {
        let records = self
            .limits
            .records(std::slice::from_ref(&user.id), self.settings.quota_bytes)
            .await?;
        Ok(records.get(&user.id).copied().unwrap_or_default())
    }

    /// The account with what it holds.
    async fn view(&self, user: &DirectoryUser) -> Result<AdminUser, CoreError> {
        let record = self.record_of(user).await?;
        self.view_with(user, record).await
    }

    /// The account with its quota record (read already) and its link and share counts.
    async fn view_with(
        &self,
        user: &DirectoryUser,
        record: AccountRecord,
    ) -> Result<AdminUser, CoreError> {
        let (links, shares) =
            try_join(self.count_links(&user.id), self.count_shares(&user.id)).await?;
        let AccountRecord { usage, standing } = record;
        let status = if standing.disabled || !user.enabled {
            UserStatus::Disabled
        } else {
            UserStatus::Active
        };
        Ok(AdminUser {
            id: user.id.as_str().to_owned(),
            email: user.email.clone(),
            status,
            created_at: rfc3339(user.created_at),
            quota_bytes: usage.limit_bytes,
            quota_custom: usage.custom,
            used_bytes: usage.used_bytes,
            reserved_bytes: usage.reserved_bytes,
            files: usage.files,
            links,
            shares,
        })
    }

    async fn count_links(&self, owner: &OwnerId) -> Result<u64, CoreError> {
        let mut count = 0;
        let mut after = None;
        loop {
            let page = self
                .links
                .list_links(owner, COUNT_PAGE, after.as_ref())
                .await?;
            count += page.links.len() as u64;
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(count),
            }
        }
    }

    async fn count_shares(&self, owner: &OwnerId) -> Result<u64, CoreError> {
        let mut count = 0;
        let mut after = None;
        loop {
            let page = self
                .shares
                .list_shares(owner, None, COUNT_PAGE, after.as_ref())
                .await?;
            count += page.shares.len() as u64;
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(count),
            }
        }
    }
}
