//! API tokens (`dgt_...`): credentials an owner makes for scripts and CI, each limited to a
//! [`Scope`], revocable one by one, and checked by the gate ([`crate::identity::Gate`]) like an
//! id token. Named `apikeys` because [`crate::tokens`] is the bearer-secret helper of links and
//! shares.
//!
//! A token's secret is `dgt_` and 32 random bytes (256 bits, URL-safe base64), shown once at
//! creation and stored only as its SHA-256: a secret of that entropy cannot be guessed from its
//! hash, so a slow password hash (Argon2) would add cost on every request and no safety.

mod rules;
mod service;
mod store;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{CoreError, OwnerId};

pub use rules::{DEFAULT_TTL_SECS, MAX_NAME_CHARS, MAX_TTL_SECS, MIN_TTL_SECS, name, ttl};
pub use service::{ApiKeyService, Created, TOUCH_EVERY_SECS};
pub use store::ApiKeyStore;

/// What every API token's secret starts with: a client tells it from a JWT, and a leaked one is
/// recognizable (secret scanners match the prefix).
pub const PREFIX: &str = "dgt_";

/// An API token's id: `k` and 20 hex digits (80 random bits), shown in lists and logs; never
/// the secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    /// An id as it appears in a path: anything else is `404` (no such token).
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let ok = s.len() == 21
            && s.starts_with('k')
            && s[1..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(CoreError::NotFound)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for KeyId {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, CoreError> {
        Self::parse(&s)
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> String {
        id.0
    }
}

/// What a token may do (docs/API.md, "API tokens").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Everything the owner can do but account, token and webhook management.
    Full,
    /// Create uploads, send their parts, complete them, read the status of the files this token
    /// created, and the quota: for a CI job pushing artifacts.
    Upload,
    /// List, get and download files, list links and shares, the quota; no change.
    Read,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Full, Scope::Upload, Scope::Read];

    /// `400 invalid_scope` for anything but `full`, `upload` or `read`.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s {
            "full" => Ok(Self::Full),
            "upload" => Ok(Self::Upload),
            "read" => Ok(Self::Read),
            _ => Err(CoreError::invalid(
                "invalid_scope",
                "scope must be one of full, upload, read",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Upload => "upload",
            Self::Read => "read",
        }
    }
}

/// What one scope may do on one route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// `403 scope_denied`.
    No,
    Yes,
    /// Only on a file this token created (the route's first parameter is the file id); any
    /// other file is `404`, as if it did not exist.
    Created,
}

/// What each scope may do on a route: every route of the API's table declares it, so a new
/// route cannot be reached with an API token until someone decided what each scope may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes {
    pub full: Grant,
    pub upload: Grant,
    pub read: Grant,
}

impl Scopes {
    /// No API token at all: account, token and webhook management, admin routes, public
    /// routes (which take no credential).
    pub const NONE: Scopes = Scopes {
        full: Grant::No,
        upload: Grant::No,
        read: Grant::No,
    };
    /// A change: `full` only.
    pub const CHANGE: Scopes = Scopes {
        full: Grant::Yes,
        upload: Grant::No,
        read: Grant::No,
    };
    /// A read of the owner's things: `full` and `read`.
    pub const READ: Scopes = Scopes {
        full: Grant::Yes,
        upload: Grant::No,
        read: Grant::Yes,
    };
    /// Every scope (the quota).
    pub const ALL: Scopes = Scopes {
        full: Grant::Yes,
        upload: Grant::Yes,
        read: Grant::Yes,
    };

    pub fn grant(&self, scope: Scope) -> Grant {
        match scope {
            Scope::Full => self.full,
            Scope::Upload => self.upload,
            Scope::Read => self.read,
        }
    }
}

pub fn scope_denied(scope: Scope) -> CoreError {
    CoreError::Forbidden {
        code: "scope_denied",
        message: format!("an API token of scope {} may not do this", scope.as_str()),
    }
}

/// An API token as stored: never its secret, only the secret's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: KeyId,
    pub owner: OwnerId,
    pub name: String,
    pub scope: Scope,
    /// SHA-256 of the secret, hex ([`crate::tokens::hash`]): the lookup key.
    pub hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Last accepted, to the minute ([`TOUCH_EVERY_SECS`]).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_exactly() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()).unwrap(), s);
        }
        for bad in ["", "FULL", "admin", "read,upload", " read"] {
            assert_eq!(Scope::parse(bad).unwrap_err().code(), "invalid_scope");
        }
    }

    #[test]
    fn key_ids_have_one_shape() {
        assert!(KeyId::parse("k0123456789abcdef0123").is_ok());
        for bad in [
            "",
            "k0123",
            "x0123456789abcdef0123",
            "k0123456789ABCDEF0123",
            "k0123456789abcdef012/",
        ] {
            assert_eq!(KeyId::parse(bad).unwrap_err(), CoreError::NotFound);
        }
    }
}
