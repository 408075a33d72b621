//! [`MemWebhooks`]: webhook registrations in memory; [`MemResolver`]: host names from a table.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::webhooks::{Resolver, Webhook, WebhookEdit, WebhookState, WebhookStore};
use crate::{CoreError, OwnerId};

#[derive(Default)]
pub struct MemWebhooks {
    /// By owner, then id (ids are minted in order, so this is oldest first).
    pub(super) hooks: Mutex<HashMap<OwnerId, BTreeMap<String, Webhook>>>,
    /// Consecutive failed attempts, by owner and id.
    failures: Mutex<HashMap<(OwnerId, String), u32>>,
    /// Leases of attempts in flight, by owner, id and slot (dropped with the webhook).
    leases: Mutex<HashMap<(OwnerId, String, u32), String>>,
}

#[async_trait]
impl WebhookStore for MemWebhooks {
    async fn insert(&self, hook: &Webhook, max: u32) -> Result<bool, CoreError> {
        let mut all = lock(&self.hooks);
        let mine = all.entry(hook.owner.clone()).or_default();
        if mine.len() >= max as usize {
            return Ok(false);
        }
        mine.insert(hook.id.clone(), hook.clone());
        Ok(true)
    }

    async fn get(&self, owner: &OwnerId, id: &str) -> Result<Option<Webhook>, CoreError> {
        Ok(lock(&self.hooks)
            .get(owner)
            .and_then(|m| m.get(id))
            .cloned())
    }

    async fn list(&self, owner: &OwnerId) -> Result<Vec<Webhook>, CoreError> {
        Ok(lock(&self.hooks)
            .get(owner)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn edit(
        &self,
        owner: &OwnerId,
        id: &str,
        edit: &WebhookEdit,
    ) -> Result<Option<Webhook>, CoreError> {
        let mut all = lock(&self.hooks);
        let Some(hook) = all.get_mut(owner).and_then(|m| m.get_mut(id)) else {
            return Ok(None);
        };
        if let Some(events) = &edit.events {
            hook.events = events.clone();
        }
        if let Some(state) = edit.state {
            hook.state = state;
            if state == WebhookState::Active {
                lock(&self.failures).remove(&(owner.clone(), id.to_owned()));
            }
        }
        Ok(Some(hook.clone()))
    }

    async fn remove(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError> {
        let mut all = lock(&self.hooks);
        let removed = all.get_mut(owner).is_some_and(|m| m.remove(id).is_some());
        // The leases are the webhook item's attributes in the table: they go with it.
        lock(&self.leases).retain(|(o, i, _), _| !(o == owner && i == id));
        Ok(removed)
    }

    async fn count_outcome(
        &self,
        owner: &OwnerId,
        id: &str,
        ok: bool,
    ) -> Result<Option<u32>, CoreError> {
        if self.get(owner, id).await?.is_none() {
            return Ok(None);
        }
        if ok && let Some(h) = lock(&self.hooks).get_mut(owner).and_then(|m| m.get_mut(id)) {
            h.stalled_until = None;
        }
        let mut failures = lock(&self.failures);
        let n = failures.entry((owner.clone(), id.to_owned())).or_default();
        *n = if ok { 0 } else { *n + 1 };
        Ok(Some(*n))
    }

    async fn pause_if_active(&self, owner: &OwnerId, id: &str) -> Result<bool, CoreError> {
        let mut all = lock(&self.hooks);
        match all.get_mut(owner).and_then(|m| m.get_mut(id)) {
            Some(h) if h.state == WebhookState::Active => {
                h.state = WebhookState::Paused;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn stall(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        if_seen: Option<&str>,
    ) -> Result<bool, CoreError> {
        let mut all = lock(&self.hooks);
        match all.get_mut(owner).and_then(|m| m.get_mut(id)) {
            Some(h) if if_seen.is_none_or(|seen| h.stalled_until.as_deref() == Some(seen)) => {
                h.stalled_until = Some(until.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn take_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
        now: &str,
    ) -> Result<bool, CoreError> {
        // The webhook's lock first, then the leases' (as `remove` drops both).
        let all = lock(&self.hooks);
        let Some(hook) = all.get(owner).and_then(|m| m.get(id)) else {
            return Ok(false);
        };
        if hook.stalled_until.as_deref().is_some_and(|t| t >= now) {
            return Ok(false);
        }
        let mut leases = lock(&self.leases);
        let key = (owner.clone(), id.to_owned(), slot);
        // The same comparison as the table's condition: the stored string against `now`.
        if leases.get(&key).is_some_and(|held| held.as_str() >= now) {
            return Ok(false);
        }
        leases.insert(key, lease.to_owned());
        Ok(true)
    }

    async fn free_lease(
        &self,
        owner: &OwnerId,
        id: &str,
        slot: u32,
        lease: &str,
    ) -> Result<Option<String>, CoreError> {
        let mut all = lock(&self.hooks);
        let Some(hook) = all.get_mut(owner).and_then(|m| m.get_mut(id)) else {
            return Ok(None);
        };
        let mut leases = lock(&self.leases);
        let key = (owner.clone(), id.to_owned(), slot);
        if leases.get(&key).map(String::as_str) != Some(lease) {
            return Ok(None);
        }
        leases.remove(&key);
        Ok(hook.cap_wait_until.take())
    }

    async fn wait_on_cap(
        &self,
        owner: &OwnerId,
        id: &str,
        until: &str,
        unless_from: &str,
    ) -> Result<bool, CoreError> {
        let mut all = lock(&self.hooks);
        match all.get_mut(owner).and_then(|m| m.get_mut(id)) {
            Some(h) if h.cap_wait_until.as_deref().is_none_or(|t| t < unless_from) => {
                h.cap_wait_until = Some(until.to_owned());
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Names resolve to what the test set; any other name to nothing.
#[derive(Default)]
pub struct MemResolver {
    names: Mutex<HashMap<String, Vec<IpAddr>>>,
}

impl MemResolver {
    pub fn set(&self, name: &str, addrs: &[&str]) {
        let addrs = addrs.iter().filter_map(|a| a.parse().ok()).collect();
        lock(&self.names).insert(name.to_owned(), addrs);
    }
}

#[async_trait]
impl Resolver for MemResolver {
    async fn resolve(&self, host: &str, _port: u16) -> Result<Vec<IpAddr>, CoreError> {
        Ok(lock(&self.names).get(host).cloned().unwrap_or_default())
    }
}
