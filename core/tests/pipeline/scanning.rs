//! The malware gate over the fakes: a file passes its type verdict into `scanning`, and only a
//! clean result for exactly its bytes accepts it; every other answer, or none, keeps it shut.

use std::time::Duration;

use chrono::Utc;
use dropgate_core::fakes::etag_of;
use dropgate_core::notify::{EventType, verdict_mail};
use dropgate_core::pipeline::Decision;
use dropgate_core::scan::{IgnoreWhy, ScanDecision, ScanGate, ScanOutcome, ScanResult, ScanStatus};
use dropgate_core::settings::UnscannablePolicy;
use dropgate_core::{FileStatus, Settings};

use crate::world::*;

pub const PLAN: &str = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/test";

pub fn scanning_world(policy: UnscannablePolicy) -> World {
    world_with(Settings {
        scan_plan_arn: Some(PLAN.into()),
        unscannable_policy: policy,
        scan_timeout: Duration::from_secs(900),
        ..Settings::default()
    })
}

pub fn gate(w: &World) -> ScanGate {
    ScanGate {
        ledger: w.pipeline.ledger.clone(),
        store: w.pipeline.store.clone(),
        clock: w.pipeline.clock.clone(),
        settings: w.pipeline.settings.clone(),
    }
}

pub fn result(key: &str, bytes: &[u8], outcome: ScanOutcome) -> ScanResult {
    ScanResult {
        plan_arn: Some(PLAN.into()),
        key: key.into(),
        etag: Some(etag_of(bytes)),
        version_id: None,
        outcome,
        at: Utc::now(),
    }
}

pub fn infected() -> ScanOutcome {
    ScanOutcome::Infected {
        threats: vec!["EICAR-Test-File".into()],
    }
}

pub async fn scan(w: &World, results: &[ScanResult]) -> Vec<ScanDecision> {
    gate(w)
        .decide_batch(results)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// Every outbox entry so far, as (event, reason).
pub fn announced(w: &World) -> Vec<(EventType, Option<String>)> {
    w.ledger
        .outbox
        .lock()
        .unwrap()
        .iter()
        .map(|e| (e.event, e.file.reason.clone()))
        .collect()
}

fn why(d: &ScanDecision) -> Option<IgnoreWhy> {
    match d {
        ScanDecision::Ignored { why, .. } => Some(*why),
        _ => None,
    }
}

#[tokio::test]
async fn a_clean_file_is_scanning_until_its_clean_result_then_accepted_once() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    let size = png().len() as u64;
    let d = decide(&w, &up.key).await;
    assert_eq!(settled_file(&d).unwrap().status, FileStatus::Scanning);
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Scanning);
    assert_eq!(rec.scan_started_at, Some(t0()));
    assert_eq!(rec.view().scan.status, ScanStatus::Pending);
    // The bytes are there: the quota counts them as used; nobody was told anything yet.
    assert_eq!(usage(&w).await, (size, 0, 1));
    assert!(announced(&w).is_empty());
    assert!(log(&w).is_empty());

    let out = scan(&w, &[result(&up.key, &png(), ScanOutcome::Clean)]).await;
    assert_eq!(out[0].name(), "scan_clean");
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Accepted);
    assert_eq!(rec.detected_type.as_deref(), Some("image/png"));
    assert_eq!(rec.view().scan.status, ScanStatus::Clean);
    assert!(rec.view().scan.scanned_at.is_some());
    assert_eq!(usage(&w).await, (size, 0, 1));
    assert_eq!(announced(&w), vec![(EventType::UploadAccepted, None)]);
    assert_eq!(log(&w), vec![(up.id.clone(), FileStatus::Accepted)]);
    assert!(w.store.has(&up.key));
}

#[tokio::test]
async fn an_infected_file_is_rejected_with_its_threats_and_its_bytes_deleted() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    decide(&w, &up.key).await;
    let out = scan(&w, &[result(&up.key, &png(), infected())]).await;
    assert_eq!(out[0].name(), "scan_rejected");
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Rejected);
    assert_eq!(rec.reason.as_deref(), Some("malware_found"));
    let view = rec.view();
    assert_eq!(view.scan.status, ScanStatus::Infected);
    assert_eq!(view.scan.threats, Some(vec!["EICAR-Test-File".to_owned()]));
    assert_eq!(rec.public_view().scan.threats, None);
    assert!(!w.store.has(&up.key), "infected bytes removed");
    assert!(w.ledger.cleanup.lock().unwrap().is_empty());
    assert_eq!(usage(&w).await, (0, 0, 0), "usage released");
    assert_eq!(
        announced(&w),
        vec![(EventType::UploadRejected, Some("malware_found".into()))]
    );
    let mail = verdict_mail(&rec, None).unwrap();
    assert!(mail.body.contains("EICAR-Test-File"), "{}", mail.body);
}

