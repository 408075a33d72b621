//! The user pool and the web client's app client, found by name or created.

use aws_config::SdkConfig;

use super::sdk::err;
use super::shapes::{ACCOUNT, MAIL_SENDER, USER_POOL, USER_POOL_CLIENT};
use crate::error::LocalError;

pub(super) async fn user_pool(sdk: &SdkConfig) -> Result<(String, String), LocalError> {
    use aws_sdk_cognitoidentityprovider::types::{
        EmailConfigurationType, EmailSendingAccountType, ExplicitAuthFlowsType, PasswordPolicyType,
        PreventUserExistenceErrorTypes, UserAttributeUpdateSettingsType, UserPoolPolicyType,
        UsernameAttributeType, VerifiedAttributeType,
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
            // As template.yaml: a new address waits for its code; Cognito mails from the
            // stack's sender (local/emulator.py sends those mails through the emulator's SES).
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
