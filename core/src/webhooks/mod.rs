//! Webhooks: owners' registrations ([`WebhookService`] over the [`WebhookStore`] port), and the
//! rules that hold whatever stores or sends them: the secret's form, the Standard Webhooks
//! signature every delivery carries ([`signature`]), and which addresses a delivery may never
//! reach ([`address`], with host names resolved through the [`Resolver`] port).

pub mod address;
mod deliverer;
pub mod deliveries;
pub mod delivery;
mod dispatch;
pub mod inflight;
mod model;
pub mod parking;
mod service;
pub mod signature;
pub mod stall;
mod store;

pub use deliverer::{Deliverer, Outcome, pause_mail};
pub use dispatch::{DeliveryPage, Dispatch};
pub use model::{CreatedWebhook, Webhook, WebhookEdit, WebhookState, WebhookView};
pub use service::{
    DEFAULT_MAX_WEBHOOKS, MAX_DESCRIPTION_CHARS, MAX_URL_CHARS, NewWebhook, SEAL_PURPOSE,
    WebhookService, parse_events, webhook_not_found,
};
pub use store::{Resolver, WebhookStore};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What every secret starts with (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// A webhook's signing secret, shown to its owner once: `whsec_` and the base64 of 32 random
/// bytes, which are the HMAC key.
pub fn secret_of(key: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC key a secret stands for; `None` for anything not of the secret's form.
pub fn key_of(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX)?;
    STANDARD.decode(b64).ok().filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_its_key_in_base64_behind_the_prefix() {
        let key = [7u8; 32];
        let s = secret_of(&key);
        assert!(s.starts_with("whsec_"));
        assert_eq!(s.len(), "whsec_".len() + 44);
        assert_eq!(key_of(&s).as_deref(), Some(&key[..]));
        assert_eq!(key_of("whsec_"), None);
        assert_eq!(key_of("sk_abc"), None);
        assert_eq!(key_of("whsec_not base64!"), None);
    }
}
