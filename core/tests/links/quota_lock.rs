//! No quota lock through a link: a drop that sends nothing is released within the idle window,
//! the bytes pending through one link are capped (`link_busy` with the wait), and expiries give
//! a use back a bounded number of times.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use dropgate_core::clock::Clock;
use dropgate_core::files::{OwnerLedger, Reservation};
use dropgate_core::links::{DropService, LinkState, NewLink};
use dropgate_core::{CoreError, ErrorKind, FileId, FileRecord, FileStatus};

use crate::world::*;

/// The owner's own upload of `size` bytes, straight through the ledger's quota check.
async fn owner_upload(w: &World, id: &str, size: u64) -> Reservation {
    let f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        owner(),
        "mine.pdf".into(),
        size,
        "application/pdf".into(),
        w.clock.now(),
        Duration::from_secs(600),
    );
    w.ledger.create_pending(&f, QUOTA).await.unwrap()
}

fn idle_world(idle_secs: u64) -> World {
    world_with(dropgate_core::Settings {
        max_file_size: QUOTA,
        drop_idle: Duration::from_secs(idle_secs),
        ..settings()
    })
}

#[tokio::test]
async fn a_silent_drop_of_the_whole_quota_is_released_within_the_idle_window_and_gives_back_a_bounded_number_of_times()
 {
    // Two minutes of silence: far shorter than the URL's 10 minutes plus 5 of grace.
    let w = idle_world(120);
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(1),
            ..new_link("one try")
        },
    )
    .await;
    for round in 1..=4u32 {
        let d = drop_file(&w, &token, upload("all.pdf", QUOTA, "application/pdf"))
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        assert_eq!(usage(&w).await, (0, QUOTA, 1), "round {round}");
        assert_eq!(
            owner_upload(&w, &format!("mine-{round}a"), 1).await,
            Reservation::QuotaExceeded,
            "the drop holds the whole quota"
        );
        // Just before the window ends nothing moves; just after, the janitor releases it.
        w.clock.advance(TimeDelta::seconds(119));
        assert!(w.janitor.sweep(10).await.unwrap().expired.is_empty());
        w.clock.advance(TimeDelta::seconds(2));
        let sweep = w.janitor.sweep(10).await.unwrap();
        assert_eq!(sweep.expired.len(), 1, "round {round}");
        let r = record(&w, &d.file.id).await;
        assert_eq!(
            (r.status, r.reason.as_deref()),
            (FileStatus::Expired, Some("upload_timeout"))
        );
        assert_eq!(usage(&w).await, (0, 0, 0), "round {round}: released");
        let mine = format!("mine-{round}b");
        assert_eq!(
            owner_upload(&w, &mine, QUOTA).await,
            Reservation::Reserved,
            "the owner can upload again"
        );
        let f = record(&w, &mine).await;
        assert!(w.ledger.remove_file(&f, None).await.unwrap());
        let l = stored(&w, &id).await;
        assert_eq!(l.pending_bytes, 0);
        if round <= 3 {
            assert_eq!(
                (l.uploads_used, l.givebacks, l.state(w.clock.now())),
                (0, round, LinkState::Active),
                "expiry {round} of 3 gives the use back"
            );
        } else {
            assert_eq!(
                (l.uploads_used, l.givebacks, l.state(w.clock.now())),
                (1, 3, LinkState::UsedUp),
                "past LINK_GIVEBACKS an expiry keeps the use"
            );
        }
    }
    assert_eq!(
        code(drop_file(&w, &token, upload("again.pdf", 10, "application/pdf")).await),
        "link_used_up"
    );
}

#[tokio::test]
async fn link_givebacks_come_from_the_setting_when_the_link_is_made() {
    let w = world_with(dropgate_core::Settings {
        link_givebacks: 0,
        ..settings()
    });
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(1),
            ..new_link("no second try")
        },
    )
    .await;
    drop_file(&w, &token, upload("a.pdf", 10, "application/pdf"))
        .await
        .unwrap();
    w.clock.advance(TimeDelta::minutes(16));
    assert_eq!(w.janitor.sweep(10).await.unwrap().expired.len(), 1);
    let l = stored(&w, &id).await;
    assert_eq!((l.uploads_used, l.givebacks, l.max_givebacks), (1, 0, 0));
}

