//! The API tokens' adapter against the emulator: `DynamoApiKeys` keeps the store contract the
//! in-memory fake keeps (core/tests/contract.rs).

use dropgate_infra::dynamo::apikeys::DynamoApiKeys;

use crate::infra_adapters::env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_api_keys_keep_the_contract() {
    let e = env().await;
    let store = DynamoApiKeys {
        client: e.clients.dynamodb().clone(),
        table: e.r.tables.api_keys.clone(),
    };
    dropgate_core::contract::apikeys::check_all(&store, "ddb").await;
}
