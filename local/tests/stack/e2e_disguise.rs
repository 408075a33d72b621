//! End to end, over HTTP: files whose name disagrees with their bytes, active content, and a
//! PUT that adds `Content-Encoding` end `rejected` with their own reason, whether an owner
//! uploads them or a stranger drops them through a link; honest files (an Office document, an
//! SVG where the allow-list names `image/svg+xml`) pass and are served as opaque bytes.

use crate::common;

use common::{LocalStack, samples};
use reqwest::Method;
use serde_json::{Value, json};

/// One upload: its name, declared type, bytes, and a header the client adds to the PUT.
struct Case {
    name: &'static str,
    declared: &'static str,
    bytes: Vec<u8>,
    extra: Option<(&'static str, &'static str)>,
    reason: Option<&'static str>,
}

fn case(name: &'static str, declared: &'static str, bytes: &[u8], reason: &'static str) -> Case {
    Case {
        name,
        declared,
        bytes: bytes.to_vec(),
        extra: None,
        reason: Some(reason),
    }
}

const SVG: &[u8] =
    br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><rect/></svg>"#;
const HTML: &[u8] =
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
const HTA: &[u8] =
    b"<hta:application id=\"x\"/><script>new ActiveXObject('WScript.Shell').Run('calc')</script>";

/// The disguises of the contract, each with the reason it must end with.
fn disguises() -> Vec<Case> {
    vec![
        case("x.svg", "text/plain", SVG, "active_content"),
        case("page.html", "text/plain", HTML, "active_content"),
        case("run.hta", "text/plain", HTA, "active_content"),
        // Declared as what the bytes are: only the name lies.
        case(
            "invoice.pdf",
            "application/zip",
            &samples::zip(),
            "type_mismatch",
        ),
        // Plain text, but stored with an encoding a browser would undo into other bytes.
        Case {
            extra: Some(("content-encoding", "br")),
            ..case(
                "notes.txt",
                "text/plain",
                b"hello, plain words",
                "content_encoding",
            )
        },
    ]
}

/// PUTs `c`'s bytes through the presigned request `upload`, with exactly its headers and the
/// case's extra one (a presigned PUT does not sign `Content-Encoding`: S3 takes it).
async fn put(stack: &LocalStack, created: &Value, c: &Case) {
    let upload = &created["upload"];
    let mut req = stack.http.put(upload["url"].as_str().expect("url"));
    for (k, v) in upload["headers"].as_object().expect("headers") {
        if k != "content-length" {
            req = req.header(k.as_str(), v.as_str().expect("header value"));
        }
    }
    if let Some((k, v)) = c.extra {
        req = req.header(k, v);
    }
    let resp = req.body(c.bytes.clone()).send().await.expect("PUT");
    assert_eq!(resp.status().as_u16(), 200, "PUT of {}", c.name);
}

/// The owner uploads `c`; the settled file.
async fn owner_upload(stack: &LocalStack, token: &str, c: &Case) -> Value {
    let created = stack.create(token, c.name, c.bytes.len(), c.declared).await;
    put(stack, &created, c).await;
    let id = created["file"]["id"].as_str().expect("id");
    stack.settled(token, id).await
}

/// A stranger drops `c` through the link `link_token`; the receipt's settled file.
async fn dropped(stack: &LocalStack, link_token: &str, c: &Case) -> Value {
    let body = json!({"name": c.name, "size": c.bytes.len(), "content_type": c.declared});
    let (s, _, created) = stack
        .anonymous(
            Method::POST,
            &format!("/drop/{link_token}/files"),
            Some(body),
        )
        .await;
    assert_eq!(s, 201, "drop of {}: {created}", c.name);
    put(stack, &created, c).await;
    let receipt = created["receipt"].as_str().expect("receipt").to_owned();
    stack
        .wait_for("the dropped file to be judged", 60, || async {
            let (s, _, b) = stack
                .anonymous(Method::GET, &format!("/drop/receipts/{receipt}"), None)
                .await;
            assert_eq!(s, 200, "{b}");
            (!common::is_judging(&b["file"])).then(|| b["file"].clone())
        })
        .await
}

