//! CloudWatch Embedded Metric Format: one JSON line per batch and one per final verdict, which
//! CloudWatch Logs turns into metrics without any API call from the function (in Lambda only:
//! the local stack prints neither). CloudWatch sums every line's value of a name under the same
//! dimensions, so no metric is on both kinds of line: the bytes accepted are the verdict
//! lines' alone.

use chrono::{DateTime, Utc};
use dropgate_core::pipeline::Decision;
use dropgate_core::scan::{IgnoreWhy, ScanDecision};
use dropgate_core::{FileRecord, FileStatus};
use serde_json::json;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct BatchMetrics {
    pub accepted: u64,
    pub rejected: u64,
    pub rejected_bytes: u64,
    pub duplicates: u64,
}

impl BatchMetrics {
    /// Counts final verdicts only: a file sent on to its scan is counted when the scan ends.
    pub fn count(&mut self, d: &Decision) {
        match d {
            Decision::Settled {
                file, stored_size, ..
            } => self.settled(file.status, *stored_size),
            Decision::AlreadySettled { .. } => self.duplicates += 1,
            _ => {}
        }
    }

    pub fn count_scan(&mut self, d: &ScanDecision) {
        match d {
            ScanDecision::Settled { file } => {
                let size = file.stored.as_ref().map_or(file.size, |s| s.size);
                self.settled(file.status, size);
            }
            ScanDecision::Ignored {
                why: IgnoreWhy::Settled,
                ..
            } => self.duplicates += 1,
            ScanDecision::Ignored { .. } | ScanDecision::Early { .. } => {}
        }
    }

    fn settled(&mut self, status: FileStatus, size: u64) {
        match status {
            FileStatus::Accepted => self.accepted += 1,
            FileStatus::Rejected => {
                self.rejected += 1;
                self.rejected_bytes += size;
            }
            _ => {}
        }
    }

    pub fn to_emf(&self, timestamp_ms: i64) -> serde_json::Value {
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": "Dropgate",
                    "Dimensions": [["Service"]],
                    "Metrics": [
                        {"Name": "UploadsAccepted", "Unit": "Count"},
                        {"Name": "UploadsRejected", "Unit": "Count"},
                        {"Name": "BytesRejected", "Unit": "Bytes"},
                        {"Name": "DuplicateEvents", "Unit": "Count"},
                    ],
                }],
            },
            "Service": "worker",
            "UploadsAccepted": self.accepted,
            "UploadsRejected": self.rejected,
            "BytesRejected": self.rejected_bytes,
            "DuplicateEvents": self.duplicates,
        })
    }

    /// Writes the EMF line, in Lambda only.
    pub fn emit(&self) {
        if *self == Self::default() {
            return;
        }
        dropgate_infra::metrics::emit(&self.to_emf(Utc::now().timestamp_millis()));
    }
}

/// One final verdict's line (`None` for a status that is not final): by verdict and reason,
/// with the time since the upload began (its reservation, just before the PUT) and, when
/// accepted, its bytes.
pub fn verdict_line(file: &FileRecord, now: DateTime<Utc>) -> Option<serde_json::Value> {
    if !matches!(
        file.status,
        FileStatus::Accepted | FileStatus::Rejected | FileStatus::Held
    ) {
        return None;
    }
    let ms = u64::try_from((now - file.created_at).num_milliseconds()).unwrap_or(0);
    let accepted = if file.status == FileStatus::Accepted {
        file.stored.as_ref().map_or(file.size, |s| s.size)
    } else {
        0
    };
    let malware = u64::from(file.reason.as_deref() == Some("malware_found"));
    Some(dropgate_infra::metrics::line(
        "worker",
        &[
            ("Verdict", file.status.as_str()),
            ("Reason", file.reason.as_deref().unwrap_or("none")),
        ],
        0,
        &[
            ("Uploads", "Count", 1),
            ("VerdictLatency", "Milliseconds", ms),
            ("BytesAccepted", "Bytes", accepted),
            ("MalwareFound", "Count", malware),
        ],
        now.timestamp_millis(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropgate_core::{FileId, OwnerId};
    use serde_json::Value;

    /// The metric names a line counts under `Service` alone.
    fn under_service_alone(doc: &Value) -> Vec<String> {
        let m = &doc["_aws"]["CloudWatchMetrics"][0];
        let alone = m["Dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|set| set == &serde_json::json!(["Service"]));
        if !alone {
            return Vec::new();
        }
        m["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["Name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A pending upload of 70 bytes.
    fn pending(now: chrono::DateTime<Utc>) -> FileRecord {
        FileRecord::pending(
            FileId::parse("f1").unwrap(),
            OwnerId::parse("u-1").unwrap(),
            "a.png".into(),
            70,
            "image/png".into(),
            now,
            std::time::Duration::from_secs(900),
        )
    }

    #[test]
    fn no_metric_of_the_worker_is_counted_by_both_lines() {
        let now = Utc::now();
        let mut file = pending(now);
        file.status = FileStatus::Accepted;
        let verdict = verdict_line(&file, now).expect("a final verdict has a line");
        assert_eq!(verdict["BytesAccepted"], 70);
        let mut batch = BatchMetrics::default();
        batch.settled(FileStatus::Accepted, 70);
        let batch = batch.to_emf(now.timestamp_millis());
        let (v, b) = (under_service_alone(&verdict), under_service_alone(&batch));
        assert!(v.contains(&"BytesAccepted".to_owned()), "{v:?}");
        for name in &b {
            assert!(
                !v.contains(name),
                "{name} would be summed twice: {v:?} and {b:?}"
            );
        }
    }

    #[test]
    fn only_final_verdicts_have_a_line() {
        let now = Utc::now();
        let file = pending(now);
        assert_eq!(verdict_line(&file, now), None);
    }
}
