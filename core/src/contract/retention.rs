//! Retention's part of the ledger's contract: a file's `delete_after` is stored with it, set
//! and removed; `due_retention` finds live files whose time came (at that instant, not a
//! second before) and never one in the trash; a restore keeps the time it is given. Run against
//! the in-memory fake (`core/tests/contract.rs`) and the DynamoDB adapter
//! (`local/tests/stack/infra_adapters.rs`); owners of its own, time queries filtered to them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::files::Ledger;
use crate::{FileId, FileRecord, OwnerId};

async fn due(l: &dyn Ledger, o: &OwnerId, now: DateTime<Utc>) -> Vec<String> {
    let mut ids: Vec<String> = l
        .due_retention(now, 1000)
        .await
        .expect("due")
        .into_iter()
        .filter(|f| &f.owner == o)
        .map(|f| f.id.to_string())
        .collect();
    ids.sort();
    ids
}

async fn stored(l: &dyn Ledger, o: &OwnerId, id: &FileId) -> Option<DateTime<Utc>> {
    l.get_file(o, id)
        .await
        .expect("get")
        .expect("there")
        .lifecycle
        .delete_after
}

pub async fn check_all(l: &dyn Ledger, prefix: &str, now: DateTime<Utc>) {
    // Whole milliseconds: what the stored RFC 3339 keeps.
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).expect("now");
    let o = OwnerId::parse(&format!("{prefix}-retention")).expect("owner");
    let file = |id: &str, at: Option<DateTime<Utc>>| {
        let mut f = FileRecord::pending(
            FileId::parse(&format!("{prefix}-ret-{id}")).expect("id"),
            o.clone(),
            format!("{id}.png"),
            10,
            "image/png".into(),
            now,
            Duration::from_secs(600),
        );
        f.lifecycle.delete_after = at;
        f
    };
    let soon = now + chrono::Duration::hours(1);
    let a = file("a", Some(soon));
    let b = file("b", Some(soon + chrono::Duration::hours(1)));
    let c = file("c", None);
    for f in [&a, &b, &c] {
        l.create_pending(f, 1 << 30).await.expect("create");
    }
    assert_eq!(
        stored(l, &o, &a.id).await,
        Some(soon),
        "stored with the file"
    );
    assert_eq!(stored(l, &o, &c.id).await, None);
    assert!(due(l, &o, now).await.is_empty());
    assert!(
        due(l, &o, soon - chrono::Duration::seconds(1))
            .await
            .is_empty(),
        "not a second early"
    );
    assert_eq!(due(l, &o, soon).await, [a.id.to_string()]);
    let later = soon + chrono::Duration::days(1);
    assert_eq!(
        due(l, &o, later).await,
        [a.id.to_string(), b.id.to_string()]
    );

    // Set, moved, removed.
    assert!(l.set_delete_after(&c, Some(soon)).await.expect("set"));
    assert_eq!(stored(l, &o, &c.id).await, Some(soon));
    assert!(l.set_delete_after(&b, None).await.expect("remove"));
    assert_eq!(stored(l, &o, &b.id).await, None);
    assert_eq!(
        due(l, &o, later).await,
        [a.id.to_string(), c.id.to_string()]
    );
    let gone = file("gone", None);
    assert!(!l.set_delete_after(&gone, Some(soon)).await.expect("absent"));

    // A file in the trash is never due for retention; a restore keeps the time it is given.
    assert!(l.trash_retained(&a, soon).await.expect("trash"));
    assert_eq!(due(l, &o, later).await, [c.id.to_string()]);
    let mut trashed = l.get_file(&o, &a.id).await.expect("get").expect("there");
    assert!(
        !l.set_delete_after(&trashed, Some(later))
            .await
            .expect("in the trash")
    );
    trashed.lifecycle.delete_after = Some(later);
    assert!(
        l.restore_file(&trashed, now - chrono::Duration::days(1))
            .await
            .expect("restore")
    );
    assert_eq!(stored(l, &o, &a.id).await, Some(later));
    assert_eq!(
        due(l, &o, later).await,
        [a.id.to_string(), c.id.to_string()]
    );
    let mut again = l.get_file(&o, &a.id).await.expect("get").expect("there");
    assert!(l.trash_retained(&again, later).await.expect("trash"));
    again.lifecycle.trashed_at = Some(later);
    again.lifecycle.delete_after = None;
    assert!(
        l.restore_file(&again, now - chrono::Duration::days(1))
            .await
            .expect("restore")
    );
    assert_eq!(stored(l, &o, &a.id).await, None);
    assert_eq!(due(l, &o, later).await, [c.id.to_string()]);
}
