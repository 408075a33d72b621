//! The expiry announcements' stores on the emulator: `DynamoLedger` (links) and `DynamoShares`
//! keep the expiry contract (`dropgate_core::contract::expiry`, which the fakes keep too): the
//! sparse `due-for-expiry` index, a close's marker and entry in one transaction, once.

use chrono::Utc;
use dropgate_core::contract::expiry;

use crate::infra_adapters::{env, ledger};
use crate::infra_shares::{shares, upload_log};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_expiry_stores_keep_the_contract() {
    let e = env().await;
    let links = ledger(&e);
    let shares = shares(&e);
    let log = upload_log(&e);
    let stores = expiry::Stores {
        links: &links,
        link_expiries: &links,
        link_log: &log,
        shares: &shares,
        share_expiries: &shares,
        share_log: &log,
    };
    expiry::check_all(stores, "ddb", Utc::now()).await;
}
