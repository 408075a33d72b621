//! The audit trail: every admin change, every export of the trail, and the security events the
//! system decides (an account stopped or erased, a quota changed, malware found, a share locked
//! after wrong passwords, ...), one append-only entry each. Entries name ids, never names or
//! addresses. How entries are chained and stored is the trail's own business; callers only
//! append what happened.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::CoreError;

pub mod chain;
mod query;
mod service;
mod store;

pub use chain::{AuditEntry, Broken, GENESIS, Head, Verifier};
pub use query::{AuditQuery, ExportFormat};
pub use service::{AuditChain, AuditPage, EXPORT_PAGE, EXPORTED, ExportPage};
pub use store::AuditStore;

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    Admin,
    System,
    Owner,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// An owner's or admin's id; `"system"` (or the function's name) for the system.
    pub id: String,
    pub kind: ActorKind,
}

/// What it was done to: `{kind: "user"|"file"|"link"|"share"|"audit"|..., id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub kind: String,
    pub id: String,
}

/// One thing that happened, as a caller tells it; the trail adds `seq`, `at` and the chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    pub actor: Actor,
    /// A stable dotted name: `user.disabled`, `user.quota_changed`, `file.released`, ...
    pub action: String,
    pub target: Target,
    /// Ids and numbers only, never names, addresses or secrets.
    pub detail: Value,
}

impl AuditEvent {
    pub fn new(
        actor: Actor,
        action: &str,
        target_kind: &str,
        target_id: &str,
        detail: Value,
    ) -> Self {
        Self {
            actor,
            action: action.to_owned(),
            target: Target {
                kind: target_kind.to_owned(),
                id: target_id.to_owned(),
            },
            detail,
        }
    }
}

/// Appends to the trail. An append that fails is an error: a security event that cannot be
/// recorded fails the action that caused it where that is possible (fail closed).
#[async_trait]
pub trait AuditTrail: Send + Sync {
    async fn append(&self, event: AuditEvent) -> Result<(), CoreError>;
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::System => "system",
            Self::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "system" => Some(Self::System),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}
