//! The shares store's contract: what every [`ShareStore`] must do, written once and run against
//! both the in-memory fake (the test below) and the DynamoDB adapter on the emulator
//! (`local/tests/stack/infra_shares.rs`), so that tests on the fake say something about
//! production. Each check uses owners and share ids of its own (`<prefix>-...`), so the checks
//! can share a store with other tests.
//!
//! Times are at millisecond precision (what stores keep); a download entry's `expires_at` is a
//! TTL, kept to the second.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
pub use futures_util::future::BoxFuture;

use crate::notify::{EventType, LifecycleEntry, OutboxEntry, ShareNotice};
use crate::shares::{DownloadCount, DownloadEntry, Share, ShareStore};
use crate::time::rfc3339;
use crate::{FileId, FileRecord, OwnerId, ShareId, tokens};

/// What the checks need to see beyond the port: the outbox entries counted downloads wrote.
/// (A boxed future rather than `async_trait`, so that implementors need no macro crate.)
pub trait Announced: Send + Sync {
    /// The outbox entries written for `owner`'s files, in id order.
    fn announced<'a>(&'a self, owner: &'a OwnerId) -> BoxFuture<'a, Vec<OutboxEntry>>;
    /// The entries of `owner`'s shares' own life (created, exhausted, revoked), in id order.
    fn lifecycle<'a>(&'a self, owner: &'a OwnerId) -> BoxFuture<'a, Vec<LifecycleEntry>>;
}

impl Announced for crate::fakes::MemShares {
    fn announced<'a>(&'a self, owner: &'a OwnerId) -> BoxFuture<'a, Vec<OutboxEntry>> {
        let mut all: Vec<OutboxEntry> = self
            .announced
            .lock()
            .unwrap()
            .iter()
            .filter(|e| &e.file.owner == owner)
            .cloned()
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Box::pin(async move { all })
    }

    fn lifecycle<'a>(&'a self, owner: &'a OwnerId) -> BoxFuture<'a, Vec<LifecycleEntry>> {
        self.lifecycle_of(owner)
    }
}

pub(super) fn owner(prefix: &str, name: &str) -> OwnerId {
    OwnerId::parse(&format!("{prefix}-{name}")).unwrap_or_else(|_| panic!("owner {prefix}"))
}

pub(crate) fn share_id(prefix: &str, id: &str) -> ShareId {
    ShareId::parse(&format!("{prefix}-{id}")).unwrap_or_else(|_| panic!("share {prefix}"))
}

pub(super) fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or_else(|_| panic!("{t} truncates"))
}

/// A plain share of `owner`'s `file`: no label, password, limit or mail, an hour to live.
pub(crate) fn share(owner: &OwnerId, id: ShareId, file: &str, now: DateTime<Utc>) -> Share {
    Share {
        token_hash: tokens::hash(&format!("token-of-{id}")),
        token_sealed: None,
        id,
        owner: owner.clone(),
        file_id: FileId::parse(file).unwrap_or_else(|_| panic!("file {file}")),
        label: None,
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
        max_downloads: None,
        downloads: 0,
        password_hash: None,
        notify_owner: false,
        owner_email: None,
        revoked: false,
        mailed_at: None,
        failures: 0,
        locked_until: None,
        version: None,
    }
}

/// The file a share's announcements carry.
pub(super) fn file_of(sh: &Share, now: DateTime<Utc>) -> FileRecord {
    let mut f = FileRecord::pending(
        sh.file_id.clone(),
        sh.owner.clone(),
        "report ✓.pdf".into(),
        42,
        "application/pdf".into(),
        now,
        std::time::Duration::from_secs(900),
    );
    f.owner_email = sh.owner_email.clone();
    f
}

/// One download of `sh` at `at`, `n` telling it apart from others at the same time.
pub(super) fn entry(sh: &Share, at: DateTime<Utc>, n: usize) -> DownloadEntry {
    DownloadEntry {
        share: sh.id.clone(),
        key: format!("{}#{n:04}", rfc3339(at)),
        at,
        user_agent: "Firefox".into(),
        source_ip: None,
        expires_at: None,
    }
}

