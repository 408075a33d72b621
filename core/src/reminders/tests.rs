//! The reminders over the fakes, with a clock the tests move.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::contract::link_fixtures::{link, link_id};
use crate::fakes::{FixedClock, MemLedger};
use crate::files::{FileLookup, OwnerLedger, Settlement, Settling};
use crate::links::LinkStore;
use crate::notify::EventType;
use crate::{FileId, OwnerId, Settings};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

struct World {
    mem: Arc<MemLedger>,
    clock: Arc<FixedClock>,
    reminders: Reminders,
}

fn world() -> World {
    let mem = Arc::new(MemLedger::default());
    let clock = Arc::new(FixedClock::at(t0()));
    let reminders = Reminders {
        ledger: mem.clone(),
        clock: clock.clone(),
        settings: Settings::default(),
    };
    World {
        mem,
        clock,
        reminders,
    }
}

fn owner(s: &str) -> OwnerId {
    OwnerId::parse(s).unwrap()
}

async fn put_link(w: &World, o: &OwnerId, id: &str, left: TimeDelta) -> crate::links::Link {
    let mut l = link(o, link_id("t", id), 3, None, t0());
    l.expires_at = t0() + left;
    w.mem.put_link(&l).await.unwrap();
    l
}

async fn put_file(w: &World, o: &OwnerId, id: &str, delete_in: Option<TimeDelta>) -> FileId {
    let mut f = crate::FileRecord::pending(
        FileId::parse(id).unwrap(),
        o.clone(),
        format!("{id}.pdf"),
        10,
        "application/pdf".into(),
        t0(),
        std::time::Duration::from_secs(600),
    );
    f.owner_email = Some(format!("{o}@example.com"));
    f.lifecycle.delete_after = delete_in.map(|d| t0() + d);
    w.mem.create_pending(&f, 1 << 30).await.unwrap();
    let s = Settlement {
        status: crate::FileStatus::Accepted,
        detected_type: Some("application/pdf".into()),
        reason: None,
        at: t0(),
        stored_size: Some(10),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    };
    assert!(w.mem.settle(&f, &s).await.unwrap());
    f.id
}

