//! The worker: SQS batches of S3 `ObjectCreated` events (the uploads queue) and of GuardDuty's
//! malware scan results (the scan-results queue). Decode, let `dropgate-core` decide (the
//! pipeline judges types, the scan gate applies results), and report the messages that failed (partial batch response) so that only they are retried
//! and, after `maxReceiveCount`, land in the dead-letter queue. The worker tells no one itself:
//! each settlement writes its outbox entry, which the notifier delivers.

mod decode;
mod decode_scan;
mod metrics;

use std::sync::Arc;
use std::time::Instant;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use dropgate_core::FileRecord;
use dropgate_core::audit::{Actor, ActorKind, AuditEvent, AuditTrail};
use dropgate_core::clock::{Clock, SystemClock};
use dropgate_core::pipeline::{Decision, ObjectEvent, Pipeline};
use dropgate_core::scan::{ScanDecision, ScanGate, ScanResult};
use dropgate_core::versions::VersionLedger;
use dropgate_infra::{Clients, Config, InfraError};

pub use decode::{Decoded, decode_message};
pub use decode_scan::{SCAN_RESULT_DETAIL_TYPE, decode_scan_result, is_scan_result};
pub use metrics::BatchMetrics;

#[derive(Clone)]
pub struct Deps {
    pub pipeline: Pipeline,
    pub gate: ScanGate,
    /// Where "malware found" is recorded.
    pub audit: Arc<dyn AuditTrail>,
    /// Files' versions: an accepted version prunes its file's oldest past `MAX_VERSIONS`.
    pub versions: Option<Arc<dyn VersionLedger>>,
}

/// `SCAN_PLAN_ARN` only while scanning is on (see `Config::require`): the worker applies scan
/// results, and without the plan none could count.
pub const REQUIRED_ENV: &[&str] = &[
    "BUCKET_NAME",
    "FILES_TABLE",
    "QUOTAS_TABLE",
    "UPLOAD_LOG_TABLE",
    "AUDIT_TABLE",
    "SCAN_PLAN_ARN",
];

impl Deps {
    pub fn new(config: &Config, clients: &Clients) -> Result<Self, InfraError> {
        config.require(REQUIRED_ENV)?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let audit = Arc::new(dropgate_core::audit::AuditChain {
            store: clients.audit(config),
            clock: clock.clone(),
        });
        let ledger = clients.ledger(config);
        let versions: Arc<dyn VersionLedger> = ledger.clone();
        let pipeline = Pipeline {
            standing: ledger.clone(),
            ledger,
            store: clients.store(config),
            clock,
            settings: config.settings.clone(),
        };
        Ok(Self::of(pipeline, audit).with_versions(versions))
    }

    /// The scan gate shares the pipeline's ledger, store, clock and settings.
    pub fn of(pipeline: Pipeline, audit: Arc<dyn AuditTrail>) -> Self {
        let gate = ScanGate {
            ledger: pipeline.ledger.clone(),
            store: pipeline.store.clone(),
            clock: pipeline.clock.clone(),
            settings: pipeline.settings.clone(),
        };
        Self {
            pipeline,
            gate,
            audit,
            versions: None,
        }
    }

    /// With the versions' port: accepted versions prune their files.
    pub fn with_versions(mut self, versions: Arc<dyn VersionLedger>) -> Self {
        self.versions = Some(versions);
        self
    }
}

