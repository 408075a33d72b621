//! The TOTP services: an owner's enrolment and switch ([`Totp`], api function) and the login
//! challenge ([`TotpLogin`], auth function).

use std::sync::Arc;

use super::{
    ChallengeSession, Enrollment, TotpDirectory, mfa_required, otpauth_uri, validate_totp_code,
    wrong_login_code,
};
use crate::accounts::own::own_access_token;
use crate::accounts::{Accounts, SignIn, Tokens};
use crate::clock::Clock;
use crate::{CoreError, OwnerId};

/// An owner's second factor.
#[derive(Clone)]
pub struct Totp {
    pub directory: Arc<dyn TotpDirectory>,
}

impl Totp {
    /// A new secret for the caller (`POST /account/mfa/totp`); nothing changes until a code
    /// of it is verified.
    pub async fn enroll(
        &self,
        owner: &OwnerId,
        email: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<Enrollment, CoreError> {
        let token = own_access_token(owner, access_token)?;
        let secret = self.directory.associate(token).await?;
        // The label is the account's address; an account with none verified is named by id.
        let label = email.unwrap_or(owner.as_str());
        tracing::info!(owner = %owner, "totp secret issued");
        Ok(Enrollment {
            otpauth_uri: otpauth_uri(label, &secret),
            secret,
        })
    }

    /// Turns TOTP on with a current code of the new secret (`POST /account/mfa/totp/verify`).
    pub async fn enable(
        &self,
        owner: &OwnerId,
        access_token: Option<&str>,
        code: &str,
    ) -> Result<(), CoreError> {
        let token = own_access_token(owner, access_token)?;
        let code = validate_totp_code(code)?;
        self.directory.verify(token, &code).await?;
        self.directory.set_enabled(token, true).await?;
        tracing::info!(owner = %owner, "totp on");
        Ok(())
    }

    /// Turns TOTP off (`DELETE /account/mfa/totp`): only with a current code, so that a
    /// stolen session alone cannot take the second factor away.
    pub async fn disable(
        &self,
        owner: &OwnerId,
        access_token: Option<&str>,
        code: &str,
    ) -> Result<(), CoreError> {
        let token = own_access_token(owner, access_token)?;
        let code = validate_totp_code(code)?;
        if !self.directory.enabled(owner).await? {
            return Err(CoreError::conflict(
                "totp_not_enabled",
                "two-factor sign-in is not on",
            ));
        }
        self.directory.verify(token, &code).await?;
        self.directory.set_enabled(token, false).await?;
        tracing::info!(owner = %owner, "totp off");
        Ok(())
    }

    /// Whether TOTP is on for the owner.
    pub async fn enabled(&self, owner: &OwnerId) -> Result<bool, CoreError> {
        self.directory.enabled(owner).await
    }

    /// An admin route's check when admins must use TOTP: `403 mfa_required` without it. A
    /// directory that cannot be asked fails the request (503), never passes it.
    pub async fn require_for_admin(&self, owner: &OwnerId) -> Result<(), CoreError> {
        if self.directory.enabled(owner).await? {
            Ok(())
        } else {
            tracing::info!(owner = %owner, "admin refused: no totp");
            Err(mfa_required())
        }
    }
}

/// What a login answers: the tokens, or a challenge for a code.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginStep {
    Tokens(Tokens),
    /// `{challenge: "totp", session}`: `session` goes back with the code.
    Totp {
        session: String,
    },
}

/// Log-in with a second factor.
#[derive(Clone)]
pub struct TotpLogin {
    pub accounts: Arc<dyn Accounts>,
    pub totp: Arc<dyn TotpDirectory>,
    pub clock: Arc<dyn Clock>,
}

impl TotpLogin {
    /// The password step: tokens, or the challenge when the account has TOTP on.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginStep, CoreError> {
        match self.accounts.sign_in(email, password).await? {
            SignIn::Tokens(t) => Ok(LoginStep::Tokens(t)),
            SignIn::Totp { session } => {
                tracing::info!("login challenged for totp");
                let s = ChallengeSession::new(email, &session, self.clock.now());
                Ok(LoginStep::Totp {
                    session: s.encode(),
                })
            }
        }
    }

    /// The code step (`POST /auth/login/totp`): the tokens login would have answered.
    pub async fn complete(&self, session: &str, code: &str) -> Result<Tokens, CoreError> {
        let s = ChallengeSession::open(session, self.clock.now())?;
        let code = validate_totp_code(code).map_err(|_| wrong_login_code())?;
        let tokens = self
            .totp
            .answer_challenge(&s.username, &s.session, &code)
            .await?;
        tracing::info!("login completed with totp");
        Ok(tokens)
    }
}
