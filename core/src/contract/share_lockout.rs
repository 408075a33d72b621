//! The shares store's contract for password lockouts: wrong passwords counted atomically
//! from every caller, the lock written by exactly one of them with its outbox entry, and
//! counting open again once the lock ends. Run, like the rest of the shares contract, on the
//! in-memory fake and on the DynamoDB adapter (`local/tests/stack/infra_shares.rs`).

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;

use super::shares::{Announced, file_of, ms, owner, share, share_id, stored};
use crate::notify::{EventType, OutboxEntry, ShareNotice};
use crate::shares::{Share, ShareLock, ShareStore};
use crate::time::rfc3339;

fn lock_entry(sh: &Share, at: DateTime<Utc>, until: DateTime<Utc>) -> OutboxEntry {
    let file = file_of(sh, at);
    OutboxEntry {
        id: format!(
            "{}#{}#{}#{}",
            rfc3339(at),
            file.id,
            EventType::ShareLocked.as_str(),
            sh.id
        ),
        event: EventType::ShareLocked,
        file,
        at,
        share: Some(ShareNotice {
            share: sh.id.clone(),
            label: sh.label.clone(),
            downloads_left: sh.downloads_left(),
            mail: true,
            locked_until: Some(until),
        }),
    }
}

async fn fail(s: &dyn ShareStore, sh: &Share, at: DateTime<Utc>) -> Option<u32> {
    s.add_failure(&sh.owner, &sh.id, at)
        .await
        .unwrap_or_else(|e| panic!("add_failure {}: {e:?}", sh.id))
}

async fn lock(
    s: &dyn ShareStore,
    sh: &Share,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    max_failures: u32,
    announce: &OutboxEntry,
) -> bool {
    s.lock_share(&ShareLock {
        share: sh,
        now,
        until,
        max_failures,
        announce,
    })
    .await
    .unwrap_or_else(|e| panic!("lock_share {}: {e:?}", sh.id))
}

/// Every check, each on owners and shares of its own under `prefix`.
pub async fn check_all(s: &dyn ShareStore, a: &dyn Announced, prefix: &str, now: DateTime<Utc>) {
    keeps_the_count_and_the_lock(s, prefix, now).await;
    counts_failures_and_locks_once_until_the_lock_ends(s, a, prefix, now).await;
    counts_concurrent_failures_and_one_lock_wins(s, a, prefix, now).await;
}

pub async fn keeps_the_count_and_the_lock(s: &dyn ShareStore, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    let prefix = &format!("{prefix}-lockrt");
    let ada = owner(prefix, "ada");
    let mut sh = share(&ada, share_id(prefix, "s01"), "f1", now);
    sh.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    sh.failures = 7;
    sh.locked_until = Some(now + TimeDelta::minutes(30));
    s.put_share(&sh).await.expect("put_share");
    assert_eq!(stored(s, &sh).await, sh);
    assert_eq!(s.find_share(&sh.token_hash).await.unwrap(), Some(sh));
}

pub async fn counts_failures_and_locks_once_until_the_lock_ends(
    s: &dyn ShareStore,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-lock");
    let ada = owner(prefix, "ada");
    let mut sh = share(&ada, share_id(prefix, "s01"), "f1", now);
    sh.owner_email = Some("ada@example.com".into());
    s.put_share(&sh).await.unwrap();

    for n in 1..=3 {
        assert_eq!(fail(s, &sh, now).await, Some(n));
    }
    let counted = stored(s, &sh).await;
    assert_eq!(
        Share {
            failures: 0,
            ..counted.clone()
        },
        sh,
        "only the count changed"
    );
    assert_eq!(counted.failures, 3);

    // Below the limit: no lock, nothing announced.
    let until = now + TimeDelta::hours(1);
    let entry = lock_entry(&sh, now, until);
    assert!(!lock(s, &sh, now, until, 4, &entry).await);
    assert_eq!(stored(s, &sh).await, counted);
    assert!(a.announced(&ada).await.is_empty());

    // At the limit: locked, the count reset, the entry written.
    assert!(lock(s, &sh, now, until, 3, &entry).await);
    let locked = stored(s, &sh).await;
    assert_eq!((locked.failures, locked.locked_until), (0, Some(until)));
    assert_eq!(a.announced(&ada).await, vec![entry.clone()]);

    // While locked: no failure counted, no second lock (even at a limit of one).
    let later = now + TimeDelta::minutes(59);
    assert_eq!(fail(s, &sh, later).await, None);
    let other = lock_entry(&sh, later, later + TimeDelta::hours(1));
    assert!(!lock(s, &sh, later, later + TimeDelta::hours(1), 1, &other).await);
    assert_eq!(stored(s, &sh).await, locked);
    assert_eq!(a.announced(&ada).await, vec![entry.clone()]);

    // Once the lock ends, counting starts again from zero, and a new lock can be written.
    assert_eq!(fail(s, &sh, until).await, Some(1));
    let again = until + TimeDelta::seconds(1);
    let until2 = again + TimeDelta::hours(1);
    let second = lock_entry(&sh, again, until2);
    assert!(lock(s, &sh, again, until2, 1, &second).await);
    assert_eq!(stored(s, &sh).await.locked_until, Some(until2));
    assert_eq!(a.announced(&ada).await, vec![entry, second]);

    // Gone (or never there): nothing counted, locked or created.
    let missing = share(&ada, share_id(prefix, "s09"), "f1", now);
    assert_eq!(fail(s, &missing, now).await, None);
    let e = lock_entry(&missing, now, until);
    assert!(!lock(s, &missing, now, until, 1, &e).await);
    assert!(s.get_share(&ada, &missing.id).await.unwrap().is_none());
    assert_eq!(a.announced(&ada).await.len(), 2);
}

pub async fn counts_concurrent_failures_and_one_lock_wins(
    s: &dyn ShareStore,
    a: &dyn Announced,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-lockrace");
    let ada = owner(prefix, "ada");
    let sh = share(&ada, share_id(prefix, "s01"), "f1", now);
    s.put_share(&sh).await.unwrap();

    let mut counts: Vec<u32> = join_all((0..20).map(|_| fail(s, &sh, now)))
        .await
        .into_iter()
        .map(|n| n.expect("counted while not locked"))
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        (1..=20).collect::<Vec<u32>>(),
        "every failure counted once"
    );

    let until = now + TimeDelta::hours(1);
    let entries: Vec<OutboxEntry> = (0..10)
        .map(|i| lock_entry(&sh, now + TimeDelta::milliseconds(i), until))
        .collect();
    let won: Vec<bool> = join_all(entries.iter().map(|e| lock(s, &sh, now, until, 20, e))).await;
    let winners: Vec<usize> = (0..10).filter(|&i| won[i]).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one of 10 concurrent locks wins: {won:?}"
    );
    assert_eq!(
        a.announced(&ada).await,
        vec![entries[winners[0]].clone()],
        "the winner's entry, and only it"
    );
}
