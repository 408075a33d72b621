//! The trash and deletion receipts through the API, on the in-memory fakes: a deleted file is
//! the owner's alone to restore or purge, its share is gone while it is in the trash and stays
//! revoked after a restore.

mod common;

use common::{ALICE, BOB, expect_error, req, send, shared, world, world_with};

fn listed(r: &common::Resp) -> Vec<String> {
    r.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_deleted_file_is_restored_or_purged_by_its_owner_alone() {
    let w = world();
    let (id, share) = shared(&w, serde_json::json!({})).await;
    let token = share["token"].as_str().unwrap().to_owned();
    let r = send(&w, req("DELETE", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(r.status, 204, "{:?}", r.body);

    let trash = send(&w, req("GET", "/trash").by(ALICE)).await;
    assert_eq!(trash.status, 200);
    assert_eq!(listed(&trash), [id.as_str()]);
    let f = &trash.json()["files"][0];
    assert!(
        f["trashed_at"].is_string() && f["purge_at"].is_string(),
        "{f}"
    );
    assert!(listed(&send(&w, req("GET", "/files").by(ALICE)).await).is_empty());
    let quota = send(&w, req("GET", "/quota").by(ALICE)).await.json();
    assert_eq!(quota["used_bytes"], 100, "still counted");
    expect_error(&w, req("GET", &format!("/share/{token}")), 410, "file_gone").await;
    expect_error(
        &w,
        req("GET", &format!("/files/{id}")).by(ALICE),
        404,
        "not_found",
    )
    .await;

    // Another owner finds nothing to restore, purge or read.
    assert!(listed(&send(&w, req("GET", "/trash").by(BOB)).await).is_empty());
    let restore = format!("/trash/{id}/restore");
    expect_error(&w, req("POST", &restore).by(BOB), 404, "not_found").await;
    expect_error(
        &w,
        req("DELETE", &format!("/trash/{id}")).by(BOB),
        404,
        "not_found",
    )
    .await;

    let r = send(&w, req("POST", &restore).by(ALICE)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["file"]["id"], id.as_str());
    assert!(r.json()["file"].get("trashed_at").is_none());
    expect_error(
        &w,
        req("GET", &format!("/share/{token}")),
        410,
        "share_revoked",
    )
    .await;

    let r = send(&w, req("DELETE", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(r.status, 204);
    let r = send(&w, req("DELETE", &format!("/trash/{id}")).by(ALICE)).await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    let quota = send(&w, req("GET", "/quota").by(ALICE)).await.json();
    assert_eq!(
        (quota["used_bytes"].as_u64(), quota["files"].as_u64()),
        (Some(0), Some(0))
    );
    let receipts = send(&w, req("GET", "/receipts/deletions").by(ALICE)).await;
    assert_eq!(receipts.status, 200);
    let all = receipts.json();
    assert_eq!(all["receipts"].as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all["receipts"][0]["file_id"], id.as_str());
    assert_eq!(all["receipts"][0]["reason"], "purged");
    assert_eq!(all["next_cursor"], serde_json::Value::Null);
    let bob = send(&w, req("GET", "/receipts/deletions").by(BOB))
        .await
        .json();
    assert!(bob["receipts"].as_array().unwrap().is_empty());
    expect_error(
        &w,
        req("GET", "/receipts/deletions")
            .by(ALICE)
            .query(serde_json::json!({"cursor": "zz"})),
        400,
        "invalid_cursor",
    )
    .await;
}

/// A client says how long a delete can be undone (or that it cannot) from the trash's page.
#[tokio::test]
async fn the_trash_page_says_how_many_days_it_keeps_a_file() {
    let w = world_with(|s| s.trash_days = 3);
    let page = send(&w, req("GET", "/trash").by(ALICE)).await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    assert_eq!(page.json()["trash_days"], 3);
    assert!(listed(&page).is_empty());

    let off = world_with(|s| s.trash_days = 0);
    let page = send(&off, req("GET", "/trash").by(ALICE)).await;
    assert_eq!(page.json()["trash_days"], 0);
}
