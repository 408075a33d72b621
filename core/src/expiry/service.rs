//! One run of the expiry announcements: the due links, then the due shares, each closed in
//! its own transaction (a failure leaves it for the next run).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{LinkExpiries, Outcome, ShareExpiries, link_outcome, share_outcome};
use crate::CoreError;
use crate::clock::Clock;
use crate::notify::{EventType, LifecycleEntry};

#[derive(Clone)]
pub struct Expiries {
    pub links: Arc<dyn LinkExpiries>,
    pub shares: Arc<dyn ShareExpiries>,
    pub clock: Arc<dyn Clock>,
}

/// What one run wrote.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExpiryRun {
    /// The `link.expired` and `share.expired` entries written.
    pub announced: Vec<LifecycleEntry>,
    /// Revoked, used up or exhausted: closed without an entry.
    pub passed_over: usize,
    /// Links and shares given their index attribute by the one-off backfill.
    pub backfilled: usize,
    /// Changed meanwhile or a store failure: the next run reads them again.
    pub failed: usize,
}

impl ExpiryRun {
    fn record(
        &mut self,
        what: &str,
        id: &str,
        entry: Option<LifecycleEntry>,
        r: Result<bool, CoreError>,
    ) {
        match (r, entry) {
            (Ok(true), Some(e)) => {
                tracing::info!(owner = %e.owner, entry = %e.id, decision = "expiry_announced", "{what} expiry announced");
                self.announced.push(e);
            }
            (Ok(true), None) => {
                tracing::info!(item = %id, decision = "expiry_passed_over", "{what} expired after it ended; nothing to announce");
                self.passed_over += 1;
            }
            (Ok(false), _) => {
                tracing::info!(item = %id, decision = "expiry_changed", "{what} changed meanwhile; left for the next run");
                self.failed += 1;
            }
            (Err(e), _) => {
                tracing::warn!(item = %id, error = %e, "{what} expiry not written; left for the next run");
                self.failed += 1;
            }
        }
    }
}

impl Expiries {
    /// Backfills once, then closes at most `limit` due links and `limit` due shares.
    pub async fn run(&self, limit: usize) -> Result<ExpiryRun, CoreError> {
        let now = self.clock.now();
        let mut run = ExpiryRun::default();
        run.backfilled += self.links.backfill_links(now).await?;
        run.backfilled += self.shares.backfill_shares(now).await?;
        self.links_pass(now, limit, &mut run).await?;
        self.shares_pass(now, limit, &mut run).await?;
        Ok(run)
    }

    async fn links_pass(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        run: &mut ExpiryRun,
    ) -> Result<(), CoreError> {
        for l in self.links.links_expired(now, limit).await? {
            let entry = match link_outcome(&l, now) {
                Outcome::NotDue => continue,
                Outcome::PassOver => None,
                // At the link's own expiry: the event's time is when it happened.
                Outcome::Announce => Some(LifecycleEntry::of_link(
                    EventType::LinkExpired,
                    &l,
                    l.expires_at,
                )),
            };
            let r = self.links.close_link(&l, entry.as_ref()).await;
            run.record("link", l.id.as_str(), entry, r);
        }
        Ok(())
    }

    async fn shares_pass(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        run: &mut ExpiryRun,
    ) -> Result<(), CoreError> {
        for s in self.shares.shares_expired(now, limit).await? {
            let entry = match share_outcome(&s, now) {
                Outcome::NotDue => continue,
                Outcome::PassOver => None,
                Outcome::Announce => Some(LifecycleEntry::of_share(
                    EventType::ShareExpired,
                    &s,
                    s.expires_at,
                )),
            };
            let r = self.shares.close_share(&s, entry.as_ref()).await;
            run.record("share", s.id.as_str(), entry, r);
        }
        Ok(())
    }
}
