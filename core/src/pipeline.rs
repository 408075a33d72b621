//! The pipeline's decision on uploaded objects: sniff the first bytes, judge, settle once,
//! and say whom to tell. Batch-shaped so that a batch of N objects costs one record read,
//! N ranged reads, N settlements and one publish.

use std::collections::HashMap;
use std::sync::Arc;

use crate::notification::{EventType, Notification};
use crate::policy::{Observed, Verdict, verdict};
use crate::ports::{Clock, Ledger, Mail, ObjectStore, Settlement};
use crate::sniff::{SAMPLE_BYTES, detect};
use crate::{CoreError, FileId, FileRecord, FileStatus, OwnerId, Settings, keys};

/// An object the store says was created, with its key already decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectEvent {
    pub key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Not under `uploads/{owner}/{file}`: nothing of ours.
    Ignored { key: String },
    /// No record for this object (deleted, or never created): the object is removed so that
    /// nothing escapes quota accounting.
    Orphan { owner: OwnerId, id: FileId },
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

#[derive(Clone)]
pub struct Pipeline {
    pub ledger: Arc<dyn Ledger>,
    pub store: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl Pipeline {
    /// Decides every event; one result per event, in order. A failure of one never affects
    /// another.
    pub async fn decide_batch(&self, events: &[ObjectEvent]) -> Vec<Result<Decision, CoreError>> {
        let parsed: Vec<Option<(OwnerId, FileId)>> = events
            .iter()
            .map(|e| keys::parse_upload_key(&e.key))
            .collect();
        let mut wanted: Vec<(OwnerId, FileId)> = parsed.iter().flatten().cloned().collect();
        wanted.sort();
        wanted.dedup();
        let records = if wanted.is_empty() {
            Ok(HashMap::new())
        } else {
            self.ledger.get_files(&wanted).await.map(|files| {
                files
                    .into_iter()
                    .map(|f| ((f.owner.clone(), f.id.clone()), f))
                    .collect::<HashMap<_, _>>()
            })
        };
        let mut out = Vec::with_capacity(events.len());
        for (event, ids) in events.iter().zip(parsed) {
            let Some(ids) = ids else {
                out.push(Ok(Decision::Ignored {
                    key: event.key.clone(),
                }));
                continue;
            };
            let result = match &records {
                Err(e) => Err(e.clone()),
                Ok(map) => {
                    let record = map.get(&ids).cloned();
                    self.decide_one(ids, record).await
                }
            };
            out.push(result);
        }
        out
    }

    async fn decide_one(
        &self,
        (owner, id): (OwnerId, FileId),
        record: Option<FileRecord>,
    ) -> Result<Decision, CoreError> {
        let Some(file) = record else {
            self.store.delete(&keys::upload_key(&owner, &id)).await?;
            return Ok(Decision::Orphan { owner, id });
        };
        if file.status != FileStatus::Pending {
            if matches!(file.status, FileStatus::Rejected | FileStatus::Expired) {
                // Bytes that landed after the verdict (a second PUT once the rejected object
                // was removed, a slow PUT finishing after expiry) are outside any quota.
                self.store.delete(&file.key()).await?;
            }
            return Ok(Decision::AlreadySettled { file });
        }
        let Some(sample) = self.store.sample(&file.key(), SAMPLE_BYTES).await? else {
            return Ok(Decision::ObjectMissing { file });
        };
        let truncated = (sample.bytes.len() as u64) < sample.size;
        let detected = detect(&sample.bytes, truncated);
        let v = verdict(
            &self.settings.allowed_types,
            &Observed {
                declared_type: &file.content_type,
                detected_type: detected.as_deref(),
                declared_size: file.size,
                actual_size: sample.size,
            },
        );
        let (status, reason) = match v {
            Verdict::Accepted => (FileStatus::Accepted, None),
            Verdict::Rejected(r) => (FileStatus::Rejected, Some(r.code().to_owned())),
        };
        let settlement = Settlement {
            status,
            detected_type: detected,
            reason,
            at: self.clock.now(),
            stored_size: Some(sample.size),
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
                        owner: file.owner,
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
    ledger: &dyn Ledger,
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

/// Who is told about a settled file: the operators' topic always; the owner by mail when the
/// file was rejected or arrived through an upload link.
pub fn notices(
    d: &Decision,
    at: chrono::DateTime<chrono::Utc>,
) -> (Option<Notification>, Option<Mail>) {
    let Decision::Settled { file, .. } = d else {
        return (None, None);
    };
    let event = match file.status {
        FileStatus::Accepted => EventType::UploadAccepted,
        FileStatus::Rejected => EventType::UploadRejected,
        FileStatus::Expired => EventType::UploadExpired,
        FileStatus::Pending => return (None, None),
    };
    let note = Notification::new(event, file, at);
    let mail = owner_mail(file);
    (Some(note), mail)
}

/// The owner's mail about a file, if the owner is to be told.
pub fn owner_mail(file: &FileRecord) -> Option<Mail> {
    let to = file.owner_email.clone()?;
    let name = &file.name;
    match file.status {
        FileStatus::Rejected => Some(Mail {
            to,
            subject: format!("Dropgate: \"{name}\" was rejected"),
            body: format!(
                "Your upload \"{name}\" ({} bytes, declared {}) was rejected: {}.\n\
                 Detected type: {}. The file was removed and its quota released.\n",
                file.size,
                file.content_type,
                file.reason.as_deref().unwrap_or("unknown"),
                file.detected_type.as_deref().unwrap_or("unrecognized"),
            ),
        }),
        FileStatus::Accepted if file.via_link.is_some() => Some(Mail {
            to,
            subject: format!("Dropgate: \"{name}\" arrived through your upload link"),
            body: format!(
                "A file arrived through your upload link: \"{name}\", {} bytes, {}.\n",
                file.size,
                file.detected_type.as_deref().unwrap_or(&file.content_type),
            ),
        }),
        _ => None,
    }
}
