//! The erasure's adapter against the emulator: `DynamoErasure` keeps the contract the fake
//! keeps (core/src/contract/erasure.rs), over the same tables as the ledger, link, share, API
//! token, webhook and standing adapters.

use dropgate_core::contract::erasure::{Stores, check_all};
use dropgate_infra::dynamo::apikeys::DynamoApiKeys;
use dropgate_infra::dynamo::erasure::DynamoErasure;
use dropgate_infra::dynamo::shares::DynamoShares;
use dropgate_infra::dynamo::webhooks::DynamoWebhooks;

use crate::infra_adapters::{Env, env, ledger};

/// The erasure's adapter over the tables of `e` (infra_marked uses it too).
pub(crate) fn erasure(e: &Env) -> DynamoErasure {
    let t = &e.r.tables;
    DynamoErasure {
        client: e.clients.dynamodb().clone(),
        files_table: t.files.clone(),
        quotas_table: t.quotas.clone(),
        log_table: t.upload_log.clone(),
        links_table: t.links.clone(),
        shares_table: t.shares.clone(),
        download_log_table: t.download_log.clone(),
        webhooks_table: t.webhooks.clone(),
        api_keys_table: t.api_keys.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_erasure_keeps_the_contract() {
    let e = env().await;
    let t = &e.r.tables;
    let client = e.clients.dynamodb().clone();
    let erasure = erasure(&e);
    let l = ledger(&e);
    let shares = DynamoShares {
        client: client.clone(),
        shares_table: t.shares.clone(),
        download_log_table: t.download_log.clone(),
        log_table: t.upload_log.clone(),
    };
    let keys = DynamoApiKeys {
        client: client.clone(),
        table: t.api_keys.clone(),
    };
    let hooks = DynamoWebhooks {
        client,
        table: t.webhooks.clone(),
    };
    let stores = Stores {
        erasure: &erasure,
        ledger: &l,
        links: &l,
        shares: &shares,
        keys: &keys,
        hooks: &hooks,
        standing: &l,
    };
    check_all(stores, "ddb").await;
}
