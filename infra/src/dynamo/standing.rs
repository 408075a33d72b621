//! [`StandingStore`] on the quotas table: `disabled` (a boolean) and `signed_out_at` (unix
//! seconds) are attributes of the owner's account record, beside the quota counters. Each write
//! touches only its attribute, so it never races the quota's transactions; the api reads the
//! record once per authenticated request (one strongly consistent GetItem).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::standing::{Standing, StandingStore};
use dropgate_core::{CoreError, OwnerId};

use super::{DynamoLedger, corrupt, get_item, get_n, n, s, update_if, values};

const DISABLED: &str = "disabled";
const SIGNED_OUT_AT: &str = "signed_out_at";
/// An erasure's marker (`erasure.rs`): the account stays stopped while it is there, whatever
/// `disabled` says.
const ERASING_AT: &str = "erasing_at";

/// The standing an account record holds (an empty item: good standing).
pub(crate) fn standing_of(item: &HashMap<String, Av>) -> Result<Standing, CoreError> {
    let disabled = match item.get(DISABLED) {
        None => false,
        Some(v) => *v.as_bool().map_err(|_| corrupt(DISABLED))?,
    } || item.contains_key(ERASING_AT);
    let signed_out_at = match get_n(item, SIGNED_OUT_AT) {
        None if item.contains_key(SIGNED_OUT_AT) => return Err(corrupt(SIGNED_OUT_AT)),
        None => None,
        Some(secs) => Some(
            Utc.timestamp_opt(secs, 0)
                .single()
                .ok_or_else(|| corrupt(SIGNED_OUT_AT))?,
        ),
    };
    Ok(Standing {
        disabled,
        signed_out_at,
    })
}

#[async_trait]
impl StandingStore for DynamoLedger {
    async fn standing(&self, owner: &OwnerId) -> Result<Standing, CoreError> {
        let key = HashMap::from([("owner".to_string(), s(owner.as_str()))]);
        match get_item(&self.client, &self.quotas_table, key).await? {
            Some(item) => standing_of(&item),
            None => Ok(Standing::default()),
        }
    }

    async fn sign_out_all(&self, owner: &OwnerId, cut: DateTime<Utc>) -> Result<(), CoreError> {
        // Only forward: a cut that lost the race to a later one is already covered by it.
        let update = self
            .client
            .update_item()
            .table_name(&self.quotas_table)
            .key("owner", s(owner.as_str()))
            .update_expression(format!("SET {SIGNED_OUT_AT} = :c"))
            .condition_expression(format!(
                "attribute_not_exists({SIGNED_OUT_AT}) OR {SIGNED_OUT_AT} < :c"
            ))
            .set_expression_attribute_values(values(vec![(":c", n(cut.timestamp()))]));
        update_if(update).await?;
        Ok(())
    }

    async fn set_disabled(&self, owner: &OwnerId, disabled: bool) -> Result<(), CoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.quotas_table)
            .key("owner", s(owner.as_str()))
            .update_expression(format!("SET {DISABLED} = :d"))
            .set_expression_attribute_values(values(vec![(":d", Av::Bool(disabled))]));
        update_if(update).await?;
        Ok(())
    }
}
