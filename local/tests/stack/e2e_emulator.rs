//! The emulator as people and tests use it, over HTTP through the local stack: its state
//! (`/moto-api/data.json`, where sent mail is read) answers during and after multipart uploads,
//! and a part PUT with a form content type (curl's `--data-binary`, Python's urllib) is stored
//! as the bytes sent, as S3 stores it.

use crate::common;

use common::LocalStack;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::e2e_multipart::put_part;

const MIB: usize = 1 << 20;
/// Two parts: 8 MiB and 1 MiB (the threshold is lowered to 1 MiB below).
const SIZE: usize = 9 * MIB;
const FORM: &str = "application/x-www-form-urlencoded";

/// Text that reads like a form body, distinct per line, so a misplaced byte shows.
fn form_like_text(len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    let mut i = 0u64;
    while bytes.len() < len {
        bytes.extend_from_slice(format!("Action=Put&line={i:010}&x=%41\n").as_bytes());
        i += 1;
    }
    bytes.truncate(len);
    bytes
}

/// The emulator's state read as a person would: it must answer 200 with JSON that still holds
/// the mail about `name`.
async fn state_lists_mail(stack: &LocalStack, name: &str, when: &str) {
    let resp = stack
        .http
        .get(format!("{}/moto-api/data.json", stack.aws))
        .send()
        .await
        .expect("GET data.json");
    assert_eq!(resp.status(), StatusCode::OK, "data.json {when}");
    let data: Value = resp.json().await.expect("data.json is JSON");
    let mails = data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        mails
            .iter()
            .any(|m| m["body"].as_str().is_some_and(|b| b.contains(name))),
        "the mail about {name} is in data.json {when}"
    );
}

/// Part URLs for `numbers`; each part then PUT with the form content type added.
async fn put_parts_as_form(
    stack: &LocalStack,
    token: &str,
    id: &str,
    bytes: &[u8],
    numbers: &[u64],
) {
    let (s, b) = stack
        .post(
            &format!("/files/{id}/parts"),
            Some(token),
            json!({"part_numbers": numbers}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for part in b["parts"].as_array().expect("parts") {
        let n = part["number"].as_u64().unwrap() as usize;
        let mut part = part.clone();
        part["headers"]["content-type"] = FORM.into();
        let slice = &bytes[(n - 1) * 8 * MIB..(n * 8 * MIB).min(SIZE)];
        let (s, etag) = put_part(stack, &part, slice).await;
        assert_eq!(s, 200, "part {n} PUT with Content-Type: {FORM}");
        assert!(!etag.is_empty(), "part {n} has an ETag");
    }
}

async fn complete(stack: &LocalStack, token: &str, id: &str) {
    let (s, b) = stack
        .post(&format!("/files/{id}/complete"), Some(token), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
}

/// The accepted file's bytes, downloaded as its owner would.
async fn downloaded(stack: &LocalStack, token: &str, id: &str) -> Vec<u8> {
    let file = stack.settled(token, id).await;
    assert_eq!(file["status"], "accepted", "{file}");
    let (s, d) = stack.get(&format!("/files/{id}/download"), token).await;
    assert_eq!(s, 200, "{d}");
    let resp = stack
        .http
        .get(d["url"].as_str().expect("url"))
        .send()
        .await
        .expect("GET the bytes");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes().await.expect("bytes").to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_answers_around_multipart_uploads_and_form_typed_parts_are_stored() {
    let stack = LocalStack::start_with_args(
        &["--scanner", "off"],
        &[("SINGLE_PUT_MAX_BYTES", "1048576")],
    )
    .await;
    let ada = stack.user("ada-emulator@example.com").await;

    // Mail to find later: a rejected upload of the owner's own is mailed.
    let bad = stack
        .upload(
            &ada,
            "mislabelled.png",
            b"plain text, not a picture",
            "image/png",
        )
        .await;
    assert_eq!(stack.settled(&ada, &bad).await["status"], "rejected");
    stack
        .wait_for("the mail about mislabelled.png", 60, || async {
            (!stack.mails_about("mislabelled.png").await.is_empty()).then_some(())
        })
        .await;

    // An upload in parts, completed with nobody reading the state meanwhile.
    let first = form_like_text(SIZE);
    let c = stack.create(&ada, "first.txt", SIZE, "text/plain").await;
    assert_eq!(c["upload"]["part_count"], 2, "{c}");
    let id1 = c["file"]["id"].as_str().unwrap().to_owned();
    put_parts_as_form(&stack, &ada, &id1, &first, &[1, 2]).await;
    complete(&stack, &ada, &id1).await;
    state_lists_mail(&stack, "mislabelled.png", "after a multipart upload").await;

    // Another, with the state read while a part is in and another is not.
    let mut second = form_like_text(SIZE);
    second.reverse();
    let c = stack.create(&ada, "second.txt", SIZE, "text/plain").await;
    let id2 = c["file"]["id"].as_str().unwrap().to_owned();
    put_parts_as_form(&stack, &ada, &id2, &second, &[2]).await;
    state_lists_mail(&stack, "mislabelled.png", "during a multipart upload").await;
    put_parts_as_form(&stack, &ada, &id2, &second, &[1]).await;
    state_lists_mail(&stack, "mislabelled.png", "after every part is in").await;
    complete(&stack, &ada, &id2).await;

    // The bytes sent as "form" data are the file's, exactly.
    assert!(downloaded(&stack, &ada, &id1).await == first, "first.txt");
    assert!(downloaded(&stack, &ada, &id2).await == second, "second.txt");
    state_lists_mail(&stack, "mislabelled.png", "at the end").await;
}
