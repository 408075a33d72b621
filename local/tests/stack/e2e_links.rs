//! End to end, over HTTP as a person with curl: upload links. An owner makes a link; a stranger
//! with no account reads it, drops files through it and follows them by receipt; the owner sees
//! the files, their quota and the link's counters move, and is mailed on every verdict. Also the
//! refusals (used up, revoked, unknown, expired), concurrency at the link's and the quota's edge,
//! isolation between owners and between receipts, secrets kept out of every store and log, the
//! failed-lookup rate limit, and the janitor giving a use back.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{LocalStack, samples};
use reqwest::Method;
use serde_json::{Value, json};

fn code(b: &Value) -> Option<&str> {
    b["error"]["code"].as_str()
}

/// `POST /links` as the owner; returns the `link` object of the 201.
pub(crate) async fn make_link(stack: &LocalStack, owner: &str, body: Value) -> Value {
    let (s, b) = stack.post("/links", Some(owner), body).await;
    assert_eq!(s, 201, "{b}");
    b["link"].clone()
}

pub(crate) fn token_of(link: &Value) -> String {
    link["token"].as_str().expect("token").to_owned()
}

fn id_of(link: &Value) -> String {
    link["id"].as_str().expect("id").to_owned()
}

/// `POST /drop/{token}/files` with no credential at all.
pub(crate) async fn drop_file(
    stack: &LocalStack,
    token: &str,
    name: &str,
    size: usize,
    content_type: &str,
    uploader: Option<Value>,
) -> (u16, Value) {
    let mut body = json!({"name": name, "size": size, "content_type": content_type});
    if let Some(u) = uploader {
        body["uploader"] = u;
    }
    let (s, _, b) = stack
        .anonymous(Method::POST, &format!("/drop/{token}/files"), Some(body))
        .await;
    (s, b)
}

/// `GET /drop/{token}` with no credential.
async fn drop_info(stack: &LocalStack, token: &str) -> (u16, Value) {
    let (s, _, b) = stack
        .anonymous(Method::GET, &format!("/drop/{token}"), None)
        .await;
    (s, b)
}

/// `GET /drop/receipts/{receipt}` with no credential.
pub(crate) async fn receipt(stack: &LocalStack, receipt: &str) -> (u16, Value) {
    let (s, _, b) = stack
        .anonymous(Method::GET, &format!("/drop/receipts/{receipt}"), None)
        .await;
    (s, b)
}

/// PUTs `bytes` to the presigned URL with exactly the returned headers.
pub(crate) async fn put_dropped(stack: &LocalStack, dropped: &Value, bytes: &[u8]) {
    assert_eq!(
        dropped["upload"]["headers"]["content-length"],
        bytes.len().to_string()
    );
    assert_eq!(stack.put(dropped, bytes.to_vec()).await, 200);
}

/// Follows a receipt until its file's final word (bounded); returns the receipt's `file`.
pub(crate) async fn follow(stack: &LocalStack, r: &str) -> Value {
    stack
        .wait_for("the receipt's file to be judged", 60, || async {
            let (s, b) = receipt(stack, r).await;
            assert_eq!(s, 200, "{b}");
            (!common::is_judging(&b["file"])).then(|| b["file"].clone())
        })
        .await
}

/// A receipt's file of a clean accepted drop without its `scan` (whose time varies), after
/// checking it says clean and names no threat.
fn scanned_clean(mut file: Value) -> Value {
    let scan = file
        .as_object_mut()
        .and_then(|f| f.remove("scan"))
        .unwrap_or_default();
    assert_eq!(scan["status"], "clean", "{scan}");
    assert!(scan.get("threats").is_none(), "{scan}");
    file
}

