use std::sync::Mutex;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::{EventType, OutboxEntry};
use crate::CoreError;
use crate::events::{Event, EventKind, PUT_ATTEMPTS, PUT_BATCH, put_batched};
use crate::files::{LinkOrigin, Uploader};
use crate::notify::ShareNotice;
use crate::{FileId, FileRecord, FileStatus, LinkId, OwnerId, ShareId};

fn entry(event: EventType, share: bool) -> OutboxEntry {
    let at = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
    let mut f = FileRecord::pending(
        FileId::parse("f1").unwrap(),
        OwnerId::parse("owner-1").unwrap(),
        "report.pdf".into(),
        42,
        "application/pdf".into(),
        at,
        Duration::from_secs(900),
    );
    f.status = FileStatus::Accepted;
    f.owner_email = Some("owner@example.com".into());
    f.link = Some(LinkOrigin {
        link_id: LinkId::parse("link-1").unwrap(),
        label: "Client docs".into(),
        allowed_types: crate::allowed::TypePolicy::default(),
        uploader: Some(Uploader {
            name: Some("Bea".into()),
            email: Some("bea@example.com".into()),
            note: Some("the secret note".into()),
        }),
    });
    OutboxEntry {
        id: OutboxEntry::key(at, &f, event),
        event,
        file: f,
        at,
        share: share.then(|| ShareNotice {
            share: ShareId::parse("share-1").unwrap(),
            label: Some("for the accountant".into()),
            downloads_left: Some(2),
            mail: true,
            locked_until: Some(at + chrono::TimeDelta::hours(1)),
        }),
    }
}

#[test]
fn every_kind_has_one_name_and_every_notice_one_kind() {
    for k in EventKind::ALL {
        assert_eq!(EventKind::parse(k.as_str()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    assert_eq!(EventKind::parse("upload.accepted"), None);
    assert_eq!(EventKind::parse("ping"), None);
    let notices = EventType::ALL;
    for n in notices {
        assert_eq!(EventType::parse(n.as_str()), Some(n));
    }
    let mut kinds: Vec<_> = notices.iter().map(|&n| n.kind()).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), EventKind::ALL.len(), "one kind per notice");
}

#[test]
fn an_event_keeps_the_entrys_id_time_and_owner_and_no_secret() {
    let e = entry(EventType::UploadAccepted, false);
    let ev = e.event();
    assert_eq!(ev.id, e.id);
    assert_eq!(ev.id, e.notification().id, "the SNS notice's id");
    assert_eq!(ev.kind, EventKind::FileAccepted);
    assert_eq!(ev.time, "2026-12-04T12:00:00.000Z");
    assert_eq!(ev.owner, "owner-1");
    let d = ev.detail.file().unwrap();
    assert_eq!(d.owner, "owner-1");
    assert_eq!(d.via_link.as_deref(), Some("link-1"));
    let json = ev.detail_json();
    for secret in [
        "bea@example.com",
        "the secret note",
        "owner@example.com",
        "Bea",
    ] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(
        !json.contains("share"),
        "no share fields on a file verdict: {json}"
    );
}

#[test]
fn share_events_carry_the_share_and_only_a_lock_its_end() {
    let d = entry(EventType::FileDownloaded, true).event().detail;
    let d = d.file().unwrap();
    assert_eq!(d.share.as_deref(), Some("share-1"));
    assert_eq!(d.downloads_left, Some(Some(2)));
    assert_eq!(d.locked_until, None);
    let l = entry(EventType::ShareLocked, true).event().detail;
    let l = l.file().unwrap();
    assert_eq!(l.locked_until.as_deref(), Some("2026-12-04T13:00:00.000Z"));
    let json = serde_json::to_string(&l).unwrap();
    assert!(
        !json.contains("for the accountant"),
        "no share label: {json}"
    );
}

fn events(n: usize) -> Vec<Event> {
    let e = entry(EventType::UploadAccepted, false).event();
    (0..n)
        .map(|i| Event {
            id: format!("e{i}"),
            ..e.clone()
        })
        .collect()
}

#[tokio::test]
async fn refused_entries_are_put_again_until_accepted() {
    let all = events(23);
    let sent: Mutex<Vec<Vec<String>>> = Mutex::default();
    let refused_once: Mutex<Vec<String>> = Mutex::default();
    put_batched(&all, |batch| {
        let ids: Vec<String> = batch.iter().map(|e| e.id.clone()).collect();
        sent.lock().unwrap().push(ids.clone());
        // The bus refuses every third entry the first time it sees it.
        let mut seen = refused_once.lock().unwrap();
        let refused: Vec<usize> = ids
            .iter()
            .enumerate()
            .filter(|(_, id)| {
                let n: usize = id[1..].parse().unwrap();
                n.is_multiple_of(3) && !seen.contains(id)
            })
            .map(|(i, _)| i)
            .collect();
        for &i in &refused {
            seen.push(ids[i].clone());
        }
        async move { Ok(refused) }
    })
    .await
    .unwrap();
    let sent = sent.into_inner().unwrap();
    assert!(sent.iter().all(|b| b.len() <= PUT_BATCH));
    // Three batches of at most ten, each followed by one of its refused entries alone.
    assert_eq!(sent.len(), 6);
    assert_eq!(sent[1], ["e0", "e3", "e6", "e9"]);
    let mut delivered: Vec<&String> = sent.iter().flatten().collect();
    delivered.sort();
    delivered.dedup();
    assert_eq!(delivered.len(), 23);
}

#[tokio::test]
async fn an_entry_refused_every_time_fails_the_put() {
    let all = events(3);
    let calls = Mutex::new(0);
    let r = put_batched(&all, |batch| {
        *calls.lock().unwrap() += 1;
        let refused = if batch.iter().any(|e| e.id == "e1") {
            vec![batch.iter().position(|e| e.id == "e1").unwrap()]
        } else {
            vec![]
        };
        async move { Ok(refused) }
    })
    .await;
    assert!(r.is_err());
    assert_eq!(*calls.lock().unwrap(), PUT_ATTEMPTS);
    let failing = put_batched(&all, |_| async { Err(CoreError::upstream("down")) }).await;
    assert!(failing.is_err(), "a call that fails fails the put");
}
