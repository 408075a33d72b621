//! The in-memory ledger keeps the ledger's contract (`dropgate_core::contract::ledger`); the
//! DynamoDB adapter is held to the same checks in local/tests/stack/infra_adapters.rs.

use chrono::{TimeZone, Utc};
use dropgate_core::contract::ledger::check_all;
use dropgate_core::fakes::MemLedger;

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_contract() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    check_all(&MemLedger::default(), "mem", now).await;
}
