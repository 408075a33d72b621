//! The operator console's adapters against the emulator: `DynamoLedger` keeps the own-quota
//! contract (`dropgate_core::contract::quota_limits`, which the fake keeps too: 50 concurrent
//! reservations never pass a user's own limit), and `CognitoDirectory` finds accounts by email
//! prefix and by id, and stops and restores them.

use chrono::Utc;
use dropgate_core::OwnerId;
use dropgate_core::contract::{links, quota_limits};
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

#[tokio::test]
async fn the_cognito_directory_finds_stops_and_restores_accounts() {
    let e = env().await;
    let pool = e.r.user_pool_id.clone();
    let idp = e.clients.cognito().clone();
    let ann = account(&idp, &pool, "ann@example.com").await;
    account(&idp, &pool, "anton@example.com").await;
    account(&idp, &pool, "bea@example.com").await;
    let dir = e.clients.directory(&dropgate_infra::Config {
        user_pool_id: pool,
        ..dropgate_infra::Config::default()
    });
    let page = dir.find("an", None, 50).await.unwrap();
    let mut emails: Vec<&str> = page.users.iter().map(|u| u.email.as_str()).collect();
    emails.sort_unstable();
    assert_eq!(emails, ["ann@example.com", "anton@example.com"]);
    assert_eq!(dir.find("", None, 50).await.unwrap().users.len(), 3);
    // Pages: one at a time, then the rest.
    let first = dir.find("", None, 1).await.unwrap();
    assert_eq!(first.users.len(), 1);
    let next = first.next.expect("a cursor");
    let rest = dir.find("", Some(&next), 50).await.unwrap();
    assert_eq!(rest.users.len(), 2);
    // A cursor the pool never gave is the caller's mistake, never an upstream failure.
    for bad in ["zz", "eyJ4IjoxfQ"] {
        let e = dir.find("", Some(bad), 50).await.unwrap_err();
        assert_eq!(e.code(), "invalid_cursor", "{bad}: {e}");
    }

    let id = OwnerId::parse(&ann).unwrap();
    let user = dir.user(&id).await.unwrap().expect("ann by her sub");
    assert_eq!(
        (user.email.as_str(), user.enabled),
        ("ann@example.com", true)
    );
    assert!(user.created_at <= Utc::now());
    assert_eq!(
        dir.user(&OwnerId::parse("nobody").unwrap()).await.unwrap(),
        None
    );

    dir.disable(&user).await.unwrap();
    assert!(!dir.user(&id).await.unwrap().unwrap().enabled);
    dir.enable(&user).await.unwrap();
    assert!(dir.user(&id).await.unwrap().unwrap().enabled);
}
