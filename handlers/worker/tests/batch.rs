//! The worker handler over the in-memory fakes: SQS batches of S3 events, partial batch
//! responses, exactly-once effects.

mod common;

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{TimeZone, Utc};
use dropgate_core::fakes::{MemMailer, MemNotifier};
use dropgate_core::files::{FileLookup, LinkOrigin, Uploader};
use dropgate_core::links::{DropReservation, Link, LinkDrop, LinkStore};
use dropgate_core::notify::{Courier, EventType, Mail, Notification, OutboxEntry};
use dropgate_core::{FileId, FileRecord, FileStatus, LinkId, Settings};
use dropgate_worker::handle;
use serde_json::{Value, json};

use common::{OWNER, World, owner, status};

fn world() -> World {
    common::world(
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
        Settings::default().without_scanning(),
    )
}

fn png(len: usize) -> Vec<u8> {
    common::png(len)
}

fn elf(len: usize) -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
    v.resize(len, 0);
    v
}

/// Creates a pending file and stores `bytes` at its key; returns the id.
async fn uploaded(w: &World, declared: &str, bytes: Vec<u8>, via_link: Option<&str>) -> FileId {
    if let Some(via) = via_link {
        return dropped(w, via, declared, bytes).await;
    }
    common::pending(w, "holiday photo.png", declared, bytes).await
}

/// A pending file dropped through link `via` (a 3-use link, created on first use), with
/// `bytes` stored at its key.
async fn dropped(w: &World, via: &str, declared: &str, bytes: Vec<u8>) -> FileId {
    let t = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let link_id = LinkId::parse(via).unwrap();
    let link = match w.ledger.get_link(&owner(), &link_id).await.unwrap() {
        Some(l) => l,
        None => {
            let l = Link {
                id: link_id,
                owner: owner(),
                owner_email: Some("alice@example.com".into()),
                label: "Holiday photos".into(),
                token_hash: format!("hash-of-{via}"),
                token_sealed: None,
                created_at: t,
                expires_at: t + chrono::Duration::days(1),
                max_uploads: 3,
                uploads_used: 0,
                max_file_bytes: 1 << 20,
                max_total_bytes: None,
                bytes_used: 0,
                max_pending_bytes: 1 << 40,
                pending_bytes: 0,
                max_givebacks: 3,
                givebacks: 0,
                allowed_types: Settings::default().allowed_types,
                require_uploader_name: false,
                revoked: false,
                retain_days: None,
            };
            w.ledger.put_link(&l).await.unwrap();
            l
        }
    };
    let id = w.files.ids.file_id();
    let mut f = FileRecord::pending(
        id.clone(),
        owner(),
        "holiday photo.png".into(),
        bytes.len() as u64,
        declared.into(),
        t,
        std::time::Duration::from_secs(900),
    );
    f.owner_email = link.owner_email.clone();
    f.link = Some(LinkOrigin {
        link_id: link.id.clone(),
        label: link.label.clone(),
        allowed_types: link.allowed_types.clone(),
        uploader: Some(Uploader {
            name: Some("Bea".into()),
            email: None,
            note: None,
        }),
    });
    let used_up = dropgate_core::notify::LifecycleEntry::used_up_by_next(&link, t);
    let r = w
        .ledger
        .create_pending_via_link(&LinkDrop {
            link: &link,
            file: &f,
            receipt_hash: &format!("receipt-{id}"),
            quota_limit: 1 << 40,
            now: t,
            used_up: used_up.as_ref(),
        })
        .await
        .unwrap();
    assert_eq!(r, DropReservation::Reserved);
    w.store.put(&format!("uploads/{id}"), bytes);
    id
}

/// An S3 event notification body as S3 sends it: keys form-URL-encoded.
fn s3_body(records: &[(&str, &str)]) -> String {
    let records: Vec<Value> = records
        .iter()
        .map(|(event_name, key)| {
            json!({
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-22T10:00:05.123Z",
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE:dropgate-api"},
                "requestParameters": {"sourceIPAddress": "203.0.113.10"},
                "responseElements": {
                    "x-amz-request-id": "C3D13FE58DE4C810",
                    "x-amz-id-2": "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLW"
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "dropgate-uploads-notification",
                    "bucket": {
                        "name": "dropgate-uploads-123456789012",
                        "ownerIdentity": {"principalId": "A3NL1KOZZKEXAMPLE"},
                        "arn": "arn:aws:s3:::dropgate-uploads-123456789012"
                    },
                    "object": {
                        "key": key,
                        "size": 300,
                        "eTag": "9b2cf535f27731c974343645a3985328",
                        "sequencer": "0067756A0B1C2D3E4F"
                    }
                }
            })
        })
        .collect();
    json!({ "Records": records }).to_string()
}