pub(super) fn announcement(sh: &Share, e: &DownloadEntry, mail: bool) -> OutboxEntry {
    let file = file_of(sh, e.at);
    OutboxEntry {
        id: format!(
            "{}#{}#{}#{}",
            rfc3339(e.at),
            file.id,
            EventType::FileDownloaded.as_str(),
            e.key
        ),
        event: EventType::FileDownloaded,
        file,
        at: e.at,
        share: Some(ShareNotice {
            share: sh.id.clone(),
            label: sh.label.clone(),
            downloads_left: sh.max_downloads.map(|m| m.saturating_sub(sh.downloads + 1)),
            mail,
            locked_until: None,
        }),
    }
}

pub(super) async fn count(
    s: &dyn ShareStore,
    sh: &Share,
    now: DateTime<Utc>,
    e: &DownloadEntry,
    claim_mail: bool,
    announce: Option<&OutboxEntry>,
) -> bool {
    // As the service counts: the last download with its `share.exhausted` entry; a count
    // lost to another (the count moved) reads the share again, while it is still open.
    let mut read = sh.clone();
    loop {
        let exhausted = LifecycleEntry::exhausted_by_next(&read, now);
        let counted = s
            .count_download(&DownloadCount {
                share: &read,
                now,
                entry: e,
                claim_mail,
                announce,
                exhausted: exhausted.as_ref(),
            })
            .await
            .unwrap_or_else(|err| panic!("count_download {}: {err:?}", sh.id));
        if counted {
            return true;
        }
        match s.get_share(&sh.owner, &sh.id).await.unwrap() {
            Some(again)
                if again.downloads != read.downloads
                    && again.state(now) == crate::shares::ShareState::Active
                    && (!claim_mail || again.mailed_at == sh.mailed_at) =>
            {
                read = again
            }
            _ => return false,
        }
    }
}

pub(super) async fn stored(s: &dyn ShareStore, sh: &Share) -> Share {
    s.get_share(&sh.owner, &sh.id)
        .await
        .expect("get_share")
        .unwrap_or_else(|| panic!("share {} is stored", sh.id))
}

pub(super) async fn keys(s: &dyn ShareStore, sh: &Share) -> Vec<String> {
    let page = s
        .list_downloads(&sh.id, 1000, None)
        .await
        .expect("list_downloads");
    page.downloads.into_iter().map(|d| d.key).collect()
}

fn ids(shares: &[Share]) -> Vec<String> {
    shares.iter().map(|s| s.id.to_string()).collect()
}

/// Every check, each on owners and shares of its own under `prefix`.
pub async fn check_all(s: &dyn ShareStore, a: &dyn Announced, prefix: &str, now: DateTime<Utc>) {
    stores_finds_lists_and_revokes(s, prefix, now).await;
    counts_up_to_the_limit_and_no_further(s, a, prefix, now).await;
    refuses_expired_revoked_and_missing_shares(s, a, prefix, now).await;
    claims_the_mail_only_while_it_is_unclaimed(s, a, prefix, now).await;
    lists_downloads_newest_first(s, prefix, now).await;
}

