//! [`MemAccountDirectory`]: accounts' addresses and pending changes in memory, with the codes it
//! "mails" kept for tests to read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::MemTotp;
use crate::accounts::{AccountDirectory, OwnerAddress, PasswordCheck};
use crate::{CoreError, OwnerId};

#[derive(Default)]
struct Account {
    email: String,
    password: String,
    pending: Option<(String, String)>,
}

#[derive(Default)]
pub struct MemAccountDirectory {
    accounts: Mutex<HashMap<OwnerId, Account>>,
    /// Access token -> owner.
    tokens: Mutex<HashMap<String, OwnerId>>,
    /// (to, code), oldest first.
    pub mailed: Mutex<Vec<(String, String)>>,
    next: Mutex<u32>,
    /// The accounts' second factor, when a test links one: a right password of an account
    /// with TOTP on then answers its challenge, as Cognito's password step does.
    totp: Mutex<Option<Arc<MemTotp>>>,
}

impl MemAccountDirectory {
    /// Adds a verified account with the password `Correct1horse`; answers an access token of
    /// it (`h.<b64 claims>.s`).
    pub fn add(&self, owner: &OwnerId, email: &str) -> String {
        use base64::Engine;
        self.accounts.lock().unwrap().insert(
            owner.clone(),
            Account {
                email: email.to_owned(),
                password: "Correct1horse".into(),
                pending: None,
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

    /// Links the accounts' second factor (see [`AccountDirectory::verify_password`]).
    pub fn second_factor(&self, totp: Arc<MemTotp>) {
        *self.totp.lock().unwrap() = Some(totp);
    }

    /// The account's verified address.
    pub fn email_of(&self, owner: &OwnerId) -> Option<String> {
        self.accounts
            .lock()
            .unwrap()
            .get(owner)
            .map(|a| a.email.clone())
    }

    /// The last code mailed to `to`.
    pub fn code_for(&self, to: &str) -> Option<String> {
        let mailed = self.mailed.lock().unwrap();
        mailed
            .iter()
            .rev()
            .find(|(t, _)| t == to)
            .map(|(_, c)| c.clone())
    }
}

#[async_trait]
impl OwnerAddress for MemAccountDirectory {
    async fn verified_address(&self, owner: &OwnerId) -> Result<Option<String>, CoreError> {
        Ok(self.email_of(owner))
    }
}

#[async_trait]
impl AccountDirectory for MemAccountDirectory {
    async fn start_email_change(&self, owner: &OwnerId, email: &str) -> Result<(), CoreError> {
        let mut accounts = self.accounts.lock().unwrap();
        if accounts.iter().any(|(o, a)| o != owner && a.email == email) {
            return Err(CoreError::conflict(
                "email_taken",
                "another account uses this address",
            ));
        }
        let code = {
            let mut n = self.next.lock().unwrap();
            *n += 1;
            format!("{:06}", 100_000 + *n)
        };
        let account = accounts
            .get_mut(owner)
            .ok_or_else(|| CoreError::unauthorized("unauthorized", "no such account"))?;
        account.pending = Some((email.to_owned(), code.clone()));
        self.mailed.lock().unwrap().push((email.to_owned(), code));
        Ok(())
    }

    async fn confirm_email_change(&self, access_token: &str, code: &str) -> Result<(), CoreError> {
        let owner = self
            .tokens
            .lock()
            .unwrap()
            .get(access_token)
            .cloned()
            .ok_or_else(|| CoreError::unauthorized("invalid_access_token", "unknown token"))?;
        let mut accounts = self.accounts.lock().unwrap();
        let taken = |email: &str| {
            accounts
                .iter()
                .any(|(o, a)| o != &owner && a.email == email)
        };
        let pending = accounts.get(&owner).and_then(|a| a.pending.clone());
        match pending {
            Some((email, c)) if c == code => {
                if taken(&email) {
                    return Err(CoreError::conflict(
                        "email_taken",
                        "another account uses this address",
                    ));
                }
                let a = accounts.get_mut(&owner).expect("present");
                a.email = email;
                a.pending = None;
                Ok(())
            }
            _ => Err(CoreError::invalid("invalid_code", "the code is wrong")),
        }
    }

    async fn sign_out_everywhere(&self, owner: &OwnerId) -> Result<(), CoreError> {
        self.tokens.lock().unwrap().retain(|_, o| o != owner);
        Ok(())
    }

    async fn change_password(
        &self,
        owner: &OwnerId,
        current: &str,
        new: &str,
    ) -> Result<(), CoreError> {
        let mut accounts = self.accounts.lock().unwrap();
        let a = accounts
            .get_mut(owner)
            .ok_or_else(crate::accounts::own::wrong_password)?;
        if a.password != current {
            return Err(crate::accounts::own::wrong_password());
        }
        crate::accounts::validate_password(new)?;
        a.password = new.to_owned();
        Ok(())
    }

    async fn verify_password(
        &self,
        owner: &OwnerId,
        password: &str,
    ) -> Result<PasswordCheck, CoreError> {
        let right =
            matches!(self.accounts.lock().unwrap().get(owner), Some(a) if a.password == password);
        if !right {
            return Err(CoreError::unauthorized(
                "invalid_credentials",
                "the password is wrong",
            ));
        }
        let totp = self.totp.lock().unwrap().clone();
        Ok(match totp.and_then(|t| t.challenge(owner)) {
            Some(session) => PasswordCheck::Totp { session },
            None => PasswordCheck::Passed,
        })
    }
}
