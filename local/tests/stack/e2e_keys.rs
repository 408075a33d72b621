//! End to end, over HTTP as strangers would: object keys say nothing of the owner. A stranger
//! drops a file through a link (one PUT) and a large one (in parts), another downloads a share:
//! no presigned URL and no JSON answer any of them receives contains the owner's id, and the
//! files are judged, downloaded and deleted as ever. A file written the old way (record and
//! object under `uploads/{owner}/{file}`) is still judged, downloaded and deleted under its key.

use crate::common;

use common::{LocalStack, samples};
use dropgate_core::files::{OwnerLedger, Reservation};
use dropgate_core::keys::KeyScheme;
use dropgate_core::{FileId, FileRecord, OwnerId};
use dropgate_infra::dynamo::DynamoLedger;
use reqwest::Method;
use serde_json::{Value, json};

const MIB: usize = 1 << 20;
/// Two parts (8 MiB and 1 MiB) once the single-PUT limit is lowered to 1 MiB.
const LARGE: usize = 9 * MIB;

/// Every answer a stranger got, kept to be searched for the owner's id.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn keep(&mut self, v: &Value) -> Value {
        self.0.push(v.to_string());
        v.clone()
    }

    fn assert_nothing_of(&self, sub: &str) {
        assert!(self.0.len() >= 8, "too few answers seen: {}", self.0.len());
        for answer in &self.0 {
            assert!(
                !answer.contains(sub),
                "the owner's id reached a stranger: {answer}"
            );
        }
    }
}

/// The object key of a presigned URL (path-style: `/{bucket}/{key}?...`).
fn key_of(url: &str, bucket: &str) -> String {
    url.split(&format!("/{bucket}/"))
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("no key in {url}"))
        .to_owned()
}

async fn anonymous(
    stack: &LocalStack,
    seen: &mut Seen,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let (s, _, b) = stack.anonymous(method, path, body).await;
    (s, seen.keep(&b))
}

/// Follows a receipt until its file leaves `pending` (bounded).
async fn judged(stack: &LocalStack, seen: &mut Seen, receipt: &str) -> Value {
    let path = format!("/drop/receipts/{receipt}");
    let v = stack
        .wait_for("the drop's verdict", 60, || async {
            let (_, _, r) = stack.anonymous(Method::GET, &path, None).await;
            (!common::is_judging(&r["file"])).then_some(r)
        })
        .await;
    seen.keep(&v)
}

async fn fetch(stack: &LocalStack, url: &str) -> Vec<u8> {
    let r = stack.http.get(url).send().await.expect("GET presigned");
    assert_eq!(r.status().as_u16(), 200, "{url}");
    r.bytes().await.expect("bytes").to_vec()
}

