//! The pipeline's decision on uploaded objects: sniff the first bytes, judge, settle once,
//! and say whom to tell. Batch-shaped so that a batch of N objects costs one record read,
//! N ranged reads, N settlements and one publish.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};
use std::sync::Arc;

use crate::clock::Clock;
use crate::files::{PipelineLedger, Settlement, Settling};
use crate::keys::{self, UploadKey};
use crate::objects::ObjectStore;
use crate::policy::{Observed, Verdict, verdict};
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

/// Objects of one batch decided at once. A batch is at most 10 messages (the event source's
/// batch size), each usually one object; the bound keeps a larger batch from opening more
/// connections than the SDK's pool holds.
pub const DECIDE_CONCURRENCY: usize = 16;

#[derive(Clone)]
pub struct Pipeline {
    pub ledger: Arc<dyn PipelineLedger>,
    pub store: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl Pipeline {
    /// Decides every event; one result per event, in order. A failure of one never affects
    /// another.
    pub async fn decide_batch(&self, events: &[ObjectEvent]) -> Vec<Result<Decision, CoreError>> {
        let parsed: Vec<Option<UploadKey>> = events
            .iter()
            .map(|e| keys::parse_upload_key(&e.key))
            .collect();
        let mut wanted: Vec<UploadKey> = parsed.iter().flatten().cloned().collect();
        wanted.sort();
        wanted.dedup();
        let records = if wanted.is_empty() {
            Ok(HashMap::new())
        } else {
            // Each record by the key it is stored under: an object under any other key (a
            // legacy-shaped key for a new file, or the reverse) is nobody's.
            self.ledger.get_files(&wanted).await.map(|files| {
                files
                    .into_iter()
                    .map(|f| (f.upload_key(), f))
                    .collect::<HashMap<_, _>>()
            })
        };
        // The objects are decided concurrently (each waits on its own ranged read and
        // transaction), at most DECIDE_CONCURRENCY at a time, results in event order.
        let decisions: Vec<_> = events
            .iter()
            .zip(parsed)
            .map(|(event, ids)| self.decide_event(&records, event, ids))
            .collect();
        stream::iter(decisions)
            .buffered(DECIDE_CONCURRENCY)
            .collect()
            .await
    }

    async fn decide_event(
        &self,
        records: &Result<HashMap<UploadKey, FileRecord>, CoreError>,
        event: &ObjectEvent,
        key: Option<UploadKey>,
    ) -> Result<Decision, CoreError> {
        let Some(key) = key else {
            return Ok(Decision::Ignored {
                key: event.key.clone(),
            });
        };
        match records {
            Err(e) => Err(e.clone()),
            Ok(map) => {
                let record = map.get(&key).cloned();
                self.decide_one(key, record, event).await
            }
        }
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
        if file.status == FileStatus::Accepted && bytes_changed(&file, event) {
            // Replaced behind the pipeline's back (Dropgate's own URLs cannot overwrite):
            // judge the new bytes like new ones.
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

    /// Reads the first bytes of `file`'s object, judges them, and settles the file from its
    /// status to the verdict (a pending file), or to `rejected` (an accepted file whose new
    /// bytes fail; new bytes that pass change nothing).
    async fn judge(&self, file: FileRecord) -> Result<Decision, CoreError> {
        let Some(sample) = self.store.sample(&file.key(), SAMPLE_BYTES).await? else {
            return Ok(Decision::ObjectMissing { file });
        };
        let truncated = (sample.bytes.len() as u64) < sample.size;
        let detected = detect(&sample.bytes, truncated);
        // A link file is judged against its link's types (a subset of the deployment's).
        let v = verdict(
            file.allowed_types(&self.settings.allowed_types),
            &Observed {
                name: &file.name,
                declared_type: &file.content_type,
                detected_type: detected.as_deref(),
                declared_size: file.size,
                actual_size: sample.size,
                content_encoding: sample.content_encoding.as_deref(),
            },
        );
        let rejudged = file.status == FileStatus::Accepted;
        let (status, reason) = match (&v, rejudged) {
            (Verdict::Accepted, false) => (FileStatus::Accepted, None),
            (Verdict::Rejected(r), false) => (FileStatus::Rejected, Some(r.code().to_owned())),
            // The new bytes pass as well: the verdict stands.
            (Verdict::Accepted, true) => return Ok(Decision::AlreadySettled { file }),
            (Verdict::Rejected(_), true) => (
                FileStatus::Rejected,
                Some(REASON_CONTENT_CHANGED.to_owned()),
            ),
        };
        let settlement = Settlement {
            status,
            detected_type: detected,
            reason,
            at: self.clock.now(),
            stored_size: Some(sample.size),
            stored_etag: sample.etag.clone(),
            give_back_link: crate::links::gives_back_on(status),
            scan: None,
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
        if status == FileStatus::Rejected {
            // Rejected bytes leave `uploads/` at once (nobody can download them meanwhile:
            // download requires `accepted`). If that fails, the record's cleanup mark lets the
            // janitor finish it; the verdict and its notices stand.
            remove_and_mark(&*self.ledger, &*self.store, &file).await;
        }
        let settled = FileRecord {
            status,
            detected_type: settlement.detected_type,
            reason: settlement.reason,
            stored: Some(crate::files::StoredObject {
                size: sample.size,
                etag: sample.etag,
            }),
            ..file
        };
        Ok(Decision::Settled {
            file: settled,
            verdict: v,
            sampled_bytes: sample.bytes.len(),
            stored_size: sample.size,
        })
    }
}

/// Removes a settled-away file's object and clears its cleanup mark; a failure is logged and
/// left to the janitor's cleanup pass.
pub async fn remove_and_mark(
    ledger: &dyn Settling,
    store: &dyn ObjectStore,
    file: &FileRecord,
) -> bool {
    let done = match store.delete(&file.key()).await {
        Ok(()) => ledger.mark_cleaned(file).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(file_id = %file.id, owner = %file.owner, error = %e, "object removal failed; the janitor will retry");
            false
        }
    }
}
