//! The Cognito directory adapter keeps the [`AccountDirectory`] contract on the emulator (the same
//! suite the in-memory directory passes in core/tests/contract.rs), on the stack's pool as
//! provisioned, with the codes read from the mail the emulator's SES holds.
//!
//! [`AccountDirectory`]: dropgate_core::accounts::AccountDirectory

use crate::common;
use crate::e2e_account::code_mailed_to;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use common::{LocalStack, PASSWORD};
use dropgate_core::OwnerId;
use dropgate_core::contract::account_directory::{AccountDirectoryWorld, check_all};
use dropgate_infra::cognito::CognitoAccounts;

struct World<'a> {
    stack: &'a LocalStack,
    idp: aws_sdk_cognitoidentityprovider::Client,
    pool: String,
    client: String,
}

#[async_trait]
impl AccountDirectoryWorld for World<'_> {
    async fn account(&self, email: &str) -> (OwnerId, String) {
        let attr = AttributeType::builder()
            .name("email")
            .value(email)
            .build()
            .unwrap();
        self.idp
            .sign_up()
            .client_id(&self.client)
            .username(email)
            .password(PASSWORD)
            .user_attributes(attr)
            .send()
            .await
            .expect("SignUp");
        self.idp
            .admin_confirm_sign_up()
            .user_pool_id(&self.pool)
            .username(email)
            .send()
            .await
            .expect("AdminConfirmSignUp");
        let auth = self
            .idp
            .initiate_auth()
            .client_id(&self.client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .expect("InitiateAuth");
        let access = auth
            .authentication_result()
            .and_then(|r| r.access_token())
            .expect("access token")
            .to_owned();
        let owner = dropgate_core::accounts::access_token_owner(&access).expect("sub");
        (owner, access)
    }

    async fn address(&self, owner: &OwnerId) -> (String, bool) {
        let user = self
            .idp
            .admin_get_user()
            .user_pool_id(&self.pool)
            .username(owner.as_str())
            .send()
            .await
            .expect("AdminGetUser");
        let attr = |n: &str| {
            user.user_attributes()
                .iter()
                .find(|a| a.name() == n)
                .and_then(|a| a.value())
                .unwrap_or_default()
                .to_owned()
        };
        (attr("email"), attr("email_verified") == "true")
    }

    async fn code_for(&self, to: &str) -> Option<String> {
        code_mailed_to(self.stack, to).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cognito_directory_keeps_the_contract() {
    let stack = LocalStack::start().await;
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&stack.sdk().await);
    let pool = stack.resource("user_pool_id");
    let client = stack.resource("user_pool_client_id");
    let adapter = CognitoAccounts {
        client: dropgate_infra::lazy::Lazy::ready(idp.clone()),
        user_pool_id: pool.clone(),
        client_id: client.clone(),
        auto_confirm: true,
    };
    let world = World {
        stack: &stack,
        idp,
        pool,
        client,
    };
    check_all(&adapter, &world, "cognito").await;
}