#[tokio::test]
async fn pending_bytes_past_the_links_limit_are_link_busy_with_the_wait() {
    let w = world();
    let (token, id) = link(
        &w,
        NewLink {
            max_uploads: Some(10),
            max_file_bytes: Some(800),
            max_pending_bytes: Some(1_000),
            ..new_link("busy")
        },
    )
    .await;
    let first = drop_file(&w, &token, upload("a.pdf", 600, "application/pdf"))
        .await
        .unwrap();
    w.clock.advance(TimeDelta::seconds(100));
    let e = drop_file(&w, &token, upload("b.pdf", 500, "application/pdf"))
        .await
        .unwrap_err();
    // Released 900 s (DROP_IDLE_SECS) after it was made: 800 s from now.
    assert_eq!(
        e,
        CoreError::LinkBusy {
            retry_after_secs: 800
        }
    );
    assert_eq!((e.code(), e.kind()), ("link_busy", ErrorKind::Conflict));
    assert_eq!(used(&w, &id).await, (1, 600), "a busy drop takes nothing");
    assert_eq!(usage(&w).await, (0, 600, 1));
    // What fits the pending room still goes.
    let second = drop_file(&w, &token, upload("c.pdf", 400, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(stored(&w, &id).await.pending_bytes, 1_000);

    // A verdict releases the first drop's pending bytes (its quota stays used).
    settle(&w, &first.file.id, pdf(600)).await;
    assert_eq!(
        record(&w, &first.file.id).await.status,
        FileStatus::Accepted
    );
    assert_eq!(stored(&w, &id).await.pending_bytes, 400);
    let third = drop_file(&w, &token, upload("d.pdf", 500, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(stored(&w, &id).await.pending_bytes, 900);

    // The owner deleting a pending drop releases it too.
    let r = record(&w, &second.file.id).await;
    assert!(w.ledger.remove_file(&r, None).await.unwrap());
    assert_eq!(stored(&w, &id).await.pending_bytes, 500);
    // And so does an expiry.
    w.clock.advance(TimeDelta::minutes(16));
    assert_eq!(w.janitor.sweep(10).await.unwrap().expired.len(), 1);
    assert_eq!(record(&w, &third.file.id).await.status, FileStatus::Expired);
    assert_eq!(stored(&w, &id).await.pending_bytes, 0);
    assert_eq!(stored(&w, &id).await.view(w.clock.now()).pending_bytes, 0);
}

#[tokio::test]
async fn a_file_larger_than_the_pending_limit_is_too_large_not_busy() {
    let w = world();
    let (token, _) = link(
        &w,
        NewLink {
            max_pending_bytes: Some(300),
            ..new_link("small")
        },
    )
    .await;
    assert_eq!(w.drops.info(&token, SRC).await.unwrap().max_file_bytes, 300);
    assert_eq!(
        drop_file(&w, &token, upload("a.pdf", 301, "application/pdf"))
            .await
            .unwrap_err(),
        CoreError::DropTooLarge {
            size: 301,
            max: 300
        }
    );
}

#[tokio::test]
async fn two_drops_racing_for_the_pending_room_do_not_both_pass() {
    let w = world();
    let (token, id) = link(&w, new_link("race")).await;
    let l = stored(&w, &id).await;
    assert_eq!(l.max_pending_bytes, MAX_FILE, "default: the per-file limit");
    let mut rival = FileRecord::pending(
        FileId::parse("frival").unwrap(),
        owner(),
        "rival.pdf".into(),
        700,
        "application/pdf".into(),
        t0(),
        Duration::from_secs(600),
    );
    rival.link = Some(dropgate_core::files::LinkOrigin {
        link_id: l.id.clone(),
        label: l.label.clone(),
        allowed_types: l.allowed_types.clone(),
        uploader: None,
    });
    let drops = DropService {
        links: Arc::new(crate::race::Racing::new(w.ledger.clone(), rival)),
        ..w.drops.clone()
    };
    // This drop read the link with nothing pending; the rival's 700 landed first.
    let e = drops
        .upload(&token, SRC, upload("mine.pdf", 600, "application/pdf"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "link_busy", "{e:?}");
    assert_eq!(stored(&w, &id).await.pending_bytes, 700);
    assert_eq!(used(&w, &id).await, (1, 700));
}

#[tokio::test]
async fn a_multipart_drop_keeps_its_reservation_while_it_asks_for_parts() {
    let w = world_with(dropgate_core::Settings {
        max_file_size: 50 << 20,
        quota_bytes: 100 << 20,
        single_put_max_bytes: 5 << 20,
        ..settings()
    });
    let (token, id) = link(&w, new_link("big")).await;
    let size: u64 = 12 << 20;
    let d = w
        .drops
        .upload(&token, SRC, upload("big.pdf", size, "application/pdf"))
        .await
        .unwrap();
    let made = record(&w, &d.file.id).await;
    assert_eq!(made.upload_expires_at, t0() + TimeDelta::minutes(10));
    // Every 9 minutes, a part URL: the deadline follows, an hour later it still holds.
    for _ in 0..7 {
        w.clock.advance(TimeDelta::minutes(9));
        w.drops.presign_parts(&d.receipt, SRC, &[1]).await.unwrap();
        assert!(w.janitor.sweep(10).await.unwrap().expired.is_empty());
    }
    let now = w.clock.now();
    assert_eq!(
        record(&w, &d.file.id).await.upload_expires_at,
        now + TimeDelta::minutes(10)
    );
    assert_eq!(stored(&w, &id).await.pending_bytes, size);
    // Silent again: released one idle window later.
    w.clock
        .advance(TimeDelta::minutes(15) + TimeDelta::seconds(1));
    assert_eq!(w.janitor.sweep(10).await.unwrap().expired.len(), 1);
    assert_eq!(stored(&w, &id).await.pending_bytes, 0);
    assert_eq!(usage(&w).await.1, 0);
}
