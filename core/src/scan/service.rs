//! [`ScanGate`]: applies a batch of scan results to the files they judged. One record read for
//! the batch (as the pipeline), results for one object one after another, every move
//! conditioned on the status it was read in: duplicated, late or reordered results change
//! nothing twice.

use std::sync::Arc;

use super::rules::{self, IgnoreWhy, Ruling};
use super::{ScanRecord, ScanResult};
use crate::batch::DECIDE_CONCURRENCY;
use crate::clock::Clock;
use crate::files::remove_and_mark;
use crate::files::{PipelineLedger, Settlement};
use crate::objects::ObjectStore;
use crate::{CoreError, FileRecord, FileStatus, Settings};

#[derive(Debug, Clone, PartialEq)]
pub enum ScanDecision {
    /// Not applied (see [`IgnoreWhy`]); `file` as it was read, when there is one.
    Ignored {
        key: String,
        why: IgnoreWhy,
        file: Option<FileRecord>,
    },
    /// Kept on the pending record for its type verdict.
    Early { file: FileRecord },
    /// The file reached its final state (`accepted`, `rejected` or `held`).
    Settled { file: FileRecord },
}

impl ScanDecision {
    /// The `decision` of the worker's log line.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ignored { .. } => "scan_ignored",
            Self::Early { .. } => "scan_early",
            Self::Settled { file } => rules::decision_name(file.status),
        }
    }

    /// The record as this decision left it (what the next result for its object sees).
    fn record(&self) -> Option<&FileRecord> {
        match self {
            Self::Ignored { file, .. } => file.as_ref(),
            Self::Early { file } | Self::Settled { file } => Some(file),
        }
    }
}

/// How many times one result is re-decided after losing a race for its record (the pipeline
/// moving it meanwhile): each loss means the record moved, and it moves at most a few times.
const ATTEMPTS: usize = 3;

#[derive(Clone)]
pub struct ScanGate {
    pub ledger: Arc<dyn PipelineLedger>,
    pub store: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl ScanGate {
    /// Decides every result; one answer per result, in order. A failure of one never affects
    /// another object.
    pub async fn decide_batch(
        &self,
        results: &[ScanResult],
    ) -> Vec<Result<ScanDecision, CoreError>> {
        let (parsed, records) =
            crate::batch::fetch_records(&*self.ledger, results.iter().map(|r| r.key.as_str()))
                .await;
        let (records, parsed) = (&records, &parsed);
        crate::batch::by_key(parsed, DECIDE_CONCURRENCY, |idx| async move {
            let mut out = Vec::with_capacity(idx.len());
            let mut current: Option<Option<FileRecord>> = None;
            for i in idx {
                let r = &results[i];
                let Some(key) = &parsed[i] else {
                    out.push(Ok(ignored(r, IgnoreWhy::UnknownFile, None)));
                    continue;
                };
                let record = match (&current, records) {
                    (Some(c), _) => c.clone(),
                    (None, Ok(map)) => map.get(key).cloned(),
                    (None, Err(e)) => {
                        out.push(Err(e.clone()));
                        continue;
                    }
                };
                let decided = self.decide(r, record).await;
                if let Ok(d) = &decided {
                    current = Some(d.record().cloned());
                }
                out.push(decided);
            }
            out
        })
        .await
    }

    async fn decide(
        &self,
        r: &ScanResult,
        mut record: Option<FileRecord>,
    ) -> Result<ScanDecision, CoreError> {
        for _ in 0..ATTEMPTS {
            let Some(file) = record else {
                return Ok(ignored(r, IgnoreWhy::UnknownFile, None));
            };
            match rules::rule(r, &file, &self.settings) {
                Ruling::Ignore { why } => return Ok(ignored(r, why, Some(file))),
                Ruling::RecordEarly => {
                    let scan = r.record();
                    if self.ledger.record_scan(&file, &scan).await? {
                        let file = FileRecord {
                            scan: Some(scan),
                            ..file
                        };
                        return Ok(ScanDecision::Early { file });
                    }
                }
                Ruling::Settle {
                    status,
                    reason,
                    scan,
                } => {
                    let now = self.clock.now();
                    if let Some(file) = settle_scanned(
                        &*self.ledger,
                        &*self.store,
                        &file,
                        status,
                        reason,
                        scan,
                        now,
                    )
                    .await?
                    {
                        return Ok(ScanDecision::Settled { file });
                    }
                }
            }
            // The record moved since it was read: decide again on what it is now.
            record = self.ledger.get_file(&file.owner, &file.id).await?;
        }
        Err(CoreError::upstream(
            "scan result kept losing races for its record",
        ))
    }
}

fn ignored(r: &ScanResult, why: IgnoreWhy, file: Option<FileRecord>) -> ScanDecision {
    ScanDecision::Ignored {
        key: r.key.clone(),
        why,
        file,
    }
}

/// Moves a file whose type verdict passed to its final state on `scan`, keeping what the type
/// verdict found; rejected bytes leave the store at once (as the pipeline's). `None` when the
/// record was no longer in `file.status`.
pub(crate) async fn settle_scanned(
    ledger: &dyn PipelineLedger,
    store: &dyn ObjectStore,
    file: &FileRecord,
    status: FileStatus,
    reason: Option<String>,
    scan: ScanRecord,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Option<FileRecord>, CoreError> {
    let s = Settlement {
        status,
        detected_type: file.detected_type.clone(),
        reason,
        at,
        stored_size: file.stored.as_ref().map(|s| s.size),
        stored_etag: file.stored.as_ref().and_then(|s| s.etag.clone()),
        give_back_link: crate::links::gives_back_on(status),
        scan: Some(scan),
    };
    if !ledger.settle(file, &s).await? {
        return Ok(None);
    }
    if status == FileStatus::Rejected {
        remove_and_mark(ledger, store, file).await;
    }
    Ok(Some(FileRecord {
        status,
        reason: s.reason,
        scan: s.scan,
        ..file.clone()
    }))
}
