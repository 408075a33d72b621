//! The accounts service over the fakes: the join, the own quota, the switch and its audit.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::{Directory, UserAdmin, UserPatch, UserStatus};
use crate::audit::ActorKind;
use crate::fakes::{FixedClock, MemAudit, MemDirectory, MemLedger, MemShares, MemStanding};
use crate::files::{OwnerLedger, Reservation};
use crate::standing::StandingStore;
use crate::{FileId, FileRecord, OwnerId, Settings};

struct World {
    admin: UserAdmin,
    directory: Arc<MemDirectory>,
    ledger: Arc<MemLedger>,
    standing: Arc<MemStanding>,
    audit: Arc<MemAudit>,
    clock: Arc<FixedClock>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn world() -> World {
    let directory = Arc::new(MemDirectory::default());
    let at = t0();
    directory.add("u-alice", "alice@example.com", at);
    directory.add("u-albert", "albert@example.com", at);
    directory.add("u-bob", "bob@example.com", at);
    let ledger = Arc::new(MemLedger::default());
    let standing = Arc::new(MemStanding::default());
    // The store keeps standing on the quota record: the page reads both at once.
    ledger.with_standing(standing.clone());
    let audit = Arc::new(MemAudit::default());
    // Half a second past t0: the stop's cut is the whole second.
    let clock = Arc::new(FixedClock::at(t0() + chrono::Duration::milliseconds(500)));
    let settings = Settings {
        quota_bytes: 1000,
        ..Settings::default()
    };
    let admin = UserAdmin {
        directory: directory.clone(),
        limits: ledger.clone(),
        links: ledger.clone(),
        shares: Arc::new(MemShares::default()),
        standing: standing.clone(),
        audit: audit.clone(),
        clock: clock.clone(),
        settings,
    };
    World {
        admin,
        directory,
        ledger,
        standing,
        audit,
        clock,
    }
}

fn owner(id: &str) -> OwnerId {
    OwnerId::parse(id).unwrap()
}

#[tokio::test]
async fn accounts_are_found_by_email_prefix_with_what_they_hold() {
    let w = world();
    let f = FileRecord::pending(
        FileId::parse("f1").unwrap(),
        owner("u-alice"),
        "a.png".into(),
        300,
        "image/png".into(),
        Utc::now(),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(
        w.ledger.create_pending(&f, 1000).await.unwrap(),
        Reservation::Reserved
    );
    let page = w.admin.list(Some("al"), None, Some("1")).await.unwrap();
    assert_eq!(page.users.len(), 1);
    assert_eq!(page.users[0].email, "albert@example.com");
    let next = page.next_cursor.expect("a second page");
    let page = w.admin.list(Some("al"), Some(&next), None).await.unwrap();
    let alice = &page.users[0];
    assert_eq!(alice.email, "alice@example.com");
    assert_eq!(
        (
            alice.quota_bytes,
            alice.quota_custom,
            alice.reserved_bytes,
            alice.files
        ),
        (1000, false, 300, 1)
    );
    assert_eq!(alice.status, UserStatus::Active);
    assert_eq!(page.next_cursor, None);
    assert_eq!(
        w.admin
            .list(Some("a\"b"), None, None)
            .await
            .unwrap_err()
            .code(),
        "invalid_query"
    );
}

#[tokio::test]
async fn an_unknown_or_impossible_id_is_not_found() {
    let w = world();
    for id in ["u-nobody", "../x", ""] {
        assert_eq!(w.admin.get(id).await.unwrap_err().code(), "not_found");
    }
}

#[tokio::test]
async fn the_own_quota_and_the_switch_are_set_and_audited_by_id() {
    let w = world();
    let admin = owner("u-admin");
    let patch = UserPatch::parse(json!({"quota_bytes": 5000})).unwrap();
    let u = w.admin.update(&admin, "u-bob", &patch).await.unwrap();
    assert_eq!((u.quota_bytes, u.quota_custom), (5000, true));

    let stop = UserPatch::parse(json!({"disabled": true})).unwrap();
    let u = w.admin.update(&admin, "u-bob", &stop).await.unwrap();
    assert_eq!(u.status, UserStatus::Disabled);
    let stopped = w.standing.standing(&owner("u-bob")).await.unwrap();
    assert!(stopped.disabled);
    // Signed out everywhere too: a token taken before the stop stays refused after it.
    assert_eq!(stopped.signed_out_at, Some(t0()));
    assert_eq!(w.directory.sign_outs.lock().unwrap()[&owner("u-bob")], 1);

    let back = UserPatch::parse(json!({"disabled": false, "quota_bytes": null})).unwrap();
    let u = w.admin.update(&admin, "u-bob", &back).await.unwrap();
    assert_eq!(u.status, UserStatus::Active);
    assert_eq!((u.quota_bytes, u.quota_custom), (1000, false));
    let back = w.standing.standing(&owner("u-bob")).await.unwrap();
    assert!(!back.disabled);
    assert_eq!(
        back.refusal(t0() - chrono::Duration::seconds(1)),
        Some(crate::standing::Refusal::Revoked)
    );
    assert_eq!(back.refusal(t0()), None);

    let events = w.audit.events();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.quota_changed",
            "user.disabled",
            "user.quota_changed",
            "user.enabled"
        ]
    );
    for e in &events {
        assert_eq!(e.actor.kind, ActorKind::Admin);
        assert_eq!(e.actor.id, "u-admin");
        assert_eq!(
            (e.target.kind.as_str(), e.target.id.as_str()),
            ("user", "u-bob")
        );
        assert!(
            !e.detail.to_string().contains('@'),
            "no address: {}",
            e.detail
        );
    }
    assert_eq!(
        events[0].detail,
        json!({"quota_bytes": 5000, "custom": true})
    );
}

