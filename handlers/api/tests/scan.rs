//! The malware gate through the API handler over the fakes: a file waiting for its scan or held
//! after it is never downloadable nor shareable, every view says how far the scan went, and
//! only the owner ever sees threat names.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use dropgate_core::files::{FileLookup, Settlement, Settling};
use dropgate_core::scan::{ScanRecord, ScanStatus};
use dropgate_core::{FileId, FileStatus, OwnerId};
use serde_json::{Value, json};

const THREAT: &str = "EICAR-Test-File";

fn result(status: ScanStatus, threats: &[&str]) -> ScanRecord {
    ScanRecord {
        status,
        etag: Some("e1".into()),
        threats: threats.iter().map(|t| t.to_string()).collect(),
        at: Some(Utc.with_ymd_and_hms(2026, 11, 22, 10, 1, 0).unwrap()),
    }
}

/// Moves `id` of `sub` to `status` as the pipeline or the scan gate would.
async fn move_to(
    w: &World,
    sub: &str,
    id: &str,
    status: FileStatus,
    reason: Option<&str>,
    scan: Option<ScanRecord>,
) {
    let file = w
        .ledger
        .get_file(&OwnerId::parse(sub).unwrap(), &FileId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let s = Settlement {
        status,
        detected_type: Some("image/png".into()),
        reason: reason.map(str::to_owned),
        at: Utc::now(),
        stored_size: Some(file.size),
        stored_etag: Some("e1".into()),
        give_back_link: false,
        scan,
    };
    assert!(
        w.ledger.settle(&file, &s).await.unwrap(),
        "{:?} -> {status:?}",
        file.status
    );
}

async fn file_json(w: &World, id: &str) -> Value {
    let r = send(w, req("GET", &format!("/files/{id}")).by(ALICE)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.json()["file"].clone()
}

/// Neither a download URL nor a share: both `409 not_ready`.
async fn refused_everything(w: &World, id: &str) {
    expect_error(
        w,
        req("GET", &format!("/files/{id}/download")).by(ALICE),
        409,
        "not_ready",
    )
    .await;
    expect_error(
        w,
        req("POST", &format!("/files/{id}/shares"))
            .by(ALICE)
            .json(json!({})),
        409,
        "not_ready",
    )
    .await;
}

#[tokio::test]
async fn scanning_and_held_files_get_no_download_url_and_no_share() {
    let w = world();
    let id = create(&w, ALICE, 100).await;
    move_to(&w, ALICE, &id, FileStatus::Scanning, None, None).await;
    let f = file_json(&w, &id).await;
    assert_eq!(f["status"], "scanning");
    assert_eq!(f["scan"], json!({"status": "pending"}));
    refused_everything(&w, &id).await;

    move_to(
        &w,
        ALICE,
        &id,
        FileStatus::Held,
        Some("scan_unsupported"),
        Some(result(ScanStatus::Unsupported, &[])),
    )
    .await;
    let f = file_json(&w, &id).await;
    assert_eq!(f["status"], "held");
    assert_eq!(f["scan"]["status"], "unsupported");
    refused_everything(&w, &id).await;

    // Released by an operator: served at last, and shareable.
    move_to(
        &w,
        ALICE,
        &id,
        FileStatus::Accepted,
        None,
        Some(result(ScanStatus::Clean, &[])),
    )
    .await;
    let r = send(&w, req("GET", &format!("/files/{id}/download")).by(ALICE)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = send(
        &w,
        req("POST", &format!("/files/{id}/shares"))
            .by(ALICE)
            .json(json!({})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[tokio::test]
async fn replaced_bytes_of_an_accepted_file_are_not_served_until_their_own_scan() {
    let w = world();
    let id = create(&w, ALICE, 100).await;
    move_to(&w, ALICE, &id, FileStatus::Scanning, None, None).await;
    move_to(
        &w,
        ALICE,
        &id,
        FileStatus::Accepted,
        None,
        Some(result(ScanStatus::Clean, &[])),
    )
    .await;
    let r = send(&w, req("GET", &format!("/files/{id}/download")).by(ALICE)).await;
    assert_eq!(r.status, 200);
    move_to(
        &w,
        ALICE,
        &id,
        FileStatus::Scanning,
        None,
        Some(ScanRecord {
            status: ScanStatus::Pending,
            etag: Some("e2".into()),
            threats: Vec::new(),
            at: None,
        }),
    )
    .await;
    assert_eq!(
        file_json(&w, &id).await["scan"],
        json!({"status": "pending"})
    );
    refused_everything(&w, &id).await;
}

#[tokio::test]
async fn every_view_says_how_far_the_scan_went_and_only_the_owner_sees_threats() {
    let w = world();
    let r = send(
        &w,
        req("POST", "/files")
            .by(ALICE)
            .json(new_file("photo.png", 100, "image/png")),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["file"]["scan"], json!({"status": "pending"}));
    let infected = r.json()["file"]["id"].as_str().unwrap().to_owned();
    move_to(&w, ALICE, &infected, FileStatus::Scanning, None, None).await;
    move_to(
        &w,
        ALICE,
        &infected,
        FileStatus::Rejected,
        Some("malware_found"),
        Some(result(ScanStatus::Infected, &[THREAT])),
    )
    .await;
    let f = file_json(&w, &infected).await;
    assert_eq!(
        (&f["status"], &f["reason"]),
        (&json!("rejected"), &json!("malware_found"))
    );
    assert_eq!(
        f["scan"],
        json!({"status": "infected", "threats": [THREAT], "scanned_at": "2026-11-22T10:01:00.000Z"})
    );

    let clean = create(&w, ALICE, 10).await;
    move_to(&w, ALICE, &clean, FileStatus::Scanning, None, None).await;
    move_to(
        &w,
        ALICE,
        &clean,
        FileStatus::Accepted,
        None,
        Some(result(ScanStatus::Clean, &[])),
    )
    .await;
    assert_eq!(
        file_json(&w, &clean).await["scan"],
        json!({"status": "clean", "scanned_at": "2026-11-22T10:01:00.000Z"}),
        "no threats key when there are none"
    );
    // Scanning off: accepted on its type alone, and saying so.
    let unscanned = create(&w, ALICE, 10).await;
    move_to(
        &w,
        ALICE,
        &unscanned,
        FileStatus::Accepted,
        None,
        Some(ScanRecord::off(Utc::now())),
    )
    .await;
    assert_eq!(file_json(&w, &unscanned).await["scan"]["status"], "off");

    // The listing carries the same views as the file route.
    let list = send(&w, req("GET", "/files").by(ALICE)).await.json();
    let files = list["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    for f in files {
        let id = f["id"].as_str().unwrap();
        assert_eq!(f, &file_json(&w, id).await, "{id}");
    }
}

#[tokio::test]
async fn a_strangers_receipt_says_refused_for_safety_and_never_names_a_threat() {
    let w = world();
    let r = send(
        &w,
        req("POST", "/links").by(ALICE).json(json!({"label": "Q3"})),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let link = r.json()["link"].clone();
    let t = link["token"].as_str().unwrap();
    let dropped = send(
        &w,
        req("POST", &format!("/drop/{t}/files"))
            .json(json!({"name": "scan.pdf", "size": 100, "content_type": "application/pdf"})),
    )
    .await;
    assert_eq!(dropped.status, 201, "{:?}", dropped.body);
    let dropped = dropped.json();
    assert_eq!(dropped["file"]["scan"], json!({"status": "pending"}));
    let id = dropped["file"]["id"].as_str().unwrap().to_owned();
    let receipt = dropped["receipt"].as_str().unwrap().to_owned();
    move_to(&w, ALICE, &id, FileStatus::Scanning, None, None).await;
    let r = send(&w, req("GET", &format!("/drop/receipts/{receipt}"))).await;
    assert_eq!(r.json()["file"]["status"], "scanning");
    move_to(
        &w,
        ALICE,
        &id,
        FileStatus::Rejected,
        Some("malware_found"),
        Some(result(ScanStatus::Infected, &[THREAT])),
    )
    .await;
    let r = send(&w, req("GET", &format!("/drop/receipts/{receipt}"))).await;
    assert_eq!(r.status, 200);
    let body = r.body.clone().unwrap();
    assert_eq!(r.json()["file"]["status"], "rejected");
    assert_eq!(r.json()["file"]["reason"], "refused_for_safety");
    assert!(!body.contains(THREAT), "{body}");
    assert!(!body.contains("malware_found"), "{body}");
    // The owner, through the link's listing, sees what was found.
    let mine = send(
        &w,
        req("GET", "/files")
            .by(ALICE)
            .query(json!({"link": link["id"]})),
    )
    .await
    .json();
    assert_eq!(mine["files"][0]["scan"]["threats"], json!([THREAT]));
    assert_eq!(mine["files"][0]["reason"], "malware_found");
}
