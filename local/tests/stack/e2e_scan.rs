//! End to end, through the local stack with its real scanner (clamd playing GuardDuty): the
//! malware gate. EICAR, plain, inside a ZIP and as the first part of a multipart upload, through
//! an account upload, a link drop and a multipart upload, ends `rejected: malware_found`, its
//! bytes gone, never downloadable or shareable, the owner mailed once and one `upload.rejected`
//! entry logged; a clean file is `scanning` and shut until its clean verdict; with the scanner
//! off the type verdict alone accepts and says so. Helpers for the other `e2e_scan_*` modules.

use crate::common;
use crate::e2e_links::{drop_file, make_link, put_dropped, receipt, token_of};
use crate::e2e_multipart::put_part;

use common::{LocalStack, samples};
use serde_json::{Value, json};

/// The EICAR test file: every scanner's agreed stand-in for malware (68 bytes).
pub(crate) const EICAR: &[u8] =
    br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// The plan ARN the local scanner signs its results with.
pub(crate) const LOCAL_PLAN: &str =
    "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/dropgate-local";

const MIB: usize = 1 << 20;

/// CRC-32 (IEEE, reflected), as a ZIP entry records it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A ZIP archive holding one stored (uncompressed) entry `name` with `data`.
pub(crate) fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let (crc, len, name_len) = (crc32(data), data.len() as u32, name.len() as u16);
    let mut z = Vec::new();
    // Local file header: version 1.0, no flags, stored, no time, sizes known up front.
    z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    z.extend_from_slice(&[10, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&name_len.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(data);
    let directory_at = z.len() as u32;
    // The central directory's one entry, pointing at the local header at offset 0.
    z.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    z.extend_from_slice(&[20, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&len.to_le_bytes());
    z.extend_from_slice(&name_len.to_le_bytes());
    z.extend_from_slice(&[0u8; 12]); // extra, comment, disk, internal and external attributes
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    let directory_len = z.len() as u32 - directory_at;
    z.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend_from_slice(&directory_len.to_le_bytes());
    z.extend_from_slice(&directory_at.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

/// Plain text of `len` bytes starting with `head`.
pub(crate) fn text_starting_with(head: &[u8], len: usize) -> Vec<u8> {
    let mut v = head.to_vec();
    v.push(b'\n');
    v.extend((v.len()..len).map(|i| b'a' + (i % 26) as u8));
    v
}

/// Completes an owner's multipart upload created as `created`: every part of `bytes`, then
/// `complete`. Returns the file id.
pub(crate) async fn upload_in_parts(
    stack: &LocalStack,
    token: &str,
    created: &Value,
    bytes: &[u8],
) -> String {
    assert_eq!(created["upload"]["method"], "multipart", "{created}");
    let id = created["file"]["id"].as_str().expect("id").to_owned();
    let part_size = created["upload"]["part_size"].as_u64().expect("part_size") as usize;
    let numbers: Vec<usize> = (1..=bytes.len().div_ceil(part_size)).collect();
    let (s, b) = stack
        .post(
            &format!("/files/{id}/parts"),
            Some(token),
            json!({"part_numbers": numbers}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let mut tags = vec![];
    for part in b["parts"].as_array().expect("parts") {
        let n = part["number"].as_u64().expect("number") as usize;
        let chunk = &bytes[(n - 1) * part_size..(n * part_size).min(bytes.len())];
        let (s, etag) = put_part(stack, part, chunk).await;
        assert_eq!(s, 200, "part {n}");
        tags.push(json!({"number": n, "etag": etag}));
    }
    let (s, b) = stack
        .post(
            &format!("/files/{id}/complete"),
            Some(token),
            json!({"parts": tags}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    id
}

/// The emulator's S3, path-style.
pub(crate) async fn s3(stack: &LocalStack) -> aws_sdk_s3::Client {
    let sdk = stack.sdk().await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    )
}

/// The ETag of the object at `key`, without its quotes.
pub(crate) async fn etag_of(stack: &LocalStack, key: &str) -> String {
    s3(stack)
        .await
        .head_object()
        .bucket(stack.resource("bucket"))
        .key(key)
        .send()
        .await
        .expect("HeadObject")
        .e_tag()
        .expect("ETag")
        .trim_matches('"')
        .to_owned()
}

/// A scan result exactly as GuardDuty's EventBridge rule puts it on the queue: from `plan`, for
/// `key`'s bytes `etag`, with `result` (`NO_THREATS_FOUND`, `THREATS_FOUND`, ...).
pub(crate) fn scan_result(
    stack: &LocalStack,
    plan: &str,
    key: &str,
    etag: &str,
    result: &str,
    threats: &[&str],
) -> String {
    let threats = if threats.is_empty() {
        Value::Null
    } else {
        threats.iter().map(|t| json!({"name": t})).collect()
    };
    json!({
        "version": "0", "id": format!("test-{key}-{etag}-{result}"),
        "detail-type": "GuardDuty Malware Protection Object Scan Result",
        "source": "aws.guardduty", "account": "123456789012", "time": "2026-12-04T12:00:00Z",
        "region": "us-east-1", "resources": [plan],
        "detail": {"schemaVersion": "1.0", "scanStatus": "COMPLETED", "resourceType": "S3_OBJECT",
            "s3ObjectDetails": {"bucketName": stack.resource("bucket"), "objectKey": key,
                                "eTag": etag, "s3Throttled": false},
            "scanResultDetails": {"scanResultStatus": result, "threats": threats}}
    })
    .to_string()
}

/// Puts `body` on the scan results queue, as EventBridge would.
pub(crate) async fn send_scan_result(stack: &LocalStack, body: String) {
    aws_sdk_sqs::Client::new(&stack.sdk().await)
        .send_message()
        .queue_url(stack.resource("scan_queue_url"))
        .message_body(body)
        .send()
        .await
        .expect("SendMessage to the scan results queue");
}

/// Waits (bounded) until file `id` is `status`; returns its view.
pub(crate) async fn wait_status(stack: &LocalStack, token: &str, id: &str, status: &str) -> Value {
    stack
        .wait_for(&format!("file {id} to be {status}"), 60, || async {
            let (s, b) = stack.get(&format!("/files/{id}"), token).await;
            assert_eq!(s, 200, "{b}");
            (b["file"]["status"] == status).then(|| b["file"].clone())
        })
        .await
}

/// Neither a download URL nor a share is handed out for file `id`.
pub(crate) async fn assert_shut(stack: &LocalStack, token: &str, id: &str) {
    let (s, b) = stack.get(&format!("/files/{id}/download"), token).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("not_ready")),
        "{b}"
    );
    assert!(b.get("url").is_none(), "{b}");
    let (s, b) = stack
        .post(&format!("/files/{id}/shares"), Some(token), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("not_ready")),
        "{b}"
    );
}

/// Waits (bounded) for the first mail about `name`; then there is exactly one.
pub(crate) async fn assert_mailed_once(stack: &LocalStack, name: &str) -> Value {
    stack
        .wait_for(&format!("a mail about {name}"), 30, || async {
            let mails = stack.mails_about(name).await;
            assert!(
                mails.len() <= 1,
                "more than one mail about {name}: {mails:?}"
            );
            mails.into_iter().next()
        })
        .await
}

/// The owner's final view of an EICAR upload `id` named `name`: refused for malware, with the
/// threat named, its bytes gone, shut, mailed once, logged once.
async fn assert_refused_as_malware(stack: &LocalStack, token: &str, id: &str, name: &str) {
    let f = stack.settled(token, id).await;
    assert_eq!(
        (f["status"].as_str(), f["reason"].as_str()),
        (Some("rejected"), Some("malware_found")),
        "{name}: {f}"
    );
    assert_eq!(f["scan"]["status"], "infected", "{name}: {f}");
    let threats = f["scan"]["threats"]
        .as_array()
        .expect("threats for the owner");
    assert!(
        threats.iter().any(|t| t
            .as_str()
            .is_some_and(|t| t.to_uppercase().contains("EICAR"))),
        "{name}: {f}"
    );
    assert!(
        stack.raw_object(&format!("uploads/{id}")).await.is_none(),
        "{name}: the infected bytes are deleted"
    );
    assert_shut(stack, token, id).await;
    assert_mailed_once(stack, name).await;
    assert_eq!(
        stack.log_events(token, id).await,
        vec!["upload.rejected".to_owned()],
        "{name}"
    );
}

#[test]
fn the_test_files_are_what_scanners_expect() {
    assert_eq!(EICAR.len(), 68);
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    let z = stored_zip("eicar.com", EICAR);
    assert!(z.starts_with(b"PK\x03\x04") && z.windows(68).any(|w| w == EICAR));
    assert_eq!(&z[z.len() - 22..z.len() - 18], b"PK\x05\x06");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eicar_is_refused_through_every_door() {
    let stack = LocalStack::start_with(&[("SINGLE_PUT_MAX_BYTES", "1048576")]).await;
    assert_eq!(stack.resource("scanner"), "clamd");
    assert_eq!(stack.resource("scan_plan_arn"), LOCAL_PLAN);
    assert!(
        !stack.resource("scan_queue_url").is_empty(),
        "{}",
        stack.ready
    );
    let ada = stack.user("ada-scan@example.com").await;

    // An account upload, plain and inside a ZIP.
    let plain = stack.upload(&ada, "eicar.txt", EICAR, "text/plain").await;
    let zip = stored_zip("eicar.com", EICAR);
    let zipped = stack
        .upload(&ada, "eicar.zip", &zip, "application/zip")
        .await;

    // A multipart upload whose first part starts with EICAR (two parts of 8 MiB and 1 MiB).
    let bytes = text_starting_with(EICAR, 9 * MIB);
    let created = stack
        .create(&ada, "eicar-parts.txt", bytes.len(), "text/plain")
        .await;
    let parts = upload_in_parts(&stack, &ada, &created, &bytes).await;

    // A stranger's drop through a link.
    let link = make_link(&stack, &ada, json!({"label": "Scans"})).await;
    let (s, dropped) = drop_file(
        &stack,
        &token_of(&link),
        "eicar-drop.txt",
        EICAR.len(),
        "text/plain",
        None,
    )
    .await;
    assert_eq!(s, 201, "{dropped}");
    put_dropped(&stack, &dropped, EICAR).await;
    let dropped_id = dropped["file"]["id"].as_str().unwrap().to_owned();
    let r = dropped["receipt"].as_str().unwrap().to_owned();

    for (id, name) in [
        (&plain, "eicar.txt"),
        (&zipped, "eicar.zip"),
        (&parts, "eicar-parts.txt"),
        (&dropped_id, "eicar-drop.txt"),
    ] {
        assert_refused_as_malware(&stack, &ada, id, name).await;
    }

    // The stranger learns only that the file was refused for safety: no threat name.
    let (_, owners) = stack.get(&format!("/files/{dropped_id}"), &ada).await;
    let threat = owners["file"]["scan"]["threats"][0]
        .as_str()
        .expect("the owner sees the threat")
        .to_owned();
    let judged = crate::e2e_links::follow(&stack, &r).await;
    assert_eq!(
        (judged["status"].as_str(), judged["reason"].as_str()),
        (Some("rejected"), Some("refused_for_safety")),
        "{judged}"
    );
    let (_, whole) = receipt(&stack, &r).await;
    let text = whole.to_string();
    assert!(
        !text.contains(&threat) && !text.contains("threats"),
        "{text}"
    );
    assert!(!text.contains("malware_found"), "{text}");
    // Of the scan, a stranger learns only that it refused the file.
    assert_eq!(whole["file"]["scan"]["status"], "refused", "{text}");

    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (q["used_bytes"].as_u64(), q["reserved_bytes"].as_u64()),
        (Some(0), Some(0)),
        "{q}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_file_is_shut_while_scanning_and_served_after_its_clean_verdict() {
    let stack = LocalStack::start_with_args(&["--scanner-faults", "delay_ms=5000"], &[]).await;
    let ada = stack.user("ada-clean@example.com").await;
    let png = samples::png();
    let id = stack.upload(&ada, "clean.png", &png, "image/png").await;

    let f = wait_status(&stack, &ada, &id, "scanning").await;
    assert_eq!(f["scan"], json!({"status": "pending"}), "{f}");
    assert_shut(&stack, &ada, &id).await;
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        q["used_bytes"],
        png.len(),
        "scanning bytes count as used: {q}"
    );

    let f = stack.settled(&ada, &id).await;
    assert_eq!(f["status"], "accepted", "{f}");
    assert_eq!(f["scan"]["status"], "clean", "{f}");
    assert!(f["scan"]["scanned_at"].as_str().is_some(), "{f}");
    assert!(f["scan"].get("threats").is_none(), "{f}");
    let (s, d) = stack.get(&format!("/files/{id}/download"), &ada).await;
    assert_eq!(s, 200, "{d}");
    let back = stack
        .http
        .get(d["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(back.bytes().await.unwrap().as_ref(), png.as_slice());
    assert_eq!(
        stack.log_events(&ada, &id).await,
        vec!["upload.accepted".to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_scanner_off_the_type_verdict_alone_accepts_and_says_so() {
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    assert_eq!(stack.resource("scanner"), "off");
    let ada = stack.user("ada-off@example.com").await;
    let id = stack
        .upload(&ada, "plain.png", &samples::png(), "image/png")
        .await;
    let f = stack.settled(&ada, &id).await;
    assert_eq!(
        (f["status"].as_str(), &f["scan"]),
        (Some("accepted"), &json!({"status": "off"})),
        "{f}"
    );
    let (s, d) = stack.get(&format!("/files/{id}/download"), &ada).await;
    assert_eq!(s, 200, "{d}");
}
