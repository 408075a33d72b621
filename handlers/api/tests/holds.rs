//! Legal holds through the API, on the in-memory fakes: an admin holds a file, its owner sees
//! `legal_hold: true` (never why) and can neither delete nor purge it, nor can an admin; the
//! admin's listing carries the reason; a lifted hold lets the file go.

mod common;

use common::{ALICE, BOB, accept, claims, create, expect_error, req, send, world};
use serde_json::{Value, json};

fn admin() -> Value {
    let mut c = claims(BOB);
    c["cognito:groups"] = json!(["admins"]);
    c
}

#[tokio::test]
async fn a_held_file_is_shown_held_and_refuses_every_deletion_until_lifted() {
    let w = world();
    let id = create(&w, ALICE, 100).await;
    accept(&w, ALICE, &id).await;
    let f = send(&w, req("GET", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(f.json()["file"]["legal_hold"], false, "{:?}", f.body);

    let hold = format!("/admin/files/{id}/hold");
    expect_error(
        &w,
        req("POST", &hold).claims(admin()).json(json!({})),
        400,
        "invalid_reason",
    )
    .await;
    expect_error(
        &w,
        req("POST", &hold)
            .claims(admin())
            .json(json!({"reason": 7})),
        400,
        "invalid_reason",
    )
    .await;
    expect_error(
        &w,
        req("POST", "/admin/files/nope/hold")
            .claims(admin())
            .json(json!({"reason": "r"})),
        404,
        "not_found",
    )
    .await;
    let r = send(
        &w,
        req("POST", &hold)
            .claims(admin())
            .json(json!({"reason": "Case 12 <b>subpoena</b>"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["file"]["legal_hold"], true);
    assert_eq!(r.json()["file"]["hold_reason"], "Case 12 <b>subpoena</b>");

    // The owner sees that it is held, never why.
    for path in [format!("/files/{id}"), "/files".to_owned()] {
        let r = send(&w, req("GET", &path).by(ALICE)).await;
        assert_eq!(r.status, 200);
        let body = r.json().to_string();
        assert!(body.contains("\"legal_hold\":true"), "{path}: {body}");
        assert!(!body.contains("subpoena"), "{path}");
    }
    let file = format!("/files/{id}");
    expect_error(&w, req("DELETE", &file).by(ALICE), 409, "legal_hold").await;
    let admin_file = format!("/admin/files/{id}");
    expect_error(
        &w,
        req("DELETE", &admin_file).claims(admin()),
        409,
        "legal_hold",
    )
    .await;
    let listed = send(
        &w,
        req("GET", "/admin/files")
            .claims(admin())
            .query(json!({"status": "accepted"})),
    )
    .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
    let item = &listed.json()["files"][0];
    assert_eq!(item["legal_hold"], true);
    assert_eq!(item["hold_reason"], "Case 12 <b>subpoena</b>");

    let r = send(&w, req("DELETE", &hold).claims(admin())).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["file"]["legal_hold"], false);
    assert!(r.json()["file"]["hold_reason"].is_null());
    let r = send(&w, req("DELETE", &file).by(ALICE)).await;
    assert_eq!(r.status, 204, "{:?}", r.body);

    // In the trash: held again, the owner's purge is refused; the trash shows it held.
    let r = send(
        &w,
        req("POST", &hold)
            .claims(admin())
            .json(json!({"reason": "again"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let trash = send(&w, req("GET", "/trash").by(ALICE)).await;
    assert_eq!(trash.json()["files"][0]["legal_hold"], true);
    expect_error(
        &w,
        req("DELETE", &format!("/trash/{id}")).by(ALICE),
        409,
        "legal_hold",
    )
    .await;
}

#[tokio::test]
async fn only_a_file_that_keeps_its_bytes_can_be_held() {
    let w = world();
    let id = create(&w, ALICE, 100).await;
    expect_error(
        &w,
        req("POST", &format!("/admin/files/{id}/hold"))
            .claims(admin())
            .json(json!({"reason": "r"})),
        409,
        "not_holdable",
    )
    .await;
}