fn put_body(id: &FileId) -> String {
    s3_body(&[("ObjectCreated:Put", &encoded_key(id))])
}

fn encoded_key(id: &FileId) -> String {
    format!("uploads%2F{id}")
}

const TEST_EVENT: &str = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-22T10:00:00.000Z","Bucket":"dropgate-uploads-123456789012","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR"}"#;

fn sqs(messages: &[(&str, &str)]) -> SqsEvent {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id,
                "receiptHandle": format!("AQEB-{id}"),
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1795341605200",
                    "SenderId": "AIDAJHIPRHEMV73VRJEBU",
                    "ApproximateFirstReceiveTimestamp": "1795341605212"
                },
                "messageAttributes": {},
                "md5OfBody": "4f3a987a80e54e9acecfc1d6cc095d9c",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:dropgate-uploads",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("a valid SQS event")
}

fn failed_ids(r: &SqsBatchResponse) -> Vec<String> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

async fn usage(w: &World) -> (u64, u64, u64) {
    let u = w.ledger.usage(&owner(), 1 << 40).await.unwrap();
    (u.used_bytes, u.reserved_bytes, u.files)
}

/// What the operators are told: the outbox's entries as the notifier publishes them.
fn notes(w: &World) -> Vec<Notification> {
    w.ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .map(OutboxEntry::notification)
        .collect()
}

/// What the owners are mailed: the outbox delivered by the notifier's courier.
async fn mails(w: &World) -> Vec<Mail> {
    let mailer = Arc::new(MemMailer::default());
    // The owner's address as the directory holds it when the notifier mails.
    let addresses = Arc::new(dropgate_core::fakes::MemAccountDirectory::default());
    addresses.add(&owner(), "alice@example.com");
    let courier = Courier {
        notifier: Arc::new(MemNotifier::default()),
        bus: Arc::new(dropgate_core::fakes::MemBus::default()),
        mailer: mailer.clone(),
        links: w.ledger.clone(),
        addresses,
    };
    let entries = w.ledger.outbox.lock().unwrap().clone();
    courier.deliver(&entries).await.unwrap();
    mailer.sent.lock().unwrap().clone()
}

#[tokio::test]
async fn a_malformed_message_fails_alone() {
    let w = world();
    let id = uploaded(&w, "image/png", png(300), None).await;
    let event = sqs(&[
        ("msg-good", &put_body(&id)),
        ("msg-test", TEST_EVENT),
        ("msg-bad", "not json"),
    ]);
    let r = handle(event, &w.deps).await;

    assert_eq!(failed_ids(&r), vec!["msg-bad".to_owned()]);
    assert_eq!(status(&w, &id).await, FileStatus::Accepted);
    assert_eq!(usage(&w).await, (300, 0, 1));
    assert_eq!(
        w.ledger.log.lock().unwrap().clone(),
        vec![(id.clone(), FileStatus::Accepted)]
    );
    let sent = notes(&w);
    assert_eq!(sent.len(), 1, "the test event publishes nothing");
    assert_eq!(sent[0].event_type, EventType::UploadAccepted);
    assert_eq!(sent[0].file.as_ref().unwrap().id, id.to_string());
    assert_eq!(sent[0].file.as_ref().unwrap().owner, OWNER);
    assert_eq!(
        sent[0].file.as_ref().unwrap().detected_type.as_deref(),
        Some("image/png")
    );
    assert!(
        mails(&w).await.is_empty(),
        "no mail for an accepted own upload"
    );
}