#[tokio::test]
async fn unsupported_is_rejected_or_held_as_the_policy_says_and_failed_is_rejected() {
    for (policy, outcome, status, reason, event) in [
        (
            UnscannablePolicy::Reject,
            ScanOutcome::Unsupported,
            FileStatus::Rejected,
            "scan_unsupported",
            EventType::UploadRejected,
        ),
        (
            UnscannablePolicy::Hold,
            ScanOutcome::Unsupported,
            FileStatus::Held,
            "scan_unsupported",
            EventType::UploadHeld,
        ),
        (
            UnscannablePolicy::Hold,
            ScanOutcome::Failed,
            FileStatus::Rejected,
            "scan_failed",
            EventType::UploadRejected,
        ),
    ] {
        let w = scanning_world(policy);
        let up = uploaded(&w, "image/png", png()).await;
        decide(&w, &up.key).await;
        scan(&w, &[result(&up.key, &png(), outcome.clone())]).await;
        let rec = record(&w, &up.id).await;
        assert_eq!(rec.status, status, "{outcome:?} under {policy:?}");
        assert_eq!(rec.reason.as_deref(), Some(reason));
        assert_eq!(announced(&w), vec![(event, Some(reason.to_owned()))]);
        let held = status == FileStatus::Held;
        assert_eq!(w.store.has(&up.key), held, "only held bytes stay");
        let size = png().len() as u64;
        let want = if held { (size, 0, 1) } else { (0, 0, 0) };
        assert_eq!(usage(&w).await, want);
    }
}

#[tokio::test]
async fn other_plans_and_other_bytes_are_ignored_and_duplicates_change_nothing() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    decide(&w, &up.key).await;
    let mut other_plan = result(&up.key, &png(), infected());
    other_plan.plan_arn = Some(format!("{PLAN}-other"));
    let stale = result(&up.key, &jpeg(), infected());
    let out = scan(&w, &[other_plan, stale]).await;
    assert_eq!(why(&out[0]), Some(IgnoreWhy::OtherPlan));
    assert_eq!(why(&out[1]), Some(IgnoreWhy::StaleBytes));
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Scanning);
    assert!(announced(&w).is_empty());

    // The clean result, twice in one batch and once more later: one move, one entry.
    let clean = result(&up.key, &png(), ScanOutcome::Clean);
    let out = scan(&w, &[clean.clone(), clean.clone()]).await;
    assert_eq!(out[0].name(), "scan_clean");
    assert_eq!(why(&out[1]), Some(IgnoreWhy::Settled));
    let late = scan(&w, &[clean, result(&up.key, &png(), infected())]).await;
    assert!(late.iter().all(|d| why(d) == Some(IgnoreWhy::Settled)));
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);
    assert_eq!(announced(&w), vec![(EventType::UploadAccepted, None)]);
    assert!(w.store.has(&up.key));

    // A result for no file of ours is ignored too.
    let out = scan(&w, &[result("elsewhere/x", &png(), ScanOutcome::Clean)]).await;
    assert_eq!(why(&out[0]), Some(IgnoreWhy::UnknownFile));
}

#[tokio::test]
async fn a_type_rejection_is_final_and_no_scan_result_revives_it() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", pdf()).await;
    decide(&w, &up.key).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Rejected);
    let out = scan(&w, &[result(&up.key, &pdf(), ScanOutcome::Clean)]).await;
    assert_eq!(why(&out[0]), Some(IgnoreWhy::Settled));
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Rejected);
    assert_eq!(announced(&w).len(), 1);
}

