//! An owner's profile: the display name a share's page shows its recipients ("Shared by ..."),
//! set by the owner alone. It lives with the owner's account data in the table the quota is
//! in, never in a directory attribute the user could write around these rules, and is read
//! when a share is opened, so a share never needs a rewrite when the name changes.

mod rules;
mod service;

use async_trait::async_trait;
use serde::Serialize;

use crate::{CoreError, OwnerId};

pub use rules::{MAX_DISPLAY_NAME_CHARS, clean_display_name};
pub use service::ProfileService;

/// `GET /account/profile` and `PUT /account/profile` answer it as `{profile: ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// `None` when the owner never set one (or removed it): shares then name nobody.
    pub display_name: Option<String>,
}

/// `GET /account/settings` and `PATCH /account/settings` answer it as `{settings: ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AccountSettings {
    /// Days after its creation a new file is deleted by retention, unless the file or its link
    /// says otherwise (`crate::lifecycle::delete_after_for`); `None`: kept until deleted.
    pub file_retention_days: Option<u32>,
}

/// Where profiles live (the owner's account record in production).
#[async_trait]
pub trait Profiles: Send + Sync {
    /// The owner's profile; the empty profile when nothing was ever stored.
    async fn profile(&self, owner: &OwnerId) -> Result<Profile, CoreError>;
    /// Stores `display_name` (already clean), or removes it with `None`, leaving the rest of
    /// the owner's record (their quota) as it is.
    async fn set_display_name(
        &self,
        owner: &OwnerId,
        display_name: Option<&str>,
    ) -> Result<(), CoreError>;
    /// The owner's settings; the defaults when nothing was ever stored.
    async fn account_settings(&self, owner: &OwnerId) -> Result<AccountSettings, CoreError>;
    /// Stores the owner's default retention (already checked), or removes it with `None`,
    /// leaving the rest of the owner's record as it is.
    async fn set_file_retention_days(
        &self,
        owner: &OwnerId,
        days: Option<u32>,
    ) -> Result<(), CoreError>;
}
