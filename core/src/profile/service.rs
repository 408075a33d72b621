//! The owner's view of their profile: read it, set or remove the display name.

use std::sync::Arc;

use super::{Profile, Profiles, clean_display_name};
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
}
