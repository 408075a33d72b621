//! The reminders' store contract ([`ReminderLedger`]): candidates come with their marker, a
//! reminder's entry and its markers are written all or nothing, a marker is of a time (a file
//! whose `delete_after` moved is a candidate again), and nothing changed since it was read is
//! marked. Run against the in-memory fake (`core/tests/contract.rs`) and the DynamoDB adapter
//! (`local/tests/stack/infra_reminders.rs`); owners of its own, time queries filtered to them.

use chrono::{DateTime, TimeDelta, Utc};

use super::link_fixtures::{link, link_id, ms};
use super::trash::accepted;
use crate::files::Ledger;
use crate::links::LinkStore;
use crate::notify::LinkFacts;
use crate::reminders::{ExpiringFile, Reminder, ReminderLedger};
use crate::{FileId, FileRecord, LinkId, OwnerId};

/// The ports under test: one store seen as the three it implements.
#[derive(Clone, Copy)]
pub struct Stores<'a> {
    pub ledger: &'a dyn Ledger,
    pub links: &'a dyn LinkStore,
    pub reminders: &'a dyn ReminderLedger,
}

async fn links_of(
    s: Stores<'_>,
    o: &OwnerId,
    now: DateTime<Utc>,
) -> Vec<(LinkId, Option<DateTime<Utc>>)> {
    let mut v: Vec<_> = s
        .reminders
        .links_expiring(now, now + TimeDelta::hours(24), 1000)
        .await
        .expect("links_expiring")
        .into_iter()
        .filter(|m| &m.item.owner == o)
        .map(|m| (m.item.id, m.reminded_for))
        .collect();
    v.sort();
    v
}

async fn files_of(
    s: Stores<'_>,
    o: &OwnerId,
    until: DateTime<Utc>,
) -> Vec<(FileId, Option<DateTime<Utc>>)> {
    let mut v: Vec<_> = s
        .reminders
        .files_expiring(until, 1000)
        .await
        .expect("files_expiring")
        .into_iter()
        .filter(|m| &m.item.owner == o)
        .map(|m| (m.item.id, m.reminded_for))
        .collect();
    v.sort();
    v
}

fn facts(f: &FileRecord, at: DateTime<Utc>) -> ExpiringFile {
    ExpiringFile {
        file: f.id.clone(),
        name: f.name.clone(),
        size: f.size,
        delete_after: at,
    }
}

pub async fn check_all(s: Stores<'_>, prefix: &str, now: DateTime<Utc>) {
    let now = ms(now);
    let o = OwnerId::parse(&format!("{prefix}-reminders")).expect("owner");
    // Links: one expiring within a day, one later.
    let mut soon = link(&o, link_id(prefix, "rem-soon"), 3, None, now);
    soon.expires_at = now + TimeDelta::hours(10);
    let mut later = link(&o, link_id(prefix, "rem-later"), 3, None, now);
    later.expires_at = now + TimeDelta::hours(30);
    s.links.put_link(&soon).await.expect("put");
    s.links.put_link(&later).await.expect("put");
    assert_eq!(
        links_of(s, &o, now).await,
        [(soon.id.clone(), None)],
        "within the day, never reminded"
    );
    // Files: one due within three days, one later, one with no retention.
    let f1 = accepted(s.ledger, &o, &format!("{prefix}-rem-f1"), 10, now).await;
    let f2 = accepted(s.ledger, &o, &format!("{prefix}-rem-f2"), 10, now).await;
    let f3 = accepted(s.ledger, &o, &format!("{prefix}-rem-f3"), 10, now).await;
    let d1 = now + TimeDelta::days(2);
    let d3 = now + TimeDelta::days(2) + TimeDelta::hours(1);
    assert!(s.ledger.set_delete_after(&f1, Some(d1)).await.expect("set"));
    let far = now + TimeDelta::days(10);
    assert!(
        s.ledger
            .set_delete_after(&f2, Some(far))
            .await
            .expect("set")
    );
    assert!(s.ledger.set_delete_after(&f3, Some(d3)).await.expect("set"));
    let until = now + TimeDelta::days(3);
    assert_eq!(
        files_of(s, &o, until).await,
        [(f1.id.clone(), None), (f3.id.clone(), None)]
    );

    let r = Reminder {
        id: Reminder::key(now, &o),
        owner: o.clone(),
        to: Some("o@example.com".into()),
        at: now,
        links: vec![LinkFacts {
            link: soon.id.clone(),
            label: soon.label.clone(),
            max_uploads: soon.max_uploads,
            uploads_used: 0,
            expires_at: soon.expires_at,
        }],
        files: vec![facts(&f1, d1)],
    };
    assert!(s.reminders.write_reminder(&r).await.expect("write"));
    assert_eq!(
        links_of(s, &o, now).await,
        [(soon.id.clone(), Some(soon.expires_at))],
        "marked with the expiry it reminded of"
    );
    assert_eq!(
        files_of(s, &o, until).await,
        [(f1.id.clone(), Some(d1)), (f3.id.clone(), None)]
    );
    // Once: the same reminder again (a repeated run) writes nothing.
    let again = Reminder {
        id: Reminder::key(now + TimeDelta::minutes(5), &o),
        at: now + TimeDelta::minutes(5),
        ..r.clone()
    };
    assert!(!s.reminders.write_reminder(&again).await.expect("write"));

    // All or nothing: f3 is fine but f1 is already marked of d1, so f3 stays unmarked.
    let mixed = Reminder {
        links: vec![],
        files: vec![facts(&f3, d3), facts(&f1, d1)],
        ..again.clone()
    };
    assert!(!s.reminders.write_reminder(&mixed).await.expect("write"));
    assert_eq!(files_of(s, &o, until).await[1], (f3.id.clone(), None));

    // A reminder of a time the file no longer has writes nothing.
    let stale = Reminder {
        links: vec![],
        files: vec![facts(&f3, d3 + TimeDelta::hours(1))],
        ..again.clone()
    };
    assert!(!s.reminders.write_reminder(&stale).await.expect("write"));

    // delete_after moved: the old marker no longer matches, so it can be reminded again.
    let d1b = d1 + TimeDelta::hours(5);
    assert!(
        s.ledger
            .set_delete_after(&f1, Some(d1b))
            .await
            .expect("set")
    );
    let moved = Reminder {
        links: vec![],
        files: vec![facts(&f1, d1b)],
        ..again.clone()
    };
    assert!(s.reminders.write_reminder(&moved).await.expect("write"));
    assert_eq!(files_of(s, &o, until).await[0], (f1.id.clone(), Some(d1b)));
}
