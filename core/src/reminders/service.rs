//! One run of the reminders: read the candidates, keep what the rules say is due, group by
//! owner, write one reminder per owner (its entry and its markers, atomically).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{
    ExpiringFile, MAX_ITEMS, Reminder, ReminderLedger, file_due, file_window_end, link_due,
    link_window_end,
};
use crate::clock::Clock;
use crate::notify::LinkFacts;
use crate::{CoreError, OwnerId, Settings};

#[derive(Clone)]
pub struct Reminders {
    pub ledger: Arc<dyn ReminderLedger>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

/// What one run wrote.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReminderRun {
    /// The reminders written (one per owner).
    pub written: Vec<Reminder>,
    /// Owners whose reminder was not written (changed meanwhile or a store failure): the next
    /// run reads them again.
    pub failed: usize,
}

#[derive(Default)]
struct Gathered {
    to: Option<String>,
    links: Vec<LinkFacts>,
    files: Vec<ExpiringFile>,
}

impl Gathered {
    fn len(&self) -> usize {
        self.links.len() + self.files.len()
    }
}

impl Reminders {
    /// Reads at most `limit` links and `limit` files, and writes one reminder per owner.
    pub async fn run(&self, limit: usize) -> Result<ReminderRun, CoreError> {
        let now = self.clock.now();
        let mut by_owner: BTreeMap<OwnerId, Gathered> = BTreeMap::new();
        let links = self
            .ledger
            .links_expiring(now, link_window_end(now), limit)
            .await?;
        for m in links.iter().filter(|m| link_due(m, now)) {
            let l = &m.item;
            let g = by_owner.entry(l.owner.clone()).or_default();
            if g.len() >= MAX_ITEMS {
                continue;
            }
            g.to = g.to.take().or_else(|| l.owner_email.clone());
            g.links.push(LinkFacts {
                link: l.id.clone(),
                label: l.label.clone(),
                max_uploads: l.max_uploads,
                uploads_used: l.uploads_used,
                expires_at: l.expires_at,
            });
        }
        let days = self.settings.retention_notice_days;
        if days > 0 {
            let files = self
                .ledger
                .files_expiring(file_window_end(now, days), limit)
                .await?;
            for m in files.iter().filter(|m| file_due(m, now, days)) {
                let f = &m.item;
                let g = by_owner.entry(f.owner.clone()).or_default();
                if g.len() >= MAX_ITEMS {
                    continue;
                }
                g.to = g.to.take().or_else(|| f.owner_email.clone());
                g.files.push(ExpiringFile {
                    file: f.id.clone(),
                    name: f.name.clone(),
                    size: f.size,
                    // file_due holds only files with one.
                    delete_after: f.lifecycle.delete_after.unwrap_or(now),
                });
            }
        }
        let mut run = ReminderRun::default();
        for (owner, g) in by_owner {
            let r = Reminder {
                id: Reminder::key(now, &owner),
                owner,
                to: g.to,
                at: now,
                links: g.links,
                files: g.files,
            };
            match self.ledger.write_reminder(&r).await {
                Ok(true) => {
                    tracing::info!(owner = %r.owner, entry = %r.id, links = r.links.len(), files = r.files.len(), decision = "reminded", "expiry reminder written");
                    run.written.push(r);
                }
                Ok(false) => {
                    tracing::info!(owner = %r.owner, decision = "reminder_changed", "items changed meanwhile; left for the next run");
                    run.failed += 1;
                }
                Err(e) => {
                    tracing::warn!(owner = %r.owner, error = %e, "reminder not written; left for the next run");
                    run.failed += 1;
                }
            }
        }
        Ok(run)
    }
}
