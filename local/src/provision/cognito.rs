//! The user pool, its `admins` group and the web client's app client, found by name or
//! created; and the admins named at start (`--admin EMAIL`).

use aws_config::SdkConfig;

use super::sdk::{code_of, err};
use super::shapes::{ACCOUNT, ADMINS_GROUP, MAIL_SENDER, USER_POOL, USER_POOL_CLIENT};
use crate::error::LocalError;

pub(super) async fn user_pool(sdk: &SdkConfig) -> Result<(String, String), LocalError> {
    use aws_sdk_cognitoidentityprovider::types::{
        EmailConfigurationType, EmailSendingAccountType, ExplicitAuthFlowsType, PasswordPolicyType,
        PreventUserExistenceErrorTypes, UserAttributeUpdateSettingsType, UserPoolMfaType,
        UserPoolPolicyType, UsernameAttributeType, VerifiedAttributeType,
    };
    let idp = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let pools = idp
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .map_err(|e| err("ListUserPools", e))?;
    let existing = pools
        .user_pools()
        .iter()
        .find(|p| p.name() == Some(USER_POOL))
        .and_then(|p| p.id().map(str::to_owned));
    let pool_id = match existing {
        Some(id) => id,
        None => idp
            .create_user_pool()
            .pool_name(USER_POOL)
            .username_attributes(UsernameAttributeType::Email)
            .auto_verified_attributes(VerifiedAttributeType::Email)
            // As template.yaml: TOTP is each user's choice.
            .mfa_configuration(UserPoolMfaType::Optional)
            // As template.yaml: a new address waits for its code; Cognito mails from the
            // stack's sender (local/emulator_cognito.py sends those mails through the
            // emulator's SES).
            .user_attribute_update_settings(
                UserAttributeUpdateSettingsType::builder()
                    .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                    .build(),
            )
            .email_configuration(
                EmailConfigurationType::builder()
                    .email_sending_account(EmailSendingAccountType::Developer)
                    .from(MAIL_SENDER)
                    .source_arn(format!(
                        "arn:aws:ses:us-east-1:{ACCOUNT}:identity/{MAIL_SENDER}"
                    ))
                    .build(),
            )
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(8)
                            .require_uppercase(true)
                            .require_lowercase(true)
                            .require_numbers(true)
                            .require_symbols(false)
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| err("CreateUserPool", e))?
            .user_pool()
            .and_then(|p| p.id().map(str::to_owned))
            .unwrap_or_default(),
    };
    admins_group(&idp, &pool_id).await?;
    let clients = idp
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| err("ListUserPoolClients", e))?;
    if let Some(id) = clients
        .user_pool_clients()
        .iter()
        .find(|c| c.client_name() == Some(USER_POOL_CLIENT))
        .and_then(|c| c.client_id())
    {
        return Ok((pool_id, id.to_owned()));
    }
    let client_id = idp
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(USER_POOL_CLIENT)
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
        .enable_token_revocation(true)
        // As template.yaml: a TOTP challenge is answered within 3 minutes (the emulator's mend
        // reads it).
        .auth_session_validity(3)
        // As template.yaml: the user's own token cannot write `email` (the relay closed).
        .write_attributes("name")
        .read_attributes("email")
        .read_attributes("email_verified")
        .read_attributes("name")
        .send()
        .await
        .map_err(|e| err("CreateUserPoolClient", e))?
        .user_pool_client()
        .and_then(|c| c.client_id().map(str::to_owned))
        .unwrap_or_default();
    Ok((pool_id, client_id))
}

/// The `admins` group, as template.yaml declares it.
async fn admins_group(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    pool_id: &str,
) -> Result<(), LocalError> {
    match idp
        .create_group()
        .user_pool_id(pool_id)
        .group_name(ADMINS_GROUP)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code_of(&e) == Some("GroupExistsException") => Ok(()),
        Err(e) => Err(err("CreateGroup", e)),
    }
}

/// Makes each of `emails` an admin: an existing account joins the group; a missing one is
/// created confirmed, its email verified, with `password` (none given: an error naming the
/// variable, never the password). Tokens issued before carry no group: log in again.
pub async fn promote_admins(
    sdk: &SdkConfig,
    pool_id: &str,
    emails: &[String],
    password: Option<&str>,
) -> Result<(), LocalError> {
    use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
    let idp = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    for email in emails {
        let found = idp
            .list_users()
            .user_pool_id(pool_id)
            .filter(format!("email = \"{}\"", email.replace(['"', '\\'], "")))
            .limit(1)
            .send()
            .await
            .map_err(|e| err("ListUsers", e))?;
        let username = match found.users().first().and_then(|u| u.username()) {
            Some(name) => name.to_owned(),
            None => {
                let password = password.ok_or_else(|| {
                    LocalError::Provision(format!(
                        "--admin {email}: no such account; set DROPGATE_LOCAL_ADMIN_PASSWORD to \
                         create it"
                    ))
                })?;
                let attr = |k: &str, v: &str| {
                    AttributeType::builder()
                        .name(k)
                        .value(v)
                        .build()
                        .map_err(|e| err("AdminCreateUser", e))
                };
                let created = idp
                    .admin_create_user()
                    .user_pool_id(pool_id)
                    .username(email)
                    .user_attributes(attr("email", email)?)
                    .user_attributes(attr("email_verified", "true")?)
                    .message_action(MessageActionType::Suppress)
                    .send()
                    .await
                    .map_err(|e| err("AdminCreateUser", e))?;
                let name = created
                    .user()
                    .and_then(|u| u.username())
                    .unwrap_or(email)
                    .to_owned();
                // Permanent: the account is confirmed, with no new-password challenge.
                idp.admin_set_user_password()
                    .user_pool_id(pool_id)
                    .username(&name)
                    .password(password)
                    .permanent(true)
                    .send()
                    .await
                    .map_err(|e| {
                        LocalError::Provision(format!(
                            "--admin {email}: AdminSetUserPassword refused: {}",
                            code_of(&e).unwrap_or("unknown error")
                        ))
                    })?;
                name
            }
        };
        idp.admin_add_user_to_group()
            .user_pool_id(pool_id)
            .username(&username)
            .group_name(ADMINS_GROUP)
            .send()
            .await
            .map_err(|e| err("AdminAddUserToGroup", e))?;
        tracing::info!(group = ADMINS_GROUP, "an account is an admin");
    }
    Ok(())
}
