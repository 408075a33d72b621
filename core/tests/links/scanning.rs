//! A drop through a link meets the malware gate: its link's pending bytes are released when it
//! leaves `pending`, its use is kept, and the stranger's receipt never names a threat.

use chrono::Utc;
use dropgate_core::fakes::etag_of;
use dropgate_core::notify::{EventType, verdict_mail};
use dropgate_core::pipeline::ObjectEvent;
use dropgate_core::scan::{ScanGate, ScanOutcome, ScanResult, ScanStatus};
use dropgate_core::{FileStatus, Settings};

use crate::world::*;

const PLAN: &str = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/links";

#[tokio::test]
async fn an_infected_drop_is_refused_for_safety_on_its_receipt_and_named_to_the_owner() {
    let w = world_with(Settings {
        malware_scanning: true,
        scan_plan_arn: Some(PLAN.into()),
        ..settings()
    });
    let (token, link_id) = link(&w, new_link("Client documents")).await;
    let bytes = pdf(400);
    let d = drop_file(&w, &token, upload("tax.pdf", 400, "application/pdf"))
        .await
        .unwrap();
    assert_eq!(d.file.scan.status, ScanStatus::Pending);
    let key = format!("uploads/{}", d.file.id);
    w.store.put(&key, bytes.clone());
    assert_eq!(stored(&w, &link_id).await.pending_bytes, 400);

    w.pipeline
        .decide_batch(&[ObjectEvent {
            key: key.clone(),
            ..Default::default()
        }])
        .await
        .remove(0)
        .unwrap();
    assert_eq!(record(&w, &d.file.id).await.status, FileStatus::Scanning);
    assert_eq!(
        stored(&w, &link_id).await.pending_bytes,
        0,
        "released on leaving pending"
    );
    let receipt = w.drops.receipt(&d.receipt, SRC).await.unwrap();
    assert_eq!(receipt.file.status, FileStatus::Scanning);
    assert_eq!(receipt.file.scan.status, ScanStatus::Pending);

    let gate = ScanGate {
        ledger: w.ledger.clone(),
        store: w.store.clone(),
        clock: w.clock.clone(),
        settings: w.pipeline.settings.clone(),
    };
    let result = ScanResult {
        plan_arn: Some(PLAN.into()),
        key: key.clone(),
        etag: Some(etag_of(&bytes)),
        version_id: None,
        outcome: ScanOutcome::Infected {
            threats: vec!["EICAR-Test-File".into()],
        },
        at: Utc::now(),
    };
    gate.decide_batch(&[result]).await.remove(0).unwrap();

    let rec = record(&w, &d.file.id).await;
    assert_eq!(rec.status, FileStatus::Rejected);
    assert!(!w.store.has(&key));
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(
        used(&w, &link_id).await,
        (1, 400),
        "a refused file keeps its use"
    );

    let receipt = w.drops.receipt(&d.receipt, SRC).await.unwrap();
    assert_eq!(receipt.file.reason.as_deref(), Some("refused_for_safety"));
    let shown = serde_json::to_string(&receipt).unwrap();
    assert!(!shown.contains("EICAR"), "{shown}");
    assert!(!shown.contains("malware_found"), "{shown}");

    let entries: Vec<EventType> = w
        .ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(entries, vec![EventType::UploadRejected]);
    let mail = verdict_mail(&rec, Some(2)).unwrap();
    assert!(mail.body.contains("EICAR-Test-File"), "{}", mail.body);
    assert!(mail.body.contains("malware_found"), "{}", mail.body);
}
