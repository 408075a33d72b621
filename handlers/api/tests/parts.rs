//! The multipart routes over HTTP, on the fakes: the answer's shape, part URLs, the codes of
//! every refusal, completion, and the drop routes by receipt.

mod common;

use common::*;
use dropgate_core::FileId;
use dropgate_core::files::FileLookup;
use serde_json::{Value, json};

const MIB: u64 = 1 << 20;
const SIZE: u64 = 17 * MIB;

fn large() -> World {
    world_with(|s| {
        s.single_put_max_bytes = 100;
        s.max_file_size = 40 * MIB;
        s.quota_bytes = 100 * MIB;
    })
}

async fn create_large(w: &World) -> Value {
    let r = send(
        w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("film.mp4", SIZE, "video/mp4")),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.json()
}

async fn upload_id(w: &World, id: &str) -> String {
    let owner = dropgate_core::OwnerId::parse(ALICE).unwrap();
    let f = w
        .ledger
        .get_file(&owner, &FileId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    f.multipart.unwrap().upload_id
}

#[tokio::test]
async fn health_names_the_upload_api_version() {
    let w = world();
    let r = send(&w, req("GET", "/health")).await;
    assert_eq!(r.json(), json!({"status": "ok"}));
    assert_eq!(r.raw.headers["dropgate-upload-api"], "2");
}

#[tokio::test]
async fn a_large_file_is_answered_with_parts_to_upload() {
    let w = large();
    let c = create_large(&w).await;
    let up = &c["upload"];
    assert_eq!(up["method"], "multipart");
    assert_eq!(up["part_size"], 8 * MIB);
    assert_eq!(up["part_count"], 3);
    assert!(up["expires_at"].is_string());
    assert!(
        up.get("url").is_none() && up.get("headers").is_none(),
        "{up}"
    );
    let q = send(&w, req("GET", "/quota").by(ALICE)).await.json();
    assert_eq!(q["reserved_bytes"], SIZE);

    let id = c["file"]["id"].as_str().unwrap();
    let r = send(
        &w,
        req("POST", &format!("/files/{id}/parts"))
            .by(ALICE)
            .json(json!({"part_numbers": [3, 1]})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let parts = r.json()["parts"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0]["number"], 3);
    assert_eq!(parts[0]["method"], "PUT");
    assert_eq!(parts[0]["headers"]["content-length"], MIB.to_string());
    assert!(parts[0]["url"].as_str().unwrap().contains("partNumber=3"));
    assert!(parts[0]["expires_at"].is_string());
    assert_eq!(parts[1]["headers"]["content-length"], (8 * MIB).to_string());
}

#[tokio::test]
async fn bad_part_requests_get_their_codes() {
    let w = large();
    let c = create_large(&w).await;
    let id = c["file"]["id"].as_str().unwrap();
    let path = format!("/files/{id}/parts");
    for n in [0, 4] {
        let r = expect_error(
            &w,
            req("POST", &path)
                .by(ALICE)
                .json(json!({"part_numbers": [n]})),
            400,
            "invalid_part_number",
        )
        .await;
        assert_eq!(r.json()["error"]["part_count"], 3);
    }
    for body in [
        json!({"part_numbers": []}),
        json!({"part_numbers": [1, 1]}),
        json!({"part_numbers": ["1"]}),
        json!({"part_numbers": [-1]}),
        json!({"part_numbers": [1.5]}),
        json!({"numbers": [1]}),
        json!({"part_numbers": (1..=101).collect::<Vec<u32>>()}),
    ] {
        expect_error(
            &w,
            req("POST", &path).by(ALICE).json(body),
            400,
            "invalid_request",
        )
        .await;
    }
    expect_error(
        &w,
        req("POST", &path).by(ALICE).body("{"),
        400,
        "invalid_json",
    )
    .await;
    // Another owner's file is not found on every route; so is a small file's.
    for (method, p) in [
        ("POST", path.clone()),
        ("GET", path.clone()),
        ("POST", format!("/files/{id}/complete")),
    ] {
        let r = req(method, &p).by(BOB).json(json!({"part_numbers": [1]}));
        let r = if method == "POST" && p.ends_with("complete") {
            req(method, &p).by(BOB).json(json!({"parts": []}))
        } else {
            r
        };
        expect_error(&w, r, 404, "not_found").await;
    }
    let small = create(&w, ALICE, 50).await;
    expect_error(
        &w,
        req("GET", &format!("/files/{small}/parts")).by(ALICE),
        404,
        "not_found",
    )
    .await;
    expect_error(
        &w,
        req("POST", &format!("/files/{small}/complete")).by(ALICE),
        404,
        "not_found",
    )
    .await;
    // Without a token: the gate's 401.
    expect_error(&w, req("GET", &path), 401, "unauthorized").await;
}

#[tokio::test]
async fn completion_is_refused_with_the_missing_parts_then_succeeds() {
    let w = large();
    let c = create_large(&w).await;
    let id = c["file"]["id"].as_str().unwrap();
    let listing = send(&w, req("GET", &format!("/files/{id}/parts")).by(ALICE))
        .await
        .json();
    assert_eq!(
        listing,
        json!({"part_size": 8 * MIB, "part_count": 3, "parts": []})
    );
    let up = upload_id(&w, id).await;
    let e1 = w.store.put_part(&up, 1, vec![1; (8 * MIB) as usize]);
    w.store.put_part(&up, 3, vec![3; 5]);
    let r = expect_error(
        &w,
        req("POST", &format!("/files/{id}/complete"))
            .by(ALICE)
            .json(json!({"parts": [{"number": 1, "etag": format!("\"{e1}\"")}]})),
        409,
        "incomplete_upload",
    )
    .await;
    let err = &r.json()["error"];
    assert_eq!(err["missing_parts"], json!([2]));
    assert_eq!(err["wrong_size_parts"], json!([3]));
    assert_eq!(err["mismatched_parts"], json!([]));
    let listing = send(&w, req("GET", &format!("/files/{id}/parts")).by(ALICE))
        .await
        .json();
    assert_eq!(listing["parts"][0]["number"], 1);
    assert_eq!(listing["parts"][0]["size"], 8 * MIB);
    assert_eq!(listing["parts"][0]["etag"], e1.as_str());

    w.store.put_part(&up, 2, vec![2; (8 * MIB) as usize]);
    w.store.put_part(&up, 3, vec![3; MIB as usize]);
    for _ in 0..2 {
        // No body at all is a completion naming no parts; completing twice is fine.
        let r = send(&w, req("POST", &format!("/files/{id}/complete")).by(ALICE)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.json()["file"]["status"], "pending");
        assert_eq!(r.json()["file"]["size"], SIZE);
    }
}

#[tokio::test]
async fn a_drop_resumes_by_receipt() {
    let w = large();
    let l = send(
        &w,
        req("POST", "/links")
            .by(ALICE)
            .json(json!({"label": "Rushes"})),
    )
    .await
    .json();
    let token = l["link"]["token"].as_str().unwrap();
    let d = send(
        &w,
        req("POST", &format!("/drop/{token}/files")).json(new_file(
            "rushes.mp4",
            SIZE,
            "video/mp4",
        )),
    )
    .await;
    assert_eq!(d.status, 201, "{:?}", d.body);
    let d = d.json();
    assert_eq!(d["upload"]["method"], "multipart");
    let receipt = d["receipt"].as_str().unwrap();
    let r = send(
        &w,
        req("POST", &format!("/drop/receipts/{receipt}/parts"))
            .json(json!({"part_numbers": [1, 2, 3]})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.json()["parts"].as_array().unwrap().len(), 3);
    let r = send(&w, req("GET", &format!("/drop/receipts/{receipt}/parts"))).await;
    assert_eq!(r.json()["part_count"], 3);
    let r = expect_error(
        &w,
        req("POST", &format!("/drop/receipts/{receipt}/complete")).json(json!({"parts": []})),
        409,
        "incomplete_upload",
    )
    .await;
    assert_eq!(r.json()["error"]["missing_parts"], json!([1, 2, 3]));
    for (m, p) in [
        ("GET", "/drop/receipts/nope/parts"),
        ("POST", "/drop/receipts/nope/complete"),
    ] {
        expect_error(&w, req(m, p), 404, "receipt_not_found").await;
    }
}
