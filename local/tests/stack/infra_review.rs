//! The review's adapter against the emulator: `DynamoLedger` keeps the review contract
//! (`dropgate_core::contract::review`, which the fake keeps too): files across owners through
//! the `by-status` index, within an owner or a link, found by id alone; every link through a
//! paged scan, one by id through `by-link-id`.

use chrono::Utc;
use dropgate_core::contract::{links, review};

use crate::infra_adapters::{env, ledger};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_review_contract() {
    let e = env().await;
    let store = ledger(&e);
    let stores = links::Stores {
        links: &store,
        ledger: &store,
    };
    review::check_all(stores, &store, "ddb", Utc::now()).await;
}
