//! [`MemTotp`]: each account's TOTP secret and switch in memory, and its login challenges.
//! A code is derived from the secret and the clock's 30-second step (not RFC 6238's HMAC:
//! the fake only has to tell a current code of the secret from anything else).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::accounts::Tokens;
use crate::clock::Clock;
use crate::mfa::{TotpDirectory, invalid_code, invalid_session, wrong_login_code};
use crate::{CoreError, OwnerId};

#[derive(Default, Clone)]
struct Account {
    username: String,
    secret: Option<String>,
    verified: bool,
    enabled: bool,
}

pub struct MemTotp {
    clock: Arc<dyn Clock>,
    accounts: Mutex<HashMap<OwnerId, Account>>,
    /// Access token -> owner.
    tokens: Mutex<HashMap<String, OwnerId>>,
    /// Challenge session -> owner.
    sessions: Mutex<HashMap<String, OwnerId>>,
    next: Mutex<u32>,
}

impl MemTotp {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            accounts: Mutex::default(),
            tokens: Mutex::default(),
            sessions: Mutex::default(),
            next: Mutex::new(0),
        }
    }

    fn fresh(&self, what: &str) -> String {
        let mut n = self.next.lock().unwrap();
        *n += 1;
        format!("{what}-{n}")
    }

    /// Adds an account logged in as `username`; answers an access token of it
    /// (`h.<b64 claims>.s`, naming the owner as Cognito's does).
    pub fn add(&self, owner: &OwnerId, username: &str) -> String {
        use base64::Engine;
        self.accounts.lock().unwrap().insert(
            owner.clone(),
            Account {
                username: username.to_owned(),
                ..Account::default()
            },
        );
        let claims = serde_json::json!({"sub": owner.as_str(), "token_use": "access"});
        let token = format!(
            "h.{}.s",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        self.tokens
            .lock()
            .unwrap()
            .insert(token.clone(), owner.clone());
        token
    }

    /// The code of `secret` now.
    pub fn code(&self, secret: &str) -> String {
        let step = self.clock.now().timestamp().div_euclid(30);
        let digest = Sha256::digest(format!("{secret}:{step}"));
        let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        format!("{:06}", n % 1_000_000)
    }

    /// What the directory's password step answers for the account: a session to answer with
    /// a code when TOTP is on.
    pub fn challenge(&self, owner: &OwnerId) -> Option<String> {
        let on = self.accounts.lock().unwrap().get(owner)?.enabled;
        on.then(|| {
            let s = self.fresh("session");
            self.sessions
                .lock()
                .unwrap()
                .insert(s.clone(), owner.clone());
            s
        })
    }

    fn owner_of(&self, access_token: &str) -> Result<OwnerId, CoreError> {
        self.tokens
            .lock()
            .unwrap()
            .get(access_token)
            .cloned()
            .ok_or_else(|| {
                CoreError::unauthorized("invalid_access_token", "the access token is not valid")
            })
    }

    fn current(&self, owner: &OwnerId, code: &str) -> bool {
        let secret = self
            .accounts
            .lock()
            .unwrap()
            .get(owner)
            .and_then(|a| a.secret.clone());
        secret.is_some_and(|s| self.code(&s) == code)
    }
}

#[async_trait]
impl TotpDirectory for MemTotp {
    async fn associate(&self, access_token: &str) -> Result<String, CoreError> {
        let owner = self.owner_of(access_token)?;
        let secret = self.fresh("SECRET").to_ascii_uppercase().replace('-', "");
        let mut accounts = self.accounts.lock().unwrap();
        let a = accounts.entry(owner).or_default();
        a.secret = Some(secret.clone());
        a.verified = false;
        Ok(secret)
    }

    async fn verify(&self, access_token: &str, code: &str) -> Result<(), CoreError> {
        let owner = self.owner_of(access_token)?;
        if !self.current(&owner, code) {
            return Err(invalid_code());
        }
        if let Some(a) = self.accounts.lock().unwrap().get_mut(&owner) {
            a.verified = true;
        }
        Ok(())
    }

    async fn set_enabled(&self, access_token: &str, on: bool) -> Result<(), CoreError> {
        let owner = self.owner_of(access_token)?;
        let mut accounts = self.accounts.lock().unwrap();
        let a = accounts.entry(owner).or_default();
        if on && !a.verified {
            return Err(CoreError::invalid(
                "invalid_request",
                "no verified software token",
            ));
        }
        a.enabled = on;
        Ok(())
    }

    async fn enabled(&self, owner: &OwnerId) -> Result<bool, CoreError> {
        Ok(self
            .accounts
            .lock()
            .unwrap()
            .get(owner)
            .is_some_and(|a| a.enabled))
    }

    async fn answer_challenge(
        &self,
        username: &str,
        session: &str,
        code: &str,
    ) -> Result<Tokens, CoreError> {
        let owner = self
            .sessions
            .lock()
            .unwrap()
            .get(session)
            .cloned()
            .ok_or_else(invalid_session)?;
        let name = self
            .accounts
            .lock()
            .unwrap()
            .get(&owner)
            .map(|a| a.username.clone());
        if name.as_deref() != Some(username) {
            return Err(invalid_session());
        }
        if !self.current(&owner, code) {
            return Err(wrong_login_code());
        }
        self.sessions.lock().unwrap().remove(session);
        Ok(Tokens {
            id_token: self.fresh("id"),
            access_token: self.fresh("access"),
            refresh_token: self.fresh("refresh"),
            expires_in: 3600,
        })
    }
}
