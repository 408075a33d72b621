//! CloudWatch Embedded Metric Format: one JSON line per batch, which CloudWatch Logs turns into
//! metrics without any API call from the function.

use dropgate_core::FileStatus;
use dropgate_core::pipeline::Decision;
use dropgate_core::scan::{IgnoreWhy, ScanDecision};
use serde_json::json;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct BatchMetrics {
    pub accepted: u64,
    pub rejected: u64,
    pub accepted_bytes: u64,
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
            FileStatus::Accepted => {
                self.accepted += 1;
                self.accepted_bytes += size;
            }
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
                        {"Name": "BytesAccepted", "Unit": "Bytes"},
                        {"Name": "BytesRejected", "Unit": "Bytes"},
                        {"Name": "DuplicateEvents", "Unit": "Count"},
                    ],
                }],
            },
            "Service": "worker",
            "UploadsAccepted": self.accepted,
            "UploadsRejected": self.rejected,
            "BytesAccepted": self.accepted_bytes,
            "BytesRejected": self.rejected_bytes,
            "DuplicateEvents": self.duplicates,
        })
    }

    /// Writes the EMF line to stderr (Lambda ships both streams to CloudWatch Logs; the local
    /// stack keeps stdout for its ready line).
    pub fn emit(&self) {
        if *self == Self::default() {
            return;
        }
        eprintln!("{}", self.to_emf(chrono::Utc::now().timestamp_millis()));
    }
}
