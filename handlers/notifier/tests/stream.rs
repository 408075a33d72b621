//! The notifier over the fakes: stream batches shaped like Lambda's DynamoDB Streams events,
//! built from real outbox items; delivery, partial failures and poison records.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::event::dynamodb::Event;
use chrono::{DateTime, TimeZone, Utc};
use dropgate_core::accounts::OwnerAddress;
use dropgate_core::fakes::{
    FixedClock, MemAccountDirectory, MemBus, MemDeliveryLog, MemDeliveryQueue, MemLedger,
    MemMailer, MemNotifier, MemWebhooks, SeqIds,
};
use dropgate_core::files::{LinkOrigin, Uploader};
use dropgate_core::notify::{Courier, EventType, Mail, Mailer, Notification, Notifier};
use dropgate_core::webhooks::{Dispatch, Webhook, WebhookState, WebhookStore};
use dropgate_core::{CoreError, FileId, FileRecord, FileStatus, LinkId, OwnerId};
use dropgate_infra::dynamo::outbox::{entry_item, image_json};
use dropgate_notifier::{Deps, handle};
use serde_json::{Value, json};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn file(id: &str, status: FileStatus, via_link: bool) -> FileRecord {
    let mut f = FileRecord::pending(
        FileId::parse(id).unwrap(),
        OwnerId::parse("owner-1").unwrap(),
        format!("{id}.pdf"),
        42,
        "application/pdf".into(),
        at(),
        std::time::Duration::from_secs(900),
    );
    f.status = status;
    f.owner_email = Some("owner@example.com".into());
    if status == FileStatus::Rejected {
        f.reason = Some("type_not_allowed".into());
        f.detected_type = Some("application/x-executable".into());
    }
    if via_link {
        f.link = Some(LinkOrigin {
            link_id: LinkId::parse("link-1").unwrap(),
            label: "Client docs".into(),
            allowed_types: dropgate_core::allowed::TypePolicy::only(["application/pdf"]),
            uploader: Some(Uploader {
                name: Some("Bea".into()),
                email: None,
                note: None,
            }),
        });
    }
    f
}

/// The directory the courier reads owners' addresses from: owner-1's is owner@example.com.
fn addresses() -> Arc<MemAccountDirectory> {
    let d = Arc::new(MemAccountDirectory::default());
    d.add(&OwnerId::parse("owner-1").unwrap(), "owner@example.com");
    d
}

/// A stream record of `name` (INSERT, MODIFY, REMOVE) whose new image is `image`.
fn record(seq: u64, name: &str, image: Value) -> Value {
    json!({
        "eventID": format!("ev-{seq}"),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1795341600.0,
            "Keys": {"owner": {"S": "owner-1"}, "entry": {"S": format!("k{seq}")}},
            "NewImage": image,
            "SequenceNumber": format!("{seq:021}"),
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE"
        },
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/dropgate-upload-log/stream/2026-11-22T10:00:00.000"
    })
}

fn entry(seq: u64, f: &FileRecord, event: EventType) -> Value {
    record(seq, "INSERT", image_json(&entry_item(f, event, at())))
}

/// The webhooks' fan-out over fakes: the store and the queue it writes to.
fn dispatch() -> (Dispatch, Arc<MemWebhooks>, Arc<MemDeliveryQueue>) {
    let store = Arc::new(MemWebhooks::default());
    let queue = Arc::new(MemDeliveryQueue::default());
    let d = Dispatch {
        store: store.clone(),
        log: Arc::new(MemDeliveryLog::default()),
        queue: queue.clone(),
        clock: Arc::new(FixedClock::at(at())),
        ids: Arc::new(SeqIds::default()),
    };
    (d, store, queue)
}

fn batch(records: Vec<Value>) -> Event {
    serde_json::from_value(json!({ "Records": records })).expect("a DynamoDB stream event")
}

struct World {
    deps: Deps,
    notifier: Arc<MemNotifier>,
    bus: Arc<MemBus>,
    mailer: Arc<MemMailer>,
}

fn world() -> World {
    let notifier = Arc::new(MemNotifier::default());
    let mailer = Arc::new(MemMailer::default());
    let bus = Arc::new(MemBus::default());
    World {
        deps: Deps {
            courier: Courier {
                notifier: notifier.clone(),
                bus: bus.clone(),
                mailer: mailer.clone(),
                links: Arc::new(MemLedger::default()),
                addresses: addresses(),
            },
            webhooks: dispatch().0,
        },
        notifier,
        bus,
        mailer,
    }
}

