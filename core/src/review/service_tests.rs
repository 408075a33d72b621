//! The review service over the fakes: the queue across owners, a release (the owner told), a
//! deletion for good, every link and its revocation; each change audited once, by id.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::Review;
use crate::audit::ActorKind;
use crate::fakes::{FixedClock, MemAudit, MemDirectory, MemLedger, MemStore, multiparts};
use crate::files::{FileLookup, OwnerLedger, Settlement, Settling};
use crate::lifecycle::DeletedBy;
use crate::links::{Link, LinkStore};
use crate::notify::EventType;
use crate::{FileId, FileRecord, FileStatus, LinkId, OwnerId, Settings};

struct World {
    review: Review,
    ledger: Arc<MemLedger>,
    objects: Arc<MemStore>,
    audit: Arc<MemAudit>,
    clock: Arc<FixedClock>,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn world() -> World {
    let directory = Arc::new(MemDirectory::default());
    directory.add("u-ann", "ann@example.com", t0());
    directory.add("u-bob", "bob@example.com", t0());
    let ledger = Arc::new(MemLedger::default());
    let objects = Arc::new(MemStore::default());
    let audit = Arc::new(MemAudit::default());
    let clock = Arc::new(FixedClock::at(t0()));
    let review = Review {
        store: ledger.clone(),
        directory,
        objects: objects.clone(),
        multipart: multiparts(&objects, &Settings::default()),
        audit: audit.clone(),
        clock: clock.clone(),
    };
    World {
        review,
        ledger,
        objects,
        audit,
        clock,
    }
}

fn owner(id: &str) -> OwnerId {
    OwnerId::parse(id).unwrap()
}

/// A file of `o` created `minutes` after t0, moved to `status` (through scanning).
async fn file(w: &World, o: &str, id: &str, minutes: i64, status: FileStatus) -> FileRecord {
    let f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        owner(o),
        format!("{id}.pdf"),
        10,
        "application/pdf".into(),
        t0() + TimeDelta::minutes(minutes),
        std::time::Duration::from_secs(900),
    );
    w.ledger.create_pending(&f, 1000).await.unwrap();
    w.objects.put(&f.key(), vec![0; 10]);
    let mut f = f;
    for next in [FileStatus::Scanning, status] {
        if f.status == next || !f.status.can_become(next) {
            continue;
        }
        let s = Settlement {
            status: next,
            detected_type: Some("application/pdf".into()),
            reason: (next == FileStatus::Rejected).then(|| "malware".to_owned()),
            at: t0(),
            stored_size: Some(10),
            stored_etag: Some("e".into()),
            give_back_link: false,
            scan: None,
        };
        assert!(w.ledger.settle(&f, &s).await.unwrap());
        f = w.ledger.get_file(&f.owner, &f.id).await.unwrap().unwrap();
    }
    f
}

#[tokio::test]
async fn the_queue_lists_held_files_across_owners_newest_first_with_their_owner() {
    let w = world();
    file(&w, "u-ann", "f1", 1, FileStatus::Held).await;
    file(&w, "u-bob", "f2", 2, FileStatus::Held).await;
    file(&w, "u-bob", "f3", 3, FileStatus::Accepted).await;
    file(&w, "u-ann", "f4", 4, FileStatus::Held).await;
    let page = w
        .review
        .files(None, None, None, None, Some("2"))
        .await
        .unwrap();
    let ids: Vec<&str> = page.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["f4", "f2"]);
    assert_eq!(
        page.files[1].owner.email.as_deref(),
        Some("bob@example.com")
    );
    let next = page.next_cursor.expect("a next page");
    let page = w
        .review
        .files(None, None, None, Some(&next), Some("2"))
        .await
        .unwrap();
    let ids: Vec<&str> = page.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!((ids, page.next_cursor), (vec!["f1"], None));

    let accepted = w
        .review
        .files(Some("accepted"), None, None, None, None)
        .await
        .unwrap();
    assert_eq!(accepted.files.len(), 1);
    let anns = w
        .review
        .files(Some("held"), Some("u-ann"), None, None, None)
        .await
        .unwrap();
    let ids: Vec<&str> = anns.files.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["f4", "f1"]);
    // One owner's cursor goes on in that owner's listing only (DynamoDB refuses a start key
    // outside the query's partition); across owners it is anyone's.
    let first = w
        .review
        .files(Some("held"), Some("u-ann"), None, None, Some("1"))
        .await
        .unwrap();
    let anns_next = first.next_cursor.expect("a next page of Ann's");
    let rest = w
        .review
        .files(Some("held"), Some("u-ann"), None, Some(&anns_next), None)
        .await
        .unwrap();
    assert_eq!(rest.files.len(), 1);
    assert_eq!(
        w.review
            .files(Some("held"), Some("u-bob"), None, Some(&anns_next), None)
            .await
            .unwrap_err()
            .code(),
        "invalid_cursor"
    );
    assert!(
        w.review
            .files(Some("held"), None, None, Some(&anns_next), None)
            .await
            .is_ok()
    );
    let code = |e: crate::CoreError| e.code();
    assert_eq!(
        code(
            w.review
                .files(Some("pending"), None, None, None, None)
                .await
                .unwrap_err()
        ),
        "invalid_status"
    );
    assert_eq!(
        code(
            w.review
                .files(None, None, None, Some("zz"), None)
                .await
                .unwrap_err()
        ),
        "invalid_cursor"
    );
}

