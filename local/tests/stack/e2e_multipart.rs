//! End to end, over HTTP as a client would: a large file in parts straight to the emulator's
//! S3 through presigned URLs (threshold lowered to 1 MiB so that 17 MiB make three parts),
//! completion refused while a part is missing or resized (nothing settles), resume from the
//! listing, the verdict, the bytes back, the quota exact; delete aborting a pending upload;
//! another owner's file; a drop through a link by receipt.

use crate::common;

use common::LocalStack;
use reqwest::Method;
use serde_json::{Value, json};

const MIB: usize = 1 << 20;
const SIZE: usize = 17 * MIB;

fn code(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

/// Plain text: accepted as `text/plain`, and each part's bytes differ.
fn text_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i / MIB % 26) as u8).collect()
}

/// PUTs `bytes` to a presigned part URL with exactly its headers; returns status and ETag.
pub(crate) async fn put_part(stack: &LocalStack, part: &Value, bytes: &[u8]) -> (u16, String) {
    let mut req = stack.http.put(part["url"].as_str().expect("url"));
    for (k, v) in part["headers"].as_object().expect("headers") {
        if k != "content-length" {
            req = req.header(k.as_str(), v.as_str().expect("header"));
        }
    }
    let resp = req.body(bytes.to_vec()).send().await.expect("PUT part");
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (resp.status().as_u16(), etag)
}

fn range(n: u64) -> std::ops::Range<usize> {
    let start = (n as usize - 1) * 8 * MIB;
    start..(start + 8 * MIB).min(SIZE)
}

