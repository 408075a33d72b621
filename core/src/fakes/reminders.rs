//! The reminders' store of [`MemLedger`]: markers beside the files and links, the reminder
//! entries in their own outbox list, written all or nothing under the ledger's locks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemLedger;
use super::lock::lock;
use crate::links::Link;
use crate::reminders::{Marked, Reminder, ReminderLedger};
use crate::{CoreError, FileRecord, FileStatus};

fn link_marker(l: &Link) -> String {
    format!("link#{}#{}", l.owner, l.id)
}

fn file_marker(f: &FileRecord) -> String {
    format!("file#{}#{}", f.owner, f.id)
}

#[async_trait]
impl ReminderLedger for MemLedger {
    async fn links_expiring(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Marked<Link>>, CoreError> {
        let marks = lock(&self.reminded);
        let links = lock(&self.links);
        let mut out: Vec<Marked<Link>> = links
            .0
            .values()
            .filter(|l| !l.revoked && l.expires_at > now && l.expires_at <= until)
            .map(|l| Marked {
                reminded_for: marks.get(&link_marker(l)).copied(),
                item: l.clone(),
            })
            .collect();
        out.sort_by_key(|m| m.item.expires_at);
        out.truncate(limit);
        Ok(out)
    }

    async fn files_expiring(
        &self,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Marked<FileRecord>>, CoreError> {
        let marks = lock(&self.reminded);
        let st = lock(&self.state);
        let mut out: Vec<Marked<FileRecord>> =
            st.0.values()
                .filter(|f| !f.in_trash() && f.lifecycle.legal_hold.is_none())
                .filter(|f| f.lifecycle.delete_after.is_some_and(|d| d <= until))
                .map(|f| Marked {
                    reminded_for: marks.get(&file_marker(f)).copied(),
                    item: f.clone(),
                })
                .collect();
        out.sort_by_key(|m| m.item.lifecycle.delete_after);
        out.truncate(limit);
        Ok(out)
    }

    async fn write_reminder(&self, r: &Reminder) -> Result<bool, CoreError> {
        let mut marks = lock(&self.reminded);
        let st = lock(&self.state);
        let links = lock(&self.links);
        let mut set = Vec::new();
        for l in &r.links {
            let cur = links.0.get(&(r.owner.clone(), l.link.clone()));
            let Some(cur) = cur.filter(|c| {
                !c.revoked
                    && c.uploads_used == 0
                    && c.pending_bytes == 0
                    && c.expires_at == l.expires_at
            }) else {
                return Ok(false);
            };
            let k = link_marker(cur);
            if marks.get(&k) == Some(&l.expires_at) {
                return Ok(false);
            }
            set.push((k, l.expires_at));
        }
        for f in &r.files {
            let cur = st.0.get(&(r.owner.clone(), f.file.clone()));
            let Some(cur) = cur.filter(|c| {
                c.status == FileStatus::Accepted
                    && !c.in_trash()
                    && c.lifecycle.legal_hold.is_none()
                    && c.lifecycle.delete_after == Some(f.delete_after)
            }) else {
                return Ok(false);
            };
            let k = file_marker(cur);
            if marks.get(&k) == Some(&f.delete_after) {
                return Ok(false);
            }
            set.push((k, f.delete_after));
        }
        marks.extend(set);
        lock(&self.reminders).push(r.clone());
        Ok(true)
    }
}
