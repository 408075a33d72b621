//! The operator console's adapters against the emulator: `DynamoLedger` keeps the own-quota
//! contract (`dropgate_core::contract::quota_limits`, which the fake keeps too: 50 concurrent
//! reservations never pass a user's own limit), and `CognitoDirectory` keeps the directory's
//! (`dropgate_core::contract::directory`: found by email prefix and by id, stopped, restored,
//! deleted).

use chrono::Utc;
use dropgate_core::OwnerId;
use dropgate_core::contract::{directory, links, quota_limits};
use dropgate_core::users::Directory;

use crate::infra_adapters::{env, ledger};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_own_quota_contract() {
    let e = env().await;
    let store = ledger(&e);
    let stores = links::Stores {
        links: &store,
        ledger: &store,
    };
    quota_limits::check_all(stores, &store, "ddb", Utc::now()).await;
}

/// A page of quota records in one batched read (two rounds of `BatchGetItem` for 150 owners),
/// usage and standing together, as the fake answers them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_reads_a_page_of_quota_records_at_once() {
    let e = env().await;
    let store = ledger(&e);
    let stores = links::Stores {
        links: &store,
        ledger: &store,
    };
    quota_limits::check_records(stores, &store, &store, "ddb", Utc::now()).await;
}

/// Creates a confirmed account; returns its `sub`.
async fn account(idp: &aws_sdk_cognitoidentityprovider::Client, pool: &str, email: &str) -> String {
    use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
    let out = idp
        .admin_create_user()
        .user_pool_id(pool)
        .username(email)
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value(email)
                .build()
                .unwrap(),
        )
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .expect("AdminCreateUser");
    out.user()
        .unwrap()
        .attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
        .expect("a sub")
        .to_owned()
}

struct CognitoWorld {
    idp: aws_sdk_cognitoidentityprovider::Client,
    pool: String,
}

#[async_trait::async_trait]
impl directory::DirectoryWorld for CognitoWorld {
    async fn account(&self, email: &str) -> OwnerId {
        OwnerId::parse(&account(&self.idp, &self.pool, email).await).unwrap()
    }
}

#[tokio::test]
async fn the_cognito_directory_keeps_the_contract() {
    let e = env().await;
    let pool = e.r.user_pool_id.clone();
    let world = CognitoWorld {
        idp: e.clients.cognito().clone(),
        pool: pool.clone(),
    };
    let dir = e.clients.directory(&dropgate_infra::Config {
        user_pool_id: pool,
        ..dropgate_infra::Config::default()
    });
    directory::check_all(dir.as_ref(), &world, "cognito").await;
    // Its own: an account made by the pool carries its creation time.
    let id = directory::DirectoryWorld::account(&world, "cognito-late@example.com").await;
    let user = dir.user(&id).await.unwrap().expect("by its sub");
    assert!(user.created_at <= Utc::now());
}