/// Handles one batch. Never fails as a whole: each message that could not be processed is a
/// batch item failure, and its batch-mates are unaffected.
pub async fn handle(event: SqsEvent, deps: &Deps) -> SqsBatchResponse {
    let started = Instant::now();
    let mut failed: Vec<String> = Vec::new();
    // Every object event, with the index of the message that carried it.
    let mut objects: Vec<(usize, ObjectEvent)> = Vec::new();
    let ids: Vec<String> = event
        .records
        .iter()
        .map(|m| m.message_id.clone().unwrap_or_default())
        .collect();
    // Every scan result, likewise.
    let mut scans: Vec<(usize, ScanResult)> = Vec::new();
    let now = deps.gate.clock.now();
    for (i, message) in event.records.iter().enumerate() {
        let body = message.body.as_deref().unwrap_or("");
        let decoded = match serde_json::from_str::<serde_json::Value>(body) {
            Ok(v) if is_scan_result(&v) => match decode_scan_result(v, now) {
                Ok(r) => {
                    scans.push((i, r));
                    continue;
                }
                Err(why) => Decoded::Malformed(why),
            },
            _ => decode_message(body),
        };
        match decoded {
            Decoded::TestEvent => tracing::info!(message_id = ids[i], "s3:TestEvent skipped"),
            Decoded::Objects(events) => objects.extend(events.into_iter().map(|o| (i, o))),
            Decoded::Malformed(why) => {
                tracing::warn!(
                    message_id = ids[i],
                    why,
                    "malformed message; left for retry and the DLQ"
                );
                failed.push(ids[i].clone());
            }
        }
    }
    let mut malware: Vec<AuditEvent> = Vec::new();
    // Files settled by this batch: accepted versions prune their files after.
    let mut accepted: Vec<FileRecord> = Vec::new();
    let batch: Vec<ObjectEvent> = objects.iter().map(|(_, o)| o.clone()).collect();
    let results = deps.pipeline.decide_batch(&batch).await;
    let mut m = BatchMetrics::default();
    let fail = |i: usize, failed: &mut Vec<String>| {
        if !failed.contains(&ids[i]) {
            failed.push(ids[i].clone());
        }
    };
    for ((i, object), result) in objects.iter().zip(results) {
        match result {
            Ok(decision) => {
                log_decision(&ids[*i], &object.key, &decision, started);
                m.count(&decision);
                if let Decision::Settled { file, .. } = &decision {
                    verdict_metrics(file, now);
                    malware.extend(malware_found(file));
                    accepted.push(file.clone());
                }
            }
            Err(e) => {
                tracing::warn!(message_id = ids[*i], key = object.key, error = %e, transient = e.is_transient(), "object not decided; message will be retried");
                fail(*i, &mut failed);
            }
        }
    }
    let batch: Vec<ScanResult> = scans.iter().map(|(_, r)| r.clone()).collect();
    let results = deps.gate.decide_batch(&batch).await;
    for ((i, r), result) in scans.iter().zip(results) {
        match result {
            Ok(decision) => {
                log_scan(&ids[*i], r, &decision, started);
                m.count_scan(&decision);
                dropgate_infra::metrics::put(
                    "worker",
                    &[("Outcome", r.outcome.status().as_str())],
                    1,
                    &[("ScanResults", "Count", 1)],
                );
                if let ScanDecision::Settled { file } = &decision {
                    verdict_metrics(file, now);
                    malware.extend(malware_found(file));
                    accepted.push(file.clone());
                }
            }
            Err(e) => {
                tracing::warn!(message_id = ids[*i], key = r.key, error = %e, transient = e.is_transient(), "scan result not applied; message will be retried");
                fail(*i, &mut failed);
            }
        }
    }
    record(deps, malware).await;
    prune(deps, &accepted).await;
    m.emit();
    SqsBatchResponse {
        batch_item_failures: failed
            .into_iter()
            .map(|id| BatchItemFailure {
                item_identifier: id,
            })
            .collect(),
    }
}

/// Past `MAX_VERSIONS`, each accepted version's file loses its oldest version. The verdicts
/// stand whatever happens here: a failure is logged, and the next accepted version prunes.
async fn prune(deps: &Deps, settled: &[FileRecord]) {
    let Some(versions) = &deps.versions else {
        return;
    };
    let p = &deps.pipeline;
    for v in settled.iter().filter(|f| f.is_version()) {
        let max = p.settings.max_versions;
        let lookup: &dyn dropgate_core::files::FileLookup = &*p.ledger;
        if let Err(e) =
            dropgate_core::versions::prune_after(lookup, &**versions, &*p.store, max, v).await
        {
            tracing::warn!(owner = %v.owner, file_id = %v.id, error = %e, "versions not pruned");
        }
    }
}

/// The audit entry of a file rejected for malware: ids and a count, never its name.
fn malware_found(file: &FileRecord) -> Option<AuditEvent> {
    if file.reason.as_deref() != Some("malware_found") {
        return None;
    }
    let threats = file.scan.as_ref().map_or(0, |s| s.threats.len());
    Some(AuditEvent::new(
        Actor {
            id: "worker".into(),
            kind: ActorKind::System,
        },
        "file.malware_found",
        "file",
        file.id.as_str(),
        serde_json::json!({"owner": file.owner.as_str(), "threats": threats}),
    ))
}

