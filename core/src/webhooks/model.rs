//! A webhook registration as stored and as shown to its owner.

use serde::{Deserialize, Serialize};

use crate::OwnerId;
use crate::events::EventKind;

/// Whether deliveries go out. A paused webhook keeps its registration and log; its owner (or
/// too many failed attempts in a row) paused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookState {
    Active,
    Paused,
}

impl WebhookState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
}

/// One registration, as stored: the secret only sealed (it opens for this webhook alone).
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: String,
    pub owner: OwnerId,
    /// As registered; never changed (a new address is a new webhook).
    pub url: String,
    /// The event types it is sent, sorted, without repeats, never empty.
    pub events: Vec<EventKind>,
    pub description: Option<String>,
    /// The `whsec_` secret sealed by the token sealer (purpose `webhook`).
    pub sealed_secret: String,
    pub created_at: String,
    pub state: WebhookState,
    /// Until when its deliveries are held back (RFC 3339): an attempt that timed out or could
    /// not connect sets it, so that one dead receiver holds one attempt's slot per window
    /// instead of one per delivery; a success clears it. `None`: not stalled.
    pub stalled_until: Option<String>,
    /// Until when jobs parked because its attempts in flight were at the cap wait at most: a
    /// wake is queued for then (RFC 3339; [`super::inflight`]). `None`: none waits.
    pub cap_wait_until: Option<String>,
}

/// A webhook as its owner sees it: never the secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<EventKind>,
    pub description: Option<String>,
    pub created_at: String,
    pub state: WebhookState,
}

impl From<&Webhook> for WebhookView {
    fn from(w: &Webhook) -> Self {
        Self {
            id: w.id.clone(),
            url: w.url.clone(),
            events: w.events.clone(),
            description: w.description.clone(),
            created_at: w.created_at.clone(),
            state: w.state,
        }
    }
}

/// What `POST /webhooks` answers: the view and, this once, the secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub view: WebhookView,
    pub secret: String,
}

/// A change of a webhook: its events, its state, or both.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookEdit {
    pub events: Option<Vec<EventKind>>,
    pub state: Option<WebhookState>,
}