/// The first mail in the emulator's SES store whose body contains `needle` (bounded wait).
pub(crate) async fn mail_about(stack: &LocalStack, needle: &str) -> Value {
    stack
        .wait_for(&format!("a mail about {needle}"), 30, || async {
            let data = stack.moto_data().await;
            data["ses"]["Message"].as_array().and_then(|ms| {
                ms.iter()
                    .find(|m| m["body"].as_str().is_some_and(|b| b.contains(needle)))
                    .cloned()
            })
        })
        .await
}

async fn get_link(stack: &LocalStack, owner: &str, id: &str) -> Value {
    let (s, b) = stack.get(&format!("/links/{id}"), owner).await;
    assert_eq!(s, 200, "{b}");
    b["link"].clone()
}

/// A real executable: the first 2 KiB of /bin/ls (an ELF), or a minimal ELF header.
fn real_elf() -> Vec<u8> {
    match std::fs::read("/bin/ls") {
        Ok(mut v) if v.starts_with(b"\x7fELF") => {
            v.truncate(2048);
            v
        }
        _ => samples::elf(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_drops_a_pdf_and_the_owner_sees_and_is_told_everything() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada@example.com").await;
    let link = make_link(
        &stack,
        &ada,
        json!({"label": "Q3 receipts", "max_uploads": 3,
               "allowed_types": ["application/pdf", "image/png"],
               "require_uploader_name": true}),
    )
    .await;
    let token = token_of(&link);
    let id = id_of(&link);
    assert_eq!(token.len(), 43, "{token}");
    assert_eq!(
        link["url"].as_str(),
        Some(format!("{}/d/{token}", stack.api).as_str())
    );
    assert_eq!(
        (link["uploads_used"].as_u64(), link["uploads_left"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(link["state"], "active");

    // The stranger's view: exactly these fields, nothing about the owner but the largest file
    // the link takes now, here the owner's free space (smaller than the link's per-file limit).
    let (_, q) = stack.get("/quota", &ada).await;
    let free = q["limit_bytes"].as_u64().unwrap()
        - q["used_bytes"].as_u64().unwrap()
        - q["reserved_bytes"].as_u64().unwrap();
    assert!(
        free < link["max_file_bytes"].as_u64().unwrap(),
        "{q} {link}"
    );
    let (s, info) = drop_info(&stack, &token).await;
    assert_eq!(s, 200, "{info}");
    assert_eq!(
        info,
        json!({"label": "Q3 receipts", "expires_at": link["expires_at"], "uploads_left": 3,
               "max_file_bytes": free, "bytes_left": null,
               "allowed_types": ["application/pdf", "image/png"],
               "require_uploader_name": true})
    );
    let text = info.to_string();
    assert!(
        !text.contains("ada@example.com") && !text.contains(&id),
        "{text}"
    );

    // The link asks for a name.
    let pdf = samples::pdf();
    let (s, b) = drop_file(
        &stack,
        &token,
        "scan.pdf",
        pdf.len(),
        "application/pdf",
        None,
    )
    .await;
    assert_eq!((s, code(&b)), (400, Some("uploader_name_required")), "{b}");

    let (s, dropped) = drop_file(
        &stack,
        &token,
        "scan.pdf",
        pdf.len(),
        "application/pdf",
        Some(json!({"name": "Bob Client", "email": "bob@client.example"})),
    )
    .await;
    assert_eq!(s, 201, "{dropped}");
    let file_id = dropped["file"]["id"].as_str().unwrap().to_owned();
    assert_eq!(dropped["file"]["status"], "pending");
    assert_eq!(dropped["file"]["via_link"], id.as_str());
    let r = dropped["receipt"].as_str().unwrap().to_owned();
    assert_eq!(r.len(), 43, "{r}");
    assert_ne!(r, token);
    put_dropped(&stack, &dropped, &pdf).await;

    let judged = scanned_clean(follow(&stack, &r).await);
    assert_eq!(
        judged,
        json!({"name": "scan.pdf", "size": pdf.len(), "status": "accepted", "reason": null,
               "detected_type": "application/pdf"})
    );

    // The owner: the file in the link's listing, with its origin and uploader.
    let (s, listing) = stack.get(&format!("/files?link={id}"), &ada).await;
    assert_eq!(s, 200, "{listing}");
    let files = listing["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{listing}");
    assert_eq!(files[0]["id"], file_id.as_str());
    assert_eq!(files[0]["status"], "accepted");
    assert_eq!(files[0]["via_link"], id.as_str());
    assert_eq!(
        files[0]["uploader"],
        json!({"name": "Bob Client", "email": "bob@client.example", "note": null})
    );
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (
            q["used_bytes"].as_u64(),
            q["reserved_bytes"].as_u64(),
            q["files"].as_u64()
        ),
        (Some(pdf.len() as u64), Some(0), Some(1)),
        "{q}"
    );
    let now = get_link(&stack, &ada, &id).await;
    assert_eq!(
        (
            now["uploads_used"].as_u64(),
            now["uploads_left"].as_u64(),
            now["bytes_used"].as_u64()
        ),
        (Some(1), Some(2), Some(pdf.len() as u64)),
        "{now}"
    );
    assert!(now.get("token").is_none(), "{now}");
    assert_eq!(now["url"], link["url"], "the URL can be copied again");

    // The owner's mail names the link, the file and the uploader, and the uses left.
    let mail = mail_about(&stack, "scan.pdf").await;
    assert_eq!(
        mail["destinations"]["ToAddresses"],
        json!(["ada@example.com"])
    );
    let body = mail["body"].as_str().unwrap();
    let subject = mail["subject"].as_str().unwrap();
    assert!(subject.contains("Q3 receipts"), "{subject}");
    for want in [
        "Q3 receipts",
        "scan.pdf",
        "Bob Client",
        "accepted",
        "Uploads left on this link: 2",
    ] {
        assert!(body.contains(want), "{want:?} missing from: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spoofed_file_is_rejected_removed_and_reported_and_keeps_its_use() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada@example.com").await;
    let link = make_link(
        &stack,
        &ada,
        json!({"label": "Contracts", "max_uploads": 3,
               "allowed_types": ["application/pdf", "image/png"]}),
    )
    .await;
    let (token, id) = (token_of(&link), id_of(&link));
    let elf = real_elf();
    let (s, dropped) = drop_file(
        &stack,
        &token,
        "contract.pdf",
        elf.len(),
        "application/pdf",
        Some(json!({"name": "Mallory"})),
    )
    .await;
    assert_eq!(s, 201, "{dropped}");
    let file_id = dropped["file"]["id"].as_str().unwrap().to_owned();
    put_dropped(&stack, &dropped, &elf).await;

    let judged = follow(&stack, dropped["receipt"].as_str().unwrap()).await;
    assert_eq!(
        (
            judged["status"].as_str(),
            judged["reason"].as_str(),
            judged["detected_type"].as_str()
        ),
        (
            Some("rejected"),
            // A program behind a PDF's name: the name disagrees with the bytes.
            Some("type_mismatch"),
            Some("application/x-executable")
        ),
        "{judged}"
    );

    // The bytes are gone from the bucket (the object is removed right after the verdict).
    let key = format!("uploads/{file_id}");
    stack
        .wait_for("the rejected object to be removed", 15, || async {
            stack.raw_object(&key).await.is_none().then_some(())
        })
        .await;
    let plain = stack
        .http
        .get(format!("{}/dropgate-uploads/{key}", stack.aws))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(plain, 404, "path-style GET of the removed object");

    // The owner is told, with the reason.
    let mail = mail_about(&stack, "contract.pdf").await;
    let body = mail["body"].as_str().unwrap();
    for want in [
        "Contracts",
        "contract.pdf",
        "Mallory",
        "rejected",
        "type_mismatch",
        "application/x-executable",
        "Uploads left on this link: 2",
    ] {
        assert!(body.contains(want), "{want:?} missing from: {body}");
    }

    // A rejected file keeps its use (and its bytes), as documented; the quota is released.
    let now = get_link(&stack, &ada, &id).await;
    assert_eq!(
        (
            now["uploads_used"].as_u64(),
            now["uploads_left"].as_u64(),
            now["bytes_used"].as_u64()
        ),
        (Some(1), Some(2), Some(elf.len() as u64)),
        "{now}"
    );
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (
            q["used_bytes"].as_u64(),
            q["reserved_bytes"].as_u64(),
            q["files"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{q}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn used_up_revoked_unknown_and_expired_links_are_refused() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada@example.com").await;
    let pdf = samples::pdf();

    // Used up: one use, dropped once, then every drop route says so.
    let once = make_link(&stack, &ada, json!({"label": "once", "max_uploads": 1})).await;
    let t = token_of(&once);
    let (s, b) = drop_file(&stack, &t, "a.pdf", pdf.len(), "application/pdf", None).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = drop_file(&stack, &t, "b.pdf", pdf.len(), "application/pdf", None).await;
    assert_eq!((s, code(&b)), (410, Some("link_used_up")), "{b}");
    let (s, b) = drop_info(&stack, &t).await;
    assert_eq!((s, code(&b)), (410, Some("link_used_up")), "{b}");
    assert_eq!(
        get_link(&stack, &ada, &id_of(&once)).await["state"],
        "used_up"
    );

    // Revoked: the owner revokes (twice is fine), the stranger is refused.
    let revoked = make_link(&stack, &ada, json!({"label": "revoked"})).await;
    let (t, id) = (token_of(&revoked), id_of(&revoked));
    assert_eq!(drop_info(&stack, &t).await.0, 200);
    for _ in 0..2 {
        let (s, b) = stack
            .call(Method::DELETE, &format!("/links/{id}"), Some(&ada), None)
            .await;
        assert_eq!((s, b), (204, Value::Null));
    }
    let (s, b) = drop_info(&stack, &t).await;
    assert_eq!((s, code(&b)), (410, Some("link_revoked")), "{b}");
    let (s, b) = drop_file(&stack, &t, "a.pdf", pdf.len(), "application/pdf", None).await;
    assert_eq!((s, code(&b)), (410, Some("link_revoked")), "{b}");
    let now = get_link(&stack, &ada, &id).await;
    assert_eq!(
        (now["state"].as_str(), now["revoked"].as_bool()),
        (Some("revoked"), Some(true))
    );

    // Unknown: a well-formed token nobody was given.
    let unknown = "A".repeat(43);
    let (s, b) = drop_info(&stack, &unknown).await;
    assert_eq!((s, code(&b)), (404, Some("link_not_found")), "{b}");
    let (s, b) = drop_file(
        &stack,
        &unknown,
        "a.pdf",
        pdf.len(),
        "application/pdf",
        None,
    )
    .await;
    assert_eq!((s, code(&b)), (404, Some("link_not_found")), "{b}");
    let (s, b) = receipt(&stack, &unknown).await;
    assert_eq!((s, code(&b)), (404, Some("receipt_not_found")), "{b}");

    // Expired: a one-second link, waited out (bounded).
    let brief = make_link(&stack, &ada, json!({"label": "brief", "expires_in": 1})).await;
    let t = token_of(&brief);
    let started = Instant::now();
    let b = stack
        .wait_for("the one-second link to expire", 10, || async {
            let (s, b) = drop_info(&stack, &t).await;
            assert!(s == 200 || s == 410, "{s} {b}");
            (s == 410).then_some(b)
        })
        .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(code(&b), Some("link_expired"), "{b}");
    let (s, b) = drop_file(&stack, &t, "a.pdf", pdf.len(), "application/pdf", None).await;
    assert_eq!((s, code(&b)), (410, Some("link_expired")), "{b}");
    assert_eq!(
        get_link(&stack, &ada, &id_of(&brief)).await["state"],
        "expired"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_drops_never_exceed_the_link_or_the_quota() {
    let stack = Arc::new(LocalStack::start_with(&[("QUOTA_BYTES", "10000")]).await);

    // Five strangers race for a one-use link: exactly one wins.
    let ada = stack.user("ada@example.com").await;
    let once = make_link(&stack, &ada, json!({"label": "once", "max_uploads": 1})).await;
    let mut tasks = Vec::new();
    for i in 0..5 {
        let (stack, t) = (stack.clone(), token_of(&once));
        tasks.push(tokio::spawn(async move {
            drop_file(
                &stack,
                &t,
                &format!("f{i}.pdf"),
                100,
                "application/pdf",
                None,
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let won = answers.iter().filter(|(s, _)| *s == 201).count();
    let gone: Vec<_> = answers.iter().filter(|(s, _)| *s == 410).collect();
    assert_eq!((won, gone.len()), (1, 4), "{answers:?}");
    assert!(
        gone.iter().all(|(_, b)| code(b) == Some("link_used_up")),
        "{answers:?}"
    );
    let l = get_link(&stack, &ada, &id_of(&once)).await;
    assert_eq!(
        (l["uploads_used"].as_u64(), l["bytes_used"].as_u64()),
        (Some(1), Some(100))
    );
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (q["reserved_bytes"].as_u64(), q["files"].as_u64()),
        (Some(100), Some(1))
    );

    // Twenty strangers at another owner's quota edge: 20 x 700 bytes against 10 000.
    let bob = stack.user("bob@example.com").await;
    let many = make_link(&stack, &bob, json!({"label": "many", "max_uploads": 100})).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (stack, t) = (stack.clone(), token_of(&many));
        tasks.push(tokio::spawn(async move {
            drop_file(
                &stack,
                &t,
                &format!("f{i}.pdf"),
                700,
                "application/pdf",
                None,
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let ok = answers.iter().filter(|(s, _)| *s == 201).count();
    let full: Vec<_> = answers.iter().filter(|(s, _)| *s == 413).collect();
    assert_eq!((ok, full.len()), (14, 6), "{answers:?}");
    for (_, b) in &full {
        // The uploader has no quota: they are told the largest file the link takes now (the
        // owner's free space, here), and nothing else of the owner's figures.
        assert_eq!(code(b), Some("file_too_large"), "{b}");
        let mut keys: Vec<&String> = b["error"].as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["code", "max_file_bytes", "message", "size"], "{b}");
        assert_eq!(b["error"]["size"], 700, "{b}");
        assert!(b["error"]["max_file_bytes"].as_u64().unwrap() < 700, "{b}");
        let message = b["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("this link can take files up to"), "{b}");
        assert!(
            !message.contains("quota") && !message.contains("storage"),
            "{b}"
        );
    }
    let l = get_link(&stack, &bob, &id_of(&many)).await;
    assert_eq!(
        (l["uploads_used"].as_u64(), l["bytes_used"].as_u64()),
        (Some(14), Some(9800)),
        "{l}"
    );
    let (_, q) = stack.get("/quota", &bob).await;
    assert_eq!(
        (q["reserved_bytes"].as_u64(), q["files"].as_u64()),
        (Some(9800), Some(14)),
        "{q}"
    );
    let (s, listing) = stack
        .get(&format!("/files?link={}&limit=100", id_of(&many)), &bob)
        .await;
    assert_eq!(s, 200, "{listing}");
    assert_eq!(listing["files"].as_array().unwrap().len(), 14);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_owners_and_other_uploaders_see_nothing() {
    let stack = LocalStack::start().await;
    let ada = stack.user("ada@example.com").await;
    let bob = stack.user("bob@example.com").await;
    let link = make_link(&stack, &ada, json!({"label": "Ada's link"})).await;
    let (token, id) = (token_of(&link), id_of(&link));

    // Bob cannot read, revoke or list Ada's link, nor list its files.
    let (s, b) = stack.get(&format!("/links/{id}"), &bob).await;
    assert_eq!((s, code(&b)), (404, Some("not_found")), "{b}");
    let (s, b) = stack
        .call(Method::DELETE, &format!("/links/{id}"), Some(&bob), None)
        .await;
    assert_eq!((s, code(&b)), (404, Some("not_found")), "{b}");
    let (s, b) = stack.get("/links", &bob).await;
    assert_eq!((s, &b["links"]), (200, &json!([])), "{b}");
    let (s, b) = stack.get(&format!("/files?link={id}"), &bob).await;
    assert_eq!((s, code(&b)), (404, Some("not_found")), "{b}");
    // ... and Ada's link is untouched by his attempt.
    let l = get_link(&stack, &ada, &id).await;
    assert_eq!(
        (l["revoked"].as_bool(), l["state"].as_str()),
        (Some(false), Some("active"))
    );
    let (_, mine) = stack.get("/links", &ada).await;
    assert_eq!(mine["links"][0]["id"], id.as_str());
    assert!(mine["links"][0].get("token").is_none());

    // Two uploaders of the same link: each receipt follows its own file only.
    let (png, pdf) = (samples::png(), samples::pdf());
    let (s, one) = drop_file(&stack, &token, "first.png", png.len(), "image/png", None).await;
    assert_eq!(s, 201, "{one}");
    let (s, two) = drop_file(
        &stack,
        &token,
        "second.pdf",
        pdf.len(),
        "application/pdf",
        None,
    )
    .await;
    assert_eq!(s, 201, "{two}");
    put_dropped(&stack, &one, &png).await;
    put_dropped(&stack, &two, &pdf).await;
    let (r1, r2) = (
        one["receipt"].as_str().unwrap().to_owned(),
        two["receipt"].as_str().unwrap().to_owned(),
    );
    assert_ne!(r1, r2);
    let f1 = scanned_clean(follow(&stack, &r1).await);
    let f2 = scanned_clean(follow(&stack, &r2).await);
    assert_eq!(
        f1,
        json!({"name": "first.png", "size": png.len(), "status": "accepted", "reason": null,
               "detected_type": "image/png"})
    );
    assert_eq!(
        f2,
        json!({"name": "second.pdf", "size": pdf.len(), "status": "accepted", "reason": null,
               "detected_type": "application/pdf"})
    );
    let (_, whole) = receipt(&stack, &r1).await;
    assert!(!whole.to_string().contains("second.pdf"), "{whole}");
    assert_eq!(whole.as_object().unwrap().len(), 1, "{whole}");
    // A receipt is not a link token, and a link token is not a receipt.
    let (s, b) = drop_info(&stack, &r1).await;
    assert_eq!((s, code(&b)), (404, Some("link_not_found")), "{b}");
    let (s, b) = receipt(&stack, &token).await;
    assert_eq!((s, code(&b)), (404, Some("receipt_not_found")), "{b}");
    // An altered receipt follows nothing.
    let mut forged = r1.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let (s, b) = receipt(&stack, &forged).await;
    assert_eq!((s, code(&b)), (404, Some("receipt_not_found")), "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_receipts_never_reach_any_store_or_log() {
    let (stack, logs) = LocalStack::start_capturing_logs(&[]).await;
    let ada = stack.user("ada@example.com").await;
    let link = make_link(
        &stack,
        &ada,
        json!({"label": "Secrets", "allowed_types": ["application/pdf"]}),
    )
    .await;
    let token = token_of(&link);
    let url = link["url"].as_str().unwrap().to_owned();
    assert_eq!(drop_info(&stack, &token).await.0, 200);
    let pdf = samples::pdf();
    let (s, dropped) = drop_file(
        &stack,
        &token,
        "secret.pdf",
        pdf.len(),
        "application/pdf",
        Some(json!({"name": "Carol"})),
    )
    .await;
    assert_eq!(s, 201, "{dropped}");
    put_dropped(&stack, &dropped, &pdf).await;
    let r = dropped["receipt"].as_str().unwrap().to_owned();
    assert_eq!(follow(&stack, &r).await["status"], "accepted");
    // A guess: the raw path of a failed lookup is not logged either.
    let guess = "Zz".repeat(21) + "Z";
    assert_eq!(drop_info(&stack, &guess).await.0, 404);
    assert_eq!(receipt(&stack, &guess).await.0, 404);
    mail_about(&stack, "secret.pdf").await;

    // The emulator's whole state: SES mail, SNS/SQS messages, S3, every resource.
    let state = stack.moto_text().await;
    assert!(state.contains("secret.pdf"), "the state holds the mail");
    for (what, secret) in [("token", &token), ("receipt", &r), ("url", &url)] {
        assert!(
            !state.contains(secret.as_str()),
            "the {what} is in the emulator's state"
        );
    }
    // data.json leaves DynamoDB items out, so read every table: only hashes are stored.
    let ddb = aws_sdk_dynamodb::Client::new(&stack.sdk().await);
    let mut items = String::new();
    for table in stack.ready["resources"]["tables"]
        .as_object()
        .unwrap()
        .values()
    {
        let out = ddb
            .scan()
            .table_name(table.as_str().unwrap())
            .send()
            .await
            .unwrap();
        items.push_str(&format!("{:?}\n", out.items()));
    }
    for (what, secret) in [("token", &token), ("receipt", &r)] {
        assert!(!items.contains(secret.as_str()), "the {what} is in a table");
        let hash = dropgate_core::tokens::hash(secret);
        assert!(
            items.contains(&hash),
            "the {what}'s hash is stored: {items}"
        );
    }

    // The logs: the route's pattern, never the raw path, never a secret.
    let text = logs.text();
    for (what, secret) in [
        ("token", &token),
        ("receipt", &r),
        ("guessed token", &guess),
    ] {
        assert!(!text.contains(secret.as_str()), "the {what} is in the logs");
    }
    let routes: Vec<String> = logs
        .json_lines()
        .iter()
        .filter(|l| l["message"] == "request")
        .filter_map(|l| l["route"].as_str().map(str::to_owned))
        .collect();
    for want in [
        "/drop/{token}",
        "/drop/{token}/files",
        "/drop/receipts/{receipt}",
    ] {
        assert!(
            routes.iter().any(|r| r == want),
            "{want} not logged: {routes:?}"
        );
    }
    let scrubbed = text
        .replace("/drop/{token}", "")
        .replace("/drop/receipts/{receipt}", "");
    assert!(!scrubbed.contains("/drop/"), "a raw drop path is logged");
    assert!(!text.contains("/d/"), "a link URL is logged");
}

fn epoch_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_lookups_are_rate_limited_per_address() {
    const WINDOW: u64 = 6;
    let window = WINDOW.to_string();
    let stack = LocalStack::start_with(&[
        ("LOOKUP_FAILURE_LIMIT", "3"),
        ("LOOKUP_FAILURE_WINDOW_SECS", &window),
    ])
    .await;
    let ada = stack.user("ada@example.com").await;
    let link = make_link(&stack, &ada, json!({"label": "valid"})).await;
    let (token, id) = (token_of(&link), id_of(&link));
    assert_eq!(
        drop_info(&stack, &token).await.0,
        200,
        "successes never count"
    );

    // Start at the beginning of a fixed window so that the whole sequence falls inside it.
    let into = epoch_secs() % WINDOW as f64;
    tokio::time::sleep(Duration::from_secs_f64(WINDOW as f64 - into + 0.05)).await;
    let window_start = Instant::now();
    for i in 0..3 {
        let (s, b) = drop_info(&stack, &format!("{}{i}", "x".repeat(42))).await;
        assert_eq!((s, code(&b)), (404, Some("link_not_found")), "{b}");
    }
    let (s, headers, b) = stack
        .anonymous(Method::GET, &format!("/drop/{}", "y".repeat(43)), None)
        .await;
    let refused_at = Instant::now();
    assert_eq!((s, code(&b)), (429, Some("rate_limited")), "{b}");
    let header: u64 = headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is whole seconds");
    assert!((1..=WINDOW).contains(&header), "Retry-After {header}");
    assert_eq!(b["error"]["retry_after"].as_u64(), Some(header), "{b}");

    // Even the valid token, on every drop route, until the window ends; nothing is used.
    let (s, b) = drop_info(&stack, &token).await;
    assert_eq!((s, code(&b)), (429, Some("rate_limited")), "{b}");
    let (s, b) = drop_file(&stack, &token, "a.pdf", 10, "application/pdf", None).await;
    assert_eq!((s, code(&b)), (429, Some("rate_limited")), "{b}");
    let (s, b) = receipt(&stack, &token).await;
    assert_eq!((s, code(&b)), (429, Some("rate_limited")), "{b}");
    assert!(
        window_start.elapsed() < Duration::from_secs(WINDOW - 1),
        "the sequence ran past its window; the test proves nothing"
    );
    assert_eq!(get_link(&stack, &ada, &id).await["uploads_used"], 0);

    // Retry-After is the rest of the window in whole seconds. It is rounded down today
    // (core/src/ratelimit.rs), so a client waiting exactly that long can still be refused;
    // one more second always reaches the next window, where the valid token works again.
    let rest = (window_start + Duration::from_secs(WINDOW)).saturating_duration_since(refused_at);
    assert!(
        header as f64 <= rest.as_secs_f64() + 1.0 && header as f64 + 1.0 >= rest.as_secs_f64(),
        "Retry-After {header} s for {rest:?} left in the window"
    );
    tokio::time::sleep_until((refused_at + Duration::from_secs(header + 1)).into()).await;
    let (s, b) = drop_info(&stack, &token).await;
    assert_eq!(
        s, 200,
        "a new window after Retry-After ({header} s) + 1 s: {b}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_whose_bytes_never_come_gives_its_use_back() {
    let stack =
        LocalStack::start_with(&[("UPLOAD_URL_TTL_SECS", "1"), ("PENDING_GRACE_SECS", "0")]).await;
    let ada = stack.user("ada@example.com").await;
    let link = make_link(&stack, &ada, json!({"label": "one try", "max_uploads": 1})).await;
    let (token, id) = (token_of(&link), id_of(&link));
    let (s, dropped) = drop_file(&stack, &token, "never.pdf", 1234, "application/pdf", None).await;
    assert_eq!(s, 201, "{dropped}");
    let r = dropped["receipt"].as_str().unwrap().to_owned();
    let f = follow(&stack, &r).await;
    assert_eq!(
        (f["status"].as_str(), f["reason"].as_str()),
        (Some("expired"), Some("upload_timeout")),
        "{f}"
    );
    let l = get_link(&stack, &ada, &id).await;
    assert_eq!(
        (
            l["uploads_used"].as_u64(),
            l["bytes_used"].as_u64(),
            l["state"].as_str()
        ),
        (Some(0), Some(0), Some("active")),
        "{l}"
    );
    let (_, q) = stack.get("/quota", &ada).await;
    assert_eq!(
        (q["reserved_bytes"].as_u64(), q["files"].as_u64()),
        (Some(0), Some(0))
    );
    // The one use is really back: the uploader can try again.
    let (s, b) = drop_file(&stack, &token, "again.pdf", 1234, "application/pdf", None).await;
    assert_eq!(s, 201, "{b}");
}
