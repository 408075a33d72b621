//! The ports an operator's view of accounts needs: the directory of accounts (Cognito in
//! production) and the owner's own quota on the quota record.

use async_trait::async_trait;

use std::collections::HashMap;

use super::{AccountRecord, DirectoryPage, DirectoryUser};
use crate::{CoreError, OwnerId};

/// The most owners one [`QuotaLimits::records`] call takes: a directory page (at most 60) and
/// more, never an unbounded read.
pub const MAX_RECORDS_READ: usize = 1000;

/// Where accounts are: who exists, their email, whether they may sign in.
#[async_trait]
pub trait Directory: Send + Sync {
    /// Accounts whose email starts with `prefix` (all with an empty one), at most `limit` (the
    /// directory may give fewer and a cursor), from `cursor` on.
    async fn find(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<DirectoryPage, CoreError>;
    /// The account `id`, if it exists.
    async fn user(&self, id: &OwnerId) -> Result<Option<DirectoryUser>, CoreError>;
    /// Stops the account from signing in and signs it out everywhere (its refresh tokens stop
    /// working); its id tokens are refused by the standing check, not here.
    async fn disable(&self, user: &DirectoryUser) -> Result<(), CoreError>;
    /// Lets the account sign in again.
    async fn enable(&self, user: &DirectoryUser) -> Result<(), CoreError>;
    /// Removes the account for good (an erasure's last step); a user gone already is no error.
    async fn delete(&self, user: &DirectoryUser) -> Result<(), CoreError>;
}

/// The owner's own quota, on the record whose counters every reservation checks in its
/// transaction: a reservation holds to this limit exactly as to the default (no race past it).
/// [`crate::files::FileLookup::usage`] reports it as the effective limit.
#[async_trait]
pub trait QuotaLimits: Send + Sync {
    /// Sets (`Some`) or removes (`None`: back to the deployment's default) the owner's own
    /// limit; the counters stay as they are (a limit below usage refuses new uploads and
    /// removes nothing).
    async fn set_own_limit(&self, owner: &OwnerId, limit: Option<u64>) -> Result<(), CoreError>;
    /// The quota records of a page of owners, read together (DynamoDB: one strongly consistent
    /// `BatchGetItem` per 100 keys, the keys it leaves unprocessed retried a bounded number of
    /// times): each owner's usage, `default` as the limit where it has no own, and its
    /// standing. Every owner asked is in the answer; one without a record has empty counters,
    /// the default limit and good standing. At most [`MAX_RECORDS_READ`] owners.
    async fn records(
        &self,
        owners: &[OwnerId],
        default: u64,
    ) -> Result<HashMap<OwnerId, AccountRecord>, CoreError>;
}