fn failed(r: &aws_lambda_events::event::streams::DynamoDbEventResponse) -> Vec<String> {
    r.batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn every_entry_becomes_a_message_with_a_stable_id_and_verdicts_a_mail() {
    let w = world();
    let accepted = file("f1", FileStatus::Accepted, true);
    let rejected = file("f2", FileStatus::Rejected, false);
    let deleted = file("f3", FileStatus::Accepted, false);
    let ev = batch(vec![
        entry(1, &accepted, EventType::UploadAccepted),
        entry(2, &rejected, EventType::UploadRejected),
        entry(3, &deleted, EventType::FileDeleted),
        // Modifications and TTL removals announce nothing.
        record(4, "REMOVE", json!({})),
    ]);
    let r = handle(ev, &w.deps).await;
    assert!(failed(&r).is_empty(), "{r:?}");
    let sent: Vec<Notification> = w.notifier.sent.lock().unwrap().clone();
    let kinds: Vec<EventType> = sent.iter().map(|n| n.event_type).collect();
    assert_eq!(
        kinds,
        [
            EventType::UploadAccepted,
            EventType::UploadRejected,
            EventType::FileDeleted
        ]
    );
    assert_eq!(sent[0].id, "2026-11-22T10:00:00.000Z#f1#upload.accepted");
    assert_eq!(sent[0].via_link.as_deref(), Some("link-1"));
    let body: Value = serde_json::from_str(&sent[1].body()).unwrap();
    assert_eq!(body["id"], "2026-11-22T10:00:00.000Z#f2#upload.rejected");
    assert_eq!(body["reason"], "type_not_allowed");
    let mails = w.mailer.sent.lock().unwrap().clone();
    assert_eq!(mails.len(), 2, "verdicts only, not the deletion");
    assert!(
        mails[0].subject.contains("Client docs"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0]
            .body
            .contains("Notice id: 2026-11-22T10:00:00.000Z#f1#upload.accepted")
    );
    assert!(
        mails[1].subject.contains("was rejected"),
        "{}",
        mails[1].subject
    );
}

#[tokio::test]
async fn every_entry_is_put_on_the_bus_as_a_typed_event_with_the_notices_id() {
    let w = world();
    let accepted = file("f1", FileStatus::Accepted, true);
    let deleted = file("f3", FileStatus::Accepted, false);
    let r = handle(
        batch(vec![
            entry(1, &accepted, EventType::UploadAccepted),
            entry(2, &deleted, EventType::FileDeleted),
        ]),
        &w.deps,
    )
    .await;
    assert!(failed(&r).is_empty(), "{r:?}");
    let notices = w.notifier.sent.lock().unwrap().clone();
    let put = w.bus.put.lock().unwrap().clone();
    let kinds: Vec<&str> = put.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["file.accepted", "file.deleted"]);
    for (e, n) in put.iter().zip(&notices) {
        assert_eq!(e.id, n.id, "the event's id is the SNS notice's");
        assert_eq!(e.detail.id(), n.id);
        assert_eq!(e.owner, "owner-1");
        assert_eq!(e.time, "2026-11-22T10:00:00.000Z");
    }
}

#[tokio::test]
async fn a_bus_that_cannot_be_reached_retries_the_batch_from_its_first_record() {
    let w = world();
    *w.bus.fail_next.lock().unwrap() = 1;
    let f = file("f1", FileStatus::Accepted, false);
    let ev = || batch(vec![entry(1, &f, EventType::UploadAccepted)]);
    let r = handle(ev(), &w.deps).await;
    assert_eq!(failed(&r), [format!("{:021}", 1)]);
    assert!(w.bus.put.lock().unwrap().is_empty());
    assert!(
        w.mailer.sent.lock().unwrap().is_empty(),
        "no mail before the event"
    );
    let r = handle(ev(), &w.deps).await;
    assert!(failed(&r).is_empty());
    assert_eq!(w.bus.put.lock().unwrap().len(), 1, "put on the retry");
}

