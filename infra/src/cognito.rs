//! Account users over Cognito user pools (USER_PASSWORD_AUTH, refresh tokens, RevokeToken).

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
};
use dropgate_core::accounts::{Accounts, SignIn, SignUpOutcome, Tokens};
use dropgate_core::{CoreError, OwnerId};

use crate::error::sdk_error;

pub struct CognitoAccounts {
    pub client: crate::lazy::Lazy<aws_sdk_cognitoidentityprovider::Client>,
    pub user_pool_id: String,
    pub client_id: String,
    /// Confirm at once (the local stack; in AWS the user confirms with the mailed code).
    pub auto_confirm: bool,
}

/// Maps Cognito's client-facing failures to stable codes; the rest are upstream failures.
pub(crate) fn map_err<E>(
    op: &str,
    e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> CoreError
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    let code = e.as_service_error().and_then(|se| se.code()).unwrap_or("");
    match code {
        "UsernameExistsException" => {
            CoreError::conflict("user_exists", "an account with this email already exists")
        }
        "InvalidPasswordException" => CoreError::invalid(
            "weak_password",
            "password does not meet the user pool's policy",
        ),
        "NotAuthorizedException" | "UserNotFoundException" => {
            CoreError::unauthorized("invalid_credentials", "email or password is wrong")
        }
        "UserNotConfirmedException" => CoreError::Forbidden {
            code: "user_not_confirmed",
            message: "confirm the account with the emailed code first".into(),
        },
        "AliasExistsException" => {
            CoreError::conflict("email_taken", "another account uses this address")
        }
        "CodeMismatchException" => CoreError::invalid("invalid_code", "the code is wrong"),
        "ExpiredCodeException" => CoreError::invalid("expired_code", "the code has expired"),
        "InvalidParameterException" => CoreError::invalid(
            "invalid_request",
            "the directory refused the request's parameters",
        ),
        "TooManyRequestsException"
        | "LimitExceededException"
        | "TooManyFailedAttemptsException" => CoreError::Throttled,
        _ => sdk_error(op, e),
    }
}

pub(crate) fn tokens(
    r: Option<&AuthenticationResultType>,
    refresh_fallback: Option<&str>,
) -> Result<Tokens, CoreError> {
    let r = r.ok_or_else(|| CoreError::Forbidden {
        code: "challenge_required",
        message: "the account needs a step this API does not offer (e.g. a new password)".into(),
    })?;
    let missing = || CoreError::upstream("InitiateAuth: incomplete authentication result");
    Ok(Tokens {
        id_token: r.id_token().ok_or_else(missing)?.to_owned(),
        access_token: r.access_token().ok_or_else(missing)?.to_owned(),
        refresh_token: r
            .refresh_token()
            .or(refresh_fallback)
            .ok_or_else(missing)?
            .to_owned(),
        expires_in: i64::from(r.expires_in()),
    })
}

/// One account of the pool as `AdminGetUser` answers it.
pub(crate) type PoolUser =
    aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput;

impl CognitoAccounts {
    /// The pool's account named `username` (its address, or its `sub`: both name it); `None`
    /// when the pool has none.
    pub(crate) async fn pool_user(&self, username: &str) -> Result<Option<PoolUser>, CoreError> {
        match self
            .client
            .get()
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
        {
            Ok(out) => Ok(Some(out)),
            Err(e)
                if e.as_service_error().and_then(|s| s.code()) == Some("UserNotFoundException") =>
            {
                Ok(None)
            }
            Err(e) => Err(map_err("AdminGetUser", e)),
        }
    }
}

/// The value of the account's attribute `name`, if it has one.
pub(crate) fn attribute<'a>(user: &'a PoolUser, name: &str) -> Option<&'a str> {
    user.user_attributes()
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.value())
}

#[async_trait]
impl Accounts for CognitoAccounts {
    async fn sign_up(&self, email: &str, password: &str) -> Result<SignUpOutcome, CoreError> {
        let attr = AttributeType::builder()
            .name("email")
            .value(email)
            .build()
            .map_err(CoreError::upstream)?;
        let out = self
            .client
            .get()
            .sign_up()
            .client_id(&self.client_id)
            .username(email)
            .password(password)
            .user_attributes(attr)
            .send()
            .await
            .map_err(|e| map_err("SignUp", e))?;
        if out.user_confirmed() {
            return Ok(SignUpOutcome::Confirmed);
        }
        if self.auto_confirm {
            self.client
                .get()
                .admin_confirm_sign_up()
                .user_pool_id(&self.user_pool_id)
                .username(email)
                .send()
                .await
                .map_err(|e| map_err("AdminConfirmSignUp", e))?;
            return Ok(SignUpOutcome::Confirmed);
        }
        Ok(SignUpOutcome::CodeSent)
    }

    async fn confirm(&self, email: &str, code: &str) -> Result<(), CoreError> {
        self.client
            .get()
            .confirm_sign_up()
            .client_id(&self.client_id)
            .username(email)
            .confirmation_code(code)
            .send()
            .await
            .map_err(|e| map_err("ConfirmSignUp", e))?;
        Ok(())
    }

    async fn login(&self, email: &str, password: &str) -> Result<Tokens, CoreError> {
        match self.sign_in(email, password).await? {
            SignIn::Tokens(t) => Ok(t),
            SignIn::Totp { .. } => tokens(None, None),
        }
    }

