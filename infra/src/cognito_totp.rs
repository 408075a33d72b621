//! TOTP over Cognito's software token MFA: `AssociateSoftwareToken`, `VerifySoftwareToken` and
//! `SetUserMFAPreference` with the owner's own access token (none has an admin form that fits:
//! the secret must be made for the user's own session), whether it is on from `AdminGetUser`'s
//! `UserMFASettingList`, and a login's challenge answered with `RespondToAuthChallenge`.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{ChallengeNameType, SoftwareTokenMfaSettingsType};
use dropgate_core::accounts::Tokens;
use dropgate_core::mfa::{TotpDirectory, invalid_code, invalid_session, wrong_login_code};
use dropgate_core::{CoreError, OwnerId};

use crate::cognito::{CognitoAccounts, map_err, tokens};

fn invalid_access_token() -> CoreError {
    CoreError::unauthorized(
        "invalid_access_token",
        "the access token is not valid (log in again)",
    )
}

/// The owner-token operations' refusals: a wrong code, or a token Cognito no longer takes.
fn own_err(e: CoreError, service_code: &str) -> CoreError {
    match service_code {
        "CodeMismatchException"
        | "EnableSoftwareTokenMFAException"
        | "SoftwareTokenMFANotFoundException"
        | "ExpiredCodeException" => invalid_code(),
        _ => match e {
            CoreError::Unauthorized { .. } => invalid_access_token(),
            other => other,
        },
    }
}

#[async_trait]
impl TotpDirectory for CognitoAccounts {
    async fn associate(&self, access_token: &str) -> Result<String, CoreError> {
        let out = self
            .client
            .get()
            .associate_software_token()
            .access_token(access_token)
            .send()
            .await
            .map_err(|e| {
                let code = service_code(&e);
                own_err(map_err("AssociateSoftwareToken", e), &code)
            })?;
        out.secret_code()
            .map(str::to_owned)
            .ok_or_else(|| CoreError::upstream("AssociateSoftwareToken: no secret"))
    }

    async fn verify(&self, access_token: &str, code: &str) -> Result<(), CoreError> {
        let out = self
            .client
            .get()
            .verify_software_token()
            .access_token(access_token)
            .user_code(code)
            .friendly_device_name("Dropgate")
            .send()
            .await
            .map_err(|e| {
                let c = service_code(&e);
                own_err(map_err("VerifySoftwareToken", e), &c)
            })?;
        match out.status().map(|s| s.as_str()) {
            Some("SUCCESS") | None => Ok(()),
            Some(_) => Err(invalid_code()),
        }
    }

    async fn set_enabled(&self, access_token: &str, on: bool) -> Result<(), CoreError> {
        let settings = SoftwareTokenMfaSettingsType::builder()
            .enabled(on)
            .preferred_mfa(on)
            .build();
        self.client
            .get()
            .set_user_mfa_preference()
            .access_token(access_token)
            .software_token_mfa_settings(settings)
            .send()
            .await
            .map_err(|e| {
                let c = service_code(&e);
                own_err(map_err("SetUserMFAPreference", e), &c)
            })?;
        Ok(())
    }

    async fn enabled(&self, owner: &OwnerId) -> Result<bool, CoreError> {
        // The pool's username is the `sub`. An account gone from under a valid token has no
        // second factor: refused.
        let out = self
            .pool_user(owner.as_str())
            .await
            .map_err(|e| match e {
                CoreError::Unauthorized { .. } => invalid_access_token(),
                other => other,
            })?
            .ok_or_else(invalid_access_token)?;
        Ok(out
            .user_mfa_setting_list()
            .iter()
            .any(|m| m == "SOFTWARE_TOKEN_MFA"))
    }

    async fn answer_challenge(
        &self,
        username: &str,
        session: &str,
        code: &str,
    ) -> Result<Tokens, CoreError> {
        let out = self
            .client
            .get()
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::SoftwareTokenMfa)
            .session(session)
            .challenge_responses("USERNAME", username)
            .challenge_responses("SOFTWARE_TOKEN_MFA_CODE", code)
            .send()
            .await
            .map_err(|e| {
                let c = service_code(&e);
                match (c.as_str(), map_err("RespondToAuthChallenge", e)) {
                    ("CodeMismatchException" | "ExpiredCodeException", _) => wrong_login_code(),
                    // Cognito's "Invalid session for the user, session is expired."
                    (_, CoreError::Unauthorized { .. }) => invalid_session(),
                    (_, other) => other,
                }
            })?;
        tokens(out.authentication_result(), None)
    }
}

fn service_code<E, R>(e: &aws_sdk_cognitoidentityprovider::error::SdkError<E, R>) -> String
where
    E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata,
{
    e.as_service_error()
        .and_then(|s| s.code())
        .unwrap_or("")
        .to_owned()
}
