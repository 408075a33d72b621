//! The owner's API tokens (create, list, revoke) and the gate's check of a presented secret.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::{ApiKey, ApiKeyStore, KeyId, PREFIX, Scope, rules};
use crate::clock::Clock;
use crate::identity::unauthorized;
use crate::ids::IdSource;
use crate::{CoreError, OwnerId, tokens};

/// A use is recorded (`last_used_at`) at most once a minute per token: a script's every request
/// would otherwise be a write.
pub const TOUCH_EVERY_SECS: i64 = 60;

/// The longest secret looked up; a longer one is not a token.
const MAX_SECRET: usize = 200;

/// A token just made, with its secret: the only time the secret is known.
#[derive(Debug, Clone)]
pub struct Created {
    pub key: ApiKey,
    pub secret: String,
}

#[derive(Clone)]
pub struct ApiKeyService {
    pub store: Arc<dyn ApiKeyStore>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
}

/// `now` to the whole second: tokens and sign-outs are compared in whole seconds.
fn whole(now: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

impl ApiKeyService {
    pub async fn create(
        &self,
        owner: &OwnerId,
        name: &str,
        scope: &str,
        expires_in: Option<u64>,
    ) -> Result<Created, CoreError> {
        let name = rules::name(name)?;
        let scope = Scope::parse(scope)?;
        let ttl = rules::ttl(expires_in)?;
        let secret = format!("{PREFIX}{}", tokens::encode(&self.ids.secret()?));
        let id = KeyId::parse(&format!("k{}", &hex::encode(self.ids.secret()?)[..20]))?;
        let now = whole(self.clock.now());
        let key = ApiKey {
            id,
            owner: owner.clone(),
            name,
            scope,
            hash: tokens::hash(&secret),
            created_at: now,
            expires_at: now + ttl,
            last_used_at: None,
            revoked_at: None,
        };
        self.store.put(&key).await?;
        tracing::info!(
            owner = owner.as_str(),
            key = key.id.as_str(),
            scope = scope.as_str(),
            "API token created"
        );
        Ok(Created { key, secret })
    }

    /// The owner's tokens that are not revoked (expired ones included, so their owner sees
    /// why a script stopped), newest first.
    pub async fn list(&self, owner: &OwnerId) -> Result<Vec<ApiKey>, CoreError> {
        let mut keys = self.store.list(owner).await?;
        keys.retain(|k| k.revoked_at.is_none());
        Ok(keys)
    }

    /// Revokes the owner's token `id`: refused from the next request on. Another owner's
    /// token, or one revoked already, is `404`.
    pub async fn revoke(&self, owner: &OwnerId, id: &str) -> Result<(), CoreError> {
        let id = KeyId::parse(id)?;
        self.store.revoke(owner, &id, self.clock.now()).await?;
        tracing::info!(
            owner = owner.as_str(),
            key = id.as_str(),
            "API token revoked"
        );
        Ok(())
    }

    /// The token a presented secret belongs to: `401 unauthorized` for no such token, `401
    /// token_revoked`, `401 token_expired`.
    pub async fn authenticate(&self, secret: &str) -> Result<ApiKey, CoreError> {
        if !secret.starts_with(PREFIX) || secret.len() > MAX_SECRET {
            return Err(unauthorized());
        }
        let key = self
            .store
            .by_hash(&tokens::hash(secret))
            .await?
            .ok_or_else(unauthorized)?;
        if key.revoked_at.is_some() {
            return Err(CoreError::unauthorized(
                "token_revoked",
                "this API token was revoked",
            ));
        }
        let now = self.clock.now();
        if now >= key.expires_at {
            return Err(CoreError::unauthorized(
                "token_expired",
                "this API token has expired",
            ));
        }
        let stale = key
            .last_used_at
            .is_none_or(|t| now - t >= Duration::seconds(TOUCH_EVERY_SECS));
        if stale && let Err(e) = self.store.touch(&key.hash, whole(now)).await {
            // The use is served all the same: `last_used_at` is a hint to its owner.
            tracing::warn!(key = key.id.as_str(), error = %e, "API token use not recorded");
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FixedClock, MemApiKeys, SeqIds};
    use chrono::TimeZone;

    fn service() -> (ApiKeyService, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::at(
            Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
        ));
        let s = ApiKeyService {
            store: Arc::new(MemApiKeys::default()),
            clock: clock.clone(),
            ids: Arc::new(SeqIds::default()),
        };
        (s, clock)
    }

    fn ada() -> OwnerId {
        OwnerId::parse("ada").unwrap()
    }

    #[tokio::test]
    async fn a_secret_is_shown_once_stored_hashed_and_accepted_until_it_expires() {
        let (s, clock) = service();
        let c = s.create(&ada(), "ci", "upload", Some(3_600)).await.unwrap();
        assert!(c.secret.starts_with("dgt_"));
        // 32 random bytes: 43 characters of base64url.
        assert_eq!(c.secret.len(), 4 + 43);
        assert_eq!(c.key.hash, tokens::hash(&c.secret));
        assert_ne!(c.key.hash, c.secret);
        let k = s.authenticate(&c.secret).await.unwrap();
        assert_eq!((k.id, k.scope), (c.key.id.clone(), Scope::Upload));
        let listed = s.list(&ada()).await.unwrap();
        assert_eq!(listed[0].last_used_at, Some(clock.now()));
        clock.advance(Duration::seconds(3_600));
        let e = s.authenticate(&c.secret).await.unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("token_expired", crate::ErrorKind::Unauthorized)
        );
    }

    #[tokio::test]
    async fn a_revoked_token_is_refused_at_once_and_unlisted() {
        let (s, _) = service();
        let c = s.create(&ada(), "ci", "full", None).await.unwrap();
        let bob = OwnerId::parse("bob").unwrap();
        assert_eq!(
            s.revoke(&bob, c.key.id.as_str()).await.unwrap_err(),
            CoreError::NotFound,
            "another owner's token is not there"
        );
        s.revoke(&ada(), c.key.id.as_str()).await.unwrap();
        assert_eq!(
            s.authenticate(&c.secret).await.unwrap_err().code(),
            "token_revoked"
        );
        assert!(s.list(&ada()).await.unwrap().is_empty());
        assert_eq!(
            s.revoke(&ada(), c.key.id.as_str()).await.unwrap_err(),
            CoreError::NotFound
        );
        assert_eq!(
            s.revoke(&ada(), "../x").await.unwrap_err(),
            CoreError::NotFound
        );
    }

    #[tokio::test]
    async fn unknown_or_malformed_secrets_are_unauthorized() {
        let (s, _) = service();
        s.create(&ada(), "ci", "read", None).await.unwrap();
        for bad in [
            "dgt_",
            "dgt_nope",
            "eyJhbGciOi",
            &format!("dgt_{}", "a".repeat(300)),
        ] {
            assert_eq!(
                s.authenticate(bad).await.unwrap_err().code(),
                "unauthorized"
            );
        }
        assert_eq!(
            s.create(&ada(), "ci", "admin", None)
                .await
                .unwrap_err()
                .code(),
            "invalid_scope"
        );
        assert_eq!(
            s.create(&ada(), "ci", "read", Some(60))
                .await
                .unwrap_err()
                .code(),
            "invalid_request"
        );
    }
}
