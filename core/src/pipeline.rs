//! The pipeline's decision on uploaded objects: sniff the first bytes, judge, settle once,
//! and say whom to tell. Batch-shaped so that a batch of N objects costs one record read,
//! N ranged reads, N settlements and one publish.

use std::collections::HashMap;

use std::sync::Arc;

use crate::clock::Clock;
use crate::files::{PipelineLedger, Settlement};
use crate::keys::UploadKey;
use crate::objects::ObjectStore;
use crate::policy::{Observed, Verdict, verdict};
use crate::scan::ScanRecord;
use crate::scan::rules;
use crate::scan::service::settle_scanned;
use crate::sniff::{SAMPLE_BYTES, detect};
use crate::{CoreError, FileId, FileRecord, FileStatus, OwnerId, Settings};

/// An object the store says was created, with its key already decoded, and the size and ETag
/// the event reports (S3 always does; `None` when an event leaves them out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectEvent {
    pub key: String,
    pub size: Option<u64>,
    /// Without quotes.
    pub etag: Option<String>,
}

/// The reason of an accepted file whose bytes were replaced and no longer pass.
pub const REASON_CONTENT_CHANGED: &str = "content_changed";

/// Whether an event for an accepted file announces other bytes than the ones judged. An event
/// that leaves out its size or ETag, or a record that never kept them, cannot tell: it is taken
/// for a duplicate (no extra read for the common case).
fn bytes_changed(file: &FileRecord, e: &ObjectEvent) -> bool {
    let Some(judged) = &file.stored else {
        return false;
    };
    let size_differs = e.size.is_some_and(|s| s != judged.size);
    let etag_differs = match (&e.etag, &judged.etag) {
        (Some(a), Some(b)) => a.trim_matches('"') != b.trim_matches('"'),
        _ => false,
    };
    size_differs || etag_differs
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Neither `uploads/{file}` nor `uploads/{owner}/{file}`: nothing of ours.
    Ignored { key: String },
    /// No record for this object (deleted, or never created): the object is removed so that
    /// nothing escapes quota accounting. `owner` is known only when the key or a record named
    /// one: an owner-free key of no record has none.
    Orphan { owner: Option<OwnerId>, id: FileId },
    /// The record is no longer pending: a duplicate or replayed event. Nothing changes.
    AlreadySettled { file: FileRecord },
    /// The record is pending but the object is gone (deleted meanwhile); the janitor will
    /// expire it if it stays so.
    ObjectMissing { file: FileRecord },
    /// This event settled the file.
    Settled {
        file: FileRecord,
        verdict: Verdict,
        sampled_bytes: usize,
        stored_size: u64,
    },
}

impl Decision {
    /// The record as this decision left it (what the next event for its object sees).
    fn record(&self) -> Option<&FileRecord> {
        match self {
            Self::Ignored { .. } | Self::Orphan { .. } => None,
            Self::AlreadySettled { file }
            | Self::ObjectMissing { file }
            | Self::Settled { file, .. } => Some(file),
        }
    }
}

pub use crate::batch::DECIDE_CONCURRENCY;
pub use crate::files::remove_and_mark;

#[derive(Clone)]
pub struct Pipeline {
    pub ledger: Arc<dyn PipelineLedger>,
    pub store: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    /// Owners' standing: a stopped account's pending uploads are not accepted.
    pub standing: Arc<dyn crate::standing::StandingStore>,
    pub settings: Settings,
}

/// The reason of a pending upload whose owner's account an admin stopped before its bytes were
/// judged.
pub const REASON_ACCOUNT_DISABLED: &str = "account_disabled";

impl Pipeline {
    /// Decides every event; one result per event, in order. A failure of one never affects
    /// another.
    pub async fn decide_batch(&self, events: &[ObjectEvent]) -> Vec<Result<Decision, CoreError>> {
        let (parsed, records) =
            crate::batch::fetch_records(&*self.ledger, events.iter().map(|e| e.key.as_str())).await;
        // Objects are decided concurrently (each waits on its own ranged read and
        // transaction), at most DECIDE_CONCURRENCY at a time; events for one object one after
        // another, each seeing the record the previous one left. Results in event order.
        let (records, parsed) = (&records, &parsed);
        crate::batch::by_key(parsed, DECIDE_CONCURRENCY, |idx| async move {
            let mut out = Vec::with_capacity(idx.len());
            let mut current: Option<Option<FileRecord>> = None;
            for i in idx {
                let decided = self
                    .decide_event(records, &events[i], parsed[i].clone(), current.take())
                    .await;
                if let Ok(d) = &decided {
                    current = Some(d.record().cloned());
                }
                out.push(decided);
            }
            out
        })
        .await
    }

