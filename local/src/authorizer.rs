//! The local stand-in for API Gateway's JWT authorizer: RS256 signature against the user
//! pool's JWKS, issuer, audience (the app client id), expiry and `token_use: id`. The verified
//! claims reach the handler as `requestContext.authorizer.jwt.claims`, as in AWS.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

use crate::error::LocalError;

pub struct Authorizer {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl Authorizer {
    /// `jwks_url` is the emulator's (`/<pool_id>/.well-known/jwks.json`); `issuer` the real
    /// AWS one the tokens carry.
    pub async fn fetch(jwks_url: &str, issuer: &str, audience: &str) -> Result<Self, LocalError> {
        let set: JwkSet = reqwest::get(jwks_url)
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| LocalError::Provision(format!("JWKS: {e}")))?
            .json()
            .await
            .map_err(|e| LocalError::Provision(format!("JWKS: {e}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            if let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(jwk)) {
                keys.insert(kid, key);
            }
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // API Gateway allows no clock skew beyond its own; keep it small.
        validation.leeway = 5;
        Ok(Self { keys, validation })
    }

    /// The verified claims as API Gateway passes them (strings), or `None`.
    pub fn verify(&self, authorization: Option<&str>) -> Option<HashMap<String, String>> {
        // The scheme is case-insensitive (RFC 9110, section 11.1).
        let (scheme, token) = authorization?.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim();
        let header = decode_header(token).ok()?;
        if header.alg != Algorithm::RS256 {
            return None;
        }
        let key = self.keys.get(header.kid.as_deref()?)?;
        let data = decode::<HashMap<String, Value>>(token, key, &self.validation).ok()?;
        if data.claims.get("token_use").and_then(Value::as_str) != Some("id") {
            return None;
        }
        Some(
            data.claims
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
                .collect(),
        )
    }
}
