//! End to end, over HTTP: the uploader's note. A stranger drops a file with a note; its owner
//! sees the note in their file views and their mail, as text; another owner, the drop's answer
//! and the receipt never do; a note too long is refused with a stable code.

use crate::common;
use crate::e2e_links::{drop_file, follow, mail_about, make_link, put_dropped, token_of};

use common::{LocalStack, samples};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_uploaders_note_reaches_its_owner_only_and_as_text() {
    // The note's path does not involve the scanner: the type verdict alone is enough here.
    let stack = LocalStack::start_with_args(&["--scanner", "off"], &[]).await;
    let ada = stack.user("ada@example.com").await;
    let eve = stack.user("eve@example.com").await;
    let link = make_link(&stack, &ada, json!({"label": "Signed forms"})).await;
    let token = token_of(&link);
    let pdf = samples::pdf();

    let long = "x".repeat(501);
    let (s, b) = drop_file(
        &stack,
        &token,
        "form.pdf",
        pdf.len(),
        "application/pdf",
        Some(json!({"note": long})),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("invalid_note")),
        "{b}"
    );

    let note = "Hello Ada,\nsigned on page 2. <script>alert('x')</script>";
    let (s, dropped) = drop_file(
        &stack,
        &token,
        "form.pdf",
        pdf.len(),
        "application/pdf",
        Some(json!({"name": "Bob", "note": format!("  {note}\r\n")})),
    )
    .await;
    assert_eq!(s, 201, "{dropped}");
    assert_eq!(
        dropped["file"]["uploader"],
        json!({"name": "Bob", "email": null, "note": null}),
        "the drop's answer names the uploader, not the note"
    );
    let id = dropped["file"]["id"].as_str().unwrap().to_owned();
    put_dropped(&stack, &dropped, &pdf).await;
    let receipt = dropped["receipt"].as_str().unwrap();
    let judged = follow(&stack, receipt).await;
    assert_eq!(judged["status"], "accepted", "{judged}");
    assert!(!judged.to_string().contains("signed on page"), "{judged}");

    let want = json!({"name": "Bob", "email": null, "note": note});
    let (s, mine) = stack.get(&format!("/files/{id}"), &ada).await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["file"]["uploader"], want);
    let (_, listing) = stack.get("/files", &ada).await;
    let listed: Vec<&Value> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id.as_str())
        .collect();
    assert_eq!(listed.len(), 1, "{listing}");
    assert_eq!(listed[0]["uploader"], want);

    let (s, theirs) = stack.get(&format!("/files/{id}"), &eve).await;
    assert_eq!(s, 404, "{theirs}");
    let (_, their_list) = stack.get("/files", &eve).await;
    assert!(
        !their_list.to_string().contains("signed on page"),
        "{their_list}"
    );

    // The owner's mail quotes the note as plain text, markup and all.
    let mail = mail_about(&stack, "form.pdf").await;
    let body = mail["body"].as_str().unwrap();
    assert!(
        body.contains(
            "Note from the uploader:\n> Hello Ada,\n> signed on page 2. \
             <script>alert('x')</script>\n"
        ),
        "{body}"
    );
    assert!(
        !mail["subject"].as_str().unwrap().contains("script"),
        "{mail}"
    );
}