/// Asks for the URLs of `numbers` under `base` and uploads those parts of `bytes`.
async fn send_parts(
    stack: &LocalStack,
    base: &str,
    token: Option<&str>,
    bytes: &[u8],
    numbers: &[u64],
) -> Vec<Value> {
    let (s, b) = stack
        .post(
            &format!("{base}/parts"),
            token,
            json!({"part_numbers": numbers}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let mut tags = vec![];
    for part in b["parts"].as_array().expect("parts") {
        let n = part["number"].as_u64().unwrap();
        let (s, etag) = put_part(stack, part, &bytes[range(n)]).await;
        assert_eq!(s, 200, "part {n}");
        tags.push(json!({"number": n, "etag": etag}));
    }
    tags
}

async fn usage(stack: &LocalStack, token: &str) -> (u64, u64) {
    let (_, q) = stack.get("/quota", token).await;
    (
        q["used_bytes"].as_u64().unwrap(),
        q["reserved_bytes"].as_u64().unwrap(),
    )
}

async fn open_uploads(stack: &LocalStack) -> usize {
    let sdk = stack.sdk().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.list_multipart_uploads()
        .bucket(stack.resource("bucket"))
        .send()
        .await
        .expect("ListMultipartUploads")
        .uploads()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_goes_up_in_parts_and_resumes_and_every_rule_holds() {
    let stack = LocalStack::start_with(&[("SINGLE_PUT_MAX_BYTES", "1048576")]).await;
    let ada = stack.user("ada-mp@example.com").await;
    let bob = stack.user("bob-mp@example.com").await;
    let health = stack.http.get(stack.url("/health")).send().await.unwrap();
    assert_eq!(health.headers()["dropgate-upload-api"], "2");

    let bytes = text_bytes(SIZE);
    let c = stack.create(&ada, "notes.txt", SIZE, "text/plain").await;
    assert_eq!(c["upload"]["method"], "multipart", "{c}");
    assert_eq!(c["upload"]["part_size"], 8 * MIB);
    assert_eq!(c["upload"]["part_count"], 3);
    let id = c["file"]["id"].as_str().unwrap().to_owned();
    let base = format!("/files/{id}");
    assert_eq!(usage(&stack, &ada).await, (0, SIZE as u64));

    // Part numbers outside 1..3, another owner: refused.
    for n in [0, 4] {
        let (s, b) = stack
            .post(
                &format!("{base}/parts"),
                Some(&ada),
                json!({"part_numbers": [n]}),
            )
            .await;
        assert_eq!((s, code(&b)), (400, Some("invalid_part_number")), "{b}");
    }
    let (s, b) = stack
        .post(
            &format!("{base}/parts"),
            Some(&bob),
            json!({"part_numbers": [1]}),
        )
        .await;
    assert_eq!((s, code(&b)), (404, Some("not_found")));
    let (s, _) = stack.get(&format!("{base}/parts"), &bob).await;
    assert_eq!(s, 404);

    // Two parts, then a "crash": the listing says what arrived.
    let mut tags = send_parts(&stack, &base, Some(&ada), &bytes, &[1, 2]).await;
    let (s, l) = stack.get(&format!("{base}/parts"), &ada).await;
    assert_eq!(s, 200, "{l}");
    let listed: Vec<u64> = l["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, vec![1, 2]);
    assert_eq!(l["parts"][0]["size"], 8 * MIB);
    assert_eq!(
        l["parts"][0]["etag"].as_str().unwrap(),
        tags[0]["etag"].as_str().unwrap().trim_matches('"')
    );
    let (s, b) = stack
        .post(
            &format!("{base}/complete"),
            Some(&ada),
            json!({"parts": tags}),
        )
        .await;
    assert_eq!((s, code(&b)), (409, Some("incomplete_upload")), "{b}");
    assert_eq!(b["error"]["missing_parts"], json!([3]));

    // A part of the wrong size (the emulator does not check signatures; S3 would refuse the
    // PUT): completion refuses it too, and nothing settles.
    let (s, b) = stack
        .post(
            &format!("{base}/parts"),
            Some(&ada),
            json!({"part_numbers": [3]}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = put_part(&stack, &b["parts"][0], &bytes[range(3)][..100]).await;
    assert_eq!(s, 200);
    let (s, b) = stack
        .post(
            &format!("{base}/complete"),
            Some(&ada),
            json!({"parts": tags}),
        )
        .await;
    assert_eq!((s, code(&b)), (409, Some("incomplete_upload")), "{b}");
    assert_eq!(b["error"]["wrong_size_parts"], json!([3]));
    let (_, f) = stack.get(&base, &ada).await;
    assert_eq!(f["file"]["status"], "pending");
    assert_eq!(usage(&stack, &ada).await, (0, SIZE as u64));

    // Resume: only the part that is wrong, then complete (twice: the second is a no-op).
    tags.extend(send_parts(&stack, &base, Some(&ada), &bytes, &[3]).await);
    for _ in 0..2 {
        let (s, b) = stack
            .post(
                &format!("{base}/complete"),
                Some(&ada),
                json!({"parts": tags}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let f = stack.settled(&ada, &id).await;
    assert_eq!(f["status"], "accepted", "{f}");
    assert_eq!(usage(&stack, &ada).await, (SIZE as u64, 0));
    let (s, d) = stack.get(&format!("{base}/download"), &ada).await;
    assert_eq!(s, 200, "{d}");
    let back = stack
        .http
        .get(d["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(back.as_ref() == bytes.as_slice(), "bytes differ");

    // Delete a pending multipart file: its upload is aborted, its reservation released.
    let c = stack.create(&ada, "more.txt", SIZE, "text/plain").await;
    let id2 = c["file"]["id"].as_str().unwrap().to_owned();
    send_parts(&stack, &format!("/files/{id2}"), Some(&ada), &bytes, &[1]).await;
    assert_eq!(open_uploads(&stack).await, 1);
    let (s, _) = stack
        .call(Method::DELETE, &format!("/files/{id2}"), Some(&ada), None)
        .await;
    assert_eq!(s, 204);
    assert_eq!(open_uploads(&stack).await, 0);
    assert_eq!(usage(&stack, &ada).await, (SIZE as u64, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_drops_a_large_file_through_a_link_by_receipt() {
    let stack = LocalStack::start_with(&[("SINGLE_PUT_MAX_BYTES", "1048576")]).await;
    let ada = stack.user("ada-mpd@example.com").await;
    let (s, l) = stack
        .post("/links", Some(&ada), json!({"label": "Rushes"}))
        .await;
    assert_eq!(s, 201, "{l}");
    let token = l["link"]["token"].as_str().unwrap();
    let (s, _, d) = stack
        .anonymous(
            Method::POST,
            &format!("/drop/{token}/files"),
            Some(json!({"name": "rushes.txt", "size": SIZE, "content_type": "text/plain"})),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["upload"]["method"], "multipart");
    let receipt = d["receipt"].as_str().unwrap();
    let base = format!("/drop/receipts/{receipt}");
    let bytes = text_bytes(SIZE);
    send_parts(&stack, &base, None, &bytes, &[3, 1]).await;
    let (s, _, listing) = stack
        .anonymous(Method::GET, &format!("{base}/parts"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(listing["parts"].as_array().unwrap().len(), 2);
    send_parts(&stack, &base, None, &bytes, &[2]).await;
    let (s, _, b) = stack
        .anonymous(Method::POST, &format!("{base}/complete"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    let v = stack
        .wait_for("the drop's verdict", 60, || async {
            let (_, _, r) = stack.anonymous(Method::GET, &base, None).await;
            (!common::is_judging(&r["file"])).then_some(r)
        })
        .await;
    assert_eq!(v["file"]["status"], "accepted", "{v}");
    assert_eq!(v["file"]["size"], SIZE);
}
