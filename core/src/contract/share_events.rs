//! The shares store's contract, continued (see [`super::shares`]): downloads racing for a
//! share's last one, and the outbox entries of a share's own life (`share.created`,
//! `share.exhausted`, `share.revoked`), each written once with its change.

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use super::shares::{
    Announced, BoxFuture, announcement, count, entry, keys, ms, owner, share, share_id, stored,
};
use crate::OwnerId;
use crate::notify::{EventType, LifecycleEntry, OutboxEntry};
use crate::shares::{DownloadEntry, ShareStore};

/// Every check of this part; run after [`super::shares::check_all`] on the same store.
pub async fn check_all(s: &dyn ShareStore, a: &dyn Announced, prefix: &str, now: DateTime<Utc>) {
    counts_concurrent_downloads_exactly_to_the_limit(s, a, prefix, now).await;
    announces_creation_and_revocation_once(s, a, prefix, now).await;
}

impl crate::fakes::MemShares {
    /// The fake's side of [`Announced::lifecycle`].
    pub(super) fn lifecycle_of<'a>(
        &'a self,
        owner: &'a OwnerId,
    ) -> BoxFuture<'a, Vec<LifecycleEntry>> {
        let mut all: Vec<LifecycleEntry> = self
            .lifecycle
            .lock()
            .unwrap()
            .iter()
            .filter(|e| &e.owner == owner)
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Box::pin(async move { all })
    }
}

pub async fn counts_concurrent_downloads_exactly_to_the_limit(
    s: &dyn ShareStore,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-race");
    let ada = owner(prefix, "ada");
    let mut sh = share(&ada, share_id(prefix, "s01"), "f1", now);
    sh.max_downloads = Some(3);
    sh.notify_owner = true;
    s.put_share(&sh).await.unwrap();

    let entries: Vec<DownloadEntry> = (0..20).map(|i| entry(&sh, now, i)).collect();
    let announcements: Vec<OutboxEntry> = entries
        .iter()
        .map(|e| announcement(&sh, e, false))
        .collect();
    let counted: Vec<bool> = join_all(
        entries
            .iter()
            .zip(&announcements)
            .map(|(e, ann)| count(s, &sh, now, e, false, Some(ann))),
    )
    .await;
    let winners: Vec<usize> = (0..20).filter(|&i| counted[i]).collect();
    assert_eq!(winners.len(), 3, "20 concurrent downloads of a share of 3");
    assert_eq!(stored(s, &sh).await.downloads, 3);
    let mut logged = keys(s, &sh).await;
    logged.sort();
    let won: Vec<String> = winners.iter().map(|&i| entries[i].key.clone()).collect();
    assert_eq!(logged, won, "the winners' log entries, and only theirs");
    let out: Vec<String> = a.announced(&ada).await.into_iter().map(|e| e.id).collect();
    let mut won: Vec<String> = winners
        .iter()
        .map(|&i| announcements[i].id.clone())
        .collect();
    won.sort();
    assert_eq!(out, won, "the winners' outbox entries, and only theirs");
    // Created once, exhausted once: by the download that took the last one.
    let life: Vec<(EventType, Option<u32>)> = a
        .lifecycle(&ada)
        .await
        .into_iter()
        .map(|e| match e.subject {
            crate::notify::Subject::Share(f) => (e.event, Some(f.downloads)),
            crate::notify::Subject::Link(_) => (e.event, None),
        })
        .collect();
    assert_eq!(
        life,
        vec![
            (EventType::ShareCreated, Some(0)),
            (EventType::ShareExhausted, Some(3))
        ]
    );
}

/// A share's own life in the outbox: `share.created` with its put, `share.revoked` with its
/// first revocation only, nothing for a share of another owner.
pub async fn announces_creation_and_revocation_once(
    s: &dyn ShareStore,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-life");
    let (ada, bob) = (owner(prefix, "ada"), owner(prefix, "bob"));
    let sh = share(&ada, share_id(prefix, "s01"), "f1", now);
    s.put_share(&sh).await.unwrap();
    let created = a.lifecycle(&ada).await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0],
        LifecycleEntry::of_share(EventType::ShareCreated, &sh, sh.created_at)
    );
    assert!(!s.revoke_share(&bob, &sh.id).await.unwrap());
    assert!(s.revoke_share(&ada, &sh.id).await.unwrap());
    assert!(s.revoke_share(&ada, &sh.id).await.unwrap());
    let life = a.lifecycle(&ada).await;
    let events: Vec<EventType> = life.iter().map(|e| e.event).collect();
    assert_eq!(
        events,
        vec![EventType::ShareCreated, EventType::ShareRevoked]
    );
    assert!(a.lifecycle(&bob).await.is_empty());
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::fakes::MemShares;

    #[tokio::test]
    async fn the_in_memory_store_keeps_the_contract() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        let mem = MemShares::default();
        check_all(&mem, &mem, "mem", now).await;
    }
}
