//! The owner's edits and removals, for both stores: an edit writes the settings of a live
//! link or share and nothing else, and only while it is live; a removal takes only an ended
//! one. A sealed token is kept as given.

use chrono::{DateTime, TimeDelta, Utc};

use super::link_fixtures::{Stores, link, link_id, ms, owner as link_owner};
use super::shares::{owner as share_owner, share, share_id, stored};
use crate::links::Link;
use crate::shares::ShareStore;

async fn stored_link(s: Stores<'_>, l: &Link) -> Option<Link> {
    s.links.get_link(&l.owner, &l.id).await.expect("get_link")
}

pub async fn links_are_edited_while_live_and_removed_once_ended(
    s: Stores<'_>,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-edit");
    let (ada, bob) = (link_owner(prefix, "ada"), link_owner(prefix, "bob"));
    let mut live = link(&ada, link_id(prefix, "live"), 10, Some(5000), now);
    live.uploads_used = 2;
    live.bytes_used = 300;
    live.token_sealed = Some("sealed-bytes-of-live".into());
    s.links.put_link(&live).await.unwrap();
    assert_eq!(
        stored_link(s, &live).await.as_ref(),
        Some(&live),
        "sealed token kept"
    );

    let edited = Link {
        label: "renamed ✓".into(),
        expires_at: now + TimeDelta::hours(5),
        max_uploads: 3,
        max_file_bytes: 777,
        max_total_bytes: None,
        max_pending_bytes: 999,
        allowed_types: crate::allowed::TypePolicy::only(["image/png"]),
        require_uploader_name: true,
        // The fixture's 30 days removed: the owner's default applies again.
        retain_days: None,
        // Counters and flags as the caller last read them: the store keeps its own.
        uploads_used: 0,
        bytes_used: 0,
        ..live.clone()
    };
    assert!(s.links.update_link(&edited, now).await.unwrap());
    let got = stored_link(s, &live).await.expect("still there");
    assert_eq!(
        got,
        Link {
            uploads_used: 2,
            bytes_used: 300,
            ..edited.clone()
        },
        "settings written, counters left, the total limit removed"
    );
    let kept = Link {
        retain_days: Some(365),
        ..edited.clone()
    };
    assert!(s.links.update_link(&kept, now).await.unwrap());
    let got = stored_link(s, &live).await.expect("still there");
    assert_eq!(got.retain_days, Some(365), "retention written");
    assert!(s.links.find_link(&live.token_hash).await.unwrap().is_some());

    // Another owner's, a missing one: nothing.
    let theirs = Link {
        owner: bob.clone(),
        ..edited.clone()
    };
    assert!(!s.links.update_link(&theirs, now).await.unwrap());
    assert!(stored_link(s, &theirs).await.is_none());
    assert!(!s.links.remove_link(&bob, &live.id, now).await.unwrap());

    // A live link is not removed.
    assert!(!s.links.remove_link(&ada, &live.id, now).await.unwrap());
    assert!(stored_link(s, &live).await.is_some());

    // Ended: revoked, expired, used up, out of bytes. Not edited; removed, once.
    let revoked = link(&ada, link_id(prefix, "revoked"), 10, None, now);
    s.links.put_link(&revoked).await.unwrap();
    s.links.revoke_link(&ada, &revoked.id, now).await.unwrap();
    let expired = Link {
        expires_at: now,
        ..link(&ada, link_id(prefix, "expired"), 10, None, now)
    };
    let used = Link {
        uploads_used: 4,
        ..link(&ada, link_id(prefix, "used"), 4, None, now)
    };
    let full = Link {
        bytes_used: 100,
        ..link(&ada, link_id(prefix, "full"), 4, Some(100), now)
    };
    for l in [&expired, &used, &full] {
        s.links.put_link(l).await.unwrap();
    }
    for l in [&revoked, &expired] {
        let change = Link {
            label: "changed".into(),
            ..l.clone()
        };
        assert!(
            !s.links.update_link(&change, now).await.unwrap(),
            "{}",
            l.id
        );
        assert_ne!(stored_link(s, l).await.unwrap().label, "changed");
    }
    for l in [&revoked, &expired, &used, &full] {
        assert!(
            s.links.remove_link(&ada, &l.id, now).await.unwrap(),
            "{}",
            l.id
        );
        assert!(stored_link(s, l).await.is_none(), "{} removed", l.id);
        assert!(
            !s.links.remove_link(&ada, &l.id, now).await.unwrap(),
            "again"
        );
    }
}

