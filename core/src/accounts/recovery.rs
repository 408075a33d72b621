//! Getting back into an account and closing every session: a password reset through a code
//! mailed to the verified address, sign-up that does not tell a taken address from a new one,
//! and sign-out everywhere (after a reset, a password change, or on request).

use std::sync::Arc;

use super::own::{AccountDirectory, sign_out_everywhere, validate_code};
use super::{Accounts, SignUpOutcome, validate_email, validate_password};
use crate::CoreError;
use crate::clock::Clock;
use crate::notify::{Mail, Mailer};
use crate::standing::StandingStore;

/// What the auth function does for people who are not logged in.
#[derive(Clone)]
pub struct Recovery {
    pub accounts: Arc<dyn Accounts>,
    pub directory: Arc<dyn AccountDirectory>,
    pub standing: Arc<dyn StandingStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
}

fn taken_mail(to: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Someone tried to sign up to Dropgate with your address".into(),
        body: "Someone tried to create a Dropgate account with this address, which already has \
               one. No new account was made.\n\nIf it was you, log in, or use \"Forgot \
               password?\" to set a new password. If it was not you, nothing needs doing.\n"
            .into(),
    }
}

impl Recovery {
    /// Signs up; a taken address answers as a new one would (no enumeration), and its owner is
    /// told by mail, at their verified address only.
    pub async fn sign_up(
        &self,
        raw: &str,
        password: &str,
    ) -> Result<(String, SignUpOutcome), CoreError> {
        let email = validate_email(raw)?;
        validate_password(password)?;
        match self.accounts.sign_up(&email, password).await {
            Ok(o) => Ok((email, o)),
            Err(e) if e.code() == "user_exists" => {
                match self.accounts.holder(&email).await? {
                    Some((owner, true)) => {
                        self.mailer.send(&taken_mail(&email)).await?;
                        tracing::info!(owner = %owner, "sign-up of a taken address; its owner told");
                    }
                    Some((owner, false)) => {
                        tracing::info!(owner = %owner, "sign-up of a taken, unverified address; no mail");
                    }
                    None => {}
                }
                Ok((email, self.accounts.new_sign_up_outcome()))
            }
            Err(e) => Err(e),
        }
    }

    /// Mails a reset code to the account's verified address; the same for an address with no
    /// account, a malformed one, or one not verified (no enumeration).
    pub async fn forgot(&self, raw: &str) -> Result<(), CoreError> {
        let Ok(email) = validate_email(raw) else {
            return Ok(());
        };
        self.accounts.forgot(&email).await
    }

    /// Sets a new password with the mailed code, then signs the account out everywhere.
    pub async fn reset(&self, raw: &str, code: &str, password: &str) -> Result<(), CoreError> {
        let invalid = || CoreError::invalid("invalid_code", "the code is wrong");
        let email = validate_email(raw).map_err(|_| invalid())?;
        let code = validate_code(code)?;
        validate_password(password)?;
        self.accounts.reset(&email, code, password).await?;
        // The password changed; whoever held a session with the old one is out.
        let owner = self
            .accounts
            .holder(&email)
            .await?
            .map(|(o, _)| o)
            .ok_or_else(invalid)?;
        sign_out_everywhere(
            self.standing.as_ref(),
            self.directory.as_ref(),
            self.clock.as_ref(),
            &owner,
        )
        .await?;
        tracing::info!(owner = %owner, "password reset");
        Ok(())
    }
}