#[tokio::test]
async fn one_reminder_per_owner_lists_its_links_and_files_once() {
    let w = world();
    let (a, b) = (owner("alice"), owner("bob"));
    let l1 = put_link(&w, &a, "l1", TimeDelta::hours(20)).await;
    put_link(&w, &a, "l2", TimeDelta::hours(30)).await; // more than a day left
    let f1 = put_file(&w, &a, "f1", Some(TimeDelta::days(2))).await;
    put_file(&w, &a, "f2", Some(TimeDelta::days(5))).await; // outside 3 days
    put_file(&w, &a, "f3", None).await; // kept until deleted
    let fb = put_file(&w, &b, "fb", Some(TimeDelta::hours(1))).await;

    let run = w.reminders.run(100).await.unwrap();
    assert_eq!(run.written.len(), 2, "one per owner");
    let ra = run.written.iter().find(|r| r.owner == a).unwrap();
    assert_eq!(
        ra.links.iter().map(|l| &l.link).collect::<Vec<_>>(),
        [&l1.id]
    );
    assert_eq!(ra.files.iter().map(|f| &f.file).collect::<Vec<_>>(), [&f1]);
    let rb = run.written.iter().find(|r| r.owner == b).unwrap();
    assert!(rb.links.is_empty());
    assert_eq!(rb.files[0].file, fb);
    assert_eq!(w.mem.reminders.lock().unwrap().len(), 2);

    // The mail lists both, with the entry's id; one notice and event per item, with ids.
    let mail = ra.mail().expect("mailed");
    assert_eq!(
        mail.to, "",
        "addressed by the courier, with the owner's current address"
    );
    assert!(mail.body.contains(&l1.label) && mail.body.contains("f1.pdf"));
    assert!(mail.body.contains(&ra.id));
    let notes = ra.notifications();
    assert_eq!(
        notes.iter().map(|n| n.event_type).collect::<Vec<_>>(),
        [EventType::LinkExpiring, EventType::FileExpiring]
    );
    assert!(notes.iter().all(|n| !n.id.is_empty() && n.id != ra.id));
    let events = ra.events();
    assert_eq!(events[1].id, notes[1].id);
    assert_eq!(events[1].kind.as_str(), "file.expiring");

    // A second run, an hour later, reminds of nothing again.
    w.clock.advance(TimeDelta::hours(1));
    let again = w.reminders.run(100).await.unwrap();
    assert!(again.written.is_empty(), "{again:?}");
    assert_eq!(w.mem.reminders.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_link_that_received_a_file_is_not_reminded() {
    let w = world();
    let a = owner("alice");
    let mut used = link(&a, link_id("t", "used"), 3, None, t0());
    used.expires_at = t0() + TimeDelta::hours(5);
    used.uploads_used = 1;
    w.mem.put_link(&used).await.unwrap();
    let mut revoked = link(&a, link_id("t", "rev"), 3, None, t0());
    revoked.expires_at = t0() + TimeDelta::hours(5);
    revoked.revoked = true;
    w.mem.put_link(&revoked).await.unwrap();
    put_link(&w, &a, "gone", TimeDelta::hours(-1)).await; // already expired
    let run = w.reminders.run(100).await.unwrap();
    assert!(run.written.is_empty(), "{run:?}");
}

#[tokio::test]
async fn a_held_file_is_not_reminded_and_a_moved_one_is_again() {
    let w = world();
    let a = owner("alice");
    let f = put_file(&w, &a, "f1", Some(TimeDelta::days(2))).await;
    assert_eq!(w.reminders.run(100).await.unwrap().written.len(), 1);
    let rec = w.mem.get_file(&a, &f).await.unwrap().unwrap();
    // Moved further, still within the window after a day: reminded again of the new time.
    let moved = t0() + TimeDelta::days(3);
    assert!(w.mem.set_delete_after(&rec, Some(moved)).await.unwrap());
    w.clock.advance(TimeDelta::days(1));
    let run = w.reminders.run(100).await.unwrap();
    assert_eq!(run.written[0].files[0].delete_after, moved);
    // Moved out of the window: nothing.
    let rec = w.mem.get_file(&a, &f).await.unwrap().unwrap();
    let far = t0() + TimeDelta::days(30);
    assert!(w.mem.set_delete_after(&rec, Some(far)).await.unwrap());
    assert!(w.reminders.run(100).await.unwrap().written.is_empty());
    // Zero notice days: no file reminders at all.
    let mut off = w.reminders.clone();
    off.settings.retention_notice_days = 0;
    put_file(&w, &a, "f9", Some(TimeDelta::days(1) + TimeDelta::hours(1))).await;
    assert!(off.run(100).await.unwrap().written.is_empty());
}

#[test]
fn the_rules_hold_the_windows() {
    let a = owner("alice");
    let mut l = link(&a, link_id("t", "x"), 1, None, t0());
    let now = t0();
    l.expires_at = now + TimeDelta::hours(24);
    let m = |l: &crate::links::Link| Marked {
        item: l.clone(),
        reminded_for: None,
    };
    assert!(!link_due(&m(&l), now), "24 h left is not less than 24 h");
    l.expires_at = now + TimeDelta::hours(23);
    assert!(link_due(&m(&l), now));
    l.pending_bytes = 5;
    assert!(!link_due(&m(&l), now), "a drop on its way");
}

#[tokio::test]
async fn the_courier_mails_one_reminder_once_and_tells_each_item() {
    use crate::fakes::{MemBus, MemMailer, MemNotifier};
    use crate::notify::{Announcement, Courier};
    let w = world();
    let a = owner("alice");
    put_link(&w, &a, "l1", TimeDelta::hours(2)).await;
    put_file(&w, &a, "f1", Some(TimeDelta::days(1))).await;
    put_file(&w, &a, "f2", Some(TimeDelta::days(2))).await;
    let run = w.reminders.run(100).await.unwrap();
    let notifier = Arc::new(MemNotifier::default());
    let bus = Arc::new(MemBus::default());
    let mailer = Arc::new(MemMailer::default());
    // Alice moved her account after the items recorded alice@example.com.
    let addresses = Arc::new(crate::fakes::MemAccountDirectory::default());
    addresses.add(&a, "alice@new.example");
    let courier = Courier {
        notifier: notifier.clone(),
        bus: bus.clone(),
        mailer: mailer.clone(),
        links: w.mem.clone(),
        addresses,
    };
    let all: Vec<Announcement> = run
        .written
        .into_iter()
        .map(|r| Announcement::Reminder(Box::new(r)))
        .collect();
    courier.deliver_all(&all).await.unwrap();
    let mails = mailer.sent.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "one mail per owner per run");
    assert_eq!(mails[0].to, "alice@new.example", "her address as it is now");
    assert!(mails[0].body.contains(all[0].id()), "with the entry's id");
    let notes = notifier.sent.lock().unwrap().clone();
    let kinds: Vec<&str> = notes.iter().map(|n| n.event_type.as_str()).collect();
    assert_eq!(kinds, ["link.expiring", "file.expiring", "file.expiring"]);
    let ids: std::collections::BTreeSet<&str> = notes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids.len(), 3, "an id each");
    assert_eq!(bus.put.lock().unwrap().len(), 3);
    // Nothing in a notice grants anything: no token hash, no URL.
    for n in &notes {
        let body = n.body();
        assert!(!body.contains("http") && !body.contains("token"), "{body}");
    }
}