pub async fn stores_finds_lists_and_revokes(s: &dyn ShareStore, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    let prefix = &format!("{prefix}-store");
    let (ada, bob) = (owner(prefix, "ada"), owner(prefix, "bob"));
    // s01..s05 of Ada's, on f1 (odd) and f2 (even); the first with every optional field.
    let mut mine = Vec::new();
    for i in 1..=5 {
        let mut sh = share(
            &ada,
            share_id(prefix, &format!("s0{i}")),
            if i % 2 == 1 { "f1" } else { "f2" },
            now,
        );
        if i == 1 {
            sh.label = Some("for the auditors ✓".into());
            sh.max_downloads = Some(3);
            sh.downloads = 1;
            sh.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
            sh.notify_owner = true;
            sh.owner_email = Some("ada@example.com".into());
            sh.mailed_at = Some(now - TimeDelta::minutes(20));
            sh.expires_at = now + TimeDelta::days(7);
        }
        s.put_share(&sh).await.expect("put_share");
        mine.push(sh);
    }
    // Bob's, on a file with the same id as Ada's f1.
    let theirs = share(&bob, share_id(prefix, "s09"), "f1", now);
    s.put_share(&theirs).await.expect("put_share");

    // Round trip, and nothing across owners.
    for sh in mine.iter().chain([&theirs]) {
        assert_eq!(
            s.get_share(&sh.owner, &sh.id).await.unwrap().as_ref(),
            Some(sh),
            "{}",
            sh.id
        );
    }
    assert!(s.get_share(&bob, &mine[0].id).await.unwrap().is_none());
    assert!(
        s.get_share(&ada, &share_id(prefix, "s99"))
            .await
            .unwrap()
            .is_none()
    );

    // By the token's hash.
    assert_eq!(
        s.find_share(&mine[2].token_hash).await.unwrap().as_ref(),
        Some(&mine[2])
    );
    assert_eq!(
        s.find_share(&theirs.token_hash).await.unwrap().as_ref(),
        Some(&theirs)
    );
    assert!(
        s.find_share(&tokens::hash("no such token"))
            .await
            .unwrap()
            .is_none()
    );

    // Newest first (ids are time-ordered), in pages.
    let p = s.list_shares(&ada, None, 2, None).await.unwrap();
    assert_eq!(ids(&p.shares), [mine[4].id.as_str(), mine[3].id.as_str()]);
    assert_eq!(p.next_after.as_ref(), Some(&mine[3].id));
    let p = s
        .list_shares(&ada, None, 2, p.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!(ids(&p.shares), [mine[2].id.as_str(), mine[1].id.as_str()]);
    assert_eq!(p.next_after.as_ref(), Some(&mine[1].id));
    let p = s
        .list_shares(&ada, None, 2, p.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!((p.shares.as_slice(), p.next_after), (&mine[..1], None));
    let p = s.list_shares(&ada, None, 5, None).await.unwrap();
    let newest_first: Vec<Share> = mine.iter().rev().cloned().collect();
    assert_eq!((p.shares, p.next_after), (newest_first, None));
    let p = s.list_shares(&bob, None, 100, None).await.unwrap();
    assert_eq!((p.shares, p.next_after), (vec![theirs.clone()], None));

    // One file's, in pages; never another owner's shares of a file with the same id.
    let f1 = FileId::parse("f1").unwrap();
    let p = s.list_shares(&ada, Some(&f1), 2, None).await.unwrap();
    assert_eq!(ids(&p.shares), [mine[4].id.as_str(), mine[2].id.as_str()]);
    assert_eq!(p.next_after.as_ref(), Some(&mine[2].id));
    let p = s
        .list_shares(&ada, Some(&f1), 2, p.next_after.as_ref())
        .await
        .unwrap();
    assert_eq!((p.shares.as_slice(), p.next_after), (&mine[..1], None));
    let f2 = FileId::parse("f2").unwrap();
    let p = s.list_shares(&ada, Some(&f2), 10, None).await.unwrap();
    assert_eq!(ids(&p.shares), [mine[3].id.as_str(), mine[1].id.as_str()]);
    let p = s.list_shares(&bob, Some(&f1), 10, None).await.unwrap();
    assert_eq!(p.shares, vec![theirs.clone()]);
    let f3 = FileId::parse("f3").unwrap();
    assert!(
        s.list_shares(&ada, Some(&f3), 10, None)
            .await
            .unwrap()
            .shares
            .is_empty()
    );

    // Revocation: idempotent, only the owner's, never creates a share.
    assert!(s.revoke_share(&ada, &mine[1].id).await.unwrap());
    assert!(s.revoke_share(&ada, &mine[1].id).await.unwrap());
    let revoked = stored(s, &mine[1]).await;
    assert!(revoked.revoked);
    assert_eq!(
        Share {
            revoked: false,
            ..revoked
        },
        mine[1],
        "only the flag changed"
    );
    assert!(!s.revoke_share(&bob, &mine[0].id).await.unwrap());
    assert!(!stored(s, &mine[0]).await.revoked);
    assert!(s.get_share(&bob, &mine[0].id).await.unwrap().is_none());
    let s99 = share_id(prefix, "s99");
    assert!(!s.revoke_share(&ada, &s99).await.unwrap());
    assert!(s.get_share(&ada, &s99).await.unwrap().is_none());
    assert_eq!(
        s.list_shares(&ada, None, 100, None)
            .await
            .unwrap()
            .shares
            .len(),
        5
    );
}

pub async fn counts_up_to_the_limit_and_no_further(
    s: &dyn ShareStore,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-limit");
    let ada = owner(prefix, "ada");
    let mut capped = share(&ada, share_id(prefix, "s01"), "f1", now);
    capped.max_downloads = Some(2);
    capped.notify_owner = true;
    s.put_share(&capped).await.unwrap();

    // Counted twice from the same (stale) copy, then refused: the store holds the count.
    let mut written = Vec::new();
    let mut announced = Vec::new();
    for i in 0..3 {
        let at = now + TimeDelta::seconds(i);
        let e = entry(&capped, at, i as usize);
        let ann = announcement(&capped, &e, false);
        let counted = count(s, &capped, at, &e, false, Some(&ann)).await;
        assert_eq!(counted, i < 2, "download {i} of a share of 2");
        if counted {
            written.push(e.key.clone());
            announced.push(ann);
        }
    }
    let after = stored(s, &capped).await;
    assert_eq!((after.downloads, after.downloads_left()), (2, Some(0)));
    assert_eq!(
        Share {
            downloads: 0,
            ..after
        },
        capped,
        "only the count changed"
    );
    written.reverse();
    assert_eq!(
        keys(s, &capped).await,
        written,
        "the log holds the counted downloads only"
    );
    assert_eq!(
        a.announced(&ada).await,
        announced,
        "the outbox holds the counted downloads' entries only"
    );

    // Unlimited, and nothing to announce: counts every time, writes no outbox entry.
    let bob = owner(prefix, "bob");
    let open = share(&bob, share_id(prefix, "s02"), "f2", now);
    s.put_share(&open).await.unwrap();
    for i in 0..5 {
        assert!(count(s, &open, now, &entry(&open, now, i), false, None).await);
    }
    assert_eq!(stored(s, &open).await.downloads, 5);
    assert_eq!(keys(s, &open).await.len(), 5);
    assert!(a.announced(&bob).await.is_empty());
}

pub async fn refuses_expired_revoked_and_missing_shares(
    s: &dyn ShareStore,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-closed");
    let ada = owner(prefix, "ada");

    /// Refused, and nothing written: no count, no log entry, no outbox entry.
    async fn refused(
        s: &dyn ShareStore,
        a: &dyn Announced,
        sh: &Share,
        at: DateTime<Utc>,
        n: usize,
    ) {
        let before = s.get_share(&sh.owner, &sh.id).await.unwrap();
        let (log, out) = (keys(s, sh).await, a.announced(&sh.owner).await);
        let e = entry(sh, at, n);
        let ann = announcement(sh, &e, false);
        assert!(
            !count(s, sh, at, &e, false, Some(&ann)).await,
            "{} at {at}",
            sh.id
        );
        assert_eq!(s.get_share(&sh.owner, &sh.id).await.unwrap(), before);
        assert_eq!(keys(s, sh).await, log, "{}: no log entry", sh.id);
        assert_eq!(a.announced(&sh.owner).await, out, "{}: no outbox", sh.id);
    }

    // Expired: at its expiry and after; a millisecond before, it counts.
    let mut expiring = share(&ada, share_id(prefix, "s01"), "f1", now);
    expiring.notify_owner = true;
    s.put_share(&expiring).await.unwrap();
    refused(s, a, &expiring, expiring.expires_at, 1).await;
    refused(
        s,
        a,
        &expiring,
        expiring.expires_at + TimeDelta::seconds(1),
        2,
    )
    .await;
    let last = expiring.expires_at - TimeDelta::milliseconds(1);
    assert!(count(s, &expiring, last, &entry(&expiring, last, 3), false, None).await);
    let mut old = share(&ada, share_id(prefix, "s02"), "f1", now);
    old.expires_at = now - TimeDelta::seconds(1);
    s.put_share(&old).await.unwrap();
    refused(s, a, &old, now, 4).await;

    // Revoked after the caller read it.
    let revoked = share(&ada, share_id(prefix, "s03"), "f1", now);
    s.put_share(&revoked).await.unwrap();
    assert!(s.revoke_share(&ada, &revoked.id).await.unwrap());
    refused(s, a, &revoked, now, 5).await;

    // Gone (or never there): refused, and not created by the attempt.
    let missing = share(&ada, share_id(prefix, "s04"), "f1", now);
    refused(s, a, &missing, now, 6).await;
    assert!(s.get_share(&ada, &missing.id).await.unwrap().is_none());
}

pub async fn claims_the_mail_only_while_it_is_unclaimed(
    s: &dyn ShareStore,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-mail");
    let ada = owner(prefix, "ada");
    let mut sh = share(&ada, share_id(prefix, "s01"), "f1", now);
    sh.notify_owner = true;
    sh.owner_email = Some("ada@example.com".into());
    s.put_share(&sh).await.unwrap();

    // The first download claims the mail: mailed_at is its time.
    let t1 = now + TimeDelta::seconds(1);
    let e1 = entry(&sh, t1, 1);
    let a1 = announcement(&sh, &e1, true);
    assert!(count(s, &sh, t1, &e1, true, Some(&a1)).await);
    assert_eq!(stored(s, &sh).await.mailed_at, Some(t1));

    // A concurrent one that read the share before that claim loses it, and writes nothing ...
    let t2 = now + TimeDelta::seconds(2);
    let e2 = entry(&sh, t2, 2);
    let a2 = announcement(&sh, &e2, true);
    assert!(!count(s, &sh, t2, &e2, true, Some(&a2)).await);
    let after = stored(s, &sh).await;
    assert_eq!((after.downloads, after.mailed_at), (1, Some(t1)));
    assert_eq!(keys(s, &sh).await, vec![e1.key.clone()]);
    assert_eq!(a.announced(&ada).await, vec![a1.clone()]);
    // ... and counts without the claim, leaving mailed_at alone.
    let a2 = announcement(&sh, &e2, false);
    assert!(count(s, &sh, t2, &e2, false, Some(&a2)).await);
    assert_eq!(stored(s, &sh).await.mailed_at, Some(t1));

    // A claim from a copy that saw the last claim succeeds (its mailed_at is still current).
    let fresh = stored(s, &sh).await;
    let t3 = now + TimeDelta::minutes(11);
    let e3 = entry(&fresh, t3, 3);
    let a3 = announcement(&fresh, &e3, true);
    assert!(count(s, &fresh, t3, &e3, true, Some(&a3)).await);
    let after = stored(s, &sh).await;
    assert_eq!((after.downloads, after.mailed_at), (3, Some(t3)));
    // The stale copy (mailed_at t1) and the very first one (none) both lost it now.
    let t4 = now + TimeDelta::minutes(30);
    assert!(!count(s, &fresh, t4, &entry(&sh, t4, 4), true, None).await);
    assert!(!count(s, &sh, t4, &entry(&sh, t4, 5), true, None).await);
    assert_eq!(stored(s, &sh).await.downloads, 3);
    assert_eq!(a.announced(&ada).await, vec![a1, a2, a3]);
}

pub async fn lists_downloads_newest_first(s: &dyn ShareStore, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    let prefix = &format!("{prefix}-log");
    let ada = owner(prefix, "ada");
    let sh = share(&ada, share_id(prefix, "s01"), "f1", now);
    let other = share(&ada, share_id(prefix, "s02"), "f1", now);
    for x in [&sh, &other] {
        s.put_share(x).await.unwrap();
    }
    let mut written = Vec::new();
    for i in 0..5 {
        let at = now + TimeDelta::milliseconds(250 * i);
        let mut e = entry(&sh, at, i as usize);
        if i % 2 == 0 {
            // With the address, and so with its (whole-second) removal time.
            e.user_agent = "Chrome".into();
            e.source_ip = Some(format!("198.51.100.{i}"));
            let keep = (at + TimeDelta::days(30)).timestamp();
            e.expires_at = DateTime::from_timestamp(keep, 0);
        }
        assert!(count(s, &sh, at, &e, false, None).await);
        written.push(e);
    }
    assert!(count(s, &other, now, &entry(&other, now, 9), false, None).await);
    written.reverse();

    let p = s.list_downloads(&sh.id, 2, None).await.unwrap();
    assert_eq!(p.downloads, written[..2]);
    assert_eq!(p.next_after.as_deref(), Some(written[1].key.as_str()));
    let p = s
        .list_downloads(&sh.id, 2, p.next_after.as_deref())
        .await
        .unwrap();
    assert_eq!(p.downloads, written[2..4]);
    assert_eq!(p.next_after.as_deref(), Some(written[3].key.as_str()));
    let p = s
        .list_downloads(&sh.id, 2, p.next_after.as_deref())
        .await
        .unwrap();
    assert_eq!(
        (p.downloads.as_slice(), p.next_after),
        (&written[4..], None)
    );
    let p = s.list_downloads(&sh.id, 5, None).await.unwrap();
    assert_eq!((p.downloads, p.next_after), (written, None));
    assert!(
        s.list_downloads(&share_id(prefix, "s99"), 10, None)
            .await
            .unwrap()
            .downloads
            .is_empty()
    );
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
        super::super::share_lockout::check_all(&mem, &mem, "mem", now).await;
    }
}