    async fn decide_event(
        &self,
        records: &Result<HashMap<UploadKey, FileRecord>, CoreError>,
        event: &ObjectEvent,
        key: Option<UploadKey>,
        previous: Option<Option<FileRecord>>,
    ) -> Result<Decision, CoreError> {
        let Some(key) = key else {
            return Ok(Decision::Ignored {
                key: event.key.clone(),
            });
        };
        let record = match (previous, records) {
            (Some(record), _) => record,
            (None, Err(e)) => return Err(e.clone()),
            (None, Ok(map)) => map.get(&key).cloned(),
        };
        self.decide_one(key, record, event).await
    }

    async fn decide_one(
        &self,
        key: UploadKey,
        record: Option<FileRecord>,
        event: &ObjectEvent,
    ) -> Result<Decision, CoreError> {
        let Some(file) = record else {
            self.store.delete(&key.render()).await?;
            return Ok(Decision::Orphan {
                owner: key.owner().cloned(),
                id: key.file().clone(),
            });
        };
        if file.status.holds_usage() && bytes_changed(&file, event) {
            // Replaced behind the pipeline's back (a second PUT while the upload URL lives):
            // judge the new bytes like new ones; they are not served before their own scan.
            return self.judge(file).await;
        }
        if file.status != FileStatus::Pending {
            if matches!(file.status, FileStatus::Rejected | FileStatus::Expired) {
                // Bytes that landed after the verdict (a second PUT once the rejected object
                // was removed, a slow PUT finishing after expiry) are outside any quota.
                self.store.delete(&file.key()).await?;
            }
            return Ok(Decision::AlreadySettled { file });
        }
        self.judge(file).await
    }

    /// Reads the first bytes of `file`'s object, judges their type, and settles the file
    /// (see [`next_state`]): with scanning on, bytes that pass wait in `scanning` for their
    /// own scan; bytes that fail are rejected.
    async fn judge(&self, file: FileRecord) -> Result<Decision, CoreError> {
        let Some(sample) = self.store.sample(&file.key(), SAMPLE_BYTES).await? else {
            return Ok(Decision::ObjectMissing { file });
        };
        let judged = file.stored.as_ref().and_then(|s| s.etag.as_deref());
        if file.status != FileStatus::Pending
            && sample.etag.is_some()
            && sample.etag.as_deref().map(|e| e.trim_matches('"'))
                == judged.map(|e| e.trim_matches('"'))
        {
            // A stale or mistaken event: the stored bytes are the ones already judged.
            return Ok(Decision::AlreadySettled { file });
        }
        let truncated = (sample.bytes.len() as u64) < sample.size;
        let detected = detect(&sample.bytes, truncated);
        // A link file is judged against its link's types (a subset of the deployment's).
        let v = verdict(
            &file.allowed_types(&self.settings.allowed_types),
            &Observed {
                name: &file.name,
                declared_type: &file.content_type,
                detected_type: detected.as_deref(),
                declared_size: file.size,
                actual_size: sample.size,
                content_encoding: sample.content_encoding.as_deref(),
            },
        );
        let now = self.clock.now();
        let Some(mut next) = next_state(&file, &v, sample.etag.as_deref(), &self.settings, now)
        else {
            // The new bytes pass as well and nothing else is to be judged: the verdict stands.
            return Ok(Decision::AlreadySettled { file });
        };
        // A stopped account's pending upload goes no further (read only for bytes that pass:
        // the rest is rejected anyway).
        if file.status == FileStatus::Pending
            && next.status != FileStatus::Rejected
            && self.standing.standing(&file.owner).await?.disabled
        {
            tracing::info!(file_id = %file.id, owner = %file.owner, decision = "account_disabled", "pending upload refused: the owner's account is stopped");
            next = Next {
                status: FileStatus::Rejected,
                reason: Some(REASON_ACCOUNT_DISABLED.to_owned()),
                scan: None,
            };
        }
        // Bytes nothing recognises that passed are what they were allowed as.
        let detected = match (&detected, &v) {
            (None, Verdict::Accepted) => Some(crate::allowed::OCTET_STREAM.to_owned()),
            _ => detected,
        };
        let settlement = Settlement {
            status: next.status,
            detected_type: detected,
            reason: next.reason,
            at: now,
            stored_size: Some(sample.size),
            stored_etag: sample.etag.clone(),
            give_back_link: crate::links::gives_back_on(next.status),
            scan: next.scan,
        };
        if !self.ledger.settle(&file, &settlement).await? {
            // Settled by a concurrent delivery of the same event: that one owns the effects.
            let now = self.ledger.get_file(&file.owner, &file.id).await?;
            return match now {
                Some(file) => Ok(Decision::AlreadySettled { file }),
                None => {
                    // Deleted meanwhile: its bytes must not outlive the record.
                    self.store.delete(&file.key()).await?;
                    Ok(Decision::Orphan {
                        owner: Some(file.owner),
                        id: file.id,
                    })
                }
            };
        }
        let status = settlement.status;
        if status == FileStatus::Rejected {
            // Rejected bytes leave `uploads/` at once (nobody can download them meanwhile:
            // download requires `accepted`). If that fails, the record's cleanup mark lets the
            // janitor finish it; the verdict and its notices stand.
            remove_and_mark(&*self.ledger, &*self.store, &file).await;
        }
        let mut settled = FileRecord {
            status,
            detected_type: settlement.detected_type,
            reason: settlement.reason,
            stored: Some(crate::files::StoredObject {
                size: sample.size,
                etag: sample.etag,
            }),
            scan: settlement.scan.or(file.scan.clone()),
            scan_started_at: if status == FileStatus::Scanning {
                Some(now)
            } else {
                file.scan_started_at
            },
            ..file
        };
        if status == FileStatus::Scanning {
            settled = self.caught_up(settled).await?;
        }
        Ok(Decision::Settled {
            file: settled,
            verdict: v,
            sampled_bytes: sample.bytes.len(),
            stored_size: sample.size,
        })
    }

