//! The webhooks' adapter against the emulator: `DynamoWebhooks` keeps the store contract (the
//! limit under concurrent inserts included), and a stored secret is never in the clear.

use std::sync::Arc;

use dropgate_core::contract::webhooks::check_all;
use dropgate_core::webhooks::Resolver;
use dropgate_infra::dynamo::webhooks::DynamoWebhooks;
use dropgate_infra::resolve::SystemResolver;

use crate::infra_adapters::env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_webhook_store_keeps_the_contract() {
    let e = env().await;
    let store = DynamoWebhooks {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.webhooks.clone(),
    };
    check_all(Arc::new(store), "dynamo").await;
}

#[tokio::test]
async fn the_system_resolver_answers_addresses_and_no_address_for_a_bad_name() {
    let r = SystemResolver;
    assert_eq!(
        r.resolve("127.0.0.1", 443).await.unwrap(),
        vec!["127.0.0.1".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(r.resolve("nothing.invalid", 443).await.unwrap().is_empty());
}
