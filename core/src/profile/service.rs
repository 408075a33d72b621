//! The owner's view of their profile: read it, set or remove the display name.

use std::sync::Arc;

use super::{AccountSettings, Profile, Profiles, clean_display_name};
use crate::{CoreError, OwnerId};

#[derive(Clone)]
pub struct ProfileService {
    pub profiles: Arc<dyn Profiles>,
}

impl ProfileService {
    pub async fn get(&self, owner: &OwnerId) -> Result<Profile, CoreError> {
        self.profiles.profile(owner).await
    }

    /// Sets the display name (checked by [`clean_display_name`]), or removes it with `None`;
    /// answers the profile as stored.
    pub async fn set_display_name(
        &self,
        owner: &OwnerId,
        raw: Option<&str>,
    ) -> Result<Profile, CoreError> {
        let name = raw.map(clean_display_name).transpose()?;
        self.profiles
            .set_display_name(owner, name.as_deref())
            .await?;
        tracing::info!(
            owner = %owner,
            decision = if name.is_some() { "display_name_set" } else { "display_name_removed" },
            "profile updated"
        );
        Ok(Profile { display_name: name })
    }

    pub async fn settings(&self, owner: &OwnerId) -> Result<AccountSettings, CoreError> {
        self.profiles.account_settings(owner).await
    }

    /// Sets (or with `None` removes) the owner's default retention, 1 to
    /// `MAX_RETENTION_DAYS` days; it reaches the files created from now on.
    pub async fn set_file_retention_days(
        &self,
        owner: &OwnerId,
        days: Option<u64>,
    ) -> Result<AccountSettings, CoreError> {
        let days = days
            .map(|d| {
                crate::lifecycle::retention_days(
                    d,
                    "invalid_file_retention_days",
                    "file_retention_days",
                )
            })
            .transpose()?;
        self.profiles.set_file_retention_days(owner, days).await?;
        tracing::info!(owner = %owner, decision = if days.is_some() { "retention_default_set" } else { "retention_default_removed" }, "account settings updated");
        Ok(AccountSettings {
            file_retention_days: days,
        })
    }
}