#[tokio::test]
async fn a_redelivered_batch_repeats_the_same_ids() {
    let w = world();
    let f = file("f1", FileStatus::Accepted, false);
    for _ in 0..2 {
        let r = handle(
            batch(vec![entry(1, &f, EventType::UploadAccepted)]),
            &w.deps,
        )
        .await;
        assert!(failed(&r).is_empty());
    }
    let sent = w.notifier.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "at least once");
    assert_eq!(sent[0].id, sent[1].id, "duplicates can be dropped by id");
}

#[tokio::test]
async fn a_poison_record_stops_the_batch_there_after_delivering_what_came_before() {
    let w = world();
    let ok = file("f1", FileStatus::Accepted, false);
    let later = file("f3", FileStatus::Accepted, false);
    let ev = batch(vec![
        entry(1, &ok, EventType::UploadAccepted),
        record(2, "INSERT", json!({"event": {"S": "upload.accepted"}})),
        entry(3, &later, EventType::UploadAccepted),
    ]);
    let r = handle(ev, &w.deps).await;
    assert_eq!(failed(&r), [format!("{:021}", 2)]);
    let sent = w.notifier.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "only what came before the poison record");
    assert_eq!(sent[0].file.as_ref().unwrap().id, "f1");
}

/// Fails its first `n` calls, then delivers to the inner fake.
struct Flaky<T> {
    left: Mutex<u32>,
    inner: T,
}

impl<T> Flaky<T> {
    fn failing(n: u32, inner: T) -> Self {
        Self {
            left: Mutex::new(n),
            inner,
        }
    }
    fn fail_now(&self) -> bool {
        let mut l = self.left.lock().unwrap();
        if *l > 0 {
            *l -= 1;
            true
        } else {
            false
        }
    }
}

#[async_trait]
impl Notifier for Flaky<MemNotifier> {
    async fn publish(&self, m: &[Notification]) -> Result<(), CoreError> {
        if self.fail_now() {
            return Err(CoreError::Unavailable("SNS: 503".into()));
        }
        self.inner.publish(m).await
    }
}

#[async_trait]
impl Mailer for Flaky<MemMailer> {
    async fn send(&self, m: &Mail) -> Result<(), CoreError> {
        if self.fail_now() {
            return Err(CoreError::Unavailable("SES: 503".into()));
        }
        self.inner.send(m).await
    }
}

#[tokio::test]
async fn a_failed_publish_fails_the_batch_from_its_first_record_and_a_retry_delivers() {
    let notifier = Arc::new(Flaky::failing(1, MemNotifier::default()));
    let deps = Deps {
        courier: Courier {
            notifier: notifier.clone(),
            bus: Arc::new(MemBus::default()),
            mailer: Arc::new(MemMailer::default()),
            links: Arc::new(MemLedger::default()),
            addresses: addresses(),
        },
        webhooks: dispatch().0,
    };
    let f = file("f1", FileStatus::Accepted, false);
    let g = file("f2", FileStatus::Accepted, false);
    let ev = || {
        batch(vec![
            entry(7, &f, EventType::UploadAccepted),
            entry(8, &g, EventType::UploadAccepted),
        ])
    };
    let r = handle(ev(), &deps).await;
    assert_eq!(failed(&r), [format!("{:021}", 7)]);
    assert!(notifier.inner.sent.lock().unwrap().is_empty());
    let r = handle(ev(), &deps).await;
    assert!(failed(&r).is_empty());
    assert_eq!(notifier.inner.sent.lock().unwrap().len(), 2, "nothing lost");
}

#[tokio::test]
async fn a_failed_mail_resumes_from_its_own_entry() {
    let mailer = Arc::new(Flaky::failing(1, MemMailer::default()));
    let deps = Deps {
        courier: Courier {
            notifier: Arc::new(MemNotifier::default()),
            bus: Arc::new(MemBus::default()),
            mailer: mailer.clone(),
            links: Arc::new(MemLedger::default()),
            addresses: addresses(),
        },
        webhooks: dispatch().0,
    };
    // The first entry (a deletion) mails no one; the second's mail fails once.
    let gone = file("f1", FileStatus::Accepted, false);
    let bad = file("f2", FileStatus::Rejected, false);
    let r = handle(
        batch(vec![
            entry(1, &gone, EventType::FileDeleted),
            entry(2, &bad, EventType::UploadRejected),
        ]),
        &deps,
    )
    .await;
    assert_eq!(failed(&r), [format!("{:021}", 2)]);
    // The event source resumes from the failed record.
    let r = handle(
        batch(vec![entry(2, &bad, EventType::UploadRejected)]),
        &deps,
    )
    .await;
    assert!(failed(&r).is_empty());
    assert_eq!(mailer.inner.sent.lock().unwrap().len(), 1);
}