#[tokio::test]
async fn a_released_file_is_accepted_its_owner_told_and_the_release_audited() {
    let w = world();
    let f = file(&w, "u-ann", "f1", 1, FileStatus::Held).await;
    let admin = owner("u-admin");
    let before = w.ledger.outbox.lock().unwrap().len();
    let view = w.review.release(&admin, "f1").await.unwrap();
    assert_eq!(
        (view.status, view.owner.id.as_str()),
        (FileStatus::Accepted, "u-ann")
    );
    let now = w.ledger.get_file(&f.owner, &f.id).await.unwrap().unwrap();
    assert_eq!(now.status, FileStatus::Accepted);
    let outbox = w.ledger.outbox.lock().unwrap().clone();
    assert_eq!(outbox.len(), before + 1);
    assert_eq!(outbox[before].event, EventType::UploadAccepted);
    assert_eq!(outbox[before].file.reason.as_deref(), Some("released"));
    let mut told = outbox[before].file.clone();
    told.owner_email = Some("ann@example.com".into());
    let mail = crate::notify::verdict_mail(&told, None).expect("the owner is mailed");
    assert!(mail.subject.contains("was released"), "{}", mail.subject);
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (
            events[0].action.as_str(),
            events[0].target.id.as_str(),
            events[0].actor.kind
        ),
        ("file.released", "f1", ActorKind::Admin)
    );
    // Released once: again it is not held.
    assert_eq!(
        w.review.release(&admin, "f1").await.unwrap_err().code(),
        "not_held"
    );
    file(&w, "u-bob", "f2", 2, FileStatus::Rejected).await;
    assert_eq!(
        w.review.release(&admin, "f2").await.unwrap_err().code(),
        "not_held"
    );
    for id in ["nope", "../x"] {
        assert_eq!(
            w.review.release(&admin, id).await.unwrap_err().code(),
            "not_found"
        );
    }
    assert_eq!(w.audit.events().len(), 1);
}

#[tokio::test]
async fn an_admin_deletion_removes_bytes_record_and_quota_with_a_receipt() {
    let w = world();
    let f = file(&w, "u-bob", "f1", 1, FileStatus::Held).await;
    assert_eq!(w.ledger.usage(&f.owner, 1000).await.unwrap().used_bytes, 10);
    w.clock.advance(TimeDelta::minutes(5));
    w.review.delete_file(&owner("u-admin"), "f1").await.unwrap();
    assert!(!w.objects.has(&f.key()));
    assert_eq!(w.ledger.get_file(&f.owner, &f.id).await.unwrap(), None);
    let usage = w.ledger.usage(&f.owner, 1000).await.unwrap();
    assert_eq!((usage.used_bytes, usage.files), (0, 0));
    let receipts = w.ledger.list_receipts(&f.owner, 10, None).await.unwrap();
    assert_eq!(receipts.receipts.len(), 1);
    assert_eq!(receipts.receipts[0].deleted_by, DeletedBy::Admin);
    let events = w.audit.events();
    assert_eq!(
        (
            events.len(),
            events[0].action.as_str(),
            events[0].target.kind.as_str()
        ),
        (1, "file.deleted", "file")
    );
    assert_eq!(
        w.review
            .delete_file(&owner("u-admin"), "f1")
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
}

fn a_link(o: &str, id: &str) -> Link {
    Link {
        id: LinkId::parse(id).unwrap(),
        owner: owner(o),
        owner_email: None,
        label: format!("<b>{id}</b>"),
        token_hash: crate::tokens::hash(&format!("tok-{id}")),
        token_sealed: None,
        created_at: t0(),
        expires_at: t0() + TimeDelta::days(1),
        max_uploads: 5,
        uploads_used: 0,
        max_file_bytes: 100,
        max_total_bytes: None,
        bytes_used: 0,
        max_pending_bytes: 100,
        pending_bytes: 0,
        max_givebacks: 3,
        givebacks: 0,
        allowed_types: crate::allowed::TypePolicy::only(["application/pdf"]),
        require_uploader_name: false,
        revoked: false,
        retain_days: None,
    }
}

#[tokio::test]
async fn every_link_is_listed_with_its_owner_and_any_can_be_revoked() {
    let w = world();
    for (o, id) in [("u-ann", "l1"), ("u-bob", "l2"), ("u-bob", "l3")] {
        w.ledger.put_link(&a_link(o, id)).await.unwrap();
    }
    let page = w.review.links(None, Some("2")).await.unwrap();
    assert_eq!(page.links.len(), 2);
    let rest = w
        .review
        .links(page.next_cursor.as_deref(), Some("2"))
        .await
        .unwrap();
    assert_eq!((rest.links.len(), rest.next_cursor), (1, None));
    let l2 = page
        .links
        .iter()
        .chain(&rest.links)
        .find(|l| l.id == "l2")
        .unwrap();
    assert_eq!(l2.owner.email.as_deref(), Some("bob@example.com"));
    let json = serde_json::to_value(l2).unwrap();
    assert!(json.get("token").is_none() && json.get("url").is_none());

    let admin = owner("u-admin");
    w.review.revoke_link(&admin, "l2").await.unwrap();
    let l = w
        .ledger
        .get_link(&owner("u-bob"), &LinkId::parse("l2").unwrap())
        .await
        .unwrap();
    assert!(l.unwrap().revoked);
    // Again: nothing changes, nothing more is audited.
    w.review.revoke_link(&admin, "l2").await.unwrap();
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].action.as_str(), events[0].target.id.as_str()),
        ("link.revoked", "l2")
    );
    assert_eq!(
        w.review.revoke_link(&admin, "l9").await.unwrap_err().code(),
        "not_found"
    );
    assert_eq!(
        w.review.links(Some("zz"), None).await.unwrap_err().code(),
        "invalid_cursor"
    );
}