    /// With TOTP on, Cognito answers the `SOFTWARE_TOKEN_MFA` challenge and a session instead
    /// of tokens.
    async fn sign_in(&self, email: &str, password: &str) -> Result<SignIn, CoreError> {
        let out = self
            .client
            .get()
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| map_err("InitiateAuth", e))?;
        if out.challenge_name() == Some(&ChallengeNameType::SoftwareTokenMfa) {
            let session = out
                .session()
                .ok_or_else(|| CoreError::upstream("InitiateAuth: a challenge without session"))?;
            return Ok(SignIn::Totp {
                session: session.to_owned(),
            });
        }
        tokens(out.authentication_result(), None).map(SignIn::Tokens)
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, CoreError> {
        let out = self
            .client
            .get()
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(|e| match map_err("InitiateAuth", e) {
                CoreError::Unauthorized { .. } => {
                    CoreError::unauthorized("invalid_token", "the refresh token is not valid")
                }
                other => other,
            })?;
        tokens(out.authentication_result(), Some(refresh_token))
    }

    async fn revoke(&self, refresh_token: &str) -> Result<(), CoreError> {
        let Err(e) = self
            .client
            .get()
            .revoke_token()
            .client_id(&self.client_id)
            .token(refresh_token)
            .send()
            .await
        else {
            return Ok(());
        };
        if nothing_to_revoke(e.as_service_error().and_then(|se| se.code())) {
            return Ok(());
        }
        Err(map_err("RevokeToken", e))
    }

    async fn forgot(&self, email: &str) -> Result<(), CoreError> {
        let Err(e) = self
            .client
            .get()
            .forgot_password()
            .client_id(&self.client_id)
            .username(email)
            .send()
            .await
        else {
            return Ok(());
        };
        // Cognito counts the codes it mails per account: its `LimitExceededException` comes
        // only for an address that has one, so it answers like a mailed code as well (no code
        // goes out; a second ask later does).
        if e.as_service_error().and_then(|se| se.code()) == Some("LimitExceededException") {
            tracing::info!("reset asked past the account's limit of codes");
            return Ok(());
        }
        // Refusals of the address itself (no account, none verified, reset not allowed) answer
        // like a mailed code: the answer must not tell an account from none.
        match map_err("ForgotPassword", e) {
            CoreError::Unauthorized { .. } | CoreError::Invalid { .. } => {
                tracing::info!("reset asked for an address that gets no code");
                Ok(())
            }
            CoreError::Forbidden { .. } => Ok(()),
            other => Err(other),
        }
    }

    async fn reset(&self, email: &str, code: &str, password: &str) -> Result<(), CoreError> {
        self.client
            .get()
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .username(email)
            .confirmation_code(code)
            .password(password)
            .send()
            .await
            .map_err(|e| match map_err("ConfirmForgotPassword", e) {
                e @ CoreError::Invalid {
                    code: "weak_password",
                    ..
                } => e,
                CoreError::Invalid { .. }
                | CoreError::Unauthorized { .. }
                | CoreError::Forbidden { .. } => {
                    CoreError::invalid("invalid_code", "the code is wrong")
                }
                other => other,
            })?;
        Ok(())
    }

    async fn holder(&self, email: &str) -> Result<Option<(OwnerId, bool)>, CoreError> {
        let Some(out) = self.pool_user(email).await? else {
            return Ok(None);
        };
        let attr = |n: &str| attribute(&out, n);
        let Some(owner) = attr("sub").and_then(|s| OwnerId::parse(s).ok()) else {
            return Err(CoreError::upstream("AdminGetUser: no sub"));
        };
        Ok(Some((owner, attr("email_verified") == Some("true"))))
    }

    fn new_sign_up_outcome(&self) -> SignUpOutcome {
        if self.auto_confirm {
            SignUpOutcome::Confirmed
        } else {
            SignUpOutcome::CodeSent
        }
    }
}

/// RevokeToken's refusals of the token itself (malformed, not this client's, not a refresh
/// token, no longer valid): such a token refreshes nothing, which is what a logout wants.
/// Revocation switched off for the client (`UnsupportedOperationException`) is not among them:
/// that is a deployment fault, and the token would stay valid.
fn nothing_to_revoke(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "InvalidParameterException"
                | "UnauthorizedException"
                | "NotAuthorizedException"
                | "UnsupportedTokenTypeException"
        )
    )
}

#[cfg(test)]
#[path = "cognito_tests.rs"]
mod answers;

#[cfg(test)]
mod tests {
    use super::nothing_to_revoke;

    #[test]
    fn a_refused_token_is_nothing_to_revoke_but_a_disabled_revocation_is_a_fault() {
        for code in [
            "InvalidParameterException",
            "UnauthorizedException",
            "NotAuthorizedException",
            "UnsupportedTokenTypeException",
        ] {
            assert!(nothing_to_revoke(Some(code)), "{code}");
        }
        for code in [
            "UnsupportedOperationException",
            "TooManyRequestsException",
            "InternalErrorException",
            "ForbiddenException",
        ] {
            assert!(!nothing_to_revoke(Some(code)), "{code}");
        }
        assert!(!nothing_to_revoke(None));
    }
}