#[async_trait]
impl OwnerAddress for Flaky<Arc<MemAccountDirectory>> {
    async fn verified_address(&self, owner: &OwnerId) -> Result<Option<String>, CoreError> {
        if self.fail_now() {
            return Err(CoreError::Unavailable("AdminGetUser: 503".into()));
        }
        self.inner.verified_address(owner).await
    }
}

#[tokio::test]
async fn an_unread_address_resumes_from_its_entry_and_the_retry_mails_the_current_address() {
    let mailer = Arc::new(MemMailer::default());
    let directory = addresses();
    let deps = Deps {
        courier: Courier {
            notifier: Arc::new(MemNotifier::default()),
            bus: Arc::new(MemBus::default()),
            mailer: mailer.clone(),
            links: Arc::new(MemLedger::default()),
            addresses: Arc::new(Flaky::failing(1, directory.clone())),
        },
        webhooks: dispatch().0,
    };
    // The record keeps the address the owner had when it was made; the pool holds another now.
    let owner = OwnerId::parse("owner-1").unwrap();
    directory.add(&owner, "owner@moved.example");
    let gone = file("f1", FileStatus::Accepted, false);
    let bad = file("f2", FileStatus::Rejected, false);
    let r = handle(
        batch(vec![
            entry(1, &gone, EventType::FileDeleted),
            entry(2, &bad, EventType::UploadRejected),
        ]),
        &deps,
    )
    .await;
    assert_eq!(failed(&r), [format!("{:021}", 2)]);
    assert!(mailer.sent.lock().unwrap().is_empty(), "no stale fallback");
    let r = handle(
        batch(vec![entry(2, &bad, EventType::UploadRejected)]),
        &deps,
    )
    .await;
    assert!(failed(&r).is_empty());
    let sent = mailer.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, "owner@moved.example");
}

#[tokio::test]
async fn each_event_is_enqueued_once_per_subscribed_active_webhook_of_its_owner() {
    let (webhooks, store, queue) = dispatch();
    let owner = OwnerId::parse("owner-1").unwrap();
    let hook = |id: &str, events, state| Webhook {
        id: id.into(),
        owner: owner.clone(),
        url: "https://hooks.example.com/".into(),
        events,
        description: None,
        sealed_secret: "sealed".into(),
        created_at: "2026-11-22T10:00:00.000Z".into(),
        state,
        stalled_until: None,
        cap_wait_until: None,
    };
    use dropgate_core::events::EventKind::{FileAccepted, FileDeleted};
    for h in [
        hook("w1", vec![FileAccepted], WebhookState::Active),
        hook("w2", vec![FileAccepted, FileDeleted], WebhookState::Active),
        hook("w3", vec![FileAccepted], WebhookState::Paused),
    ] {
        store.insert(&h, 10).await.unwrap();
    }
    let deps = Deps {
        courier: Courier {
            notifier: Arc::new(MemNotifier::default()),
            bus: Arc::new(MemBus::default()),
            mailer: Arc::new(MemMailer::default()),
            links: Arc::new(MemLedger::default()),
            addresses: addresses(),
        },
        webhooks,
    };
    let f = file("f1", FileStatus::Accepted, false);
    let r = handle(
        batch(vec![
            entry(1, &f, EventType::UploadAccepted),
            entry(2, &f, EventType::FileDeleted),
        ]),
        &deps,
    )
    .await;
    assert!(failed(&r).is_empty());
    let mut jobs: Vec<(String, u32)> = std::iter::from_fn(|| queue.pop())
        .map(|(j, _)| (j.webhook_id, j.attempt))
        .collect();
    jobs.sort();
    assert_eq!(
        jobs,
        [("w1".into(), 1), ("w2".into(), 1), ("w2".into(), 1)],
        "accepted to w1 and w2, deleted to w2 only, nothing to the paused w3"
    );
}
