//! The accounts' directory over a Cognito user pool, for admins: ListUsers (by email prefix, or
//! by `sub` for one account), AdminDisableUser with AdminUserGlobalSignOut, AdminEnableUser,
//! AdminDeleteUser (an erasure's last step).
//! The api's role may call exactly these on its own pool (template.yaml, `UserDirectory`).

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::UserType;
use chrono::{DateTime, Utc};
use dropgate_core::users::{Directory, DirectoryPage, DirectoryUser};
use dropgate_core::{CoreError, OwnerId};

use crate::error::sdk_error;

/// ListUsers returns at most 60 accounts a call.
const MAX_LIST: usize = 60;

pub struct CognitoDirectory {
    /// Built on the first admin call, not at cold start: most of the api's invocations never
    /// touch the directory.
    pub client: crate::lazy::Lazy<aws_sdk_cognitoidentityprovider::Client>,
    pub user_pool_id: String,
}

/// A pool's account as the directory port sees it; `None` for one without a usable `sub`.
fn user_of(u: &UserType) -> Option<DirectoryUser> {
    let attr = |name: &str| {
        u.attributes()
            .iter()
            .find(|a| a.name() == name)
            .and_then(|a| a.value())
    };
    let id = OwnerId::parse(attr("sub")?).ok()?;
    let created_at = u
        .user_create_date()
        .and_then(|d| DateTime::<Utc>::from_timestamp(d.secs(), d.subsec_nanos()))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    Some(DirectoryUser {
        id,
        handle: u.username()?.to_owned(),
        email: attr("email").unwrap_or_default().to_owned(),
        enabled: u.enabled(),
        created_at,
    })
}

impl CognitoDirectory {
    fn client(&self) -> &aws_sdk_cognitoidentityprovider::Client {
        self.client.get()
    }

    async fn list(
        &self,
        filter: Option<String>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<DirectoryPage, CoreError> {
        let out = self
            .client()
            .list_users()
            .user_pool_id(&self.user_pool_id)
            .set_filter(filter)
            .set_pagination_token(cursor.map(str::to_owned))
            .limit(limit.clamp(1, MAX_LIST) as i32)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                // A cursor that is not one of the pool's own: Cognito calls it an invalid
                // parameter, moto an `InvalidToken`. Either is the caller's mistake, a 400.
                Some(se)
                    if cursor.is_some()
                        && (se.is_invalid_parameter_exception()
                            || se.code() == Some("InvalidToken")) =>
                {
                    CoreError::invalid(
                        "invalid_cursor",
                        "cursor must be a next_cursor this route returned",
                    )
                }
                _ => sdk_error("ListUsers", e),
            })?;
        Ok(DirectoryPage {
            users: out.users().iter().filter_map(user_of).collect(),
            next: out.pagination_token().map(str::to_owned),
        })
    }
}

#[async_trait]
impl Directory for CognitoDirectory {
    async fn find(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<DirectoryPage, CoreError> {
        // The prefix has no quote or backslash (core's rules), so it quotes as it is.
        let filter = (!prefix.is_empty()).then(|| format!("email ^= \"{prefix}\""));
        self.list(filter, cursor, limit).await
    }

    async fn user(&self, id: &OwnerId) -> Result<Option<DirectoryUser>, CoreError> {
        let page = self
            .list(Some(format!("sub = \"{}\"", id.as_str())), None, 1)
            .await?;
        Ok(page.users.into_iter().find(|u| &u.id == id))
    }

    async fn disable(&self, user: &DirectoryUser) -> Result<(), CoreError> {
        self.client()
            .admin_disable_user()
            .user_pool_id(&self.user_pool_id)
            .username(&user.handle)
            .send()
            .await
            .map_err(|e| sdk_error("AdminDisableUser", e))?;
        self.client()
            .admin_user_global_sign_out()
            .user_pool_id(&self.user_pool_id)
            .username(&user.handle)
            .send()
            .await
            .map_err(|e| sdk_error("AdminUserGlobalSignOut", e))?;
        Ok(())
    }

    async fn enable(&self, user: &DirectoryUser) -> Result<(), CoreError> {
        self.client()
            .admin_enable_user()
            .user_pool_id(&self.user_pool_id)
            .username(&user.handle)
            .send()
            .await
            .map_err(|e| sdk_error("AdminEnableUser", e))?;
        Ok(())
    }

    async fn delete(&self, user: &DirectoryUser) -> Result<(), CoreError> {
        let out = self
            .client()
            .admin_delete_user()
            .user_pool_id(&self.user_pool_id)
            .username(&user.handle)
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            // Gone already: an erasure repeated after its last step.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_user_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_error("AdminDeleteUser", e)),
        }
    }
}