pub async fn shares_are_edited_while_live_and_removed_once_ended(
    s: &dyn ShareStore,
    prefix: &str,
    now: DateTime<Utc>,
) {
    let now = ms(now);
    let prefix = &format!("{prefix}-edit");
    let (ada, bob) = (share_owner(prefix, "ada"), share_owner(prefix, "bob"));
    let mut live = share(&ada, share_id(prefix, "live"), "f1", now);
    live.label = Some("label ✓".into());
    live.max_downloads = Some(5);
    live.downloads = 2;
    live.password_hash = Some("$argon2id$old".into());
    live.failures = 7;
    live.locked_until = Some(now + TimeDelta::minutes(5));
    live.token_sealed = Some("sealed-bytes-of-share".into());
    s.put_share(&live).await.unwrap();
    assert_eq!(stored(s, &live).await, live, "sealed token kept");

    // Without a new password: the password, its failures and lock stay.
    let edited = crate::shares::Share {
        label: None,
        max_downloads: None,
        notify_owner: true,
        expires_at: now + TimeDelta::hours(3),
        password_hash: None,
        failures: 0,
        locked_until: None,
        downloads: 0,
        ..live.clone()
    };
    assert!(s.update_share(&edited, now, false).await.unwrap());
    let got = stored(s, &live).await;
    assert_eq!(
        (
            got.label.clone(),
            got.max_downloads,
            got.notify_owner,
            got.expires_at
        ),
        (None, None, true, now + TimeDelta::hours(3))
    );
    assert_eq!(got.downloads, 2, "counters left");
    assert_eq!(got.password_hash.as_deref(), Some("$argon2id$old"));
    assert_eq!((got.failures, got.locked_until), (7, live.locked_until));

    // A new password clears the count and the lock; none removes it.
    let new_pw = crate::shares::Share {
        password_hash: Some("$argon2id$new".into()),
        ..got.clone()
    };
    assert!(s.update_share(&new_pw, now, true).await.unwrap());
    let got = stored(s, &live).await;
    assert_eq!(got.password_hash.as_deref(), Some("$argon2id$new"));
    assert_eq!((got.failures, got.locked_until), (0, None));
    let no_pw = crate::shares::Share {
        password_hash: None,
        ..got.clone()
    };
    assert!(s.update_share(&no_pw, now, true).await.unwrap());
    assert_eq!(stored(s, &live).await.password_hash, None);

    // Another owner's: nothing. A live one is not removed.
    let theirs = crate::shares::Share {
        owner: bob.clone(),
        ..no_pw.clone()
    };
    assert!(!s.update_share(&theirs, now, false).await.unwrap());
    assert!(!s.remove_share(&bob, &live.id, now).await.unwrap());
    assert!(!s.remove_share(&ada, &live.id, now).await.unwrap());

    // Ended: revoked, expired, out of downloads. Not edited; removed, once.
    let revoked = share(&ada, share_id(prefix, "revoked"), "f1", now);
    s.put_share(&revoked).await.unwrap();
    s.revoke_share(&ada, &revoked.id).await.unwrap();
    let expired = crate::shares::Share {
        expires_at: now,
        ..share(&ada, share_id(prefix, "expired"), "f1", now)
    };
    let spent = crate::shares::Share {
        max_downloads: Some(2),
        downloads: 2,
        ..share(&ada, share_id(prefix, "spent"), "f1", now)
    };
    s.put_share(&expired).await.unwrap();
    s.put_share(&spent).await.unwrap();
    for sh in [&revoked, &expired] {
        let change = crate::shares::Share {
            label: Some("changed".into()),
            ..sh.clone()
        };
        assert!(
            !s.update_share(&change, now, false).await.unwrap(),
            "{}",
            sh.id
        );
        assert_eq!(stored(s, sh).await.label, None);
    }
    for sh in [&revoked, &expired, &spent] {
        assert!(
            s.remove_share(&ada, &sh.id, now).await.unwrap(),
            "{}",
            sh.id
        );
        assert!(s.get_share(&ada, &sh.id).await.unwrap().is_none());
        assert!(!s.remove_share(&ada, &sh.id, now).await.unwrap(), "again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_in_memory_share_store_keeps_the_edit_contract() {
        let mem = crate::fakes::MemShares::default();
        shares_are_edited_while_live_and_removed_once_ended(&mem, "mem", Utc::now()).await;
    }
}
