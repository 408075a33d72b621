//! The legal hold's adapter against the emulator: `DynamoLedger` keeps the hold contract
//! (`dropgate_core::contract::holds`, which the fake keeps too): a held record is neither
//! trashed, purged nor removed, and leaves the janitor's retention and trash indexes until the
//! hold is lifted.

use chrono::Utc;
use dropgate_core::contract::holds;

use crate::infra_adapters::{env, ledger};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_hold_contract() {
    let e = env().await;
    let store = ledger(&e);
    holds::check_all(&store, &store, "ddb", Utc::now()).await;
}
