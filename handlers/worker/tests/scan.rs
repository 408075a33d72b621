//! The worker with scanning on, over the in-memory fakes: S3 events and GuardDuty scan results
//! through the same handler, one partial batch response.

mod common;

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{TimeZone, Utc};
use dropgate_core::fakes::etag_of;
use dropgate_core::files::FileLookup;
use dropgate_core::notify::EventType;
use dropgate_core::{FileId, FileStatus, Settings};
use dropgate_worker::{SCAN_RESULT_DETAIL_TYPE, handle};
use serde_json::{Value, json};

use common::{World, owner, status};

const PLAN: &str = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/dropgate";

fn world() -> World {
    common::world(
        Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap(),
        Settings {
            scan_plan_arn: Some(PLAN.into()),
            ..Settings::default()
        },
    )
}

fn png() -> Vec<u8> {
    common::png(300)
}

async fn uploaded(w: &World) -> FileId {
    common::pending(w, "scan.png", "image/png", png()).await
}

fn s3_body(id: &FileId) -> String {
    json!({"Records": [{"eventName": "ObjectCreated:Put",
        "s3": {"object": {"key": format!("uploads%2F{id}"), "size": 300, "eTag": etag_of(&png())}}}]})
    .to_string()
}

fn scan_body(id: &FileId, result: &str, threats: Value) -> String {
    json!({"version":"0","id":"6f1c","detail-type":SCAN_RESULT_DETAIL_TYPE,
        "source":"aws.guardduty","account":"123456789012","time":"2026-12-04T12:00:03Z",
        "region":"us-east-1","resources":[PLAN],
        "detail":{"schemaVersion":"1.0","scanStatus":"COMPLETED","resourceType":"S3_OBJECT",
            "s3ObjectDetails":{"bucketName":"dropgate-uploads","objectKey":format!("uploads/{id}"),
                "eTag":etag_of(&png()),"s3Throttled":false},
            "scanResultDetails":{"scanResultStatus":result,"threats":threats}}})
    .to_string()
}

fn sqs(messages: &[(&str, String)]) -> SqsEvent {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| json!({"messageId": id, "body": body, "eventSource": "aws:sqs"}))
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("a valid SQS event")
}

fn events(w: &World) -> Vec<EventType> {
    w.ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event)
        .collect()
}

#[tokio::test]
async fn an_upload_waits_in_scanning_and_its_clean_result_accepts_it() {
    let w = world();
    let id = uploaded(&w).await;
    let r = handle(sqs(&[("m1", s3_body(&id))]), &w.deps).await;
    assert!(r.batch_item_failures.is_empty());
    assert_eq!(status(&w, &id).await, FileStatus::Scanning);
    assert!(events(&w).is_empty());

    let clean = scan_body(&id, "NO_THREATS_FOUND", Value::Null);
    let r = handle(sqs(&[("m2", clean.clone()), ("m3", clean)]), &w.deps).await;
    assert!(r.batch_item_failures.is_empty());
    assert_eq!(status(&w, &id).await, FileStatus::Accepted);
    assert_eq!(events(&w), vec![EventType::UploadAccepted]);
}

#[tokio::test]
async fn an_infected_result_rejects_and_a_malformed_one_fails_alone() {
    let w = world();
    let id = uploaded(&w).await;
    handle(sqs(&[("m1", s3_body(&id))]), &w.deps).await;
    let infected = scan_body(&id, "THREATS_FOUND", json!([{"name": "EICAR-Test-File"}]));
    let mut broken: Value = serde_json::from_str(&infected).unwrap();
    broken["detail"]
        .as_object_mut()
        .unwrap()
        .remove("s3ObjectDetails");
    let r = handle(
        sqs(&[("bad", broken.to_string()), ("m2", infected)]),
        &w.deps,
    )
    .await;
    let failed: Vec<_> = r
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, vec!["bad"]);
    let f = w.ledger.get_file(&owner(), &id).await.unwrap().unwrap();
    assert_eq!(f.status, FileStatus::Rejected);
    assert_eq!(f.reason.as_deref(), Some("malware_found"));
    assert_eq!(f.scan.unwrap().threats, vec!["EICAR-Test-File".to_owned()]);
    assert!(!w.store.has(&format!("uploads/{id}")));
    assert_eq!(events(&w), vec![EventType::UploadRejected]);
    // One audit entry, by the system, naming the file and its owner by id only.
    let audit = w.audit.events();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "file.malware_found");
    assert_eq!(audit[0].actor.kind, dropgate_core::audit::ActorKind::System);
    assert_eq!(audit[0].target.id, id.as_str());
    assert_eq!(
        audit[0].detail,
        json!({"owner": owner().as_str(), "threats": 1})
    );
}

#[tokio::test]
async fn a_result_and_the_upload_event_in_one_batch_settle_once() {
    let w = world();
    let id = uploaded(&w).await;
    // The scan may beat the type verdict: in one batch the upload is judged first, and the
    // result, decided after, finds it scanning.
    let clean = scan_body(&id, "NO_THREATS_FOUND", Value::Null);
    let r = handle(sqs(&[("m1", clean), ("m2", s3_body(&id))]), &w.deps).await;
    assert!(r.batch_item_failures.is_empty());
    assert_eq!(status(&w, &id).await, FileStatus::Accepted);
    assert_eq!(events(&w), vec![EventType::UploadAccepted]);
}