#[tokio::test]
async fn every_kind_of_malformed_body_is_reported() {
    let w = world();
    let bad = [
        ("m1", ""),
        ("m2", "not json"),
        ("m3", "[]"),
        ("m4", "{}"),
        ("m5", r#"{"Records": 5}"#),
        ("m6", r#"{"Records": [{"s3": 1}]}"#),
    ];
    let undecodable = s3_body(&[("ObjectCreated:Put", "uploads%2Fo%2F%FF")]);
    let mut messages: Vec<(&str, &str)> = bad.to_vec();
    messages.push(("m7", &undecodable));
    let r = handle(sqs(&messages), &w.deps).await;
    let mut failed = failed_ids(&r);
    failed.sort();
    assert_eq!(failed, vec!["m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    assert!(notes(&w).is_empty());
}

#[tokio::test]
async fn test_events_and_foreign_records_are_dropped_quietly() {
    let w = world();
    let id = uploaded(&w, "image/png", png(300), None).await;
    let removed = s3_body(&[("ObjectRemoved:Delete", &encoded_key(&id))]);
    let foreign = s3_body(&[("ObjectCreated:Put", "quarantine%2Fx%2Fy")]);
    let r = handle(
        sqs(&[("t", TEST_EVENT), ("r", &removed), ("f", &foreign)]),
        &w.deps,
    )
    .await;
    assert!(failed_ids(&r).is_empty());
    assert_eq!(status(&w, &id).await, FileStatus::Pending);
    assert_eq!(usage(&w).await, (0, 300, 1));
    assert!(notes(&w).is_empty());
}

#[tokio::test]
async fn a_rejected_upload_notifies_and_mails_the_owner() {
    let w = world();
    let id = uploaded(&w, "image/png", elf(300), None).await;
    let r = handle(sqs(&[("m", &put_body(&id))]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    assert_eq!(status(&w, &id).await, FileStatus::Rejected);
    assert!(!w.store.has(&format!("uploads/{id}")));
    assert_eq!(usage(&w).await, (0, 0, 0));
    let sent = notes(&w);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event_type, EventType::UploadRejected);
    // A program under a picture's name: the name disagrees with the bytes.
    assert_eq!(sent[0].reason.as_deref(), Some("type_mismatch"));
    let m = mails(&w).await;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].to, "alice@example.com");
    assert!(m[0].subject.contains("holiday photo.png"));
}

#[tokio::test]
async fn a_link_upload_mails_the_owner() {
    let w = world();
    let id = uploaded(&w, "image/png", png(300), Some("link-1")).await;
    let r = handle(sqs(&[("m", &put_body(&id))]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    assert_eq!(status(&w, &id).await, FileStatus::Accepted);
    let sent = notes(&w);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].via_link.as_deref(), Some("link-1"));
    let m = mails(&w).await;
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].to, "alice@example.com");
    assert!(m[0].subject.contains("Holiday photos"), "{}", m[0].subject);
    assert!(m[0].body.contains("Verdict: accepted"), "{}", m[0].body);
    assert!(m[0].body.contains("\u{201c}Bea\u{201d}"), "{}", m[0].body);
    assert!(
        m[0].body.contains("Uploads left on this link: 2"),
        "{}",
        m[0].body
    );
}

#[tokio::test]
async fn a_rejected_link_upload_keeps_its_use_and_mails_the_reason() {
    let w = world();
    let id = uploaded(&w, "image/png", elf(300), Some("link-1")).await;
    let r = handle(sqs(&[("m", &put_body(&id))]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    assert_eq!(status(&w, &id).await, FileStatus::Rejected);
    let link = w
        .ledger
        .get_link(&owner(), &LinkId::parse("link-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.uploads_used, 1, "a rejected file keeps its use");
    let m = mails(&w).await;
    assert_eq!(m.len(), 1);
    assert!(m[0].body.contains("Verdict: rejected"), "{}", m[0].body);
    assert!(m[0].body.contains("type_mismatch"), "{}", m[0].body);
    assert!(
        m[0].body.contains("Uploads left on this link: 2"),
        "{}",
        m[0].body
    );
}

#[tokio::test]
async fn redelivered_messages_change_nothing() {
    let w = world();
    let id = uploaded(&w, "image/png", png(300), Some("link-1")).await;
    let body = put_body(&id);
    let r = handle(sqs(&[("m1", &body), ("m1-dup", &body)]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    for _ in 0..3 {
        let r = handle(sqs(&[("m1-again", &body)]), &w.deps).await;
        assert!(failed_ids(&r).is_empty());
    }
    assert_eq!(usage(&w).await, (300, 0, 1));
    assert_eq!(w.ledger.log.lock().unwrap().len(), 1);
    assert_eq!(notes(&w).len(), 1);
    assert_eq!(mails(&w).await.len(), 1);
}

#[tokio::test]
async fn one_message_can_carry_several_records() {
    let w = world();
    let a = uploaded(&w, "image/png", png(300), None).await;
    let b = uploaded(&w, "image/png", png(200), None).await;
    let body = s3_body(&[
        ("ObjectCreated:Put", &encoded_key(&a)),
        ("ObjectCreated:CompleteMultipartUpload", &encoded_key(&b)),
    ]);
    let r = handle(sqs(&[("m", &body)]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    assert_eq!(status(&w, &a).await, FileStatus::Accepted);
    assert_eq!(status(&w, &b).await, FileStatus::Accepted);
    assert_eq!(usage(&w).await, (500, 0, 2));
    assert_eq!(notes(&w).len(), 2);
}

#[tokio::test]
async fn an_orphan_object_is_removed_without_failing() {
    let w = world();
    let key = "uploads/f9999999999".to_owned();
    w.store.put(&key, png(50));
    let body = s3_body(&[("ObjectCreated:Put", "uploads%2Ff9999999999")]);
    let r = handle(sqs(&[("m", &body)]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    assert!(!w.store.has(&key));
    assert!(notes(&w).is_empty());
}

#[tokio::test]
async fn a_transient_failure_fails_only_its_message_and_a_retry_settles_it() {
    let w = world();
    let ok = uploaded(&w, "image/png", png(300), None).await;
    let stuck = uploaded(&w, "image/png", png(200), None).await;
    let stuck_key = format!("uploads/{stuck}");
    w.store
        .failing_samples
        .lock()
        .unwrap()
        .insert(stuck_key.clone());

    let event = sqs(&[("m-ok", &put_body(&ok)), ("m-stuck", &put_body(&stuck))]);
    let r = handle(event, &w.deps).await;
    assert_eq!(failed_ids(&r), vec!["m-stuck".to_owned()]);
    assert_eq!(status(&w, &ok).await, FileStatus::Accepted);
    assert_eq!(status(&w, &stuck).await, FileStatus::Pending);
    assert_eq!(usage(&w).await, (300, 200, 2));

    // SQS redelivers the failed message once S3 recovers.
    w.store.failing_samples.lock().unwrap().clear();
    let r = handle(sqs(&[("m-stuck", &put_body(&stuck))]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    assert_eq!(status(&w, &stuck).await, FileStatus::Accepted);
    assert_eq!(usage(&w).await, (500, 0, 2));
    assert_eq!(notes(&w).len(), 2);
}

#[tokio::test]
async fn an_empty_batch_is_fine() {
    let w = world();
    let r = handle(SqsEvent::default(), &w.deps).await;
    assert!(r.batch_item_failures.is_empty());
}

#[tokio::test]
async fn a_failed_removal_of_rejected_bytes_is_completed_later() {
    let w = world();
    let id = uploaded(&w, "image/png", elf(300), None).await;
    let key = format!("uploads/{id}");
    w.store.failing_deletes.lock().unwrap().insert(key.clone());

    let r = handle(sqs(&[("m", &put_body(&id))]), &w.deps).await;
    assert!(
        failed_ids(&r).is_empty(),
        "the verdict stands; the removal is marked for retry"
    );
    assert_eq!(status(&w, &id).await, FileStatus::Rejected);
    assert!(w.store.has(&key));
    assert_eq!(notes(&w).len(), 1);

    // S3 recovers; a redelivery of the event (or the janitor's cleanup pass) finishes it.
    w.store.failing_deletes.lock().unwrap().clear();
    let r = handle(sqs(&[("m", &put_body(&id))]), &w.deps).await;
    assert!(failed_ids(&r).is_empty());
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert!(!w.store.has(&key), "rejected bytes must leave uploads/");
    let sent = notes(&w);
    assert_eq!(sent.len(), 1, "upload.rejected is published once");
    assert_eq!(sent[0].event_type, EventType::UploadRejected);
    assert_eq!(mails(&w).await.len(), 1, "the owner is told once");
}
