//! The gate every non-public route passes: the bearer credential verified (an id token or an
//! API token, and the API token's scope against what the route allows it), then the owner's
//! standing ([`crate::standing`]): a disabled account, or a credential issued before its owner
//! signed out everywhere, is refused at once rather than when it expires.

use std::sync::Arc;

use crate::apikeys::{ApiKeyService, Grant, PREFIX, Scopes, scope_denied};
use crate::clock::Clock;
use crate::standing::{Refusal, StandingStore};
use crate::{CoreError, FileId};

use super::{IdTokens, Principal, Via, bearer, principal, unauthorized};

#[derive(Clone)]
pub struct Gate {
    pub id_tokens: Arc<dyn IdTokens>,
    pub keys: ApiKeyService,
    pub standing: Arc<dyn StandingStore>,
    pub clock: Arc<dyn Clock>,
}

impl Gate {
    /// The caller of a request with this `Authorization` header on a route that allows
    /// `scopes` to API tokens (`file`: the route's file id, for a grant on created files only),
    /// or why not: `401 unauthorized` for a missing, malformed or unverifiable credential,
    /// `401 token_revoked` / `token_expired`, `403 scope_denied`, `404` for a file an upload
    /// token did not create, `403 account_disabled`. Fails closed: a standing that cannot be
    /// read is a 503, never a pass.
    pub async fn admit(
        &self,
        authorization: Option<&str>,
        scopes: Scopes,
        file: Option<&str>,
    ) -> Result<Principal, CoreError> {
        let who = self.credential(authorization, scopes, file).await?;
        self.check_standing(&who).await?;
        Ok(who)
    }

    /// The owner's standing against a verified credential: `403 account_disabled`, `401
    /// token_revoked`, or `503` when it cannot be read (never a pass). [`Gate::admit`] is
    /// [`Gate::credential`] then this; a caller that splits them must not act for the caller
    /// before this answers `Ok`.
    pub async fn check_standing(&self, who: &Principal) -> Result<(), CoreError> {
        match self
            .standing
            .standing(&who.owner)
            .await?
            .refusal(who.issued_at)
        {
            None => Ok(()),
            Some(Refusal::Disabled) => {
                tracing::info!(owner = who.owner.as_str(), "refused: account disabled");
                Err(CoreError::Forbidden {
                    code: "account_disabled",
                    message: "this account has been disabled".into(),
                })
            }
            Some(Refusal::Revoked) => {
                tracing::info!(
                    owner = who.owner.as_str(),
                    "refused: credential issued before a sign-out"
                );
                Err(CoreError::unauthorized(
                    "token_revoked",
                    "this token has been revoked: log in again",
                ))
            }
        }
    }

    /// The verified credential alone (everything [`Gate::admit`] checks but the standing).
    pub async fn credential(
        &self,
        authorization: Option<&str>,
        scopes: Scopes,
        file: Option<&str>,
    ) -> Result<Principal, CoreError> {
        let token = bearer(authorization).ok_or_else(unauthorized)?;
        if !token.starts_with(PREFIX) {
            let claims = self.id_tokens.verify(token).await?;
            return principal(&claims, self.clock.now());
        }
        let key = self.keys.authenticate(token).await?;
        match scopes.grant(key.scope) {
            Grant::No => {
                tracing::info!(
                    key = key.id.as_str(),
                    scope = key.scope.as_str(),
                    "API token refused: scope"
                );
                return Err(scope_denied(key.scope));
            }
            Grant::Yes => {}
            Grant::Created => {
                let file = file
                    .and_then(|f| FileId::parse(f).ok())
                    .ok_or(CoreError::NotFound)?;
                if !self.keys.store.created(&key.id, &file).await? {
                    return Err(CoreError::NotFound);
                }
            }
        }
        Ok(Principal {
            owner: key.owner,
            email: None,
            admin: false,
            issued_at: key.created_at,
            via: Via::ApiKey {
                id: key.id,
                scope: key.scope,
            },
        })
    }
}