/// Appends the batch's security events. The verdicts they record are already settled, so a
/// failed append cannot undo them; it is logged and counted (`AuditAppendFailures`, alarmed).
async fn record(deps: &Deps, events: Vec<AuditEvent>) {
    for event in events {
        let file_id = event.target.id.clone();
        if let Err(e) = deps.audit.append(event).await {
            tracing::error!(file_id, error = %e, "audit entry not appended: malware found");
            dropgate_infra::metrics::put("worker", &[], 0, &[("AuditAppendFailures", "Count", 1)]);
        }
    }
}

/// One final verdict's metrics (`metrics::verdict_line`), in Lambda only.
fn verdict_metrics(file: &FileRecord, now: chrono::DateTime<chrono::Utc>) {
    if dropgate_infra::metrics::in_lambda()
        && let Some(doc) = metrics::verdict_line(file, now)
    {
        dropgate_infra::metrics::emit(&doc);
    }
}

fn log_decision(message_id: &str, key: &str, d: &Decision, started: Instant) {
    let ms = started.elapsed().as_millis() as u64;
    match d {
        Decision::Ignored { .. } => tracing::info!(
            message_id,
            key,
            decision = "ignored",
            "not an upload key; dropped"
        ),
        // An owner-free key of no record names no owner: the log says so rather than guess.
        Decision::Orphan { owner, id } => {
            tracing::warn!(message_id, owner = owner.as_ref().map_or("", |o| o.as_str()), file_id = %id, decision = "orphan", "no record for this object; object removed")
        }
        Decision::AlreadySettled { file } => {
            tracing::info!(message_id, owner = %file.owner, file_id = %file.id, status = file.status.as_str(), decision = "duplicate", "already settled; nothing changes")
        }
        Decision::ObjectMissing { file } => {
            tracing::warn!(message_id, owner = %file.owner, file_id = %file.id, decision = "object_missing", "record pending but object gone")
        }
        Decision::Settled {
            file,
            verdict,
            sampled_bytes,
            stored_size,
        } => tracing::info!(
            message_id,
            owner = %file.owner,
            file_id = %file.id,
            // `scanning` until the scan answers; `accepted` only with scanning off or a clean
            // result that came first.
            decision = file.status.as_str(),
            type_verdict = if *verdict == dropgate_core::policy::Verdict::Accepted { "passed" } else { "failed" },
            declared_type = file.content_type,
            detected_type = file.detected_type.as_deref().unwrap_or(""),
            size = file.size,
            stored_size,
            sampled_bytes,
            reason = file.reason.as_deref().unwrap_or(""),
            duration_ms = ms,
            "verdict"
        ),
    }
}

fn log_scan(message_id: &str, r: &ScanResult, d: &ScanDecision, started: Instant) {
    let ms = started.elapsed().as_millis() as u64;
    let etag = r.etag.as_deref().unwrap_or("");
    let outcome = r.outcome.status().as_str();
    match d {
        ScanDecision::Ignored { key, why, file } => tracing::info!(
            message_id,
            key,
            owner = file.as_ref().map_or("", |f| f.owner.as_str()),
            file_id = file.as_ref().map_or("", |f| f.id.as_str()),
            etag,
            outcome,
            decision = d.name(),
            why = why.as_str(),
            "scan result not applied"
        ),
        ScanDecision::Early { file } => tracing::info!(
            message_id,
            owner = %file.owner,
            file_id = %file.id,
            etag,
            outcome,
            decision = d.name(),
            "scan result kept for the type verdict"
        ),
        ScanDecision::Settled { file } => tracing::info!(
            message_id,
            owner = %file.owner,
            file_id = %file.id,
            etag,
            outcome,
            decision = d.name(),
            status = file.status.as_str(),
            reason = file.reason.as_deref().unwrap_or(""),
            threats = file.scan.as_ref().map_or(0, |s| s.threats.len()),
            size = file.size,
            duration_ms = ms,
            "scan verdict"
        ),
    }
}