fn assert_verdict(file: &Value, c: &Case, via: &str) {
    match c.reason {
        Some(reason) => {
            assert_eq!(file["status"], "rejected", "{} ({via}): {file}", c.name);
            assert_eq!(file["reason"], reason, "{} ({via}): {file}", c.name);
        }
        None => assert_eq!(file["status"], "accepted", "{} ({via}): {file}", c.name),
    }
}

async fn make_link(stack: &LocalStack, owner: &str, allowed: &[&str]) -> String {
    let (s, b) = stack
        .post(
            "/links",
            Some(owner),
            json!({"label": "Documents", "max_uploads": 20, "allowed_types": allowed}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["link"]["token"].as_str().expect("token").to_owned()
}

/// A ZIP whose first entry is an Office document's `[Content_Types].xml`.
fn docx() -> Vec<u8> {
    let (entry, data) = (
        "[Content_Types].xml",
        b"<Types/>word/document.xml".as_slice(),
    );
    let mut v = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&(entry.len() as u16).to_le_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(entry.as_bytes());
    v.extend_from_slice(data);
    v.extend_from_slice(&[0u8; 64]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disguised_and_active_files_end_rejected_with_their_reason_by_owner_and_by_link() {
    let stack = LocalStack::start().await;
    let owner = stack.user("disguise@example.org").await;
    let link = make_link(
        &stack,
        &owner,
        &["text/plain", "application/zip", "application/pdf"],
    )
    .await;
    let mut cases = disguises();
    // Honest files beside them pass: the verdict refuses the disguise, not the format.
    cases.push(Case {
        reason: None,
        ..case("cv.docx", "application/zip", &docx(), "")
    });
    cases.push(Case {
        reason: None,
        ..case("report.pdf", "application/pdf", &samples::pdf(), "")
    });
    for c in &cases {
        let file = owner_upload(&stack, &owner, c).await;
        assert_verdict(&file, c, "owner");
        let file = dropped(&stack, &link, c).await;
        assert_verdict(&file, c, "link");
    }
    // Nothing rejected stays in storage or counts against the quota.
    let (s, q) = stack.get("/quota", &owner).await;
    assert_eq!(s, 200, "{q}");
    let accepted: u64 = cases
        .iter()
        .filter(|c| c.reason.is_none())
        .map(|c| 2 * c.bytes.len() as u64)
        .sum();
    assert_eq!(q["used_bytes"], accepted, "{q}");
    assert_eq!(q["reserved_bytes"], 0, "{q}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_content_passes_only_where_its_type_is_named_and_is_served_as_opaque_bytes() {
    let allowed = "image/png,text/plain,image/svg+xml";
    let stack = LocalStack::start_with(&[("ALLOWED_TYPES", allowed)]).await;
    let owner = stack.user("svg@example.org").await;
    let svg = |declared, reason| Case {
        reason,
        ..case("logo.svg", declared, SVG, "")
    };

    // The deployment names image/svg+xml: the owner's SVG passes.
    let file = owner_upload(&stack, &owner, &svg("image/svg+xml", None)).await;
    assert_verdict(&file, &svg("image/svg+xml", None), "owner");
    let id = file["id"].as_str().expect("id");
    let (s, d) = stack.get(&format!("/files/{id}/download"), &owner).await;
    assert_eq!(s, 200, "{d}");
    let resp = stack
        .http
        .get(d["url"].as_str().expect("url"))
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.status().as_u16(), 200);
    let header = |n: &str| resp.headers()[n].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/octet-stream");
    assert!(header("content-disposition").starts_with("attachment;"));

    // A link that names it admits it; one that does not refuses it, even declared as text.
    let names_it = make_link(&stack, &owner, &["image/svg+xml"]).await;
    let case = svg("image/svg+xml", None);
    assert_verdict(&dropped(&stack, &names_it, &case).await, &case, "svg link");
    let text_only = make_link(&stack, &owner, &["text/plain", "image/png"]).await;
    for declared in ["text/plain", "image/png"] {
        let case = svg(declared, Some("active_content"));
        assert_verdict(
            &dropped(&stack, &text_only, &case).await,
            &case,
            "text link",
        );
    }
}
