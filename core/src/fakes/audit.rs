//! [`MemAudit`]: the audit trail as a list in memory, in append order; [`MemAuditStore`]: the
//! chain's store in memory.

use std::sync::Mutex;

use async_trait::async_trait;

use super::lock::lock;
use crate::CoreError;
use crate::audit::{AuditEntry, AuditEvent, AuditQuery, AuditStore, AuditTrail, Head};

#[derive(Default)]
pub struct MemAudit {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemAudit {
    /// Everything appended so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        lock(&self.events).clone()
    }
}

#[async_trait]
impl AuditTrail for MemAudit {
    async fn append(&self, event: AuditEvent) -> Result<(), CoreError> {
        lock(&self.events).push(event);
        Ok(())
    }
}

/// [`AuditStore`] in memory: the chain as a list, its head the last entry.
#[derive(Default)]
pub struct MemAuditStore {
    entries: Mutex<Vec<AuditEntry>>,
}

#[async_trait]
impl AuditStore for MemAuditStore {
    async fn head(&self) -> Result<Option<Head>, CoreError> {
        Ok(lock(&self.entries).last().map(AuditEntry::head))
    }

    async fn append_after(&self, entry: &AuditEntry) -> Result<bool, CoreError> {
        let mut entries = lock(&self.entries);
        let head = entries.last().map_or_else(Head::genesis, AuditEntry::head);
        if entry.seq != head.seq + 1 || entry.prev_hash != head.hash {
            return Ok(false);
        }
        entries.push(entry.clone());
        Ok(true)
    }

    async fn page(
        &self,
        q: &AuditQuery,
        after: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, Option<u64>), CoreError> {
        let entries = lock(&self.entries);
        let beyond = |e: &&AuditEntry| match (after, q.newest_first) {
            (None, _) => true,
            (Some(a), true) => e.seq < a,
            (Some(a), false) => e.seq > a,
        };
        let mut found: Vec<AuditEntry> = if q.newest_first {
            entries
                .iter()
                .rev()
                .filter(beyond)
                .filter(|e| q.matches(e))
                .take(limit + 1)
                .cloned()
                .collect()
        } else {
            entries
                .iter()
                .filter(beyond)
                .filter(|e| q.matches(e))
                .take(limit + 1)
                .cloned()
                .collect()
        };
        let more = found.len() > limit;
        found.truncate(limit);
        let next = if more {
            found.last().map(|e| e.seq)
        } else {
            None
        };
        Ok((found, next))
    }

    async fn entry(&self, seq: u64) -> Result<Option<AuditEntry>, CoreError> {
        Ok(lock(&self.entries).iter().find(|e| e.seq == seq).cloned())
    }
}
