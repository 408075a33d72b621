//! The Cognito adapter keeps the [`TotpDirectory`] contract on the emulator (the same suite the
//! in-memory one passes in core/tests/contract.rs), on the stack's pool as provisioned, with
//! RFC 6238 codes computed from the secret the emulator hands out.
//!
//! [`TotpDirectory`]: dropgate_core::mfa::TotpDirectory

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, ChallengeNameType};
use dropgate_core::OwnerId;
use dropgate_core::contract::totp::{TotpWorld, check_all};
use dropgate_infra::cognito::CognitoAccounts;

use crate::common::{LocalStack, PASSWORD};

struct World {
    idp: aws_sdk_cognitoidentityprovider::Client,
    pool: String,
    client: String,
}

#[async_trait]
impl TotpWorld for World {
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
        let access = self.login(email).await.1.expect("tokens before totp");
        let owner = dropgate_core::accounts::access_token_owner(&access).expect("sub");
        (owner, access)
    }

    async fn code(&self, secret: &str) -> String {
        crate::totp::code(secret).await
    }

    async fn challenge(&self, email: &str) -> Option<String> {
        self.login(email).await.0
    }
}

impl World {
    /// (the challenge's session, the access token): one of the two.
    async fn login(&self, email: &str) -> (Option<String>, Option<String>) {
        let out = self
            .idp
            .initiate_auth()
            .client_id(&self.client)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .expect("InitiateAuth");
        if out.challenge_name() == Some(&ChallengeNameType::SoftwareTokenMfa) {
            return (out.session().map(str::to_owned), None);
        }
        let access = out
            .authentication_result()
            .and_then(|r| r.access_token())
            .map(str::to_owned);
        (None, access)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cognito_totp_directory_keeps_the_contract() {
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&stack.sdk().await);
    let pool = stack.resource("user_pool_id");
    let client = stack.resource("user_pool_client_id");
    let adapter = CognitoAccounts {
        client: dropgate_infra::lazy::Lazy::ready(idp.clone()),
        user_pool_id: pool.clone(),
        client_id: client.clone(),
        auto_confirm: true,
    };
    let world = World { idp, pool, client };
    check_all(&adapter, &world, "cognito").await;
}