#[tokio::test]
async fn an_admin_cannot_stop_their_own_account() {
    let w = world();
    let stop = UserPatch::parse(json!({"disabled": true, "quota_bytes": 5000})).unwrap();
    let e = w
        .admin
        .update(&owner("u-bob"), "u-bob", &stop)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            crate::CoreError::Conflict {
                code: "own_account",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        w.standing.standing(&owner("u-bob")).await.unwrap(),
        Default::default()
    );
    assert!(w.audit.events().is_empty());
    // Their own quota is theirs to set, and they may restore themselves.
    let quota = UserPatch::parse(json!({"quota_bytes": 5000, "disabled": false})).unwrap();
    w.admin
        .update(&owner("u-bob"), "u-bob", &quota)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_patch_that_changes_nothing_is_answered_and_not_audited() {
    let w = world();
    let admin = owner("u-admin");
    let patch = |v| UserPatch::parse(v).unwrap();
    // The default is no own quota, the account active: nothing to change, nothing recorded.
    let u = w
        .admin
        .update(
            &admin,
            "u-bob",
            &patch(json!({"quota_bytes": null, "disabled": false})),
        )
        .await
        .unwrap();
    assert_eq!(
        (u.quota_bytes, u.quota_custom, u.status),
        (1000, false, UserStatus::Active)
    );
    assert!(w.audit.events().is_empty());

    // A real change is one entry; the same change again is none.
    let own = patch(json!({"quota_bytes": 5000}));
    w.admin.update(&admin, "u-bob", &own).await.unwrap();
    let u = w.admin.update(&admin, "u-bob", &own).await.unwrap();
    assert_eq!((u.quota_bytes, u.quota_custom), (5000, true));
    let stop = patch(json!({"disabled": true}));
    w.admin.update(&admin, "u-bob", &stop).await.unwrap();
    w.clock.advance(chrono::Duration::seconds(5));
    let u = w.admin.update(&admin, "u-bob", &stop).await.unwrap();
    assert_eq!(u.status, UserStatus::Disabled);
    // The second stop moves no cut (the first stop's holds); it only repeats the directory's
    // idempotent side, which finishes a first stop whose sign-out failed.
    let standing = w.standing.standing(&owner("u-bob")).await.unwrap();
    assert_eq!(standing.signed_out_at, Some(t0()));
    assert_eq!(w.directory.sign_outs.lock().unwrap()[&owner("u-bob")], 2);
    let actions: Vec<String> = w.audit.events().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["user.quota_changed", "user.disabled"]);

    // Of a patch with both, only what changes is recorded.
    w.admin
        .update(
            &admin,
            "u-bob",
            &patch(json!({"quota_bytes": 5000, "disabled": false})),
        )
        .await
        .unwrap();
    let actions: Vec<String> = w.audit.events().into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        ["user.quota_changed", "user.disabled", "user.enabled"]
    );
}

#[tokio::test]
async fn a_default_sized_own_quota_is_a_change_from_the_default() {
    let w = world();
    let set = UserPatch::parse(json!({"quota_bytes": 1000})).unwrap();
    let u = w
        .admin
        .update(&owner("u-admin"), "u-bob", &set)
        .await
        .unwrap();
    // The same bytes, but the account's own now: it no longer follows the default.
    assert_eq!((u.quota_bytes, u.quota_custom), (1000, true));
    assert_eq!(w.audit.events().len(), 1);
}

#[tokio::test]
async fn a_stop_left_half_done_is_finished_and_audited() {
    let w = world();
    // The standing was written, the directory never reached (an AWS failure in between).
    w.standing
        .set_disabled(&owner("u-bob"), true)
        .await
        .unwrap();
    let stop = UserPatch::parse(json!({"disabled": true})).unwrap();
    w.admin
        .update(&owner("u-admin"), "u-bob", &stop)
        .await
        .unwrap();
    assert!(
        !w.directory
            .user(&owner("u-bob"))
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
    let actions: Vec<String> = w.audit.events().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["user.disabled"]);
}
