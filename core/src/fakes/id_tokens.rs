//! [`MemIdTokens`]: id tokens without signatures, for the handlers' tests. A token is
//! `fake.` and the base64url of its claims' JSON; the claims are read by the same
//! [`IdClaims::from_json`] the adapter uses after it checked the signature.

use async_trait::async_trait;
use base64::Engine;
use serde_json::Value;

use crate::CoreError;
use crate::identity::{IdClaims, IdTokens, unauthorized};

#[derive(Default)]
pub struct MemIdTokens;

const PREFIX: &str = "fake.";

impl MemIdTokens {
    /// A token this fake accepts, carrying `claims` (a JSON object).
    pub fn mint(claims: &Value) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{PREFIX}{}", b64.encode(claims.to_string()))
    }
}

#[async_trait]
impl IdTokens for MemIdTokens {
    async fn verify(&self, token: &str) -> Result<IdClaims, CoreError> {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let bytes = token
            .strip_prefix(PREFIX)
            .and_then(|t| b64.decode(t).ok())
            .ok_or_else(unauthorized)?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(claims)) => IdClaims::from_json(&claims),
            _ => Err(unauthorized()),
        }
    }
}
