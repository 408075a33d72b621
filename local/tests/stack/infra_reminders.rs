//! The reminders' store on the emulator: `DynamoLedger` keeps the `ReminderLedger` contract
//! (`dropgate_core::contract::reminders`, which the in-memory fake keeps too): candidates with
//! their markers, the entry and the markers in one transaction, a marker of a time.

use chrono::Utc;
use dropgate_core::contract::reminders;

use crate::infra_adapters::{env, ledger};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_reminders_keep_the_contract() {
    let e = env().await;
    let store = ledger(&e);
    let stores = reminders::Stores {
        ledger: &store,
        links: &store,
        reminders: &store,
    };
    reminders::check_all(stores, "ddb", Utc::now()).await;
}
