//! What an owner changes of their own account once logged in, over the [`AccountDirectory`] port
//! (Cognito in production): the address Dropgate mails, moved only through a code mailed to
//! the new address, so that no attribute a user can write redirects Dropgate's mail.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;

use super::{validate_email, validate_password};
use crate::clock::Clock;
use crate::standing::{StandingStore, sign_out_cut};
use crate::{CoreError, OwnerId};

/// Where Dropgate mails an owner: their address as the directory holds it now, read when the
/// mail goes out (a copy kept from earlier goes stale when they change it).
#[async_trait]
pub trait OwnerAddress: Send + Sync {
    /// The owner's verified address; `None` when the account is gone or its address is not
    /// verified (nobody is mailed).
    async fn verified_address(&self, owner: &OwnerId) -> Result<Option<String>, CoreError>;
}

/// The directory's side of an owner's own account.
#[async_trait]
pub trait AccountDirectory: OwnerAddress + Send + Sync {
    /// Starts moving `owner`'s account to `email`: a code is mailed there, and the verified
    /// address stays the account's (and the one Dropgate mails) until the code comes back.
    /// `409 email_taken` when another account holds `email`.
    async fn start_email_change(&self, owner: &OwnerId, email: &str) -> Result<(), CoreError>;
    /// Switches the account to its pending address, verified, when `code` is the code mailed
    /// there; `400 invalid_code` otherwise (and when nothing is pending). `access_token` is the
    /// owner's own (Cognito verifies it; no admin form exists).
    async fn confirm_email_change(&self, access_token: &str, code: &str) -> Result<(), CoreError>;
    /// Ends every session of the owner at the directory: their refresh tokens refresh nothing.
    async fn sign_out_everywhere(&self, owner: &OwnerId) -> Result<(), CoreError>;
    /// Replaces the owner's password when `current` is it (`400 wrong_password` otherwise;
    /// `400 weak_password` when the pool refuses `new`).
    async fn change_password(
        &self,
        owner: &OwnerId,
        current: &str,
        new: &str,
    ) -> Result<(), CoreError>;
    /// Whether `password` is the owner's (`401 invalid_credentials` otherwise), changing
    /// nothing: checked before the owner erases their own account. With two-factor sign-in on,
    /// the directory asks for the code too: the session to answer it with
    /// ([`crate::mfa::TotpDirectory::answer_challenge`], the owner id as the username).
    async fn verify_password(
        &self,
        owner: &OwnerId,
        password: &str,
    ) -> Result<PasswordCheck, CoreError>;
}

/// What a right password answers: enough on its own, or a second factor is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordCheck {
    Passed,
    /// TOTP is on: the directory's session waits for a current code.
    Totp {
        session: String,
    },
}

/// The longest access token passed on to the directory.
pub const MAX_ACCESS_TOKEN: usize = 8192;

fn invalid_code() -> CoreError {
    CoreError::invalid("invalid_code", "the code is wrong")
}

fn bad_access_token() -> CoreError {
    CoreError::unauthorized(
        "invalid_access_token",
        "this needs the access token of the same login, in the Dropgate-Access-Token header",
    )
}

/// A code as a person types it: 1 to 64 characters without spaces or controls (the directory
/// says whether it is right).
pub fn validate_code(code: &str) -> Result<&str, CoreError> {
    let code = code.trim();
    if code.is_empty()
        || code.len() > 64
        || code.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid_code());
    }
    Ok(code)
}

