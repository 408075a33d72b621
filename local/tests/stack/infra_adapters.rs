//! Integration tests of the infra adapters against the emulator: each test starts its own
//! emulator on a free loopback port and provisions it as the local stack does.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Utc;
use dropgate_core::contract::objects;
use dropgate_core::files::{
    FileLookup, JanitorLedger, OwnerLedger, PipelineLedger, Reservation, Settlement, Settling,
};
use dropgate_core::notify::{EventType, Notification, Notifier};
use dropgate_core::objects::{ObjectStore, PresignedRequest};
use dropgate_core::profile::Profiles;
use dropgate_core::{FileId, FileRecord, FileStatus, OwnerId};
use dropgate_infra::Clients;
use dropgate_infra::dynamo::DynamoLedger;
use dropgate_infra::s3::S3Store;
use dropgate_infra::sns::SnsNotifier;
use dropgate_local::emulator::{Emulator, project_root};
use dropgate_local::provision::{self, Resources};

/// An emulator of the test's own, provisioned as the local stack does (infra_links uses it too).
pub(crate) struct Env {
    _emulator: Emulator,
    pub(crate) clients: Clients,
    /// A plain S3 client for the test's own bulk uploads: the functions' clients bound every
    /// call to seconds, and never upload bytes themselves (clients use presigned URLs).
    bulk_s3: aws_sdk_s3::Client,
    pub(crate) r: Resources,
}

pub(crate) async fn env() -> Env {
    let emulator = Emulator::start(&project_root()).await.expect("emulator");
    let sdk = provision::sdk_config(&emulator.endpoint).await;
    let r = provision::provision(&sdk, &["http://127.0.0.1".into()])
        .await
        .expect("provision");
    Env {
        clients: Clients::new(&sdk, true, "dropgate-tests"),
        bulk_s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        ),
        _emulator: emulator,
        r,
    }
}

pub(crate) fn ledger(e: &Env) -> DynamoLedger {
    DynamoLedger {
        client: e.clients.dynamodb().clone(),
        files_table: e.r.tables.files.clone(),
        quotas_table: e.r.tables.quotas.clone(),
        log_table: e.r.tables.upload_log.clone(),
        links_table: e.r.tables.links.clone(),
        pending_shards: 4,
    }
}

fn record(owner: &str, id: &str, size: u64, expires_in_secs: i64) -> FileRecord {
    let now = Utc::now();
    FileRecord {
        id: FileId::parse(id).unwrap(),
        owner: OwnerId::parse(owner).unwrap(),
        name: "a name with spaces + ✓.txt".into(),
        size,
        content_type: "text/plain".into(),
        status: FileStatus::Pending,
        detected_type: None,
        reason: None,
        created_at: now,
        upload_expires_at: now + chrono::Duration::seconds(expires_in_secs),
        link: None,
        owner_email: Some("ada@example.com".into()),
        stored: None,
        multipart: None,
        key_scheme: dropgate_core::keys::KeyScheme::File,
        scan: None,
        scan_started_at: None,
        lifecycle: Default::default(),
        versioning: Default::default(),
    }
}

