//! An owner's own account over Cognito: an email change through `AdminUpdateUserAttributes`
//! (the app client cannot write `email`; the pool holds the old, verified value until the
//! code mailed to the new one is verified) and `VerifyUserAttribute` with the owner's own
//! access token (it has no admin form). The address Dropgate mails is read with
//! `AdminGetUser` when a mail goes out.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, ChallengeNameType};
use dropgate_core::accounts::own::wrong_password;
use dropgate_core::accounts::{AccountDirectory, OwnerAddress, PasswordCheck};
use dropgate_core::{CoreError, OwnerId};

use crate::cognito::{CognitoAccounts, attribute, map_err};

fn invalid_access_token() -> CoreError {
    CoreError::unauthorized(
        "invalid_access_token",
        "the access token is not valid (log in again)",
    )
}

#[async_trait]
impl OwnerAddress for CognitoAccounts {
    /// While a change waits for its code the pool keeps the old address, verified, as `email`
    /// (`AttributesRequireVerificationBeforeUpdate`): that is the one mailed.
    async fn verified_address(&self, owner: &OwnerId) -> Result<Option<String>, CoreError> {
        // The pool's username is the `sub`.
        let Some(user) = self.pool_user(owner.as_str()).await? else {
            return Ok(None);
        };
        Ok(dropgate_core::accounts::mailable_email(
            attribute(&user, "email"),
            attribute(&user, "email_verified"),
        ))
    }
}

#[async_trait]
impl AccountDirectory for CognitoAccounts {
    async fn start_email_change(&self, owner: &OwnerId, email: &str) -> Result<(), CoreError> {
        let attr = AttributeType::builder()
            .name("email")
            .value(email)
            .build()
            .map_err(CoreError::upstream)?;
        self.client
            .get()
            .admin_update_user_attributes()
            .user_pool_id(&self.user_pool_id)
            // The pool's username is the `sub`.
            .username(owner.as_str())
            .user_attributes(attr)
            .send()
            .await
            .map_err(|e| match map_err("AdminUpdateUserAttributes", e) {
                // The caller's own account is gone from under a valid token.
                CoreError::Unauthorized { .. } => invalid_access_token(),
                other => other,
            })?;
        Ok(())
    }

    async fn confirm_email_change(&self, access_token: &str, code: &str) -> Result<(), CoreError> {
        self.client
            .get()
            .verify_user_attribute()
            .access_token(access_token)
            .attribute_name("email")
            .code(code)
            .send()
            .await
            .map_err(|e| match map_err("VerifyUserAttribute", e) {
                CoreError::Unauthorized { .. } => invalid_access_token(),
                CoreError::Invalid {
                    code: "expired_code",
                    ..
                } => CoreError::invalid("invalid_code", "the code has expired"),
                other => other,
            })?;
        Ok(())
    }

    async fn sign_out_everywhere(&self, owner: &OwnerId) -> Result<(), CoreError> {
        self.client
            .get()
            .admin_user_global_sign_out()
            .user_pool_id(&self.user_pool_id)
            .username(owner.as_str())
            .send()
            .await
            .map_err(|e| map_err("AdminUserGlobalSignOut", e))?;
        Ok(())
    }

    /// The current password is checked by logging in with it (a challenge, such as a second
    /// factor, still means it was right); the new one is set with the admin form, so that the
    /// route needs no access token.
    async fn change_password(
        &self,
        owner: &OwnerId,
        current: &str,
        new: &str,
    ) -> Result<(), CoreError> {
        self.client
            .get()
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", owner.as_str())
            .auth_parameters("PASSWORD", current)
            .send()
            .await
            .map_err(|e| match map_err("InitiateAuth", e) {
                CoreError::Unauthorized { .. } | CoreError::Forbidden { .. } => wrong_password(),
                other => other,
            })?;
        self.client
            .get()
            .admin_set_user_password()
            .user_pool_id(&self.user_pool_id)
            .username(owner.as_str())
            .password(new)
            .permanent(true)
            .send()
            .await
            .map_err(|e| map_err("AdminSetUserPassword", e))?;
        Ok(())
    }

    /// A log-in with the password (a challenge, such as a second factor, still means it was
    /// right); the tokens it answers are dropped.
    /// With TOTP on, Cognito answers the password with the `SOFTWARE_TOKEN_MFA` challenge: its
    /// session goes back with the code. Any other challenge is a step this API does not offer.
    async fn verify_password(
        &self,
        owner: &OwnerId,
        password: &str,
    ) -> Result<PasswordCheck, CoreError> {
        let out = self
            .client
            .get()
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", owner.as_str())
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| match map_err("InitiateAuth", e) {
                CoreError::Unauthorized { .. } | CoreError::Forbidden { .. } => {
                    CoreError::unauthorized("invalid_credentials", "the password is wrong")
                }
                other => other,
            })?;
        match out.challenge_name() {
            None => Ok(PasswordCheck::Passed),
            Some(ChallengeNameType::SoftwareTokenMfa) => {
                let session = out.session().ok_or_else(|| {
                    CoreError::upstream("InitiateAuth: a challenge without session")
                })?;
                Ok(PasswordCheck::Totp {
                    session: session.to_owned(),
                })
            }
            // Fail closed: a password alone does not pass a step it cannot take.
            Some(_) => Err(CoreError::Forbidden {
                code: "challenge_required",
                message: "the account needs a step this API does not offer".into(),
            }),
        }
    }
}