#[tokio::test]
async fn an_early_result_is_kept_and_the_type_verdict_finalizes_at_once() {
    for (outcome, status, reason) in [
        (ScanOutcome::Clean, FileStatus::Accepted, None),
        (infected(), FileStatus::Rejected, Some("malware_found")),
    ] {
        let w = scanning_world(UnscannablePolicy::Reject);
        let up = uploaded(&w, "image/png", png()).await;
        let out = scan(&w, &[result(&up.key, &png(), outcome.clone())]).await;
        assert_eq!(out[0].name(), "scan_early");
        let rec = record(&w, &up.id).await;
        assert_eq!(rec.status, FileStatus::Pending);
        assert_eq!(
            rec.view().scan.status,
            ScanStatus::Pending,
            "not a verdict yet"
        );
        assert!(announced(&w).is_empty());

        let d = decide(&w, &up.key).await;
        assert_eq!(settled_file(&d).unwrap().status, status, "{outcome:?}");
        let rec = record(&w, &up.id).await;
        assert_eq!(rec.status, status);
        assert_eq!(rec.reason.as_deref(), reason);
        assert_eq!(announced(&w).len(), 1);
        assert_eq!(w.store.has(&up.key), status == FileStatus::Accepted);
    }
}

#[tokio::test]
async fn an_early_result_for_other_bytes_leaves_the_file_scanning() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    scan(&w, &[result(&up.key, &jpeg(), ScanOutcome::Clean)]).await;
    decide(&w, &up.key).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Scanning);
    scan(&w, &[result(&up.key, &png(), ScanOutcome::Clean)]).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);
    assert_eq!(announced(&w), vec![(EventType::UploadAccepted, None)]);
}

#[tokio::test]
async fn an_early_unsupported_result_under_hold_ends_held() {
    let w = scanning_world(UnscannablePolicy::Hold);
    let up = uploaded(&w, "image/png", png()).await;
    scan(&w, &[result(&up.key, &png(), ScanOutcome::Unsupported)]).await;
    let d = decide(&w, &up.key).await;
    assert_eq!(settled_file(&d).unwrap().status, FileStatus::Held);
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Held);
    assert_eq!(
        announced(&w),
        vec![(EventType::UploadHeld, Some("scan_unsupported".into()))]
    );
}

#[tokio::test]
async fn scanning_off_accepts_on_the_type_verdict_and_says_off() {
    let w = world();
    let up = uploaded(&w, "image/png", png()).await;
    decide(&w, &up.key).await;
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Accepted);
    assert_eq!(rec.view().scan.status, ScanStatus::Off);
    // No result counts while scanning is off.
    let out = scan(&w, &[result(&up.key, &png(), infected())]).await;
    assert_eq!(why(&out[0]), Some(IgnoreWhy::OtherPlan));
}

#[tokio::test]
async fn replaced_bytes_of_an_accepted_file_are_not_served_before_their_own_scan() {
    let w = scanning_world(UnscannablePolicy::Reject);
    let up = uploaded(&w, "image/png", png()).await;
    decide(&w, &up.key).await;
    scan(&w, &[result(&up.key, &png(), ScanOutcome::Clean)]).await;
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Accepted);

    // New bytes of the same type land behind the pipeline's back.
    let mut other = png();
    other[200] = 7;
    w.store.put(&up.key, other.clone());
    let event = dropgate_core::pipeline::ObjectEvent {
        key: up.key.clone(),
        size: Some(other.len() as u64),
        etag: Some(etag_of(&other)),
    };
    let d = w.pipeline.decide_batch(&[event]).await.remove(0).unwrap();
    assert!(matches!(&d, Decision::Settled { file, .. } if file.status == FileStatus::Scanning));
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Scanning);
    assert_eq!(
        rec.stored.as_ref().and_then(|s| s.etag.clone()),
        Some(etag_of(&other))
    );
    assert_eq!(rec.view().scan.status, ScanStatus::Pending);
    // A late result for the old bytes does not release the new ones.
    let out = scan(&w, &[result(&up.key, &png(), ScanOutcome::Clean)]).await;
    assert_eq!(why(&out[0]), Some(IgnoreWhy::StaleBytes));
    assert_eq!(record(&w, &up.id).await.status, FileStatus::Scanning);
    // Their own result decides: infected, so they go.
    scan(&w, &[result(&up.key, &other, infected())]).await;
    let rec = record(&w, &up.id).await;
    assert_eq!(rec.status, FileStatus::Rejected);
    assert_eq!(rec.reason.as_deref(), Some("malware_found"));
    assert!(!w.store.has(&up.key));
    assert_eq!(usage(&w).await, (0, 0, 0));
    assert_eq!(
        announced(&w),
        vec![
            (EventType::UploadAccepted, None),
            (EventType::UploadRejected, Some("malware_found".into()))
        ]
    );
}
