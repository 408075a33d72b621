//! The webhooks' ports: where registrations are kept ([`WebhookStore`]), and how a host name
//! becomes addresses ([`Resolver`]) so that the address rules see what would be connected to.

use std::net::IpAddr;

use async_trait::async_trait;

use super::{Webhook, WebhookEdit};
use crate::{CoreError, OwnerId};

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Keeps `hook`, unless its owner already has `max` webhooks: `false` then, and nothing is
    /// written. Concurrent inserts never take an owner past `max`.
    async fn insert(&self, hook: &Webhook, max: u32) -> Result<bool, CoreError>;

    /// The owner's webhook `id`; `None` when there is none (or it is another owner's).
    async fn get(&self, owner: &OwnerId, id: &str) -> Result<Option<Webhook>, CoreError>;

    /// All of the owner's webhooks, oldest first.
    async fn list(&self, owner: &OwnerId) -> Result<Vec<Webhook>, CoreError>;

    /// Applies `edit` to the owner's webhook `id` and answers it as changed; `None` when there
    /// is no such webhook.
    async fn edit(
        &self,
        owner: &OwnerId,
        id: &str,
        edit: &WebhookEdit,
    ) -> Result<Option<Webhook>, CoreError>;

    /// Removes the owner's webhook `id`; `false` when there was none. Frees its place under
    /// the limit.
    async fn remove(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError>;

    /// Counts one delivery attempt's outcome: a success sets the webhook's consecutive failures
    /// to 0 (and clears its stall window, in the same write), a failure adds one. Answers the count after; `None` when there is no such webhook.
    /// An edit back to `active` also sets it to 0.
    async fn count_outcome(
        &self,
        owner: &OwnerId,
        id: &str,
        ok: bool,
    ) -> Result<Option<u32>, CoreError>;

    /// Pauses the webhook if it is active: `true` only for the one call that paused it (so its
    /// owner is mailed once however many deliveries fail at the same time).
    async fn pause_if_active(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError>;

    /// Sets the webhook's `stalled_until` to `until`. With `if_seen`, only while it is still
    /// that value (of all the jobs that find one window ended, one claims the probe); without,
    /// whatever it was. `false` when there is no such webhook or the condition failed.
    async fn stall(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        if_seen: Option<&str>,
    ) -> Result<bool, CoreError>;

    /// Takes slot `slot` of the webhook's attempts in flight with `lease` (its end and its
    /// holder, [`super::inflight::lease`]): only while the slot is free or its lease ended
    /// before `now` (RFC 3339), and the webhook is not stalled at `now` (its `stalled_until`
    /// is not after it: a receiver known dead is sent no more than its window's probe).
    /// `false` when it is held, the webhook stalled, or there is no such webhook.
    async fn take_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
        now: &str,
    ) -> Result<bool, CoreError>;

    /// Frees slot `slot` if `lease` still holds it (nothing otherwise), and clears the
    /// webhook's `cap_wait_until` in the same write: answers it as it was, so that of many
    /// holders freeing at once one releases the jobs that wait (`None`: none was set, the lease
    /// was no longer held, or there is no such webhook).
    async fn free_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
    ) -> Result<Option<String>, CoreError>;

    /// Sets the webhook's `cap_wait_until` to `until`, unless it is already at or after
    /// `unless_from` (a wait whose wake is still to come covers the caller). `false` then, or
    /// when there is no such webhook.
    async fn wait_on_cap(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        unless_from: &str,
    ) -> Result<bool, CoreError>;
}

#[async_trait]
pub trait Resolver: Send + Sync {
    /// Every address `host` resolves to (empty when it resolves to none). An error is the
    /// resolver's own failure.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, CoreError>;
}
