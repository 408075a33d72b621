//! [`Profiles`] on the quotas table: the display name is one attribute of the owner's account
//! record, beside the quota counters. Writes touch only that attribute, so they never race the
//! quota's transactions, and an owner with no file yet gets a record holding only the name
//! (the quota's first reservation initialises its counters with `if_not_exists`).

use std::collections::HashMap;

use async_trait::async_trait;
use dropgate_core::profile::{AccountSettings, Profile, Profiles};
use dropgate_core::{CoreError, OwnerId};

use super::{DynamoLedger, get_item, get_n, get_s, n, s, values};
use crate::error::sdk_error;

const DISPLAY_NAME: &str = "display_name";
const FILE_RETENTION_DAYS: &str = "file_retention_days";

#[async_trait]
impl Profiles for DynamoLedger {
    async fn profile(&self, owner: &OwnerId) -> Result<Profile, CoreError> {
        let key = HashMap::from([("owner".to_string(), s(owner.as_str()))]);
        let item = get_item(&self.client, &self.quotas_table, key).await?;
        Ok(Profile {
            display_name: item
                .as_ref()
                .and_then(|i| get_s(i, DISPLAY_NAME))
                .map(str::to_owned),
        })
    }

    async fn set_display_name(
        &self,
        owner: &OwnerId,
        display_name: Option<&str>,
    ) -> Result<(), CoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.quotas_table)
            .key("owner", s(owner.as_str()));
        let update = match display_name {
            Some(n) => update
                .update_expression(format!("SET {DISPLAY_NAME} = :n"))
                .set_expression_attribute_values(values(vec![(":n", s(n))])),
            None => update.update_expression(format!("REMOVE {DISPLAY_NAME}")),
        };
        update
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }

    async fn account_settings(&self, owner: &OwnerId) -> Result<AccountSettings, CoreError> {
        let key = HashMap::from([("owner".to_string(), s(owner.as_str()))]);
        let item = get_item(&self.client, &self.quotas_table, key).await?;
        Ok(AccountSettings {
            file_retention_days: item
                .as_ref()
                .and_then(|i| get_n(i, FILE_RETENTION_DAYS))
                .and_then(|d| u32::try_from(d).ok()),
        })
    }

    async fn set_file_retention_days(
        &self,
        owner: &OwnerId,
        days: Option<u32>,
    ) -> Result<(), CoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.quotas_table)
            .key("owner", s(owner.as_str()));
        let update = match days {
            Some(d) => update
                .update_expression(format!("SET {FILE_RETENTION_DAYS} = :d"))
                .set_expression_attribute_values(values(vec![(":d", n(d))])),
            None => update.update_expression(format!("REMOVE {FILE_RETENTION_DAYS}")),
        };
        update
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        Ok(())
    }
}