async fn delete(stack: &LocalStack, token: &str, id: &str) {
    let (s, b) = stack
        .call(Method::DELETE, &format!("/files/{id}"), Some(token), None)
        .await;
    assert_eq!(s, 204, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_url_or_answer_a_stranger_gets_names_the_owner() {
    let stack = LocalStack::start_with(&[("SINGLE_PUT_MAX_BYTES", "1048576")]).await;
    let bucket = stack.resource("bucket");
    let ada = stack.user("ada-keys@example.com").await;
    let sub = LocalStack::sub_of(&ada);
    assert!(sub.len() >= 8, "{sub}");
    let mut seen = Seen::default();
    let (s, l) = stack
        .post("/links", Some(&ada), json!({"label": "Inbox"}))
        .await;
    assert_eq!(s, 201, "{l}");
    let link = l["link"]["token"].as_str().unwrap().to_owned();
    let (s, info) = anonymous(
        &stack,
        &mut seen,
        Method::GET,
        &format!("/drop/{link}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{info}");

    // One PUT.
    let png = samples::png();
    let (s, small) = anonymous(
        &stack,
        &mut seen,
        Method::POST,
        &format!("/drop/{link}/files"),
        Some(json!({"name": "photo.png", "size": png.len(), "content_type": "image/png"})),
    )
    .await;
    assert_eq!(s, 201, "{small}");
    let small_id = small["file"]["id"].as_str().unwrap().to_owned();
    let put_url = small["upload"]["url"].as_str().unwrap();
    assert_eq!(key_of(put_url, &bucket), format!("uploads/{small_id}"));
    assert_eq!(stack.put(&small, png.clone()).await, 200);
    let v = judged(&stack, &mut seen, small["receipt"].as_str().unwrap()).await;
    assert_eq!(v["file"]["status"], "accepted", "{v}");

    // In parts.
    let (s, large) = anonymous(
        &stack,
        &mut seen,
        Method::POST,
        &format!("/drop/{link}/files"),
        Some(json!({"name": "notes.txt", "size": LARGE, "content_type": "text/plain"})),
    )
    .await;
    assert_eq!(s, 201, "{large}");
    assert_eq!(large["upload"]["method"], "multipart", "{large}");
    let large_id = large["file"]["id"].as_str().unwrap().to_owned();
    let base = format!("/drop/receipts/{}", large["receipt"].as_str().unwrap());
    let (s, parts) = anonymous(
        &stack,
        &mut seen,
        Method::POST,
        &format!("{base}/parts"),
        Some(json!({"part_numbers": [1, 2]})),
    )
    .await;
    assert_eq!(s, 200, "{parts}");
    let bytes: Vec<u8> = (0..LARGE).map(|i| b'a' + (i / MIB % 26) as u8).collect();
    let mut tags = vec![];
    for part in parts["parts"].as_array().expect("parts") {
        let url = part["url"].as_str().unwrap();
        assert_eq!(key_of(url, &bucket), format!("uploads/{large_id}"));
        let n = part["number"].as_u64().unwrap() as usize;
        let chunk = &bytes[(n - 1) * 8 * MIB..(n * 8 * MIB).min(LARGE)];
        let mut req = stack.http.put(url);
        for (k, v) in part["headers"].as_object().expect("headers") {
            if k != "content-length" {
                req = req.header(k.as_str(), v.as_str().unwrap());
            }
        }
        let r = req.body(chunk.to_vec()).send().await.expect("PUT part");
        assert_eq!(r.status().as_u16(), 200, "part {n}");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        tags.push(json!({"number": n, "etag": etag}));
    }
    let (s, listing) = anonymous(
        &stack,
        &mut seen,
        Method::GET,
        &format!("{base}/parts"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{listing}");
    let (s, done) = anonymous(
        &stack,
        &mut seen,
        Method::POST,
        &format!("{base}/complete"),
        Some(json!({"parts": tags})),
    )
    .await;
    assert_eq!(s, 200, "{done}");
    let v = judged(&stack, &mut seen, large["receipt"].as_str().unwrap()).await;
    assert_eq!(v["file"]["status"], "accepted", "{v}");

    // A share of the small file, downloaded by another stranger.
    let (s, sh) = stack
        .post(&format!("/files/{small_id}/shares"), Some(&ada), json!({}))
        .await;
    assert_eq!(s, 201, "{sh}");
    let share = sh["share"]["token"].as_str().unwrap().to_owned();
    let (s, about) = anonymous(
        &stack,
        &mut seen,
        Method::GET,
        &format!("/share/{share}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{about}");
    let (s, got) = anonymous(
        &stack,
        &mut seen,
        Method::POST,
        &format!("/share/{share}/download"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{got}");
    let get_url = got["url"].as_str().unwrap();
    assert_eq!(key_of(get_url, &bucket), format!("uploads/{small_id}"));
    assert_eq!(fetch(&stack, get_url).await, png);
    seen.assert_nothing_of(&sub);

    // The owner downloads and deletes both, as ever.
    let (s, own) = stack
        .get(&format!("/files/{large_id}/download"), &ada)
        .await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(fetch(&stack, own["url"].as_str().unwrap()).await, bytes);
    for id in [&small_id, &large_id] {
        delete(&stack, &ada, id).await;
        assert!(stack.raw_object(&format!("uploads/{id}")).await.is_none());
    }
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (q["used_bytes"].as_u64(), q["files"].as_u64()),
        (Some(0), Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_keyed_the_old_way_is_judged_downloaded_and_deleted() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada-legacy@example.com").await;
    let owner = OwnerId::parse(&LocalStack::sub_of(&ada)).unwrap();
    let sdk = stack.sdk().await;
    let tables = &stack.ready["resources"]["tables"];
    let ledger = DynamoLedger {
        client: aws_sdk_dynamodb::Client::new(&sdk),
        files_table: tables["files"].as_str().unwrap().to_owned(),
        quotas_table: tables["quotas"].as_str().unwrap().to_owned(),
        log_table: tables["upload_log"].as_str().unwrap().to_owned(),
        links_table: tables["links"].as_str().unwrap().to_owned(),
        pending_shards: 1,
    };
    // As the previous version wrote it: no object key on the record, the owner in the key.
    let png = samples::png();
    let id = FileId::parse("0190aaaa-0000-7000-8000-000000000001").unwrap();
    let legacy = FileRecord {
        key_scheme: KeyScheme::Owner,
        scan: None,
        scan_started_at: None,
        lifecycle: Default::default(),
        versioning: Default::default(),
        ..FileRecord::pending(
            id.clone(),
            owner.clone(),
            "old photo.png".into(),
            png.len() as u64,
            "image/png".into(),
            chrono::Utc::now(),
            std::time::Duration::from_secs(900),
        )
    };
    assert_eq!(
        ledger.create_pending(&legacy, 1 << 30).await.unwrap(),
        Reservation::Reserved
    );
    let key = format!("uploads/{owner}/{id}");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.put_object()
        .bucket(stack.resource("bucket"))
        .key(&key)
        .content_type("image/png")
        .body(png.clone().into())
        .send()
        .await
        .expect("PutObject");
    // Its event goes through the pipeline: judged under its old key.
    let file = stack.settled(&ada, id.as_str()).await;
    assert_eq!(file["status"], "accepted", "{file}");
    let (s, own) = stack.get(&format!("/files/{id}/download"), &ada).await;
    assert_eq!(s, 200, "{own}");
    let url = own["url"].as_str().unwrap();
    assert!(url.contains(&key), "{url}");
    assert_eq!(fetch(&stack, url).await, png);
    delete(&stack, &ada, id.as_str()).await;
    assert!(
        stack.raw_object(&key).await.is_none(),
        "the old object is removed"
    );
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (q["used_bytes"].as_u64(), q["files"].as_u64()),
        (Some(0), Some(0))
    );
}