    /// A scan result that arrived between this verdict's read and its move to `scanning` was
    /// kept on the pending record, and no other will come: apply it now. One read of the
    /// record; the file as it is after.
    async fn caught_up(&self, file: FileRecord) -> Result<FileRecord, CoreError> {
        let Some(now) = self.ledger.get_file(&file.owner, &file.id).await? else {
            return Ok(file);
        };
        let stored = now.stored.as_ref().and_then(|s| s.etag.clone());
        let early = rules::early_result(&now, stored.as_deref()).cloned();
        let (FileStatus::Scanning, Some(scan)) = (now.status, early) else {
            return Ok(now);
        };
        let (status, reason) = rules::final_state(&scan, &self.settings);
        let at = self.clock.now();
        let reason = reason.map(str::to_owned);
        match settle_scanned(&*self.ledger, &*self.store, &now, status, reason, scan, at).await? {
            Some(done) => Ok(done),
            // A scan result moved it meanwhile.
            None => Ok(self
                .ledger
                .get_file(&now.owner, &now.id)
                .await?
                .unwrap_or(now)),
        }
    }
}

/// Where a type verdict takes `file`, or `None` when it changes nothing (replaced bytes that
/// pass while scanning is off).
struct Next {
    status: FileStatus,
    reason: Option<String>,
    scan: Option<ScanRecord>,
}

fn next_state(
    file: &FileRecord,
    v: &Verdict,
    etag: Option<&str>,
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Next> {
    let rejudged = file.status != FileStatus::Pending;
    let rejected = |reason: String| Next {
        status: FileStatus::Rejected,
        reason: Some(reason),
        scan: None,
    };
    match v {
        Verdict::Rejected(_) if rejudged => Some(rejected(REASON_CONTENT_CHANGED.to_owned())),
        Verdict::Rejected(r) => Some(rejected(r.code().to_owned())),
        Verdict::Accepted if !settings.malware_scanning => (!rejudged).then(|| Next {
            status: FileStatus::Accepted,
            reason: None,
            scan: Some(ScanRecord::off(now)),
        }),
        Verdict::Accepted => {
            // A result for exactly these bytes that beat this verdict ends it at once.
            let early = (!rejudged)
                .then(|| rules::early_result(file, etag))
                .flatten()
                .map(|scan| (scan, rules::final_state(scan, settings)))
                .filter(|(_, (status, _))| file.status.can_become(*status));
            Some(match early {
                Some((scan, (status, reason))) => Next {
                    status,
                    reason: reason.map(str::to_owned),
                    scan: Some(scan.clone()),
                },
                // Not served until their own scan; the record's result (if any) stays for the
                // gate to match against these bytes.
                None => Next {
                    status: FileStatus::Scanning,
                    reason: None,
                    scan: None,
                },
            })
        }
    }
}
