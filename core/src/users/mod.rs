//! Accounts as an operator sees them: who they are (the directory, Cognito in production), what
//! they hold (the quota record, their links and shares), their own quota and whether they are
//! stopped. The admin routes list, read and change them here; every change is one audit entry
//! naming ids only.

mod rules;
mod service;
mod store;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::OwnerId;

pub use rules::{MAX_OWN_QUOTA, UserPatch, not_own_account, parse_cursor, parse_query};
pub use service::UserAdmin;
pub use store::{Directory, MAX_RECORDS_READ, QuotaLimits};

/// An account as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The owner id (Cognito's `sub`).
    pub id: OwnerId,
    /// The directory's own name for the account (Cognito's `Username`), for its calls.
    pub handle: String,
    pub email: String,
    /// `false` once an admin disabled it.
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// One page of the directory, by email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryPage {
    pub users: Vec<DirectoryUser>,
    /// Where the next page starts (opaque); `None` on the last.
    pub next: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Active,
    Disabled,
}

/// An account as `GET /admin/users` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminUser {
    pub id: String,
    pub email: String,
    pub status: UserStatus,
    /// RFC 3339, as every view writes times.
    pub created_at: String,
    /// The effective limit: the user's own when `quota_custom`, else the deployment's.
    pub quota_bytes: u64,
    pub quota_custom: bool,
    pub used_bytes: u64,
    pub reserved_bytes: u64,
    pub files: u64,
    pub links: u64,
    pub shares: u64,
}

/// What an account's quota record holds for the operator's view: its usage (with the
/// effective limit) and its standing, read together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccountRecord {
    pub usage: crate::files::QuotaUsage,
    pub standing: crate::standing::Standing,
}

/// A page of accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserPage {
    pub users: Vec<AdminUser>,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod service_tests;
