//! The janitor: on a schedule, expires pending files whose upload URL ran out (plus grace),
//! releasing their reservations, purges the due trash, deletes what retention says and
//! finishes deletions cut short after their mark, then announces the links and shares whose
//! time ran out (`link.expired`, `share.expired`) and writes the reminders. The logic is `dropgate_core::janitor`, `::expiry` and `::reminders`.

use std::sync::Arc;

use dropgate_core::clock::SystemClock;
use dropgate_core::expiry::Expiries;
use dropgate_core::janitor::Janitor;
use dropgate_core::reminders::Reminders;
use dropgate_infra::{Clients, Config, InfraError};
use serde::Serialize;

/// Files expired per query; a run repeats until a short page or [`MAX_ROUNDS`].
pub const PAGE: usize = 100;
pub const MAX_ROUNDS: usize = 20;
/// Links and files read for reminders per run (one pass: one mail per owner per run).
pub const REMINDER_READ: usize = 1000;
/// Links and shares whose expiry is closed per run (each partition read up to this).
pub const EXPIRY_READ: usize = 500;

pub const REQUIRED_ENV: &[&str] = &[
    "BUCKET_NAME",
    "FILES_TABLE",
    "QUOTAS_TABLE",
    "UPLOAD_LOG_TABLE",
    "LINKS_TABLE",
    "SHARES_TABLE",
];

#[derive(Clone)]
pub struct Deps {
    pub janitor: Janitor,
    /// Expiry reminders (`link.expiring`, `file.expiring`), once per run.
    pub reminders: Reminders,
    /// `link.expired` and `share.expired`, once each.
    pub expiries: Expiries,
}

impl Deps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(REQUIRED_ENV)?;
        let store = clients.store(config);
        let ledger = clients.ledger(config);
        let clock = Arc::new(SystemClock);
        Ok(Self {
            expiries: Expiries {
                links: ledger.clone(),
                shares: clients.shares(config),
                clock: clock.clone(),
            },
            reminders: Reminders {
                ledger: ledger.clone(),
                clock: clock.clone(),
                settings: config.settings.clone(),
            },
            janitor: Janitor {
                ledger,
                store: store.clone(),
                multipart: store,
                clock,
                settings: config.settings.clone(),
            },
        })
    }
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Summary {
    pub expired: usize,
    /// Files rejected `scan_timeout`: their malware scan never answered.
    pub scan_timeouts: usize,
    /// Files in the trash past `TRASH_DAYS`, purged with their receipts.
    pub purged: usize,
    /// Files whose `delete_after` came: into the trash, or gone with their receipts.
    pub retained: usize,
    /// Objects of rejected or expired files whose interrupted removal this run finished.
    pub cleaned: usize,
    /// Deletions for good cut short after their mark (older than `DELETION_GRACE`) that
    /// this run finished, with their receipts.
    pub finished: usize,
    pub failed: usize,
    /// Owners sent a reminder this run (one outbox entry each).
    pub reminded: usize,
    /// `link.expired` and `share.expired` entries written this run.
    pub expiries_announced: usize,
}

/// One scheduled run. The event's content does not matter (any scheduled event starts a run).
pub async fn handle(
    _event: serde_json::Value,
    deps: &Deps,
) -> Result<Summary, dropgate_core::CoreError> {
    let mut summary = Summary::default();
    for _ in 0..MAX_ROUNDS {
        let sweep = deps.janitor.sweep(PAGE).await?;
        for f in &sweep.expired {
            tracing::info!(owner = %f.owner, file_id = %f.id, size = f.size, decision = "expired", "pending upload expired; reservation released");
        }
        for f in &sweep.timed_out {
            tracing::info!(owner = %f.owner, file_id = %f.id, size = f.size, decision = "scan_timeout", "no scan result in time; rejected and bytes removed");
        }
        summary.expired += sweep.expired.len();
        summary.scan_timeouts += sweep.timed_out.len();
        summary.purged += sweep.purged.len();
        summary.retained += sweep.retained.len();
        summary.cleaned += sweep.cleaned;
        summary.finished += sweep.finished.len();
        summary.failed += sweep.failed;
        // Another round only while a pass filled its page and made progress.
        let full = sweep.expired.len() + sweep.failed >= PAGE
            || sweep.timed_out.len() >= PAGE
            || sweep.purged.len() >= PAGE
            || sweep.retained.len() >= PAGE
            || sweep.finished.len() >= PAGE;
        let progress = !(sweep.expired.is_empty()
            && sweep.timed_out.is_empty()
            && sweep.purged.is_empty()
            && sweep.retained.is_empty()
            && sweep.finished.is_empty());
        if !full || !progress {
            break;
        }
    }
    // Before the reminders: a link whose time ran out leaves the index they read too.
    let expiries = deps.expiries.run(EXPIRY_READ).await?;
    summary.expiries_announced = expiries.announced.len();
    summary.failed += expiries.failed;
    // After the sweep: a file retention just removed is not reminded of.
    let run = deps.reminders.run(REMINDER_READ).await?;
    summary.reminded = run.written.len();
    summary.failed += run.failed;
    tracing::info!(
        reminded = summary.reminded,
        expiries_announced = summary.expiries_announced,
        expired = summary.expired,
        scan_timeouts = summary.scan_timeouts,
        purged = summary.purged,
        retained = summary.retained,
        cleaned = summary.cleaned,
        finished = summary.finished,
        failed = summary.failed,
        "janitor run"
    );
    Ok(summary)
}