/// The owner an access token names (its `sub`, with `token_use` `access`), read without
/// checking the signature: the directory checks the token itself when it is used. A token of
/// another account is refused before it is used, so that a request can never act on an
/// account other than the caller's.
pub fn access_token_owner(token: &str) -> Option<OwnerId> {
    if token.is_empty() || token.len() > MAX_ACCESS_TOKEN {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    if claims.get("token_use")?.as_str()? != "access" {
        return None;
    }
    OwnerId::parse(claims.get("sub")?.as_str()?).ok()
}

/// The address Dropgate may mail from an id token's claims or the directory's attributes:
/// only a verified one.
pub fn mailable_email(email: Option<&str>, verified: Option<&str>) -> Option<String> {
    match (email, verified) {
        (Some(e), Some("true")) if !e.is_empty() => Some(e.to_owned()),
        _ => None,
    }
}

/// An owner's own account settings.
#[derive(Clone)]
pub struct OwnAccount {
    pub directory: Arc<dyn AccountDirectory>,
    pub standing: Arc<dyn StandingStore>,
    pub clock: Arc<dyn Clock>,
}

impl OwnAccount {
    /// Asks for `raw` to become the account's address; answers the address as normalized.
    pub async fn change_email(&self, owner: &OwnerId, raw: &str) -> Result<String, CoreError> {
        let email = validate_email(raw)?;
        self.directory.start_email_change(owner, &email).await?;
        tracing::info!(owner = %owner, "email change started");
        Ok(email)
    }

    /// Completes the change with the code mailed to the new address.
    pub async fn verify_email(
        &self,
        owner: &OwnerId,
        access_token: Option<&str>,
        code: &str,
    ) -> Result<(), CoreError> {
        let code = validate_code(code)?;
        let token = own_access_token(owner, access_token)?;
        self.directory.confirm_email_change(token, code).await?;
        tracing::info!(owner = %owner, "email changed");
        Ok(())
    }
}

impl OwnAccount {
    /// Changes the password (the current one proves it is the owner at the keyboard), then
    /// ends every session: whoever held one with the old password is out, this one too.
    pub async fn change_password(
        &self,
        owner: &OwnerId,
        current: &str,
        new: &str,
    ) -> Result<(), CoreError> {
        if current.is_empty() || current.len() > 1024 {
            return Err(wrong_password());
        }
        validate_password(new)?;
        self.directory.change_password(owner, current, new).await?;
        tracing::info!(owner = %owner, "password changed");
        self.sign_out_everywhere(owner).await
    }

    /// Ends every session of the owner (`POST /account/signout-all`).
    pub async fn sign_out_everywhere(&self, owner: &OwnerId) -> Result<(), CoreError> {
        sign_out_everywhere(
            self.standing.as_ref(),
            self.directory.as_ref(),
            self.clock.as_ref(),
            owner,
        )
        .await
    }
}

/// Ends every session of `owner`: id tokens issued before the cut are refused by the API at
/// once (the standing record, checked on every request), and every refresh token dies at the
/// directory. The record first: if the directory cannot be asked, the API already refuses the
/// old tokens, and a retry finishes the job.
pub async fn sign_out_everywhere(
    standing: &dyn StandingStore,
    directory: &dyn AccountDirectory,
    clock: &dyn Clock,
    owner: &OwnerId,
) -> Result<(), CoreError> {
    standing
        .sign_out_all(owner, sign_out_cut(clock.now()))
        .await?;
    directory.sign_out_everywhere(owner).await?;
    tracing::info!(owner = %owner, "signed out everywhere");
    Ok(())
}

/// `400 wrong_password`: the current password given is not the account's.
pub fn wrong_password() -> CoreError {
    CoreError::invalid("wrong_password", "the current password is wrong")
}

/// `access_token` if it is the caller's own; `401 invalid_access_token` otherwise.
pub fn own_access_token<'a>(
    owner: &OwnerId,
    access_token: Option<&'a str>,
) -> Result<&'a str, CoreError> {
    let token = access_token.map(str::trim).ok_or_else(bad_access_token)?;
    match access_token_owner(token) {
        Some(o) if &o == owner => Ok(token),
        _ => Err(bad_access_token()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: serde_json::Value) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("h.{}.s", b.encode(claims.to_string()))
    }

    #[test]
    fn an_access_token_names_its_owner_and_an_id_token_names_none() {
        let ada = "0b5e2f6a-1c1d-4e7e-9a8b-3c2d1e0f9a8b";
        let t = token(serde_json::json!({"sub": ada, "token_use": "access"}));
        assert_eq!(access_token_owner(&t).unwrap().as_str(), ada);
        let id = token(serde_json::json!({"sub": ada, "token_use": "id"}));
        assert_eq!(access_token_owner(&id), None);
        assert_eq!(access_token_owner("garbage"), None);
        let owner = OwnerId::parse(ada).unwrap();
        assert!(own_access_token(&owner, Some(&t)).is_ok());
        let other = OwnerId::parse("7c9d1e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f").unwrap();
        assert_eq!(
            own_access_token(&other, Some(&t)).unwrap_err().code(),
            "invalid_access_token"
        );
        assert_eq!(
            own_access_token(&owner, None).unwrap_err().code(),
            "invalid_access_token"
        );
    }

    #[test]
    fn only_a_verified_address_is_mailed() {
        assert_eq!(
            mailable_email(Some("a@x.org"), Some("true")).as_deref(),
            Some("a@x.org")
        );
        assert_eq!(mailable_email(Some("a@x.org"), Some("false")), None);
        assert_eq!(mailable_email(Some("a@x.org"), None), None);
        assert_eq!(mailable_email(None, Some("true")), None);
    }

    #[test]
    fn codes() {
        assert_eq!(validate_code(" 123456 ").unwrap(), "123456");
        for bad in ["", "12 34", &"1".repeat(65)] {
            assert_eq!(validate_code(bad).unwrap_err().code(), "invalid_code");
        }
    }
}
