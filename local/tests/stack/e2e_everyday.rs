//! End to end, over HTTP, with the scanner on: the files people actually send (a Word
//! document, an iPhone photo, bytes of no known type) are accepted by default, whether an owner
//! uploads them or a stranger drops them through a link; a deployment narrowed by
//! `ALLOWED_TYPES` refuses the rest and says what it allows, at creation and in a receipt.

use crate::common;

use common::{LocalStack, samples};
use reqwest::Method;
use serde_json::{Value, json};

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

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

/// What an iPhone writes: an ISO media file of brand `heic`.
fn heic() -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    v.resize(2048, 0);
    v
}

/// Bytes no sniffer recognises, as encrypted data looks (a fixed pseudo-random sequence).
fn random_bytes(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x2545_f491;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Name, declared type (what a browser and the CLI declare), bytes.
fn everyday() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        ("cv.docx", DOCX, docx()),
        ("IMG_0001.HEIC", "image/heic", heic()),
        (
            "data.bin",
            "application/octet-stream",
            random_bytes(64 * 1024),
        ),
    ]
}

async fn make_link(stack: &LocalStack, owner: &str, body: Value) -> String {
    let (s, b) = stack.post("/links", Some(owner), body).await;
    assert_eq!(s, 201, "{b}");
    b["link"]["token"].as_str().expect("token").to_owned()
}

/// A stranger's drop of `bytes`: the answer to `POST /drop/{token}/files`.
async fn drop_create(
    stack: &LocalStack,
    token: &str,
    name: &str,
    declared: &str,
    size: usize,
) -> (u16, Value) {
    let body = json!({"name": name, "size": size, "content_type": declared});
    let (s, _, b) = stack
        .anonymous(Method::POST, &format!("/drop/{token}/files"), Some(body))
        .await;
    (s, b)
}

/// Drops `bytes` through the link and follows the receipt to its final word.
async fn dropped(
    stack: &LocalStack,
    token: &str,
    name: &str,
    declared: &str,
    bytes: &[u8],
) -> Value {
    let (s, created) = drop_create(stack, token, name, declared, bytes.len()).await;
    assert_eq!(s, 201, "drop of {name}: {created}");
    assert_eq!(stack.put(&created, bytes.to_vec()).await, 200, "{name}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_word_document_an_iphone_photo_and_unknown_bytes_are_accepted_by_default() {
    let stack = LocalStack::start().await;
    let owner = stack.user("everyday@example.org").await;
    let link = make_link(&stack, &owner, json!({"label": "Anything"})).await;
    let (s, _, info) = stack
        .anonymous(Method::GET, &format!("/drop/{link}"), None)
        .await;
    assert_eq!(s, 200, "{info}");
    assert_eq!(info["allowed_types"], "all_but_active_content", "{info}");

    for (name, declared, bytes) in everyday() {
        let id = stack.upload(&owner, name, &bytes, declared).await;
        let f = stack.settled(&owner, &id).await;
        assert_eq!(f["status"], "accepted", "{name} (owner): {f}");
        assert_eq!(f["scan"]["status"], "clean", "{name} (owner): {f}");

        let f = dropped(&stack, &link, name, declared, &bytes).await;
        assert_eq!(f["status"], "accepted", "{name} (link): {f}");
        assert_eq!(f["scan"]["status"], "clean", "{name} (link): {f}");
    }
    // Unknown bytes are what they were allowed as.
    let (_, listing) = stack.get("/files?limit=100", &owner).await;
    let bins: Vec<&Value> = listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["name"] == "data.bin")
        .collect();
    assert_eq!(bins.len(), 2, "{listing}");
    for f in bins {
        assert_eq!(f["detected_type"], "application/octet-stream", "{f}");
    }
    // Programs are still refused, and the refusal says what is allowed.
    let (s, b) = stack
        .post(
            "/files",
            Some(&owner),
            json!({"name": "setup.exe", "size": 10, "content_type": "application/x-msdownload"}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (415, Some("unsupported_type")),
        "{b}"
    );
    assert_eq!(b["error"]["allowed"], "all_but_active_content", "{b}");
    let id = stack
        .upload(
            &owner,
            "setup.exe",
            &samples::pe(),
            "application/octet-stream",
        )
        .await;
    let f = stack.settled(&owner, &id).await;
    assert_eq!(
        (f["status"].as_str(), f["reason"].as_str()),
        (Some("rejected"), Some("active_content")),
        "{f}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_narrowed_deployment_refuses_the_rest_and_says_what_it_allows() {
    let stack = LocalStack::start_with(&[("ALLOWED_TYPES", "application/pdf,image/png")]).await;
    let owner = stack.user("narrow@example.org").await;
    let allowed = json!(["application/pdf", "image/png"]);

    // Declared honestly, refused at once, with the list.
    for (name, declared, bytes) in everyday() {
        let (s, b) = stack
            .post(
                "/files",
                Some(&owner),
                json!({"name": name, "size": bytes.len(), "content_type": declared}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (415, Some("unsupported_type")),
            "{name}: {b}"
        );
        assert_eq!(b["error"]["allowed"], allowed, "{name}: {b}");
    }
    // A link cannot ask for more than the deployment allows.
    let (s, b) = stack
        .post(
            "/links",
            Some(&owner),
            json!({"label": "Photos", "allowed_types": ["image/heic"]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_allowed_types")),
        "{b}"
    );
    assert_eq!(b["error"]["allowed"], allowed, "{b}");

    // A link without a list shows the deployment's, and a drop outside it is refused with it.
    let link = make_link(&stack, &owner, json!({"label": "Docs"})).await;
    let (_, _, info) = stack
        .anonymous(Method::GET, &format!("/drop/{link}"), None)
        .await;
    assert_eq!(info["allowed_types"], allowed, "{info}");
    let (s, b) = drop_create(&stack, &link, "data.bin", "application/octet-stream", 10).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (415, Some("unsupported_type")),
        "{b}"
    );
    assert_eq!(b["error"]["allowed"], allowed, "{b}");

    // The worker's refusal: a PNG declared as a PDF on a PDF-only link; the receipt says what
    // the link allows.
    let pdfs = make_link(
        &stack,
        &owner,
        json!({"label": "PDFs", "allowed_types": ["application/pdf"]}),
    )
    .await;
    let f = dropped(&stack, &pdfs, "scan", "application/pdf", &samples::png()).await;
    assert_eq!(
        (f["status"].as_str(), f["reason"].as_str()),
        (Some("rejected"), Some("type_not_allowed")),
        "{f}"
    );
    assert_eq!(f["allowed"], json!(["application/pdf"]), "{f}");
}
