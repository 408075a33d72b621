//! The in-memory fakes keep their ports' contracts (`dropgate_core::contract`); the AWS
//! adapters are held to the same checks in local/tests/stack/infra_*.rs.

use chrono::{TimeZone, Utc};
use dropgate_core::contract::ledger::check_all;
use dropgate_core::contract::{counters, links, multipart, objects};
use dropgate_core::fakes::{MemCounters, MemLedger, MemStore};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_contract() {
    check_all(&MemLedger::default(), "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_retention_contract() {
    dropgate_core::contract::retention::check_all(&MemLedger::default(), "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_trash_contract() {
    dropgate_core::contract::trash::check_all(&MemLedger::default(), "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_versions_contract() {
    let mem = MemLedger::default();
    dropgate_core::contract::versions::check_all(&mem, &mem, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_scan_contract() {
    let mem = MemLedger::default();
    dropgate_core::contract::ledger_scan::check_all(&mem, &mem, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_link_store_keeps_the_contract() {
    let mem = MemLedger::default();
    let stores = links::Stores {
        links: &mem,
        ledger: &mem,
    };
    links::check_all(stores, "mem", now()).await;
    dropgate_core::contract::link_events::check_all(stores, &mem, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_counters_keep_the_contract() {
    counters::check_all(&MemCounters::default(), "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_object_store_keeps_the_contract() {
    let mem = MemStore::default();
    objects::check_all(&mem, &mem, "mem").await;
}

#[tokio::test]
async fn the_in_memory_multipart_store_keeps_the_contract() {
    let mem = MemStore::default();
    let bucket = multipart::Bucket {
        parts: &mem,
        objects: &mem,
        client: &mem,
    };
    multipart::check_all(&bucket, "mem").await;
}

#[tokio::test]
async fn the_in_memory_sealer_keeps_the_contract() {
    let sealer = dropgate_core::fakes::MemSealer::default();
    dropgate_core::contract::sealing::seals_and_opens_only_for_its_item(&sealer).await;
}

#[tokio::test]
async fn the_in_memory_profiles_keep_the_contract() {
    dropgate_core::contract::profiles::check_all(
        &dropgate_core::fakes::MemProfiles::default(),
        "mem",
    )
    .await;
}

#[tokio::test]
async fn the_in_memory_api_keys_keep_the_contract() {
    dropgate_core::contract::apikeys::check_all(
        &dropgate_core::fakes::MemApiKeys::default(),
        "mem",
    )
    .await;
}

#[tokio::test]
async fn the_in_memory_standing_keeps_the_contract() {
    dropgate_core::contract::standing::check_all(
        &dropgate_core::fakes::MemStanding::default(),
        "mem",
    )
    .await;
}

#[tokio::test]
async fn the_in_memory_audit_store_keeps_the_contract() {
    use std::sync::Arc;
    let clock = Arc::new(dropgate_core::fakes::FixedClock::at(
        Utc.with_ymd_and_hms(2026, 12, 4, 11, 0, 0).unwrap(),
    ));
    dropgate_core::contract::audit::check_all(
        Arc::new(dropgate_core::fakes::MemAuditStore::default()),
        clock,
    )
    .await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_own_quota_contract() {
    let mem = MemLedger::default();
    let stores = links::Stores {
        links: &mem,
        ledger: &mem,
    };
    dropgate_core::contract::quota_limits::check_all(stores, &mem, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_ledger_reads_a_page_of_quota_records_with_their_standing() {
    let mem = MemLedger::default();
    let standing = std::sync::Arc::new(dropgate_core::fakes::MemStanding::default());
    mem.with_standing(standing.clone());
    let stores = links::Stores {
        links: &mem,
        ledger: &mem,
    };
    dropgate_core::contract::quota_limits::check_records(
        stores,
        &mem,
        standing.as_ref(),
        "mem",
        now(),
    )
    .await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_review_contract() {
    let mem = MemLedger::default();
    let stores = dropgate_core::contract::links::Stores {
        links: &mem,
        ledger: &mem,
    };
    dropgate_core::contract::review::check_all(stores, &mem, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_webhook_store_keeps_the_contract() {
    dropgate_core::contract::webhooks::check_all(
        std::sync::Arc::new(dropgate_core::fakes::MemWebhooks::default()),
        "mem",
    )
    .await;
}

#[tokio::test]
async fn the_in_memory_delivery_log_keeps_the_contract() {
    dropgate_core::contract::deliveries::check_all(
        std::sync::Arc::new(dropgate_core::fakes::MemDeliveryLog::default()),
        "mem",
    )
    .await;
}

struct MemDirectoryWorld<'a>(&'a dropgate_core::fakes::MemDirectory);

#[async_trait::async_trait]
impl dropgate_core::contract::directory::DirectoryWorld for MemDirectoryWorld<'_> {
    async fn account(&self, email: &str) -> dropgate_core::OwnerId {
        let id = format!("owner-{}", email.replace(['@', '.'], "-"));
        self.0.add(&id, email, chrono::Utc::now());
        dropgate_core::OwnerId::parse(&id).unwrap()
    }
}

#[tokio::test]
async fn the_in_memory_accounts_directory_keeps_the_contract() {
    let d = dropgate_core::fakes::MemDirectory::default();
    dropgate_core::contract::directory::check_all(&d, &MemDirectoryWorld(&d), "mem").await;
}

struct MemAccountDirectoryWorld<'a>(&'a dropgate_core::fakes::MemAccountDirectory);

#[async_trait::async_trait]
impl dropgate_core::contract::account_directory::AccountDirectoryWorld
    for MemAccountDirectoryWorld<'_>
{
    async fn account(&self, email: &str) -> (dropgate_core::OwnerId, String) {
        let owner =
            dropgate_core::OwnerId::parse(&format!("owner-{}", email.replace(['@', '.'], "-")))
                .unwrap();
        let token = self.0.add(&owner, email);
        (owner, token)
    }
    async fn address(&self, owner: &dropgate_core::OwnerId) -> (String, bool) {
        (self.0.email_of(owner).unwrap(), true)
    }
    async fn code_for(&self, to: &str) -> Option<String> {
        self.0.code_for(to)
    }
}

#[tokio::test]
async fn the_in_memory_directory_keeps_the_contract() {
    let d = dropgate_core::fakes::MemAccountDirectory::default();
    dropgate_core::contract::account_directory::check_all(&d, &MemAccountDirectoryWorld(&d), "mem")
        .await;
}

struct MemTotpWorld<'a>(&'a dropgate_core::fakes::MemTotp);

#[async_trait::async_trait]
impl dropgate_core::contract::totp::TotpWorld for MemTotpWorld<'_> {
    async fn account(&self, email: &str) -> (dropgate_core::OwnerId, String) {
        let owner = mem_owner(email);
        let token = self.0.add(&owner, email);
        (owner, token)
    }
    async fn code(&self, secret: &str) -> String {
        self.0.code(secret)
    }
    async fn challenge(&self, email: &str) -> Option<String> {
        self.0.challenge(&mem_owner(email))
    }
}

fn mem_owner(email: &str) -> dropgate_core::OwnerId {
    dropgate_core::OwnerId::parse(&format!("owner-{}", email.replace(['@', '.'], "-"))).unwrap()
}

#[tokio::test]
async fn the_in_memory_totp_directory_keeps_the_contract() {
    let clock = std::sync::Arc::new(dropgate_core::fakes::FixedClock::at(chrono::Utc::now()));
    let d = dropgate_core::fakes::MemTotp::new(clock);
    dropgate_core::contract::totp::check_all(&d, &MemTotpWorld(&d), "mem").await;
}

#[tokio::test]
async fn the_in_memory_erasure_keeps_the_contract() {
    use dropgate_core::contract::erasure::{Stores, check_all};
    let mem = dropgate_core::fakes::MemErasure::default();
    let stores = Stores {
        erasure: &mem,
        ledger: mem.ledger.as_ref(),
        links: mem.ledger.as_ref(),
        shares: mem.shares.as_ref(),
        keys: mem.keys.as_ref(),
        hooks: mem.webhooks.as_ref(),
        standing: mem.standing.as_ref(),
    };
    check_all(stores, "mem").await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_marked_deletions_contract() {
    let mem = dropgate_core::fakes::MemErasure::default();
    dropgate_core::contract::marked::check_all(mem.ledger.as_ref(), &mem, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_hold_contract() {
    let mem = MemLedger::default();
    dropgate_core::contract::holds::check_all(&mem, &mem, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_reminders_contract() {
    let mem = MemLedger::default();
    let stores = dropgate_core::contract::reminders::Stores {
        ledger: &mem,
        links: &mem,
        reminders: &mem,
    };
    dropgate_core::contract::reminders::check_all(stores, "mem", now()).await;
}

#[tokio::test]
async fn the_in_memory_stores_keep_the_expiry_contract() {
    let links = MemLedger::default();
    let shares = dropgate_core::fakes::MemShares::default();
    let stores = dropgate_core::contract::expiry::Stores {
        links: &links,
        link_expiries: &links,
        link_log: &links,
        shares: &shares,
        share_expiries: &shares,
        share_log: &shares,
    };
    dropgate_core::contract::expiry::check_all(stores, "mem", now()).await;
}
