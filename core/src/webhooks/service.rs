//! Registering webhooks: the owner's list, within `MAX_WEBHOOKS`, each aimed only at an address
//! outside the network (checked with the resolver's answer at registration, and again by the
//! deliverer at connect time), with a secret shown once and kept sealed.

use std::sync::Arc;

use super::address::{Host, check_resolved, check_url};
use super::{
    CreatedWebhook, Resolver, Webhook, WebhookEdit, WebhookState, WebhookStore, WebhookView,
    secret_of,
};
use crate::clock::Clock;
use crate::events::EventKind;
use crate::ids::IdSource;
use crate::sealing::{SealContext, TokenSealer};
use crate::time::rfc3339;
use crate::{CoreError, OwnerId};

/// What a webhook's sealed secret is bound to.
pub const SEAL_PURPOSE: &str = "webhook";

/// The longest URL a webhook may have.
pub const MAX_URL_CHARS: usize = 2048;

/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// Webhooks an owner may have unless `MAX_WEBHOOKS` says otherwise.
pub const DEFAULT_MAX_WEBHOOKS: u32 = 10;

/// A new registration as asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

#[derive(Clone)]
pub struct WebhookService {
    pub store: Arc<dyn WebhookStore>,
    pub sealer: Arc<dyn TokenSealer>,
    pub resolver: Arc<dyn Resolver>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub max_webhooks: u32,
    /// The local stack's `--allow-loopback-webhooks`: `http://127.0.0.1:<port>/` is allowed.
    pub allow_loopback: bool,
}

fn refused(why: impl std::fmt::Display) -> CoreError {
    CoreError::invalid(
        "webhook_url_refused",
        format!("this URL cannot receive webhooks: {why}"),
    )
}

/// The event types asked for: at least one, each known; sorted, without repeats.
pub fn parse_events(names: &[String]) -> Result<Vec<EventKind>, CoreError> {
    if names.is_empty() {
        return Err(CoreError::invalid(
            "invalid_event_type",
            "events must name at least one event type",
        ));
    }
    let mut kinds = names
        .iter()
        .map(|n| {
            EventKind::parse(n).ok_or_else(|| {
                CoreError::invalid(
                    "invalid_event_type",
                    format!("{n:?} is not an event type (docs/EVENTS.md lists them)"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    kinds.sort();
    kinds.dedup();
    Ok(kinds)
}

impl WebhookService {
    /// Checks `url` as registration and delivery do: its form, then every address its host
    /// resolves to. The address to connect to, or `400 webhook_url_refused` with the reason.
    pub async fn check(&self, url: &str) -> Result<std::net::IpAddr, CoreError> {
        if url.chars().count() > MAX_URL_CHARS {
            return Err(refused(format!(
                "the URL is longer than {MAX_URL_CHARS} characters"
            )));
        }
        let target = check_url(url, self.allow_loopback).map_err(refused)?;
        let addrs = match &target.host {
            Host::Ip(ip) => vec![*ip],
            Host::Name(name) => self.resolver.resolve(name, target.port).await?,
        };
        check_resolved(&target, &addrs).map_err(refused)
    }

    pub async fn create(
        &self,
        owner: &OwnerId,
        new: &NewWebhook,
    ) -> Result<CreatedWebhook, CoreError> {
        let events = parse_events(&new.events)?;
        let description = match new.description.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
                return Err(CoreError::invalid(
                    "invalid_description",
                    format!("the description is longer than {MAX_DESCRIPTION_CHARS} characters"),
                ));
            }
            Some(d) if d.chars().any(char::is_control) => {
                return Err(CoreError::invalid(
                    "invalid_description",
                    "the description holds control characters",
                ));
            }
            Some(d) => Some(d.to_owned()),
        };
        self.check(&new.url).await?;
        // Cheap refusal before a secret is made and sealed; the store's insert is the one that
        // holds under concurrency.
        if self.store.list(owner).await?.len() >= self.max_webhooks as usize {
            return Err(limit(self.max_webhooks));
        }
        let id = self.ids.webhook_id();
        let secret = secret_of(&self.ids.secret()?);
        let ctx = SealContext {
            purpose: SEAL_PURPOSE,
            owner,
            id: &id,
        };
        let hook = Webhook {
            sealed_secret: self.sealer.seal(&ctx, &secret).await?,
            id,
            owner: owner.clone(),
            url: new.url.clone(),
            events,
            description,
            created_at: rfc3339(self.clock.now()),
            state: WebhookState::Active,
            stalled_until: None,
            cap_wait_until: None,
        };
        if !self.store.insert(&hook, self.max_webhooks).await? {
            return Err(limit(self.max_webhooks));
        }
        Ok(CreatedWebhook {
            view: WebhookView::from(&hook),
            secret,
        })
    }

    pub async fn list(&self, owner: &OwnerId) -> Result<Vec<WebhookView>, CoreError> {
        let hooks = self.store.list(owner).await?;
        Ok(hooks.iter().map(WebhookView::from).collect())
    }

    /// The owner's webhook; another owner's is not found, as an unknown one.
    pub async fn get(&self, owner: &OwnerId, id: &str) -> Result<Webhook, CoreError> {
        self.store
            .get(owner, id)
            .await?
            .ok_or_else(webhook_not_found)
    }

    pub async fn edit(
        &self,
        owner: &OwnerId,
        id: &str,
        events: Option<&[String]>,
        state: Option<&str>,
    ) -> Result<WebhookView, CoreError> {
        let edit = WebhookEdit {
            events: events.map(parse_events).transpose()?,
            state: state
                .map(|s| {
                    WebhookState::parse(s).ok_or_else(|| {
                        CoreError::invalid("invalid_state", "state is \"active\" or \"paused\"")
                    })
                })
                .transpose()?,
        };
        let hook = self
            .store
            .edit(owner, id, &edit)
            .await?
            .ok_or_else(webhook_not_found)?;
        Ok(WebhookView::from(&hook))
    }

    pub async fn remove(&self, owner: &OwnerId, id: &str) -> Result<(), CoreError> {
        if self.store.remove(owner, id).await? {
            Ok(())
        } else {
            Err(webhook_not_found())
        }
    }

    /// The webhook's secret, for signing; `None` when it does not open (a damaged record).
    pub async fn secret(&self, hook: &Webhook) -> Result<Option<String>, CoreError> {
        let ctx = SealContext {
            purpose: SEAL_PURPOSE,
            owner: &hook.owner,
            id: &hook.id,
        };
        self.sealer.open(&ctx, &hook.sealed_secret).await
    }
}

fn limit(max: u32) -> CoreError {
    CoreError::conflict(
        "webhook_limit",
        format!("an account may have at most {max} webhooks; remove one first"),
    )
}

pub fn webhook_not_found() -> CoreError {
    CoreError::NotFound
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
