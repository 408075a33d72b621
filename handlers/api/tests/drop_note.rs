//! The uploader's note through the API handler over the fakes: kept for the owner's views
//! only, limited, and refused with a stable code.

mod common;

use common::*;
use serde_json::{Value, json};

async fn link_token(w: &World) -> (String, String) {
    let r = send(
        w,
        req("POST", "/links")
            .by(ALICE)
            .json(json!({"label": "Notes"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let link = r.json()["link"].clone();
    (
        link["id"].as_str().unwrap().to_owned(),
        link["token"].as_str().unwrap().to_owned(),
    )
}

fn dropped(name: &str, uploader: Value) -> Value {
    json!({"name": name, "size": 10, "content_type": "application/pdf", "uploader": uploader})
}

#[tokio::test]
async fn the_note_reaches_the_owner_and_nobody_else() {
    let w = world();
    let (link_id, t) = link_token(&w).await;
    let note = "  Hi Alice,\r\nthe signed copy. <script>alert(1)</script>\n";
    let r = send(
        &w,
        req("POST", &format!("/drop/{t}/files")).json(dropped("a.pdf", json!({"note": note}))),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let answer = r.json();
    assert_eq!(
        answer["file"]["uploader"],
        Value::Null,
        "the drop's answer has no note"
    );
    let id = answer["file"]["id"].as_str().unwrap().to_owned();
    let stored = "Hi Alice,\nthe signed copy. <script>alert(1)</script>";

    let mine = send(&w, req("GET", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(mine.status, 200);
    assert_eq!(
        mine.json()["file"]["uploader"],
        json!({"name": null, "email": null, "note": stored})
    );
    let listed = send(
        &w,
        req("GET", "/files")
            .by(ALICE)
            .query(json!({"link": link_id})),
    )
    .await;
    assert_eq!(listed.json()["files"][0]["uploader"]["note"], stored);
    let all = send(&w, req("GET", "/files").by(ALICE)).await;
    assert_eq!(all.json()["files"][0]["uploader"]["note"], stored);

    expect_error(
        &w,
        req("GET", &format!("/files/{id}")).by(BOB),
        404,
        "not_found",
    )
    .await;
    let theirs = send(&w, req("GET", "/files").by(BOB)).await;
    assert!(!theirs.body.unwrap().contains("signed copy"));
    let receipt = answer["receipt"].as_str().unwrap();
    let r = send(&w, req("GET", &format!("/drop/receipts/{receipt}"))).await;
    assert!(
        !r.body.unwrap().contains("signed copy"),
        "a receipt has no note"
    );

    // With a name, the drop's answer names the uploader, still without the note.
    let r = send(
        &w,
        req("POST", &format!("/drop/{t}/files"))
            .json(dropped("b.pdf", json!({"name": "Bea", "note": "hello"}))),
    )
    .await;
    assert_eq!(
        r.json()["file"]["uploader"],
        json!({"name": "Bea", "email": null, "note": null})
    );
}

#[tokio::test]
async fn notes_are_limited_and_blank_is_none() {
    let w = world();
    let (_, t) = link_token(&w).await;
    let post = |u: Value| req("POST", &format!("/drop/{t}/files")).json(dropped("a.pdf", u));
    let long = "x".repeat(501);
    let r = expect_error(&w, post(json!({"note": long})), 400, "invalid_note").await;
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    expect_error(
        &w,
        post(json!({"note": "a\u{1b}[2Jb"})),
        400,
        "invalid_note",
    )
    .await;
    expect_error(&w, post(json!({"note": "a\u{202e}b"})), 400, "invalid_note").await;
    expect_error(&w, post(json!({"note": 5})), 400, "invalid_request").await;
    // 500 characters of two bytes each fit: the limit is in characters.
    let r = send(&w, post(json!({"note": format!(" {} ", "é".repeat(500))}))).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.json()["file"]["id"].as_str().unwrap().to_owned();
    let mine = send(&w, req("GET", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(mine.json()["file"]["uploader"]["note"], "é".repeat(500));
    // A blank note is no note.
    let r = send(&w, post(json!({"note": " \n "}))).await;
    let id = r.json()["file"]["id"].as_str().unwrap().to_owned();
    let mine = send(&w, req("GET", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(mine.json()["file"]["uploader"], Value::Null);
}
