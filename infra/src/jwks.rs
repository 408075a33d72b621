//! [`CognitoIdTokens`]: id tokens verified in the function, against the user pool's JWKS
//! (RS256 signature, issuer, audience, expiry), as API Gateway's JWT authorizer did.
//!
//! The keys are fetched on the first verification of a cold start (not at init: a function
//! that serves only public routes never fetches them) and kept. A token signed with a key not
//! among them (Cognito rotates keys) fetches the set again, at most once a minute, so that a
//! flood of made-up `kid`s costs one fetch a minute, not one per request.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dropgate_core::CoreError;
use dropgate_core::identity::{IdClaims, IdTokens, unauthorized};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Map, Value};
use tokio::sync::RwLock;

/// The least time between two fetches of the key set.
pub const REFETCH_AFTER: Duration = Duration::from_secs(60);

pub struct CognitoIdTokens {
    jwks_url: String,
    validation: Validation,
    http: OnceLock<reqwest::Client>,
    keys: RwLock<Keys>,
}

#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

impl Keys {
    /// The key, or `Err(true)` when the set may be fetched again, `Err(false)` when not yet.
    fn get(&self, kid: &str) -> Result<DecodingKey, bool> {
        match self.by_kid.get(kid) {
            Some(k) => Ok(k.clone()),
            None => Err(self.fetched_at.is_none_or(|t| t.elapsed() >= REFETCH_AFTER)),
        }
    }
}

/// The issuer of the pool's tokens: always the real AWS address (the emulator's tokens carry
/// it too).
pub fn issuer(region: &str, user_pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

impl CognitoIdTokens {
    /// `jwks_url`: the pool's `/.well-known/jwks.json` (the issuer's, or the emulator's);
    /// `audience`: the app client id.
    pub fn new(jwks_url: String, issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // As API Gateway's authorizer: a few seconds of clock skew at most.
        validation.leeway = 5;
        Self {
            jwks_url,
            validation,
            http: OnceLock::new(),
            keys: RwLock::default(),
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            // Only the roots AWS endpoints chain to, as the SDK clients (`aws.rs`).
            let mut b = reqwest::Client::builder().tls_built_in_root_certs(false);
            for pem in crate::aws::AMAZON_ROOTS {
                if let Ok(cert) = reqwest::Certificate::from_pem(pem.as_bytes()) {
                    b = b.add_root_certificate(cert);
                }
            }
            b.connect_timeout(Duration::from_millis(1500))
                .timeout(Duration::from_secs(3))
                .build()
                .unwrap_or_default()
        })
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, CoreError> {
        let fail =
            |e: reqwest::Error| CoreError::Unavailable(format!("JWKS fetch: {}", e.without_url()));
        let set: JwkSet = self
            .http()
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(fail)?
            .json()
            .await
            .map_err(fail)?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
            .collect())
    }

    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, CoreError> {
        match self.keys.read().await.get(kid) {
            Ok(k) => return Ok(Some(k)),
            Err(false) => return Ok(None),
            Err(true) => {}
        }
        let mut keys = self.keys.write().await;
        // Another request may have fetched while this one waited.
        match keys.get(kid) {
            Ok(k) => return Ok(Some(k)),
            Err(false) => return Ok(None),
            Err(true) => {}
        }
        let fresh = self.fetch().await?;
        tracing::info!(keys = fresh.len(), "fetched the user pool's signing keys");
        keys.by_kid = fresh;
        keys.fetched_at = Some(Instant::now());
        Ok(keys.by_kid.get(kid).cloned())
    }
}

#[async_trait]
impl IdTokens for CognitoIdTokens {
    async fn verify(&self, token: &str) -> Result<IdClaims, CoreError> {
        let header = decode_header(token).map_err(|_| unauthorized())?;
        if header.alg != Algorithm::RS256 {
            return Err(unauthorized());
        }
        let kid = header.kid.ok_or_else(unauthorized)?;
        let Some(key) = self.key(&kid).await? else {
            tracing::info!(kid, "id token signed with a key the pool does not have");
            return Err(unauthorized());
        };
        let data = decode::<Map<String, Value>>(token, &key, &self.validation)
            .map_err(|_| unauthorized())?;
        IdClaims::from_json(&data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_kid_refetches_only_when_the_last_fetch_is_a_minute_old() {
        let mut keys = Keys::default();
        assert_eq!(keys.get("a").err(), Some(true), "never fetched");
        keys.fetched_at = Some(Instant::now());
        assert_eq!(keys.get("a").err(), Some(false), "fetched just now");
        keys.fetched_at = Instant::now().checked_sub(REFETCH_AFTER);
        if keys.fetched_at.is_some() {
            assert_eq!(keys.get("a").err(), Some(true), "a minute ago");
        }
    }

    #[tokio::test]
    async fn garbage_and_other_algorithms_are_unauthorized_without_a_fetch() {
        // An address nothing listens on: a fetch would be a 503, not a 401.
        let v = CognitoIdTokens::new("http://127.0.0.1:9/jwks".into(), "i", "a");
        for token in ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
            assert_eq!(v.verify(token).await.unwrap_err().code(), "unauthorized");
        }
        // HS256 (a key confusion attempt): refused before any key is looked up.
        let hs = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &serde_json::json!({"sub": "x"}),
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert_eq!(v.verify(&hs).await.unwrap_err().code(), "unauthorized");
    }
}
