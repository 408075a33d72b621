//! A user's own quota (`quota_bytes` on their quota record) and how a reservation holds to it.
//! A condition expression cannot add, so a reservation's condition names the limit it was
//! computed for: the default when the record has no own limit, else exactly the own limit it
//! read (`quota_bytes = :own`). A reservation tries the default first (no read: what nearly
//! every owner has); refused, it reads the record and, if the limit it holds differs, tries
//! again against that one. An admin's change between the read and the write fails the
//! condition and is read again, so no reservation ever passes the limit in force when it
//! commits.

use std::collections::HashMap;
use std::future::Future;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use dropgate_core::files::QuotaUsage;
use dropgate_core::files::headroom;
use dropgate_core::users::{AccountRecord, MAX_RECORDS_READ, QuotaLimits};
use dropgate_core::{CoreError, OwnerId};

use super::standing::standing_of;
use super::{DynamoLedger, get_item, get_n, n, s};

/// The attribute of a user's own limit on their quota record.
pub(crate) const OWN_LIMIT: &str = "quota_bytes";
/// Rounds of reading a changed limit before a reservation gives up (`503`): each round is an
/// admin's change landing between a read and a write.
const ROUNDS: usize = 4;

/// A condition's placeholder values.
pub(crate) type Values = Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)>;

/// The limit a reservation's condition is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The record has no own limit: the deployment's default holds.
    Default(u64),
    /// The record's own limit, exactly this.
    Own(u64),
}

impl Bound {
    pub(crate) fn limit(self) -> u64 {
        match self {
            Self::Default(l) | Self::Own(l) => l,
        }
    }

    /// The condition on the quota record, and its values, for a reservation of `size`; `None`
    /// when `size` alone is over the limit.
    pub(crate) fn condition(self, size: u64) -> Option<(&'static str, Values)> {
        let room = headroom(self.limit(), size)?;
        Some(match self {
            Self::Default(_) => (
                "attribute_not_exists(quota_bytes) AND \
                 (attribute_not_exists(committed_bytes) OR committed_bytes <= :room)",
                vec![(":room", n(room))],
            ),
            Self::Own(own) => (
                "quota_bytes = :own AND \
                 (attribute_not_exists(committed_bytes) OR committed_bytes <= :room)",
                vec![(":room", n(room)), (":own", n(own))],
            ),
        })
    }
}

/// The usage a quota record holds (an empty item: none), `limit` where it has no own.
pub(crate) fn usage_of(item: &HashMap<String, Av>, limit: u64) -> QuotaUsage {
    let get = |k: &str| get_n(item, k).unwrap_or(0).max(0) as u64;
    let own = get_n(item, OWN_LIMIT).map(|v| v.max(0) as u64);
    QuotaUsage {
        used_bytes: get("used_bytes"),
        reserved_bytes: get("reserved_bytes"),
        limit_bytes: own.unwrap_or(limit),
        files: get("files"),
        custom: own.is_some(),
    }
}

/// What one try against a bound came to.
pub(crate) enum Try<T> {
    /// Done: reserved, or refused for a reason other than the quota.
    Done(T),
    /// The quota record's condition failed (or the size alone is over this bound).
    OverQuota,
}

impl DynamoLedger {
    /// The owner's own limit, read strongly consistent.
    pub(crate) async fn own_limit(&self, owner: &OwnerId) -> Result<Option<u64>, CoreError> {
        let key = HashMap::from([("owner".to_string(), s(owner.as_str()))]);
        let item = get_item(&self.client, &self.quotas_table, key).await?;
        Ok(item
            .as_ref()
            .and_then(|i| get_n(i, OWN_LIMIT))
            .map(|v| v.max(0) as u64))
    }

    /// Runs `attempt` against the default, then against whatever limit the record holds until
    /// it is the one the condition was written for; `over` when the quota has no room.
    pub(crate) async fn within_limit<T, F, Fut>(
        &self,
        owner: &OwnerId,
        default: u64,
        over: T,
        mut attempt: F,
    ) -> Result<T, CoreError>
    where
        F: FnMut(Bound) -> Fut,
        Fut: Future<Output = Result<Try<T>, CoreError>>,
    {
        let mut bound = Bound::Default(default);
        for _ in 0..ROUNDS {
            if let Try::Done(done) = attempt(bound).await? {
                return Ok(done);
            }
            let held = match self.own_limit(owner).await? {
                Some(own) => Bound::Own(own),
                None => Bound::Default(default),
            };
            if held == bound {
                return Ok(over);
            }
            bound = held;
        }
        Err(CoreError::Unavailable(format!(
            "reservation: the own quota of {owner} changed {ROUNDS} times during it"
        )))
    }
}

#[async_trait]
impl QuotaLimits for DynamoLedger {
    async fn set_own_limit(&self, owner: &OwnerId, limit: Option<u64>) -> Result<(), CoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.quotas_table)
            .key("owner", s(owner.as_str()));
        let update = match limit {
            Some(l) => update
                .update_expression("SET quota_bytes = :own")
                .expression_attribute_values(":own", n(l)),
            None => update.update_expression("REMOVE quota_bytes"),
        };
        update
            .send()
            .await
            .map_err(|e| crate::error::sdk_error("UpdateItem", e))?;
        Ok(())
    }

    /// One strongly consistent `BatchGetItem` per 100 owners (`DynamoLedger::batch_get`:
    /// unprocessed keys retried with backoff, a bounded number of rounds).
    async fn records(
        &self,
        owners: &[OwnerId],
        default: u64,
    ) -> Result<HashMap<OwnerId, AccountRecord>, CoreError> {
        if owners.len() > MAX_RECORDS_READ {
            return Err(CoreError::upstream("records: too many owners at once"));
        }
        let mut unique: Vec<&OwnerId> = owners.iter().collect();
        unique.sort();
        unique.dedup();
        let keys = unique
            .iter()
            .map(|o| HashMap::from([("owner".to_string(), s(o.as_str()))]))
            .collect();
        let mut by_owner = HashMap::new();
        for item in self.batch_get(&self.quotas_table, keys).await? {
            if let Some(Ok(o)) = item
                .get("owner")
                .and_then(|v| v.as_s().ok())
                .map(|o| OwnerId::parse(o))
            {
                by_owner.insert(o, item);
            }
        }
        let empty = HashMap::new();
        owners
            .iter()
            .map(|o| {
                let item = by_owner.get(o).unwrap_or(&empty);
                Ok((
                    o.clone(),
                    AccountRecord {
                        usage: usage_of(item, default),
                        standing: standing_of(item)?,
                    },
                ))
            })
            .collect()
    }
}
