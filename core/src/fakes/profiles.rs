//! [`MemProfiles`]: owners' profiles in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::profile::{AccountSettings, Profile, Profiles};
use crate::{CoreError, OwnerId};

#[derive(Default)]
pub struct MemProfiles {
    pub(super) names: Mutex<HashMap<OwnerId, String>>,
    pub(super) retention: Mutex<HashMap<OwnerId, u32>>,
}

#[async_trait]
impl Profiles for MemProfiles {
    async fn profile(&self, owner: &OwnerId) -> Result<Profile, CoreError> {
        Ok(Profile {
            display_name: lock(&self.names).get(owner).cloned(),
        })
    }

    async fn set_display_name(
        &self,
        owner: &OwnerId,
        display_name: Option<&str>,
    ) -> Result<(), CoreError> {
        let mut names = lock(&self.names);
        match display_name {
            Some(n) => names.insert(owner.clone(), n.to_owned()),
            None => names.remove(owner),
        };
        Ok(())
    }

    async fn account_settings(&self, owner: &OwnerId) -> Result<AccountSettings, CoreError> {
        Ok(AccountSettings {
            file_retention_days: lock(&self.retention).get(owner).copied(),
        })
    }

    async fn set_file_retention_days(
        &self,
        owner: &OwnerId,
        days: Option<u32>,
    ) -> Result<(), CoreError> {
        let mut all = lock(&self.retention);
        match days {
            Some(d) => all.insert(owner.clone(), d),
            None => all.remove(owner),
        };
        Ok(())
    }
}
