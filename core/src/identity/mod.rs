//! Who is calling: the in-function gate's rules. A request's bearer credential is either a
//! Cognito id token (verified by the [`IdTokens`] port: signature against the pool's keys,
//! issuer, audience, expiry) or an API token (`dgt_...`, [`crate::apikeys`]); either way the
//! result is a [`Principal`], checked against the owner's standing before any route runs.

mod gate;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::apikeys::{KeyId, Scope};

use crate::{CoreError, OwnerId};

pub use gate::Gate;

/// The Cognito group whose members are admins.
pub const ADMINS_GROUP: &str = "admins";

/// What a verified id token says (the claims the API reads).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdClaims {
    pub sub: String,
    pub email: Option<String>,
    /// `id` for an id token, `access` for an access token.
    pub token_use: Option<String>,
    /// `cognito:groups`.
    pub groups: Vec<String>,
    /// `iat`, seconds since the epoch.
    pub issued_at: i64,
    /// `exp`, seconds since the epoch.
    pub expires_at: i64,
}

impl IdClaims {
    /// The claims the API reads from a JWT's payload. `cognito:groups` is a JSON list; numbers
    /// may come as numbers or as decimal strings. A claim of the wrong shape is no claim: a
    /// token without `sub`, `iat` or `exp` is refused.
    pub fn from_json(claims: &serde_json::Map<String, Value>) -> Result<Self, CoreError> {
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        let secs = |k: &str| match claims.get(k) {
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) => s.parse().ok(),
            _ => None,
        };
        let groups = match claims.get("cognito:groups") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        // Only a verified address is one Dropgate may mail: an unverified one is whatever the
        // user typed last.
        let verified = match claims.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        };
        Ok(Self {
            sub: text("sub").ok_or_else(unauthorized)?,
            email: text("email").filter(|_| verified),
            token_use: text("token_use"),
            groups,
            issued_at: secs("iat").ok_or_else(unauthorized)?,
            expires_at: secs("exp").ok_or_else(unauthorized)?,
        })
    }
}

/// Verifies a JWT the user pool signed: signature with one of the pool's keys, issuer, audience
/// (the app client) and expiry. Anything else (a bad signature, an unknown key, a wrong issuer,
/// garbage) is `401 unauthorized`; only a failure to fetch the pool's keys is `503`.
#[async_trait]
pub trait IdTokens: Send + Sync {
    async fn verify(&self, token: &str) -> Result<IdClaims, CoreError>;
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A Cognito id token: everything the owner may do.
    Session,
    /// An API token, limited to its scope.
    ApiKey { id: KeyId, scope: Scope },
}

/// The verified caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub owner: OwnerId,
    pub email: Option<String>,
    /// A member of the group `admins` (id tokens only: an API token is never an admin).
    pub admin: bool,
    /// When the credential was issued (whole seconds): the standing check compares it with the
    /// last sign-out everywhere.
    pub issued_at: DateTime<Utc>,
    pub via: Via,
}

pub fn unauthorized() -> CoreError {
    CoreError::unauthorized("unauthorized", "a valid bearer id token is required")
}

/// The principal of verified id-token claims: an id token (not an access token: it carries no
/// email, and API Gateway's authorizer never let one through either), unexpired at `now`, whose
/// `sub` is an owner id.
pub fn principal(claims: &IdClaims, now: DateTime<Utc>) -> Result<Principal, CoreError> {
    if claims.token_use.as_deref() != Some("id") || claims.expires_at <= now.timestamp() {
        return Err(unauthorized());
    }
    let owner = OwnerId::parse(&claims.sub).map_err(|_| unauthorized())?;
    let issued_at = Utc
        .timestamp_opt(claims.issued_at, 0)
        .single()
        .ok_or_else(unauthorized)?;
    Ok(Principal {
        owner,
        email: claims.email.clone(),
        admin: claims.groups.iter().any(|g| g == ADMINS_GROUP),
        issued_at,
        via: Via::Session,
    })
}

/// The bearer credential of an `Authorization` header: the scheme is case-insensitive (RFC
/// 9110, section 11.1).
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> IdClaims {
        IdClaims {
            sub: "0b5c4e1e-7d0a-4a4e-9c7e-2f1a3b4c5d6e".into(),
            email: Some("a@example.com".into()),
            token_use: Some("id".into()),
            groups: vec!["staff".into(), "admins".into()],
            issued_at: 1_000,
            expires_at: 5_000,
        }
    }

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).unwrap()
    }

    #[test]
    fn an_unexpired_id_token_names_its_owner_and_groups() {
        let p = principal(&claims(), at(2_000)).unwrap();
        assert_eq!(p.owner.as_str(), "0b5c4e1e-7d0a-4a4e-9c7e-2f1a3b4c5d6e");
        assert!(p.admin);
        assert_eq!(p.issued_at, at(1_000));
        assert_eq!(p.via, Via::Session);
        let member = IdClaims {
            groups: vec!["administrators".into()],
            ..claims()
        };
        assert!(!principal(&member, at(2_000)).unwrap().admin);
    }

    #[test]
    fn access_tokens_expired_tokens_and_bad_subs_are_unauthorized() {
        for c in [
            IdClaims {
                token_use: Some("access".into()),
                ..claims()
            },
            IdClaims {
                token_use: None,
                ..claims()
            },
            IdClaims {
                sub: "not an owner/../id".into(),
                ..claims()
            },
        ] {
            assert_eq!(principal(&c, at(2_000)).unwrap_err().code(), "unauthorized");
        }
        assert_eq!(
            principal(&claims(), at(5_000)).unwrap_err().code(),
            "unauthorized"
        );
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_required() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }
}