fn settlement(status: FileStatus) -> Settlement {
    Settlement {
        status,
        detected_type: Some("text/plain".into()),
        reason: (status != FileStatus::Accepted).then(|| "type_mismatch".into()),
        at: Utc::now(),
        stored_size: Some(10),
        stored_etag: None,
        give_back_link: false,
        scan: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_reserves_settles_once_and_removes_conditionally() {
    let e = env().await;
    let l = ledger(&e);
    let owner = OwnerId::parse("owner-1").unwrap();
    let a = record("owner-1", "f01", 60, 900);
    let b = record("owner-1", "f02", 40, 900);
    let c = record("owner-1", "f03", 1, 900);
    assert_eq!(
        l.create_pending(&a, 100).await.unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        l.create_pending(&b, 100).await.unwrap(),
        Reservation::Reserved
    );
    assert_eq!(
        l.create_pending(&c, 100).await.unwrap(),
        Reservation::QuotaExceeded
    );
    assert_eq!(
        l.create_pending(&c, 0).await.unwrap(),
        Reservation::QuotaExceeded
    );
    assert!(
        l.get_file(&owner, &c.id).await.unwrap().is_none(),
        "no record without a reservation"
    );
    let u = l.usage(&owner, 100).await.unwrap();
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (0, 100, 2));

    let got = l.get_file(&owner, &a.id).await.unwrap().unwrap();
    assert_eq!(got, a.clone().with_millis());
    let both = l
        .get_files(&[
            a.upload_key(),
            dropgate_core::keys::UploadKey::File(FileId::parse("nope").unwrap()),
            b.upload_key(),
        ])
        .await
        .unwrap();
    assert_eq!(both.len(), 2);

    assert!(
        l.settle(&a, &settlement(FileStatus::Accepted))
            .await
            .unwrap()
    );
    assert!(
        !l.settle(&a, &settlement(FileStatus::Accepted))
            .await
            .unwrap(),
        "a replay changes nothing"
    );
    assert!(
        !l.settle(&a, &settlement(FileStatus::Rejected))
            .await
            .unwrap()
    );
    assert!(
        l.settle(&b, &settlement(FileStatus::Rejected))
            .await
            .unwrap()
    );
    let u = l.usage(&owner, 100).await.unwrap();
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (60, 0, 1));

    // Removal is conditional on the status the caller saw.
    assert!(
        !l.remove_file(&a, None).await.unwrap(),
        "a is accepted now, not pending"
    );
    let accepted = l.get_file(&owner, &a.id).await.unwrap().unwrap();
    assert_eq!(accepted.status, FileStatus::Accepted);
    assert!(l.remove_file(&accepted, None).await.unwrap());
    let rejected = l.get_file(&owner, &b.id).await.unwrap().unwrap();
    assert_eq!(rejected.reason.as_deref(), Some("type_mismatch"));
    assert!(l.remove_file(&rejected, None).await.unwrap());
    let u = l.usage(&owner, 100).await.unwrap();
    assert_eq!((u.used_bytes, u.reserved_bytes, u.files), (0, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_lists_pages_and_finds_stale_pending_files() {
    let e = env().await;
    let l = ledger(&e);
    let owner = OwnerId::parse("owner-2").unwrap();
    for i in 0..7 {
        let expires = if i < 3 { -60 } else { 900 };
        let r = record("owner-2", &format!("f{i:02}"), 1, expires);
        assert_eq!(
            l.create_pending(&r, 1000).await.unwrap(),
            Reservation::Reserved
        );
    }
    let other = record("owner-3", "f99", 1, -60);
    l.create_pending(&other, 1000).await.unwrap();
    let mut seen = Vec::new();
    let mut after: Option<FileId> = None;
    loop {
        let page = l.list_files(&owner, 3, after.as_ref()).await.unwrap();
        assert!(page.files.len() <= 3);
        seen.extend(page.files.iter().map(|f| f.id.to_string()));
        match page.next_after {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, ["f06", "f05", "f04", "f03", "f02", "f01", "f00"]);
    let stale = l.stale_pending(Utc::now(), 100).await.unwrap();
    let mut ids: Vec<String> = stale
        .iter()
        .map(|f| format!("{}/{}", f.owner, f.id))
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        ["owner-2/f00", "owner-2/f01", "owner-2/f02", "owner-3/f99"]
    );
    // Settled files leave the sparse index.
    l.settle(&stale[0], &settlement(FileStatus::Expired))
        .await
        .unwrap();
    assert_eq!(l.stale_pending(Utc::now(), 100).await.unwrap().len(), 3);
    // ... into the cleanup shard, until the object's removal is confirmed.
    let waiting = l.awaiting_cleanup(100).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        (waiting[0].id.clone(), waiting[0].status),
        (stale[0].id.clone(), FileStatus::Expired)
    );
    l.mark_cleaned(&waiting[0]).await.unwrap();
    assert!(l.awaiting_cleanup(100).await.unwrap().is_empty());
    assert!(l.remove_file(&waiting[0], None).await.unwrap());
    l.mark_cleaned(&waiting[0]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_contract() {
    // The same checks the in-memory ledger passes (core/tests/contract.rs).
    let e = env().await;
    dropgate_core::contract::ledger::check_all(&ledger(&e), "ddb", Utc::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_retention_contract() {
    // The same checks the in-memory ledger passes (core/tests/contract.rs).
    let e = env().await;
    dropgate_core::contract::retention::check_all(&ledger(&e), "ddb", Utc::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_trash_contract() {
    // The same checks the in-memory ledger passes (core/tests/contract.rs).
    let e = env().await;
    dropgate_core::contract::trash::check_all(&ledger(&e), "ddb", Utc::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_ledger_keeps_the_versions_contract() {
    // The same checks the in-memory ledger passes (core/tests/contract.rs).
    let e = env().await;
    let l = ledger(&e);
    dropgate_core::contract::versions::check_all(&l, &l, "ddb", Utc::now()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_standing_keeps_the_contract() {
    // The same checks the in-memory standing passes (core/tests/contract.rs), on the owner's
    // record in the quotas table.
    let e = env().await;
    dropgate_core::contract::standing::check_all(&ledger(&e), "ddb").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dynamodb_profiles_keep_the_contract() {
    // The same checks the in-memory profiles pass (core/tests/contract.rs), on the quotas
    // table, where the name sits beside the owner's counters.
    let e = env().await;
    let l = ledger(&e);
    dropgate_core::contract::profiles::check_all(&l, "ddb").await;
    // A name set before any file leaves the quota's first reservation working, and the
    // reservation leaves the name.
    let owner = OwnerId::parse("profile-quota-ddb").unwrap();
    l.set_display_name(&owner, Some("Quota Owner"))
        .await
        .unwrap();
    assert_eq!(l.usage(&owner, 100).await.unwrap().used_bytes, 0);
    let f = record("profile-quota-ddb", "f01", 60, 900);
    assert_eq!(
        l.create_pending(&f, 100).await.unwrap(),
        Reservation::Reserved
    );
    assert_eq!(l.usage(&owner, 100).await.unwrap().reserved_bytes, 60);
    assert_eq!(
        l.profile(&owner).await.unwrap().display_name.as_deref(),
        Some("Quota Owner")
    );
    l.set_display_name(&owner, None).await.unwrap();
    assert_eq!(l.usage(&owner, 100).await.unwrap().reserved_bytes, 60);
}

/// A client of the object store: sends a presigned request exactly as handed out, as the CLI
/// and the browser do (the object and multipart contracts' `Client`).
pub(crate) struct Http(pub(crate) reqwest::Client);

impl objects::Client for Http {
    fn send<'a>(
        &'a self,
        req: &'a PresignedRequest,
        body: Vec<u8>,
    ) -> objects::BoxFuture<'a, objects::Answer> {
        Box::pin(async move {
            let method = reqwest::Method::from_bytes(req.method.as_bytes()).expect("a method");
            let mut r = self.0.request(method, &req.url);
            for (k, v) in &req.headers {
                r = r.header(k, v);
            }
            if req.method != "GET" {
                r = r.body(body);
            }
            let resp = r.send().await.expect("the store answers");
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let (status, cd) = (resp.status().as_u16(), header("content-disposition"));
            let content_type = header("content-type");
            let etag = header("etag").map(|t| t.trim_matches('"').to_owned());
            let body = resp.bytes().await.expect("the body").to_vec();
            objects::Answer {
                status,
                etag,
                body: if (200..300).contains(&status) {
                    body
                } else {
                    vec![]
                },
                content_disposition: cd,
                content_type,
            }
        })
    }
}

pub(crate) fn s3_store(e: &Env) -> S3Store {
    S3Store {
        client: e.clients.s3().clone(),
        bucket: e.r.bucket.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_object_store_keeps_the_contract() {
    // The same checks the in-memory store passes (core/tests/contract.rs).
    let e = env().await;
    objects::check_all(&s3_store(&e), &Http(reqwest::Client::new()), "s3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_pending_files_are_found_across_every_shard_and_the_legacy_one() {
    let e = env().await;
    let l = ledger(&e);
    let mut shards = std::collections::BTreeSet::new();
    for i in 0..12 {
        let r = record("owner-4", &format!("s{i:02}"), 1, -600 + i);
        shards.insert(dropgate_core::keys::pending_shard(&r.id, l.pending_shards));
        l.create_pending(&r, 1000).await.unwrap();
    }
    assert!(shards.len() > 1, "the files spread over shards: {shards:?}");
    // A record written before the index was sharded carries the single legacy value.
    let legacy = record("owner-4", "legacy", 1, -900);
    l.create_pending(&legacy, 1000).await.unwrap();
    e.clients
        .dynamodb()
        .update_item()
        .table_name(&e.r.tables.files)
        .key("owner", AttributeValue::S("owner-4".into()))
        .key("file_id", AttributeValue::S("legacy".into()))
        .update_expression("SET pending_shard = :p")
        .expression_attribute_values(":p", AttributeValue::S("p".into()))
        .send()
        .await
        .unwrap();
    let stale = l.stale_pending(Utc::now(), 100).await.unwrap();
    let ids: Vec<String> = stale.iter().map(|f| f.id.to_string()).collect();
    let mut want = vec!["legacy".to_owned()];
    want.extend((0..12).map(|i| format!("s{i:02}")));
    assert_eq!(ids, want, "oldest deadline first, across shards");
    // The limit keeps the oldest.
    let two = l.stale_pending(Utc::now(), 2).await.unwrap();
    let ids: Vec<&str> = two.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["legacy", "s00"]);
    // Cleanup marks are sharded too, and found.
    for f in &stale[..5] {
        l.settle(f, &settlement(FileStatus::Expired)).await.unwrap();
    }
    assert_eq!(l.awaiting_cleanup(100).await.unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_samples_at_most_the_asked_bytes_and_presigns_what_it_signs() {
    let e = env().await;
    let store = s3_store(&e);
    let big = vec![b'x'; 50 * 1024 * 1024];
    e.bulk_s3
        .put_object()
        .bucket(&e.r.bucket)
        .key("uploads/o/big")
        .body(big.into())
        .send()
        .await
        .unwrap();
    let s = store.sample("uploads/o/big", 8192).await.unwrap().unwrap();
    assert_eq!((s.bytes.len(), s.size), (8192, 50 * 1024 * 1024));
    // Small, empty, missing and deleted objects: the contract (objects::check_all).
    let put = store
        .presign_put("uploads/o/f", 123, "image/png", Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    assert_eq!(
        put.headers.get("content-length").map(String::as_str),
        Some("123")
    );
    assert_eq!(
        put.headers.get("content-type").map(String::as_str),
        Some("image/png")
    );
    assert_eq!(
        put.headers.get("if-none-match").map(String::as_str),
        Some("*")
    );
    assert!(
        put.url.contains("X-Amz-Expires=3600"),
        "the adapter signs what it is given; core clamps: {}",
        put.url
    );
    let signed = put
        .url
        .split("X-Amz-SignedHeaders=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert_eq!(
        signed,
        "content-length%3Bcontent-type%3Bhost%3Bif-none-match"
    );
    let get = store
        .presign_get(
            "uploads/o/f",
            "attachment; filename=\"a\"",
            "application/octet-stream",
            Duration::from_secs(300),
        )
        .await
        .unwrap();
    assert!(
        get.url.contains("response-content-disposition=attachment"),
        "{}",
        get.url
    );
    assert!(get.url.contains("X-Amz-Expires=300"));
    // The signed URL names the type to serve: S3 answers with it, whatever the PUT declared.
    assert!(
        get.url
            .contains("response-content-type=application%2Foctet-stream"),
        "{}",
        get.url
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifier_publishes_batches_with_attributes() {
    let e = env().await;
    let sqs = e.clients.sqs();
    let q = sqs.create_queue().queue_name("sink").send().await.unwrap();
    let url = q.queue_url().unwrap().to_owned();
    e.clients
        .sns()
        .subscribe()
        .topic_arn(&e.r.topic_arn)
        .protocol("sqs")
        .endpoint("arn:aws:sqs:us-east-1:123456789012:sink")
        .attributes("FilterPolicy", r#"{"event_type":["upload.accepted"]}"#)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap();
    let notifier = SnsNotifier {
        client: e.clients.sns().clone(),
        topic_arn: e.r.topic_arn.clone(),
    };
    let mut notes = Vec::new();
    for i in 0..12 {
        let mut f = record("owner-4", &format!("n{i:02}"), 5, 900);
        f.status = FileStatus::Accepted;
        let kind = if i % 3 == 0 {
            EventType::UploadRejected
        } else {
            EventType::UploadAccepted
        };
        notes.push(Notification::new(kind, &f, Utc::now()));
    }
    notifier.publish(&notes).await.unwrap();
    let mut got = 0;
    for _ in 0..10 {
        let out = sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        for m in out.messages() {
            let v: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(v["type"], "upload.accepted");
            sqs.delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
            got += 1;
        }
        if got == 8 {
            break;
        }
    }
    assert_eq!(got, 8, "12 published, 8 accepted pass the filter");
}

trait Millis {
    fn with_millis(self) -> Self;
}

impl Millis for FileRecord {
    /// Records store times at millisecond precision.
    fn with_millis(mut self) -> Self {
        use chrono::{DurationRound, TimeDelta};
        let ms = TimeDelta::milliseconds(1);
        self.created_at = self.created_at.duration_trunc(ms).unwrap();
        self.upload_expires_at = self.upload_expires_at.duration_trunc(ms).unwrap();
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pointer_carries_only_its_owner_and_lives_as_long_as_its_record() {
    let e = env().await;
    let l = ledger(&e);
    let ddb = e.clients.dynamodb().clone();
    let f = record("owner-p", "fp1", 10, 900);
    assert_eq!(
        l.create_pending(&f, 100).await.unwrap(),
        Reservation::Reserved
    );
    let raw = |owner: String, id: &str| {
        let ddb = ddb.clone();
        let table = e.r.tables.files.clone();
        let id = id.to_owned();
        async move {
            ddb.get_item()
                .table_name(table)
                .key("owner", AttributeValue::S(owner))
                .key("file_id", AttributeValue::S(id))
                .consistent_read(true)
                .send()
                .await
                .unwrap()
                .item
        }
    };
    let pointer = raw("key#fp1".into(), "fp1").await.expect("pointer");
    let mut attrs: Vec<&str> = pointer.keys().map(String::as_str).collect();
    attrs.sort();
    // Nothing an index, a listing or a stream consumer could take for a file.
    assert_eq!(attrs, ["file_id", "file_owner", "owner"]);
    assert_eq!(pointer["file_owner"].as_s().unwrap(), "owner-p");
    let rec = raw("owner-p".into(), "fp1").await.expect("record");
    assert_eq!(rec["object_key"].as_s().unwrap(), "uploads/fp1");
    assert!(
        l.settle(&f, &settlement(FileStatus::Rejected))
            .await
            .unwrap()
    );
    let (pointer, rec) = (
        raw("key#fp1".into(), "fp1").await.expect("pointer"),
        raw("owner-p".into(), "fp1").await.expect("record"),
    );
    assert_eq!(pointer["expires_at"], rec["expires_at"], "expires with it");
    let settled = l.get_file(&f.owner, &f.id).await.unwrap().unwrap();
    assert!(l.remove_file(&settled, None).await.unwrap());
    assert!(
        raw("key#fp1".into(), "fp1").await.is_none(),
        "removed with it"
    );
}

/// The functions' own configuration (built by hand from the variables Lambda sets, not by
/// `aws_config`'s loader) signs, times and retries real calls: the S3 and standing contracts
/// pass through clients made from an emulator's address and Lambda-shaped variables alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_from_lambdas_variables_keep_the_contracts() {
    let e = env().await;
    let config = dropgate_local::function_config(&e.r, "http://127.0.0.1").expect("config");
    let vars = std::collections::HashMap::from([
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_SESSION_TOKEN", "testing".to_owned()),
        ("AWS_ENDPOINT_URL", e._emulator.endpoint.clone()),
    ]);
    let clients = Clients::from_vars(&config, "dropgate-tests", &|k| vars.get(k).cloned())
        .expect("Lambda's variables are enough");
    let store = S3Store {
        client: clients.s3().clone(),
        bucket: e.r.bucket.clone(),
    };
    objects::check_all(&store, &Http(reqwest::Client::new()), "s3env").await;
    let mut l = ledger(&e);
    l.client = clients.dynamodb().clone();
    dropgate_core::contract::standing::check_all(&l, "ddbenv").await;
    // Without credentials a function does not start.
    let none = std::collections::HashMap::from([("AWS_REGION", "us-east-1".to_owned())]);
    assert!(Clients::from_vars(&config, "dropgate-tests", &|k| none.get(k).cloned()).is_err());
}
